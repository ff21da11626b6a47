"""`vocmine weekly` on the demo config: repeatable, resumable, locked, with exit codes cron can use."""
import json
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

from vocmine.cli.main import cli
from vocmine.jobs.weekly import load_config, lock, starter_config

DATA_TABLES = ("feedback", "segments", "phrases", "phrase_mentions", "analyzed", "tickets", "links", "changes",
               "segment_categories", "segment_topics", "topics", "notifications", "rejects")


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in DATA_TABLES}
    finally:
        conn.close()


def _outputs(root: Path) -> dict[str, bytes]:
    """Every file beside the config except the inputs (data/), the workspace, its lock and the log."""
    skip = (".db", ".db-wal", ".db-shm", ".db-journal", ".lock", ".log")
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(skip) and p.relative_to(root).parts[0] != "data"}


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


# -- a small weekly config: repeatable to the byte, taxonomy from the config, bad tickets reported ------

SMALL_TAXONOMY = """\
name: outdoor-test
version: 3
languages: [en]
categories:
  - id: heft
    label: {en: Heft}
    keywords:
      en: [heavier, heavy, weight, weighs]
    examples:
      en: ["heavier than expected", "too heavy to carry"]
  - id: straps
    label: {en: Straps}
    keywords:
      en: [strap, straps, buckle]
    examples:
      en: ["the strap broke"]
"""


@pytest.fixture
def small_weekly(tmp_path):
    """A config with one review export, a JSON tracker (one good ticket, two bad ones), a taxonomy file."""
    import csv
    import json

    root = tmp_path / "small"
    (root / "data").mkdir(parents=True)
    rows = [["id", "text", "created", "author"]]
    for i in range(10):
        rows.append([f"r{i}", f"The backpack is heavier than expected, order {i}. The colour is nice.",
                     f"2026-09-{1 + i:02d}", f"a{i}"])
    for i in range(6):
        rows.append([f"s{i}", f"The strap broke after a week of use, bag {i}.", f"2026-09-{2 + i:02d}", f"b{i}"])
    with open(root / "data" / "reviews.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    tickets = [
        {"key": "OUT-1", "title": "Lighter frame", "status": "fixed", "done_at": "2026-09-20",
         "body": "Customers say heavier than expected.\n\nPublic note: The frame is lighter."},
        {"key": "OUT-2", "title": "Stronger strap", "status": "fixed", "done_at": "yesterday-ish"},
        {"key": "OUT-3", "title": "Buckle", "status": "waiting on vendor"},
    ]
    (root / "data" / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    (root / "taxonomy.yaml").write_text(SMALL_TAXONOMY, encoding="utf-8")
    (root / "vocmine.toml").write_text('''\
workspace = "small.db"
languages = ["en"]

[[sources]]
type = "file"
name = "shop"
path = "data/reviews.csv"
columns = { text = "text", id = "id", created = "created", author = "author" }

[taxonomy]
path = "taxonomy.yaml"

[[trackers]]
type = "json"
path = "data/tickets.json"

[report]
out = "reports"

[publish]
out = "site"
base_url = "https://outfitters.example/changes/"
company = "Example Outfitters"
''', encoding="utf-8")
    return root


def _run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["weekly", "--config", str(root / "vocmine.toml"), *args])


def test_weekly_twice_on_a_fresh_workspace_writes_byte_identical_files(small_weekly):
    first = _run(small_weekly, "--week", "2026-W37")
    assert first.exit_code == 0, first.output
    files = _outputs(small_weekly)
    assert "reports/latest.html" in files and "site/index.html" in files and "site/feed.xml" in files
    # The company of the config is in the report from the first run on (it came only from the second).
    assert b"Example Outfitters" in files["reports/latest.html"]
    counts = _counts(small_weekly / "small.db")
    second = _run(small_weekly, "--week", "2026-W37")
    assert second.exit_code == 0, second.output
    again = _outputs(small_weekly)
    assert sorted(again) == sorted(files)
    assert [name for name in files if again[name] != files[name]] == []
    assert _counts(small_weekly / "small.db") == counts


def test_weekly_topics_stage_uses_the_configs_taxonomy(small_weekly):
    r = _run(small_weekly, "--stage", "collect")
    assert r.exit_code == 0, r.output
    assert _run(small_weekly, "--stage", "analyze").exit_code == 0
    r = _run(small_weekly, "--stage", "topics")  # was: TypeError ... unexpected keyword argument 'taxonomy'
    assert r.exit_code == 0, r.output
    assert "topics   ok" in r.output
    conn = sqlite3.connect(small_weekly / "small.db")
    try:
        placed = dict(conn.execute("select category, count(*) from segment_categories "
                                   "where taxonomy = 'outdoor-test@3' group by category").fetchall())
        others = conn.execute("select count(*) from segment_categories where taxonomy != 'outdoor-test@3'").fetchone()
    finally:
        conn.close()
    assert placed.get("heft", 0) >= 5 and placed.get("straps", 0) >= 3, placed
    assert others[0] == 0


def test_weekly_links_stage_uses_the_configs_taxonomy_too(small_weekly):
    r = _run(small_weekly, "--week", "2026-W37")
    assert r.exit_code == 0, r.output
    conn = sqlite3.connect(small_weekly / "small.db")
    try:
        evidence = " ".join(e for (e,) in conn.execute("select evidence from links where evidence is not null"))
    finally:
        conn.close()
    # "straps" exists only in the config's taxonomy: the "Stronger strap" ticket and the strap
    # complaints were both placed with it (with the packaged taxonomy this evidence never appears).
    assert "same category: straps" in evidence, evidence


