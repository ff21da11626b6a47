"""English complaint-phrase patterns over lowercase tokens and lookup lemmas: the fallback.

This is what runs when no English tagger/parser model is installed (the default pipeline,
``spacy.blank("en")``, has no POS tags). It holds no lists of product, aspect or domain words:
the patterns are grammar over function words plus the polarity of words in VADER's general
sentiment lexicon (``sentiment.english_lexicon``). Each match becomes a canonical phrase
("much heavier than I expected" -> "heavier than expected") plus the exact span it covers.

Families: expectation gaps ("<comparative> than expected/pictured/advertised"), excess
("too X" for any X that is not praise, "runs small"), lack ("not X enough", "not <praise word>",
"doesn't work/fit/last"), failures ("stopped working", "fell apart", "<thing> broke",
"<thing> dies fast") and aspects ("<thing> is/was <negative adjective>" -> "<adjective> <thing>",
"<negative adjective> <thing>", "feels <negative adjective>").
"""
from __future__ import annotations

import functools
from typing import NamedTuple

# -- function words and general English ------------------------------------------------------------

# Dropped between the pattern's words: "way too big", "much heavier", "not very warm enough".
INTENSIFIERS = frozenset(
    "much way a lot bit little slightly so very really super extremely quite far even pretty somewhat "
    "kind kinda sort sorta rather incredibly ridiculously terribly awfully overly totally completely "
    "just too also definitely seriously insanely unbelievably noticeably significantly considerably "
    "tad wayyy waaay waay soooo sooo so-so hugely massively".split())

STOP = frozenset(
    "a an the this that these those it its it's i me my mine we us our you your he him his she her they them "
    "their there here which who whom what when where why how and or but if then so as of at by for with about "
    "against between into through during before after above below to from up down in out on off over under "
    "again further once all any both each few more most other some such no nor not only own same than too very "
    "s t can will just don should now is am are was were be been being have has had having do does did doing "
    "would could might must shall may one ones get got also still even really".split())

PRONOUNS = frozenset("it this that they these those which she he i you we one mine everything something".split())

# General size and fit adjectives ("runs small", "fits weird"): plain English, no domain.
SIZE_ADJ = frozenset("small large big tight short long narrow wide snug huge tiny loose".split())
FIT_ADJ = SIZE_ADJ | frozenset("weird strange awkward odd funny poorly terribly horribly badly oddly weirdly".split())

# Words after "too" that make no excess ("too much" is handled on its own, "me too", "too bad").
TOO_EXCLUDE = frozenset("much many bad few far often soon little badly long-time".split()) | STOP
# Hedges a "not" can go with that are no lack ("not sure", "not like").
NOT_EXCLUDE = frozenset("sure like likely bad exactly quite necessarily always everyone everybody".split())

# Expectation references after "than" and what each one is called in the canonical phrase.
EXPECT_REF = {
    "expect": "expected", "expected": "expected", "expecting": "expected", "think": "expected",
    "thought": "expected", "imagine": "expected", "imagined": "expected", "anticipate": "expected",
    "anticipated": "expected", "hope": "expected", "hoped": "expected", "assume": "expected",
    "assumed": "expected", "picture": "pictured", "pictured": "pictured", "pictures": "pictured",
    "photo": "pictured", "photos": "pictured", "image": "pictured", "images": "pictured", "show": "pictured",
    "shown": "pictured", "look": "pictured", "looks": "pictured", "looked": "pictured", "appear": "pictured",
    "appears": "pictured", "appeared": "pictured", "advertise": "advertised", "advertised": "advertised",
    "describe": "described", "described": "described", "description": "described", "list": "described",
    "listed": "described", "state": "described", "stated": "described", "say": "described", "said": "described",
    "claimed": "described", "usual": "usual", "normal": "usual", "typical": "usual", "regular": "usual",
    "typically": "usual", "normally": "usual", "usually": "usual",
}
# Words that name where a picture is shown: "than it looks in the photos".
PICTURE_WORDS = frozenset("picture pictures photo photos image images online".split())
# Words allowed between "than" and the reference: "than I had originally expected", "than it looks in the photo".
THAN_FILLER = frozenset(
    "i we she he you they it had have would 'd originally initially first what the a in on my your "
    "was were is it's i'd seemed seems did do does".split())

