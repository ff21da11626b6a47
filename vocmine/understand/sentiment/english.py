"""English segment scores: VADER valences over segment tokens with negation, intensifiers,
contrast, expectation gaps, excess and lack, predicate adjectives and reported failure events."""
from __future__ import annotations

import re
from typing import Sequence

from vocmine.understand.segment import Token
from vocmine.understand.sentiment.base import _normalize
from vocmine.understand.sentiment.lexicons import english_lexicon, pattern_negatives


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
