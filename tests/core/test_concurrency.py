"""Several vocmine processes on one workspace: every run succeeds or waits; no row lost or doubled."""
import csv
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

OPENINGS = ["The strap", "Delivery", "The zipper", "Customer service", "The battery", "Sizing", "The app",
            "배송이", "포장이", "사이즈가"]
VERDICTS = ["was much slower than promised", "broke after two weeks", "is fine I guess", "works well",
            "made me wait on hold for an hour", "is heavier than expected", "너무 늦어요", "생각보다 무거워요",
            "좋아요", "별로예요"]
ROWS = 5_550


def make_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        text = f"{OPENINGS[i % 10]} {VERDICTS[(i // 10) % 10]}, order {i} (week {i % 13})."
        rows.append([f"r{i}", text, str(1 + i % 5), f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", f"user{i % 700}"])
    return rows


def write(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "review", "stars", "date", "author"])
        w.writerows(rows)


def vocmine(db, *args) -> list[str]:
    return [sys.executable, "-m", "vocmine", "--db", str(db), *args]


def ingest(db, path) -> list[str]:
    return vocmine(db, "-q", "ingest", str(path), "--source", "shop", "--text", "review", "--rating", "stars",
                   "--id", "id", "--created", "date", "--author", "author")


def run_all(cmds, tmp_path, timeout=400):
    """Start every command at once; return (returncode, stdout+stderr) per command, in order."""
    env = {**os.environ, "VOCMINE_PSEUDONYM_KEY": "shared-key-for-this-test", "VOCMINE_BUSY_TIMEOUT": "300"}
    procs = []
    for i, cmd in enumerate(cmds):
        out = open(tmp_path / f"proc{i}.log", "w+")
        procs.append((subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env), out))
    results = []
    for proc, out in procs:
        try:
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
        out.seek(0)
        results.append((proc.returncode, out.read()))
        out.close()
    return results


def counts(db):
    conn = sqlite3.connect(db)
    try:
        return {
            "feedback": conn.execute("select count(*) from feedback").fetchone()[0],
            "distinct": conn.execute("select count(distinct external_id) from feedback").fetchone()[0],
            "fts": conn.execute("select count(*) from feedback_fts").fetchone()[0],
            "integrity": conn.execute("pragma integrity_check").fetchone()[0],
        }
    finally:
        conn.close()


def assert_clean(results):
    for code, output in results:
        assert code == 0, output
        assert "Traceback" not in output, output
        assert "locked" not in output.lower(), output


@pytest.mark.slow
def test_ten_overlapping_ingests_and_an_analyze_store_each_row_once(tmp_path):
    rows = make_rows(ROWS)
    files = []
    for i in range(10):  # overlapping slices: every row is in one to four files
        path = tmp_path / f"export{i}.csv"
        write(path, rows[i * 450:i * 450 + 1500])
        files.append(path)
    db = tmp_path / "voc.db"
    # The workspace exists before the race starts: an analyze that won the race against every ingest
    # would rightly say "no such workspace" (creating one concurrently is tested below).
    assert_clean(run_all([vocmine(db, "-q", "init", "--no-config")], tmp_path))
    cmds = [ingest(db, p) for p in files] + [vocmine(db, "-q", "analyze")]
    results = run_all(cmds, tmp_path)
    assert_clean(results)
    assert counts(db) == {"feedback": ROWS, "distinct": ROWS, "fts": ROWS, "integrity": "ok"}

    # What the concurrent analyze did not see, the next one picks up: every row ends analysed once.
    assert_clean(run_all([vocmine(db, "-q", "analyze")], tmp_path))
    conn = sqlite3.connect(db)
    missing = conn.execute("select count(*) from feedback f where not exists "
                           "(select 1 from segments s where s.feedback_id = f.id)").fetchone()[0]
    doubled = conn.execute("select count(*) from (select feedback_id, idx from segments group by 1, 2 "
                           "having count(*) > 1)").fetchone()[0]
    conn.close()
    assert missing == 0 and doubled == 0


def test_the_same_file_ingested_twice_at_once(tmp_path):
    path = tmp_path / "export.csv"
    write(path, make_rows(1200))
    db = tmp_path / "voc.db"
    results = run_all([ingest(db, path), ingest(db, path)], tmp_path)
    assert_clean(results)
    assert counts(db) == {"feedback": 1200, "distinct": 1200, "fts": 1200, "integrity": "ok"}


def test_processes_creating_one_new_workspace_all_succeed(tmp_path):
    rows = make_rows(30)
    for i in range(3):
        write(tmp_path / f"small{i}.csv", rows[i * 10:i * 10 + 10])
    for attempt in range(4):
        db = tmp_path / f"new{attempt}.db"
        results = run_all([ingest(db, tmp_path / f"small{i}.csv") for i in range(3)], tmp_path)
        assert_clean(results)
        assert counts(db)["feedback"] == 30
        conn = sqlite3.connect(db)
        names = [r[0] for r in conn.execute("select name from _migrations")]
        key = conn.execute("select count(*) from settings where key = 'pseudonym_key'").fetchone()[0]
        conn.close()
        assert len(names) == len(set(names)) and key == 1


def test_two_analyze_runs_at_once_equal_one(tmp_path):
    path = tmp_path / "export.csv"
    write(path, make_rows(600))
    db = tmp_path / "voc.db"
    assert_clean(run_all([ingest(db, path)], tmp_path))
    single = tmp_path / "single.db"
    shutil.copy(db, single)
    assert_clean(run_all([vocmine(single, "-q", "analyze")], tmp_path))
    assert_clean(run_all([vocmine(db, "-q", "analyze"), vocmine(db, "-q", "analyze")], tmp_path))

    def analysed(p):
        conn = sqlite3.connect(p)
        try:
            return (conn.execute("select feedback_id, idx, text, label, complaint from segments "
                                 "order by feedback_id, idx").fetchall(),
                    conn.execute("select phrase, language from phrases order by phrase, language").fetchall())
        finally:
            conn.close()

    assert analysed(db) == analysed(single)
