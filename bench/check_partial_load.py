"""A partial backfill load on real dated reviews: does the weekly report read the same?

    python bench/check_partial_load.py --data ../shared/data --dataset hotel_reviews_europe

Ingests one dated dataset of ``--data`` (``hotel_reviews_europe``, ``amazon_fine_food`` or
``nsmc``; ``--rows`` of it, the newest first), exports and analyses it once in this process
(``export_pending``, ``analyze_partitions``), then loads that analysis into two copies of the
workspace: whole, and partially (``load_analysis(since=...)``) with ``since`` the first of the 12
weeks the newest week's report reads, so that every older week is summarised. Prints one JSON
line: rows, summarised rows, both workspaces' sizes and load times, whether the two weekly
reports of the newest week are equal apart from "loop closed" (which counts from the loaded
weeks in the partial one, and says so), the keys that differ, and the history's weeks.
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

DATASETS = {  # file, columns: the text, the rating, the id, the date
    "hotel_reviews_europe": ("hotel_reviews_europe/reviews.csv", "text", "rating", "review_id", "date"),
    "amazon_fine_food": ("amazon_fine_food/reviews.csv", "text", "rating", "review_id", "date"),
    "nsmc": ("nsmc/nsmc_reviews_50k.csv", "text", "rating", "review_id", "date"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--dataset", choices=sorted(DATASETS), required=True)
    ap.add_argument("--rows", type=int, default=10_000, help="the newest N rows of the dataset")
    ap.add_argument("--work", type=Path, help="folder to keep the workspaces in (default: a temporary one)")
    args = ap.parse_args()

    import vocmine
    from vocmine.core.dates import week_monday
    from vocmine.jobs.backfill import analyze_partitions, export_pending, load_analysis
    from vocmine.tell.report_stage import HISTORY_WEEKS, latest_week

    file, text, rating, rid, created = DATASETS[args.dataset]
    with open(args.data / file, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r[text].strip() and r[created].strip()]
    rows.sort(key=lambda r: r[created], reverse=True)
    rows = rows[:args.rows]
    tmp = tempfile.TemporaryDirectory()
    work = args.work or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    src = work / "rows.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[rid, text, rating, created])
        w.writeheader()
        w.writerows({k: r[k] for k in (rid, text, rating, created)} for r in rows)
    fresh = work / "fresh.db"
    for p in work.glob("*.db*"):
        p.unlink()
    shutil.rmtree(work / "in", ignore_errors=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    t0 = time.perf_counter()
    with vocmine.open(fresh) as ws:
        ws.ingest(src, source=args.dataset, text=text, rating=rating, id=rid, created=created)
        export_pending(ws, work / "in", partition_rows=2_000)
        analyze_partitions(work / "in", work / "out", ws=ws)
        ws.db.conn.execute("pragma wal_checkpoint(truncate)")
        week = latest_week(ws)
    prepare_s = time.perf_counter() - t0
    assert week is not None
    since = (week_monday(week) - timedelta(weeks=HISTORY_WEEKS - 1)).isoformat()
    out: dict = {"dataset": args.dataset, "rows": len(rows), "prepare_s": round(prepare_s, 1), "week": week,
                 "since": since}
    reports = {}
    for name, when in (("whole", None), ("partial", since)):
        db = work / f"{name}.db"
        shutil.copyfile(fresh, db)
        t0 = time.perf_counter()
        with vocmine.open(db) as ws:
            r = load_analysis(ws, work / "out", since=when)
            load_s = time.perf_counter() - t0
            reports[name] = ws.weekly_data(week)
            if when:
                out["history_weeks"] = ws.db.conn.execute("select count(*) from history_weeks").fetchone()[0]
                out["history_phrase_rows"] = ws.db.conn.execute(
                    "select count(*) from history_phrase_weeks").fetchone()[0]
            ws.db.conn.execute("pragma wal_checkpoint(truncate)")
        out[name] = {"loaded": r["feedback"], "summarised": r["summarised"], "load_s": round(load_s, 2),
                     "db_mb": round(db.stat().st_size / 2**20, 1),
                     "loop": {k: reports[name]["loop"].get(k) for k in ("complaint_volume", "linked_complaints",
                                                                          "since")}}
    a, b = ({k: v for k, v in reports[n].items() if k != "loop"} for n in ("whole", "partial"))
    dump = lambda v: json.dumps(v, sort_keys=True, default=str)  # noqa: E731
    out["report_equal_but_loop"] = dump(a) == dump(b)
    out["differing_keys"] = sorted(k for k in set(a) | set(b) if dump(a.get(k)) != dump(b.get(k)))
    out["report_topics"], out["report_phrases"] = len(a.get("topics") or []), len(a.get("phrases") or [])
    print(json.dumps(out, ensure_ascii=False))
    sys.exit(0 if out["report_equal_but_loop"] else 1)


if __name__ == "__main__":
    main()
