"""The ingest's redaction and language detection on Ray workers (vocmine.jobs.ingest_map), on a
real local Ray cluster of 2 CPUs: the same rows, rejects and messages as the in-process ingest,
with an actor killed mid-run, and through ``vocmine backfill --engine ray`` from a JSONL file."""
import os
import signal
import time
from pathlib import Path

import pytest

import vocmine
from messy import snapshot, write_messy_jsonl
from vocmine.collect.intake import ingest

from test_backfill import ray_cluster  # noqa: F401  (the analyze tests' 2-CPU Ray cluster fixture)

try:
    import ray
    import ray.data  # noqa: F401
except ImportError:  # Ray is an optional extra; the tests below are skipped without it
    ray = None

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture
def messy(tmp_path, monkeypatch):
    monkeypatch.setenv("VOCMINE_PSEUDONYM_KEY", "a key shared by the workspaces compared")
    path = write_messy_jsonl(tmp_path / "messy.jsonl", n=600)
    with vocmine.open(tmp_path / "here.db") as ws:
        here = ingest(ws, path, contact="email")
    return path, here


def _finish_actors() -> list[int]:
    """Pids of this machine's Ray worker processes that are ingest finish actors (Ray titles an
    actor's process after its class: ``ray::_FinishActor``, ``ray::_FinishActor.finish``)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                title = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
            if title.startswith("ray::_FinishActor"):
                pids.append(int(d))
    return pids


def test_ray_finisher_stores_what_the_in_process_ingest_stores(ray_cluster, messy, tmp_path):
    from vocmine.jobs.ingest_map import ray_finisher

    path, here = messy
    with vocmine.open(tmp_path / "ray.db") as ws:
        there = ingest(ws, path, contact="email", finisher=ray_finisher(2), chunk_rows=25)
    assert snapshot(tmp_path / "ray.db") == snapshot(tmp_path / "here.db")
    assert there.messages == here.messages and there.as_dict() == here.as_dict()
    # The pool is gone when the ingest ends (ray.kill is asynchronous: a bounded wait).
    for _ in range(100):
        if not _finish_actors():
            break
        time.sleep(0.1)
    assert _finish_actors() == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds Ray's workers through /proc (Linux)")
def test_an_actor_killed_mid_ingest_is_restarted_and_nothing_is_lost_or_doubled(ray_cluster, messy, tmp_path):
    from vocmine.jobs.ingest_map import ray_finisher

    path, here = messy
    finisher = ray_finisher(2)
    killed: list[int] = []

    def kill_one_on_the_fifth_batch(chunks):
        for n, drafts in enumerate(chunks):
            if n == 5:  # calls are in flight on both actors: SIGKILL one of them
                pids = _finish_actors()
                assert pids, "no finish actor to kill"
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            yield drafts

    def run(chunks):
        return finisher(kill_one_on_the_fifth_batch(chunks))

    with vocmine.open(tmp_path / "ray.db") as ws:
        there = ingest(ws, path, contact="email", finisher=run, chunk_rows=20)
    assert killed
    assert snapshot(tmp_path / "ray.db") == snapshot(tmp_path / "here.db")
    assert there.as_dict() == here.as_dict() and there.messages == here.messages


def test_backfill_on_ray_ingests_a_jsonl_file_as_the_in_process_backfill_does(ray_cluster, messy, tmp_path):
    from vocmine.jobs.backfill import backfill

    path, _here = messy
    local = backfill(tmp_path / "local.db", [path], out=tmp_path / "lo", columns={"contact": "email"})
    on_ray = backfill(tmp_path / "ray.db", [path], out=tmp_path / "ro", engine="ray", workers=2,
                      columns={"contact": "email"})
    assert on_ray["ingest"] == local["ingest"] and on_ray["ingest"]["inserted"] > 400
    assert snapshot(tmp_path / "ray.db") == snapshot(tmp_path / "local.db")
    assert (on_ray["loaded"], on_ray["segments"]) == (local["loaded"], local["segments"])
    assert ray.is_initialized()  # the test's cluster was joined, not stopped
    # run again: the file is recognised row by row, nothing is stored or analysed twice
    again = backfill(tmp_path / "ray.db", [path], out=tmp_path / "ro", engine="ray", workers=2,
                     columns={"contact": "email"})
    assert again["ingest"]["inserted"] == 0 and again["ingest"]["unchanged"] == local["ingest"]["inserted"]
    assert again["analyzed"] == 0 and snapshot(tmp_path / "ray.db") == snapshot(tmp_path / "local.db")
