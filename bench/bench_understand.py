"""Throughput of the understand stage (segmentation + sentiment + phrase extraction, stored).

    python bench/bench_understand.py --data ../shared/data --rows 20000

For English (womens_clothing_reviews) and Korean (nsmc) separately: ingest N reviews into a
fresh workspace (not timed), then time ``vocmine analyze`` in a fresh process, which segments,
judges sentiment and complaints, extracts phrase mentions, groups phrases and writes it all to
SQLite. Prints reviews/s and the child's peak RSS, plus the load average so noisy runs show.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_rows(data: Path, lang: str, rows: int, out: Path) -> int:
    src = (data / "womens_clothing_reviews" / "reviews.csv" if lang == "en"
           else data / "nsmc" / "nsmc_reviews_50k.csv")
    n = 0
    with open(src, encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as g:
        w = csv.writer(g)
        w.writerow(["id", "text", "rating"])
        for r in csv.DictReader(f):
            if not (r["text"] or "").strip():
                continue
            rating = r["rating"] if lang == "en" else str(int(r["rating"]) / 2)  # nsmc is 1-10
            w.writerow([f"{lang}{n}", r["text"], rating])
            n += 1
            if n >= rows:
                break
    return n


def vocmine(db: Path, *args: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vocmine", "--db", str(db), *args, "--json"],
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--rows", type=int, default=20_000, help="reviews per language")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("en", "ko"):
            db = Path(tmp) / f"{lang}.db"
            csv_path = Path(tmp) / f"{lang}.csv"
            n = write_rows(args.data, lang, args.rows, csv_path)
            vocmine(db, "ingest", str(csv_path))
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            elapsed, res = vocmine(db, "analyze")
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            again, res2 = vocmine(db, "analyze")
            print(f"{lang}: {n:,} reviews analysed in {elapsed:.1f} s = {n / elapsed:,.0f} reviews/s "
                  f"(process start and model load included); {res['segments']:,} segments, "
                  f"{res['complaints']:,} complaints, {res['mentions']:,} phrase mentions; "
                  f"peak RSS {max(peak, before) / 1024:.0f} MB; re-run {again:.1f} s, {res2['feedback']} analysed")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
