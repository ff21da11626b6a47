"""`vocmine weekly` on the demo config: repeatable, resumable, locked, with exit codes cron can use."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vocmine.cli import cli
from vocmine.weekly import load_config, lock, starter_config

DATA_TABLES = ("feedback", "segments", "phrases", "phrase_mentions", "analyzed", "tickets", "links", "changes",
               "segment_categories", "segment_topics", "topics", "notifications", "rejects")


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in DATA_TABLES}
    finally:
        conn.close()


def _outputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for d in ("reports", "site") for p in sorted((root / d).rglob("*"))
            if p.is_file()}


def _weekly(root: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "vocmine", "weekly", *args], cwd=root, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture
def fresh_demo(demo_dir, tmp_path):
    """The demo's exports and config without its workspace: the weekly job builds everything."""
    root = tmp_path / "demo"
    shutil.copytree(demo_dir / "data", root / "data")
    shutil.copy(demo_dir / "vocmine.toml", root / "vocmine.toml")
    return root


def test_demo_writes_a_config_that_loads(demo_dir):
    conf = load_config(demo_dir / "vocmine.toml")
    assert conf.workspace == demo_dir / "vocmine.db"
    assert [s["name"] for s in conf.sources] == ["webstore", "nps-survey"]
    assert conf.publish["base_url"].startswith("https://")


def test_weekly_twice_on_the_demo_config_gives_identical_outputs_and_no_new_rows(demo_dir, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo_dir, root)
    first = _weekly(root)
    assert first.returncode == 0, first.stderr
    assert "week 2026-W43: done" in first.stdout
    counts, outputs = _counts(root / "vocmine.db"), _outputs(root)
    second = _weekly(root, "--week", "2026-W43")
    assert second.returncode == 0, second.stderr
    assert _counts(root / "vocmine.db") == counts
    assert _outputs(root) == outputs
    # the outputs are the demo's own: the weekly job and `vocmine demo` agree
    assert outputs["reports/latest.md"] == (demo_dir / "reports" / "latest.md").read_bytes()
    assert (root / "vocmine-weekly.log").read_text(encoding="utf-8").count("stage publish done") == 2


def test_killed_mid_run_the_next_run_finishes_the_week(fresh_demo, tmp_path):
    # The same week run without interruption, for comparison.
    clean = tmp_path / "clean"
    shutil.copytree(fresh_demo, clean)
    assert _weekly(clean).returncode == 0

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "vocmine", "weekly"], cwd=fresh_demo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = fresh_demo / "vocmine.db"
    killed_in = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                conn = sqlite3.connect(db, timeout=1)
                row = conn.execute("select stage from runs where status = 'running' and stage = 'analyze'").fetchone()
                conn.close()
            except sqlite3.OperationalError:
                row = None
            if row:
                time.sleep(0.5)  # well inside the stage: some batches are written
                os.kill(proc.pid, signal.SIGKILL)
                killed_in = row[0]
                break
        time.sleep(0.05)
    proc.wait(timeout=30)
    assert killed_in == "analyze", "the run finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL

    again = _weekly(fresh_demo)
    assert again.returncode == 0, again.stderr
    assert "resuming the interrupted run of auto at analyze" in again.stdout
    assert "collect  skipped" not in again.stdout  # skipped stages are not echoed as run
    assert _counts(db) == _counts(clean / "vocmine.db")
    assert _outputs(fresh_demo) == _outputs(clean)
    conn = sqlite3.connect(db)
    statuses = [r[0] for r in conn.execute("select status from runs where stage = 'analyze' order by id")]
    conn.close()
    assert statuses == ["interrupted", "ok"]


def test_a_failed_stage_exits_1_names_the_problem_and_the_next_run_resumes_there(fresh_demo):
    tickets = fresh_demo / "data" / "tickets.json"
    good = tickets.read_text(encoding="utf-8")
    tickets.write_text("[{broken", encoding="utf-8")
    r = _weekly(fresh_demo)
    assert r.returncode == 1
    assert "tickets  FAILED: trackers[1]: cannot read tickets from" in r.stdout and "tickets.json" in r.stdout
    assert "stage tickets failed" in r.stderr
    tickets.write_text(good, encoding="utf-8")
    r2 = _weekly(fresh_demo, "--json")
    assert r2.returncode == 0, r2.stderr
    import json

    res = json.loads(r2.stdout)
    status = {s["stage"]: s["status"] for s in res["stages"]}
    assert status["collect"] == status["analyze"] == status["topics"] == "skipped"
    assert status["tickets"] == status["report"] == "ok"
    assert res["week"] == "2026-W43"


def test_a_second_run_while_one_holds_the_lock_exits_75(fresh_demo):
    with lock(fresh_demo / "vocmine.db"):
        r = _weekly(fresh_demo)
    assert r.returncode == 75
    assert "another vocmine weekly is running" in r.stderr and str(os.getpid()) in r.stderr


def test_bad_config_exits_2_with_one_line(tmp_path):
    (tmp_path / "vocmine.toml").write_text('workspace = "w.db"\n[reprot]\nout = "x"\n', encoding="utf-8")
    r = _weekly(tmp_path)
    assert r.returncode == 2
    assert "unknown setting(s) reprot" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "vocmine.toml").write_text('workspace = \n', encoding="utf-8")
    r = _weekly(tmp_path)
    assert r.returncode == 2 and "not valid TOML" in r.stderr


def test_init_writes_a_commented_starter_config_that_loads(tmp_path):
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "voc.db")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "vocmine.toml").read_text(encoding="utf-8")
    assert text == starter_config("voc.db") and text.count("\n# ") > 20
    conf = load_config(tmp_path / "vocmine.toml")
    assert conf.workspace == tmp_path / "voc.db" and conf.sources == []
    # a second init keeps the user's edits
    (tmp_path / "vocmine.toml").write_text(text + "\n# mine\n", encoding="utf-8")
    CliRunner().invoke(cli, ["init", str(tmp_path / "voc.db")])
    assert (tmp_path / "vocmine.toml").read_text(encoding="utf-8").endswith("# mine\n")


def test_dry_run_and_single_stage(demo_dir, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo_dir, root)
    r = _weekly(root, "--dry-run")
    assert r.returncode == 0 and "collect  run" in r.stdout and "notify   run" in r.stdout
    before = _counts(root / "vocmine.db")
    r = _weekly(root, "--stage", "report", "--week", "2026-W40")
    assert r.returncode == 0, r.stderr
    assert (root / "reports" / "weekly-2026-W40.html").is_file()
    assert _counts(root / "vocmine.db") == before
    r = _weekly(root, "--week", "2026-40")
    assert r.returncode == 2 and "2026-W38" in r.stderr
