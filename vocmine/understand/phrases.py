"""Recurring complaint phrases: extract canonical phrases, group near-synonyms, rank them.

``extract`` reads one segment (its tokens, or its text when it has none) and returns
``PhraseMention`` rows: the canonical phrase ("heavier than expected", "생각보다 무겁다"), the words
as written and where they are. ``group`` folds canonicals that a product team would read as the
same complaint ("runs small" ~ "too small", "배송이 늦다" ~ "배송이 느리다") but keeps opposites
apart ("too small" vs "too big"). ``rank`` turns mentions into one row per phrase.

English patterns live in ``phrases_en``, Korean ones in ``phrases_ko``.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

from . import phrases_en, phrases_ko

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
        toks = phrases_en.tokens_from_segment(tokens) if tokens else phrases_en.tokens_from_text(text, base)
        return [PhraseMention(m.canonical, text[toks[m.i].start - base:toks[m.j - 1].end - base],
                              toks[m.i].start, toks[m.j - 1].end, m.kind, "en")
                for m in phrases_en.find(toks)]
    if lang == "ko":
        if tokens and any(t.pos in phrases_ko.PRED_TAGS or t.pos.startswith(("NN", "J", "E")) for t in tokens):
            ms = phrases_ko.morphs_from_segment(tokens)
        else:
            ms = phrases_ko.morphs_from_text(text, base)
        return [PhraseMention(m.canonical, text[m.start - base:m.end - base], m.start, m.end, m.kind, "ko")
                for m in phrases_ko.find(ms)]
    return []


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
    never span a stop word or punctuation, and ones made only of product nouns are dropped, so
    what remains are candidate phrases the patterns did not catch ("sizing chart", "배송 기간").
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
                        seen.add(" ".join(gram))  # type: ignore[arg-type]
            c.update(seen)
        return c, docs

    product = phrases_en.PRODUCT_NOUNS if lang == "en" else phrases_ko.PRODUCT_NOUNS
    pos, n_pos = count(complaints)
    neg, n_neg = count(others)
    out = []
    for gram, k in pos.items():
        if k < min_count or all(w in product for w in gram.split()):
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
    "transparent": "seethrough", "material": "fabric", "poor": "bad", "low": "bad", "terrible": "bad",
    "awful": "bad", "horrible": "bad", "shipping": "delivery", "shipment": "delivery", "package": "delivery",
    "broken": "break", "broke": "break", "ripped": "rip", "tore": "rip", "tear": "rip", "torn": "rip",
    "came": "fall", "come": "fall", "fell": "fall", "unflattering": "not flattering",
    "shapeless": "no shape", "scratchy": "itchy", "wrinkly": "wrinkled", "flimsy": "flimsy",
    "plasticky": "cheap", "itchy": "itchy", "frumpy": "frumpy", "matronly": "frumpy",
    "pricey": "expensive", "odd": "weird", "strange": "weird", "awkward": "weird", "funny": "weird", "drains": "dies", "quit": "stop", "stopped": "stop", "zip": "zipper",
}
# Light words at the start of a canonical: "runs small" ~ "too small" ~ "fits small".
EN_LEAD = frozenset(("runs", "fits", "looks", "feels", "too", "overly"))
KO_SYNONYMS = {
    "느리다": "늦다", "지연되다": "늦다", "늦게": "", "오래 걸리다": "늦다", "택배": "배송", "배달": "배송",
    "배송기간": "배송", "배송 기간": "배송", "배송속도": "배송", "배송 속도": "배송", "예상": "생각",
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
    if "delivery" in out:  # for deliveries, slow and late are one complaint
        out = ["late" if w in ("slow", "delay", "delayed") else w for w in out]
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


def _conflict(a: str, b: str, lang: str) -> bool:
    """Return whether two keys name different attributes (so embeddings must not merge them)."""
    if a.startswith("exp|") != b.startswith("exp|"):
        return True
    wa, wb = set(a.split("|")), set(b.split("|"))
    if lang == "ko":
        pa = {w for w in wa if w.endswith("다")}
        pb = {w for w in wb if w.endswith("다")}
        return bool(pa and pb and pa != pb)
    attrs = phrases_en.ATTRIBUTE_ADJ | phrases_en.COMPLAINT_ADJ | {"not", "no", "large", "seethrough"}
    xa, xb = wa & attrs, wb & attrs
    return bool(xa and xb and xa != xb)


def group(canonicals: Mapping[str, int], lang: str,
          embed: Callable[[list[str]], Any] | None = None, threshold: float = 0.85) -> dict[str, str]:
    """Return canonical -> group head (the most frequent member) for ``canonicals`` (phrase -> count).

    Members share a key built from lemmas and a small synonym table. With ``embed`` (texts ->
    vectors), groups whose heads have cosine similarity >= ``threshold`` merge too, unless their
    attributes differ ("too small" never joins "too big").
    """
    by_key: dict[str, list[str]] = defaultdict(list)
    for c in canonicals:
        by_key[group_key(c, lang)].append(c)
    keys = list(by_key)
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if embed is not None and len(keys) > 1:
        import numpy as np

        heads = [max(by_key[k], key=lambda c: canonicals[c]) for k in keys]
        vecs = np.asarray(embed(heads), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
        sims = vecs @ vecs.T
        for i in range(len(keys)):
            for j in np.nonzero(sims[i, i + 1:] >= threshold)[0] + i + 1:
                if not _conflict(keys[i], keys[int(j)], lang):
                    parent[find(int(j))] = find(i)
    members: dict[int, list[str]] = defaultdict(list)
    for i, k in enumerate(keys):
        members[find(i)].extend(by_key[k])
    out: dict[str, str] = {}
    for group_members in members.values():
        head = min(group_members, key=lambda c: (-canonicals[c], len(c), c))
        for c in group_members:
            out[c] = head
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