IRREGULAR_COMP = {"worse": "bad", "less": "little", "bigger": "big", "thinner": "thin", "hotter": "hot",
                  "fatter": "fat", "slimmer": "slim", "wetter": "wet", "redder": "red"}

# General failure events: lemma -> canonical past form for "<thing> broke".
BREAK_VERBS = {
    "break": "broke", "rip": "ripped", "tear": "tore", "snap": "snapped", "unravel": "unraveled",
    "fray": "frayed", "crack": "cracked", "peel": "peeled", "split": "split", "shrink": "shrank",
    "jam": "jammed", "leak": "leaked", "die": "died", "fail": "failed", "crash": "crashed", "freeze": "froze",
    "fall": "fell off", "come": "came off",
}
# General verbs whose negation is a failure or a lack: "doesn't work", "won't hold a charge".
NOT_VERBS = {"fit": "lack", "work": "failure", "stay": "failure", "charge": "failure", "hold": "failure",
             "last": "failure", "close": "failure", "open": "failure", "turn": "failure", "connect": "failure",
             "start": "failure", "load": "failure", "function": "failure", "respond": "failure", "sync": "failure"}
# Adverbs allowed between a thing and its failure verb: "the zipper already broke".
_BETWEEN = frozenset("already just completely finally eventually immediately literally totally".split())
# Adjective endings: a word after "not" or "look" with one of these can be an attribute.
_ADJ_SUFFIXES = ("able", "ible", "ful", "ous", "ive", "ish", "less", "ing", "ic", "al", "y", "ed", "ent", "ant")


class Tok(NamedTuple):
    w: str   # lowercase surface
    l: str   # lowercase lemma
    start: int
    end: int


class Match(NamedTuple):
    canonical: str
    kind: str
    i: int   # first token index (inclusive)
    j: int   # last token index (exclusive)
    priority: int


@functools.lru_cache(maxsize=1)
def _lemma_table():
    from vocmine.understand.nlp import get_english

    nlp = get_english()
    try:
        return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except (KeyError, ValueError):  # a full pipeline without lookup tables: fall back to its own lemmas
        return {}


# The lookup table gets a few function words wrong ("does" -> "doe") or leaves them alone.
LEMMA_OVERRIDES = {"does": "do", "did": "do", "doing": "do", "is": "be", "was": "be", "were": "be", "are": "be",
                   "am": "be", "'m": "be", "'re": "be", "n't": "not", "nt": "not", "ca": "can", "wo": "will",
                   "broken": "break", "fits": "fit", "fitted": "fit"}


def lemma(word: str) -> str:
    """Return the lookup lemma of a lowercase ``word`` (the word itself when unknown)."""
    return LEMMA_OVERRIDES.get(word) or _lemma_table().get(word, word)


@functools.lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, float], frozenset[str]]:
    from vocmine.understand.sentiment import english_lexicon

    lex, negate, _ = english_lexicon()
    return lex, negate


def _valence(t: Tok) -> float:
    lex = _lexicon()[0]
    v = lex.get(t.w)
    return lex.get(t.l, 0.0) if v is None else v


def _praise(t: Tok) -> bool:
    """True for a clearly positive word ("cute", "comfortable"): "too cute" is no excess."""
    return _valence(t) > 1.5


def _negative(t: Tok) -> bool:
    return _valence(t) < 0 and t.w not in STOP and t.w not in _lexicon()[1]


@functools.lru_cache(maxsize=4096)
def comparative_base(word: str) -> str | None:
    """Return the base adjective of a comparative ("heavier" -> "heavy"), or None."""
    if word in IRREGULAR_COMP:
        return IRREGULAR_COMP[word]
    if not word.endswith("er") or len(word) < 4 or not word.isalpha():
        return None
    stem = word[:-2]
    table = _lemma_table()
    lem = LEMMA_OVERRIDES.get(word) or table.get(word)
    if lem and lem != word and word.startswith(lem[:max(2, len(lem) - 2)]) and len(lem) <= len(word) - 1:
        return lem
    candidates = [stem, stem + "e"]
    if stem.endswith("i"):
        candidates.append(stem[:-1] + "y")
    if len(stem) > 2 and stem[-1] == stem[-2]:
        candidates.append(stem[:-1])
    lex = _lexicon()[0]
    for c in candidates:
        if c in SIZE_ADJ or c in lex:
            return c
    return None


