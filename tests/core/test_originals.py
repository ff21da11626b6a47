"""Privacy at rest: no unredacted original by default (kept apart when asked); older workspaces mended."""
import sqlite3

import sqlite_utils
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.core.schema import MIGRATIONS

ROWS = [["id", "review"], ["1", "Mail me at jane.doe@example.com, the strap broke"], ["2", "Too heavy for me"]]


def older_workspace(db, before: str) -> sqlite3.Connection:
    """Return a connection to a workspace file made with the migrations named before ``before``."""
    conn = sqlite3.connect(db)
    old = sqlite_utils.Database(conn)
    conn.execute("create table _migrations (name text primary key, applied_at text)")
    for name, fn in MIGRATIONS:
        if name >= before:
            break
        fn(old)
        conn.execute("insert into _migrations values (?, 'then')", (name,))
    conn.execute("insert into settings values ('pseudonym_key', 'k')")
    return conn


def columns(db, table="feedback"):
    conn = sqlite3.connect(db)
    try:
        return {r[1] for r in conn.execute(f"pragma table_info({table})")}
    finally:
        conn.close()


def test_a_new_workspace_keeps_no_original(tmp_path, write_csv):
    path = write_csv("r.csv", ROWS)
    with vocmine.open(tmp_path / "voc.db") as ws:
        assert ws.keep_original is False
        ws.ingest(path, id="id")
        assert ws.original_text(1) is None
        texts = [r[0] for r in ws.db.conn.execute("select text from feedback order by id")]
    assert "jane.doe@example.com" not in texts[0]
    assert "original_text" not in columns(tmp_path / "voc.db")
    assert not (tmp_path / "voc.db.originals").exists()
    # Nothing anywhere in the workspace file holds the address.
    assert b"jane.doe@example.com" not in (tmp_path / "voc.db").read_bytes()


def test_originals_kept_apart_when_asked_and_forgotten(tmp_path, write_csv):
    path = write_csv("r.csv", ROWS)
    db = tmp_path / "voc.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "originals", "--keep"])
    assert result.exit_code == 0, result.output
    assert "originals kept: 0" in result.output
    with vocmine.open(db) as ws:
        ws.ingest(path, id="id")
        fid = ws.db.conn.execute("select id from feedback where external_id = '1'").fetchone()[0]
        assert ws.original_text(fid) == ROWS[1][1]
        assert "jane.doe@example.com" not in ws.db.conn.execute(
            "select text from feedback where id = ?", (fid,)).fetchone()[0]
    # The workspace file itself has no table of originals: a browser of voc.db cannot show them.
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    conn.close()
    assert "originals" not in tables
    assert (tmp_path / "voc.db.originals").exists()

    result = runner.invoke(cli, ["--db", str(db), "originals", "--json"])
    assert '"rows": 2' in result.output
    result = runner.invoke(cli, ["--db", str(db), "originals", "--forget"])
    assert result.exit_code == 0 and "side file deleted" in result.output
    assert not (tmp_path / "voc.db.originals").exists()
    with vocmine.open(db) as ws:
        assert ws.original_text(fid) is None
        assert ws.keep_original is False


def test_an_older_workspace_moves_its_originals_out(tmp_path):
    db = tmp_path / "old.db"
    conn = older_workspace(db, "0009")
    conn.execute("insert into feedback (source, external_id, text, original_text) values "
                 "('s', '1', 'call [PHONE]', 'call 010-1234-5678')")
    conn.commit()
    conn.close()

    with vocmine.open(db) as ws:
        assert ws.keep_original is True  # it kept originals before: it still does, now apart
        assert ws.original_text(1) == "call 010-1234-5678"
        assert ws.db.conn.execute("select text from feedback").fetchone()[0] == "call [PHONE]"
    assert "original_text" not in columns(db)


def test_an_older_workspace_with_an_unreadable_ticket_date_is_mended(tmp_path):
    db = tmp_path / "old.db"
    conn = older_workspace(db, "0010")
    conn.execute("insert into tickets (tracker, key, title, status, done_at, raw) values "
                 "('local', 'OLD-1', 'Lighter frame', 'done', 'yesterday-ish', '{}')")
    conn.commit()
    conn.close()
    with vocmine.open(db) as ws:
        done_at, raw = ws.db.conn.execute("select done_at, raw from tickets").fetchone()
        assert done_at is None and '"yesterday-ish"' in raw
        ws.build_entries()  # used to fail with ValueError


def test_an_older_workspace_has_its_rejects_redacted(tmp_path):
    db = tmp_path / "old.db"
    conn = older_workspace(db, "0011")
    conn.execute("insert into rejects (id, source, file, row, action, reason, raw) values "
                 "('r1', 's', 'f.csv', 3, 'skipped', 'empty text', "
                 "'{\"email\": \"minsu.kim@example.com\", \"phone\": \"010-2345-6789\"}')")
    conn.commit()
    conn.close()
    with vocmine.open(db) as ws:
        raw = ws.db.conn.execute("select raw from rejects").fetchone()[0]
    assert "minsu.kim@example.com" not in raw and "010-2345-6789" not in raw
