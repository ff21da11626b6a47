"""Evaluate complaint-phrase mining on public review data and time the extractor.

    python bench/eval_phrases.py --data /work/shared/data [--top 30] [--limit N] [--korean]

English: womens_clothing_reviews, all reviews are segmented (vocmine.understand.segment when it
exists, else spaCy's sentencizer), phrases are extracted from every segment, grouped, and the
top phrases of reviews rated 1-2 are printed with customers, share, rating impact (measured
over all ratings) and their top variants. Korean (--korean): nsmc reviews rated 1-3, a sanity
list of the most frequent canonical forms (movies, so not product complaints).

Extraction throughput is timed on already tokenized segments, so it excludes tokenization.
"""
from __future__ import annotations

import argparse
import html
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine.understand import phrases  # noqa: E402
from vocmine.understand.nlp import get_english, get_kiwi  # noqa: E402


class Token(NamedTuple):
    text: str
    lemma: str
    pos: str
    start: int
    end: int


class Seg(NamedTuple):
    text: str
    lang: str
    start: int
    end: int
    tokens: list


def _segmenter():
    try:
        from vocmine.understand.segment import segment  # type: ignore
        return segment, "vocmine.understand.segment"
    except ImportError:
        return None, "fallback (spaCy sentencizer / Kiwi sentences)"


def segment_all(texts: list[str], lang: str) -> list[list]:
    """Return segments (with tokens) for each text."""
    seg, _ = _segmenter()
    if seg is not None:
        return [seg(t, lang) for t in texts]
    out = []
    if lang == "en":
        for doc in get_english().pipe(texts, batch_size=256):
            segs = []
            for s in doc.sents:
                toks = [Token(t.text, t.lemma_, t.pos_, t.idx, t.idx + len(t.text)) for t in s]
                segs.append(Seg(s.text, "en", s.start_char, s.end_char, toks))
            out.append(segs)
        return out
    kiwi = get_kiwi()
    for t in texts:
        segs = []
        for s in kiwi.split_into_sents(t, return_tokens=True):
            toks = [Token(m.form, m.form + "다" if m.tag.startswith(("VA", "VV", "XS", "VX")) else m.form,
                          m.tag, m.start, m.start + m.len) for m in s.tokens]
            segs.append(Seg(s.text, "ko", s.start, s.end, toks))
        out.append(segs)
    return out


def mine(ids, texts, ratings, lang):
    """Return (mentions frame, segment count, extraction seconds, segmentation seconds)."""
    t0 = time.perf_counter()
    all_segs = segment_all(texts, lang)
    t1 = time.perf_counter()
    rows = []
    nseg = 0
    t_ex = 0.0
    for fid, rating, segs in zip(ids, ratings, all_segs):
        for s in segs:
            nseg += 1
            a = time.perf_counter()
            found = phrases.extract(s)
            t_ex += time.perf_counter() - a
            for m in found:
                rows.append({"canonical": m.canonical, "variant": m.variant, "kind": m.kind, "customer": fid,
                             "feedback_id": fid, "rating": rating, "created_at": None,
                             "is_complaint_segment": rating <= (2 if lang == "en" else 3), "quote": s.text.strip()})
    return pd.DataFrame(rows), nseg, t_ex, t1 - t0


def english(data: Path, top: int, limit: int | None, ngrams: bool = False) -> None:
    df = pd.read_csv(data / "womens_clothing_reviews" / "reviews.csv").dropna(subset=["text"])
    if limit:
        df = df.head(limit)
    texts = [html.unescape(t) for t in df["text"]]
    m, nseg, t_ex, t_seg = mine(df["review_id"].tolist(), texts, df["rating"].tolist(), "en")
    print(f"segmenter: {_segmenter()[1]}")
    print(f"english: {len(df)} reviews, {nseg} segments, {len(m)} mentions")
    print(f"  segmentation+tokenization: {len(df) / t_seg:,.0f} reviews/s")
    print(f"  phrase extraction alone: {nseg / t_ex:,.0f} segments/s, {len(df) / t_ex:,.0f} reviews/s (1 core)")
    heads = phrases.group(Counter(m["canonical"]), "en")
    m["phrase"] = m["canonical"].map(heads)
    overall = df["rating"].mean()
    full = phrases.rank(m, overall_rating=overall).set_index("phrase")
    low_reviews = int((df["rating"] <= 2).sum())
    low = phrases.rank(m[m["rating"] <= 2], total_complaints=low_reviews)
    low["rating_impact"] = low["phrase"].map(full["rating_impact"])
    print(f"\ntop {top} phrases in {low_reviews} reviews rated 1-2 (share = of those reviews; "
          f"impact = mean rating with the phrase - {overall:.2f}, over all ratings)")
    print(f"{'#':>3} {'phrase':<28}{'cust':>5}{'share':>7}{'impact':>8}  top variants")
    for i, r in low.head(top).iterrows():
        variants = ", ".join(r["variants"][:4])
        print(f"{i + 1:>3} {r['phrase']:<28}{r['customers']:>5}{r['share_of_complaints']:>7.1%}"
              f"{r['rating_impact']:>8.2f}  {variants}")
    if ngrams:
        low_texts = [t for t, r in zip(texts, df["rating"]) if r <= 2]
        high_texts = [t for t, r in zip(texts, df["rating"]) if r >= 4]
        print("\nrecurring n-grams with high lift in 1-2 vs 4-5 reviews (what the patterns may miss):")
        for gram, k, lift in phrases.mine_ngrams(low_texts, high_texts, "en", min_count=15, top=25):
            print(f"    {gram:<28}{k:>5}{lift:>7.1f}")


def korean(data: Path, top: int, limit: int | None) -> None:
    df = pd.read_csv(data / "nsmc" / "nsmc_reviews_50k.csv").dropna(subset=["text"])
    df = df[df["rating"] <= 3]
    if limit:
        df = df.head(limit)
    m, nseg, t_ex, t_seg = mine(df["review_id"].tolist(), df["text"].astype(str).tolist(), df["rating"].tolist(), "ko")
    print(f"\nkorean (nsmc rated 1-3): {len(df)} reviews, {nseg} segments, {len(m)} mentions")
    print(f"  segmentation+tokenization: {len(df) / t_seg:,.0f} reviews/s")
    print(f"  phrase extraction alone: {nseg / t_ex:,.0f} segments/s (1 core)")
    heads = phrases.group(Counter(m["canonical"]), "ko")
    m["phrase"] = m["canonical"].map(heads)
    ranked = phrases.rank(m)
    for i, r in ranked.head(top).iterrows():
        print(f"{i + 1:>3} {r['phrase']:<20}{r['customers']:>5}  {', '.join(r['variants'][:4])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--korean", action="store_true", help="also run the nsmc sanity list")
    ap.add_argument("--ngrams", action="store_true", help="also list high-lift n-grams of 1-2 reviews")
    args = ap.parse_args()
    english(args.data, args.top, args.limit, args.ngrams)
    if args.korean:
        korean(args.data, args.top, args.limit)


if __name__ == "__main__":
    main()
