"""Sentiment and complaints per segment, English and Korean, offline by default.

``LexiconSentiment`` scores English with VADER's general lexicon (emoji valued by the words of
VADER's emoji descriptions), filling its gaps with the negative adjectives of pattern's general
lexicon that TextBlob ships ("the soup was cold", "the bread was stale"; read as predicates only,
see ``pattern_negatives``), and Korean with our own lexicon of Kiwi lemmas
(``lexicons/ko_polarity.tsv``). Both read the tokens that ``segment`` produced and handle
negation ("not bad", "안 좋다", "-지 않다", "문제 없다"), intensifiers, contrast inside a segment
and the complaint shapes that carry no negative word: expectation gaps ("heavier than expected",
"생각보다 무거워요"), excess or lack ("too small", "not warm enough", "너무 커요", "안 돼요") and,
in English, reported failure events ("my flight was delayed 2 hours", "they lost my bag", "on hold
for 45 minutes", "never arrived"). In social text @handles, #hashtags, URLs and "RT" carry no sentiment.
``TransformersSentiment`` runs a local text-classification model instead.

The item's rating, when given, is a prior: it tilts neutral segments, never flips a clear one;
in an item rated 1-2 of 5 every segment that leans negative by its own words is a complaint.
"""
from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol, Sequence

from vocmine.core.errors import ModelError
from vocmine.understand.segment import Segment, Token

log = logging.getLogger(__name__)

# Score thresholds on the -1..1 scale.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
COMPLAINT_AT = -0.38
# How far a rating can move a segment's score (a 1-star rating adds -RATING_WEIGHT).
RATING_WEIGHT = 0.3
# A prior at most this (a rating of 1-2 of 5, 1-3 of 10) makes any negative segment a complaint.
LOW_PRIOR = -0.5
# Weight of a negative clause that a contrast clause follows ("X but Y": X is conceded).
CONCEDED = 0.6
# A segment this clearly positive stays positive whatever the rating.
CLEAR = 0.35


@dataclass
class Judgement:
    """Sentiment of one segment: score in -1..1, its label, and whether it is a complaint."""

    score: float
    label: str
    complaint: bool


class Sentiment(Protocol):
    """Role: judge the segments of one feedback item."""

    name: str

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]: ...


def rating_prior(rating: float | None, rating_scale: float = 5) -> float:
    """Return the rating as a prior in -1..1 (1 star -> -1, top -> 1; 0 when there is none).

    A scale of 5 means ratings 1..5; a scale of 10 means 1..10.
    """
    if rating is None or rating_scale <= 1 or (isinstance(rating, float) and math.isnan(rating)):
        return 0.0
    p = (float(rating) - 1) / (rating_scale - 1)
    return max(-1.0, min(1.0, 2 * p - 1))


def decide(score: float, prior: float = 0.0) -> Judgement:
    """Return the judgement for a raw segment score and a rating prior (see ``rating_prior``)."""
    combined = score
    if prior and abs(score) < CLEAR:
        # a neutral or lukewarm segment leans the way the rating does
        combined = max(-1.0, min(1.0, score + RATING_WEIGHT * prior))
    if combined >= POSITIVE_AT:
        label = "positive"
    elif combined <= NEGATIVE_AT:
        label = "negative"
    else:
        label = "neutral"
    # in a review rated 1-2 of 5 a segment that leans negative by its own words is one of its complaints
    low = prior <= LOW_PRIOR and score <= NEGATIVE_AT
    return Judgement(round(combined, 4), label, combined <= COMPLAINT_AT or low)


def _concede(scores: Sequence[float], segments: Sequence[Segment]) -> list[float]:
    """Return the scores with conceded complaints softened.

    In "runs small but I love it" / "비싸지만 좋아요" the clause after the turn dominates, so the
    negative clause before it counts less.
    """
    out = list(scores)
    for k in range(len(out) - 1):
        if out[k] < 0 and segments[k + 1].joined_by:
            out[k] = scores[k] * CONCEDED
    return out


def _normalize(total: float) -> float:
    # VADER's normalisation: maps an unbounded sum of valences into -1..1
    return total / math.sqrt(total * total + 15) if total else 0.0


# -- lexicons ------------------------------------------------------------------------------------