def _skip(toks: list[Tok], k: int, words: frozenset[str], limit: int = 3) -> int:
    """Return the index after skipping up to ``limit`` tokens from ``words`` starting at ``k``."""
    n = 0
    while k < len(toks) and n < limit and toks[k].w in words:
        k += 1
        n += 1
    return k


def _is_word(t: Tok) -> bool:
    return t.w.isalpha() or "-" in t.w and t.w.replace("-", "").isalpha()


def _content(t: Tok) -> bool:
    """A word that can name a thing: alphabetic, no function word, no negator, no adverb in -ly."""
    return _is_word(t) and t.w not in STOP and t.w not in PRONOUNS and t.w not in INTENSIFIERS \
        and t.w not in _lexicon()[1] and not t.w.endswith("ly")


def _adjective_like(t: Tok) -> bool:
    return _is_word(t) and t.w not in STOP and (
        t.w in SIZE_ADJ or _valence(t) != 0 or t.w.endswith(_ADJ_SUFFIXES) or comparative_base(t.w) is not None)


def _than(toks: list[Tok], i: int) -> tuple[str, int] | None:
    """Match the reference after "than" at ``i``; returns (reference name, end index)."""
    if i >= len(toks) or toks[i].w != "than":
        return None
    k = i + 1
    for _ in range(5):
        if k >= len(toks):
            return None
        t = toks[k]
        ref = EXPECT_REF.get(t.w) or EXPECT_REF.get(t.l)
        if ref:
            k += 1
            # "than it looks in the picture": swallow the picture words too
            if ref == "pictured":
                m = k
                while m < len(toks) and m < k + 3 and (toks[m].w in ("in", "on", "the") or toks[m].w in PICTURE_WORDS):
                    m += 1
                if m > k and toks[m - 1].w in PICTURE_WORDS:
                    k = m
            return ref, k
        if t.w not in THAN_FILLER:
            return None
        k += 1
    return None


