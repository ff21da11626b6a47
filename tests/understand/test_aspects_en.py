"""Aspect + opinion extraction over a parsed English sentence (needs en_core_web_sm)."""
import pytest

from vocmine.understand import aspects_en
from vocmine.understand.aspects_en import AspectMention, extract, load_parser, parse

NLP = load_parser()
pytestmark = pytest.mark.skipif(NLP is None, reason="no English tagger+parser pipeline installed")


def mentions(text, base=0):
    (doc,) = parse([text], NLP)
    out = extract(doc, base=base)
    for m in out:  # offsets cover the words as written
        span = text[m.start - base:m.end - base]
        assert span and span == span.strip(), (text, m)
        assert span[0].isalnum() or span[0] in "$£€", (text, m)
    return out


def canon(text):
    return [m.canonical for m in mentions(text)]


CASES = [
    # (text, aspect, opinion, canonical, kind, words as written)
    # electronics
    ("The battery life is way too short.", "battery life", "too short", "battery life too short", "excess",
     "battery life is way too short"),
    ("Poor battery life.", "battery life", "poor", "poor battery life", "aspect", "Poor battery life"),
    ("It stopped charging after a month.", None, "stopped charging", "stopped charging", "failure",
     "stopped charging"),
    ("The scroll wheel stopped working after a week.", "scroll wheel", "stopped working",
     "scroll wheel stopped working", "failure", "scroll wheel stopped working"),
    ("It doesn't work.", None, "doesn't work", "doesn't work", "failure", "doesn't work"),
    ("The remote is heavier than expected.", "remote", "heavier than expected", "heavier than expected",
     "expectation", "heavier than expected"),  # expectation: canonical and words as written start at the comparison
    # apps
    ("The app keeps crashing.", "app", "keeps crashing", "app keeps crashing", "failure", "app keeps crashing"),
    ("RT @acmebank the app crashed again \U0001F621 #fail", "app", "crashed", "app crashed", "failure",
     "app crashed"),
    # restaurants
    ("The waiter ignored us.", "waiter", "ignored us", "waiter ignored us", "failure", "waiter ignored us"),
    ("We waited 40 minutes for our food.", None, "waited N minutes", "waited N minutes", "excess",
     "waited 40 minutes"),
    ("The cake was way too sweet.", "cake", "too sweet", "cake too sweet", "excess", "cake was way too sweet"),
    ("Service was slow.", "service", "slow", "service slow", "aspect", "Service was slow"),
    # airlines
    ("My flight was cancelled.", "flight", "cancelled", "flight cancelled", "failure", "flight was cancelled"),
    ("Flight delayed 3 hours.", "flight", "delayed N hours", "flight delayed N hours", "failure",
     "Flight delayed 3 hours"),
    ("They lost my bag.", "bag", "lost", "lost bag", "failure", "lost my bag"),
    ("@united my flight was delayed 3 hours #fail http://t.co/abc", "flight", "delayed N hours",
     "flight delayed N hours", "failure", "flight was delayed 3 hours"),
    # hotels
    ("There was no hot water.", "hot water", "no", "no hot water", "lack", "no hot water"),
    ("The room was dirty.", "room", "dirty", "room dirty", "aspect", "room was dirty"),
    ("The bathroom wasn't clean.", "bathroom", "not clean", "bathroom not clean", "lack", "bathroom wasn't clean"),
    ("The room didn't have a kettle.", "kettle", "no", "no kettle", "lack", "didn't have a kettle"),
    ("The customer service was terrible.", "customer service", "terrible", "customer service terrible", "aspect",
     "customer service was terrible"),
    # clothing
    ("The dress did not fit.", "dress", "didn't fit", "dress didn't fit", "failure", "dress did not fit"),
    ("Too small.", None, "too small", "too small", "excess", "Too small"),
    ("It runs small.", None, "runs small", "runs small", "excess", "runs small"),
    ("The zipper broke after two days.", "zipper", "broke", "zipper broke", "failure", "zipper broke"),
    ("Smaller than pictured.", None, "smaller than pictured", "smaller than pictured", "expectation",
     "Smaller than pictured"),
    ("The fabric is not as described.", "fabric", "not as described", "not as described", "expectation",
     "not as described"),
    ("It was not what I expected.", None, "not as expected", "not as expected", "expectation",
     "not what I expected"),
    # banking
    ("I was charged twice.", None, "charged twice", "charged twice", "excess", "charged twice"),
    ("My card still hasn't arrived.", "card", "hasn't arrived", "card hasn't arrived", "failure",
     "card still hasn't arrived"),
    ("The package never arrived.", "package", "never arrived", "package never arrived", "failure",
     "package never arrived"),
    ("I was on hold for 2 hours.", None, "on hold N hours", "on hold N hours", "excess", "on hold for 2 hours"),
    # pricing
    ("It is more expensive than advertised.", None, "more expensive than advertised",
     "more expensive than advertised", "expectation", "more expensive than advertised"),
    ("Not worth the price.", None, "not worth the price", "not worth the price", "lack", "Not worth the price"),
]


