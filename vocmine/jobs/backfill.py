"""Backfill: the analyze stage over partitioned Parquet input, in this process or on Ray.

This is the first slice of running the heavy stages past one machine (issue 18): the map over
feedback rows that ``vocmine analyze`` does (segments, sentiment, complaints, phrase mentions),
read from a directory of Parquet partitions and written as Parquet datasets. Every partition
goes through ``vocmine.understand.analyze.analyze_rows``, the stage function the single-machine
path runs, so there is no second implementation of any rule, and the in-process engine and the
Ray engine give the same rows.

Input: a directory of ``*.parquet`` files with the columns ``id, text, language, rating,
rating_scale, content_hash`` (what ``export_pending`` writes from a workspace). Output, per
input partition ``NAME.parquet``::

    OUT/segments/NAME.parquet   feedback_id, idx, text, start, end, language, sentiment, label,
                                complaint, joined_by
    OUT/mentions/NAME.parquet   feedback_id, idx (the segment's), lang, canonical, kind, aspect,
                                opinion, variant, start, end
    OUT/_done/NAME.json         the partition's counts: written last, it marks the partition done

Resume: each output is written under a temporary name beginning with ``.`` and renamed into
place, and the marker is written (the same way) only after both outputs are in place. A run
skips every partition that has its marker, so a run killed at any point is resumed by running
it again: finished partitions are not redone, and a partition caught half-way is written again
over its own files (a rename replaces), never appended to. Readers of ``OUT/segments`` see only
whole partitions: Arrow and pandas skip names that begin with ``.`` or ``_``. A run removes the
temporary files a killed run left for the partitions it redoes; run one backfill per output
directory at a time.

The sentiment model learns complaint adjectives from a workspace's rated reviews
(``analyze.learned_words``). Here they are computed once, on the driver, from ``ws`` when one is
given (else none are learned, or pass ``learned=`` yourself), and the same word list is handed to
every worker, so both engines, and every worker of a cluster, judge with the same lexicon. The
marker records a fingerprint of these settings: an output directory written with other
settings is refused rather than mixed.

Why Ray tasks get partition paths and not rows (``ray.data.read_parquet``): Ray Data re-blocks
what it reads and names what it writes after its own tasks, so the unit that is committed would
not be an input partition and a killed run could not tell what was finished. Here a small
dataset of partition paths goes through ``map_batches`` on an actor pool (one CPU per actor, the
sentiment and language models loaded once per actor), and each actor call reads, analyses and
commits one whole partition. Ray Data still schedules, backpressures and retries: an actor that
dies is restarted and its partition is run again (``max_restarts``/``max_task_retries`` = -1,
Ray Data's defaults for actor pools), which the atomic commit makes safe. The partition files must be
readable and the output directory writable from every node (a shared file system).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store

INPUT_COLUMNS = ("id", "text", "language", "rating", "rating_scale", "content_hash")
SEGMENT_COLUMNS = ("feedback_id", "idx", "text", "start", "end", "language", "sentiment", "label", "complaint",
                   "joined_by")
MENTION_COLUMNS = ("feedback_id", "idx", "lang", "canonical", "kind", "aspect", "opinion", "variant", "start", "end")
COUNTS = ("feedback", "segments", "complaints", "mentions")
# Rows per analyze_rows call inside a partition (the single-machine stage's batch).
BATCH = 500
PARTITION_ROWS = 10_000
ENGINES = ("local", "ray")


def _schemas():
    import pyarrow as pa  # type: ignore[import-untyped]

    inp = pa.schema([("id", pa.int64()), ("text", pa.string()), ("language", pa.string()),
                     ("rating", pa.float64()), ("rating_scale", pa.float64()), ("content_hash", pa.string())])
    seg = pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("text", pa.string()), ("start", pa.int32()),
                     ("end", pa.int32()), ("language", pa.string()), ("sentiment", pa.float64()),
                     ("label", pa.string()), ("complaint", pa.int8()), ("joined_by", pa.string())])
    men = pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("lang", pa.string()),
                     ("canonical", pa.string()), ("kind", pa.string()), ("aspect", pa.string()),
                     ("opinion", pa.string()), ("variant", pa.string()), ("start", pa.int32()), ("end", pa.int32())])
    return inp, seg, men


def export_pending(ws: "Store", out_dir: str | os.PathLike, *, partition_rows: int = PARTITION_ROWS,
                   reanalyze: bool = False) -> list[Path]:
    """Write the workspace's feedback rows that ``analyze`` would analyse now (all of them with
    ``reanalyze``) as Parquet partitions of ``partition_rows`` rows: ``part-00000.parquet``, ...
    in ``out_dir``, in feedback id order. Returns the paths written (none when nothing is pending)."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from vocmine.understand.analyze import _pending

    if partition_rows < 1:
        raise ConfigError(f"partition_rows must be at least 1, not {partition_rows}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schema = _schemas()[0]
    rows = _pending(ws.db.conn, reanalyze)
    paths = []
    for n, k in enumerate(range(0, len(rows), partition_rows)):
        part = rows[k:k + partition_rows]
        table = pa.Table.from_pylist([dict(zip(INPUT_COLUMNS, r)) for r in part], schema=schema)
        path = out / f"part-{n:05d}.parquet"
        _atomic(path, partial(pq.write_table, table))
        paths.append(path)
    return paths


def partitions(in_dir: str | os.PathLike) -> list[Path]:
    """Return the input partitions of ``in_dir``: its ``*.parquet`` files (not those whose name
    begins with ``.`` or ``_``), sorted by name."""
    d = Path(in_dir)
    if not d.is_dir():
        raise ConfigError(f"backfill input {str(d)!r} is not a directory; give a directory of Parquet partitions")
    return sorted(p for p in d.glob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))


