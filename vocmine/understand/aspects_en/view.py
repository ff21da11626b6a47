"""A per-doc view of a parsed sentence (tags, heads, children) and the noun phrases, subjects,
negations and quantities the rules read off it."""
from __future__ import annotations

from typing import Any

from vocmine.understand.aspects_en.words import (
    ADJ_TAGS, GENERAL_NOUNS, LONG_TIME, NOUN_TAGS, TIMES, TIME_UNITS, _NEG_CONTRACTED, _lemma,
    _valence,
)


# -- per-doc token view --------------------------------------------------------------------------

class _View:
    __slots__ = ("doc", "n", "low", "tag", "dep", "head", "kids", "idx", "end", "junk")

    def __init__(self, doc: Any) -> None:  # a parsed spaCy Doc
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
