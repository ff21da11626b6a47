"""The closed-class words and general-purpose lists the English aspect rules read (function
words, negators, intensifiers, expectation references, general failure verbs), the VADER valence
of a word and lookup lemmas. No product, aspect or domain words."""
from __future__ import annotations

import functools


# -- word lists (closed classes and general-purpose words only) ----------------------------------

@functools.lru_cache(maxsize=1)
def _lexicon():
    from vocmine.understand.sentiment import english_lexicon

    lex, negate, boosters = english_lexicon()
    return lex, negate, frozenset(boosters)


def _valence(word: str) -> float | None:
    """VADER valence of ``word`` (or its lemma); "un"/"in"/"non" + a positive word is negative."""
    lex = _lexicon()[0]
    val = lex.get(word)
    if val is None:
        val = lex.get(_lemma(word))
    if val is None:
        for pre in ("un", "non", "in", "im", "dis"):
            if word.startswith(pre) and len(word) > len(pre) + 3:
                rest = lex.get(word[len(pre):].lstrip("-"))
                if rest is not None and rest > 0:
                    return -rest
    return val


_LEMMA = None


def _lemma(word: str) -> str:
    global _LEMMA
    if _LEMMA is None:
        try:  # lookup lemmas from spacy-lookups-data, through the phrase patterns' table
            from vocmine.understand.phrases_en import lemma
        except ImportError:  # pragma: no cover - fall back to the word itself
            def lemma(word: str) -> str:
                return word

        _LEMMA = functools.lru_cache(maxsize=65536)(lemma)
    return _LEMMA(word)


# Failure / complaint verbs (general, not domain words): lemma -> past form used in opinions.
FAIL_VERBS = {
    "break": "broke", "stop": "stopped", "fail": "failed", "crash": "crashed", "leak": "leaked",
    "die": "died", "lose": "lost", "cancel": "cancelled", "delay": "delayed", "miss": "missed",
    "ignore": "ignored", "overcharge": "overcharged", "refuse": "refused", "freeze": "froze",
    "malfunction": "malfunctioned", "tear": "tore", "rip": "ripped", "crack": "cracked",
    "shrink": "shrank", "fade": "faded", "peel": "peeled", "damage": "damaged", "decline": "declined",
    "reject": "rejected", "block": "blocked", "disconnect": "disconnected", "lag": "lagged",
    "spoil": "spoiled", "forget": "forgot", "overheat": "overheated", "unravel": "unraveled",
    "fray": "frayed", "snap": "snapped", "jam": "jammed", "steal": "stole", "scam": "scammed",
    "rot": "rotted", "mold": "molded", "burn": "burned", "glitch": "glitched", "drain": "drained",
}
# Phrasal failure verbs (verb lemma, particle) -> opinion: "fell apart", "came off".
PHRASAL_FAIL = {("fall", "apart"): "fell apart", ("come", "apart"): "came apart", ("come", "off"): "came off",
                ("come", "undone"): "came undone", ("fall", "off"): "fell off", ("break", "down"): "broke down",
                ("wear", "out"): "wore out", ("wear", "off"): "wore off", ("give", "out"): "gave out"}
# Adverbs of time and degree that say nothing about how a failure happened ("crashed again").
NOT_MANNER = frozenset("again already still just ever even also too then now once yesterday today tonight "
                       "here there back away up down out off in immediately finally eventually suddenly "
                       "randomly completely totally literally actually apparently basically".split())
# General words for a long time, kept like a quantity ("took forever", "took ages").
LONG_TIME = frozenset(("forever", "ages", "eternity"))
BE_FORMS = frozenset("is was are were 's 're am be been being".split())
CATENATIVE = {"keep": "keeps", "stop": "stopped", "start": "started", "continue": "continues",
              "begin": "started"}
# Verbs of perception: "it looks cheap" says how the thing comes across (3rd-person forms).
PERCEPTION = {"look": "looks", "feel": "feels", "seem": "seems", "smell": "smells", "taste": "tastes",
              "sound": "sounds"}
# Copular verbs, dropped from adjective opinions when a thing is named ("the fabric feels thin").
COPULAR = frozenset("be seem become get look feel taste smell sound appear remain stay arrive come "
                    "turn go prove".split())
# Verbs whose adjective complement belongs to the opinion ("runs small", "fits tight").
KEEP_VERB = {"run": "runs", "fit": "fits"}
# Light and mental verbs not worth a "doesn't X" opinion.
LIGHT_VERBS = frozenset("be do know think want say see mean care understand believe expect seem need "
                        "mind worry hesitate remember realize realise notice bother try hope wish let tell "
                        "ask guess suppose matter feel imagine look go find figure".split())
# Verbs whose time/money quantities are not a complaint ("used it for 3 years").
QUANTITY_SKIP = frozenset("be have do use own wear buy order purchase get make eat drink "
                          "live stay work".split())
GENERAL_NOUNS = frozenset("thing things lot lots way time one ones bit stuff kind sort part something anything "
                          "everything nothing someone anyone everyone nobody none all other couple number "
                          "amount deal fact reason problem issue complaint worry doubt question idea matter "
                          "point end side piece type lack % star stars".split())
PRONOUN_TAGS = frozenset(("PRP", "PRP$", "WP", "WP$", "WDT", "EX"))
NOUN_TAGS = frozenset(("NN", "NNS", "NNP", "NNPS"))
ADJ_TAGS = frozenset(("JJ", "JJR", "JJS"))
VERB_TAGS = frozenset(("VB", "VBD", "VBG", "VBN", "VBP", "VBZ"))
NEG_WORDS = frozenset(("not", "n't", "never", "nt", "no"))
DROP_ADV = frozenset("very really so quite pretty extremely super way much a bit little slightly rather "
                     "somewhat kind sort of just even also totally completely absolutely incredibly "
                     "ridiculously terribly awfully overly far definitely seriously insanely unbelievably "
                     "noticeably significantly considerably tad always still".split())
TIME_UNITS = frozenset("second minute hour day week month year".split())
TIMES = {"twice": "twice", "thrice": "three times"}
# What "than" / "as" compares with when it is an expectation gap.
from vocmine.understand.phrases_en import EXPECT_REF as _EXPECT_REF  # the same reference names the patterns use

EXPECT_REF = dict(_EXPECT_REF)
for _w in ("expect", "expected", "think", "thought", "anticipated", "imagined", "hoped", "pictured",
           "advertised", "described", "shown", "listed", "stated", "usual", "normal", "promised"):
    EXPECT_REF.setdefault(_w, {"promised": "promised", "think": "expected", "thought": "expected"}.get(_w, _w))
THAN_WORDS = frozenset("i we she he you they it had have would 'd originally initially first what the a in on "
                       "my your was were is it 's i 'd seemed seems did do does expected".split())
_NEG_CONTRACTED = frozenset("isnt wasnt arent werent dont doesnt didnt cant couldnt wont wouldnt hasnt havent "
                            "hadnt shouldnt".split())
AUX_NEG = {"do": "doesn't", "does": "doesn't", "did": "didn't", "will": "won't", "wo": "won't",
           "can": "can't", "ca": "can't", "could": "couldn't", "would": "wouldn't", "has": "hasn't",
           "have": "hasn't", "had": "hadn't", "is": "isn't", "are": "isn't", "was": "wasn't",
           "were": "wasn't", "should": "shouldn't", "'s": "isn't", "am": "isn't", "'re": "isn't"}
