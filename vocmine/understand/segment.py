"""Split feedback into segments: sentences, and clauses where a sentence turns on a contrast.

"love the colour but it's heavier than expected" holds praise and a complaint, so it becomes two
segments ("love the colour" / "but it's heavier than expected"); "디자인은 예쁜데 생각보다 무거워요"
likewise splits after the connective ending "-는데". English goes through spaCy (the shared
pipeline from ``nlp.get_english``), Korean through Kiwi, which also copes with missing spaces
("배송이너무늦어요"). Every segment and token carries character offsets into the original text.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from vocmine.understand.nlp import get_english, get_kiwi

log = logging.getLogger(__name__)

_HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_WORD_RE = re.compile(r"\w")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
# spaCy's sentencizer marks (Sentencizer.default_punct_chars), and the attribute ids that
# _english_tokens reads: filled when the English pipeline is first used, so that Korean text
# never imports spaCy.
_PUNCT_CHARS: frozenset[str] = frozenset()
_ATTRS: list[int] = []


def _spacy_constants() -> None:
    global _PUNCT_CHARS
    if not _ATTRS:
        from spacy.attrs import IDX, IS_PUNCT, SPACY
        from spacy.pipeline.sentencizer import Sentencizer

        _PUNCT_CHARS = frozenset(Sentencizer.default_punct_chars)
        _ATTRS.extend((IDX, SPACY, IS_PUNCT))

# English words that open a contrasting clause inside a sentence.
EN_CONTRAST = frozenset(("but", "however", "though", "although", "except", "yet", "whereas", "unfortunately"))
# Concessive openers: "Although it's pretty, it runs small" splits at the comma, not the word.
_EN_CONCESSIVE = frozenset(("although", "though"))
# "nothing but", "all but", "not only ... but": not a turn in the opinion.
_EN_NOT_CONTRAST_AFTER = frozenset(("nothing", "all", "anything", "cannot", "can't", "only"))
# "yet"/"unfortunately" split only after a comma ("not yet" is no contrast).
_EN_NEEDS_COMMA = frozenset(("yet", "unfortunately", "except"))

# Kiwi connective endings (EC) that turn a sentence, mapped to the name we report.
KO_CONTRAST_EC = {"지만": "지만", "는데": "는데", "ᆫ데": "는데", "은데": "는데", "던데": "던데", "으나": "으나"}
# Sentence adverbs (MAJ) that open a contrasting clause.
KO_CONTRAST_MAJ = frozenset(("하지만", "그런데", "근데", "그러나", "그렇지만", "그치만", "다만", "그래도", "단"))
_KO_CONTENT = ("N", "V", "M", "X", "SL", "SH", "SN")


@dataclass(frozen=True, slots=True)
class Token:
    """A word (English) or morpheme (Korean) with its lemma, tag and offsets into the feedback text.

    For Korean, ``text`` is Kiwi's morpheme form ("예쁘" in "예쁜데"), which may differ from
    ``original[start:end]``; ``lemma`` is the dictionary form ("예쁘다"), ``pos`` the Kiwi tag.
    For English, ``lemma`` is lower-case; ``pos`` is the pipeline's tag where it has a tagger,
    else "PUNCT", "SYM" (emoji and other symbols), "NUM" or "" for words.
    """

    text: str
    lemma: str
    pos: str
    start: int
    end: int


@dataclass(slots=True)
class Segment:
    """A sentence or clause of one feedback text; ``text == original[start:end]``."""

    index: int
    text: str
    start: int
    end: int
    lang: str
    tokens: list[Token]
    joined_by: str | None = None


def segment(text: str, lang: str) -> list[Segment]:
    """Return the segments of one feedback text.

    ``lang`` is "en", "ko", or "mixed"/"und"/"" to choose per sentence by script (Hangul goes to
    Kiwi, the rest to spaCy). Other language codes are segmented with the English pipeline.
    """
    return segment_many([text], [lang])[0]


def segment_many(texts: Sequence[str], langs: Sequence[str], batch_size: int = 256,
                 english_model: str | None = None) -> list[list[Segment]]:
    """Return the segments of each text, batching spaCy (``nlp.pipe``) and Kiwi calls.

    ``english_model`` names an installed spaCy pipeline or a local directory to use instead of
    the default blank English pipeline.
    """
    if len(texts) != len(langs):
        raise ValueError(f"segment_many got {len(texts)} texts but {len(langs)} languages")
    out: list[list[Segment]] = [[] for _ in texts]
    en_idx: list[int] = []
    ko_idx: list[int] = []
    for i, (text, lang) in enumerate(zip(texts, langs)):
        if not text or not text.strip():
            continue
        route = _route(text, lang)
        if route == "mixed":
            out[i] = _mixed_segments(text, english_model)
        elif route == "ko":
            ko_idx.append(i)
        else:
            en_idx.append(i)
    log.debug("segmenting %d English and %d Korean texts", len(en_idx), len(ko_idx))
    if en_idx:
        nlp, skip, lemmas = _english(english_model)
        docs = nlp.pipe((texts[i] for i in en_idx), batch_size=batch_size, disable=skip)
        for i, doc in zip(en_idx, docs):
            out[i] = _english_segments(texts[i], doc, lemmas)
    if ko_idx:
        kiwi = get_kiwi()
        for i, toks in zip(ko_idx, kiwi.tokenize([texts[i] for i in ko_idx])):
            out[i] = _korean_segments(texts[i], toks)
    return out


def _lang_is_mixed(lang: str | None) -> bool:
    """Return whether ``lang`` asks for per-sentence choice by script."""
    return not lang or lang in ("mixed", "und")


def _route(text: str, lang: str | None) -> str:
    if lang == "ko":
        return "ko"
    if _lang_is_mixed(lang):
        if not _HANGUL_RE.search(text):
            return "en"
        return "mixed" if _LATIN_WORD_RE.search(text) else "ko"
    return "en"


# -- English -------------------------------------------------------------------------------------

class _Lemmas(dict):
    """Lower-case word -> lemma, filled from spaCy's lookup table on first sight of a word."""

    def __init__(self, table) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, word: str) -> str:
        lemma = self.table.get(word, word)
        self[word] = lemma
        return lemma