@pytest.mark.parametrize("text,aspect,opinion,canonical,kind,words", CASES, ids=[c[0][:40] for c in CASES])
def test_case(text, aspect, opinion, canonical, kind, words):
    ms = mentions(text)
    assert len(ms) == 1, ms
    m = ms[0]
    assert (m.aspect, m.opinion, m.canonical, m.kind) == (aspect, opinion, canonical, kind)
    assert text[m.start:m.end] == words


def test_two_adjective_noun_pairs():
    ms = mentions("Cheap material and rude staff.")
    assert [(m.aspect, m.opinion, m.canonical) for m in ms] == [
        ("material", "cheap", "cheap material"), ("staff", "rude", "rude staff")]
    assert ms[0].end <= ms[1].start


def test_money_quantity():
    ms = mentions("They charged me $30 for nothing.")
    assert [m.opinion for m in ms] == ["charged me $N"]


@pytest.mark.parametrize("text", [
    "Great battery life!",
    "It was too cute to return.",
    "The staff were friendly and the room was clean.",
    "I love this dress, the fabric is lovely.",
    "No problems at all with the delivery.",
    "The food was not bad.",
    "It fits perfectly.",
])
def test_praise_yields_nothing(text):
    assert mentions(text) == []


def test_pronoun_subjects_have_no_aspect():
    for text in ("It was too small.", "They were rude.", "It broke."):
        ms = mentions(text)
        assert ms and all(m.aspect is None for m in ms), (text, ms)
    assert canon("They were rude.") == ["rude"]


def test_social_tokens_never_aspects():
    for text in ("@delta my bag was lost #annoyed", "RT @bank app crashed https://x.co/1 #fail 😡"):
        for m in mentions(text):
            assert m.aspect is None or not any(c in m.aspect for c in "@#/")
            assert "@" not in m.opinion and "#" not in m.opinion and "http" not in m.canonical


def test_general_nouns_are_not_aspects():
    ms = mentions("The whole thing was too flimsy and awful.")
    assert ms and all(m.aspect is None for m in ms)


def test_base_offset_and_order():
    text = "The zipper broke and the lining is too thin."
    ms = mentions(text, base=100)
    assert [m.canonical for m in ms] == ["zipper broke", "lining too thin"]
    assert ms[0].start == 104 and text[ms[1].start - 100:ms[1].end - 100] == "lining is too thin"
    assert all(isinstance(m, AspectMention) for m in ms)


def test_no_apostrophe_negation_is_not_an_aspect():
    for m in mentions("room cleanliness wasn t good"):
        assert m.aspect in (None, "room cleanliness")


def test_load_parser_missing_name_returns_none():
    assert load_parser("/nonexistent/model/dir") is None
    assert load_parser() is NLP  # cached per process
    assert aspects_en.PARSER_NAMES[0] == "en_core_web_sm"


def test_empty_doc():
    (doc,) = parse([""], NLP)
    assert extract(doc) == []


# -- the demo's English complaint templates, through the parser path ----------------------------

def _demo_templates():
    from vocmine.jobs import demo_data

    return [(theme, tpl) for theme in demo_data.COMPLAINT_THEMES for tpl in dict.fromkeys(demo_data._EN[theme])]


