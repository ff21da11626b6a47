"""Topic labels that name the cause: built from what the topic is about, never from what merely co-occurs.

A topic's label is chosen among candidates that *fit* the topic, i.e. share a content lemma with its
top c-TF-IDF keywords:

- its complaint phrases ("lost bag", "배송이 늦다"), scored by distinct customers times how much of
  the keywords they cover (top keywords weigh more);
- word sequences that its members actually wrote ("zipper keeps getting stuck"), from one to seven
  words, that neither start nor end on a function word, scored the same way but discounted, so that
  a phrase (already normalised across spellings) wins a tie.

A bare word says what the topic is about, not what is wrong with it: when the best candidate is one
content word ("card", "long"), the best multi-word candidate that keeps it goes first ("card stolen",
"how long does a port take"), rarer written runs included (in two texts and 5% of the sample). A
best candidate without any word of the top keyword gives way to one that has it and says as much,
scoring at least half as well ("card is about to expire", not "new card", when "expire" leads).
"still pending" says more than "pending"; words the vectorizer joined match as customers wrote them
("top-up", "top up" for the keyword "topup").

A label already used by a bigger topic gives way to the next fitting candidate of similar weight,
else to a written run with what sets this topic apart and a word of the label ("pending payment"),
else is prefixed with it ("backpack: heavier than expected"), but two bare keywords ("fee:
transfer") only when nothing else is left. Two candidates are never joined with " / ". Handles, URLs, hashtag signs and retweet markers are
markup, not content: they are removed from keywords, phrases and texts before anything is scored
(``strip_markup``; ``keyword_text`` is the same cleaning for the c-TF-IDF vectorizer).

The only word lists here are function words, negators, intensifiers and discourse fillers.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"(?<![\w@])@\w+:?")
_RT = re.compile(r"(?i)(?<!\w)(?:rt|via)(?=\s*@)|(?<!\w)RT\b:?|^\s*rt\b:?")
_HASH = re.compile(r"(?<![\w#])#(?=\w)")
# BERTopic drops every character but [A-Za-z0-9 ] from English documents before the vectorizer
# sees them: what is left of a URL is one long word starting with http or www.
_URL_REMNANT = re.compile(r"(?i)\b(?:https?|www)\w*")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,:]\d+)*(?![\w])")
_SPACES = re.compile(r"\s+")

# Token pattern for English keywords: words of two or more characters that are not only digits.
TOKEN_PATTERN = r"(?u)\b(?!\d+\b)\w\w+\b"

_NEGATORS = {"not", "no", "never", "nothing", "none", "cannot", "cant", "can't", "dont", "don't", "doesnt",
             "doesn't", "didnt", "didn't", "wont", "won't", "isnt", "isn't", "wasnt", "wasn't", "couldnt",
             "couldn't", "wouldnt", "wouldn't", "arent", "aren't", "havent", "haven't", "without"}
_INTENSIFIERS = {"too", "very", "so", "really", "quite", "pretty", "super", "extremely", "totally", "completely",
                 "way", "much", "more", "most", "less", "bit", "little", "absolutely", "incredibly", "kinda",
                 "rather", "fairly", "somewhat", "even", "still", "just", "only", "ever", "all"}
_FILLERS = {"tbh", "imo", "imho", "ngl", "honestly", "literally", "basically", "actually", "btw", "lol", "lmao",
            "ok", "okay", "well", "anyway", "anyways", "also", "though", "like", "oh", "hey", "hi", "please",
            "thanks", "thank", "yes", "yeah", "yep", "um", "uh", "smh", "omg", "wtf", "rt", "via", "amp"}
# Particles that may end a phrase ("wheel came off", "sending it back") and object pronouns.
_END_OK = {"off", "up", "out", "back", "down", "away", "apart", "over", "it", "them", "me", "us"}
# Common verbs and adjectives in scikit-learn's stop list: never a keyword, but a run may start or
# end on them ("how long does a port take", "get a refund", "battery is full").
_STOP_CONTENT = {"take", "get", "give", "go", "find", "found", "keep", "show", "call", "move", "put", "fill",
                 "see", "made", "full", "empty", "top", "bottom", "front"}
# "how long", "how much": the question word belongs to the degree word after it.
_DEGREE_Q = {"how"}
# Auxiliaries and contractions scikit-learn's stop list lacks: function words, never content.
_AUX = {"does", "did", "doing", "having", "im", "i'm", "ive", "i've", "i'd", "you're", "it's", "that's",
        "there's", "what's", "gonna", "wanna"}
_KO_FILLERS = {"솔직히", "솔직", "아무튼", "암튼", "여튼", "하여튼", "일단", "그래도", "역시", "근데", "그리고", "그래서", "하지만",
               "그런데", "그냥", "진짜", "정말", "너무", "완전", "좀", "약간", "조금"}
_KO_START_OK = {"너무", "안", "못", "잘", "좀", "정말", "진짜", "완전", "엄청", "별로"}
_KO_NEGATORS = {"안", "못"}
_BREAK = re.compile(r"[.!?;,:()\[\]{}\"“”…~|/]+|\s[-–—]+\s")
_EDGE = re.compile(r"^[^\w'’]+|[^\w'’]+$")

MAX_WORDS = 7
_TEXT_WEIGHT = 0.7  # written sequences vs phrases: phrases are normalised across spellings, so win ties
_ALTERNATIVE = 0.5  # a taken label gives way to a candidate with at least this share of its score
_FEW = 0.05  # a written run in this share of the sample (and two texts) may spell out a bare word
_RUN_SHARE = 0.1  # ... when it keeps the word and scores at least this share of it


def strip_markup(text: str) -> str:
    """Return ``text`` without URLs, @handles and retweet markers, and hashtags without their sign."""
    text = _URL.sub(" ", text or "")
    text = _RT.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASH.sub("", text)
    return _SPACES.sub(" ", text).strip()


def keyword_text(text: str) -> str:
    """Return ``text`` cleaned for c-TF-IDF keywords: markup, URL remnants and bare numbers removed."""
    text = strip_markup(text)
    text = _URL_REMNANT.sub(" ", text)
    return _SPACES.sub(" ", _NUMBER.sub(" ", text)).strip()


def keyword_text_lower(text: str) -> str:
    """Return ``keyword_text(text)`` lower-cased (the English vectorizer's preprocessor)."""
    return keyword_text(text).lower()


# -- words and their lemmas ---------------------------------------------------------------------------

def _norm(word: str) -> str:
    return _EDGE.sub("", word.lower()).replace("’", "'")


_EN: dict[str, frozenset[str]] = {}
_KO: dict[str, tuple[frozenset[str], bool]] = {}  # word -> (content lemmas, ends on a final ending)


def _lookup_table():
    """Return spaCy's English lemma lookup table (a dict-like), or None without one."""
    try:
        from vocmine.understand.nlp import get_english

        return get_english().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except Exception:  # noqa: BLE001 - without lemmas, words still match their own spelling
        return None


def _en_lemmas(word: str) -> frozenset[str]:
    """Return the content lemmas of one English word (empty for function words and fillers)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    w = _norm(word)
    if w in _EN:
        return _EN[w]
    bare = w.replace("'", "")
    if not bare or bare.isdigit() or w in ENGLISH_STOP_WORDS or bare in ENGLISH_STOP_WORDS or w in _NEGATORS \
            or bare in _NEGATORS or w in _INTENSIFIERS or w in _FILLERS or w in _AUX or len(bare) < 2:
        out: set[str] = set()
    else:
        out = {w, bare}
        if "-" in bare:  # the vectorizer drops the hyphen: "top-up" is the keyword "topup"
            out.add(bare.replace("-", ""))
        table = _lookup_table()
        if table is not None:
            out.add(str(table.get(w, w)).lower())
        if len(bare) > 3 and bare.endswith("s") and not bare.endswith("ss"):
            out.add(bare[:-1])
    _EN[w] = frozenset(x for x in out if x and x not in ENGLISH_STOP_WORDS)
    return _EN[w]


def _ko_warm(words: Iterable[str]) -> None:
    """Analyse the Korean words not seen yet in one Kiwi call (lemmas as ``embed.lemma_tokens``)."""
    from vocmine.decide.embed import _content_lemmas
    from vocmine.understand.nlp import get_kiwi

    todo = list(dict.fromkeys(w for w in words if w and w not in _KO))
    if not todo:
        return
    for word, toks in zip(todo, get_kiwi().tokenize(todo)):
        lem = set(_content_lemmas(toks))
        toks = [t for t in toks if not t.tag.startswith("S")]
        _KO[word] = (frozenset(x for x in lem if x not in _KO_FILLERS and not x.isdigit()),
                     bool(toks) and toks[-1].tag == "EF")


def _ko_lemmas(word: str) -> frozenset[str]:
    """Return Kiwi's content lemmas of one Korean word (eojeol): 느려요 → 느리다, 배송이 → 배송."""
    if word not in _KO:
        _ko_warm([word])
    return _KO[word][0]


def _ko_final(word: str) -> bool:
    """Whether a Korean word ends a sentence (its last morpheme is a final ending: 느려요, 없다)."""
    if word not in _KO:
        _ko_warm([word])
    return _KO[word][1]


def _lemmas(word: str, lang: str) -> frozenset[str]:
    return _ko_lemmas(word) if lang == "ko" else _en_lemmas(word)


def _words(text: str, lang: str) -> list[str]:
    return [w for w in (_EDGE.sub("", x) for x in strip_markup(text).split()) if w]


# -- scoring -----------------------------------------------------------------------------------------

class _Fit:
    """The topic's keyword lemmas with weights (the first keyword 1, then slowly less)."""

    def __init__(self, keywords: Sequence[str], lang: str, handles: set[str]):
        self.lang = lang
        self.weight: dict[str, float] = {}
        self.terms: list[str] = []  # cleaned keyword unigrams, best first
        self.top: set[str] = set()  # the lemmas of the first keyword that has content
        top_rank = None
        for rank, kw in enumerate(keywords[:10]):
            w = 1.0 / (1.0 + 0.25 * rank)
            for tok in str(kw).split():
                if tok.lower() in handles:
                    continue
                lem = _lemmas(tok, lang) | ({tok} if lang == "ko" and tok not in _KO_FILLERS else set())
                lem = frozenset(x for x in lem if x and not x.isdigit())
                if not lem:
                    continue
                for x in lem:
                    self.weight[x] = max(self.weight.get(x, 0.0), w)
                if top_rank is None or top_rank == rank:
                    top_rank = rank
                    self.top |= lem
                if tok not in self.terms:
                    self.terms.append(tok)

    def score(self, words: Iterable[str]) -> tuple[float, set[str]]:
        """Return (fit, matched lemmas) of a sequence of words: one weight per distinct matched word.
        Two English words written apart match the keyword they make together ("top up", "topup")."""
        total = 0.0
        seen: set[str] = set()
        words = list(words)
        for i, word in enumerate(words):
            lem = _lemmas(word, self.lang)
            if self.lang != "ko" and i + 1 < len(words):
                joined = (_norm(word) + _norm(words[i + 1])).replace("-", "")
                if joined in self.weight and joined not in seen:
                    lem = lem | {joined}
            hits = [(self.weight[x], x) for x in lem if x in self.weight]
            if not hits or lem & seen:
                continue
            seen |= lem
            total += max(hits)[0]
        return total, seen


def _has_markup(text: str) -> bool:
    return bool(_URL.search(text) or _HANDLE.search(text) or re.search(r"(?<!\w)#\w", text))


def _clean_label(text: str) -> str:
    return _SPACES.sub(" ", strip_markup(text)).strip(" -–—:;,.!?/")


def _ko_subject(noun: str) -> str:
    """Return ``noun`` with the subject particle its last syllable takes (배송이, 배터리가)."""
    last = noun[-1:] if noun else ""
    if "가" <= last <= "힣":
        return noun + ("이" if (ord(last) - 0xAC00) % 28 else "가")
    return noun


def _en_open_left(word: str) -> bool:
    """Whether a span may not start right after ``word`` (a negator or intensifier belongs to it)."""
    w = _norm(word)
    return w in _NEGATORS or w in _INTENSIFIERS or w in _STOP_CONTENT or w in _DEGREE_Q or bool(_en_lemmas(w))


def _en_open_right(word: str) -> bool:
    """Whether a span may not end right before ``word`` (a particle or content word continues it)."""
    w = _norm(word)
    return w in _END_OK or w in _STOP_CONTENT or bool(_en_lemmas(w))


def _spans(text: str, lang: str, known: set[str] | None = None) -> Iterable[tuple[tuple[str, ...], bool]]:
    """Yield (words, closed) for the word sequences of ``text`` that may be a label: within one
    clause, starting and ending on a word that carries content (or a negator/intensifier at the
    start). ``closed``: the clause's edge or a function word on both sides, so that the sequence
    cuts no "not", "came off" or "old bag". With ``known``, only sequences of those words (a word
    outside it counts as content next to a sequence)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    for chunk in _BREAK.split(strip_markup(text)):
        words = [w for w in (_EDGE.sub("", x) for x in chunk.split()) if w]
        for i in range(len(words)):
            first = _norm(words[i])
            if known is not None and words[i].lower() not in known:
                continue
            if lang == "ko":
                if not (_ko_lemmas(words[i]) or words[i] in _KO_START_OK):
                    continue
                prev = words[i - 1] if i else ""
                left = not i or (prev.lower() in known if known is not None else True) and not (
                    _ko_lemmas(prev) or prev in _KO_START_OK)
            else:
                if first in _FILLERS or first in _AUX or (first in ENGLISH_STOP_WORDS and first not in _NEGATORS
                                                          and first not in _INTENSIFIERS
                                                          and first not in _STOP_CONTENT
                                                          and first not in _DEGREE_Q):
                    continue
                left = not i or not _en_open_left(words[i - 1])
            for j in range(i, min(len(words), i + MAX_WORDS)):
                if known is not None and words[j].lower() not in known:
                    break
                last = _norm(words[j])
                if lang == "ko":
                    if not _ko_lemmas(words[j]):
                        continue
                    right = j + 1 == len(words) or _ko_final(words[j])
                else:
                    if (last in _FILLERS or last in _INTENSIFIERS or last in _NEGATORS or last in _AUX
                            or (last in ENGLISH_STOP_WORDS and last not in _END_OK and last not in _STOP_CONTENT)):
                        continue
                    right = j + 1 == len(words) or not _en_open_right(words[j + 1])
                yield tuple(words[i:j + 1]), left and right


def _display(words: Sequence[str], lang: str) -> str:
    return " ".join(words) if lang == "ko" else " ".join(_norm(w) for w in words)


def make_label(keywords: Sequence[str], phrases: Sequence[tuple[str, str | None, str | None, int]],
               lang: str = "en", taken: Iterable[str] | Counter | None = None, size: int = 0,
               texts: Sequence[str] = ()) -> str | None:
    """Return a label naming what the topic is about, or None when nothing fits.

    ``keywords`` are its c-TF-IDF keywords (best first), ``phrases`` its members' complaint phrases
    as (text, aspect, opinion, distinct customers), ``texts`` a sample of its members (most typical
    first), ``taken`` the labels of bigger topics, ``size`` its number of members.
    """
    pairs = taken.items() if isinstance(taken, dict) else ((t, 1) for t in taken or ())
    taken_set = {str(t).lower() for t, n in pairs if n}
    handles = {h.lower() for t in texts for h in re.findall(r"(?<![\w@])@(\w+)", t or "")}
    kws = [k for k in (keyword_text(str(k)) for k in keywords or ()) if k]
    fit = _Fit(kws, lang, handles)
    cands: dict[str, tuple[float, set[str]]] = {}
    runs: dict[str, tuple[float, set[str]]] = {}  # rarer written runs: only to spell out a bare word

    def add(label: str, score: float, matched: set[str], into: dict | None = None) -> None:
        into = cands if into is None else into
        label = _clean_label(label)
        if label and score > 0 and score > into.get(label, (0.0,))[0]:
            into[label] = (score, matched)

    # Phrases, and the counts of their fitting aspects (what sets a topic apart when its label is taken).
    # An aspect of one phrase is never joined with the opinion of another ("baby severe", "fail bad"):
    # that is a claim no customer wrote.
    aspects: Counter = Counter()
    for text, aspect, opinion, n in phrases or ():
        if not text or _has_markup(text) and not strip_markup(text):
            continue
        text = strip_markup(text)
        s, matched = fit.score(_words(text, lang))
        if s > 0:
            add(text, (n or 1) * s, matched)
        if aspect and not _has_markup(aspect) and fit.score(_words(aspect, lang))[0] > 0:
            aspects[aspect] += n or 1
    # What the members wrote.
    if texts:
        df: Counter = Counter()
        closed: Counter = Counter()
        shown: dict[str, str] = {}
        # A sequence written in two texts or more is made of words written in two texts or more:
        # only those are analysed (Kiwi's cost is per word).
        word_df = Counter(w for t in texts for w in {w.lower() for c in _BREAK.split(strip_markup(t or ""))
                                                      for w in (_EDGE.sub("", x) for x in c.split()) if w})
        known = {w for w, n in word_df.items() if n >= 2}
        for t in texts:
            seen: dict[str, bool] = {}
            for span, ok in _spans(t or "", lang, known):
                key = _display(span, lang).lower()
                seen[key] = seen.get(key, False) or ok
                shown.setdefault(key, _display(span, lang))
            for key, ok in seen.items():
                df[key] += 1
                closed[key] += ok
        least = max(2, 0.15 * len(texts))
        few = max(2, _FEW * len(texts))
        scale = max(1.0, size / len(texts)) if size else 1.0  # texts are a sample; phrases count all
        for key, n in df.items():
            if n >= few and closed[key] >= 0.5 * n:
                s, matched = fit.score(key.split())
                if n >= least:
                    add(shown[key], _TEXT_WEIGHT * n * scale * s, matched)
                elif _content_words(key.split(), lang) >= 2:
                    add(shown[key], _TEXT_WEIGHT * n * scale * s, matched, runs)
    ranked = sorted(cands.items(), key=lambda kv: (-kv[1][0], len(kv[0]), kv[0]))
    if not ranked:
        return _from_keywords(fit, lang) or None
    ranked = _prefer_runs(_prefer_top(ranked, runs, fit, lang), runs, fit, lang)
    best, (best_score, best_matched) = ranked[0]
    if best.lower() not in taken_set:
        return best
    for label, (score, _m) in ranked[1:]:
        if score < _ALTERNATIVE * best_score:
            break
        if label.lower() not in taken_set and len(label.split()) > 1:
            return label
    # Prefix what sets this topic apart: its dominant aspect, else its best keyword the label lacks.
    in_label = {x for w in _words(best, lang) for x in _lemmas(w, lang)} | best_matched
    prefixes = [a for a, _ in aspects.most_common()] + fit.terms
    bare = _content_words(_words(best, lang), lang) < 2
    keyword_pair = None
    for term in prefixes:
        lem = {x for w in _words(term, lang) for x in _lemmas(w, lang)}
        if not lem or lem & in_label:
            continue
        # "fee: transfer" is two keywords, not a label: rather a written run with the term and a
        # word of the label ("pending payment", not "pending: card payment"); a bare label never
        # takes a bare term.
        both = [l for l, (_s, m) in ranked + sorted(runs.items(), key=lambda kv: -kv[1][0])
                if m >= lem & set(fit.weight) and m & best_matched and l.lower() not in taken_set
                and _content_words(_words(l, lang), lang) >= 2]
        if both:
            return both[0]
        label = f"{term}: {best}"
        if label.lower() in taken_set:
            continue
        if bare and _content_words(_words(term, lang), lang) < 2:
            keyword_pair = keyword_pair or label  # two bare keywords: only when nothing else is left
            continue
        return label
    for label, _ in ranked[1:]:
        if label.lower() not in taken_set and _content_words(_words(label, lang), lang) >= 2:
            return label
    # A bare candidate of its own still beats two bare keywords joined.
    return next((label for label, _ in ranked[1:] if label.lower() not in taken_set), None) or keyword_pair or best


def _content_words(words: Sequence[str], lang: str) -> int:
    """Count the words of a candidate that say something: content words and negators."""
    if lang == "ko":
        return sum(1 for w in words if _ko_lemmas(w) or w in _KO_NEGATORS)
    return sum(1 for w in words if _en_lemmas(w) or _norm(w) in _NEGATORS)


def _says_more(words: Sequence[str], lang: str) -> bool:
    """Whether a candidate says more than one bare word: two content words, or one with a degree
    word before it ("still pending", "too long")."""
    if _content_words(words, lang) >= 2:
        return True
    if lang == "ko" or len(words) < 2:
        return False
    return _norm(words[0]) in _INTENSIFIERS and _content_words(words, lang) == 1


def _prefer_top(ranked, runs, fit, lang):
    """Put first the best candidate that has a word of the top keyword, when the best lacks one
    ("card is about to expire", not "new card", for a topic whose top keyword is "expire"), says
    as much (never a bare word for a run) and scores at least ``_ALTERNATIVE`` of the best."""
    best, (best_score, best_matched) = ranked[0]
    top = fit.top
    if not top or best_matched & top:
        return ranked
    pool = dict(runs)
    pool.update(ranked)
    need = max(2, _content_words(_words(best, lang), lang))
    with_top = [(label, v) for label, v in pool.items() if v[1] & top and v[0] >= _ALTERNATIVE * best_score
                and _content_words(_words(label, lang), lang) >= need]
    if not with_top:
        return ranked
    first = min(with_top, key=lambda kv: (-kv[1][0], len(kv[0]), kv[0]))
    return [first] + [kv for kv in ranked if kv[0] != first[0]]


def _prefer_runs(ranked, runs, fit, lang):
    """Put multi-word candidates first when the best is one bare word ("card" for a stolen-card topic):
    those that keep its words and score at least ``_RUN_SHARE`` of it, best first."""
    best, (best_score, best_matched) = ranked[0]
    if _content_words(_words(best, lang), lang) >= 2:
        return ranked
    pool = dict(runs)
    pool.update(ranked)
    need = best_matched & set(fit.weight) or best_matched
    longer = [(label, v) for label, v in pool.items()
              if v[1] >= need and _says_more(_words(label, lang), lang)
              and v[0] >= _RUN_SHARE * best_score]
    if not longer:
        return ranked
    longer.sort(key=lambda kv: (-kv[1][0], len(kv[0]), kv[0]))
    # One with a word of the top keyword goes first when it scores at least ``_ALTERNATIVE`` of the
    # best ("link my card", not "new card", when "link" leads).
    first = next((kv for kv in longer if kv[1][1] & fit.top and kv[1][0] >= _ALTERNATIVE * longer[0][1][0]), None)
    if first is not None:
        longer = [first] + [kv for kv in longer if kv[0] != first[0]]
    chosen = {label for label, _ in longer}
    return longer + [kv for kv in ranked if kv[0] not in chosen]


def _from_keywords(fit: _Fit, lang: str) -> str:
    """Return a label from keywords alone: the top term, with the first predicate after it in Korean."""
    if not fit.terms:
        return ""
    first = fit.terms[0]
    if lang == "ko" and not first.endswith("다"):
        pred = next((t for t in fit.terms[1:] if t.endswith("다")), None)
        if pred:
            return f"{_ko_subject(first)} {pred}"
    return first
