"""Backfill: the analyze stage over partitioned Parquet input, in this process or on Ray, and its
load into a workspace.

This is the first part of running the heavy stages past one machine (issue 18): the map over
feedback rows that ``vocmine analyze`` does (segments, sentiment, complaints, phrase mentions),
read from a directory of Parquet partitions and written as Parquet datasets
(``analyze_partitions``); the load of those datasets into a workspace through the stage's own
writer (``load_analysis``); and the whole job, ingest to load (``backfill``, ``vocmine backfill``). Every partition
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
    OUT/feedback/NAME.parquet   feedback_id, content_hash: the rows analysed (the load checks them)
    OUT/_done/NAME.json         the partition's counts, settings and a digest of its input rows:
                                written last, it marks the partition done

Resume: each output is written under a temporary name beginning with ``.`` and renamed into
place, and the marker is written (the same way) only after the outputs are in place. A run
skips every partition that has its marker for the same input rows (a partition name that now
holds other rows is analysed again), so a run killed at any point is resumed by running it
again: finished partitions are not redone, and a partition caught half-way is written again
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
dataset of partition paths goes through ``map_batches`` on an actor pool (each actor with an
equal share of the cluster's CPUs, at least one, as threads: ``partitioned.actor_cpus``; the
sentiment and language models loaded once per actor), and each actor call reads, analyses and
commits one whole partition. Ray Data still schedules, backpressures and retries: an actor that
dies is restarted and its partition is run again (``max_restarts``/``max_task_retries`` = -1,
Ray Data's defaults for actor pools), which the atomic commit makes safe. The partition files must be
readable and the output directory writable from every node (a shared file system).

The load (``load_analysis``) is an ``analyze`` run under the analyze stage lock that writes
through the stage's own batch writer (``analyze._write_batch``) and then regroups phrases, so
the workspace ends up as ``vocmine analyze`` leaves it. It skips rows whose analysis the
workspace already holds for the same content, and rows changed since the export (their
analysis is stale: ``analyze`` does them again). ``backfill`` lays its folder out as
``OUT/input`` (the export), ``OUT/analysis`` (the output above) and ``OUT/_loaded.json`` (which
finished partitions are loaded into which workspace); a run loads what a killed run analysed
but did not load before it exports what is still pending, so finished work is never redone.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from vocmine.core.errors import ConfigError
from vocmine.core.queries import LOADED_FROM
from vocmine.jobs.partitioned import (
    ENGINES, atomic, check_options, finished, input_digest, marker, partitions, ray_session, run_ray)

if TYPE_CHECKING:
    from datetime import date

    from vocmine.collect.sources.base import ColumnMap
    from vocmine.core.store import Store

INPUT_COLUMNS = ("id", "text", "language", "rating", "rating_scale", "content_hash")
# What export_pending writes besides: when the row was created, its ISO week as the workspace's
# trends compute it (decide.trends.week_of; null when undated), and the row it near-duplicates
# (null for most), which the trends leave out. The analysis reads INPUT_COLUMNS only; the
# aggregations (backfill_aggregates) read these.
DATE_COLUMNS = ("created", "week", "duplicate_of")
SEGMENT_COLUMNS = ("feedback_id", "idx", "text", "start", "end", "language", "sentiment", "label", "complaint",
                   "joined_by")
MENTION_COLUMNS = ("feedback_id", "idx", "lang", "canonical", "kind", "aspect", "opinion", "variant", "start", "end")
FEEDBACK_COLUMNS = ("feedback_id", "content_hash")
OUTPUTS = ("segments", "mentions", "feedback")
COUNTS = ("feedback", "segments", "complaints", "mentions")
# Rows per analyze_rows call inside a partition (the single-machine stage's batch).
BATCH = 500
PARTITION_ROWS = 10_000


def _schemas():
    import pyarrow as pa  # type: ignore[import-untyped]

    inp = pa.schema([("id", pa.int64()), ("text", pa.string()), ("language", pa.string()),
                     ("rating", pa.float64()), ("rating_scale", pa.float64()), ("content_hash", pa.string()),
                     ("created", pa.string()), ("week", pa.string()), ("duplicate_of", pa.int64())])
    seg = pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("text", pa.string()), ("start", pa.int32()),
                     ("end", pa.int32()), ("language", pa.string()), ("sentiment", pa.float64()),
                     ("label", pa.string()), ("complaint", pa.int8()), ("joined_by", pa.string())])
    men = pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("lang", pa.string()),
                     ("canonical", pa.string()), ("kind", pa.string()), ("aspect", pa.string()),
                     ("opinion", pa.string()), ("variant", pa.string()), ("start", pa.int32()), ("end", pa.int32())])
    return inp, seg, men


def _feedback_schema():
    import pyarrow as pa

    return pa.schema([("feedback_id", pa.int64()), ("content_hash", pa.string())])


def export_pending(ws: "Store", out_dir: str | os.PathLike, *, partition_rows: int = PARTITION_ROWS,
                   reanalyze: bool = False, first: int = 0) -> list[Path]:
    """Write the workspace's feedback rows that ``analyze`` would analyse now (all of them with
    ``reanalyze``) as Parquet partitions of ``partition_rows`` rows: ``part-00000.parquet``, ...
    (numbered from ``first``) in ``out_dir``, in feedback id order. Returns the paths written (none
    when nothing is pending). Partitions named ``part-*.parquet`` that an earlier export left in
    ``out_dir`` are removed. (``backfill`` numbers each export after every partition its output
    folder holds, so that no analysis of an earlier run is overwritten.)

    The columns are ``INPUT_COLUMNS`` and ``DATE_COLUMNS``: ``created`` (the stored creation time),
    ``week`` (computed by the same SQL as the workspace's weekly trends) and ``duplicate_of``."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from vocmine.decide.trends import week_of
    from vocmine.understand.analyze import _pending

    if partition_rows < 1:
        raise ConfigError(f"partition_rows must be at least 1, not {partition_rows}")
    if first < 0:
        raise ConfigError(f"first must be 0 or more, not {first}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schema = _schemas()[0]
    rows = _pending(ws.db.conn, reanalyze)
    paths = []
    for n, k in enumerate(range(0, len(rows), partition_rows)):
        part = rows[k:k + partition_rows]
        dates = {i: (c, w, d) for i, c, w, d in ws.db.conn.execute(
            f"select id, created_at, {week_of('created_at')}, duplicate_of from feedback where id between ? and ?",
            (part[0][0], part[-1][0]))}
        table = pa.Table.from_pylist([dict(zip(INPUT_COLUMNS + DATE_COLUMNS, r + dates.get(r[0], (None,) * 3)))
                                      for r in part], schema=schema)
        path = out / f"part-{first + n:05d}.parquet"
        atomic(path, partial(pq.write_table, table))
        paths.append(path)
    for old in out.glob("part-*.parquet"):  # an earlier export's partitions past this one's: not pending now
        if old not in paths:
            old.unlink()
    return paths


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
    each with an equal share of the cluster's CPUs; default: one actor per CPU). With "ray", ``address`` names the cluster to join
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

    check_options(engine, workers, batch_size)
    t0 = time.perf_counter()
    parts = partitions(in_dir)
    out = Path(out_dir)
    for sub in (*OUTPUTS, "_done"):
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
        info = finished(out, p)
        if info is not None:
            if info.get("fingerprint") != fp:
                raise ConfigError(
                    f"{str(out)!r} holds partition {p.stem} analysed with other settings (analyzer, sentiment "
                    "model, English model or learned words); write to a new output directory or delete that one")
            done[p.stem] = info
        else:
            todo.append(p)
            for sub in (*OUTPUTS, "_done"):  # what a killed run left half-written
                for tmp in (out / sub).glob(f".{p.stem}.*.tmp"):
                    tmp.unlink()
    result: dict[str, Any] = {"partitions": len(parts), "skipped": len(done), "analyzed": 0}
    options = {"out_dir": str(out), "sentiment": sentiment, "english_model": english_model, "learned": learned,
               "batch_size": batch_size, "fingerprint": fp}
    if progress and parts:
        progress(len(done), len(parts))
    for info in (_run_local(todo, options) if engine == "local" else
                 run_ray(todo, options, worker=PartitionAnalyzer, workers=workers, address=address)):
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
        self.sentiment = sentiment
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
        fb_t = pa.Table.from_pylist([{"feedback_id": r[0], "content_hash": r[5]} for r in rows],
                                    schema=_feedback_schema())
        atomic(self.out_dir / "segments" / path.name, partial(pq.write_table, seg_t))
        atomic(self.out_dir / "mentions" / path.name, partial(pq.write_table, men_t))
        atomic(self.out_dir / "feedback" / path.name, partial(pq.write_table, fb_t))
        secs = time.perf_counter() - t0
        from vocmine.understand.analyze import ANALYZER

        info = {**counts, "fingerprint": self.fingerprint, "input": input_digest([r[0] for r in rows],
                                                                                 [r[5] for r in rows]),
                "analyzer": ANALYZER, "sentiment": self.sentiment or "lexicon", "english_model": self.english_model,
                "input_bytes": path.stat().st_size, "pid": os.getpid(),
                "started": round(time.time() - secs, 3), "seconds": round(secs, 3)}
        atomic(marker(self.out_dir, path), lambda tmp: Path(tmp).write_text(json.dumps(info), encoding="utf-8"))
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


# -- the load into a workspace ----------------------------------------------------------------------------

def load_analysis(ws: "Store", out_dir: str | os.PathLike, *, partitions: Iterable[str] | None = None,
                  since: "str | date | None" = None,
                  progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Write the analysis in ``out_dir`` (``analyze_partitions``' output) into the workspace, as
    ``vocmine analyze`` would have: segments, phrases, phrase mentions and the ``analyzed`` marks,
    through the stage's own writer, then the phrase groups and aspect statistics (``regroup``).

    It runs as an ``analyze`` run (params ``engine: "backfill"``) under the analyze stage lock.
    Each finished partition is loaded (only those named in ``partitions``, stems such as
    ``part-00000``, when given), a transaction per batch of rows. A row is skipped when the
    workspace already holds its analysis for the same content (``unchanged``: loading twice adds
    nothing), and when its text changed or it is gone since the export (``stale``: its analysis
    is out of date, so it is not written; ``analyze`` analyses it again). ``progress(done,
    total)`` is called with partitions.

    ``since`` (an ISO date, rounded down to its week's Monday, so that a week is loaded whole or
    not at all) makes the load partial: a row dated before it is *summarised*. Its segments and
    mentions stay in ``out_dir`` only; the workspace gets its ``analyzed`` mark (with
    ``summarised``, the folder that holds them, so that nothing analyses it again) and its weekly
    counts, added to the ``history_*`` tables (``backfill_aggregates.counts_of``, the
    aggregates' own map; read them with ``backfill_aggregates.history``). Undated rows, and rows
    from ``since`` on, are loaded whole. The setting ``analysis.loaded_from`` records the latest
    such Monday: the weekly report and the changelog's counts start there (docs/scale.md). A row
    summarised by an earlier load is loaded whole by a load without ``since`` (or with an earlier
    one), and its counts are taken out of the history again; a row loaded whole stays whole. A
    summarised row whose text changed later is analysed again and loaded whole (by this load or by
    ``analyze``), and the history keeps the counts of what it said before.

    Returns ``partitions``, ``feedback`` (rows loaded whole), ``summarised`` (rows summarised),
    ``segments``, ``complaints``, ``mentions``, ``phrases`` (as ``analyze`` counts them, over the
    rows loaded whole), ``unchanged``, ``stale``, ``loaded_from`` (the setting after the load, or
    None), ``reports_from`` (the first week the weekly report can give then, or None) and ``seconds``.
    """
    from vocmine.core.db import stage_lock
    from vocmine.understand.analyze import ANALYZER, AnalyzeResult, _write_batch, regroup

    t0 = time.perf_counter()
    out = Path(out_dir)
    monday = week_start(since) if since is not None else None
    if not (out / "_done").is_dir():
        raise ConfigError(f"{str(out)!r} holds no backfill analysis (no _done folder); "
                          "analyse partitions into it first (analyze_partitions)")
    infos = {p.stem: json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((out / "_done").glob("*.json")) if not p.name.startswith((".", "_"))}
    names = sorted(infos)
    if partitions is not None:
        wanted = list(dict.fromkeys(partitions))
        missing = [n for n in wanted if n not in infos]
        if missing:
            raise ConfigError(f"{str(out)!r} has no finished analysis of partition {missing[0]}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                              + "; run analyze_partitions again to finish it")
        names = sorted(wanted)
    for name in names:
        info = infos[name]
        if info.get("analyzer") != ANALYZER:
            raise ConfigError(f"partition {name} in {str(out)!r} was analysed by analyzer "
                              f"{info.get('analyzer') or 'of an older vocmine'}, not {ANALYZER}; "
                              "analyse it again into a new output directory")
        if not (out / "feedback" / f"{name}.parquet").is_file():
            raise ConfigError(f"partition {name} in {str(out)!r} has no feedback/{name}.parquet; "
                              "analyse it again into a new output directory")
    params = {"engine": "backfill", "out_dir": str(out), "partitions": len(names), "since": monday,
              **{key: sorted({str(infos[n].get(key)) for n in names})
                 for key in ("sentiment", "english_model", "fingerprint")}}
    result = AnalyzeResult()
    skipped = {"unchanged": 0, "stale": 0, "summarised": 0}
    with stage_lock(ws.path, "analyze"):
        with ws.run("analyze", params) as counts:
            conn = ws.db.conn
            phrase_ids: dict[tuple[str, str], int] = {
                (lang, p): i for i, p, lang in conn.execute("select id, phrase, language from phrases")}
            run_id = counts["_run_id"]
            if progress and names:
                progress(0, len(names))
            for k, name in enumerate(names):
                _load_partition(conn, out, name, phrase_ids, result, skipped, run_id, _write_batch, ANALYZER,
                                monday)
                counts.update({**result.as_dict(), **skipped})
                if progress:
                    progress(k + 1, len(names))
            # regroup after writing, or when the analyze run before this one never finished (it
            # may have been killed between its last batch and its regroup)
            last = conn.execute("select status from runs where stage = 'analyze' and id < ? order by id desc limit 1",
                                (run_id,)).fetchone()
            if result.feedback or (last is not None and last[0] != "ok"):
                result.phrases = regroup(ws)
            if ws.setting(LOADED_FROM) is not None and conn.execute(
                    "select 1 from analyzed where summarised is not null limit 1").fetchone() is None:
                with conn:  # every summarised row is whole again: the analysis starts with the data
                    conn.execute("delete from settings where key = ?", (LOADED_FROM,))
            counts.update({**result.as_dict(), **skipped})
    from vocmine.tell.report_stage import first_report_week

    start = ws.setting(LOADED_FROM)
    return {"partitions": len(names), **result.as_dict(), **skipped, "loaded_from": start,
            "reports_from": first_report_week(start) if start else None,
            "seconds": round(time.perf_counter() - t0, 3)}


def week_start(day: "str | date") -> str:
    """The Monday (ISO date) of the ISO week that ``day`` (a date or an ISO date or timestamp) is in."""
    from datetime import date as _date

    from vocmine.core.dates import iso_week, week_monday

    try:
        d = day if isinstance(day, _date) else _date.fromisoformat(str(day)[:10])
    except ValueError as exc:
        raise ConfigError(f"since must be a date such as 2025-01-06, not {day!r}") from exc
    return week_monday(iso_week(d)).isoformat()


def _load_partition(conn, out: Path, name: str, phrase_ids: dict, result, skipped: dict[str, int], run_id: int,
                    write_batch: Callable, analyzer: str, since: str | None = None) -> None:
    """Load one partition's rows that are neither unchanged nor stale, ``BATCH`` rows a transaction:
    whole, or, when dated before ``since``, summarised (``_summarise``)."""
    import pyarrow.parquet as pq

    from vocmine.understand.phrases import PhraseMention

    exported = pq.read_table(out / "feedback" / f"{name}.parquet").to_pylist()
    now = {fid: rest for fid, *rest in conn.execute(
        "select f.id, f.content_hash, a.content_hash, a.analyzer, a.summarised, f.created_at from feedback f "
        "left join analyzed a on a.feedback_id = f.id where f.id in (select value from json_each(?))",
        (json.dumps([r["feedback_id"] for r in exported]),))}
    todo: list[tuple] = []
    summarise: list[int] = []
    unsummarise: list[int] = []  # summarised before, loaded whole now: their counts leave the history
    for r in exported:
        fid, chash = r["feedback_id"], r["content_hash"]
        current = now.get(fid)
        if current is None or current[0] != chash:
            skipped["stale"] += 1
            continue
        old = since is not None and current[4] is not None and current[4] < since
        done = current[1] == chash and current[2] == analyzer
        if done and (current[3] is None or old):  # loaded whole, or summarised and to stay so
            skipped["unchanged"] += 1
        elif old and not done and current[3] is None:
            summarise.append(fid)
        else:
            if done:
                unsummarise.append(fid)
            todo.append((fid, None, None, None, None, chash))  # the writer reads the id and the content hash
    if not (todo or summarise or unsummarise):
        return
    mentions = pq.read_table(out / "mentions" / f"{name}.parquet").to_pylist()
    keep = {t[0] for t in todo}
    if summarise:
        # The phrases of the summarised rows are the workspace's phrases too (the history counts them by
        # name, and regroup names a group by its most used phrase): registered first, in the order a
        # whole load would first meet them, so that their ids and parts are a whole load's.
        rank = {r["feedback_id"]: k for k, r in enumerate(exported)}
        whole_or_summarised = keep | set(summarise)
        meet = sorted((m for m in mentions if m["feedback_id"] in whole_or_summarised),
                      key=lambda m: (rank[m["feedback_id"]], m["idx"]))  # stable: a segment's mentions in order
        _register_phrases(conn, meet, phrase_ids)
    if summarise or unsummarise:
        _summarise(conn, out, name, summarise, unsummarise, {fid: now[fid][0] for fid in summarise}, analyzer,
                   run_id, since)
        skipped["summarised"] += len(summarise)
    if not todo:
        return
    per_seg: dict[tuple[int, int], list] = {}
    for m in mentions:
        if m["feedback_id"] in keep:
            per_seg.setdefault((m["feedback_id"], m["idx"]), []).append(PhraseMention(
                canonical=m["canonical"], variant=m["variant"], start=m["start"], end=m["end"], kind=m["kind"],
                lang=m["lang"], aspect=m["aspect"], opinion=m["opinion"]))
    per_row: dict[int, list] = {fid: [] for fid in keep}
    for s in pq.read_table(out / "segments" / f"{name}.parquet").to_pylist():
        fid = s["feedback_id"]
        if fid in keep:
            seg_row = tuple(s[c] for c in SEGMENT_COLUMNS[1:])
            per_row[fid].append((seg_row, per_seg.get((fid, s["idx"]), [])))
    for rows in per_row.values():
        rows.sort(key=lambda sr: sr[0][0])
    for k in range(0, len(todo), BATCH):
        batch = todo[k:k + BATCH]
        write_batch(conn, batch, [per_row[b[0]] for b in batch], phrase_ids, result, run_id)


def _register_phrases(conn, mentions: list[dict], phrase_ids: dict) -> None:
    """Add the phrases of ``mentions`` (rows of a partition's mentions table) that the workspace
    does not have, as ``analyze``'s writer adds them, in the order given; ``phrase_ids`` learns them."""
    from vocmine.core.dates import now_iso

    now = now_iso()
    with conn:
        for m in mentions:
            key = (m["lang"], m["canonical"])
            if key not in phrase_ids:
                phrase_ids[key] = conn.execute(
                    "insert into phrases (phrase, language, kind, aspect, opinion, updated_at) values (?,?,?,?,?,?)",
                    (m["canonical"], m["lang"], m["kind"], m["aspect"], m["opinion"], now)).lastrowid


HISTORY = {"weeks": "history_weeks", "segment_weeks": "history_segment_weeks", "phrase_weeks": "history_phrase_weeks"}


def _summarise(conn, out: Path, name: str, add: list[int], remove: list[int], hashes: dict[int, str], analyzer: str,
               run_id: int, since: str | None) -> None:
    """In one transaction: count partition ``name``'s rows ``add`` into the history tables and mark
    them analysed and summarised (in ``out``); take the rows ``remove`` (summarised by an earlier
    load, loaded whole now) out of the history again. Each row is in one week, so the counts of
    distinct feedback add up and subtract exactly."""
    import pyarrow as pa

    from vocmine.core.dates import now_iso
    from vocmine.decide.trends import week_of
    from vocmine.jobs.backfill_aggregates import KEYS, VALUES, counts_of

    def weeks(ids: list[int]) -> "pa.Table":
        # the week of each dated row that is not a near-duplicate: the rows the trends count
        rows = conn.execute(f"select id, {week_of('created_at')} from feedback where created_at is not null "
                            "and duplicate_of is null and id in (select value from json_each(?))",
                            (json.dumps(ids),)).fetchall()
        return pa.table({"feedback_id": pa.array([r[0] for r in rows], pa.int64()),
                         "week": pa.array([r[1] for r in rows], pa.string())})

    tables = []
    for ids, sign in ((add, 1), (remove, -1)):
        if ids:
            w = weeks(ids)
            tables += [(agg, counts_of(agg, f"{name}.parquet", out, w), sign) for agg in HISTORY]
    now = now_iso()
    with conn:
        for agg, t, sign in tables:
            keys, values = KEYS[agg], VALUES[agg]
            cols = keys + values
            sql = (f"insert into {HISTORY[agg]} ({', '.join(cols)}) values ({', '.join('?' * len(cols))}) "
                   f"on conflict ({', '.join(keys)}) do update set "
                   + ", ".join(f"{v} = {v} + excluded.{v}" for v in values))
            conn.executemany(sql, [tuple(r[c] if c in keys else sign * r[c] for c in cols) for r in t.to_pylist()])
            conn.execute(f"delete from {HISTORY[agg]} where {values[0]} <= 0")
        conn.executemany(
            "insert or replace into analyzed (feedback_id, content_hash, analyzer, run_id, analyzed_at, summarised) "
            "values (?,?,?,?,?,?)", [(fid, hashes[fid], analyzer, run_id, now, str(out)) for fid in add])
        if add and since is not None:
            conn.execute("insert into settings (key, value) values (?, ?) on conflict (key) do update set "
                         "value = max(value, excluded.value)", (LOADED_FROM, since))


# -- the whole backfill -----------------------------------------------------------------------------------

def backfill(ws_or_path: "Store | str | os.PathLike", inputs: Iterable[str | os.PathLike] = (), *,
             out: str | os.PathLike, engine: str = "local", workers: int | None = None, address: str | None = None,
             partition_rows: int = PARTITION_ROWS, source: str | None = None,
             columns: "ColumnMap | dict[str, str] | None" = None, topics: bool = False,
             num_gpus: float | None = None, load_since: "str | date | None" = None,
             progress: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Ingest ``inputs`` into the workspace, analyse everything it holds unanalysed as Parquet
    partitions (in this process or on Ray), and load the analysis into the workspace; returns counts.

    ``ws_or_path`` is a workspace or its file. The input files go through the normal ingest
    (``source`` and ``columns`` as there, else the file's name and detected columns; rejected
    rows reported in ``ingest.messages`` and the rejects table; nothing doubled on a re-run); with
    ``engine="ray"`` its redaction and language detection run on Ray workers and the rest here
    (``vocmine.jobs.ingest_map``), with the same result. Then ``export_pending`` writes the rows
    not analysed yet to ``OUT/input``, ``analyze_partitions`` analyses them into ``OUT/analysis`` (``engine``,
    ``workers``, ``address`` as there; the learned words are the workspace's), and
    ``load_analysis`` writes them into the workspace, as ``vocmine analyze`` would have. With
    ``load_since`` (an ISO date) the load is partial: rows dated before that date's week are
    summarised into the workspace's weekly ``history_*`` tables, their segments left in
    ``OUT/analysis`` (``load_analysis``' ``since``).

    With ``topics``, the topic stage follows: the segments it works on are embedded as a map over
    ``OUT/analysis/segments`` on the same engine (``embed_partitions``, into ``OUT/vectors``;
    ``num_gpus`` is each Ray actor's share of a GPU), the vectors are stored in the workspace
    (``load_vectors``), and ``update_topics`` runs here, on the driver: it discovers topics on a
    sample (at most 20,000 segments, as ever) and places every segment using the stored vectors,
    embedding nothing again. A language whose embedder is fitted on the workspace (``kiwi-lsa``, the
    Korean default) has no fit to embed with before its first topic fit: that first time the stage
    fits and embeds it here; later backfills embed it on the engine too.

    On Ray, one session serves every stage: the cluster at ``address``, else the Ray this process
    has initialised, else a local one of ``workers`` CPUs, started once and stopped at the end.

    Resumable: run it again after a failure or a kill. The partitions a killed run finished are
    loaded first (``resumed``), so they are never analysed again; what is still pending is
    exported and analysed. ``progress(line)`` gets one line per step as it ends (and
    ``progress.start(label)`` / ``progress.counter()`` when it has them: vocmine/cli/progress.py).

    The result: ``ingest`` (the IngestResult's counts and messages), ``resumed`` (what was loaded
    from an earlier run, or None), ``partitions`` (exported now), ``skipped`` (of those, already
    analysed), ``analyzed``, ``loaded`` (feedback rows written whole), ``summarised`` (rows
    counted into the history instead), ``loaded_from`` (the workspace's setting), ``reports_from``
    (the first week the weekly report can give), ``unchanged``, ``stale``,
    ``segments``, ``mentions``, ``phrases``, ``engine`` and ``seconds`` per step; with ``topics``,
    also ``embedded`` (per topic language: ``embed_partitions``'s counts and ``stored``, the vectors
    stored in the workspace, or ``skipped`` and why) and ``topics`` (``update_topics``'s counts).
    """
    from vocmine.collect.intake import ingest
    from vocmine.core.store import Store
    from vocmine.jobs.demo import _Stages  # the demo's step reporter: one line per step

    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if engine == "ray":  # before anything is written: a missing extra fails at once
        try:
            import ray  # noqa: F401
            import ray.data  # noqa: F401
        except ImportError as exc:
            raise ConfigError('engine "ray" needs Ray Data: pip install "vocmine[ray]"') from exc
    if partition_rows < 1:
        raise ConfigError(f"partition_rows must be at least 1, not {partition_rows}")
    if load_since is not None:
        week_start(load_since)  # a bad date fails here, before anything is written
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    if num_gpus is not None and not (topics and engine == "ray" and num_gpus > 0):
        raise ConfigError("num_gpus is each Ray actor's share of a GPU for the embeddings: give a number above 0, "
                          "with engine='ray' and topics")
    files = [Path(p) for p in inputs]
    for f in files:
        if not f.is_file():
            raise ConfigError(f"backfill input {str(f)!r} is not a file")
    ws: Store
    own = not isinstance(ws_or_path, Store)
    if isinstance(ws_or_path, Store):
        ws = ws_or_path
    else:
        from vocmine.workspace import Workspace

        ws = Workspace(ws_or_path)
    root = Path(out)
    in_dir, an_dir = root / "input", root / "analysis"
    st = _Stages(progress)
    seconds: dict[str, float] = {}
    result: dict[str, Any] = {"engine": engine, "ingest": None, "resumed": None}

    def step(name: str, t0: float) -> None:
        seconds[name] = round(time.monotonic() - t0, 3)

    stack = ExitStack()
    try:
        if engine == "ray":
            stack.enter_context(ray_session(workers, address))
            address = None  # joined (or started) once, here: every stage below runs in this session
        if files:
            label = "ingest " + ", ".join(f.name for f in files) + f" ({engine})"
            t0 = time.monotonic()
            bar = st.start(label)
            on_engine: dict[str, Any] = {}
            if engine == "ray":  # the redaction and language detection on Ray workers; the rest here
                from vocmine.jobs.ingest_map import CHUNK_ROWS, ray_finisher

                on_engine = {"finisher": ray_finisher(workers), "chunk_rows": CHUNK_ROWS}
            ing = ingest(ws, files, source=source, columns=columns, progress=bar, **on_engine)
            result["ingest"] = {**ing.as_dict(), "messages": ing.messages}
            step("ingest", t0)
            st.end(f"{label}: {ing.inserted:,} new, {ing.updated:,} updated, {ing.unchanged:,} unchanged, "
                   f"{ing.duplicates:,} near-duplicates flagged, {ing.rejected:,} rejected")
        unloaded = _unloaded(root, an_dir, ws)
        if unloaded:
            t0 = time.monotonic()
            bar = st.start("load what an earlier run analysed")
            pre = load_analysis(ws, an_dir, partitions=unloaded, since=load_since, progress=bar)
            result["resumed"] = pre
            _mark_loaded(root, an_dir, ws)
            step("resume", t0)
            st.end(f"load what an earlier run analysed: {pre['partitions']:,} partitions, {pre['feedback']:,} rows "
                   f"loaded, " + (f"{pre['summarised']:,} summarised, " if load_since is not None else "")
                   + f"{pre['unchanged']:,} already in, {pre['stale']:,} changed since")
        t0 = time.monotonic()
        st.start("export")
        _drop_unfinished(an_dir)
        parts = export_pending(ws, in_dir, partition_rows=partition_rows, first=_next_partition(an_dir))
        step("export", t0)
        pending = sum(_rows(p) for p in parts)
        st.end(f"export: {pending:,} rows pending analysis in {len(parts):,} partitions" if parts else
               "export: nothing pending analysis")
        t0 = time.monotonic()
        bar = st.start(f"analyze ({engine})")
        an = analyze_partitions(in_dir, an_dir, engine=engine, workers=workers, address=address, ws=ws,
                                progress=bar)
        step("analyze", t0)
        st.end(f"analyze ({engine}): {an['analyzed']:,} partitions analysed, {an['skipped']:,} already done, "
               f"{an['segments']:,} segments, {an['mentions']:,} phrase mentions")
        t0 = time.monotonic()
        bar = st.start("load")
        ld = load_analysis(ws, an_dir, partitions=[p.stem for p in parts], since=load_since, progress=bar)
        step("load", t0)
        st.end(f"load: {ld['feedback']:,} rows loaded, "
               + (f"{ld['summarised']:,} summarised (dated before {week_start(load_since)}), "
                  if load_since is not None else "")
               + f"{ld['unchanged']:,} already in, {ld['stale']:,} changed since the export, {ld['phrases']:,} phrases")
        _mark_loaded(root, an_dir, ws)
        if topics:
            t0 = time.monotonic()
            result["embedded"] = _embed_for_topics(ws, root, an_dir, st, engine=engine, workers=workers,
                                                   address=address, num_gpus=num_gpus)
            step("embed", t0)
            from vocmine.decide.topic_stage import update_topics

            t0 = time.monotonic()
            bar = st.start("topics")
            tp = update_topics(ws, progress=bar)
            result["topics"] = tp
            step("topics", t0)
            st.end(f"topics: {tp.get('topics', 0):,} topics, {tp.get('new_topics', 0):,} new, "
                   f"{tp.get('assigned', 0):,} segments placed, {tp.get('embedded', 0):,} embedded here")
    finally:
        stack.close()
        if own:
            ws.close()
    result.update({"partitions": an["partitions"], "skipped": an["skipped"], "analyzed": an["analyzed"],
                   "loaded": ld["feedback"], "summarised": ld["summarised"], "loaded_from": ld["loaded_from"],
                   "reports_from": ld["reports_from"],
                   "unchanged": ld["unchanged"], "stale": ld["stale"],
                   "segments": ld["segments"], "mentions": ld["mentions"], "phrases": ld["phrases"],
                   "out": str(root), "seconds": seconds})
    return result


def _embed_for_topics(ws: "Store", root: Path, an_dir: Path, st: Any, *, engine: str, workers: int | None,
                      address: str | None, num_gpus: float | None) -> dict[str, Any]:
    """Embed the topic stage's segments of each topic language on ``engine`` and store the vectors
    in ``ws``; returns per language the counts, or ``skipped`` with the reason."""
    from vocmine.decide.embed import get_embedder
    from vocmine.decide.topic_stage import _workspace_fitted
    from vocmine.jobs.backfill_topics import LANGS, embed_partitions, load_vectors

    seg_dir = an_dir / "segments"
    out: dict[str, Any] = {}
    if not partitions(seg_dir):
        return out
    names = _with_whole_rows(ws, an_dir) if ws.setting(LOADED_FROM) else None
    for lang in LANGS:
        emb = get_embedder(None, lang)
        if _workspace_fitted(emb):
            name = emb.name if emb.name.endswith(f":{lang}") else f"{emb.name}:{lang}"
            if ws.db.conn.execute("select 1 from embedder_states where name = ?", (name,)).fetchone() is None:
                out[lang] = {"skipped": f"{name} is fitted by the first topic fit: embedded there"}
                continue
        label = f"embed {lang} ({engine})"
        bar = st.start(label)
        r = embed_partitions(seg_dir, root, lang=lang, engine=engine, workers=workers, address=address,
                             num_gpus=num_gpus, ws=ws, names=names, progress=bar)
        r["stored"] = load_vectors(ws, root / "vectors" / lang, seg_dir)
        out[lang] = r
        st.end(f"{label}: {r['embedded']:,} partitions embedded, {r['skipped']:,} already done, "
               f"{r['segments']:,} segments, {r['stored']:,} vectors stored")
    return out


def _with_whole_rows(ws: "Store", an_dir: Path) -> list[str]:
    """The analysis partitions of ``an_dir`` with a row the workspace does not hold summarised
    (after a partial load): the others' segments are not in the workspace, so embedding them for
    the topic stage would be work thrown away. A partition is embedded whole or not at all, so
    that its vectors are those of a whole load (the int8 embedder's vectors depend on the batch)."""
    import pyarrow.parquet as pq

    conn = ws.db.conn
    names = []
    for p in partitions(an_dir / "feedback"):
        ids = pq.read_table(p, columns=["feedback_id"]).column("feedback_id").to_pylist()
        summarised = conn.execute("select count(*) from analyzed where summarised is not null and feedback_id in "
                                  "(select value from json_each(?))", (json.dumps(ids),)).fetchone()[0]
        if summarised < len(ids):
            names.append(p.stem)
    return names


def _loaded_state(root: Path, an_dir: Path, ws: "Store") -> tuple[dict[str, str], dict[str, str]]:
    """(partition -> input digest of every finished partition, of those loaded into ``ws`` by a backfill)."""
    done = {}
    if (an_dir / "_done").is_dir():
        for p in (an_dir / "_done").glob("*.json"):
            if not p.name.startswith((".", "_")):
                done[p.stem] = json.loads(p.read_text(encoding="utf-8")).get("input", "")
    state = root / "_loaded.json"
    loaded: dict[str, str] = {}
    if state.is_file():
        kept = json.loads(state.read_text(encoding="utf-8"))
        if kept.get("workspace") == str(Path(ws.path).resolve()):
            loaded = kept.get("partitions", {})
    return done, loaded


def _unloaded(root: Path, an_dir: Path, ws: "Store") -> list[str]:
    """The finished partitions of an earlier run that were not loaded into ``ws`` (a run killed before its load)."""
    done, loaded = _loaded_state(root, an_dir, ws)
    return sorted(n for n, digest in done.items() if loaded.get(n) != digest)


def _mark_loaded(root: Path, an_dir: Path, ws: "Store") -> None:
    """Remember, in ``OUT/_loaded.json``, that every finished partition is now loaded into ``ws``."""
    done, _loaded = _loaded_state(root, an_dir, ws)
    blob = json.dumps({"workspace": str(Path(ws.path).resolve()), "partitions": done}, indent=1)
    atomic(root / "_loaded.json", lambda tmp: Path(tmp).write_text(blob, encoding="utf-8"))


def _next_partition(an_dir: Path) -> int:
    """The number after every partition the analysis folder holds (finished or not), so that a new
    export never reuses a name: the analysis of an earlier run stays in ``OUT`` (a partial load's
    summarised rows have their only copy there) and the Parquet datasets hold every run's rows."""
    found = [int(m.group(1)) for d in (an_dir / "_done", *(an_dir / o for o in OUTPUTS)) if d.is_dir()
             for p in d.iterdir() if (m := re.fullmatch(r"part-(\d+)\.(?:parquet|json)", p.name))]
    return max(found) + 1 if found else 0


def _drop_unfinished(an_dir: Path) -> None:
    """Remove the outputs of partitions that a killed run began to analyse but did not finish (they
    have no marker): their rows are pending again and will be exported under a new name."""
    done = {p.stem for p in (an_dir / "_done").glob("*.json")} if (an_dir / "_done").is_dir() else set()
    for o in OUTPUTS:
        d = an_dir / o
        for p in d.glob("part-*.parquet") if d.is_dir() else ():
            if p.stem not in done:
                p.unlink()


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows
