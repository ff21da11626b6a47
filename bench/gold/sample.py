"""Draw the sentences that the aspect gold samples label, reproducibly.

    python bench/gold/sample.py --data ../shared/data --out bench/gold

For each domain, 200 sentences with a fixed seed: 140 from complaint reviews (ratings 1-2 of 5,
1-4 of 10; the "negative" half of a hotel review) and 60 from the rest, so that both complaints and
praise are labelled. BANKING77 has no ratings: 200 random queries. Sentences are split with a
plain regular expression (not vocmine's segmenter, so that the gold does not move when the
segmenter changes) and kept when 12-300 characters long. Writes <domain>.sample.jsonl with
{"id", "domain", "lang", "source_id", "rating", "text"}; the labelled files (<domain>.jsonl) add
the labels (see README.md).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
from pathlib import Path

SPLIT = re.compile(r"(?<=[.!?。~…])\s+|\n+")
PER_DOMAIN, COMPLAINTS = 200, 140


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SPLIT.split(text or "") if 12 <= len(s.strip()) <= 300]


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def domain_pools(data: Path) -> dict[str, tuple[str, list[tuple], list[tuple]]]:
    """Return {domain: (lang, complaint sentences, other sentences)}; each item (source_id, rating, text)."""
    pools: dict[str, tuple[str, list[tuple], list[tuple]]] = {}

    def rated(name: str, folder: str, lang: str, bad: float, id_col: str = "review_id") -> None:
        neg, rest = [], []
        for r in rows(data / folder / ("nsmc_reviews_50k.csv" if folder == "nsmc" else "reviews.csv")):
            try:
                rating = float(r["rating"])
            except (KeyError, ValueError):
                continue
            for s in sentences(r["text"]):
                (neg if rating <= bad else rest).append((r[id_col], rating, s))
        pools[name] = (lang, neg, rest)

    rated("clothing", "womens_clothing_reviews", "en", 2)
    rated("food", "amazon_fine_food", "en", 2)
    rated("shop_ko", "naver_shopping_3k", "ko", 2)
    rated("movies_ko", "nsmc", "ko", 4)
    neg, rest = [], []
    for r in rows(data / "hotel_reviews_europe" / "reviews.csv"):
        for s in sentences(r.get("negative", "")):
            neg.append((r["review_id"], float(r["rating"]), s))
        for s in sentences(r.get("positive", "")):
            rest.append((r["review_id"], float(r["rating"]), s))
    pools["hotels"] = ("en", neg, rest)
    queries = [(str(i), None, r["text"]) for i, r in enumerate(rows(data / "banking77" / "banking77.csv"))
               if 12 <= len(r["text"]) <= 300]
    pools["banking"] = ("en", queries, [])
    return pools


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    for domain, (lang, neg, rest) in domain_pools(args.data).items():
        rng = random.Random(f"{args.seed}:{domain}")
        take = rng.sample(neg, min(len(neg), PER_DOMAIN if not rest else COMPLAINTS))
        if rest:
            take += rng.sample(rest, min(len(rest), PER_DOMAIN - len(take)))
        path = args.out / f"{domain}.sample.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i, (sid, rating, text) in enumerate(take):
                f.write(json.dumps({"id": f"{domain}-{i:03d}", "domain": domain, "lang": lang, "source_id": sid,
                                    "rating": rating, "text": text}, ensure_ascii=False) + "\n")
        print(f"{domain}: {len(take)} sentences -> {path}")


if __name__ == "__main__":
    main()
