"""The analyze stage as a backfill (vocmine.jobs.backfill): in-process against Ray with 1, 2, ... workers.

    python bench/bench_scale.py --data ../shared/data --rows 10000 --workers 1,2 --work /tmp/scale

Builds ``--rows`` rows of real review text exactly as ``bench_growth.py`` does (English clothing
reviews and Korean NSMC reviews, six in ten with one more sentence of another review), ingests
them into a workspace, learns the workspace's complaint adjectives once and exports the pending
rows as Parquet partitions of ``--partition-rows``. Then, each in a fresh process so that its peak
memory is its own, the same partitions are analysed by the local engine and by the Ray engine
with each ``--workers`` count N (a local Ray cluster of N CPUs, so each actor has one CPU and one
thread: the scaling series); every run's segments and mentions are checked equal to the local
run's. ``--one-worker-machine`` adds a Ray run with one worker on a cluster of all this machine's
CPUs: the actor gets them all (``partitioned.actor_cpus``) and runs with as many threads as the
in-process run, which is the comparison of Ray's own cost. ``--local-one-thread`` adds an
in-process run with ``OMP_NUM_THREADS=1``, one thread as a one-CPU actor has. ``--load`` adds, last, the load of the in-process run's output into a
copy of the prepared workspace (``load_analysis``, as ``vocmine backfill`` runs it), timed, with
the file's size before and after; ``--load-since DATE`` makes that load partial (every row is
dated in one week, so a later DATE summarises them all: the smallest workspace a load leaves).

Prints one JSON line per run: ``analyze_s`` (the ``analyze_partitions`` call: it includes loading
the models in each Ray actor, not starting Ray, which is ``ray_init_s``), rows/s over
``analyze_s``, one worker's steady rows/s (over the partitions that were not its first, which
also loaded the models), the driver's peak RSS, the biggest single Ray actor's peak RSS and the peak of
the whole process tree (driver, Ray's daemons and workers; sampled every 0.1 s, Linux only).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_growth import build  # noqa: E402  (the same rows as the growth benchmark)
from peak_tree import tree_rss_mb  # noqa: E402


def prepare(args) -> dict:
    """Build the CSV, ingest it, learn the words and export the partitions; returns counts."""
    import vocmine
    from vocmine.jobs.backfill import export_pending
    from vocmine.understand.analyze import learned_words
    from vocmine.understand.sentiment import get_sentiment

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    db = work / "vocmine.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    build(args.data, args.rows, 1, work / "unused.csv", work / "rows.csv")  # one week: every row in rows.csv
    ws = vocmine.open(db)
    r = ws.ingest(work / "rows.csv", source="reviews", text="text", rating="rating", id="id", created="created",
                  author="author")
    learned = learned_words(ws, get_sentiment(None))
    (work / "learned.json").write_text(json.dumps(learned), encoding="utf-8")
    import shutil

    shutil.rmtree(work / "in", ignore_errors=True)
    parts = export_pending(ws, work / "in", partition_rows=args.partition_rows)
    ws.close()
    return {"step": "prepare", "seconds": round(time.perf_counter() - t0, 1), "stored": r.stored,
            "partitions": len(parts), "learned_words": len(learned)}


def _actor_pids() -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                title = Path(f"/proc/{d}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::MapWorker(MapBatches(PartitionAnalyzer))"):
                out.append(int(d))
    return out


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _own_peak_mb() -> int:
    """This process's peak RSS: VmHWM, which starts again at exec (``ru_maxrss`` keeps the forking
    parent's peak across exec, so it reported the benchmark's parent, not the run)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def out_name(engine: str, n: int, tag: str = "") -> str:
    """The output folder of one run under --work: ``out-ENGINE-N``, with ``-TAG`` for a tagged run."""
    return f"out-{engine}-{n}" + (f"-{tag}" if tag else "")


