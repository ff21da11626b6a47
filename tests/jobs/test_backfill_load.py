"""The backfill's analysis loaded into a workspace (vocmine.jobs.backfill.load_analysis) and the
whole backfill (``backfill``, ``vocmine backfill``): the workspace ends up as ``vocmine analyze``
would have left it, loading twice adds nothing, and rows changed since the export are skipped."""
import csv
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import vocmine
from vocmine.jobs.backfill import analyze_partitions, backfill, export_pending, load_analysis
from vocmine.jobs.demo import REVIEW_COLUMNS
from vocmine.jobs.demo_data import generate

INGEST = dict(source="webstore", text="text", rating="rating", id="review_id", created="created", author="author",
              contact="email", product="product_id", title="title")


def _write_csv(path: Path, reviews: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REVIEW_COLUMNS)
        for r in reviews:
            w.writerow([r.get(c, "") for c in REVIEW_COLUMNS])
    return path


def snapshot(db: Path) -> dict[str, pd.DataFrame]:
    """What analyze leaves in a workspace, keyed by content (not by row id), plus the notebook views."""
    ws = vocmine.open(db)
    try:
        q = lambda sql: pd.read_sql_query(sql, ws.db.conn)  # noqa: E731
        out = {
            "segments": q("select feedback_id, idx, text, start, end, language, sentiment, label, complaint, joined_by "
                          "from segments order by feedback_id, idx"),
            "phrases": q("select p.phrase, p.language, p.kind, p.aspect, p.opinion, h.phrase as head from phrases p "
                         "left join phrases h on h.id = p.group_id order by p.language, p.phrase"),
            "mentions": q("select s.feedback_id, s.idx, p.language, p.phrase, m.variant, m.start, m.end "
                          "from phrase_mentions m join phrases p on p.id = m.phrase_id "
                          "join segments s on s.id = m.segment_id where s.feedback_id = m.feedback_id "
                          "order by s.feedback_id, s.idx, m.start, m.end, p.phrase"),
            "analyzed": q("select feedback_id, content_hash, analyzer from analyzed order by feedback_id"),
            "aspect_stats": q("select language, aspect, complaint_segments, other_segments, sampled_complaints, "
                              "sampled_others, score from aspect_stats order by language, aspect"),
            "ws.phrases": ws.phrases(),
            "ws.aspects": ws.aspects(),
        }
    finally:
        ws.close()
    return out


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key], check_dtype=False, obj=key)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """~320 demo reviews (English and Korean, rated) ingested into a workspace, and a copy of it."""
    root = tmp_path_factory.mktemp("load")
    data = generate(seed=7, n_reviews=320, n_survey=0, weeks=4)
    path = _write_csv(root / "reviews.csv", data.reviews)
    ws = vocmine.open(root / "fresh.db")
    ws.ingest(path, **INGEST)
    # 320 reviews are too few to learn complaint adjectives from (learned.MIN_RATED): the words are
    # learned, for real, from the generator's full 2,400 reviews and kept in the workspace as
    # `analyze` keeps them, so that both paths must carry the workspace's words to agree.
    from vocmine.understand import learned as lr, phrases as ph
    from vocmine.understand.analyze import LEARNED_VERSION
    from vocmine.understand.phrases_en import STOP
    from vocmine.understand.sentiment import get_sentiment

    full = [(r["text"], float(r["rating"]), 5.0) for r in generate(seed=7, n_survey=0).reviews if r.get("rating")]
    words = lr.learn(full, ph.english_parser(None), known=get_sentiment(None).known_words() | STOP)
    assert words
    rated = ws.db.conn.execute("select count(*) from feedback where language = 'en' and rating is not null").fetchone()[0]
    ws.set_setting("sentiment.learned.en", json.dumps({"version": LEARNED_VERSION, "rated": rated, "words": words}))
    ws.close()
    return {"root": root, "csv": path, "fresh": root / "fresh.db", "reviews": data.reviews}


def _copy(corpus, dest: Path) -> Path:
    shutil.copy(corpus["fresh"], dest)
    return dest