def _match_at(toks: list[Tok], i: int) -> list[Match]:
    """Return every pattern that starts at token ``i``."""
    t = toks[i]
    w, l = t.w, t.l
    out: list[Match] = []
    n = len(toks)
    negated_before = i > 0 and (toks[i - 1].l == "not" or toks[i - 1].w in _lexicon()[1])

    # expectation: "<comparative> than expected", "more expensive than advertised"
    base = comparative_base(w)
    if base is not None or w in ("more", "less"):
        comp, k = w, i + 1
        if w in ("more", "less") and k < n and _is_word(toks[k]) and toks[k].w not in STOP:
            comp, k = f"{w} {toks[k].w}", k + 1
        elif w in ("more", "less"):
            comp = ""
        if comp:
            ref = _than(toks, k)
            if ref:
                out.append(Match(f"{comp} than {ref[0]}", "expectation", i, ref[1], 0))
    if w in ("nothing", "not") and i + 2 < n:
        # "nothing like the picture", "not as pictured", "not what i expected"
        k = i + 1
        if w == "nothing" and toks[k].w == "like":
            k2 = _skip(toks, k + 1, frozenset(("the", "a", "its", "in", "on", "it", "does", "did", "looks", "looked",
                                               "one", "shown", "what", "was", "is")), 5)
            if k2 < n and (toks[k2].w in PICTURE_WORDS or toks[k2].w in ("description", "website", "advertised")):
                out.append(Match("nothing like the picture", "expectation", i, k2 + 1, 0))
        elif w == "not" and toks[k].w in ("as", "what") and k + 1 < n:
            k2 = _skip(toks, k + 1, frozenset(("i", "it", "was", "is", "shown", "in", "the", "had", "we")), 4)
            expected = None
            if k2 < n:
                expected = EXPECT_REF.get(toks[k2].w) or EXPECT_REF.get(toks[k2].l)
            if expected and expected != "usual":
                out.append(Match(f"not as {expected}", "expectation", i, k2 + 1, 0))

    # excess: "too big", "way too heavy", "too much noise" (but "too cute" is praise)
    if w == "too" and i + 2 < n and toks[i + 1].w == "much" and _content(toks[i + 2]) and not _praise(toks[i + 2]):
        out.append(Match(f"too much {toks[i + 2].w}", "excess", i, i + 3, 1))
    elif w in ("too", "overly") and i + 1 < n:
        k = _skip(toks, i + 1, frozenset(("very", "darn", "damn")), 1)
        if k < n and _is_word(toks[k]) and toks[k].w not in TOO_EXCLUDE and not _praise(toks[k]) \
                and not toks[k].w.endswith("ly"):
            out.append(Match(f"too {toks[k].w}", "excess", i, k + 1, 2))

    # lack: "not warm enough", "not flattering", "not true to size", "doesn't work"
    if l == "not" and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS | {"at", "all", "that"})
        if k < n and _is_word(toks[k]):
            a = toks[k].w
            if k + 1 < n and toks[k + 1].w == "enough" and a not in STOP:
                out.append(Match(f"not {a} enough", "lack", i, k + 2, 1))
            elif a == "true" and k + 2 < n and toks[k + 1].w == "to" and _content(toks[k + 2]):
                out.append(Match(f"not true to {toks[k + 2].w}", "lack", i, k + 3, 1))
            elif a == "worth":
                out.append(Match("not worth", "lack", i, k + 1, 2))
            elif toks[k].l in NOT_VERBS and i > 0 and toks[i - 1].l in ("do", "will", "would", "can", "could"):
                verb = toks[k].l
                j = k + 1
                if verb == "turn":
                    verb = "turn on" if j < n and toks[j].w == "on" else ""
                    j += 1
                if verb:
                    out.append(Match(f"doesn't {verb}", NOT_VERBS[toks[k].l], i - 1, j, 1))
            elif _valence(toks[k]) > 0 and a not in NOT_EXCLUDE and a not in STOP and _adjective_like(toks[k]) \
                    and i > 0 and toks[i - 1].l in ("be", "look", "feel", "seem", "is", "was"):
                out.append(Match(f"not {a}", "lack", i, k + 1, 2))  # "wasn't flattering", "is not comfortable"

    # verb phrases: "runs small", "stopped working", "fell apart", "dies fast"
    if l in ("run", "fit") and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS | {"at", "least", "half", "a", "full", "size"}, 6)
        if k < n:
            a = toks[k].w
            if l == "run" and a in SIZE_ADJ:
                out.append(Match(f"runs {a}", "excess", i, k + 1, 1))
            elif l == "fit" and a in FIT_ADJ and (w != "fit" or (i > 0 and toks[i - 1].w in PRONOUNS)):
                out.append(Match(f"fits {a}", "excess" if a in SIZE_ADJ else "lack", i, k + 1, 1))
    if l in ("stop", "quit") and i + 1 < n and toks[i + 1].l in ("work", "function", "charge", "respond"):
        out.append(Match("stopped working", "failure", i, i + 2, 0))
    if l in ("fall", "come") and i + 1 < n and toks[i + 1].w in ("apart", "undone", "unraveled"):
        out.append(Match(f"{'fell' if l == 'fall' else 'came'} apart", "failure", i, i + 2, 0))
    if l in ("die", "drain") and i + 1 < n:
        k = _skip(toks, i + 1, INTENSIFIERS)
        if k < n and toks[k].w in ("fast", "quickly", "quick", "soon", "easily"):
            if i > 0 and _content(toks[i - 1]) and toks[i - 1].l not in ("die", "drain"):
                out.append(Match(f"{toks[i - 1].w} dies fast", "failure", i - 1, k + 1, 0))
            else:
                out.append(Match("dies fast", "failure", i, k + 1, 1))
    if l == "take" and i + 1 < n and toks[i + 1].w in ("forever", "ages"):
        out.append(Match("took forever", "aspect", i, i + 2, 2))
    if l == "arrive" and i + 1 < n and (toks[i + 1].w in ("late", "broken", "damaged") or _negative(toks[i + 1])):
        out.append(Match(f"arrived {toks[i + 1].w}", "failure", i, i + 2, 1))
    if l in ("look", "feel", "seem") and i + 1 < n:
        # "feels cheap", "looks awful" (the lexicon says the word is negative)
        k = _skip(toks, i + 1, INTENSIFIERS - {"too"})
        if k < n and _negative(toks[k]) and _adjective_like(toks[k]) and not negated_before:
            verb = {"look": "looks", "feel": "feels", "seem": "looks"}[l]
            out.append(Match(f"{verb} {toks[k].w}", "aspect", i, k + 1, 2))
    if l == "make" and i + 2 < n and toks[i + 1].w in ("me", "us", "you") and toks[i + 2].l == "look":
        k = _skip(toks, i + 3, INTENSIFIERS | {"like", "i", "was", "am", "a", "an", "lot", "about"}, 5)
        if k < n and (_negative(toks[k]) or comparative_base(toks[k].w) is not None):
            out.append(Match(f"makes me look {toks[k].w}", "aspect", i, k + 1, 0))

    # aspect: "<thing> is/was [too] <adj>", "<thing> broke", "<negative adjective> <thing>"
    if _is_word(t) and (w not in STOP or w in PRONOUNS) and i + 1 < n:
        k = i + 1
        if toks[k].l == "be":
            k = _skip(toks, k + 1, INTENSIFIERS - {"too"})
            too = k < n and toks[k].w == "too"
            if too:
                k = _skip(toks, k + 1, INTENSIFIERS)
            if k < n and _is_word(toks[k]) and toks[k].w not in STOP and _content(t):
                adj = toks[k]
                a = adj.w
                if too and not _praise(adj) and (_adjective_like(adj)):
                    out.append(Match(f"{w} too {a}", "excess", i, k + 1, 1))
                elif not too and _negative(adj) and _adjective_like(adj):
                    out.append(Match(f"{a} {w}", "aspect", i, k + 1, 1))
                    # "the fabric is thin and cheap"
                    if k + 2 < n and toks[k + 1].w == "and" and _negative(toks[k + 2]) and _adjective_like(toks[k + 2]):
                        out.append(Match(f"{toks[k + 2].w} {w}", "aspect", k + 2, k + 3, 1))
        elif _content(t):
            k = _skip(toks, k, _BETWEEN, 1)
            if k < n and toks[k].l in BREAK_VERBS and (toks[k].w != toks[k].l or toks[k].w in ("split",)):
                verb = toks[k].l
                canon = BREAK_VERBS[verb]
                j = k + 1
                if verb in ("fall", "come"):
                    if j < n and toks[j].w == "off":
                        j += 1
                    else:
                        canon = ""
                if canon and not toks[k].w.endswith("ing"):
                    out.append(Match(f"{w} {canon}", "failure", i, j, 1))
    if _negative(t) and not t.w.endswith("ly") and _adjective_like(t) and i + 1 < n and _content(toks[i + 1]) \
            and _valence(toks[i + 1]) == 0 and not toks[i + 1].w.endswith(("ed", "ing")) and not negated_before \
            and not (i > 0 and toks[i - 1].w in PRONOUNS) \
            and toks[i + 1].w not in ("reviews", "review", "reviewers"):
        out.append(Match(f"{w} {toks[i + 1].w}", "aspect", i, i + 2, 2))  # "cheap material", "rude staff"
    return out


