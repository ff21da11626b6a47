"""The analyze stage as a partitioned backfill (vocmine.jobs.backfill), in-process and on a real
local Ray cluster: the same rows as ``analyze_rows`` on the same feedback, and resumable."""
import csv
import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

import vocmine
from vocmine.jobs.backfill import (
    DATE_COLUMNS, INPUT_COLUMNS, MENTION_COLUMNS, SEGMENT_COLUMNS, analyze_partitions, analyzed_rows, export_pending,
)
from vocmine.jobs.demo import REVIEW_COLUMNS
from vocmine.jobs.demo_data import generate

SEG_KEY = ["feedback_id", "idx"]
MEN_KEY = ["feedback_id", "idx", "start", "end", "canonical"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """~300 demo reviews (English and Korean, rated) ingested into a workspace and exported as 4
    partitions; the learned words come from the workspace, as the backfill computes them."""
    root = tmp_path_factory.mktemp("backfill")
    data = generate(seed=7, n_reviews=320, n_survey=0, weeks=4)
    path = root / "reviews.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REVIEW_COLUMNS)
        for r in data.reviews:
            w.writerow([r.get(c, "") for c in REVIEW_COLUMNS])
    ws = vocmine.open(root / "voc.db")
    ws.ingest(path, source="webstore", text="text", rating="rating", id="review_id", created="created",
              author="author", contact="email", product="product_id", title="title")
    parts = export_pending(ws, root / "in", partition_rows=90)
    from vocmine.understand import learned as lr, phrases as ph
    from vocmine.understand.analyze import _pending
    from vocmine.understand.phrases_en import STOP
    from vocmine.understand.sentiment import get_sentiment

    # 320 reviews are too few to learn from (learned.MIN_LOW, MIN_Z): the words are learned, for
    # real, from the generator's full 2,400 reviews and handed to the backfill as ``learned=``.
    model = get_sentiment(None)
    full = [(r["text"], float(r["rating"]), 5.0) for r in generate(seed=7, n_survey=0).reviews if r.get("rating")]
    learned = lr.valences(lr.learn(full, ph.english_parser(None), known=model.known_words() | STOP))
    model.learn(learned)
    rows = _pending(ws.db.conn, False)
    ws.close()
    return {"root": root, "db": root / "voc.db", "in": root / "in", "parts": parts, "rows": rows,
            "learned": learned, "model": model}


def _read(out: Path, kind: str, key) -> pd.DataFrame:
    df = pd.read_parquet(out / kind)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _direct(corpus) -> tuple[pd.DataFrame, pd.DataFrame]:
    """analyze_rows itself, on all the rows at once, flattened to the output's columns."""
    segs, ments = analyzed_rows(corpus["rows"], corpus["model"], batch_size=len(corpus["rows"]))
    s = pd.DataFrame(segs, columns=list(SEGMENT_COLUMNS))
    m = pd.DataFrame(ments, columns=list(MENTION_COLUMNS))
    return (s.sort_values(SEG_KEY, kind="stable").reset_index(drop=True),
            m.sort_values(MEN_KEY, kind="stable").reset_index(drop=True))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


@pytest.fixture(scope="module")
def local_out(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    seen = []
    result = analyze_partitions(corpus["in"], out, learned=corpus["learned"], progress=lambda d, t: seen.append((d, t)))
    return out, result, seen


def test_export_pending_writes_every_pending_row_once(corpus):
    assert len(corpus["parts"]) == 4
    back = pd.concat([pd.read_parquet(p) for p in corpus["parts"]])
    assert list(back.columns) == list(INPUT_COLUMNS + DATE_COLUMNS)
    assert len(back) == len(corpus["rows"]) == back["id"].nunique() >= 300
    assert sorted(back["id"]) == [r[0] for r in corpus["rows"]]
    assert {"en", "ko"} <= set(back["language"])
    # the dates as the workspace holds them, and the week as its trends compute it
    from vocmine.decide.trends import week_of

    with vocmine.open(corpus["db"]) as ws:
        want = {i: (c, w, d) for i, c, w, d in ws.db.conn.execute(
            f"select id, created_at, {week_of('created_at')}, duplicate_of from feedback")}
    got = {int(i): (c, w, None if pd.isna(d) else int(d))
           for i, c, w, d in back[["id", "created", "week", "duplicate_of"]].itertuples(index=False)}
    assert got == want and back["week"].str.fullmatch(r"\d{4}-W\d{2}").all()
    assert len(corpus["learned"]) > 0  # the workspace taught the lexicon something: it must travel


def test_local_engine_equals_analyze_rows(corpus, local_out):
    out, result, seen = local_out
    segs, ments = _direct(corpus)
    _same(_read(out, "segments", SEG_KEY), segs)
    _same(_read(out, "mentions", MEN_KEY), ments)
    assert result["partitions"] == 4 and result["analyzed"] == 4 and result["skipped"] == 0
    assert result["feedback"] == len(corpus["rows"])
    assert result["segments"] == len(segs) and result["mentions"] == len(ments) > 20
    assert result["complaints"] == int(segs["complaint"].sum()) > 20
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    # hidden temporary names never stay behind
    assert not [p for p in out.rglob(".*")]


def test_learned_words_change_the_output_and_are_refused_when_mixed(corpus, local_out, tmp_path):
    from vocmine.core.errors import ConfigError

    out, _result, _seen = local_out
    with pytest.raises(ConfigError, match="other settings"):
        analyze_partitions(corpus["in"], out, learned={})
    plain = tmp_path / "plain"
    analyze_partitions(corpus["in"], plain, learned={})
    a, b = _read(out, "segments", SEG_KEY), _read(plain, "segments", SEG_KEY)
    assert len(a) == len(b) and (a["sentiment"] != b["sentiment"]).any()


def test_learned_words_come_from_the_workspace_when_given(corpus, tmp_path):
    from vocmine.jobs.backfill import fingerprint
    from vocmine.understand.analyze import learned_words
    from vocmine.understand.sentiment import get_sentiment

    ws = vocmine.open(corpus["db"])
    try:
        out = tmp_path / "o"
        analyze_partitions(corpus["parts"][0].parent, out, ws=ws)
        expected = fingerprint(None, None, learned_words(ws, get_sentiment(None)))
    finally:
        ws.close()
    marks = [json.loads(p.read_text()) for p in (out / "_done").iterdir()]
    assert len(marks) == 4 and {m["fingerprint"] for m in marks} == {expected}


def test_resume_redoes_only_the_missing_partition(corpus, local_out, tmp_path):
    import shutil

    src, _result, _seen = local_out
    out = tmp_path / "out"
    shutil.copytree(src, out)
    victim = "part-00002"
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "segments").iterdir()}
    for sub, ext in (("segments", "parquet"), ("mentions", "parquet"), ("_done", "json")):
        (out / sub / f"{victim}.{ext}").unlink()
    # and one killed after its outputs were renamed into place, before its marker, with the
    # temporary file of a write that never finished
    (out / "_done" / "part-00000.json").unlink()
    (out / "segments" / ".part-00000.parquet.0badc0de.tmp").write_bytes(b"PAR1 half")
    again = analyze_partitions(corpus["in"], out, learned=corpus["learned"])
    assert (again["skipped"], again["analyzed"]) == (2, 2)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "segments").iterdir()}
    assert sorted(n for n in after if after[n] != stamps.get(n)) == ["part-00000.parquet", f"{victim}.parquet"]
    assert not [p for p in out.rglob(".*")]
    _same(_read(out, "segments", SEG_KEY), _read(src, "segments", SEG_KEY))
    _same(_read(out, "mentions", MEN_KEY), _read(src, "mentions", MEN_KEY))
    assert not _read(out, "segments", SEG_KEY).duplicated(SEG_KEY).any()
    # a run with everything done does nothing, and says so
    idle = analyze_partitions(corpus["in"], out, learned=corpus["learned"])
    assert (idle["skipped"], idle["analyzed"], idle["feedback"]) == (4, 0, len(corpus["rows"]))