@pytest.fixture(scope="module")
def reference(corpus):
    """The workspace as ``vocmine analyze`` leaves it."""
    db = _copy(corpus, corpus["root"] / "ref.db")
    ws = vocmine.open(db)
    result = ws.analyze()
    ws.close()
    assert result.feedback >= 300 and result.mentions > 20
    return db, snapshot(db)


def _partitioned(corpus, name: str) -> tuple[Path, Path]:
    """A copy of the fresh workspace, exported (4 partitions) and analysed by the local engine with
    the workspace's own learned words; nothing loaded yet."""
    db = _copy(corpus, corpus["root"] / f"{name}.db")
    ws = vocmine.open(db)
    try:
        parts = export_pending(ws, corpus["root"] / f"{name}-in", partition_rows=90)
        assert len(parts) == 4
        analyze_partitions(corpus["root"] / f"{name}-in", corpus["root"] / f"{name}-out", ws=ws)
    finally:
        ws.close()
    return db, corpus["root"] / f"{name}-out"


@pytest.fixture(scope="module")
def loaded(corpus):
    db, out = _partitioned(corpus, "bf")
    ws = vocmine.open(db)
    seen = []
    result = load_analysis(ws, out, progress=lambda d, t: seen.append((d, t)))
    ws.close()
    return db, out, result, seen


def test_the_loaded_workspace_equals_one_analysed_in_process(reference, loaded):
    ref_db, ref = reference
    db, _out, result, seen = loaded
    got = snapshot(db)
    assert len(ref["segments"]) > 500 and len(ref["mentions"]) > 20 and len(ref["ws.phrases"]) > 3
    assert ref["phrases"]["head"].notna().all() and len(ref["ws.aspects"]) > 0
    assert_same(got, ref)
    assert result["partitions"] == 4 and result["feedback"] == len(ref["analyzed"])
    assert (result["unchanged"], result["stale"]) == (0, 0)
    assert result["segments"] == len(ref["segments"]) and result["mentions"] == len(ref["mentions"])
    assert result["phrases"] == len(ref["phrases"])
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    # recorded as an analyze run, so the incremental stage sees nothing left to do
    ws = vocmine.open(db)
    try:
        run = ws.runs("analyze").iloc[0]
        assert run["status"] == "ok" and json.loads(run["params"])["engine"] == "backfill"
        assert ws.analyze().feedback == 0
    finally:
        ws.close()


def test_loading_twice_adds_nothing(corpus, reference, loaded, tmp_path):
    db, out, first, _seen = loaded
    again_db = shutil.copy(db, tmp_path / "again.db")
    before = snapshot(again_db)
    ws = vocmine.open(again_db)
    try:
        n_runs = len(ws.runs("analyze"))
        again = load_analysis(ws, out)
        assert (again["feedback"], again["segments"], again["mentions"]) == (0, 0, 0)
        assert again["unchanged"] == first["feedback"] and again["stale"] == 0
        assert len(ws.runs("analyze")) == n_runs + 1
    finally:
        ws.close()
    assert_same(snapshot(again_db), before)


def test_a_load_killed_before_its_regroup_is_regrouped_by_the_next(reference, loaded, tmp_path):
    db, out, _first, _seen = loaded
    killed = shutil.copy(db, tmp_path / "killed.db")
    ws = vocmine.open(killed)
    try:
        # what a kill after the last batch leaves: every row written, no groups, the run still "running"
        with ws.db.conn as conn:
            conn.execute("update phrases set group_id = null")
            conn.execute("delete from aspect_stats")
            conn.execute("update runs set status = 'running', finished_at = null where id = "
                         "(select max(id) from runs where stage = 'analyze')")
        again = load_analysis(ws, out)
        assert again["feedback"] == 0 and again["phrases"] == len(reference[1]["phrases"])
    finally:
        ws.close()
    assert_same(snapshot(killed), reference[1])


