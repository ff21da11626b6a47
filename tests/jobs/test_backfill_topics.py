"""Embeddings and topic assignment over the backfill's partitions (vocmine.jobs.backfill_topics),
in-process and on a real local Ray cluster: the embedder's own vectors, the topic stage's own
assignments, the same output from both engines, and resumable."""
import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vocmine
from vocmine.core.errors import ConfigError
from vocmine.decide.topic_labels import strip_markup
from vocmine.decide.topic_stage import assign_by_centroid, topic_language
from vocmine.jobs.backfill import analyze_partitions, export_pending
from vocmine.jobs.backfill_topics import (
    assign_partitions, eligible_rows, embed_partitions, load_vectors, read_vectors, topic_model,
)
from vocmine.jobs.demo import REVIEW_COLUMNS
from vocmine.jobs.demo_data import generate

from test_backfill import needs_ray, ray, ray_cluster  # noqa: F401  (the first slice's Ray cluster fixture)

KEY = ["feedback_id", "idx"]
INGEST = dict(source="webstore", text="text", rating="rating", id="review_id", created="created", author="author",
              contact="email", product="product_id", title="title")


def _csv(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REVIEW_COLUMNS)
        for r in rows:
            w.writerow([r.get(c, "") for c in REVIEW_COLUMNS])
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,000 demo reviews (English and Korean). The first 600 are analysed and their topics fitted
    in a workspace (``update_topics``); then the other 400 are ingested and analysed, and all of them
    go through the backfill: analyze, embed (English, the stage's MiniLM) and assign, in-process."""
    root = tmp_path_factory.mktemp("topics")
    reviews = generate(seed=7, n_reviews=1000, n_survey=0, weeks=4).reviews
    ws = vocmine.open(root / "voc.db")
    ws.ingest(_csv(root / "first.csv", reviews[:600]), **INGEST)
    ws.analyze()
    ws.update_topics()
    ws.ingest(_csv(root / "second.csv", reviews[600:]), **INGEST)
    ws.analyze()
    export_pending(ws, root / "in", partition_rows=125, reanalyze=True)
    out = root / "out"
    analyze_partitions(root / "in", out, ws=ws)
    seen = []
    embedded = embed_partitions(out / "segments", out, lang="en", progress=lambda d, t: seen.append((d, t)))
    assigned = assign_partitions(out / "vectors" / "en", out, ws=ws, lang="en")
    model = topic_model(ws, "en", "minilm")
    placed = dict(ws.db.conn.execute("select segment_id, topic_id from segment_topics").fetchall())
    ws.close()
    return {"root": root, "db": root / "voc.db", "out": out, "embedded": embedded, "assigned": assigned,
            "seen": seen, "model": model, "placed": placed}


def _read(d: Path) -> pd.DataFrame:
    return pd.read_parquet(d).sort_values(KEY, kind="stable").reset_index(drop=True)


def _matrix(df: pd.DataFrame) -> np.ndarray:
    return np.vstack(df["vector"].to_numpy()).astype(np.float32)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    vec = "vector" in a.columns
    pd.testing.assert_frame_equal(a.drop(columns=["vector"]) if vec else a, b.drop(columns=["vector"]) if vec else b,
                                  check_dtype=False)
    if vec:
        assert np.array_equal(_matrix(a), _matrix(b))


# -- embeddings ----------------------------------------------------------------------------------------

def test_vectors_are_the_embedders_own_on_the_same_batches(corpus):
    from vocmine.decide.embed import MiniLMEmbedder

    out = corpus["out"]
    segs = pd.read_parquet(out / "segments")
    want = segs[(segs["complaint"] == 1) & (segs["language"].map(topic_language) == "en")]
    got = _read(out / "vectors" / "en")
    # exactly the stage's segments: English-topic complaints, each once
    assert sorted(map(tuple, got[KEY].to_numpy().tolist())) == sorted(map(tuple, want[KEY].to_numpy().tolist()))
    assert len(got) >= 80 and not got.duplicated(KEY).any()
    r = corpus["embedded"]
    assert (r["partitions"], r["embedded"], r["skipped"], r["segments"], r["dim"]) == (8, 8, 0, len(got), 384)
    assert corpus["seen"] == [(i, 8) for i in range(9)]
    # each partition's distinct texts (markup stripped) through the embedder in one call: the same floats
    emb = MiniLMEmbedder()
    text = {(f, i): t for f, i, t in segs[["feedback_id", "idx", "text"]].itertuples(index=False)}
    for part in sorted((out / "vectors" / "en").glob("*.parquet")):
        keys, x = read_vectors(part)
        texts = [strip_markup(text[k]) for k in keys]
        distinct = list(dict.fromkeys(texts))
        direct = emb.embed(distinct)[[distinct.index(t) for t in texts]] if texts else np.zeros((0, 384))
        assert np.array_equal(x, direct)
    # and the same model however it is batched: every text in one call gives nearly the same vectors
    # (the int8 model quantises its activations per batch: measured here, cosine 0.94 at worst)
    texts = [strip_markup(text[k]) for k in map(tuple, got[KEY].to_numpy().tolist())]
    once = MiniLMEmbedder().embed(texts)
    cos = np.sum(_matrix(got) * once, axis=1)
    assert cos.min() > 0.9 and cos.mean() > 0.98
    assert np.allclose(np.linalg.norm(_matrix(got), axis=1), 1.0, atol=1e-5)
    assert not [p for p in out.rglob(".*")]


def test_korean_vectors_use_the_workspaces_kiwi_lsa_fit(corpus, tmp_path):
    from vocmine.decide.embed import KiwiLsaEmbedder

    ws = vocmine.open(corpus["db"])
    try:
        with pytest.raises(ConfigError, match="fitted on a workspace: pass ws="):
            embed_partitions(corpus["out"] / "segments", tmp_path, lang="ko")
        r = embed_partitions(corpus["out"] / "segments", tmp_path, lang="ko", ws=ws)
        blob = ws.db.conn.execute("select state from embedder_states where name = 'kiwi-lsa:ko'").fetchone()[0]
        a = assign_partitions(tmp_path / "vectors" / "ko", tmp_path, ws=ws, lang="ko")
        model = topic_model(ws, "ko", "kiwi-lsa:ko")
    finally:
        ws.close()
    assert r["embedder"] == "kiwi-lsa:ko" and r["segments"] >= 30
    fit = KiwiLsaEmbedder.from_state(blob)
    for part in sorted((tmp_path / "vectors" / "ko").glob("*.parquet")):
        keys, x = read_vectors(part)
        _keys, texts = eligible_rows(corpus["out"] / "segments" / part.name, "ko")
        assert keys == _keys
        if keys:
            assert np.allclose(x, fit.embed(texts), atol=1e-6)
    got = _read(tmp_path / "assignments" / "ko")
    vec = _read(tmp_path / "vectors" / "ko")
    tids, scores, methods = assign_by_centroid(_matrix(vec), model["topic_ids"], model["centroids"], model["assign"],
                                               model["loose"])
    assert a["segments"] == len(got) == len(vec) and len(model["topic_ids"]) >= 2
    assert got["topic_id"].astype("Int64").tolist() == pd.array(tids, dtype="Int64").tolist()
    assert got["method"].tolist() == methods
    # vectors of one fit are never assigned to the topics of another
    db = tmp_path / "refit.db"
    shutil.copy(corpus["db"], db)
    other = vocmine.open(db)
    try:
        refit = KiwiLsaEmbedder(dim=16).fit([strip_markup(t) for t in pd.read_parquet(
            corpus["out"] / "segments").query("language == 'ko'")["text"]])
        with other.db.conn:
            other.db.conn.execute("update embedder_states set state = ? where name = 'kiwi-lsa:ko'", (refit.state(),))
        with pytest.raises(ConfigError, match="another fit of 'kiwi-lsa:ko'"):
            assign_partitions(tmp_path / "vectors" / "ko", tmp_path / "other", ws=other, lang="ko")
    finally:
        other.close()


# -- assignment ----------------------------------------------------------------------------------------

def test_assignments_are_the_stage_function_on_the_vectors(corpus):
    out, model = corpus["out"], corpus["model"]
    vec = _read(out / "vectors" / "en")
    got = _read(out / "assignments" / "en")
    assert got[KEY].equals(vec[KEY])
    tids, scores, methods = assign_by_centroid(_matrix(vec), model["topic_ids"], model["centroids"], model["assign"],
                                               model["loose"])
    assert got["topic_id"].astype("Int64").tolist() == pd.array(tids, dtype="Int64").tolist()
    assert np.allclose(got["score"], np.round(scores, 4), atol=1e-9)
    assert got["method"].tolist() == methods
    counts = got["method"].value_counts()
    r = corpus["assigned"]
    assert (r["partitions"], r["assigned"], r["segments"]) == (8, 8, len(got))
    assert {m: r[m] for m in ("assign", "loose", "outlier")} == {m: int(counts.get(m, 0)) for m in
                                                                ("assign", "loose", "outlier")}
    assert counts["assign"] > len(got) / 2 and r["topics"] == len(model["topic_ids"]) >= 2
    assert got["topic_id"].dropna().nunique() >= 2
    assert got.loc[got["method"] == "outlier", "topic_id"].isna().all()
    assert (got.loc[got["method"] == "assign", "score"] >= model["assign"] - 1e-4).all()


def test_assignments_equal_what_update_topics_assigns_to_new_segments(corpus, tmp_path):
    """The workspace, given the backfill's vectors (``load_vectors``), places its new segments
    (the second 400 reviews, and the fit's outliers) itself: those the backfill put on a topic by the
    ``assign`` threshold it puts on the same topic with the same score."""
    db = tmp_path / "voc.db"
    shutil.copy(corpus["db"], db)
    ws = vocmine.open(db)
    try:
        assert load_vectors(ws, corpus["out"] / "vectors" / "en") == corpus["embedded"]["segments"]
        ws.update_topics()
        st = pd.read_sql("select s.id, s.feedback_id, s.idx, st.topic_id, st.score, st.method from segment_topics st "
                         "join segments s on s.id = st.segment_id", ws.db.conn)
    finally:
        ws.close()
    got = _read(corpus["out"] / "assignments" / "en")
    m = got.merge(st, on=KEY, suffixes=("", "_ws"))
    placed_before = {s for s, t in corpus["placed"].items() if t is not None}
    new = m[~m["id"].isin(placed_before) & (m["method"] == "assign")]
    assert len(new) >= 20
    assert (new["method_ws"] == "assign").all()
    assert new["topic_id"].astype(int).tolist() == new["topic_id_ws"].astype(int).tolist()
    assert np.allclose(new["score"], new["score_ws"], atol=1e-9)


def test_resume_redoes_only_the_missing_partitions(corpus, tmp_path):
    src = corpus["out"]
    out = tmp_path / "out"
    shutil.copytree(src, out)
    vdir, adir = out / "vectors" / "en", out / "assignments" / "en"
    stamps = {p.name: p.stat().st_mtime_ns for p in vdir.glob("*.parquet")}
    for d in (vdir, adir):
        (d / "part-00003.parquet").unlink()
        (d / "_done" / "part-00003.json").unlink()
    (vdir / "_done" / "part-00005.json").unlink()  # killed between the rename and the marker
    (vdir / ".part-00005.parquet.0badc0de.tmp").write_bytes(b"PAR1 half")
    r = embed_partitions(out / "segments", out, lang="en")
    assert (r["skipped"], r["embedded"], r["segments"]) == (6, 2, corpus["embedded"]["segments"])
    after = {p.name: p.stat().st_mtime_ns for p in vdir.glob("*.parquet")}
    assert sorted(n for n in after if after[n] != stamps.get(n)) == ["part-00003.parquet", "part-00005.parquet"]
    ws = vocmine.open(corpus["db"])
    try:
        a = assign_partitions(vdir, out, ws=ws, lang="en")
    finally:
        ws.close()
    assert (a["skipped"], a["assigned"]) == (7, 1)
    _same(_read(vdir), _read(src / "vectors" / "en"))
    _same(_read(adir), _read(src / "assignments" / "en"))
    assert not [p for p in out.rglob(".*")]
    # other settings never mix into a finished output directory
    with pytest.raises(ConfigError, match="other settings"):
        embed_partitions(out / "segments", out, lang="en", batch_size=7)


def test_bad_arguments_fail_with_what_to_do(corpus, tmp_path):
    with pytest.raises(ConfigError, match="unknown engine 'spark'; available: local, ray"):
        embed_partitions(corpus["out"] / "segments", tmp_path, engine="spark")
    with pytest.raises(ConfigError, match="unknown topic language 'fr'; available: en, ko"):
        embed_partitions(corpus["out"] / "segments", tmp_path, lang="fr")
    with pytest.raises(ConfigError, match="num_gpus is a share of a GPU per Ray actor"):
        embed_partitions(corpus["out"] / "segments", tmp_path, num_gpus=1)
    empty = vocmine.open(tmp_path / "empty.db")
    try:
        with pytest.raises(ConfigError, match="no active en topics"):
            assign_partitions(corpus["out"] / "vectors" / "en", tmp_path, ws=empty, lang="en")
    finally:
        empty.close()


# -- on a real local Ray cluster -----------------------------------------------------------------------

@needs_ray
@pytest.mark.slow
def test_ray_engine_equals_local_for_both_maps(corpus, ray_cluster, tmp_path):  # noqa: F811
    src = corpus["out"]
    rout = tmp_path / "ray"
    r = embed_partitions(src / "segments", rout, lang="en", engine="ray", workers=2)
    assert (r["embedded"], r["engine"], r["segments"]) == (8, "ray", corpus["embedded"]["segments"])
    ws = vocmine.open(corpus["db"])
    try:
        a = assign_partitions(rout / "vectors" / "en", rout, ws=ws, lang="en", engine="ray", workers=2)
        with pytest.raises(ConfigError, match="the Ray cluster has no GPU"):
            embed_partitions(src / "segments", tmp_path / "gpu", lang="en", engine="ray", num_gpus=1)
    finally:
        ws.close()
    assert ray.is_initialized()  # the test's cluster is used and left running
    assert (a["assigned"], a["segments"]) == (8, r["segments"])
    _same(_read(rout / "vectors" / "en"), _read(src / "vectors" / "en"))
    _same(_read(rout / "assignments" / "en"), _read(src / "assignments" / "en"))
    pids = {json.loads(p.read_text())["pid"] for p in (rout / "vectors" / "en" / "_done").iterdir()}
    assert os.getpid() not in pids and len(pids) == 2