def fingerprint(sentiment: str | None, english_model: str | None, learned: dict[str, float]) -> str:
    """A short hash of the settings that change the output (analyzer version, models, learned words)."""
    from vocmine.understand.analyze import ANALYZER

    blob = json.dumps({"analyzer": ANALYZER, "sentiment": sentiment or "lexicon", "english_model": english_model,
                       "learned": sorted(learned.items())}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def analyze_partitions(in_dir: str | os.PathLike, out_dir: str | os.PathLike, *, engine: str = "local",
                       workers: int | None = None, batch_size: int = BATCH, address: str | None = None,
                       progress: Callable[[int, int], Any] | None = None, ws: "Store | None" = None,
                       learned: dict[str, float] | None = None, sentiment: str | None = None,
                       english_model: str | None = None) -> dict[str, Any]:
    """Analyse every input partition of ``in_dir`` not done yet into ``out_dir``; returns counts.

    ``engine`` is "local" (this process) or "ray" (a Ray Data actor pool of ``workers`` actors,
    one CPU each; default: the cluster's CPUs). With "ray", ``address`` names the cluster to join
    ("auto", "ray://host:10001"); without it vocmine uses the Ray already initialised in this
    process, else starts a local one (this machine's processes only) and stops it at the end.
    ``progress(done, total)`` is called with partitions after each one. ``learned`` words, else
    those of ``ws``, else none, go to the sentiment model of every worker (see the module's
    docstring).

    The result: ``partitions`` (input), ``skipped`` (already done), ``analyzed`` (done by this
    run), then ``feedback``, ``segments``, ``complaints`` and ``mentions`` over all partitions
    done, ``seconds`` and ``engine``.
    """
    from vocmine.understand.sentiment import get_sentiment

    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    t0 = time.perf_counter()
    parts = partitions(in_dir)
    out = Path(out_dir)
    for sub in ("segments", "mentions", "_done"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    if learned is None:
        learned = {}
        if ws is not None:
            from vocmine.understand.analyze import learned_words

            model = get_sentiment(sentiment)
            if hasattr(model, "learn"):
                learned = learned_words(ws, model, english_model)
    fp = fingerprint(sentiment, english_model, learned)
    done: dict[str, dict] = {}
    todo: list[Path] = []
    for p in parts:
        mark = _marker(out, p)
        if mark.is_file():
            info = json.loads(mark.read_text(encoding="utf-8"))
            if info.get("fingerprint") != fp:
                raise ConfigError(
                    f"{str(out)!r} holds partition {p.stem} analysed with other settings (analyzer, sentiment "
                    "model, English model or learned words); write to a new output directory or delete that one")
            done[p.stem] = info
        else:
            todo.append(p)
            for sub in ("segments", "mentions", "_done"):  # what a killed run left half-written
                for tmp in (out / sub).glob(f".{p.stem}.*.tmp"):
                    tmp.unlink()
    result: dict[str, Any] = {"partitions": len(parts), "skipped": len(done), "analyzed": 0}
    options = {"out_dir": str(out), "sentiment": sentiment, "english_model": english_model, "learned": learned,
               "batch_size": batch_size, "fingerprint": fp}
    if progress and parts:
        progress(len(done), len(parts))
    for info in (_run_local(todo, options) if engine == "local" else
                 _run_ray(todo, options, workers=workers, address=address)):
        done[info["partition"]] = info
        result["analyzed"] += 1
        if progress:
            progress(len(done), len(parts))
    for key in COUNTS:
        result[key] = sum(int(i[key]) for i in done.values())
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["engine"] = engine
    return result


class PartitionAnalyzer:
    """Analyses whole partitions: built once per worker (it loads the models), called per partition.

    ``__call__`` takes a Ray Data batch ``{"path": [...]}`` and returns the counts of each
    partition it committed; ``analyze(path)`` does one partition.
    """

    def __init__(self, out_dir: str, *, sentiment: str | None = None, english_model: str | None = None,
                 learned: dict[str, float] | None = None, batch_size: int = BATCH, fingerprint: str = "") -> None:
        from vocmine.understand.sentiment import get_sentiment

        self.out_dir = Path(out_dir)
        self.english_model = english_model
        self.batch_size = batch_size
        self.fingerprint = fingerprint
        self.model = get_sentiment(sentiment)
        if hasattr(self.model, "learn"):
            self.model.learn(dict(learned or {}))

    def analyze(self, path: str | os.PathLike) -> dict[str, Any]:
        """Analyse one partition and commit its outputs and marker; return its counts."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        path = Path(path)
        _inp, seg_schema, men_schema = _schemas()
        table = pq.read_table(path, columns=list(INPUT_COLUMNS))
        rows = [tuple(r[c] for c in INPUT_COLUMNS) for r in table.to_pylist()]
        segs, ments = analyzed_rows(rows, self.model, self.english_model, self.batch_size)
        counts = {"partition": path.stem, "feedback": len(rows), "segments": len(segs),
                  "complaints": sum(1 for s in segs if s[8]), "mentions": len(ments)}
        seg_t = pa.Table.from_pylist([dict(zip(SEGMENT_COLUMNS, s)) for s in segs], schema=seg_schema)
        men_t = pa.Table.from_pylist([dict(zip(MENTION_COLUMNS, m)) for m in ments], schema=men_schema)
        _atomic(self.out_dir / "segments" / path.name, partial(pq.write_table, seg_t))
        _atomic(self.out_dir / "mentions" / path.name, partial(pq.write_table, men_t))
        secs = time.perf_counter() - t0
        info = {**counts, "fingerprint": self.fingerprint, "input_bytes": path.stat().st_size, "pid": os.getpid(),
                "started": round(time.time() - secs, 3), "seconds": round(secs, 3)}
        _atomic(_marker(self.out_dir, path), lambda tmp: Path(tmp).write_text(json.dumps(info), encoding="utf-8"))
        return counts

    def __call__(self, batch: dict) -> dict[str, list]:
        found = [self.analyze(str(p)) for p in batch["path"]]
        return {k: [f[k] for f in found] for k in ("partition", *COUNTS)}


def analyzed_rows(rows: list[tuple], model, english_model: str | None = None,
                  batch_size: int = BATCH) -> tuple[list[tuple], list[tuple]]:
    """Run ``analyze_rows`` over ``rows`` in batches; return (segment rows, mention rows) flat,
    in the columns ``SEGMENT_COLUMNS`` and ``MENTION_COLUMNS``."""
    from vocmine.understand.analyze import analyze_rows

    segs: list[tuple] = []
    ments: list[tuple] = []
    for k in range(0, len(rows), batch_size):
        batch = rows[k:k + batch_size]
        for row, per_row in zip(batch, analyze_rows(batch, model, english_model)):
            fid = row[0]
            for seg_row, mentions in per_row:
                segs.append((fid, *seg_row))
                ments.extend((fid, seg_row[0], m.lang, m.canonical, m.kind, m.aspect, m.opinion, m.variant,
                              m.start, m.end) for m in mentions)
    return segs, ments


def _run_local(todo: list[Path], options: dict):
    if not todo:
        return
    worker = PartitionAnalyzer(**options)
    for p in todo:
        yield worker.analyze(p)


def _run_ray(todo: list[Path], options: dict, *, workers: int | None, address: str | None):
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError('engine "ray" needs Ray Data: pip install "vocmine[ray]"') from exc
    if not todo:
        return
    started = False
    if address is not None or not ray.is_initialized():
        if ray.is_initialized():
            raise ConfigError(f"Ray is already initialised in this process; call without address= to use it, "
                              f"or ray.shutdown() first to join {address!r}")
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING"}
        if address is None:  # a local cluster of this machine's CPUs (``workers`` of them when given)
            kwargs["num_cpus"] = workers
        ray.init(address=address, **kwargs)
        started = True
    ctx = ray.data.DataContext.get_current()
    bars = ctx.enable_progress_bars
    ctx.enable_progress_bars = False  # the caller's progress() reports; the library prints nothing
    try:
        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = min(size, len(todo))
        paths = ray.data.from_items([{"path": str(p)} for p in todo], override_num_blocks=len(todo))
        ds = paths.map_batches(PartitionAnalyzer, fn_constructor_kwargs=options, batch_size=1,
                            compute=ray.data.ActorPoolStrategy(size=size), num_cpus=1, batch_format="numpy")
        for row in ds.iter_rows():
            yield {k: (str(v) if k == "partition" else int(v)) for k, v in row.items()}
    finally:
        ctx.enable_progress_bars = bars
        if started:
            ray.shutdown()


def _marker(out: Path, part: Path) -> Path:
    return out / "_done" / f"{part.stem}.json"


def _atomic(path: Path, write: Callable[[str], Any]) -> None:
    """Write ``path`` through ``write(tmp)`` under a hidden temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