def test_rows_changed_since_the_export_are_not_overwritten(corpus, reference, tmp_path):
    db, out = _partitioned(corpus, "stale")
    # one review is edited at its source and ingested again after the export
    edited = dict(corpus["reviews"][5], text="The strap broke after two days. Really disappointed with it.")
    ws = vocmine.open(db)
    try:
        upd = ws.ingest(_write_csv(tmp_path / "edit.csv", [edited]), **INGEST)
        assert upd.updated == 1
        fid = ws.db.conn.execute("select id from feedback where external_id = ?",
                                 (edited["review_id"],)).fetchone()[0]
        result = load_analysis(ws, out)
        assert result["stale"] == 1 and result["feedback"] == len(reference[1]["analyzed"]) - 1
        conn = ws.db.conn
        assert conn.execute("select count(*) from segments where feedback_id = ?", (fid,)).fetchone()[0] == 0
        assert conn.execute("select count(*) from analyzed where feedback_id = ?", (fid,)).fetchone()[0] == 0
        # the row is still pending: analyze does it, from its new text
        assert ws.analyze().feedback == 1
        texts = [t for (t,) in conn.execute("select text from segments where feedback_id = ? order by idx", (fid,))]
        assert "strap broke" in " ".join(texts)
        # and loading the old analysis again leaves the new one alone
        again = load_analysis(ws, out)
        assert (again["feedback"], again["stale"]) == (0, 1)
        assert [t for (t,) in conn.execute("select text from segments where feedback_id = ? order by idx",
                                            (fid,))] == texts
    finally:
        ws.close()


# -- the whole backfill, and its command ---------------------------------------------------------------

def _cli():
    from vocmine.cli import cli
    from vocmine.cli.backfill import register

    if "backfill" not in cli.commands:  # until vocmine/cli/__init__.py registers it
        register(cli)
    return cli