@pytest.mark.slow
def test_a_killed_run_resumes_without_redoing_or_doubling(corpus, local_out, tmp_path):
    """The driver itself SIGKILLed mid-run (in-process engine, in a subprocess), then run again."""
    import signal
    import subprocess
    import sys

    src, _result, _seen = local_out
    out = tmp_path / "out"
    (tmp_path / "learned.json").write_text(json.dumps(corpus["learned"]), encoding="utf-8")
    code = ("import json, sys; from vocmine.jobs.backfill import analyze_partitions; "
            "analyze_partitions(sys.argv[1], sys.argv[2], learned=json.load(open(sys.argv[3])))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(corpus["in"]), str(out), str(tmp_path / "learned.json")])
    try:
        deadline = time.monotonic() + 120
        while not list((out / "_done").glob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = len(list((out / "_done").glob("*.json")))
    assert 1 <= done_before < 4
    again = analyze_partitions(corpus["in"], out, learned=corpus["learned"])
    assert (again["skipped"], again["analyzed"]) == (done_before, 4 - done_before)
    segs = _read(out, "segments", SEG_KEY)
    assert not segs.duplicated(SEG_KEY).any()
    _same(segs, _read(src, "segments", SEG_KEY))
    _same(_read(out, "mentions", MEN_KEY), _read(src, "mentions", MEN_KEY))
    assert not [p for p in out.rglob(".*")]


def test_unknown_engine_lists_the_engines(corpus, tmp_path):
    from vocmine.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown engine 'spark'; available: local, ray"):
        analyze_partitions(corpus["in"], tmp_path / "o", engine="spark")


# -- on a real local Ray cluster -----------------------------------------------------------------------

try:
    import ray
    import ray.data  # noqa: F401
except ImportError:  # Ray is an optional extra; the tests above need none of it
    ray = None
needs_ray = pytest.mark.ray  # skipped without Ray (tests/conftest.py), run by .ci/run's Ray pass


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster of 2 CPUs (this machine's processes only), started and stopped by these tests."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@needs_ray
@pytest.mark.slow
def test_ray_engine_equals_local(corpus, local_out, ray_cluster, tmp_path):
    out, _result, _seen = local_out
    rout = tmp_path / "ray"
    seen = []
    result = analyze_partitions(corpus["in"], rout, engine="ray", workers=2, learned=corpus["learned"],
                                progress=lambda d, t: seen.append(d))
    assert ray.is_initialized()  # the test's cluster is used and left running, not shut down
    assert (result["analyzed"], result["skipped"], result["engine"]) == (4, 0, "ray")
    _same(_read(rout, "segments", SEG_KEY), _read(out, "segments", SEG_KEY))
    _same(_read(rout, "mentions", MEN_KEY), _read(out, "mentions", MEN_KEY))
    assert seen == [0, 1, 2, 3, 4]
    # the partitions ran in Ray's worker processes, more than one of them
    pids = {json.loads(p.read_text())["pid"] for p in (rout / "_done").iterdir()}
    assert os.getpid() not in pids and len(pids) == 2


def _busy_analyzers() -> list[int]:
    """Pids of this machine's Ray actor processes that are inside a PartitionAnalyzer call now
    (Ray titles a worker after the method it runs: ``ray::MapWorker(...).submit``)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            title = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if title.startswith("ray::MapWorker(MapBatches(PartitionAnalyzer))") and title.endswith(".submit"):
            pids.append(int(d))
    return pids


@needs_ray
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds Ray's workers through /proc (Linux)")
def test_a_worker_killed_mid_partition_is_restarted_and_nothing_is_lost_or_doubled(corpus, local_out, ray_cluster,
                                                                                    tmp_path):
    import signal
    import threading

    out, _result, _seen = local_out
    rout = tmp_path / "ray"
    killed: list[int] = []

    def kill_the_first_busy_worker():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = _busy_analyzers()
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=kill_the_first_busy_worker, daemon=True)
    watcher.start()
    result = analyze_partitions(corpus["in"], rout, engine="ray", workers=2, learned=corpus["learned"])
    watcher.join(timeout=5)
    assert len(killed) == 1  # one actor was SIGKILLed inside a partition's call
    assert (result["analyzed"], result["feedback"]) == (4, len(corpus["rows"]))
    segs = _read(rout, "segments", SEG_KEY)
    assert not segs.duplicated(SEG_KEY).any()
    _same(segs, _read(out, "segments", SEG_KEY))
    _same(_read(rout, "mentions", MEN_KEY), _read(out, "mentions", MEN_KEY))
    # the partition it was running was committed by another process: Ray restarted the actor
    # (or handed the call to the other one) and ran the partition again
    pids = [json.loads(p.read_text())["pid"] for p in (rout / "_done").iterdir()]
    assert len(pids) == 4 and pids.count(killed[0]) < 4
    assert not [p for p in rout.rglob(".*")]


def test_each_actor_asks_for_an_equal_share_of_the_cluster_cpus_within_one_node():
    from vocmine.jobs.partitioned import actor_cpus

    two = [{"CPU": 2.0}]
    assert actor_cpus({"CPU": 2.0}, two, 1) == 2  # one worker uses the machine, as the local engine does
    assert actor_cpus({"CPU": 2.0}, two, 2) == 1
    assert actor_cpus({"CPU": 2.0}, two, 3) == 1  # never below one
    nodes = [{"CPU": 8.0}, {"CPU": 8.0}, {"CPU": 4.0, "GPU": 1.0}]
    assert actor_cpus({"CPU": 20.0}, nodes, 1) == 8  # an actor runs on one node: at most the biggest
    assert actor_cpus({"CPU": 20.0}, nodes, 4) == 5
    assert actor_cpus({"CPU": 20.0}, nodes, 20) == 1
    assert actor_cpus({"CPU": 3.0}, [], 2) == 1  # no node list: the share alone


@needs_ray
def test_ray_actors_run_with_their_share_of_cpus_as_threads(ray_cluster, tmp_path):
    """A pool of one actor on the 2-CPU cluster runs with OMP_NUM_THREADS=2 (what the models keep to),
    a pool of two with 1 each."""
    from vocmine.jobs.partitioned import run_ray

    class Threads:  # defined here, so Ray ships it by value to its workers
        def __call__(self, batch):
            return {"partition": batch["path"], "threads": [int(os.environ.get("OMP_NUM_THREADS", "0"))]}

    todo = []
    for i in range(2):
        p = tmp_path / f"part-{i}.parquet"
        p.write_bytes(b"")
        todo.append(p)
    one = list(run_ray(todo, {}, worker=Threads, workers=1, address=None))
    assert [r["threads"] for r in one] == [2, 2]
    two = list(run_ray(todo, {}, worker=Threads, workers=2, address=None))
    assert [r["threads"] for r in two] == [1, 1]
    assert ray.is_initialized()
