"""The backfill's weekly aggregations (vocmine.jobs.backfill_aggregates): counted from the Parquet
datasets alone, they equal what the workspace's own SQL counts once the analysis is loaded, on
both engines; undated rows are in no week; unanalysed input is refused."""
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vocmine
from vocmine.core.errors import ConfigError
from vocmine.decide.trends import week_of
from vocmine.jobs.backfill_aggregates import KEYS, VALUES, aggregate_partitions, partial_counts, weekly_frame

from test_backfill_load import corpus, loaded  # noqa: F401  (the load tests' workspace and partitions)

WEEK = week_of("f.created_at")
SQL = {
    "weeks": f"select {WEEK} as week, count(*) as feedback from feedback f where f.created_at is not null and f.duplicate_of is null group by 1",
    "segment_weeks": (
        f"select {WEEK} as week, s.language, count(distinct f.id) as feedback, "
        "count(distinct case when s.complaint = 1 then f.id end) as complaint_feedback, count(*) as segments, "
        "sum(s.complaint) as complaints, total(s.sentiment) as sentiment_sum, count(s.sentiment) as sentiment_n "
        "from segments s join feedback f on f.id = s.feedback_id where f.created_at is not null and f.duplicate_of is null group by 1, 2"),
    "phrase_weeks": (
        f"select {WEEK} as week, p.language as lang, p.phrase as canonical, count(distinct f.id) as volume, "
        "count(distinct case when s.complaint = 1 then f.id end) as complaint_volume, count(*) as segments, "
        "sum(s.complaint) as complaint_segments, total(s.sentiment) as sentiment_sum, "
        "count(s.sentiment) as sentiment_n, "
        "total(case when s.complaint = 1 then s.sentiment end) as complaint_sentiment_sum, "
        "count(case when s.complaint = 1 then s.sentiment end) as complaint_sentiment_n "
        "from phrase_mentions m join phrases p on p.id = m.phrase_id join segments s on s.id = m.segment_id "
        "join feedback f on f.id = s.feedback_id where f.created_at is not null and f.duplicate_of is null group by 1, 2, 3"),
}


def _frame(t, name: str) -> pd.DataFrame:
    df = t if isinstance(t, pd.DataFrame) else pd.read_parquet(t)
    keys = list(KEYS[name])
    df = df[keys + list(VALUES[name])].sort_values(keys).reset_index(drop=True)
    for c in df.columns:
        if c.startswith("sentiment_sum") or c.endswith("sentiment_sum"):
            df[c] = df[c].astype(float).round(9)
        elif c not in ("week", "language", "lang", "canonical"):
            df[c] = df[c].astype("int64")
    return df


def _workspace(db: Path, name: str) -> pd.DataFrame:
    with vocmine.open(db) as ws:
        return _frame(pd.read_sql_query(SQL[name], ws.db.conn), name)


@pytest.fixture(scope="module")
def counted(corpus, loaded, tmp_path_factory):
    out = tmp_path_factory.mktemp("agg")
    lines: list[str] = []
    result = aggregate_partitions(corpus["root"] / "bf-in", loaded[1], out, progress=lines.append)
    return out, result, lines