def test_vocmine_backfill_ingests_analyses_and_loads(corpus, reference, tmp_path):
    src = tmp_path / "reviews.csv"
    reviews = [dict(r) for r in corpus["reviews"]]
    bad = dict(reviews[0], review_id="bad-1", text="")  # no text: rejected by ingest, like `vocmine ingest` does
    _write_csv(src, reviews[:40] + [bad] + reviews[40:])
    db, out = tmp_path / "voc.db", tmp_path / "bf"
    cols = ["--source", "webstore", "--id", "review_id", "--product", "product_id"]  # the rest detected
    args = ["--db", str(db), "backfill", str(src), "--out", str(out), "--partition-rows", "90", *cols, "--json"]
    res = CliRunner().invoke(_cli(), args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ingest"]["rejected"] == 1 and data["ingest"]["inserted"] == len(reviews)
    assert data["ingest"]["source"] == "webstore"
    assert any("row 42" in m for m in data["ingest"]["messages"]), data["ingest"]["messages"]
    assert (data["partitions"], data["analyzed"], data["loaded"]) == (4, 4, len(reviews))
    assert data["stale"] == 0 and set(data["seconds"]) >= {"ingest", "export", "analyze", "load"}
    ref_db = tmp_path / "ref.db"
    ing = CliRunner().invoke(_cli(), ["--db", str(ref_db), "ingest", str(src), *cols, "--json"])
    assert ing.exit_code == 0 and json.loads(ing.stdout)["messages"] == data["ingest"]["messages"]
    with vocmine.open(ref_db) as ws:
        ws.analyze()
    got, ref = snapshot(db), snapshot(ref_db)
    for snap in (got, ref):  # the content hash covers the author pseudonym, keyed per workspace
        snap["analyzed"] = snap["analyzed"].drop(columns=["content_hash"])
    assert_same(got, ref)
    # run again: the file is already in, nothing is pending, nothing changes
    before = snapshot(db)
    again = json.loads(CliRunner().invoke(_cli(), args).stdout)
    assert again["ingest"]["inserted"] == 0 and again["ingest"]["unchanged"] == len(reviews)
    assert (again["partitions"], again["analyzed"], again["loaded"], again["resumed"]) == (0, 0, 0, None)
    assert_same(snapshot(db), before)
    # text output: the rejected row, then a line per stage
    text = CliRunner().invoke(_cli(), args[:-1])
    assert text.exit_code == 0, text.output
    assert "row 42" in text.stderr and "0 new" in text.stderr
    assert "nothing pending" in text.stdout


def test_a_killed_backfill_resumes_without_redoing_finished_partitions(corpus, tmp_path):
    """Partitions analysed before the kill are loaded, never analysed again; the rest are."""
    db = _copy(corpus, tmp_path / "voc.db")
    out = tmp_path / "bf"
    ws = vocmine.open(db)
    try:
        # what a run killed during the analyze step leaves: the export and two finished partitions
        export_pending(ws, out / "input", partition_rows=90)
        for p in sorted((out / "input").glob("part-0000[23].parquet")):
            p.rename(p.with_name("_" + p.name))  # hidden from this first run
        analyze_partitions(out / "input", out / "analysis", ws=ws)
        for p in sorted((out / "input").glob("_part-*.parquet")):
            p.rename(p.with_name(p.name[1:]))
        done = sorted(p.name for p in (out / "analysis" / "_done").iterdir())
        assert done == ["part-00000.json", "part-00001.json"]
        result = backfill(ws, (), out=out, partition_rows=90)
    finally:
        ws.close()
    assert result["resumed"]["feedback"] == 180  # the two finished partitions, loaded first
    assert (result["partitions"], result["analyzed"], result["skipped"]) == (2, 2, 0)
    assert result["loaded"] + result["resumed"]["feedback"] == 320 - sum(
        1 for r in corpus["reviews"] if not r.get("text"))
    ref = _copy(corpus, tmp_path / "ref.db")
    with vocmine.open(ref) as rws:
        rws.analyze()
    assert_same(snapshot(db), snapshot(ref))


def _stored_vectors(db: Path, embedder: str) -> dict:
    import numpy as np

    with vocmine.open(db) as ws:
        return {(f, i): np.frombuffer(v, dtype=np.float32) for f, i, v in ws.db.conn.execute(
            "select s.feedback_id, s.idx, e.vector from embeddings e join segments s on s.id = e.segment_id "
            "where e.embedder = ?", (embedder,))}


def _partition_vectors(vec_dir: Path) -> dict:
    from vocmine.jobs.backfill_topics import read_vectors

    out = {}
    for p in sorted(vec_dir.glob("*.parquet")):
        keys, x = read_vectors(p)
        out.update({k: x[j] for j, k in enumerate(keys)})
    return out


def test_backfill_with_topics_embeds_by_partition_and_the_stage_reuses_the_vectors(corpus, tmp_path):
    import numpy as np

    from vocmine.decide.topic_stage import eligible_segments

    db, out = _copy(corpus, tmp_path / "voc.db"), tmp_path / "bf"
    lines: list[str] = []
    r = backfill(db, out=out, partition_rows=90, topics=True, progress=lines.append)
    en, ko = r["embedded"]["en"], r["embedded"]["ko"]
    assert (en["partitions"], en["embedded"]) == (4, 4) and en["segments"] > 20
    assert en["stored"] == en["segments"]
    assert "first topic fit" in ko["skipped"]  # kiwi-lsa: no fit to embed with before the first one
    tp = r["topics"]
    assert tp["topics"] > 0 and {"embed", "topics"} <= set(r["seconds"])
    assert any(line.startswith("embed en (local): 4 partitions embedded") for line in lines), lines
    # The English vectors in the workspace are the partitions' own: the stage embedded none again.
    stored, parts = _stored_vectors(db, en["embedder"]), _partition_vectors(out / "vectors" / "en")
    assert stored.keys() == parts.keys()
    assert all(np.array_equal(stored[k], parts[k]) for k in parts)
    with vocmine.open(db) as ws:
        eligible = eligible_segments(ws, False)
        placed = ws.db.conn.execute("select count(*) from segment_topics").fetchone()[0]
        korean = sum(1 for _, _, lang in eligible if lang == "ko")
    assert placed == len(eligible) and tp["assigned"] + tp["outliers"] == len(eligible)
    assert 0 < tp["embedded"] <= korean  # only the Korean segments were embedded on the driver
    # Again: nothing to analyse or embed in English; Korean now has its fit and is embedded by partition.
    again = backfill(db, out=out, partition_rows=90, topics=True)
    assert again["embedded"]["en"]["embedded"] == 0 and again["embedded"]["en"]["skipped"] == 4
    assert again["embedded"]["ko"]["embedded"] == 4 and again["embedded"]["ko"]["stored"] > 0
    assert again["topics"]["embedded"] == 0 and again["topics"]["new_topics"] == 0
    with vocmine.open(db) as ws:
        assert ws.db.conn.execute("select count(*) from segment_topics").fetchone()[0] == placed


def test_cli_backfill_topics_prints_the_stage_and_refuses_gpus_off_ray(corpus, tmp_path):
    db = _copy(corpus, tmp_path / "voc.db")
    base = ["--db", str(db), "backfill", "--out", str(tmp_path / "bf"), "--partition-rows", "160"]
    res = CliRunner().invoke(_cli(), base + ["--num-gpus", "0.5"])
    assert res.exit_code == 1 and "num_gpus" in res.stderr and "engine='ray'" in res.stderr
    assert not (tmp_path / "bf").exists()
    res = CliRunner().invoke(_cli(), base + ["--topics"])
    assert res.exit_code == 0, res.output
    assert "embed en (local): 2 partitions embedded" in res.stderr
    assert "topics: " in res.stdout and "segments placed" in res.stdout


def test_vectors_of_a_row_changed_since_the_export_are_not_stored(corpus, tmp_path):
    from vocmine.jobs.backfill_topics import embed_partitions, load_vectors

    db = _copy(corpus, tmp_path / "voc.db")
    out = tmp_path / "bf"
    backfill(db, out=out, partition_rows=90)
    name = embed_partitions(out / "analysis" / "segments", out, lang="en")["embedder"]
    parts = _partition_vectors(out / "vectors" / "en")
    fid, idx = sorted(parts)[0]
    with vocmine.open(db) as ws:  # the segment now holds other text than the one embedded
        with ws.db.conn:
            ws.db.conn.execute("update segments set text = 'Something else entirely.' where feedback_id = ? "
                               "and idx = ?", (fid, idx))
        n = load_vectors(ws, out / "vectors" / "en", out / "analysis" / "segments")
    assert n == len(parts) - 1
    stored = _stored_vectors(db, name)
    assert (fid, idx) not in stored and len(stored) == n


def test_engine_ray_without_ray_fails_at_once_with_the_install_hint(corpus, tmp_path, monkeypatch):
    for name in ("ray", "ray.data"):
        monkeypatch.setitem(sys.modules, name, None)  # `import ray` raises ImportError
    db = _copy(corpus, tmp_path / "voc.db")
    t0 = time.monotonic()
    res = CliRunner().invoke(_cli(), ["--db", str(db), "backfill", str(corpus["csv"]), "--out",
                                      str(tmp_path / "o"), "--engine", "ray"])
    assert time.monotonic() - t0 < 1
    assert res.exit_code == 1
    assert res.stderr.strip() == 'Error: engine "ray" needs Ray Data: pip install "vocmine[ray]"'
    assert not (tmp_path / "o").exists()


try:
    import ray
    import ray.data  # noqa: F401
except ImportError:  # Ray is an optional extra
    ray = None


@pytest.mark.ray
@pytest.mark.slow
def test_backfill_on_ray_equals_analyze(corpus, reference, tmp_path):
    db = _copy(corpus, tmp_path / "voc.db")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        with vocmine.open(db) as ws:
            result = backfill(ws, (), out=tmp_path / "bf", engine="ray", workers=1, partition_rows=160)
        assert (result["engine"], result["partitions"], result["analyzed"]) == ("ray", 2, 2)
        assert_same(snapshot(db), reference[1])
        # --topics on Ray: the analysis is done, the English embeddings run on the actors
        with vocmine.open(db) as ws:
            topics = backfill(ws, (), out=tmp_path / "bf", engine="ray", workers=1, topics=True)
    finally:
        ray.shutdown()
    en = topics["embedded"]["en"]
    assert (en["engine"], en["embedded"]) == ("ray", 2) and en["stored"] == en["segments"] > 20
    assert topics["topics"]["topics"] > 0
