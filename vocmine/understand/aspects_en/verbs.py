"""Candidate mentions built around verbs and nouns: failure verbs ("zipper broke"), negated verbs
("doesn't work", "never arrived"), lack ("no hot water", "not enough towels"), "not as X",
and time and money quantities ("waited N minutes", "charged twice")."""
from __future__ import annotations

from vocmine.understand.aspects_en.words import (
    AUX_NEG, CATENATIVE, DROP_ADV, FAIL_VERBS, LIGHT_VERBS, LONG_TIME, NEG_WORDS, NOT_MANNER,
    NOUN_TAGS, PHRASAL_FAIL, QUANTITY_SKIP, TIMES, _lemma, _lexicon,
)
from vocmine.understand.aspects_en.view import _View, _negated, _np, _quantities, _subject
from vocmine.understand.aspects_en.adjectives import _Cand, _expect_ref


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
           for k in v.kids[i]) or (mark := v.child(i, "mark")) is not None and v.low[mark] == "if":
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
    aspect: str | None = None
    stoks: list[int] = []
    first = True
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
    aspect = None
    stoks: list[int] = []
    first = True
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