@pytest.mark.parametrize("name", ["weeks", "segment_weeks", "phrase_weeks"])
def test_the_counts_from_parquet_equal_the_workspace_sql_after_the_load(corpus, loaded, counted, name):
    out, result, _ = counted
    got, want = _frame(out / f"{name}.parquet", name), _workspace(loaded[0], name)
    assert len(want) >= {"weeks": 4, "segment_weeks": 8, "phrase_weeks": 20}[name]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_the_result_counts_rows_undated_and_tables(corpus, counted):
    out, result, lines = counted
    assert result["partitions"] == 4 and result["feedback"] == len(corpus["reviews"])
    weeks = pd.read_parquet(out / "weeks.parquet")
    assert weeks["feedback"].sum() + result["undated"] + result["duplicates"] == result["feedback"]
    assert set(result["rows"]) == {"weeks", "segment_weeks", "phrase_weeks"}  # no topic_weeks without assignments
    assert lines == [f"{n}: {result['rows'][n]:,} rows" for n in ("weeks", "segment_weeks", "phrase_weeks")]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_undated_rows_are_in_no_week(tmp_path):
    inp, an = tmp_path / "in", tmp_path / "an"
    for d in (inp, an / "segments"):
        d.mkdir(parents=True)
    pq.write_table(pa.table({"id": [1, 2, 3], "week": ["2026-W01", None, "2026-W02"]}), inp / "part-00000.parquet")
    pq.write_table(pa.table({"feedback_id": [1, 1, 2, 3], "idx": [0, 1, 0, 0], "language": ["en"] * 4,
                             "sentiment": [-0.5, 0.25, -1.0, None], "complaint": pa.array([1, 0, 1, 0], pa.int8())}),
                   an / "segments" / "part-00000.parquet")
    weeks = partial_counts("weeks", inp / "part-00000.parquet", an).to_pylist()
    assert sorted(weeks, key=lambda r: r["week"]) == [{"week": "2026-W01", "feedback": 1},
                                                      {"week": "2026-W02", "feedback": 1}]
    segs = {r["week"]: r for r in partial_counts("segment_weeks", inp / "part-00000.parquet", an).to_pylist()}
    assert segs["2026-W01"] == {"week": "2026-W01", "language": "en", "feedback": 1, "complaint_feedback": 1,
                                "segments": 2, "complaints": 1, "sentiment_sum": -0.25, "sentiment_n": 2}
    assert segs["2026-W02"]["sentiment_n"] == 0 and segs["2026-W02"]["complaint_feedback"] == 0
    # an input without a week column: every row undated
    pq.write_table(pa.table({"id": [1, 2, 3]}), inp / "part-00000.parquet")
    assert partial_counts("segment_weeks", inp / "part-00000.parquet", an).num_rows == 0


def test_topic_weeks_count_the_assigned_segments_per_topic(corpus, loaded, tmp_path):
    seg = pd.read_parquet(loaded[1] / "segments").sort_values(["feedback_id", "idx"])
    picked = seg.iloc[::3].reset_index(drop=True)
    asg = tmp_path / "assignments"
    for lang in ("en", "ko"):
        rows = picked[picked["language"] == lang]
        for part in sorted((loaded[1] / "segments").glob("part-*.parquet")):
            ids = set(pd.read_parquet(part)["feedback_id"])
            mine = rows[rows["feedback_id"].isin(ids)]
            (asg / lang).mkdir(parents=True, exist_ok=True)
            topic = [None if i % 5 == 0 else int(i % 3) for i in range(len(mine))]  # some outliers
            pq.write_table(pa.table({"feedback_id": pa.array(mine["feedback_id"], pa.int64()),
                                     "idx": pa.array(mine["idx"], pa.int32()),
                                     "topic_id": pa.array(topic, pa.int64())}), asg / lang / part.name)
    out = tmp_path / "agg"
    r = aggregate_partitions(corpus["root"] / "bf-in", loaded[1], out, assignments=asg, tables=("topic_weeks",))
    got = _frame(out / "topic_weeks.parquet", "topic_weeks")
    # the same counts from pandas over the same files
    a = pd.concat([pd.read_parquet(p).assign(lang=p.parent.name) for p in sorted(asg.glob("*/*.parquet"))])
    a = a[a["topic_id"].notna()]
    inp = pd.read_parquet(corpus["root"] / "bf-in").rename(columns={"id": "feedback_id"})
    inp = inp[inp["week"].notna() & inp["duplicate_of"].isna()][["feedback_id", "week"]]  # as the trends count
    t = a.merge(seg, on=["feedback_id", "idx"]).merge(inp, on="feedback_id")
    t["cfid"] = t["feedback_id"].where(t["complaint"] == 1)
    t["csent"] = t["sentiment"].where(t["complaint"] == 1)
    want = t.groupby(["week", "lang", "topic_id"]).agg(
        volume=("feedback_id", "nunique"), complaint_volume=("cfid", "nunique"), segments=("idx", "size"),
        complaint_segments=("complaint", "sum"), sentiment_sum=("sentiment", "sum"),
        sentiment_n=("sentiment", "count"), complaint_sentiment_sum=("csent", "sum"),
        complaint_sentiment_n=("csent", "count")).reset_index()
    assert r["rows"] == {"topic_weeks": len(want)} and len(want) > 5
    pd.testing.assert_frame_equal(got, _frame(want, "topic_weeks"), check_dtype=False)