def _demo_sentences(tpl, tries=4):
    """Expansions of one template over every product context, drawn with fixed seeds."""
    import random

    from vocmine.jobs import demo_data

    out = set()
    for seed in range(tries):
        w = demo_data._Writer(random.Random(seed), "en")
        for ctx in demo_data._CTX_EN.values():
            out.add(w._sentence(demo_data._SLOT_RE.sub(lambda m: w._fill(m.group(1), ctx), tpl)))
    return sorted(out)


# Templates the parser path does not read yet (idioms and advice with no complaint word in them:
# "weighs a ton", "order a size up", "all over the place"); listed so a fix shows up as XPASS.
DEMO_GAPS = {
    "{be_it} heavy. like really heavy", "the frame alone weighs a ton", "{be_it} surprisingly heavy for a {size} pack",
    "{be_it} {much}heavier than my old one", "the weight is a real problem on longer {outings}",
    "did not expect it to be this heavy", "the weight kills it for me", "heavier than the listing makes it look",
    "delivery was {very}late", "the package showed up {n_days} days after the promised date",
    "i was still waiting on my order after {n_days} days", "{it_took} {long} to get here, which is ridiculous",
    "the delivery estimate was way off", "the battery only lasts {few_hours}",
    "battery life is nowhere near what's advertised", "the battery went from full to dead in {few_hours}",
    "charging is {very}slow and it dies fast", "{it_runs} small", "{it_runs} {very}small",
    "runs small, order a size up", "{be_it} {very}tight in the {fit_area}", "you should order a size up",
    "order a size up!!", "definitely order a size up", "the sizing chart is way off",
    "i had to exchange it for a bigger size", "sizing is all over the place", "{it_runs} at least half a size small",
    "the zipper keeps getting stuck", "the support chat just keeps saying someone will get back to me",
    "{be_it} a bit overpriced for what it is", "way overpriced tbh", "kind of pricey for what you get",
    "{it_took} {long} to arrive",  # only "It took almost over a week to arrive" (the grammar's odd draw) is missed
}
_EXPECT_TPL = ("heavier than {expected}", "heavier than expected", "heavier than I expected")


@pytest.mark.parametrize("theme,tpl", [
    pytest.param(t, s, marks=pytest.mark.xfail(reason="known gap", strict=False) if s in DEMO_GAPS else ())
    for t, s in _demo_templates()], ids=[s[:40] for _, s in _demo_templates()])
def test_demo_complaint_templates_yield_phrases(theme, tpl):
    from vocmine.understand.phrases import extract_text

    for sentence in _demo_sentences(tpl):
        found = extract_text(sentence, "en")
        assert found, sentence
        if any(e in tpl for e in _EXPECT_TPL) and "{expected}" not in tpl:
            assert any(m.kind == "expectation" and m.canonical.startswith("heavier than expected") for m in found), \
                (sentence, found)
        elif "{expected}" in tpl:
            assert any(m.kind == "expectation" and m.canonical.startswith("heavier than") for m in found), \
                (sentence, found)


def test_demo_headline_phrases():
    from vocmine.understand.phrases import extract_text

    def canons(t):
        return [m.canonical for m in extract_text(t, "en")]

    for t in ("The backpack is heavier than expected.", "It's much heavier than I expected.",
              "Much heavier than I thought.", "This pack is way heavier than I expected once it's packed."):
        ms = [m for m in extract_text(t, "en") if m.kind == "expectation"]
        assert [m.canonical for m in ms] == ["heavier than expected"], (t, ms)
    [m] = [m for m in extract_text("The backpack is heavier than expected.", "en") if m.kind == "expectation"]
    assert m.aspect == "backpack"  # the aspect stays on the mention, the canonical is the opinion alone
    assert "too small" in canons("It's too small.") and "runs small" in canons("It runs small.")
    # the extractor names it; phrases.keep_phrase currently drops it ("fit" is a strong VADER word)
    assert "doesn't fit" in canon("It doesn't fit.")
    assert "stopped working" in canons("It stopped working after a week.")
    assert "fell apart" in canons("It fell apart after two washes.")
    assert "zipper broke" in canons("The zipper broke after two weeks.")