def tokens_from_text(text: str, offset: int = 0) -> list[Tok]:
    """Return tokens for ``text`` using spaCy's tokenizer and the lookup lemmas."""
    from vocmine.understand.nlp import get_english

    doc = get_english().tokenizer(text)
    return [Tok(x.lower_, lemma(x.lower_), offset + x.idx, offset + x.idx + len(x.text)) for x in doc]


def tokens_from_segment(tokens) -> list[Tok]:
    """Return internal tokens from Segment tokens (``text``, ``lemma``, ``start``, ``end``)."""
    out = []
    for t in tokens:
        w = t.text.lower()
        lem = (t.lemma or w).lower()
        if lem == w or lem == t.text:  # the lookup lemmatizer misses capitalised words: "Batteries"
            lem = lemma(w)
        out.append(Tok(w, lem, t.start, t.end))
    return out


def find(toks: list[Tok]) -> list[Match]:
    """Return non-overlapping matches, preferring higher priority (lower number) and longer spans."""
    cands: list[Match] = []
    for i in range(len(toks)):
        cands.extend(_match_at(toks, i))
    cands.sort(key=lambda m: (m.priority, -(m.j - m.i), m.i))
    taken: list[Match] = []
    for m in cands:
        if all(m.j <= o.i or m.i >= o.j for o in taken):
            taken.append(m)
    taken.sort(key=lambda m: m.i)
    # a match that starts at "n't" shows its whole written word: "wasn't flattering"
    return [m._replace(i=m.i - 1) if toks[m.i].w in ("n't", "nt") and m.i > 0 and toks[m.i - 1].end == toks[m.i].start
            else m for m in taken]
