"""Growth on one machine: a 1M-feedback workspace, then one more week of new data.

    python bench/bench_growth.py --data ../shared/data --rows 1000000 --weeks 100 --work /tmp/growth

Builds real-language feedback from the public datasets (English clothing reviews, Korean NSMC
reviews, about 73k distinct texts): each row is one real review, and six rows in ten also get
one sentence of another review in the same language, so that most rows are distinct. The rest
repeat a review already drawn and are flagged as near-duplicates by the ingest stage (about 30%
of a million), as re-posted reviews would be; every row is still stored and analysed. Rows are
spread over ``--weeks`` ISO weeks; the last week is held back as "the new week".

Then, each step in a fresh ``vocmine`` process (peak RSS is that process's own):
  1. ingest the base (all weeks but the last)        4. ingest the new week
  2. analyze the base                                 5. analyze (incremental: the new week only)
  3. topics on the base                               6. topics (incremental) 7. report 8. publish
Prints one line per step (seconds, rows/s where it applies, peak RSS) and the workspace size.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

RSS = ("import resource, runpy, sys; sys.argv = ['vocmine'] + sys.argv[1:]\n"
       "try:\n    runpy.run_module('vocmine', run_name='__main__')\n"
       "finally:\n    print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
_SENT = re.compile(r"(?<=[.!?。])\s+|(?<=[요다죠네])\s+")


def load_texts(data: Path) -> dict[str, list[tuple[str, int]]]:
    pools: dict[str, list[tuple[str, int]]] = {"en": [], "ko": []}
    with open(data / "womens_clothing_reviews" / "reviews.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["text"].strip():
                pools["en"].append((r["text"].strip(), int(r["rating"])))
    with open(data / "nsmc" / "nsmc_reviews_50k.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["text"].strip():
                pools["ko"].append((r["text"].strip(), max(1, round(int(r["rating"]) / 2))))
    return pools


def build(data: Path, rows: int, weeks: int, base_csv: Path, week_csv: Path, seed: int = 11) -> dict[str, int]:
    pools = load_texts(data)
    sentences = {k: [s for t, _ in v for s in _SENT.split(t) if 12 <= len(s) <= 160] for k, v in pools.items()}
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)  # a Monday
    per_week = rows // weeks
    counts = {"base": 0, "week": 0}
    header = ["id", "text", "rating", "created", "author", "language"]
    with open(base_csv, "w", newline="", encoding="utf-8") as fb, open(week_csv, "w", newline="", encoding="utf-8") as fw:
        wb, ww = csv.writer(fb), csv.writer(fw)
        wb.writerow(header)
        ww.writerow(header)
        for i in range(rows):
            lang = "en" if rng.random() < 0.5 else "ko"
            text, rating = rng.choice(pools[lang])
            if rng.random() < 0.6:
                text = f"{text} {rng.choice(sentences[lang])}"
            week = min(i // per_week, weeks - 1)
            created = start + timedelta(weeks=week, seconds=rng.randrange(7 * 86400))
            row = [f"g{i}", text, rating, created.strftime("%Y-%m-%dT%H:%M:%SZ"), f"user{rng.randrange(rows // 3)}", lang]
            if week == weeks - 1:
                ww.writerow(row)
                counts["week"] += 1
            else:
                wb.writerow(row)
                counts["base"] += 1
    return counts


def step(name: str, db: Path, args: list[str], rows: int | None = None, cwd: Path | None = None) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", RSS, "--db", str(db), *args], capture_output=True, text=True, env=env,
                       cwd=cwd)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{name} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    rss = int(re.findall(r"PEAK_RSS_KB (\d+)", p.stderr)[-1]) // 1024
    out = {"step": name, "seconds": round(secs, 1), "peak_rss_mb": rss}
    if rows:
        out["rows_per_s"] = round(rows / secs)
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--weeks", type=int, default=100)
    ap.add_argument("--work", type=Path, default=Path("/tmp/vocmine-growth"))
    ap.add_argument("--skip-build", action="store_true", help="reuse the CSVs and workspace in --work")
    ap.add_argument("--from-step", type=int, default=1, help="start at this step (1-8), reusing earlier ones")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    base_csv, week_csv, db = args.work / "base.csv", args.work / "week.csv", args.work / "vocmine.db"
    print(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_avg_1m": os.getloadavg()[0]}))
    if not args.skip_build:
        t0 = time.perf_counter()
        counts = build(args.data, args.rows, args.weeks, base_csv, week_csv)
        print(json.dumps({"step": "build csv", "seconds": round(time.perf_counter() - t0, 1), **counts}), flush=True)
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
            p.unlink(missing_ok=True)
    base_rows = sum(1 for _ in open(base_csv, encoding="utf-8")) - 1
    week_rows = sum(1 for _ in open(week_csv, encoding="utf-8")) - 1
    cols = ["--text", "text", "--rating", "rating", "--id", "id", "--created", "created", "--author", "author"]
    steps = [
        ("1 ingest base", ["-q", "ingest", str(base_csv), "--source", "reviews", *cols], base_rows),
        ("2 analyze base", ["-q", "analyze"], base_rows),
        ("3 topics base", ["-q", "topics", "update"], None),
        ("4 ingest new week", ["-q", "ingest", str(week_csv), "--source", "reviews", *cols], week_rows),
        ("5 analyze new week", ["-q", "analyze"], week_rows),
        ("6 topics new week", ["-q", "topics", "update"], week_rows),
        ("7 report", ["-q", "report", "--out", str(args.work / "reports")], None),
        ("8 publish", ["-q", "publish", "--out", str(args.work / "site")], None),
    ]
    for i, (name, cmd, rows) in enumerate(steps, start=1):
        if i >= args.from_step:
            step(name, db, cmd, rows)
    size = sum(p.stat().st_size for p in args.work.glob("vocmine.db*"))
    import sqlite3

    conn = sqlite3.connect(db)
    facts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
             for t in ("feedback", "segments", "phrase_mentions", "topics", "segment_topics")}
    facts["duplicates"] = conn.execute("select count(*) from feedback where duplicate_of is not null").fetchone()[0]
    conn.close()
    print(json.dumps({"workspace_mb": round(size / 1e6), **facts}))


if __name__ == "__main__":
    main()
