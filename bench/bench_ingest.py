"""Ingest throughput and peak memory for a large CSV built from the public datasets.

    python bench/bench_ingest.py --data ../shared/data --rows 100000

Builds one CSV of N rows (English clothing reviews, Korean NSMC reviews and BANKING77 queries,
cycled with fresh ids, so repeats become near-duplicates as they would in real re-posts), then
runs ``vocmine ingest`` on it in a fresh process, twice: the first run stores everything, the
second is the idempotent re-run. Prints rows/s and the child's peak RSS for each.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_csv(data: Path, rows: int, out: Path) -> None:
    texts: list[tuple[str, str, str]] = []
    with open(data / "womens_clothing_reviews" / "reviews.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["text"].strip():
                texts.append((r["text"], r["rating"], "en"))
    with open(data / "nsmc" / "nsmc_reviews_50k.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["text"].strip():
                texts.append((r["text"], str(max(1, round(int(r["rating"]) / 2))), "ko"))
    with open(data / "banking77" / "banking77.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            texts.append((r["text"], "", "en"))
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "rating", "date", "author"])
        for i in range(rows):
            text, rating, _ = texts[i % len(texts)]
            w.writerow([f"b{i}", text, rating, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z", f"user{i % 7919}"])


def run(db: Path, path: Path) -> tuple[float, float, str]:
    cmd = [sys.executable, "-m", "vocmine", "--db", str(db), "ingest", str(path), "--created", "date", "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "big.csv"
        build_csv(args.data, args.rows, path)
        size_mb = path.stat().st_size / 1e6
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"input: {args.rows:,} rows, {size_mb:.1f} MB CSV")
        for label in ("first ingest", "re-run (no changes)"):
            elapsed, peak, out = run(tmp / "w.db", path)
            import json
            res = json.loads(out)
            print(f"{label}: {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows/s, peak RSS {peak:.0f} MB "
                  f"(inserted {res['inserted']:,}, unchanged {res['unchanged']:,}, "
                  f"near-duplicates {res['duplicates']:,}, rejected {res['rejected']:,})")
        print(f"workspace size: {(tmp / 'w.db').stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
