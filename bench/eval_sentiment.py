"""Complaint detection against star ratings, and throughput of segmentation + sentiment.

Two review-level rules are scored, neither tuned on these labels: "any" (a review is a complaint
when any of its segments is judged a complaint: what phrase mining uses) and "polarity" (when the
mean polarity of its segments is below 0). The rating is never shown to the model. Truth: womens_clothing_reviews rating 1-2 (complaint) vs 4-5
(not); nsmc rating 1-3 vs 8-10. Run:

    PYTHONPATH=. python bench/eval_sentiment.py --data /work/shared/data [--limit N] [--nsmc-skip N]

``--nsmc-skip`` leaves out the first N nsmc rows: the Korean lexicon was checked against word
statistics of the first 25,000, so ``--nsmc-skip 25000`` reports on rows it has not seen. (The
English rules were tuned by reading errors on the clothing set; there is no held-out English.)
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from vocmine.understand.nlp import get_english, get_kiwi
from vocmine.understand.segment import segment_many
from vocmine.understand.sentiment import get_sentiment

DATASETS = {
    "clothing": ("womens_clothing_reviews/reviews.csv", "en", (1, 2), (4, 5)),
    "nsmc": ("nsmc/nsmc_reviews_50k.csv", "ko", (1, 3), (8, 10)),
}


def load(data: Path, name: str, skip: int, limit: int | None) -> tuple[list[str], list[bool], str]:
    """Return (texts, is_complaint truth, language) for one dataset."""
    rel, lang, (neg_lo, neg_hi), (pos_lo, pos_hi) = DATASETS[name]
    df = pd.read_csv(data / rel).iloc[skip:]
    df = df[df["text"].notna() & (df["text"].astype(str).str.strip() != "")]
    neg = df["rating"].between(neg_lo, neg_hi)
    pos = df["rating"].between(pos_lo, pos_hi)
    df, neg = df[neg | pos], neg[neg | pos]
    if limit:
        df, neg = df.iloc[:limit], neg.iloc[:limit]
    return df["text"].astype(str).tolist(), neg.tolist(), lang


def evaluate(texts: list[str], truth: list[bool], lang: str, model) -> dict:
    """Return metrics and throughput for one dataset."""
    t0 = time.perf_counter()
    segs = segment_many(texts, [lang] * len(texts))
    t1 = time.perf_counter()
    judged = [model.judge(s) for s in segs]
    t2 = time.perf_counter()
    pred = [any(j.complaint for j in js) for js in judged]
    polar = [bool(js) and sum(j.score for j in js) / len(js) < 0 for js in judged]
    pt = sum(p and t for p, t in zip(polar, truth))
    pn = sum((not p) and (not t) for p, t in zip(polar, truth))
    pos_n, neg_n = sum(truth), len(truth) - sum(truth)
    tp = sum(p and t for p, t in zip(pred, truth))
    fp = sum(p and not t for p, t in zip(pred, truth))
    fn = sum(t and not p for p, t in zip(pred, truth))
    tn = len(pred) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "n": len(texts),
        "complaint_share": sum(truth) / len(truth),
        "accuracy": (tp + tn) / len(pred),
        "balanced_accuracy": (recall + (tn / (tn + fp) if tn + fp else 0.0)) / 2,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "polarity_accuracy": (pt + pn) / len(polar),
        "polarity_balanced": (pt / pos_n + pn / neg_n) / 2 if pos_n and neg_n else 0.0,
        "segments_per_review": sum(map(len, segs)) / len(segs),
        "segment_per_s": len(texts) / (t1 - t0),
        "judge_per_s": len(texts) / (t2 - t1),
        "reviews_per_s": len(texts) / (t2 - t0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with the public datasets")
    ap.add_argument("--limit", type=int, default=None, help="at most N labelled reviews per dataset")
    ap.add_argument("--nsmc-skip", type=int, default=0, help="leave out the first N rows of nsmc")
    ap.add_argument("--model", default=None, help="sentiment model: lexicon (default) or a local directory")
    ap.add_argument("--only", choices=sorted(DATASETS), default=None)
    args = ap.parse_args()
    model = get_sentiment(args.model)
    get_english(), get_kiwi().tokenize("준비")  # load pipelines outside the timed part
    for name in DATASETS:
        if args.only and name != args.only:
            continue
        texts, truth, lang = load(args.data, name, args.nsmc_skip if name == "nsmc" else 0, args.limit)
        segment_many(texts[:50], [lang] * min(50, len(texts)))  # warm-up
        r = evaluate(texts, truth, lang, model)
        print(f"{name} ({lang}, n={r['n']}, complaints {r['complaint_share']:.1%}): "
              f"rule 'any': accuracy {r['accuracy']:.3f}  balanced {r['balanced_accuracy']:.3f}  "
              f"precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}; "
              f"rule 'polarity': accuracy {r['polarity_accuracy']:.3f}  balanced {r['polarity_balanced']:.3f}")
        print(f"  {r['segments_per_review']:.2f} segments/review; segment {r['segment_per_s']:,.0f}/s, "
              f"judge {r['judge_per_s']:,.0f}/s, together {r['reviews_per_s']:,.0f} reviews/s")


if __name__ == "__main__":
    main()