@pytest.mark.parametrize("complaints_only", [True, False])
def test_the_weekly_frame_of_the_aggregates_is_the_workspace_trend_for_ungrouped_phrases(loaded, counted,
                                                                                          complaints_only):
    from vocmine.decide.trends import flag, weekly

    out, _, _ = counted
    got = weekly_frame(out, "phrase", complaints_only=complaints_only)
    with vocmine.open(loaded[0]) as ws:
        want = weekly(ws, "phrase", complaints_only=complaints_only)
        # a phrase alone in its group: the workspace's key (its id) is the aggregates' (its canonical)
        alone = dict(ws.db.conn.execute(
            "select p.id, p.phrase from phrases p where not exists (select 1 from phrases o where o.id != p.id "
            "and coalesce(o.group_id, o.id) = coalesce(p.group_id, p.id))").fetchall())
    want = want[want["key"].isin(alone)].assign(key=lambda d: d["key"].map(alone))
    got = got[got["key"].isin(set(want["key"]))]
    assert want["key"].nunique() > 5
    cols = ["key", "period", "week", "volume", "segments", "sentiment", "share"]
    order = ["key", "period"]
    pd.testing.assert_frame_equal(got[cols].sort_values(order).reset_index(drop=True),
                                  want[cols].sort_values(order).reset_index(drop=True), check_dtype=False)
    assert list(flag(got).columns[-3:]) == ["baseline", "spike", "new"]  # the trends' flags read it


def test_the_weekly_frame_needs_its_table(counted, tmp_path):
    with pytest.raises(ConfigError, match="topic_weeks.parquet' is missing; run aggregate_partitions with "
                                          "assignments="):
        weekly_frame(counted[0], "topic")
    with pytest.raises(ConfigError, match="unknown trend key 'category'"):
        weekly_frame(counted[0], "category")


def test_an_input_partition_not_analysed_is_refused(corpus, loaded, tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for p in sorted((corpus["root"] / "bf-in").glob("*.parquet")):
        (inp / p.name).write_bytes(p.read_bytes())
    t = pq.read_table(inp / "part-00001.parquet")
    pq.write_table(t.slice(1), inp / "part-00001.parquet")  # other rows than were analysed
    with pytest.raises(ConfigError, match="part-00001 .* is not analysed"):
        aggregate_partitions(inp, loaded[1], tmp_path / "agg")
    assert not (tmp_path / "agg").exists()
    with pytest.raises(ConfigError, match="unknown aggregate 'nope'"):
        aggregate_partitions(corpus["root"] / "bf-in", loaded[1], tmp_path / "agg", tables=("nope",))


try:
    import ray
    import ray.data  # noqa: F401
except ImportError:  # Ray is an optional extra
    ray = None


@pytest.mark.ray
@pytest.mark.slow
def test_ray_aggregates_equal_the_local_ones(corpus, loaded, counted, tmp_path):
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        r = aggregate_partitions(corpus["root"] / "bf-in", loaded[1], tmp_path / "ray", engine="ray")
    finally:
        ray.shutdown()
    out, local, _ = counted
    assert r["engine"] == "ray" and r["rows"] == local["rows"]
    for name in r["rows"]:
        pd.testing.assert_frame_equal(_frame(tmp_path / "ray" / f"{name}.parquet", name),
                                      _frame(out / f"{name}.parquet", name), check_dtype=False)