def one(args) -> None:
    """One run, in this (fresh) process: engine ``args.engine`` with ``args.n`` workers."""

    from vocmine.jobs.backfill import analyze_partitions

    peaks = {"tree": 0.0, "actor": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peaks["tree"] = max(peaks["tree"], tree_rss_mb(os.getpid()))
            for pid in _actor_pids():
                peaks["actor"] = max(peaks["actor"], _rss_mb(pid))
            stop.wait(0.1)

    threading.Thread(target=sample, daemon=True).start()
    learned = json.loads((args.work / "learned.json").read_text(encoding="utf-8"))
    out = args.work / out_name(args.engine, args.n, args.tag)
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    init_s = 0.0
    if args.engine == "ray":
        import ray

        t0 = time.perf_counter()
        cpus = max(args.n, os.cpu_count() or 1) if args.tag == "machine" else args.n
        ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING")
        init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = analyze_partitions(args.work / "in", out, engine=args.engine, workers=args.n, learned=learned)
    secs = time.perf_counter() - t0
    stop.set()
    if args.engine == "ray":
        import ray

        ray.shutdown()
    # each worker's first partition also loads the models; the others show the steady rate
    marks = [json.loads(m.read_text(encoding="utf-8")) for m in (out / "_done").glob("*.json")]
    firsts = {min((m for m in marks if m["pid"] == pid), key=lambda m: m["started"])["partition"]
              for pid in {m["pid"] for m in marks}}
    rest = [m for m in marks if m["partition"] not in firsts]
    steady = round(sum(m["feedback"] for m in rest) / sum(m["seconds"] for m in rest), 1) if rest else None
    print("RESULT " + json.dumps({
        "engine": args.engine, "workers": args.n, "rows": result["feedback"], "segments": result["segments"],
        "mentions": result["mentions"], "ray_init_s": round(init_s, 1), "analyze_s": round(secs, 1),
        "rows_per_s": round(result["feedback"] / secs, 1), "worker_steady_rows_per_s": steady,
        "worker_processes": len(firsts),
        "driver_peak_rss_mb": _own_peak_mb(),
        "actor_peak_rss_mb": round(peaks["actor"]), "tree_peak_rss_mb": round(peaks["tree"])}), flush=True)


def load(args) -> None:
    """The load, in this (fresh) process: the in-process run's output into a copy of the prepared
    workspace, through ``load_analysis`` as ``vocmine backfill`` runs it."""
    import shutil

    import vocmine
    from vocmine.jobs.backfill import load_analysis

    src, db = args.work / "vocmine.db", args.work / "load.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    with vocmine.open(src) as ws:  # a checkpointed copy: the WAL folded into the file
        ws.db.conn.execute("pragma wal_checkpoint(truncate)")
    t0 = time.perf_counter()
    shutil.copyfile(src, db)
    copy_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with vocmine.open(db) as ws:
        r = load_analysis(ws, args.work / out_name("local", 1), since=args.load_since)
    secs = time.perf_counter() - t0
    with vocmine.open(db) as ws:  # the size of the file alone, as for the prepared one
        ws.db.conn.execute("pragma wal_checkpoint(truncate)")
    print("RESULT " + json.dumps({
        "engine": "load", "since": args.load_since, "prepared_db_mb": round(src.stat().st_size / 2**20),
        "rows": r["feedback"], "summarised": r["summarised"], "segments": r["segments"], "mentions": r["mentions"],
        "phrases": r["phrases"], "copy_s": round(copy_s, 1), "load_s": round(secs, 1),
        "rows_per_s": round(r["feedback"] / secs, 1), "segments_per_s": round(r["segments"] / secs, 1),
        "driver_peak_rss_mb": _own_peak_mb(), "db_mb": round(db.stat().st_size / 2**20)}), flush=True)


def same_as(work: Path, a: str, b: str) -> bool:
    import pandas as pd

    for kind, key in (("segments", ["feedback_id", "idx"]), ("mentions", ["feedback_id", "idx", "start", "end",
                                                                          "canonical"])):
        x = pd.read_parquet(work / a / kind).sort_values(key).reset_index(drop=True)
        y = pd.read_parquet(work / b / kind).sort_values(key).reset_index(drop=True)
        if not x.equals(y):
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--workers", default="1,2", help="Ray worker counts to run, comma-separated")
    ap.add_argument("--partition-rows", type=int, default=1_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/vocmine-scale"))
    ap.add_argument("--skip-build", action="store_true", help="reuse the partitions in --work")
    ap.add_argument("--no-local", action="store_true", help="skip the in-process run")
    ap.add_argument("--one-worker-machine", action="store_true",
                    help="also run Ray with one worker on a cluster of all this machine's CPUs (after --workers)")
    ap.add_argument("--local-one-thread", action="store_true",
                    help="also run in-process with OMP_NUM_THREADS=1 (last), the thread count of one Ray actor")
    ap.add_argument("--load", action="store_true",
                    help="also time the load of the in-process output into a copy of the workspace (last)")
    ap.add_argument("--load-since", metavar="DATE",
                    help="with --load: a partial load (load_analysis(since=DATE)); every row is in one week, so a "
                         "DATE after it summarises them all")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--tag", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.work = args.work.resolve()
    if args.one:
        args.engine, args.n = args.one[0], int(args.one[1])
        load(args) if args.engine == "load" else one(args)
        return
    print(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_avg_1m": round(os.getloadavg()[0], 2)}), flush=True)
    if not args.skip_build:
        print(json.dumps(prepare(args)), flush=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RAY_DEDUP_LOGS="0")
    # (engine, workers, threads): threads None is the process default (every core for Kiwi and onnx);
    # ("machine": one worker on all the CPUs); a Ray actor runs with OMP_NUM_THREADS = its CPUs whatever is set here
    runs = ([] if args.no_local else [("local", 1, None)]) + [("ray", int(n), None)
                                                             for n in args.workers.split(",") if n]
    if args.one_worker_machine:
        runs.append(("ray", 1, "machine"))
    if args.local_one_thread:
        runs.append(("local", 1, 1))
    if args.load:
        runs.append(("load", 1, None))
    base = None
    for engine, n, threads in runs:
        run_env = env if not isinstance(threads, int) else dict(env, OMP_NUM_THREADS=str(threads))
        tag = threads if isinstance(threads, str) else f"{threads}t" if threads else ""
        p = subprocess.run([sys.executable, __file__, "--data", str(args.data), "--work", str(args.work),
                            "--one", engine, str(n)] + (["--tag", tag] if tag else [])
                           + (["--load-since", args.load_since] if args.load_since else []),
                           capture_output=True, text=True, env=run_env)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
        if p.returncode != 0 or not lines:
            sys.exit(f"{engine} x{n} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
        row = json.loads(lines[-1][7:])
        name = out_name(engine, n, tag)
        row["omp_num_threads"] = threads if isinstance(threads, int) else None
        if engine == "ray":
            row["cluster_cpus"] = max(n, os.cpu_count() or 1) if tag == "machine" else n
        if engine != "load":  # the analysis runs: the first is the one the others must equal
            if base is None:
                base = name
            else:
                row["same_as_" + base] = same_as(args.work, base, name)
        row["load_avg_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