def _read_tsv(name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    text = resources.files(__package__).joinpath("lexicons").joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, value = line.rsplit("\t", 1)
        out[term.strip()] = float(value)
    return out


@lru_cache(maxsize=None)
def english_lexicon() -> tuple[dict[str, float], frozenset[str], dict[str, float]]:
    """Return (word valences, negation words, booster increments) for English."""
    try:
        from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer
    except ImportError as exc:  # pragma: no cover - vaderSentiment is a core dependency
        raise ModelError("English sentiment needs VADER; pip install vaderSentiment") from exc
    analyzer = SentimentIntensityAnalyzer()
    lexicon = dict(analyzer.lexicon)
    # emoji: the valence of the words of VADER's own description ("thumbs down", "crying face")
    for emoji, description in getattr(analyzer, "emojis", {}).items():
        v = sum(lexicon.get(word, 0.0) for word in description.lower().split())
        if v:
            lexicon.setdefault(emoji, max(-3.0, min(3.0, v)))
    negate = frozenset(NEGATE) | {"n't", "not", "no", "never", "without", "nothing", "none", "hardly", "barely"}
    boosters = {k: v for k, v in BOOSTER_DICT.items() if " " not in k}
    for w in ("too", "enough", "more", "less", "kind", "sort"):  # handled as patterns, not boosters
        boosters.pop(w, None)
    return lexicon, negate, boosters


# Pattern's polarity (-1..1) times this is VADER's valence: the median ratio over the 217 words
# both lexicons hold whose every pattern sense is negative (VADER agrees on the sign of 95% of them).
PATTERN_SCALE = 3.5


def _pattern_xml() -> str:
    """Return the text of TextBlob's ``en/en-sentiment.xml`` without importing textblob (and nltk)."""
    import importlib.util

    spec = importlib.util.find_spec("textblob")
    where = list(spec.submodule_search_locations or ()) if spec else []
    for folder in where:
        path = os.path.join(folder, "en", "en-sentiment.xml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                return fh.read()
    raise ModelError("English sentiment needs the pattern polarity lexicon that ships in textblob "
                     "(textblob/en/en-sentiment.xml); pip install textblob")


@lru_cache(maxsize=None)
def pattern_negatives() -> dict[str, float]:
    """Return {adjective: VADER-scale valence} for the words pattern's lexicon marks negative in every sense.

    Pattern (De Smedt & Daelemans; shipped in TextBlob) rates adjectives per WordNet sense. A word
    counts only when all its senses are negative: "cold" and "stale" do, "small" and "tight"
    (negative in some senses, neutral in others) do not; their complaints are "too small", "runs small".
    """
    import xml.etree.ElementTree as ET

    senses: dict[str, list[float]] = {}
    for el in ET.fromstring(_pattern_xml()).iter("word"):
        form = (el.get("form") or "").strip().lower()
        if form and " " not in form:
            senses.setdefault(form, []).append(float(el.get("polarity") or 0.0))
    return {w: round(PATTERN_SCALE * sum(ps) / len(ps), 3) for w, ps in senses.items() if max(ps) < 0}


@lru_cache(maxsize=None)
def korean_lexicon() -> tuple[dict[str, float], dict[str, float]]:
    """Return (single-unit valences, phrase valences keyed "a b" or "a b c") for Korean."""
    single: dict[str, float] = {}
    pairs: dict[str, float] = {}
    for term, value in _read_tsv("ko_polarity.tsv").items():
        (pairs if " " in term else single)[term] = value
    return single, pairs


# -- English -------------------------------------------------------------------------------------

# After "X-er than": what makes it an expectation gap ("than expected", "than I thought").
_EN_EXPECT = frozenset(("expected", "expecting", "anticipated", "pictured", "imagined", "advertised", "i", "it",
                        "the", "they", "what", "in", "on", "shown", "described", "usual", "normal", "my", "thought",
                        "hoped", "listed", "stated", "other", "previous", "most", "typical"))
_EN_COMPARATIVE_IRREGULAR = frozenset(("worse", "better", "less", "more"))
# Comparatives that are praise in a gap ("lighter than expected"); the lexicon has no valence for them.
_EN_GOOD_COMPARATIVE = frozenset(("lighter", "faster", "quicker", "quieter", "cheaper", "sturdier", "stronger",
                                  "softer", "warmer", "brighter", "easier", "smoother", "nicer", "comfier", "roomier",
                                  "cuter", "prettier", "sooner", "earlier", "cozier", "thicker", "better"))
_EN_SIZE = frozenset(("small", "large", "big", "short", "long", "tight", "narrow", "wide", "true", "tts", "big.",
                      "smaller", "larger", "bigger", "snug", "loose", "huge", "tiny", "baggy"))
_EN_SOFTENERS = frozenset(("a", "bit", "little", "slightly", "very", "really", "quite", "so", "super", "extremely",
                           "pretty", "rather", "somewhat", "kind", "of", "sort", "way", "too"))
_EN_CONTRAST = frozenset(("but", "however", "though", "although", "yet", "except", "unfortunately"))
# Words that start one of the complaint patterns in score_english (checked before the lexicon).
_EN_SPECIAL = frozenset(("too", "run", "runs", "ran", "running", "enough", "want", "hopes", "send", "go", "going",
                         "justice", "wrong", "worth", "work", "works", "worked", "flattering", "me", "fit",
                         "fits", "quality"))
_EN_FUNCTION = frozenset(("when", "if", "and", "but", "so", "as", "because", "since", "i", "it", "the", "a", "an",
                          "to", "for", "with", "in", "on", "at", "of", "or", "she", "he", "we", "they", "you", "my",
                          "this", "that", "is", "was", "are", "were", "be", "haha", "lol"))
# After "too" these stay praise ("too cute to pass up"); other words name an excess ("too big").
_EN_EXCESS_OK = frozenset(("good", "cute", "pretty", "great", "beautiful", "gorgeous", "perfect", "nice", "adorable",
                           "comfortable", "soft", "lovely"))


def _softened(words: list[str], i: int) -> float:
    """Return 0.6 when a hedge precedes position ``i`` ("a little small", "slightly too long"), else 1."""
    window = words[max(0, i - 3):i]
    return 0.6 if ("little" in window or "bit" in window or "slightly" in window or "tad" in window) else 1.0


def _en_valence(lex: dict[str, float], words: list[str], lemmas: list[str], i: int) -> float:
    v = lex.get(words[i])
    if v is None:
        v = lex.get(lemmas[i], 0.0)
    return v


# Words that may stand between a copula and its adjective: "was (not) (very) cold", "is a bit cheap".
_EN_PRED_FILL = frozenset(("a", "bit", "little", "tad", "slightly", "very", "really", "quite", "so", "super", "pretty",
                           "rather", "somewhat", "kind", "sort", "of", "way", "extremely", "also", "still", "just",
                           "always", "even", "all", "now", "often", "usually", "already", "too", "not", "n't", "never",
                           "bit.", "overly", "fairly", "incredibly", "totally", "completely", "and", ","))
_EN_HEDGES = frozenset(("bit", "little", "tad", "slightly", "somewhat"))
HEDGED = -1.1  # "is a bit X" with X unknown to both lexicons: a mild complaint (hedges go with faults)


def _en_predicative(words: list[str], lemmas: list[str], i: int) -> int | None:
    """Return the index of the copula that word ``i`` is the predicate of ("was cold", "is a bit thin"), else None."""
    k = i - 1
    while k >= 0 and i - k <= 5 and words[k] in _EN_PRED_FILL:
        k -= 1
    if k >= 0 and (lemmas[k] == "be" or words[k] in ("'s", "'re", "seems", "seemed", "felt", "tastes", "tasted",
                                                      "smells", "smelled", "got", "became")):
        return k
    return None


def _en_predicate_valence(pattern: dict[str, float], words: list[str], lemmas: list[str], i: int) -> float:
    """Return the valence of a word VADER lacks, read only as a predicate adjective.

    Pattern's lexicon rates adjectives, so its word counts only where the word is used as one
    after a copula ("the soup was cold", "the fabric is thin"), not in "works with chicken" or
    "based on". A predicate unknown to both lexicons after a hedge ("is a bit cheap") is a mild complaint.
    """
    if _en_predicative(words, lemmas, i) is None:
        return 0.0
    v = pattern.get(words[i], 0.0)
    if v:
        return v
    w = words[i]
    if w[:1].isalpha() and w not in _EN_FUNCTION and w not in _EN_PRED_FILL and w not in _EN_SOFTENERS \
            and w not in _EN_SPECIAL and not (i + 1 < len(words) and words[i + 1] in ("than", "of")) and any(
            x in _EN_HEDGES for x in words[max(0, i - 3):i]):
        return HEDGED
    return 0.0


def _en_content_tokens(tokens: Sequence[Token]) -> list[Token]:
    """Return the tokens without social-media markup: @handles, #hashtags, URLs and "RT"."""
    out: list[Token] = []
    drop_next_at = None
    for t in tokens:
        text = t.text
        if drop_next_at is not None and t.start == drop_next_at:
            drop_next_at = None
            continue  # the word of "#fail" or "@ united" that the tokenizer split off
        drop_next_at = None
        low = text.lower()
        if text in ("#", "@"):
            drop_next_at = t.end
            continue
        if (text[:1] in ("@", "#") and len(text) > 1) or low == "rt" or _URL.match(low):
            continue
        out.append(t)
    return out


_URL = re.compile(r"^(?:https?://|www\.|[a-z0-9-]+\.(?:com|co|org|net|ly|io|me|gl)(?:/|$))")

# Failure events a sentence can report with no angry word ("my flight was delayed 2 hours").
# General event verbs only, by lemma; the thing that failed is never listed.
_EN_EVENT_LEMMAS = frozenset(("delay", "cancel", "lose", "strand", "overcharge", "overbook", "misplace"))
_EN_EVENT_WORDS = frozenset(("delayed", "delay", "delays", "cancelled", "canceled", "cancelation", "cancellation",
                             "lost", "lose", "loses", "losing", "missed", "stranded", "stuck", "overcharged",
                             "overbooked", "misplaced", "double-charged", "overcharging"))
# "never arrived", "hasn't arrived", "still not received": expected things that did not happen.
_EN_ARRIVE = frozenset(("arrive", "receive", "come", "show", "deliver", "reply", "respond", "answer", "ship", "refund",
                        "arrived", "received", "came", "showed", "delivered", "replied", "responded", "answered",
                        "shipped", "refunded", "arrives", "comes", "shows"))
_EN_DURATION = frozenset(("minutes", "minute", "mins", "min", "hours", "hour", "hrs", "hr", "days", "day", "weeks",
                          "week", "months", "month", "forever", "ages", "hour.", "years"))
_EN_AGAIN = frozenset(("twice", "again", "double", "two", "thrice"))
_EN_EVENT_NEG = frozenset(("not", "n't", "no", "without", "never", "wasn't", "weren't", "isn't", "aren't", "didn't",
                           "zero", "nt", "wasnt", "werent", "isnt", "didnt", "hardly", "barely"))


def _event_triggers() -> frozenset[str]:
    return (_EN_EVENT_WORDS | _EN_EVENT_LEMMAS | _EN_ARRIVE
            | frozenset(("refund", "refunds", "refunded", "return", "returned", "returning", "returns", "hold",
                         "wait", "waiting", "waited", "waits", "charge", "charged", "charges", "billed")))


def _en_events(words: list[str], lemmas: list[str], negate: frozenset[str]) -> dict[int, float]:
    """Return {token index: valence} for reported failure events in one English segment.

    A negated event ("wasn't delayed", "no delays") counts as mild relief, not a complaint.
    """
    out: dict[int, float] = {}
    if _EN_EVENT_TRIGGERS.isdisjoint(words) and _EN_EVENT_TRIGGERS.isdisjoint(lemmas):
        return out  # most segments: no event word at all
    n = len(words)
    for i, w in enumerate(words):
        lem = lemmas[i]
        if w not in _EN_EVENT_TRIGGERS and lem not in _EN_EVENT_TRIGGERS:
            continue
        before = words[max(0, i - 3):i]
        negated = any(x in _EN_EVENT_NEG or x in negate for x in before) and "," not in before
        if w in _EN_EVENT_WORDS or (lem in _EN_EVENT_LEMMAS and w not in ("lose", "loses")):
            if w in ("lose", "loses", "losing") and not (i + 1 < n and words[i + 1] in ("my", "our", "your", "the")):
                continue  # "you can't lose", "lose weight": only "lose my ..." is an event
            if w == "stuck" and i + 1 < n and words[i + 1] in ("with", "to"):
                continue  # "stuck with it", "stuck to the plan"
            out[i] = 0.4 if negated else -2.2
        elif lem == "refund" or w in ("refund", "refunds", "refunded") or (
                (lem == "return" or w in ("return", "returned", "returning", "returns")) and i + 1 < n
                and words[i + 1] in ("it", "them", "this", "these", "the", "my", "both", "all", "everything")):
            out[i] = 0.0 if negated else -2.2  # "returned it", "will be returning this", "asked for a refund"
        elif w == "hold" and i > 0 and words[i - 1] == "on":
            out[i] = 0.0 if negated else -2.0  # "been on hold for 45 minutes"
        elif lem == "wait" or w in ("waiting", "waited", "wait"):
            ahead = words[i + 1:i + 8]
            if "still" in before or any(x in _EN_DURATION for x in ahead) and any(
                    x[:1].isdigit() or x in ("an", "a", "over", "forever", "ages", "hours", "days", "weeks", "months")
                    for x in ahead):
                out[i] = 0.0 if negated and "still" not in before else -2.0  # "still waiting", "waited 3 hours"
        elif lem == "charge" or w in ("charged", "billed"):
            if any(x in _EN_AGAIN for x in words[i + 1:i + 3]):
                out[i] = -2.2  # "charged twice", "billed again"
        elif (lem in _EN_ARRIVE or w in _EN_ARRIVE) and any(
                x in ("never", "yet", "still") or x in ("hasn't", "haven't", "hasnt", "havent", "didn't", "didnt",
                                                          "not", "n't", "nt")
                for x in words[max(0, i - 3):i]) and "," not in words[max(0, i - 3):i]:
            if lem in ("come", "show") and i + 1 < n and words[i + 1] in ("with", "in", "as", "close"):
                continue  # "didn't come with instructions", "never came close"
            out[i] = -2.2 if "never" in words[max(0, i - 3):i] else -2.0
    return out


_EN_EVENT_TRIGGERS = _event_triggers()


def score_english(tokens: Sequence[Token], lexicon: dict[str, float] | None = None) -> float:
    """Return the polarity of one English segment in -1..1.

    ``lexicon`` replaces VADER's word valences (``LexiconSentiment`` passes VADER's plus the
    words learned from the workspace's ratings, see ``learned.py``).
    """
    lex, negate, boosters = english_lexicon()
    if lexicon is not None:
        lex = lexicon
    pattern = pattern_negatives()
    toks = [t for t in _en_content_tokens(tokens) if t.pos != "PUNCT" or t.text in (",", ";")]
    words = [t.text.lower() for t in toks]
    lemmas = [(t.lemma or t.text).lower() for t in toks]
    n = len(words)
    vals = [0.0] * n
    skip: set[int] = set()
    for i, v in _en_events(words, lemmas, negate).items():
        vals[i] = v
        skip.add(i)
    for i, w in enumerate(words):
        if i in skip:
            continue
        lem = lemmas[i]
        nxt = words[i + 1] if i + 1 < n else ""
        # expectation gap: "heavier than expected", "more sheer than I thought", "worse than pictured"
        if nxt == "than" and i + 2 < n and words[i + 2] in _EN_EXPECT and (
                (w.endswith(("er", "ier")) and len(w) > 4) or w in _EN_COMPARATIVE_IRREGULAR
                or (i > 0 and words[i - 1] in ("more", "less"))):
            base = 1.0 if w in _EN_GOOD_COMPARATIVE else _en_valence(lex, words, lemmas, i)
            if i > 0 and words[i - 1] in ("more", "less"):
                base = lex.get(w, 0.0) * (1 if words[i - 1] == "more" else -1)
                vals[i - 1] = 0.0
            if w == "less":
                base = -1.0
            vals[i] = 1.5 + 0.3 * base if base > 0.5 else -2.2
            if any(x in ("feared", "worried", "thought it would be") for x in words[i + 2:i + 5]):
                vals[i] = 1.0  # "smoother than I feared"
            skip.update((i + 1, i + 2))
            continue
        if w in _EN_SPECIAL or lem in _EN_SPECIAL:  # the patterns below start at one of these words
            # excess: "too small", "too much", "way too big" (but "too cute to pass up" is praise)
            if w == "too" and nxt and nxt[0].isalpha() and nxt not in ("much", "many") and nxt not in _EN_FUNCTION:
                base = _en_valence(lex, words, lemmas, i + 1)
                if nxt == "bad":
                    vals[i + 1] = -1.0  # "too bad": a pity, not an excess
                elif nxt in _EN_EXCESS_OK or base > 1.5:
                    vals[i + 1] = base
                elif any(x in negate for x in words[max(0, i - 5):i]):
                    vals[i + 1] = 0.3  # "not too clingy", "didn't want it to be too baggy"
                else:
                    vals[i + 1] = min(-1.8, base - 1.0) * _softened(words, i)
                skip.add(i + 1)
                continue
            if w == "too" and nxt in ("much", "many"):
                vals[i] = -1.2
                continue
            # fit: "runs small", "runs a bit large", "sized up", "size down"
            if lem == "run" or w in ("runs", "ran", "running"):
                j = i + 1
                while j < n and words[j] in _EN_SOFTENERS:
                    j += 1
                if j < n and words[j] in _EN_SIZE and words[j] not in ("true", "tts"):
                    vals[j] = -1.8 * _softened(words, j)
                    skip.update(range(i + 1, j + 1))
                    continue
            # lack: "not X enough"
            # ("can't say enough good things", "can't get enough of it" are praise)
            if w == "enough" and any(x in negate for x in words[max(0, i - 4):i]) \
                    and not (i + 1 < n and _en_valence(lex, words, lemmas, i + 1) > 0) \
                    and not any(x in ("can't", "cannot", "couldn't", "ca", "could") for x in words[max(0, i - 4):i]):
                vals[i] = -1.2
                continue
            # disappointed hope: "I wanted to love this", "had high hopes", "really wanted"
            if lem == "want" and i + 2 < n and nxt == "to" and lemmas[i + 2] in ("love", "like", "keep", "adore"):
                vals[i] = -2.5
                skip.add(i + 2)
                continue
            if w == "hopes" and i > 0 and words[i - 1] == "high":
                vals[i] = -1.5
                continue
            # sending it back is the clearest complaint there is
            if lem == "send" and "back" in words[i + 1:i + 4]:
                vals[i] = -2.2
                continue
            if (lem == "go" or w == "going") and nxt == "back":
                vals[i] = -2.0
                continue
            negated = any(x in negate for x in words[max(0, i - 3):i])
            if negated and (w == "justice" or (w == "wrong" and "go" in words[max(0, i - 2):i])):
                vals[i] = 1.8  # "the photos don't do it justice", "you can't go wrong"
                continue
            if negated and (w in ("worth", "work", "works", "worked", "flattering", "fit", "fits", "quality")
                            or lem == "work"):
                vals[i] = -2.0  # "not worth the money", "didn't work for me", "didn't fit right"
                continue
            if w == "quality" and i > 0 and words[i - 1] in ("low", "poor", "cheap", "bad", "terrible", "lower"):
                vals[i - 1], vals[i] = 0.0, -2.2
                continue
            if w == "me" and i >= 2 and words[i - 1] == "for" and words[i - 2] == "not":
                vals[i] = -1.8  # "not for me"
                continue
        v = _en_valence(lex, words, lemmas, i)
        if v == 0.0 and w not in lex:
            v = _en_predicate_valence(pattern, words, lemmas, i)
        if v == 0.0 or (nxt in ("reviews", "review", "reviewers") and v < 0):
            continue  # "the bad reviews" are about other people's opinions
        # boosters in the two words before: "very comfortable", "slightly small"
        for k in (i - 1, i - 2):
            if k >= 0 and words[k] in boosters:
                b = boosters[words[k]]
                v += b if v > 0 else -b
        # negation in the three words before: "not comfortable", "no complaints", "didn't disappoint"
        neg_at = next((k for k in (i - 1, i - 2, i - 3) if k >= 0 and words[k] in negate
                       and "," not in words[k + 1:i]), None)
        if neg_at is not None:
            if v > 0 and (w.endswith("er") or w in ("more", "better")) and words[i - 1] in ("be", "been", "get"):
                pass  # "couldn't be happier", "can't get better": praise, not negated praise
            else:
                v *= -0.9 if v > 0 else -0.74  # "not good" is a complaint, "not bad" only mild praise
        vals[i] = v
    # contrast inside a segment ("cute but small" as one segment): what follows weighs more
    for i, w in enumerate(words):
        if w in _EN_CONTRAST and 0 < i < n - 1:
            for k in range(i):
                vals[k] *= 0.5
            for k in range(i + 1, n):
                vals[k] *= 1.5
            break
    return _normalize(sum(vals))


# -- Korean --------------------------------------------------------------------------------------

_KO_PRED = ("VA", "VV", "VX", "XSA", "XSV", "VCN")
_KO_NOUNISH = ("NNG", "NNP", "XR", "SL", "NNB")
_KO_INTENSIFIERS = {"너무": 1.4, "진짜": 1.4, "완전": 1.4, "정말": 1.4, "아주": 1.3, "엄청": 1.4, "매우": 1.3,
                    "넘": 1.3, "되게": 1.3, "참": 1.2, "꽤": 1.1, "많이": 1.2, "굉장히": 1.4, "무척": 1.3, "제일": 1.3,
                    "개": 1.4, "존나": 1.5, "졸라": 1.5, "진심": 1.3, "레알": 1.3}
_KO_EXCESS = frozenset(("너무", "넘", "지나치게", "과하게", "심하게"))
# Bases of "X보다" that make an expectation gap: 생각보다, 사진보다, 기대보다, 예상보다 ...
_KO_EXPECT = frozenset(("생각", "사진", "기대", "예상", "상상", "화면", "상세", "설명", "후기", "리뷰", "광고", "모델", "평소"))
# Gradable adjectives that are neutral alone but a complaint with 너무 or after 생각보다.
_KO_GRADABLE = frozenset(("크다", "작다", "길다", "짧다", "두껍다", "얇다", "무겁다", "넓다", "좁다", "높다", "낮다",
                          "진하다", "연하다", "밝다", "어둡다", "딱딱하다", "세다", "약하다", "많다", "적다", "뜨겁다",
                          "차갑다", "달다", "짜다", "맵다", "늦다", "느리다", "빡빡하다", "헐렁하다", "타이트하다",
                          "크게", "작게", "비싸다", "뻣뻣하다", "미끄럽다", "시끄럽다", "흐리다"))
_KO_SIZE_ADJ = frozenset(("크다", "작다", "길다", "짧다", "넓다", "좁다", "끼다", "헐렁하다", "타이트하다"))
_KO_FIT_NOUNS = frozenset(("사이즈", "품", "기장", "소매", "허리", "핏", "치수", "총장", "어깨", "팔", "바지", "신발", "발볼"))
# Neutral verbs whose negation ("안 돼요", "안 와요", "안 켜져요") reports a failure.
_KO_FAIL_VERBS = frozenset(("되다", "오다", "맞다", "열리다", "닫히다", "켜지다", "꺼지다", "작동하다", "작동되다",
                            "움직이다", "나오다", "들어가다", "붙다", "잠기다", "충전되다", "연결되다", "인식되다",
                            "돌아가다", "들리다", "보이다", "먹히다", "빠지다", "가다", "도착하다", "잡히다", "맞추다"))
_KO_CONTRAST_EC = frozenset(("지만", "는데", "ᆫ데", "은데", "던데", "으나"))
_KO_NEG_VX = frozenset(("않다", "못하다"))


def _ko_units(tokens: Sequence[Token]) -> list[tuple[str, str, bool]]:
    """Return (lemma, kind, contrast-after) units: content morphemes with particles dropped.

    kind is "pred" (verb/adjective), "neg_vx" (-지 않다/못하다), "noun", "adv", "emo" or
    "other"; noun + 하다/스럽다 written together becomes one predicate ("불편하다").
    """
    units: list[tuple[str, str, bool]] = []
    prev_tag = ""
    for t in tokens:
        tag = t.pos
        turn = tag == "EC" and t.text in _KO_CONTRAST_EC or (tag == "NNB" and t.text == "데" and prev_tag == "ETM")
        prev_tag = tag
        if turn:  # "-지만", "-는데", and "-는 데" as Kiwi sometimes splits it ("빨았는데")
            if units:
                units[-1] = (units[-1][0], units[-1][1], True)
        elif units and units[-1][1] == "prefix" and tag.startswith("NN"):
            units[-1] = (units[-1][0] + t.text, "noun", False)  # "재구매", "불만족"
        elif tag.startswith(("XSA", "XSV")) and units and units[-1][1] == "noun":
            base = units.pop()[0]
            units.append((base + (t.lemma if t.lemma.endswith("다") else t.lemma + "다"), "pred", False))
        elif tag == "VX" and t.lemma in _KO_NEG_VX:
            units.append((t.lemma, "neg_vx", False))
        elif tag.startswith(_KO_PRED) or tag == "VCN":
            units.append((t.lemma, "pred", False))
        elif tag == "NNB" and t.text == "점" and units and units[-1][1] == "num":
            units[-1] = ("점수" + units[-1][0], "score", False)
        elif tag == "SN":
            units.append((t.text, "num", False))
        elif tag.startswith(_KO_NOUNISH) or tag == "IC":
            units.append((t.text, "noun", False))
        elif tag.startswith("MA"):
            units.append((t.text, "adv", False))
        elif tag in ("SW", "W_EMOJI") or (tag.startswith("S") and t.text in ("^^", "ㅡㅡ", "-_-")):
            units.append((_emo(t.text), "emo", False))
        elif tag == "XPN" and t.text in ("재", "비", "불", "무", "노"):
            units.append((t.text, "prefix", False))
        elif tag == "JKB" and t.text == "보다" and units and units[-1][0] in _KO_EXPECT:
            units[-1] = ("생각보다", "expect", False)
    return units


def _emo(text: str) -> str:
    s = set(text)
    if s <= {"ㅠ", "ㅜ"}:
        return "ㅠㅠ"
    if s <= {"ㅋ"}:
        return "ㅋㅋ"
    if s <= {"ㅎ"}:
        return "ㅎㅎ"
    if s <= {"ㅡ"}:
        return "ㅡㅡ"
    return text


def score_korean(tokens: Sequence[Token]) -> float:
    """Return the polarity of one Korean segment in -1..1."""
    single, pairs = korean_lexicon()
    units = _ko_units(tokens)
    n = len(units)
    vals = [0.0] * n
    contrast_at = None
    for i, (lemma, kind, turn) in enumerate(units):
        if turn and contrast_at is None and i < n - 1:
            contrast_at = i
        v = single.get(lemma, 0.0)
        # phrases: "배송 늦다", "기대 이하", "노 잼" (Kiwi splits 노잼), also across one adverb
        # ("배송이 좀 늦어요"), and three units ("재구매 의사 없다")
        paired = False
        triple = pairs.get(f"{units[i - 2][0]} {units[i - 1][0]} {lemma}") if i >= 2 else None
        if triple is not None:  # "말 안 되다", "재구매 의사 없다"
            vals[i - 2] = vals[i - 1] = 0.0
            v, paired = triple, True
        for back in (1, 2):
            if paired:
                break
            if i >= back and (back == 1 or units[i - 1][1] == "adv"):
                pair = pairs.get(units[i - back][0] + " " + lemma)
                if pair is not None:
                    vals[i - back], v, paired = 0.0, pair, True
        if paired:  # the phrase already says it all ("말도 안 되다", "배송 늦다")
            vals[i] = v
            continue
        if kind == "score":
            # "1점", "10점": a grade out of 10 written in the text
            points = float(lemma[2:]) if lemma[2:].isdigit() else 5.0
            vals[i] = -2.0 if points <= 3 else (1.5 if 8 <= points <= 10 else 0.0)
            continue
        if kind == "emo" or kind == "expect":
            vals[i] = v
            continue
        if kind == "neg_vx":
            # "-지 않다"/"-지 못하다" negates the predicate before it; a neutral one fails ("작동하지 않아요")
            if i > 0:
                prev_v = vals[i - 1]
                vals[i - 1] = (-0.9 if prev_v > 0 else -0.8) * prev_v if prev_v else -1.0
            continue
        if lemma in ("없다", "없이") and i > 0 and units[i - 1][1] == "noun":
            base = single.get(units[i - 1][0], 0.0)
            vals[i - 1] = 0.0
            vals[i] = -base  # "문제 없다" is praise, "재미 없다" a complaint
            continue
        if kind == "pred" and lemma == "있다" and i > 0 and units[i - 1][1] == "noun":
            continue  # "재미 있다", "문제 있다": the noun already carries it
        if kind == "pred" and lemma in _KO_SIZE_ADJ and any(u[0] in _KO_FIT_NOUNS for u in units[max(0, i - 3):i]):
            vals[i] = -1.8  # "사이즈가 작아요", "기장이 길어요": a fit complaint without a negative word
            continue
        if kind == "pred":
            before = [u[0] for u in units[max(0, i - 2):i] if u[1] == "adv"]
            if "안" in before or "못" in before:
                for k in range(max(0, i - 2), i):
                    if units[k][0] == "잘":
                        vals[k] = 0.0  # "잘 안 돼요": "well" is negated too
                if not v and lemma in ("하다", "되다") and i > 1 and units[i - 2][1] == "noun" \
                        and single.get(units[i - 2][0]):
                    # "후회 안 해요": the noun's polarity is what is negated
                    vals[i - 2] = -0.8 * vals[i - 2]
                    continue
                # "안 좋다" flips; "안 돼요", "안 와요": a device or delivery that fails
                v = -0.9 * v if v > 0 else -0.8 * v if v else (-1.8 if lemma in _KO_FAIL_VERBS else 0.0)
            elif i > 0 and units[i - 1][1] == "expect":
                # "생각보다 무거워요" is a complaint unless the adjective is a good one
                v = v * 1.2 if v > 0.5 else -1.8
            elif any(b in _KO_EXCESS for b in before) and (lemma in _KO_GRADABLE or v < 0):
                v = min(-1.8, v * 1.5)  # "너무 커요": excess
            elif any(b in _KO_INTENSIFIERS for b in before):
                v *= max(_KO_INTENSIFIERS.get(b, 1.0) for b in before)
        elif kind in ("noun", "adv") and v:
            if i > 0 and units[i - 1][0] in _KO_INTENSIFIERS:
                v *= _KO_INTENSIFIERS[units[i - 1][0]]
        vals[i] = v
    if contrast_at is not None:  # "-지만"/"-는데" inside one segment: the clause after dominates
        for k in range(contrast_at + 1):
            vals[k] *= 0.5
        for k in range(contrast_at + 1, n):
            vals[k] *= 1.5
    return _normalize(sum(vals))


# -- implementations -----------------------------------------------------------------------------

class LexiconSentiment:
    """Offline sentiment: VADER's lexicon for English, vocmine's Kiwi-lemma lexicon for Korean."""

    name = "lexicon"

    def __init__(self, learned: dict[str, float] | None = None) -> None:
        self.learned: dict[str, float] = {}
        self._lexicon: dict[str, float] | None = None
        if learned:
            self.learn(learned)

    def learn(self, words: dict[str, float]) -> None:
        """Add English words with their valences (learned from a workspace's ratings) to VADER's."""
        self.learned = dict(words)
        self._lexicon = {**english_lexicon()[0], **self.learned} if self.learned else None

    def known_words(self) -> frozenset[str]:
        """The English words the lexicons already rate, and the function words: never learned."""
        lex, negate, boosters = english_lexicon()
        return frozenset(lex) | frozenset(pattern_negatives()) | negate | frozenset(boosters) | _EN_FUNCTION \
            | _EN_PRED_FILL | _EN_SPECIAL | _EN_SOFTENERS

    def score(self, segment: Segment) -> float:
        """Return the raw polarity of one segment in -1..1 (no rating involved)."""
        if segment.lang == "ko":
            return score_korean(segment.tokens)
        return score_english(segment.tokens, self._lexicon)

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]:
        """Return one judgement per segment of one feedback item, using its rating as a prior."""
        prior = rating_prior(rating, rating_scale)
        return [decide(s, prior) for s in _concede([self.score(s) for s in segments], segments)]


class TransformersSentiment:
    """Sentiment from a local transformers text-classification model directory.

    Labels are mapped to polarity by name ("negative", "neutral", "positive", "1 star" ..
    "5 stars") or, for unnamed labels (LABEL_0, LABEL_1, ...), by position: two labels are
    negative/positive, three negative/neutral/positive, five are star ratings.
    """

    name = "transformers"

    def __init__(self, path: str, device: str = "cpu", batch_size: int = 32) -> None:
        self.path = path
        self.device = device
        self.batch_size = batch_size
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise ModelError("TransformersSentiment needs transformers and torch; "
                             "pip install transformers torch==2.13.0") from exc
        if not os.path.isdir(path):
            raise ModelError(f"sentiment model directory {path!r} does not exist")
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model_ = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load a text-classification model from {path!r}: {exc}") from exc
        self.model_.to(device)
        self.model_.eval()
        log.info("loaded sentiment model %s (%d labels) on %s", path, self.model_.config.num_labels, device)
        self.polarity_ = label_polarities(self.model_.config.id2label)

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Return a polarity in -1..1 per text: the expected label polarity under the model."""
        import torch

        out: list[float] = []
        weights = torch.tensor(self.polarity_, dtype=torch.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i:i + self.batch_size])
            enc = self.tokenizer_(batch, padding=True, truncation=True, max_length=256, return_tensors="pt")
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.no_grad():
                probs = self.model_(**enc).logits.float().softmax(-1).cpu()
            out.extend((probs * weights).sum(-1).tolist())
        return out

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]:
        """Return one judgement per segment of one feedback item, using its rating as a prior."""
        if not segments:
            return []
        prior = rating_prior(rating, rating_scale)
        scores = _concede(self.scores([seg.text for seg in segments]), segments)
        return [decide(s, prior) for s in scores]


_NAMED = (("neg", -1.0), ("bad", -1.0), ("neu", 0.0), ("pos", 1.0), ("good", 1.0))


def label_polarities(id2label: dict) -> list[float]:
    """Return the polarity (-1..1) of each label index of a classifier's ``id2label``."""
    labels = [str(id2label[i]).lower() for i in sorted(id2label, key=int)]
    pols: list[float | None] = []
    for lab in labels:
        star = re.match(r"(\d)\s*star", lab)
        if star:
            pols.append((int(star.group(1)) - 3) / 2)
            continue
        pols.append(next((p for key, p in _NAMED if key in lab), None))
    if all(p is not None for p in pols):
        return [float(p) for p in pols if p is not None]  # (all are: the filter narrows the type)
    by_count = {2: [-1.0, 1.0], 3: [-1.0, 0.0, 1.0], 5: [-1.0, -0.5, 0.0, 0.5, 1.0]}
    if len(labels) in by_count:
        return by_count[len(labels)]
    raise ModelError(f"cannot map labels {labels} to sentiment; name them negative/neutral/positive "
                     "or use a model with 2, 3 or 5 labels")


def get_sentiment(name_or_path: str | None = None):
    """Return a sentiment judge: "lexicon" (default) or a local transformers model directory."""
    if name_or_path is None or name_or_path == "lexicon":
        return LexiconSentiment()
    if os.path.isdir(name_or_path):
        return TransformersSentiment(name_or_path)
    raise ModelError(f"unknown sentiment model {name_or_path!r}; available: lexicon, "
                     "or the path of a local transformers text-classification model directory")
