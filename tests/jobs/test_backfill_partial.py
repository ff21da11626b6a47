"""A partial backfill load (``load_analysis(since=...)``, ``vocmine backfill --load-since``): the rows
dated before ``since`` are summarised into the workspace's weekly history, the newer ones loaded
whole, and the weekly report of a week whose history is loaded equals the one of a whole load."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import vocmine
from vocmine.core.dates import week_monday
from vocmine.core.errors import ConfigError
from vocmine.jobs.backfill import analyze_partitions, export_pending, load_analysis, week_start
from vocmine.jobs.backfill_aggregates import aggregate_partitions, history
from vocmine.jobs.demo_data import generate

from test_backfill_load import INGEST, _cli, _write_csv, snapshot

START = "2026-01-05"  # a Monday; 20 weeks of reviews from it
SINCE = "2026-02-18"  # a Wednesday in the 7th week: rounded down to Monday 2026-02-16
MONDAY = "2026-02-16"


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """600 demo reviews over 20 weeks, ingested, exported (4 partitions) and analysed once; the
    fresh workspace is copied for each load."""
    root = tmp_path_factory.mktemp("partial")
    data = generate(seed=11, n_reviews=600, n_survey=0, start=START, weeks=20)
    path = _write_csv(root / "reviews.csv", data.reviews)
    fresh = root / "fresh.db"
    with vocmine.open(fresh) as ws:
        ws.ingest(path, **INGEST)
        export_pending(ws, root / "in", partition_rows=160)
        analyze_partitions(root / "in", root / "out", ws=ws)
    return {"root": root, "fresh": fresh, "in": root / "in", "out": root / "out", "csv": path}


def _load(parts, name: str, since=None) -> tuple[Path, dict]:
    db = parts["root"] / f"{name}.db"
    if not db.exists():
        shutil.copy(parts["fresh"], db)
    with vocmine.open(db) as ws:
        return db, load_analysis(ws, parts["out"], since=since)


@pytest.fixture(scope="module")
def whole(parts):
    return _load(parts, "whole")


@pytest.fixture(scope="module")
def partial(parts):
    return _load(parts, "partial", SINCE)


def _created(db: Path) -> dict[int, str | None]:
    with vocmine.open(db) as ws:
        return dict(ws.db.conn.execute("select id, created_at from feedback"))


def test_since_is_rounded_down_to_its_monday_and_a_bad_date_is_refused():
    assert week_start(SINCE) == MONDAY and week_start("2026-02-16T23:00:00Z") == MONDAY
    with pytest.raises(ConfigError, match="2025-13-01"):
        week_start("2025-13-01")


def test_rows_before_the_week_are_summarised_and_the_rest_loaded_whole(parts, whole, partial):
    wdb, wres = whole
    pdb, pres = partial
    created = _created(pdb)
    old = {fid for fid, c in created.items() if c and c < MONDAY}
    assert 100 < len(old) < len(created) - 300  # about 6 weeks of 20
    assert pres["summarised"] == len(old) and pres["feedback"] == len(created) - len(old)
    assert pres["loaded_from"] == MONDAY and wres["loaded_from"] is None and wres["summarised"] == 0
    w, p = snapshot(wdb), snapshot(pdb)
    for key in ("segments", "mentions"):
        keep = ~w[key]["feedback_id"].isin(old)
        pd.testing.assert_frame_equal(w[key][keep].reset_index(drop=True), p[key], check_dtype=False, obj=key)
    # the phrases, their parts and the phrase naming each group are a whole load's: the summarised
    # rows' phrases are registered, and regroup counts their users from the history
    pd.testing.assert_frame_equal(w["phrases"], p["phrases"], check_dtype=False)
    # every row is marked analysed (nothing will analyse it again); the old ones as summarised, in OUT
    pd.testing.assert_frame_equal(w["analyzed"], p["analyzed"], check_dtype=False)
    with vocmine.open(pdb) as ws:
        marks = dict(ws.db.conn.execute("select feedback_id, summarised from analyzed"))
        assert {f for f, s in marks.items() if s} == old
        assert {s for s in marks.values() if s} == {str(parts["out"])}
        assert ws.analyze().feedback == 0


def test_the_history_is_the_aggregates_of_the_summarised_weeks(parts, partial, tmp_path):
    pdb, _ = partial
    agg = aggregate_partitions(parts["in"], parts["out"], tmp_path / "agg")
    assert agg["rows"]["phrase_weeks"] > 0
    with vocmine.open(pdb) as ws:
        conn = ws.db.conn
        for name, n_keys in (("weeks", 1), ("segment_weeks", 2), ("phrase_weeks", 3)):
            full = pd.read_parquet(tmp_path / "agg" / f"{name}.parquet")
            keys = list(full.columns[:n_keys])
            want = full[[week_monday(w).isoformat() < MONDAY for w in full["week"]]]
            mine = pd.read_sql_query(f"select * from history_{name}", conn)
            assert len(want) and set(mine["week"]) == set(want["week"]), name
            pd.testing.assert_frame_equal(mine.sort_values(keys).reset_index(drop=True),
                                          want.sort_values(keys).reset_index(drop=True), check_dtype=False, obj=name)
        frame = history(ws, "phrase")
        assert set(frame.columns) >= {"key", "week", "volume", "segments", "sentiment", "share"}
        assert frame["volume"].sum() > 0 and frame["week"].max() < "2026-W08"


def test_the_weekly_report_of_a_loaded_week_equals_the_whole_load(whole, partial):
    wdb, _ = whole
    pdb, _ = partial
    with vocmine.open(wdb) as w, vocmine.open(pdb) as p:
        week = "2026-W20"  # 12 weeks from 2026-W09, the first loaded whole
        a, b = w.weekly_data(week), p.weekly_data(week)
        # The share of complaints linked to a fix counts, in both parts, only from the loaded weeks on, and says so
        wl, pl = a.pop("loop"), b.pop("loop")
        assert pl["since"] == MONDAY and "since" not in wl and 0 < pl["complaint_volume"] < wl["complaint_volume"]
        with vocmine.open(wdb) as again:
            assert pl["complaint_volume"] == again.db.conn.execute(
                "select count(distinct f.id) from feedback f join segments s on s.feedback_id = f.id where "
                "s.complaint = 1 and f.duplicate_of is null and f.created_at >= ? and f.created_at < '2026-05-18'",
                (MONDAY,)).fetchone()[0]
        assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
        latest = w.weekly_data()
        assert latest["week"] == p.weekly_data()["week"] and latest["topics"] or latest["phrases"]
        # a week whose 12 weeks reach into the summarised ones is refused, saying which weeks work
        with pytest.raises(ConfigError, match=r"2026-02-16.*report 2026-W19 or later"):
            p.weekly_data("2026-W15")
        assert w.weekly_data("2026-W15")["week"] == "2026-W15"


def test_the_rendered_report_says_where_its_closure_counts_start(partial, tmp_path):
    pdb, _ = partial
    with vocmine.open(pdb) as ws:
        for lang, words in (("en", f"feedback with a complaint from {MONDAY} up to this week"),
                            ("ko", f"{MONDAY}부터 이번 주까지 불만이 있는 피드백")):
            ws.report(tmp_path / lang, "2026-W20", lang=lang)
            text = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / lang).rglob("*"))
                           if p.suffix in (".md", ".html"))
            assert words in text, lang
            if lang == "en":  # the KPI line's counts too
                assert f"feedback with a complaint since {MONDAY}" in text


def test_the_changelog_counts_start_where_the_loaded_rows_start(whole, partial):
    """A fix linked to the most used phrase: the partial workspace's entry counts the customers of
    the loaded weeks only, and its evidence windows count feedback from the same day on."""
    out = {}
    for name, (db, _) in (("whole", whole), ("partial", partial)):
        with vocmine.open(db) as ws:
            conn = ws.db.conn
            gid, = conn.execute("select coalesce(p.group_id, p.id) from phrase_mentions m join phrases p "
                                "on p.id = m.phrase_id join feedback f on f.id = m.feedback_id "
                                f"where f.created_at >= '{MONDAY}' and p.language = 'en' "
                                "group by 1 order by count(*) desc limit 1").fetchone()
            with conn:
                tid = conn.execute("insert into tickets (tracker, key, title, status, done_at) values "
                                   "('github', 'acme/shop#1', 'Fix it', 'closed', '2026-02-23T10:00:00Z')").lastrowid
                conn.execute("insert into links (ticket_id, target_type, target_id, status) values (?, 'phrase', ?, "
                             "'accepted')", (tid, gid))
            entry, = ws.build_entries(weeks=4)
            out[name] = (entry, gid)
    (w, _), (p, _) = out["whole"], out["partial"]
    assert p["said"]["en"]["since"] >= MONDAY > w["said"]["en"]["since"]
    assert 0 < p["said"]["en"]["linked_customers"] < w["said"]["en"]["linked_customers"]
    # the window before the fix (4 weeks from 2026-01-26) has only 1 loaded week: 7 days, counted alike
    assert p["evidence"]["before"]["days"] == 7 < w["evidence"]["before"]["days"]
    assert p["evidence"]["after"] == w["evidence"]["after"]
    assert min(x["week"] for x in p["evidence"]["weekly"]) == "2026-W08"


def test_loading_again_changes_nothing_and_a_whole_load_takes_the_rows_out_of_the_history(parts, whole):
    db, first = _load(parts, "again", SINCE)
    before = snapshot(db)
    with vocmine.open(db) as ws:
        hist = pd.read_sql_query("select * from history_phrase_weeks order by 1, 2, 3", ws.db.conn)
    _, second = _load(parts, "again", SINCE)
    assert second["summarised"] == 0 and second["feedback"] == 0 and second["unchanged"] == first["summarised"] + \
        first["feedback"]
    for key, frame in snapshot(db).items():
        pd.testing.assert_frame_equal(frame, before[key], check_dtype=False, obj=key)
    with vocmine.open(db) as ws:
        pd.testing.assert_frame_equal(
            pd.read_sql_query("select * from history_phrase_weeks order by 1, 2, 3", ws.db.conn), hist)
    # without since, the summarised rows come in whole and leave the history: as a whole load
    _, third = _load(parts, "again")
    assert third["feedback"] == first["summarised"] and third["loaded_from"] is None
    got, want = snapshot(db), snapshot(whole[0])
    for key in want:
        if key in ("ws.phrases", "ws.aspects"):
            # The same counts, variants and opinions. Ties are listed, and examples picked, in the order
            # the rows were stored, and the summarised rows were stored last here.
            for snap in (got, want):
                frame = snap[key].drop(columns=["examples"], errors="ignore")
                snap[key] = frame.map(lambda v: sorted(v) if isinstance(v, list) else v)
        pd.testing.assert_frame_equal(got[key], want[key], check_dtype=False, obj=key)
    with vocmine.open(db) as ws:
        conn = ws.db.conn
        assert [conn.execute(f"select count(*) from history_{t}").fetchone()[0]
                for t in ("weeks", "segment_weeks", "phrase_weeks")] == [0, 0, 0]
        assert conn.execute("select count(*) from analyzed where summarised is not null").fetchone()[0] == 0


def test_a_summarised_row_that_changes_is_analysed_again_whole(parts):
    db, _ = _load(parts, "edited", SINCE)
    with vocmine.open(db) as ws:
        conn = ws.db.conn
        fid, = conn.execute("select feedback_id from analyzed where summarised is not null limit 1").fetchone()
        with conn:
            conn.execute("update feedback set text = 'The zipper broke after two days. Very disappointed.', "
                         "content_hash = 'edited' where id = ?", (fid,))
        assert ws.analyze().feedback == 1
        assert conn.execute("select summarised from analyzed where feedback_id = ?", (fid,)).fetchone() == (None,)
        assert conn.execute("select count(*) from segments where feedback_id = ?", (fid,)).fetchone()[0] >= 1


def test_cli_backfill_load_since(parts, tmp_path):
    db, out = tmp_path / "voc.db", tmp_path / "bf"
    args = ["--db", str(db), "backfill", str(parts["csv"]), "--out", str(out), "--partition-rows", "160",
            "--source", "webstore", "--id", "review_id", "--created", "created", "--author", "author",
            "--load-since", SINCE]
    res = CliRunner().invoke(_cli(), [*args, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summarised"] > 100 and data["loaded_from"] == MONDAY and data["reports_from"] == "2026-W19"
    assert data["loaded"] + data["summarised"] == data["ingest"]["inserted"]
    text = CliRunner().invoke(_cli(), ["--db", str(tmp_path / "t.db"), *args[2:]])
    assert text.exit_code == 0, text.output
    assert f"summarised (dated before {MONDAY})" in text.stderr
    assert f"older rows summarised into the weekly history (the workspace's analysis starts {MONDAY})" in text.stdout
    assert f"weekly reports: 2026-W19 and later (a report reads 12 weeks of rows loaded whole, from {MONDAY} on)" \
        in text.stdout
    bad = CliRunner().invoke(_cli(), ["--db", str(tmp_path / "bad.db"), *args[2:-1], "last week"])
    assert bad.exit_code != 0 and "since must be a date such as 2025-01-06, not 'last week'" in bad.output
    with vocmine.open(tmp_path / "bad.db") as ws:  # refused before anything was ingested
        assert ws.db.conn.execute("select count(*) from feedback").fetchone()[0] == 0


def test_topics_after_a_partial_load_embed_only_partitions_with_rows_loaded_whole(parts, tmp_path):
    """--topics --load-since: a partition whose rows are all summarised has no segments in the
    workspace, so it is not embedded; the others are, whole, and every loaded segment is placed."""
    import pyarrow.parquet as pq

    from vocmine.decide.topic_stage import eligible_segments
    from vocmine.jobs.backfill import backfill

    db = tmp_path / "voc.db"
    shutil.copy(parts["fresh"], db)
    # 600 rows in date order, 100 a partition: the first (and part of the second) are before MONDAY
    r = backfill(db, out=tmp_path / "bf", partition_rows=100, topics=True, load_since=SINCE)
    en = r["embedded"]["en"]
    created = _created(db)
    ids = {p.stem: pq.read_table(p, columns=["feedback_id"]).column("feedback_id").to_pylist()
           for p in sorted((tmp_path / "bf" / "analysis" / "feedback").glob("part-*.parquet"))}
    all_old = [n for n, fids in ids.items() if all(created[f] < MONDAY for f in fids)]
    assert len(ids) == 6 and all_old and r["summarised"] > 100
    assert en["partitions"] == en["embedded"] == len(ids) - len(all_old)
    assert not any((tmp_path / "bf" / "vectors" / "en" / f"{n}.parquet").exists() for n in all_old)
    # a partition is embedded whole (its vectors are then a whole load's): in the mixed one, the
    # summarised rows' segments are embedded but not stored, as they are not in the workspace
    from vocmine.jobs.backfill_topics import eligible_rows

    seg = tmp_path / "bf" / "analysis" / "segments"
    keys = [k for n in ids if n not in all_old for k in eligible_rows(seg / f"{n}.parquet", "en")[0]]
    assert en["segments"] == len(keys)
    assert en["stored"] == sum(1 for f, _ in keys if created[f] >= MONDAY) < en["segments"]
    with vocmine.open(db) as ws:
        placed = ws.db.conn.execute("select count(*) from segment_topics").fetchone()[0]
        assert placed == len(eligible_segments(ws, False)) > 0


def test_a_later_backfill_keeps_the_summarised_rows_analysis_and_a_whole_load_brings_it_in(parts, tmp_path):
    """A second backfill into the same OUT numbers its partitions after the first's, so the analysis
    of the rows the first summarised (their only copy) is still there for a whole load later."""
    import csv as _csv

    from vocmine.jobs.backfill import backfill

    with open(parts["csv"], encoding="utf-8", newline="") as f:
        rows = list(_csv.reader(f))
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    for path, part in ((first, rows[1:401]), (second, rows[401:])):
        with open(path, "w", encoding="utf-8", newline="") as f:
            _csv.writer(f).writerows([rows[0], *part])
    db, out = tmp_path / "voc.db", tmp_path / "bf"
    cols = dict(source="webstore", columns={"text": "text", "rating": "rating", "id": "review_id",
                                            "created": "created", "author": "author"})
    one = backfill(db, [first], out=out, partition_rows=100, load_since=SINCE, **cols)
    an = out / "analysis"
    before = {p.name: p.read_bytes() for p in sorted((an / "segments").glob("*.parquet"))}
    assert one["summarised"] > 100 and sorted(before) == [f"part-{i:05d}.parquet" for i in range(4)]
    two = backfill(db, [second], out=out, partition_rows=100, load_since=SINCE, **cols)
    assert two["ingest"]["inserted"] == 200 and two["analyzed"] == 2 and two["summarised"] == 0
    after = {p.name: p.read_bytes() for p in sorted((an / "segments").glob("*.parquet"))}
    assert sorted(after) == [f"part-{i:05d}.parquet" for i in range(6)]
    assert all(after[n] == before[n] for n in before)  # the first run's analysis is untouched
    with vocmine.open(db) as ws:
        summarised = [f for f, in ws.db.conn.execute("select feedback_id from analyzed where summarised is not null")]
        res = load_analysis(ws, an)  # whole, now
        assert res["feedback"] == len(summarised) == one["summarised"] and res["loaded_from"] is None
        got = pd.read_sql_query("select feedback_id, idx, text, sentiment, complaint from segments where feedback_id in "
                                f"({','.join(map(str, summarised))}) order by feedback_id, idx", ws.db.conn)
    want = pd.concat([pd.read_parquet(an / "segments" / n) for n in before])
    want = want[want["feedback_id"].isin(summarised)].sort_values(["feedback_id", "idx"])
    pd.testing.assert_frame_equal(got, want[list(got.columns)].reset_index(drop=True), check_dtype=False)


def test_a_killed_partitions_unfinished_outputs_are_dropped_before_the_next_export(tmp_path):
    from vocmine.jobs.backfill import _drop_unfinished, _next_partition

    an = tmp_path / "analysis"
    for d in ("_done", "segments", "mentions", "feedback"):
        (an / d).mkdir(parents=True)
    for n in (0, 1):
        (an / "_done" / f"part-{n:05d}.json").write_text("{}")
        for d in ("segments", "mentions", "feedback"):
            (an / d / f"part-{n:05d}.parquet").write_bytes(b"done")
    (an / "segments" / "part-00002.parquet").write_bytes(b"killed before its marker")
    assert _next_partition(an) == 3
    _drop_unfinished(an)
    assert not (an / "segments" / "part-00002.parquet").exists()
    assert (an / "segments" / "part-00001.parquet").exists() and _next_partition(an) == 2
    assert _next_partition(tmp_path / "nothing") == 0
