import json

import pytest
from click.testing import CliRunner

from vocmine.cli.main import cli

from conftest import count


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "w.db")

    def invoke(*args, **kw):
        return runner.invoke(cli, ["--db", db, *args], catch_exceptions=False, **kw)

    invoke.db = db
    return invoke


def test_init_ingest_stats_search(run, write_csv):
    assert run("init").exit_code == 0
    path = write_csv("r.csv", [["id", "text", "stars"], ["1", "Heavier than expected", "2"],
                               ["2", "생각보다 무거워요", "2"], ["3", "", "5"]])
    r = run("ingest", str(path), "--rating", "stars")
    assert r.exit_code == 0, r.output
    assert "2 new, 0 updated, 0 unchanged, 0 near-duplicates flagged, 1 rejected" in r.output
    assert f"{path}, row 4: empty text" in r.output
    r = run("ingest", str(path), "--rating", "stars")
    assert "0 new, 0 updated, 2 unchanged" in r.output
    stats = json.loads(run("stats", "--json").output)
    assert stats["feedback"] == 2
    assert stats["by_source"] == {"r": 2} and stats["by_language"] == {"en": 1, "ko": 1}
    assert stats["by_rating"] == {"2": 2}
    out = run("search", "무거").output
    assert "생각보다 [무거워요]" in out and "Heavier" not in out
    out = run("rejects").output
    assert f"{path}, row 4: empty text [skipped]" in out


def test_ingest_json_output_and_source_option(run, write_csv):
    path = write_csv("r.csv", [["text"], ["too small"]])
    data = json.loads(run("ingest", str(path), "--source", "appstore", "--json").output)
    assert data["inserted"] == 1 and data["source"] == "appstore"


def test_errors_are_one_line_exit_1(run, write_csv):
    path = write_csv("r.csv", [["id", "body"], ["1", "x"]])
    r = run("ingest", str(path), "--text", "comment")
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        f"Error: {path}: no column 'comment' for --text; columns: id, body"]
    assert "Traceback" not in r.output


def test_missing_workspace_for_stats(tmp_path):
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "stats"])
    assert r.exit_code == 1
    assert "no such workspace; create it with 'vocmine init" in r.output


def test_usage_errors_exit_2(run):
    assert run("ingest").exit_code == 2
    assert run("ingest", "/nonexistent/file.csv").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_db_from_environment(tmp_path, write_csv, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("VOCMINE_DB", str(db))
    r = CliRunner().invoke(cli, ["ingest", str(write_csv("r.csv", [["text"], ["late delivery"]]))])
    assert r.exit_code == 0, r.output
    import vocmine
    with vocmine.open(db) as ws:
        assert count(ws) == 1


@pytest.mark.parametrize("command", ["init", "ingest", "stats", "search", "rejects", "demo"])
def test_help_everywhere(run, command):
    for flag in ("-h", "--help"):
        r = run(command, flag)
        assert r.exit_code == 0 and "Usage: " in r.output


def test_debug_shows_traceback(tmp_path, write_csv):
    path = write_csv("r.csv", [["id", "body"], ["1", "x"]])
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "w.db"), "--debug", "ingest", str(path), "--text", "nope"])
    assert r.exit_code == 1
    assert r.exc_info is not None and type(r.exception).__name__ == "ConfigError"
