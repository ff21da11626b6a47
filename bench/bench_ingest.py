"""Ingest throughput and peak memory for a large CSV built from the public datasets.

    python bench/bench_ingest.py --data ../shared/data --rows 100000

Builds one CSV of N rows (English clothing reviews, Korean NSMC reviews and BANKING77 queries,
cycled with fresh ids, so repeats become near-duplicates as they would in real re-posts), then
runs ``vocmine ingest`` on it in a fresh process, twice: the first run stores everything, the
second is the idempotent re-run. Prints rows/s and the child's peak RSS for each.

``--ray 1,2`` adds a first ingest timed inside its process (the ``ingest`` call alone, without
start-up and imports), in-process, then for each count N a first ingest of the same CSV into a fresh workspace with
the finish half of each row (language, redaction, hashes) on N Ray actors of a local cluster of N
CPUs (``vocmine.jobs.ingest_map.ray_finisher``, as ``vocmine backfill --engine ray`` ingests), the
driver parsing and writing; Ray's start is timed apart (``ray_init_s``), and the stored rows are
checked equal to the in-process ingest's (every workspace shares one
``VOCMINE_PSEUDONYM_KEY``, so the authors' pseudonyms compare too). Peak RSS there is the driver's (the actors are other
processes).
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


RAY_CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from vocmine.jobs.partitioned import ray_session
from vocmine.jobs.ingest_map import CHUNK_ROWS, ray_finisher
import vocmine
from vocmine.collect.intake import ingest
db, path, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
from contextlib import nullcontext
with ray_session(n, None) if n else nullcontext():  # n = 0: in this process, timed the same way
    t1 = time.perf_counter()
    with vocmine.open(db) as ws:
        on = {"finisher": ray_finisher(n), "chunk_rows": CHUNK_ROWS} if n else {}
        r = ingest(ws, path, created="date", **on)
    t2 = time.perf_counter()
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(json.dumps({"ray_init_s": round(t1 - t0, 1), "ingest_s": t2 - t1, "peak_mb": hwm[0] / 1024 if hwm else None,
                  **r.as_dict()}))
"""


def run_ray(db: Path, path: Path, n: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", RAY_CHILD, str(db), str(path), str(n)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stored(db: Path) -> list[tuple]:
    import sqlite3
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, source, external_id, author, text, raw, language, content_hash, norm_hash, duplicate_of "
                           "FROM feedback ORDER BY source, external_id").fetchall()
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--ray", default="", help="Ray worker counts to run too, comma-separated (needs vocmine[ray])")
    args = ap.parse_args()
    # One pseudonym key for every workspace below (each new workspace otherwise makes its own), so
    # that the Ray runs' stored rows can be compared with the in-process run's, authors included.
    os.environ.setdefault("VOCMINE_PSEUDONYM_KEY", "bench-ingest")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "big.csv"
        build_csv(args.data, args.rows, path)
        size_mb = path.stat().st_size / 1e6
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"input: {args.rows:,} rows, {size_mb:.1f} MB CSV")
        for label in ("first ingest", "re-run (no changes)"):
            elapsed, peak, out = run(tmp / "w.db", path)
            res = json.loads(out)
            print(f"{label}: {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows/s, peak RSS {peak:.0f} MB "
                  f"(inserted {res['inserted']:,}, unchanged {res['unchanged']:,}, "
                  f"near-duplicates {res['duplicates']:,}, rejected {res['rejected']:,})")
        print(f"workspace size: {(tmp / 'w.db').stat().st_size / 1e6:.0f} MB")
        here = stored(tmp / "w.db") if args.ray else []
        counts = [int(x) for x in args.ray.split(",") if x.strip()]
        for n in [0] * bool(counts) + counts:  # 0: the in-process ingest timed as the Ray runs are
            db = tmp / f"ray{n}.db"
            res = run_ray(db, path, n)
            peak = f"{res['peak_mb']:.0f} MB" if res["peak_mb"] else "n/a (no /proc)"
            same = stored(db) == here
            how = f"Ray {n} worker(s)" if n else "in-process"
            print(f"first ingest call, {how}: {res['ingest_s']:.1f} s, {args.rows / res['ingest_s']:,.0f} rows/s "
                  f"(imports{' and Ray start' if n else ''} {res['ray_init_s']} s apart), driver peak RSS {peak}, "
                  f"inserted {res['inserted']:,}, same rows as in-process: {same}")
            if not same:
                raise SystemExit("the Ray ingest stored different rows")


if __name__ == "__main__":
    main()
