"""Complaint adjectives learned from a workspace's own ratings (English).

The general lexicons (VADER, TextBlob's) have no valence for many words that customers use as
complaints: "flimsy", "scratchy", "unflattering", "bland", "watery", "cheap". Which of them matter
depends on the product, so vocmine learns them per workspace instead of listing them: a word is
learned when the reviews rated low (the bottom quarter of the scale) use it much more than the
reviews rated high (the top quarter), by a log-odds z-score over review counts (Monroe et al.
2008, with a flat prior), and when the English parser tags it as an adjective in most of the
low-rated sentences that use it, so that topics ("maternity", "zipper", "label") are never
learned, only what customers say about them. Nothing is learned without ratings, without the
parser, or from fewer than ``MIN_LOW`` low-rated reviews per word.

The words join the lexicon with valence ``VALENCE`` (VADER's scale: "bad" is -2.5) for the
segments analysed after they were learned. ``vocmine analyze`` keeps them, with their counts, in
the workspace setting ``sentiment.learned.en`` (``ws.setting("sentiment.learned.en")``), and
learns again when the number of rated reviews has changed by more than ``RELEARN_AT``.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Iterable

WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")
_SENT = re.compile(r"[^.!?\n]+")
# A word is learned when low-rated reviews use it at least MIN_RATIO times as often as high-rated
# ones, with a z-score of MIN_Z or more, in MIN_LOW low-rated reviews or more.
MIN_Z = 4.0
MIN_RATIO = 3.0
MIN_LOW = 8
# Below this many rated reviews nothing is learned (nothing could pass MIN_LOW and MIN_Z).
MIN_RATED = 100
# Low-rated sentences parsed per candidate to see whether customers use it as an adjective.
SAMPLE = 5
# At most this many candidates (the strongest) are checked.
MAX_CANDIDATES = 80
MIN_ADJ_SHARE = 0.6
VALENCE = -1.6
# Relearn when the number of rated reviews changed by more than this share.
RELEARN_AT = 0.1


def side(rating: float | None, scale: float | None) -> int:
    """Return -1 for a low rating (bottom quarter of the scale), 1 for a high one, else 0."""
    if rating is None or not scale or scale <= 1:
        return 0
    p = (float(rating) - 1) / (float(scale) - 1)
    return -1 if p <= 0.25 else 1 if p >= 0.75 else 0


def candidates(rows: Iterable[tuple[str, float | None, float | None]], known: Any = ()) -> list[dict[str, Any]]:
    """Return the words that low-rated reviews over-use, strongest first (before the adjective check).

    ``rows`` are (text, rating, rating scale); ``known`` holds words to leave out (the lexicons'
    words, function words, negators).
    """
    low: Counter[str] = Counter()
    high: Counter[str] = Counter()
    n_low = n_high = 0
    for text, rating, scale in rows:
        s = side(rating, scale)
        if not s or not text:
            continue
        words = set(WORD.findall(text.lower()))
        if s < 0:
            n_low += 1
            low.update(words)
        else:
            n_high += 1
            high.update(words)
    if not n_low or not n_high:
        return []
    out: list[dict[str, Any]] = []
    a = 0.5
    for w, yl in low.items():
        if yl < MIN_LOW or len(w) < 3 or w in known:
            continue
        yh = high.get(w, 0)
        ratio = (yl / n_low) / ((yh + a) / n_high)
        if ratio < MIN_RATIO:
            continue
        delta = math.log((yl + a) / (n_low - yl + a)) - math.log((yh + a) / (n_high - yh + a))
        z = delta / math.sqrt(1 / (yl + a) + 1 / (yh + a) + 1 / (n_low - yl + a) + 1 / (n_high - yh + a))
        if z >= MIN_Z:
            out.append({"word": w, "z": round(z, 2), "low": yl, "high": yh, "ratio": round(ratio, 2)})
    out.sort(key=lambda c: -c["z"])
    return out


def adjectives(cands: list[dict[str, Any]], texts: list[str], parser) -> list[dict[str, Any]]:
    """Keep the candidates that ``parser`` tags as adjectives in most low-rated sentences using them.

    ``texts`` are the low-rated reviews. Adds ``adj_share`` to each kept candidate.
    """
    if not cands:
        return []
    want = {c["word"]: c for c in cands}
    found: dict[str, list[str]] = {w: [] for w in want}
    for text in texts:
        for m in _SENT.finditer(text):
            sent = m.group(0)
            if len(sent) > 200:
                continue
            for w in set(WORD.findall(sent.lower())) & want.keys():
                if len(found[w]) < SAMPLE:
                    found[w].append(sent)
        if all(len(v) >= SAMPLE for v in found.values()):
            break
    jobs = [(w, s) for w, sents in found.items() for s in sents]
    adj: Counter = Counter()
    seen: Counter = Counter()
    for (w, _s), doc in zip(jobs, parser.pipe([s for _w, s in jobs], batch_size=256)):
        for t in doc:
            if t.lower_ == w:
                seen[w] += 1
                if t.tag_.startswith("JJ") or (t.tag_ == "VBN" and t.dep_ in ("acomp", "amod")):
                    adj[w] += 1
                break
    out = []
    for w, c in want.items():
        if seen[w] and adj[w] / seen[w] >= MIN_ADJ_SHARE:
            out.append(dict(c, adj_share=round(adj[w] / seen[w], 2)))
    return out


def learn(rows: list[tuple[str, float | None, float | None]], parser, known: Any = ()) -> list[dict[str, Any]]:
    """Return the learned complaint adjectives of ``rows`` (text, rating, scale), strongest first."""
    cands = candidates(rows, known)[:MAX_CANDIDATES]
    if not cands or parser is None:
        return []
    low_texts = [t for t, r, s in rows if t and side(r, s) < 0]
    return adjectives(cands, low_texts, parser)


def valences(words: list[dict[str, Any]]) -> dict[str, float]:
    """Return word -> valence for the lexicon."""
    return {w["word"]: VALENCE for w in words}
