"""Backfill, the aggregations: weekly counts over the backfill's partitions as a distributed
group-by, in this process or on Ray (issue 18).

The analysis (``vocmine.jobs.backfill``) and the topic assignments (``backfill_topics``) are
Parquet datasets keyed by feedback id; the week of each row is in the input partitions (the
``week`` column ``export_pending`` writes with the workspace's own week SQL). This module counts
them per ISO week without a workspace::

    OUT/weeks.parquet           week, feedback: dated feedback rows per week (the denominator of a share)
    OUT/segment_weeks.parquet   week, language, feedback, complaint_feedback, segments, complaints,
                                sentiment_sum, sentiment_n
    OUT/phrase_weeks.parquet    week, lang, canonical, volume, complaint_volume, segments,
                                complaint_segments, sentiment_sum, sentiment_n, complaint_sentiment_sum,
                                complaint_sentiment_n
    OUT/topic_weeks.parquet     week, lang, topic_id, and the measures of phrase_weeks
                                (only with ``assignments=``: the segments placed on a topic)

What the counts mean, as in ``vocmine.decide.trends.weekly``: ``volume`` and ``feedback`` count
distinct feedback rows (a review that says "heavy" twice counts once); ``segments`` counts
segment rows, and for a phrase the mentions (the trend query's ``count(*)``); ``complaint_*``
only segments judged complaints; ``sentiment_sum / sentiment_n`` is the mean segment polarity.
Undated rows (no ``week``) are in no week, and near-duplicates (``duplicate_of`` set) are not
counted: both are left out, as the trends leave them out, and the result says how many. A phrase is ``(lang, canonical)``, the workspace's phrase
before ``regroup`` joins variants into groups.

How it is distributed: a map and a reduce. The map (``partial_counts``) counts one partition:
the same function on both engines, a pyarrow ``group_by`` over that partition's rows. Counts of
distinct feedback add up across partitions, because a feedback row is in exactly one partition,
so the reduce is a sum per key: ``Table.group_by`` in this process, Ray Data's distributed
``groupby(...).sum()`` (a shuffle across the cluster) on Ray. Nothing is stored per partition:
the counts are recomputed from the Parquet datasets on each run (the map reads, it analyses
nothing), and each table is written under a temporary name and renamed into place.
"""
from __future__ import annotations

import os
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from vocmine.core.errors import ConfigError
from vocmine.jobs.partitioned import atomic, check_options, finished, partitions, ray_session

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa  # type: ignore[import-untyped]

    from vocmine.core.store import Store

KEYS = {
    "weeks": ("week",),
    "segment_weeks": ("week", "language"),
    "phrase_weeks": ("week", "lang", "canonical"),
    "topic_weeks": ("week", "lang", "topic_id"),
}
VALUES = {
    "weeks": ("feedback",),
    "segment_weeks": ("feedback", "complaint_feedback", "segments", "complaints", "sentiment_sum", "sentiment_n"),
    "phrase_weeks": ("volume", "complaint_volume", "segments", "complaint_segments", "sentiment_sum", "sentiment_n",
                     "complaint_sentiment_sum", "complaint_sentiment_n"),
    "topic_weeks": ("volume", "complaint_volume", "segments", "complaint_segments", "sentiment_sum", "sentiment_n",
                    "complaint_sentiment_sum", "complaint_sentiment_n"),
}
TABLES = tuple(KEYS)


def _schema(name: str) -> "pa.Schema":
    import pyarrow as pa

    types = {"week": pa.string(), "language": pa.string(), "lang": pa.string(), "canonical": pa.string(),
             "topic_id": pa.int64(), "sentiment_sum": pa.float64(), "complaint_sentiment_sum": pa.float64()}
    return pa.schema([(c, types.get(c, pa.int64())) for c in KEYS[name] + VALUES[name]])


def _read(path: Path, columns: list[str]) -> "pa.Table":
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    return pq.read_table(path, columns=columns)


