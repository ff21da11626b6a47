"""Candidate mentions built around adjectives: predicates ("battery too short"), comparisons with
what was expected ("heavier than expected"), attributives ("poor battery life"), hyphenated
predicates, "nothing like", degree nouns and late adverbs."""
from __future__ import annotations

from vocmine.understand.aspects_en.words import (
    ADJ_TAGS, AUX_NEG, BE_FORMS, COPULAR, DROP_ADV, EXPECT_REF, FAIL_VERBS, KEEP_VERB, NOUN_TAGS,
    PERCEPTION, THAN_WORDS, VERB_TAGS, _lemma, _lexicon, _valence,
)
from vocmine.understand.aspects_en.view import _View, _negated, _np, _quantity, _subject


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