def test_weekly_reports_bad_tickets_by_key_and_no_stage_breaks(small_weekly):
    import json

    r = _run(small_weekly, "--week", "2026-W37", "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    tickets = next(s for s in res["stages"] if s["stage"] == "tickets")
    problems = tickets["counts"]["problems"]
    assert tickets["counts"]["invalid"] == 2
    assert any("trackers[1]: tracker 'local', ticket 'OUT-2': field done_at: 'yesterday-ish' is not a date" in p
               for p in problems), problems
    assert any("ticket 'OUT-3': field status: unknown status 'waiting on vendor'" in p for p in problems), problems
    log = (small_weekly / "small-weekly.log").read_text(encoding="utf-8")
    assert "ticket 'OUT-2': field done_at" in log
    db = str(small_weekly / "small.db")
    stored = {k: (s, d) for k, s, d in sqlite3.connect(db).execute("select key, status, done_at from tickets")}
    assert stored["OUT-1"] == ("done", "2026-09-20T00:00:00Z")  # "fixed" is done, as through add_ticket
    assert stored["OUT-2"] == ("done", None) and stored["OUT-3"] == ("open", None)
    # The team links both shipped tickets; entries are built for the one with a readable date only.
    runner = CliRunner()
    for key in ("OUT-1", "OUT-2", "OUT-3"):
        res = runner.invoke(cli, ["--db", db, "link", "accept", key, "heavier than expected"])
        assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["--db", db, "entries", "build", "--json"])
    assert res.exit_code == 0, res.output
    assert sorted(e["ticket"] for e in json.loads(res.output)) == ["OUT-1"]
    again = _run(small_weekly, "--week", "2026-W37")
    assert again.exit_code == 0, again.output
    assert "links    ok" in again.output and "report   ok" in again.output


# -- disk full: one line, exit 1, nothing stored lost ---------------------------------------------

@pytest.fixture
def capped_sqlite(tmp_path, monkeypatch):
    """A workspace full.db (created first) whose connections may grow by 8 pages only: SQLite really hits
    its size limit. Returns the unpatched ``sqlite3.connect`` for the test's own checks."""
    real = sqlite3.connect
    assert CliRunner().invoke(cli, ["--db", str(tmp_path / "full.db"), "init", "--no-config"]).exit_code == 0

    def connect(*args, **kwargs):
        conn = real(*args, **kwargs)
        if str(args[0] if args else kwargs.get("database")).endswith("full.db"):
            pages = conn.execute("pragma page_count").fetchone()[0]
            conn.execute(f"pragma max_page_count = {pages + 8}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return real


def _big_export(path: Path, n: int = 2000) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "text"]] + [[str(i), f"Review {i}: the zipper broke after {i} days. " * 3]
                                                    for i in range(n)])
    return path


def test_disk_full_during_ingest_is_one_line_and_exit_1(tmp_path, capped_sqlite):
    db = tmp_path / "full.db"
    runner = CliRunner()
    export = _big_export(tmp_path / "big.csv")
    res = runner.invoke(cli, ["--db", str(db), "ingest", str(export)])
    assert res.exit_code == 1
    assert res.output == f"Error: disk full while writing {db}: free space and re-run; nothing stored was lost\n"
    res = runner.invoke(cli, ["--db", str(db), "--debug", "ingest", str(export)])
    assert isinstance(res.exception, sqlite3.OperationalError) and "full" in str(res.exception)  # --debug: raised
    conn = capped_sqlite(db)
    try:
        assert conn.execute("select count(*) from feedback").fetchone()[0] == 0  # no half batch
    finally:
        conn.close()


def test_disk_full_during_weekly_is_one_line_and_the_next_run_resumes(tmp_path, capped_sqlite):
    _big_export(tmp_path / "big.csv")
    (tmp_path / "vocmine.toml").write_text('workspace = "full.db"\n[[sources]]\ntype = "file"\npath = "big.csv"\n'
                                           'columns = { text = "text", id = "id" }\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["weekly", "--config", str(tmp_path / "vocmine.toml"), "--stage", "collect"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1] == (f"Error: disk full while writing {tmp_path / 'full.db'}: free "
                                                   "space and re-run; nothing stored was lost")
    assert "Traceback" not in res.output
    conn = capped_sqlite(tmp_path / "full.db")
    try:
        state = json.loads(conn.execute("select value from source_state where source = 'weekly'").fetchone()[0])
    finally:
        conn.close()
    assert state["failed"] == "collect"  # where the next run starts


def test_a_real_enospc_write_is_one_line(tmp_path):
    import click

    from vocmine.cli.main import VocmineGroup

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")

    @click.group(cls=VocmineGroup)
    @click.pass_context
    def group(ctx):
        ctx.ensure_object(dict)

    @group.command()
    def write():
        with open("/dev/full", "w", encoding="utf-8") as f:
            f.write("x" * 100)
            f.flush()

    res = CliRunner().invoke(group, ["write"], obj={})
    assert res.exit_code == 1
    assert res.output == ("Error: disk full while writing an output file: free space and re-run; nothing stored "
                          "was lost\n")