def _english(model: str | None):
    """Return (pipeline, components to skip, lemma cache or None when the pipeline lemmatises)."""
    nlp = get_english(model)
    if nlp.has_pipe("lemmatizer") and getattr(nlp.get_pipe("lemmatizer"), "mode", None) == "lookup" \
            and not nlp.has_pipe("tagger") and not nlp.has_pipe("parser"):
        key = id(nlp)
        if key not in _LEMMAS:
            _LEMMAS[key] = _Lemmas(nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup"))
        # the sentencizer and the lemmatizer run inline in _english_tokens (same rules, less overhead)
        return nlp, [p for p in ("sentencizer", "lemmatizer") if nlp.has_pipe(p)], _LEMMAS[key]
    return nlp, [], None


_LEMMAS: dict[int, _Lemmas] = {}


def _en_pos(t) -> str:
    if t.pos_:
        return t.pos_
    if t.is_punct:
        return "PUNCT"
    if t.like_num:
        return "NUM"
    return ""


def _english_tokens(doc, doc_text: str, offset: int, lemmas: _Lemmas | None) -> list[list[Token]]:
    """Return the tokens of each sentence of a spaCy doc (offsets shifted by ``offset``).

    With the default blank pipeline (``lemmas`` given) tokens are read from ``doc.to_array``
    and lemmatised here, lower-cased ("Loved" -> "love"): creating spaCy Token objects and
    running the lemmatizer component would cost more than the rest of the understand stage.
    """
    sents: list[list[Token]] = []
    if lemmas is None:  # a full pipeline: its own lemmas and part-of-speech tags
        for sent in doc.sents:
            toks = [Token(t.text, t.lemma_ or t.lower_, _en_pos(t), t.idx + offset, t.idx + len(t.text) + offset)
                    for t in sent if not t.is_space]
            if toks:
                sents.append(toks)
        return sents
    text = doc_text  # the text the doc was made from (Doc.text would rebuild it token by token)
    _spacy_constants()
    rows = doc.to_array(_ATTRS).astype(np.int64).tolist()
    n = len(rows)
    cur: list[Token] = []
    seen_period = False
    for i, (idx, space, is_punct) in enumerate(rows):
        end = (rows[i + 1][0] if i + 1 < n else len(text)) - space
        word = text[idx:end]
        # spaCy's sentencizer rule, inline: a sentence starts at the first non-punctuation
        # token after a sentence-final mark
        if word in _PUNCT_CHARS:
            seen_period = True
        elif seen_period and not is_punct:
            seen_period = False
            if cur:
                sents.append(cur)
                cur = []
        if word.isalpha():
            pos = ""
        elif word.isdigit():
            pos = "NUM"
        elif word.isspace() or not word:
            continue
        elif _WORD_RE.search(word) is None:
            pos = "PUNCT" if is_punct or word in _PUNCT_CHARS else "SYM"
        else:
            pos = ""
        cur.append(Token(word, lemmas[word.lower()], pos, idx + offset, end + offset))
    if cur:
        sents.append(cur)
    return sents


def _english_segments(text: str, doc, lemmas: _Lemmas | None, offset: int = 0, index0: int = 0,
                      doc_text: str | None = None) -> list[Segment]:
    """Return clause segments of a spaCy doc made from ``doc_text`` (default ``text``) at ``offset``."""
    segs: list[Segment] = []
    for toks in _english_tokens(doc, text if doc_text is None else doc_text, offset, lemmas):
        if segs and not _WORD_RE.search(toks[0].text):
            # the sentencizer puts an emoji after "!!" into the next sentence; it closes this one
            k = 0
            while k < len(toks) and not _WORD_RE.search(toks[k].text):
                k += 1
            _extend(segs[-1], text, toks[:k])
            toks = toks[k:]
            if not toks:
                continue
        for clause_toks, marker in _split_english(toks):
            segs.append(_make(text, clause_toks, "en", marker, index0 + len(segs)))
    return segs


def _is_word(t: Token) -> bool:
    return t.pos not in ("PUNCT", "SPACE") and bool(_WORD_RE.search(t.text))


def _split_english(toks: list[Token]) -> list[tuple[list[Token], str | None]]:
    """Return (tokens, contrast marker) per clause of one sentence."""
    cuts: list[tuple[int, int, str]] = []  # (end of left part, start of right part, marker)
    first = toks[0].text.lower()
    opener = first if first in EN_CONTRAST and first not in _EN_CONCESSIVE else None
    if first in _EN_CONCESSIVE or (first == "even" and len(toks) > 1 and toks[1].text.lower() == "though"):
        # "Although it's pretty, it runs small": the turn is at the first comma
        for k in range(2, len(toks) - 1):
            if toks[k].text == ",":
                if any(_is_word(t) for t in toks[k + 1:]):
                    cuts.append((k, k + 1, "although" if first != "though" else "though"))
                break
    for k in range(1, len(toks)):
        w = toks[k].text.lower()
        if w not in EN_CONTRAST or (cuts and k <= cuts[-1][1]):
            continue
        prev = toks[k - 1].text.lower()
        if prev in _EN_NOT_CONTRAST_AFTER:
            continue
        if w in _EN_NEEDS_COMMA and prev not in (",", ";", "-", "--"):
            continue
        marker = w
        if w == "though" and prev == "even":
            marker, k = "even though", k - 1
        left_end = k
        while left_end > 0 and not _is_word(toks[left_end - 1]):
            left_end -= 1  # the comma before "but" stays out of both clauses
        right = toks[k + (2 if marker == "even though" else 1):]
        if left_end > 0 and any(_is_word(t) for t in right):
            cuts.append((left_end, k, marker))
    parts: list[tuple[list[Token], str | None]] = []
    start, clause_marker = 0, opener
    for left_end, right_start, m in cuts:
        if left_end <= start:
            continue
        parts.append((toks[start:left_end], clause_marker))
        start, clause_marker = right_start, m
    parts.append((toks[start:], clause_marker))
    return parts


# -- Korean --------------------------------------------------------------------------------------

def _korean_segments(text: str, ktoks, offset: int = 0, segs: list[Segment] | None = None) -> list[Segment]:
    """Return clause segments from Kiwi tokens of ``text[offset:]`` (grouped by ``sent_position``).

    New segments are appended to ``segs`` when given, so a mixed text can collect all of its own.
    """
    segs = [] if segs is None else segs
    sent: list[Token] = []
    pos = None
    for kt in ktoks:
        if kt.sent_position != pos and sent:
            _add_korean_sentence(text, sent, segs)
            sent = []
        pos = kt.sent_position
        sent.append(Token(kt.form, kt.lemma, kt.tag, kt.start + offset, kt.start + kt.len + offset))
    if sent:
        _add_korean_sentence(text, sent, segs)
    return segs


def _ko_content(t: Token) -> bool:
    return t.pos.startswith(_KO_CONTENT) or t.pos == "W_EMOJI"


def _add_korean_sentence(text: str, toks: list[Token], segs: list[Segment]) -> None:
    if segs and not any(t.pos.startswith(_KO_CONTENT) for t in toks):
        _extend(segs[-1], text, toks)  # "ㅠㅠ", "!!" or an emoji after a sentence belongs to it
        return
    start, marker = 0, None
    for k, t in enumerate(toks):
        if t.pos == "MAJ" and t.text in KO_CONTRAST_MAJ:
            if k == start:
                marker = t.text  # "근데 배송이 늦어요": the sentence itself is the turn
            elif any(_ko_content(x) for x in toks[k + 1:]):
                segs.append(_make(text, toks[start:k], "ko", marker, len(segs)))
                start, marker = k, t.text
        elif k > start and (t.pos == "EC" and t.text in KO_CONTRAST_EC
                            or t.pos == "NNB" and t.text == "데" and toks[k - 1].pos == "ETM"
                            and toks[k - 1].text in ("는", "은", "ᆫ") and toks[k - 1].end == t.start):
            j = k + 1
            while j < len(toks) and toks[j].pos in ("SP", "SF", "SE", "SS", "SO"):
                j += 1  # "예쁜데, 무거워요": the comma closes the first clause
            if any(_ko_content(x) for x in toks[j:]):
                segs.append(_make(text, toks[start:j], "ko", marker, len(segs)))
                start, marker = j, KO_CONTRAST_EC.get(t.text, "는데")
    if start < len(toks):
        segs.append(_make(text, toks[start:], "ko", marker, len(segs)))


def _mixed_segments(text: str, model: str | None) -> list[Segment]:
    """Return segments of a text that mixes Korean and English sentences.

    spaCy's sentencizer cuts at punctuation; each run of sentences without Hangul is English,
    the rest goes to Kiwi (which also finds Korean sentence ends without punctuation).
    """
    nlp, skip, lemmas = _english(model)
    with nlp.select_pipes(disable=[p for p in skip if p != "sentencizer"]):
        doc = nlp(text)
    runs: list[list[int]] = []  # [start, end, is_korean]
    for sent in doc.sents:
        ko = bool(_HANGUL_RE.search(sent.text))
        if runs and runs[-1][2] == ko:
            runs[-1][1] = sent.end_char
        else:
            runs.append([sent.start_char, sent.end_char, ko])
    segs: list[Segment] = []
    for start, end, korean in runs:
        if korean:
            _korean_segments(text, get_kiwi().tokenize(text[start:end]), offset=start, segs=segs)
        else:
            with nlp.select_pipes(disable=skip):
                sub = nlp(text[start:end])
            segs.extend(_english_segments(text, sub, lemmas, offset=start, index0=len(segs), doc_text=text[start:end]))
    return segs


# -- shared --------------------------------------------------------------------------------------

def _make(text: str, toks: list[Token], lang: str, marker: str | None, index: int) -> Segment:
    start, end = toks[0].start, max(t.end for t in toks)
    return Segment(index, text[start:end], start, end, lang, toks, marker)


def _extend(seg: Segment, text: str, toks: list[Token]) -> None:
    seg.tokens.extend(toks)
    seg.end = max(seg.end, toks[-1].end)
    seg.text = text[seg.start:seg.end]
