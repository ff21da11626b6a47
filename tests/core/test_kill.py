"""kill -9 during an ingest, then a re-run, yields exactly the rows of one clean run."""
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

ROWS = 60_000
COLUMNS = "source, external_id, kind, author, title, text, rating, nps, csat, language, created_at, duplicate_of"


def make_file(path):
    phrases = ["heavier than expected", "delivery was late", "battery dies fast", "runs small", "생각보다 무거워요",
               "배송이 늦어요", "love it", "great sound"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "rating", "date", "author"])
        for i in range(ROWS):
            w.writerow([f"r{i}", f"{phrases[i % 8]} #{i // 8} call 010-{1000 + i % 9000}-5678",
                        1 + i % 5, f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", f"user{i % 500}"])
            if i % 1000 == 7:  # a repost with other case and punctuation: a near-duplicate
                w.writerow([f"d{i}", f"{phrases[i % 8].upper()} #{i // 8} CALL 010-{1000 + i % 9000}-5678!!", 3,
                            "2024-01-01", "someone"])


def ingest_cmd(db, path):
    return [sys.executable, "-m", "vocmine", "--db", str(db), "-q", "ingest", str(path), "--created", "date"]


def snapshot(db):
    conn = sqlite3.connect(db)
    rows = conn.execute(f"select {COLUMNS} from feedback order by id").fetchall()
    ids = conn.execute("select id, external_id from feedback order by id").fetchall()
    fts = conn.execute("select count(*) from feedback_fts").fetchone()[0]
    check = conn.execute("pragma integrity_check").fetchone()[0]
    conn.close()
    return rows, ids, fts, check


@pytest.mark.slow
def test_kill_9_then_rerun_equals_clean_run(tmp_path):
    path = tmp_path / "big.csv"
    make_file(path)
    env = {**os.environ, "VOCMINE_PSEUDONYM_KEY": "fixed-key-for-this-test"}

    clean = tmp_path / "clean.db"
    subprocess.run(ingest_cmd(clean, path), check=True, env=env)

    killed = tmp_path / "killed.db"
    proc = subprocess.Popen(ingest_cmd(killed, path), env=env)
    # Wait until some batches are committed, then kill -9 mid-ingest (bounded wait).
    deadline = time.time() + 60
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            conn = sqlite3.connect(killed, timeout=1)
            stored = conn.execute("select count(*) from feedback").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            continue
        if stored >= 5000:
            break
    assert proc.poll() is None, "the ingest finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = snapshot(killed)
    assert partial[3] == "ok"
    assert 0 < len(partial[0]) < ROWS, "the kill should land mid-ingest"

    subprocess.run(ingest_cmd(killed, path), check=True, env=env)
    a, b = snapshot(clean), snapshot(killed)
    assert len(a[0]) == ROWS + ROWS // 1000
    assert a[0] == b[0]  # same rows, same redacted text, same duplicate links
    assert a[1] == b[1]  # same ids
    assert a[2] == b[2] == len(a[0])  # the full-text index is complete
    assert b[3] == "ok"
    conn = sqlite3.connect(killed)
    statuses = [r[0] for r in conn.execute("select status from runs order by id")]
    conn.close()
    assert statuses == ["interrupted", "ok"]


def test_snapshot_columns_cover_duplicate_links(tmp_path):
    """The kill test compares duplicate links too; make sure the fixture really has some."""
    path = tmp_path / "small.csv"
    global ROWS
    saved, ROWS = ROWS, 2000
    try:
        make_file(path)
    finally:
        ROWS = saved
    import vocmine
    with vocmine.open(tmp_path / "w.db") as ws:
        r = ws.ingest(path, created="date")
    assert r.duplicates == 2
