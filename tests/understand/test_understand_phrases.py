"""Complaint-phrase mining: patterns in English and Korean, canonical forms, grouping, ranking."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from vocmine.understand.nlp import get_english, get_kiwi
from vocmine.understand.phrases import PhraseMention, extract, extract_text, group, group_key, rank
from vocmine.understand.phrases_en import STOP


def canon(text: str, lang: str) -> list[str]:
    return [m.canonical for m in extract_text(text, lang)]


# -- English pattern families ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, kind", [
    ("Much heavier than I expected!", "heavier than expected", "expectation"),
    ("It's way heavier than I had expected.", "heavier than expected", "expectation"),
    ("Smaller than I thought.", "smaller than expected", "expectation"),
    ("Heavier than advertised, sadly.", "heavier than advertised", "expectation"),
    ("It is much smaller than it looks in the picture.", "smaller than pictured", "expectation"),
    ("Way too heavy to carry around.", "too heavy", "excess"),
    ("Not warm enough for winter.", "not warm enough", "lack"),
    ("It wasn't warm enough.", "not warm enough", "lack"),
    ("It stopped working after a week.", "stopped working", "failure"),
    ("Battery dies fast.", "battery died fast", "failure"),  # failure verbs in the past, manner kept
    ("The zipper broke the first time I wore it.", "zipper broke", "failure"),
    ("Delivery was late.", "delivery late", "aspect"),
    ("The delivery took forever.", "delivery took forever", "excess"),
    ("The package arrived late.", "package arrived late", "excess"),
    ("It runs small.", "runs small", "excess"),
    ("This top runs very large.", "top runs large", "excess"),
    ("The fabric is see-through.", "fabric see-through", "aspect"),
    ("The fabric is thin.", "fabric thin", "aspect"),
    ("Cheap material.", "cheap material", "aspect"),
    ("The fabric felt cheap.", "fabric cheap", "aspect"),
    ("It fell apart in the wash.", "fell apart", "failure"),
])
def test_english_families(text, expected, kind):
    found = extract_text(text, "en")
    assert expected in [m.canonical for m in found], found
    assert next(m for m in found if m.canonical == expected).kind == kind


def test_english_positive_and_neutral_text_yields_nothing():
    assert canon("Too cute! I love it and the color is great.", "en") == []
    assert canon("It was too cute to pass up.", "en") == []
    assert canon("I ordered a small and it fits perfectly.", "en") == []
    assert canon("Long sleeves and high quality fabric.", "en") == []


def test_english_opposites_stay_apart_in_extraction():
    assert canon("It's too small.", "en") == ["too small"]
    assert canon("It's too big.", "en") == ["too big"]


def test_english_does_not_merge_customer_body_into_product_aspect():
    # Restricted: telling the customer's body from the product needs a list of body parts, so the
    # parser may name "chest" as an aspect; it must stay its own aspect, never the product's size complaint.
    from vocmine.understand.phrases import part_key

    found = extract_text("My chest is large.", "en")
    assert all(m.aspect for m in found), found
    for m in found:
        key = part_key(m.canonical, "en", (m.aspect, m.opinion))
        assert key != part_key("runs large", "en", (None, "runs large"))
        assert key != part_key("too big", "en", (None, "too big"))


# -- Korean pattern families ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, kind", [
    ("생각보다 무겁네요", "생각보다 무겁다", "expectation"),
    ("생각보다 무거워요", "생각보다 무겁다", "expectation"),
    ("생각보다 무거웠어요", "생각보다 무겁다", "expectation"),
    ("생각했던 것보다 너무 무거워요", "생각보다 무겁다", "expectation"),
    ("예상보다 무거웠습니다", "생각보다 무겁다", "expectation"),
    ("사진보다 작아요", "사진보다 작다", "expectation"),
    ("너무 무거워요", "너무 무겁다", "excess"),
    ("충전이 안 돼요", "충전이 안 되다", "failure"),
    ("충전이 잘 안되네요", "충전이 안 되다", "failure"),
    ("배터리가 빨리 닳아요", "배터리가 빨리 닳다", "failure"),
    ("지퍼가 고장났어요", "지퍼가 고장나다", "failure"),
    ("일주일 만에 고장났어요", "고장나다", "failure"),
    ("배송이 너무 늦어요", "배송이 늦다", "aspect"),
    ("배송 늦음", "배송이 늦다", "aspect"),
    ("배송이 엄청 늦게 왔어요", "배송이 늦다", "aspect"),
    ("배송이 일주일이나 걸렸어요", "배송이 오래 걸리다", "aspect"),
    ("충분히 따뜻하지 않아요", "따뜻하지 않다", "lack"),
])
def test_korean_families(text, expected, kind):
    found = extract_text(text, "ko")
    assert [m.canonical for m in found] == [expected], found
    assert found[0].kind == kind


def test_korean_subject_particle_is_normalised():
    assert canon("배터리는 빨리 닳아요", "ko") == ["배터리가 빨리 닳다"]
    assert canon("재미도 없고", "ko") == ["재미가 없다"]


def test_korean_praise_yields_nothing():
    assert canon("너무 좋아요 배송도 빨라요", "ko") == []


# -- offsets and segments -------------------------------------------------------------------------

@pytest.mark.parametrize("text, lang", [
    ("Love the color. But it's much heavier than I expected, and the zipper broke.", "en"),
    ("It wasn't flattering at all.", "en"),
    ("색은 예뻐요. 그런데 생각보다 무거웠어요. 배송도 늦었고요.", "ko"),
])
def test_offsets_point_at_the_variant(text, lang):
    found = extract_text(text, lang)
    assert found
    for m in found:
        assert text[m.start:m.end] == m.variant
        assert isinstance(m, PhraseMention) and m.lang == lang


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str
    pos: str
    start: int
    end: int


@dataclass
class Segment:
    index: int
    text: str
    start: int
    end: int
    lang: str
    tokens: list
    joined_by: str | None = None


def test_extract_uses_segment_tokens_and_feedback_offsets():
    feedback = "Great color. Much heavier than I expected."
    start = feedback.index("Much")
    doc = get_english()(feedback[start:])
    tokens = [Token(t.text, t.lemma_, t.pos_, start + t.idx, start + t.idx + len(t.text)) for t in doc]
    seg = Segment(1, feedback[start:], start, len(feedback), "en", tokens)
    [m] = extract(seg)
    assert m.canonical == "heavier than expected"
    assert feedback[m.start:m.end] == m.variant == "heavier than I expected"


def test_extract_korean_segment_tokens():
    feedback = "색은 예뻐요. 배송이 느렸어요"
    start = feedback.index("배송")
    tokens = []
    for t in get_kiwi().tokenize(feedback[start:]):
        lemma = t.form + "다" if t.tag.startswith(("VA", "VV")) else t.form
        tokens.append(Token(t.form, lemma, t.tag, start + t.start, start + t.start + t.len))
    seg = Segment(1, feedback[start:], start, len(feedback), "ko", tokens)
    [m] = extract(seg)
    assert m.canonical == "배송이 느리다"
    assert feedback[m.start:m.end] == m.variant == "배송이 느렸어요"


# -- grouping -------------------------------------------------------------------------------------

def test_group_merges_near_synonyms_but_not_opposites():
    heads = group({"too small": 5, "runs small": 9, "too big": 4, "runs large": 7, "huge": 3,
                   "too tight": 2, "fabric thin": 3, "thin fabric": 1, "fabric too thin": 1, "material thin": 1},
                  "en")
    assert heads["too small"] == heads["runs small"] == "runs small"
    assert heads["too big"] == heads["huge"] == heads["runs large"] == "runs large"
    assert heads["too small"] != heads["too big"]
    assert heads["too tight"] == "too tight"
    # word order and "too" do not matter; which nouns are one aspect is not decided by a word list
    assert heads["thin fabric"] == heads["fabric too thin"] == "fabric thin"
    assert heads["material thin"] == "material thin"


def test_group_korean_inflections_and_delivery():
    counts: dict[str, int] = {}
    for text in ["생각보다 무겁네요", "생각보다 무거워요", "생각보다 무거웠어요", "배송이 늦어요", "배송이 느렸어요",
                 "택배가 늦게 왔어요", "배송이 일주일이나 걸렸어요", "너무 작아요", "너무 커요"]:
        for c in canon(text, "ko"):
            counts[c] = counts.get(c, 0) + 1
    assert counts["생각보다 무겁다"] == 3  # the inflections share one canonical
    heads = group(counts, "ko")
    assert heads["배송이 느리다"] == heads["배송이 오래 걸리다"] == heads["배송이 늦다"]
    assert "택배가 늦다" in heads  # its own noun: no domain synonym folds 택배 into 배송
    assert heads["너무 작다"] != heads["너무 크다"]
    assert heads["생각보다 무겁다"] != heads["배송이 늦다"]


def test_group_expectation_stays_apart_from_plain_size():
    assert group_key("smaller than expected", "en") != group_key("too small", "en")
    assert group_key("smaller than I thought".replace("I thought", "expected"), "en") == \
        group_key("smaller than expected", "en")


def test_group_with_embedder_merges_similar_but_respects_attributes():
    vectors = {"too small": [1, 0, 0], "too big": [1, 0, 0],  # an embedder that confuses opposites
               "seams ripped": [0, 1, 0], "stitching came undone": [0, 1, 0.05], "zipper broke": [0, 0, 1]}

    def embed(texts):
        return np.array([vectors[t] for t in texts], dtype=float)

    counts = {"too small": 3, "too big": 2, "seams ripped": 4, "stitching came undone": 1, "zipper broke": 2}
    heads = group(counts, "en", embed=embed)
    assert heads["stitching came undone"] == "seams ripped"
    assert heads["too small"] != heads["too big"]
    assert heads["zipper broke"] == "zipper broke"


# -- ranking --------------------------------------------------------------------------------------

def _mentions() -> pd.DataFrame:
    rows = [
        # phrase, variant, customer, feedback, rating, created, complaint, quote
        ("runs small", "runs small", "c1", 1, 1, "2024-05-30T10:00:00Z", True, "It runs small."),
        ("runs small", "too small", "c2", 2, 2, "2024-05-28T10:00:00Z", True, "Way too small."),
        ("runs small", "too small", "c3", 3, 2, "2024-04-20T10:00:00Z", True, "Too small for me."),
        ("runs small", "runs small", "c3", 4, 3, "2024-05-29T10:00:00Z", False, "Runs small, but nice."),
        ("thin fabric", "fabric is thin", "c1", 1, 1, "2024-05-30T10:00:00Z", True, "Fabric is thin."),
        ("zipper broke", "zipper broke", "c4", 5, 5, "2024-04-01T10:00:00Z", True, "Zipper broke, replaced fast."),
    ]
    cols = ["phrase", "variant", "customer", "feedback_id", "rating", "created_at", "is_complaint_segment", "quote"]
    return pd.DataFrame(rows, columns=cols)


def test_rank_columns_ordering_and_measures():
    out = rank(_mentions(), now="2024-06-01T00:00:00Z")
    assert list(out.columns) == ["phrase", "customers", "mentions", "variants", "examples", "share_of_complaints",
                                 "trend", "rating_impact"]
    assert list(out["phrase"]) == ["runs small", "thin fabric", "zipper broke"]  # by customers, then mentions
    top = out.iloc[0]
    assert top["customers"] == 3 and top["mentions"] == 4
    assert top["variants"] == ["runs small", "too small"]
    assert top["examples"][0] in {"It runs small.", "Way too small.", "Too small for me."}
    assert len(top["examples"]) == 3
    # 3 of the 4 feedback with a complaint mention (1, 2, 3, 5) carry "runs small" in a complaint segment
    assert top["share_of_complaints"] == pytest.approx(3 / 4)
    # last 4 weeks: feedback 1, 2, 4 -> 3; the 4 weeks before: feedback 3 -> 1; (3 + 1) / (1 + 1)
    assert top["trend"] == pytest.approx(2.0)
    overall = np.mean([1, 2, 2, 3, 5])
    assert top["rating_impact"] == pytest.approx(np.mean([1, 2, 2, 3]) - overall)
    zipper = out.set_index("phrase").loc["zipper broke"]
    assert zipper["rating_impact"] > 0
    assert zipper["trend"] == pytest.approx(1 / 1)  # nothing in either window: flat


def test_rank_empty():
    out = rank(_mentions().iloc[0:0])
    assert out.empty and "customers" in out.columns


def test_no_stop_word_only_phrases():
    texts = ["It is what it is, and that was that.", "I was too lazy to return it, so I kept it.",
             "Not as bad as I thought but not what I wanted either.", "It was way more than that."]
    for t in texts:
        for m in extract_text(t, "en"):
            words = m.canonical.split()
            assert not all(w in STOP for w in words), m


def test_more_english_variants():
    assert canon("It looks nothing like it does on the model.", "en") == ["nothing like the picture"]
    assert canon("It looks nothing like my old one.", "en") == []
    assert canon("It doesn't lie flat.", "en") == ["doesn't lie flat"]
    assert canon("So much extra fabric.", "en") == ["too much fabric"]
    assert group_key("nothing like the picture", "en") == group_key("not as pictured", "en")


def test_mine_ngrams_finds_recurring_complaint_ngrams():
    from vocmine.understand.phrases import mine_ngrams

    complaints = ["The sizing chart is wrong.", "Sizing chart was off again.", "Ignore the sizing chart!",
                  "Love the color but the sizing chart lies."]
    others = ["Love the color.", "Great color and soft.", "The color is lovely."]
    found = mine_ngrams(complaints, others, "en", min_count=3)
    assert found[0][:2] == ("size chart", 4)  # lemmas: "sizing" -> "size"
    assert all("color" not in g for g, _, _ in found)  # not recurring in complaints only
    assert all(g.split()[0] not in STOP and g.split()[-1] not in STOP for g, _, _ in found)


def test_variant_keeps_the_whole_negated_word():
    [m] = extract_text("But it wasn't flattering on me.", "en")
    assert (m.canonical, m.variant) == ("not flattering", "wasn't flattering")


def test_korean_verdicts_and_clause_boundaries():
    assert canon("가격 대비 품질이 별로네요", "ko") == ["품질이 별로다"]
    assert canon("포장이 엉망이었어요", "ko") == ["포장이 엉망이다"]
    # the comparison belongs to the first clause only
    assert canon("생각보다 얇아서 안 따뜻해요", "ko") == ["생각보다 얇다", "따뜻하지 않다"]


def test_group_english_delivery_and_expectation_variants():
    counts: dict[str, int] = {}
    for text in ["Delivery was late.", "Shipping was so slow.", "The package arrived late.", "It took forever to arrive.",
                 "Delivery was delayed by a week.", "Much heavier than I expected.", "Heavier than I thought.",
                 "Way heavier than expected", "It runs small.", "It's too big."]:
        for c in canon(text, "en"):
            counts[c] = counts.get(c, 0) + 1
    assert counts["heavier than expected"] == 3
    assert {"delivery late", "shipping slow", "package arrived late", "took forever", "delivery delayed"} <= set(counts)
    heads = group(counts, "en")
    # the same aspect and a synonymous opinion group ("late" ~ "delayed"); other nouns keep their own group
    assert heads["delivery late"] == heads["delivery delayed"]
    assert heads["shipping slow"] != heads["delivery late"]
    assert heads["runs small"] != heads["too big"]
    assert heads["heavier than expected"] != heads["delivery late"]


def test_group_negated_and_prefixed_adjectives():
    heads = group({"not flattering": 5, "unflattering": 3, "looks unflattering": 1, "not soft": 2}, "en")
    assert heads["unflattering"] == heads["looks unflattering"] == heads["not flattering"] == "not flattering"
    assert heads["not soft"] == "not soft"