def _weeks_of(inp: Path) -> tuple["pa.Table", int]:
    """``feedback_id, week`` of an input partition's dated rows that are not near-duplicates (the
    rows the trends count: none when it has no ``week``), and how many near-duplicates it has."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]
    import pyarrow.parquet as pq

    names = pq.read_schema(inp).names
    if "week" not in names:
        return pa.table({"feedback_id": pa.array([], pa.int64()), "week": pa.array([], pa.string())}), 0
    t = _read(inp, ["id", "week"] + (["duplicate_of"] if "duplicate_of" in names else []))
    dup = pc.is_valid(t["duplicate_of"]) if "duplicate_of" in names else pa.array([False] * len(t))
    keep = pc.and_(pc.is_valid(t["week"]), pc.invert(dup))
    t = pa.table({"feedback_id": t["id"], "week": t["week"]}).filter(keep)
    return t, pc.sum(dup).as_py() or 0


def _measures(t: "pa.Table") -> "pa.Table":
    """Add the columns the sums are taken of: complaint (int), complaint_fid (the feedback id of a
    complaint segment, else null), the sentiment of complaints (else null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    complaint = pc.fill_null(pc.cast(t["complaint"], pa.int64()), 0)
    is_c = pc.equal(complaint, 1)
    t = t.set_column(t.schema.get_field_index("complaint"), "complaint", complaint)
    t = t.append_column("complaint_fid", pc.if_else(is_c, t["feedback_id"], pa.scalar(None, pa.int64())))
    return t.append_column("complaint_sentiment", pc.if_else(is_c, t["sentiment"], pa.scalar(None, pa.float64())))


def _grouped(t: "pa.Table", keys: tuple[str, ...], aggs: list[tuple[str, str, str]], name: str) -> "pa.Table":
    """``t`` grouped by ``keys`` with ``aggs`` (column, function, output name), cast to table ``name``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    g = t.group_by(list(keys)).aggregate([(c, f) for c, f, _ in aggs])
    # a sum over no values is 0, not null, so that the partial sums add up on either engine
    cols = {out: pc.fill_null(g[f"{c}_{f}"], 0) for c, f, out in aggs}
    out = pa.table({**{k: g[k] for k in keys}, **cols})
    schema = _schema(name)
    return out.select(schema.names).cast(schema)


def partial_counts(name: str, inp: str | os.PathLike, an_dir: str | os.PathLike,
                   assignments: str | os.PathLike | None = None) -> "pa.Table":
    """The counts of table ``name`` over one partition: ``inp`` (its input, for the weeks), the
    analysis in ``an_dir`` (``OUT/analysis``) and, for ``topic_weeks``, the topic assignments in
    ``assignments`` (``OUT/assignments``, every language found there). This is the map: both
    engines call it, and its rows for one key add up across partitions."""
    inp = Path(inp)
    return counts_of(name, inp.name, an_dir, _weeks_of(inp)[0], assignments)


def counts_of(name: str, file: str, an_dir: str | os.PathLike, weeks: "pa.Table",
              assignments: str | os.PathLike | None = None) -> "pa.Table":
    """``partial_counts`` of the rows in ``weeks`` (``feedback_id, week``: the rows to count, each
    in its week) of the partition file named ``file`` (``part-00000.parquet``) in ``an_dir``. The
    partial load (``backfill.load_analysis(since=...)``) counts the rows it summarises with it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    an = Path(an_dir)
    if name == "weeks":
        return _grouped(weeks, KEYS[name], [("feedback_id", "count", "feedback")], name)
    seg_path = an / "segments" / file
    if not seg_path.is_file():
        raise ConfigError(f"partition {Path(file).stem} has no analysis in {str(an / 'segments')!r}; run the analysis first")
    segs = _read(seg_path, ["feedback_id", "idx", "language", "sentiment", "complaint"]).join(
        weeks, "feedback_id", join_type="inner")
    segs = _measures(segs)
    if name == "segment_weeks":
        aggs = [("feedback_id", "count_distinct", "feedback"), ("complaint_fid", "count_distinct",
                                                                 "complaint_feedback"),
                ("idx", "count", "segments"), ("complaint", "sum", "complaints"),
                ("sentiment", "sum", "sentiment_sum"), ("sentiment", "count", "sentiment_n")]
        return _grouped(segs, KEYS[name], aggs, name)
    volume = [("feedback_id", "count_distinct", "volume"), ("complaint_fid", "count_distinct", "complaint_volume"),
              ("idx", "count", "segments"), ("complaint", "sum", "complaint_segments"),
              ("sentiment", "sum", "sentiment_sum"), ("sentiment", "count", "sentiment_n"),
              ("complaint_sentiment", "sum", "complaint_sentiment_sum"),
              ("complaint_sentiment", "count", "complaint_sentiment_n")]
    if name == "phrase_weeks":
        ments = _read(an / "mentions" / file, ["feedback_id", "idx", "lang", "canonical"])
        t = ments.join(segs.drop_columns(["language"]), ["feedback_id", "idx"], join_type="inner")
        return _grouped(t, KEYS[name], volume, name)
    if name == "topic_weeks":
        parts = []
        for d in sorted(Path(assignments).iterdir()) if assignments is not None and Path(assignments).is_dir() else []:
            p = d / file
            if p.is_file():
                a = _read(p, ["feedback_id", "idx", "topic_id"])
                a = a.filter(pc.is_valid(a["topic_id"]))  # outliers are on no topic
                parts.append(a.append_column("lang", pa.array([d.name] * len(a), pa.string())))
        if not parts:
            return _schema(name).empty_table()
        t = pa.concat_tables(parts).join(segs.drop_columns(["language"]), ["feedback_id", "idx"], join_type="inner")
        return _grouped(t, KEYS[name], volume, name)
    raise ConfigError(f"unknown aggregate {name!r}; available: {', '.join(TABLES)}")


class _Local:
    """The reduce in this process: every partition's counts, summed per key by ``Table.group_by``."""

    def __init__(self, parts: list[Path], an: Path, asg: Path | None) -> None:
        self.parts, self.an, self.asg = parts, an, asg

    def __call__(self, name: str) -> "pa.Table":
        import pyarrow as pa

        tables = [partial_counts(name, p, self.an, self.asg) for p in self.parts]
        t = pa.concat_tables(tables) if tables else _schema(name).empty_table()
        return _grouped(t, KEYS[name], [(c, "sum", c) for c in VALUES[name]], name) if len(t) else t


def _partial_batch(batch: dict, name: str, an_dir: str, assignments: str | None) -> "pa.Table":
    """Ray Data map: a batch of partition paths to their partial counts of table ``name``."""
    import pyarrow as pa

    return pa.concat_tables([partial_counts(name, p, an_dir, assignments) for p in batch["path"].to_pylist()])


class _Ray:
    """The reduce on Ray (inside ``partitioned.ray_session``): the map as Ray Data tasks (a CPU
    each), the sum per key by Ray Data's distributed ``groupby(...).sum()``."""

    def __init__(self, parts: list[Path], an: Path, asg: Path | None) -> None:
        self.parts, self.an, self.asg = parts, an, asg

    def __call__(self, name: str) -> "pa.Table":
        import pyarrow as pa
        import ray.data

        schema = _schema(name)
        if not self.parts:
            return schema.empty_table()
        paths = ray.data.from_items([{"path": str(p)} for p in self.parts], override_num_blocks=len(self.parts))
        # fn_kwargs give _partial_batch its other arguments, which Ray's annotation does not know of
        part = paths.map_batches(_partial_batch, batch_size=1, batch_format="pyarrow",  # type: ignore[arg-type]
                                 num_cpus=1,
                                 fn_kwargs={"name": name, "an_dir": str(self.an),
                                            "assignments": str(self.asg) if self.asg else None}).materialize()
        if not part.count():
            return schema.empty_table()
        summed = part.groupby(list(KEYS[name])).sum(list(VALUES[name]))
        batches = list(summed.iter_batches(batch_format="pyarrow", batch_size=None))
        t = pa.concat_tables(batches)
        t = t.rename_columns([c[4:-1] if c.startswith("sum(") else c for c in t.column_names])
        return t.select(schema.names).cast(schema)


def aggregate_partitions(in_dir: str | os.PathLike, an_dir: str | os.PathLike, out_dir: str | os.PathLike, *,
                         assignments: str | os.PathLike | None = None, engine: str = "local",
                         workers: int | None = None, address: str | None = None,
                         tables: tuple[str, ...] | None = None,
                         progress: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Count the analysis in ``an_dir`` of the input partitions in ``in_dir`` per ISO week into
    ``out_dir`` (the tables of the module docstring; ``tables`` names some of them); returns counts.

    Every input partition must be analysed (``analyze_partitions``' marker for the same rows in
    ``an_dir/_done``): a partition that is not, or that was analysed from other rows, is refused,
    since its counts would be missing or wrong. ``assignments`` (``OUT/assignments``, from
    ``assign_partitions``) adds ``topic_weeks``. ``engine``, ``workers`` and ``address`` as in
    ``analyze_partitions``; ``progress(line)`` gets a line per table written.

    Returns ``partitions``, ``feedback`` (input rows), ``duplicates`` (of those, near-duplicates
    of another row: left out, as the trends leave them out), ``undated`` (of the others, without
    a week), ``rows`` (per table written), ``seconds`` and ``engine``.
    """
    import pyarrow.parquet as pq

    check_options(engine, workers, 1)
    names = tuple(tables) if tables is not None else tuple(t for t in TABLES if t != "topic_weeks" or assignments)
    for n in names:
        if n not in KEYS:
            raise ConfigError(f"unknown aggregate {n!r}; available: {', '.join(TABLES)}")
    t0 = time.perf_counter()
    an = Path(an_dir)
    parts = partitions(in_dir)
    for p in parts:
        if finished(an, p) is None:
            raise ConfigError(f"input partition {p.stem} of {str(in_dir)!r} is not analysed in {str(an)!r} (or was "
                              "analysed from other rows); run analyze_partitions on it first")
    feedback = undated = duplicates = 0
    for p in parts:
        n = pq.read_metadata(p).num_rows
        kept, dups = _weeks_of(p)
        feedback += n
        duplicates += dups
        undated += n - dups - len(kept)
    asg = Path(assignments) if assignments is not None else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"partitions": len(parts), "feedback": feedback, "duplicates": duplicates,
                              "undated": undated, "rows": {}}
    with ExitStack() as stack:
        reduce: _Local | _Ray = _Local(parts, an, asg)
        if engine == "ray":
            stack.enter_context(ray_session(workers, address))
            reduce = _Ray(parts, an, asg)
        for name in names:
            table = reduce(name)
            atomic(out / f"{name}.parquet", partial(pq.write_table, table))
            result["rows"][name] = len(table)
            if progress:
                progress(f"{name}: {len(table):,} rows")
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["engine"] = engine
    return result


def weekly_frame(agg_dir: str | os.PathLike, by: str = "phrase", *, complaints_only: bool = True,
                 lang: str | None = None) -> "pd.DataFrame":
    """The weekly trend frame of ``vocmine.decide.trends.weekly`` (key, period, week, volume,
    segments, sentiment, share, every week from the first to the last) from the tables of
    ``aggregate_partitions`` in ``agg_dir``, so that ``trends.flag`` finds spikes and new keys in
    a backfill without a workspace.

    ``by`` is "phrase" (the key is the canonical phrase: the workspace groups variants, this does
    not) or "topic" (the topic id; needs ``topic_weeks``). ``complaints_only`` counts complaint
    segments only, as ``weekly`` does by default; ``lang`` keeps one language (the phrase's or
    topic's). With ``lang=None`` a phrase's volume is summed over languages.
    """
    import pandas as pd

    names = {"phrase": ("phrase_weeks", "canonical"), "topic": ("topic_weeks", "topic_id")}
    if by not in names:
        raise ConfigError(f"unknown trend key {by!r} for the backfill's aggregates; available: phrase, topic")
    table, key = names[by]
    path = Path(agg_dir) / f"{table}.parquet"
    if not path.is_file():
        raise ConfigError(f"{str(path)!r} is missing; run aggregate_partitions"
                          + (" with assignments=" if by == "topic" else "") + " first")
    weeks = pd.read_parquet(Path(agg_dir) / "weeks.parquet")
    return _frame(pd.read_parquet(path), key, weeks, complaints_only=complaints_only, lang=lang)


def history(ws: "Store", by: str = "phrase", *, complaints_only: bool = True,
            lang: str | None = None) -> "pd.DataFrame":
    """The weekly trend frame (``weekly_frame``'s, so ``trends.flag`` reads it) of the rows a
    partial backfill load summarised into the workspace's ``history_*`` tables
    (``load_analysis(since=...)``): the weeks before the load's ``since``, whose segments are not
    in the workspace, and so not in ``trends.weekly``. ``by`` is "phrase" (the key is the canonical
    phrase, before the workspace groups variants); ``complaints_only`` and ``lang`` as in
    ``weekly_frame``. Empty when nothing was summarised."""
    import pandas as pd

    if by != "phrase":
        raise ConfigError(f"unknown trend key {by!r} for the summarised history; available: phrase")
    conn = ws.db.conn
    t = pd.read_sql_query("select * from history_phrase_weeks", conn)
    weeks = pd.read_sql_query("select week, feedback from history_weeks", conn)
    return _frame(t, "canonical", weeks, complaints_only=complaints_only, lang=lang)


def _frame(t: "pd.DataFrame", key: str, weeks: "pd.DataFrame", *, complaints_only: bool,
           lang: str | None) -> "pd.DataFrame":
    import pandas as pd

    from vocmine.decide.trends import fill_periods

    if lang is not None:
        t = t[t["lang"] == lang]
    pre = "complaint_" if complaints_only else ""
    vol, segs = t[pre + "volume"], t[pre + "segments"]
    s_sum, s_n = t[pre + "sentiment_sum"], t[pre + "sentiment_n"]
    df = pd.DataFrame({"key": t[key], "period": t["week"], "volume": vol, "segments": segs,
                       "s_sum": s_sum, "s_n": s_n})
    df = df[df["segments"] > 0].groupby(["key", "period"], as_index=False).sum()
    df["sentiment"] = [s / n if n else float("nan") for s, n in zip(df["s_sum"], df["s_n"])]
    df = df[["key", "period", "volume", "segments", "sentiment"]]
    totals = {str(w): int(n) for w, n in zip(weeks["week"], weeks["feedback"])}
    return fill_periods(df.reset_index(drop=True), totals, "week")
