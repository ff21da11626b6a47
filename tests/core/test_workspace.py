import sqlite3

import pytest

import vocmine
from vocmine.core.errors import WorkspaceError
from vocmine.core.schema import MIGRATIONS

from conftest import count


def test_open_creates_schema_and_reopens(tmp_path):
    path = tmp_path / "w.db"
    with vocmine.open(path) as ws:
        tables = set(ws.db.table_names())
        assert {"feedback", "runs", "rejects", "contacts", "settings", "tickets", "_migrations", "feedback_fts"} <= tables
        key = ws.setting("pseudonym_key")
    with vocmine.open(path) as ws:
        assert ws.setting("pseudonym_key") == key
        applied = [r[0] for r in ws.db.execute("select name from _migrations order by name")]
        assert applied == [name for name, _ in MIGRATIONS]


def test_missing_workspace_without_create(tmp_path):
    with pytest.raises(WorkspaceError, match="no such workspace; create it with 'vocmine init"):
        vocmine.open(tmp_path / "nope.db", create=False)


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="not a vocmine workspace"):
        vocmine.open(bad)


def test_newer_workspace_is_refused(tmp_path):
    path = tmp_path / "w.db"
    vocmine.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("insert into _migrations values ('9999_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="made by a newer vocmine"):
        vocmine.open(path)


def test_migrations_upgrade_an_older_file_without_loss(tmp_path, write_csv):
    path = tmp_path / "old.db"
    ws = vocmine.open(path)
    ws.ingest(write_csv("a.csv", [["text"], ["too heavy"]]))
    # Pretend the file predates the tickets migration.
    with ws.db.conn:
        ws.db.execute("drop table tickets")
        ws.db.execute("delete from _migrations where name = '0002_tickets'")
    ws.close()
    with vocmine.open(path) as ws:
        assert "tickets" in ws.db.table_names()
        assert count(ws) == 1


def test_each_ingest_records_a_run(ws, write_csv):
    path = write_csv("a.csv", [["text", "rating"], ["too heavy", "2"], ["", "5"]])
    ws.ingest(path)
    runs = ws.runs()
    assert runs.loc[0, "stage"] == "ingest" and runs.loc[0, "status"] == "ok"
    assert '"inserted": 1' in runs.loc[0, "counts"] and '"rejected": 1' in runs.loc[0, "counts"]
    assert runs.loc[0, "finished_at"] >= runs.loc[0, "started_at"]


def test_failed_run_is_recorded(ws):
    with pytest.raises(RuntimeError):
        with ws.run("analyze"):
            raise RuntimeError("boom")
    r = ws.runs().iloc[0]
    assert (r["status"], r["error"]) == ("failed", "RuntimeError: boom")


def test_run_of_a_dead_process_is_marked_interrupted(tmp_path):
    path = tmp_path / "w.db"
    with vocmine.open(path) as ws:
        with ws.db.conn:
            ws.db.execute("insert into runs (stage, status, started_at, pid) values ('ingest', 'running', 'x', 999999999)")
    with vocmine.open(path) as ws:
        assert ws.runs().iloc[0]["status"] == "interrupted"


def test_stats_breakdowns(ws, write_csv):
    path = write_csv("s.csv", [["text", "rating", "date"], ["too heavy", "2", "2024-01-02"],
                               ["너무 무거워요", "1", "2024-01-09"], ["great", "5", "2024-01-09"]])
    ws.ingest(path, created="date")
    s = ws.stats()
    assert s["feedback"] == 3
    assert s["by_language"] == {"en": 2, "ko": 1}
    assert s["by_week"] == {"2024-W01": 1, "2024-W02": 2}
    assert s["by_rating"] == {"1": 1, "2": 1, "5": 1}
    assert s["by_source"] == {"s": 3}


def test_taxonomy_and_reports_data_are_found():
    assert (vocmine.data_path("taxonomy") / "default.yaml").is_file()
    assert (vocmine.data_path("reports") / "README.md").is_file()
    tax = vocmine.load_taxonomy()
    ids = [c["id"] for c in tax["categories"]]
    assert {"delivery", "size_fit", "weight_build", "battery_power"} <= set(ids)
    assert all(set(c["label"]) == {"en", "ko"} for c in tax["categories"])


def test_bad_taxonomy_names_file_and_category(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("name: x\nversion: 1\ncategories:\n  - id: Delivery\n    label: {en: D}\n", encoding="utf-8")
    with pytest.raises(vocmine.ConfigError, match=r"t.yaml: category 'Delivery': ids use lowercase"):
        vocmine.load_taxonomy(bad)
