"""The storage core: one SQLite file, its migrations, settings, the unredacted originals kept
apart, the pseudonym key and the record of stage runs.

``Store`` is what every stage function takes (``ws``): it reads and writes through ``ws.db``
(sqlite-utils over one connection that several processes share, see ``core.db``), ``ws.setting``
and ``ws.run``. It knows no stage. ``vocmine.Workspace`` is a Store with the notebook methods on
top, one per stage function.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from vocmine.core.db import connect as db_connect, immediate as db_immediate, process_alive
from vocmine.core.dates import now_iso
from vocmine.core.errors import WorkspaceError
from vocmine.core.schema import MIGRATIONS
from vocmine.core.version import __version__

log = logging.getLogger("vocmine.workspace")


class Store:
    """One SQLite file holding feedback, analysis, tickets and runs (see docs/storage.md)."""

    def __init__(self, path: str | os.PathLike = "vocmine.db", create: bool = True):
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise WorkspaceError(f"{self.path}: no such workspace; create it with 'vocmine init {self.path}'")
        if self.path.exists() and self.path.is_dir():
            raise WorkspaceError(f"{self.path}: is a directory; give a file name such as {self.path / 'vocmine.db'}")
        if self.path.parent and not self.path.parent.exists():
            raise WorkspaceError(f"{self.path}: folder {self.path.parent} does not exist")
        try:
            conn = db_connect(self.path)
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{self.path}: not a vocmine workspace (not an SQLite file: {exc})") from exc
        self.db = sqlite_utils.Database(conn)
        self._migrate()
        self._mark_interrupted_runs()

    def __repr__(self) -> str:
        return f"<vocmine.Store {str(self.path)!r}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.db.conn.close()

    def _migrate(self) -> None:
        conn = self.db.conn
        known = {name for name, _ in MIGRATIONS}
        try:
            has_table = conn.execute(
                "select 1 from sqlite_master where type = 'table' and name = '_migrations'").fetchone()
            done = {r[0] for r in conn.execute("select name from _migrations")} if has_table else set()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{self.path}: not a vocmine workspace ({exc})") from exc
        if done - known:
            raise WorkspaceError(
                f"{self.path}: made by a newer vocmine (migrations {', '.join(sorted(done - known))}); upgrade vocmine")
        if done >= known and self.setting("pseudonym_key") is not None:
            self._attach_originals()
            return  # the common case: nothing to migrate, no write lock taken
        self._attach_originals_for_migration(done)
        # Migrations run under the write lock, re-reading what is done inside it: two processes
        # creating one new workspace apply each migration exactly once.
        with db_immediate(conn, self.path):
            conn.execute("create table if not exists _migrations (name text primary key, applied_at text)")
            done = {r[0] for r in conn.execute("select name from _migrations")}
            if done - known:
                raise WorkspaceError(
                    f"{self.path}: made by a newer vocmine (migrations {', '.join(sorted(done - known))}); "
                    "upgrade vocmine")
            fresh = not done
            for name, fn in MIGRATIONS:
                if name in done:
                    continue
                log.info("migrating %s: %s", self.path, name)
                fn(self.db)
                conn.execute("insert into _migrations values (?, ?)", (name, now_iso()))
            settings = dict(conn.execute("select key, value from settings"))
            if settings.get("pseudonym_key") is None:
                conn.execute("insert or replace into settings values ('pseudonym_key', ?)", (secrets.token_hex(32),))
                conn.execute("insert or replace into settings values ('created_at', ?)", (now_iso(),))
            if settings.get("keep_original") is None:
                # New workspaces keep no unredacted text: analysis works on the redacted text.
                conn.execute("insert or replace into settings values ('keep_original', ?)",
                             ("false" if fresh else "true" if self._originals_attached() else "false",))
        self._attach_originals()

    # -- the unredacted originals, kept apart -------------------------------------------------

    @property
    def originals_path(self) -> Path:
        """Return the side file that holds unredacted texts when ``keep_original`` is on."""
        return Path(f"{self.path}.originals")

    def _originals_attached(self) -> bool:
        return any(r[1] == "originals" for r in self.db.conn.execute("pragma database_list"))

    def _attach(self) -> None:
        conn = self.db.conn
        if not self._originals_attached():
            conn.execute("attach database ? as originals", (str(self.originals_path),))
            conn.execute("pragma originals.journal_mode = wal")
            conn.execute("create table if not exists originals.originals "
                         "(feedback_id integer primary key, text text not null)")

    def _attach_originals_for_migration(self, done: set[str]) -> None:
        # An older workspace kept original_text in the feedback table; migration 0009 moves it to the
        # side file, which must be attached before the migration's transaction begins.
        if "0001_core" not in done or "0009_originals_apart" in done:
            return
        cols = {r[1] for r in self.db.conn.execute("pragma table_info(feedback)")}
        if "original_text" in cols and self.db.conn.execute(
                "select 1 from feedback where original_text is not null limit 1").fetchone():
            self._attach()

    def _attach_originals(self) -> None:
        if self.keep_original:
            self._attach()
        elif self._originals_attached():
            self.db.conn.execute("detach database originals")

    @property
    def keep_original(self) -> bool:
        """Whether ingest keeps each unredacted text in the side file ``originals_path`` (default off)."""
        return (self.setting("keep_original") or "false") == "true"

    def set_keep_original(self, keep: bool) -> dict[str, Any]:
        """Turn keeping unredacted originals on or off; off deletes the side file. Returns the status."""
        if keep:
            self.set_setting("keep_original", "true")
            self._attach()
        else:
            self.set_setting("keep_original", "false")
            if self._originals_attached():
                self.db.conn.execute("detach database originals")
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{self.originals_path}{suffix}").unlink()
        return self.originals_status()

    def originals_status(self) -> dict[str, Any]:
        """Return whether originals are kept, where, and how many are stored."""
        rows = 0
        if self._originals_attached():
            rows = self.db.conn.execute("select count(*) from originals.originals").fetchone()[0]
        return {"keep_original": self.keep_original, "file": str(self.originals_path),
                "exists": self.originals_path.exists(), "rows": rows}

    def original_text(self, feedback_id: int) -> str | None:
        """Return the unredacted text of one feedback row, or None when it was not kept."""
        if not self._originals_attached():
            return None
        row = self.db.conn.execute("select text from originals.originals where feedback_id = ?",
                                   (int(feedback_id),)).fetchone()
        return row[0] if row else None

    def setting(self, key: str, default: str | None = None) -> str | None:
        """Return a workspace setting (a key/value stored in the file)."""
        row = self.db.conn.execute("select value from settings where key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        """Store a workspace setting."""
        with self.db.conn:
            self.db.conn.execute("insert or replace into settings (key, value) values (?, ?)", (key, value))

    def state(self, source: str, key: str, default: str | None = None) -> str | None:
        """A collector's or tracker's saved cursor (see ``source_state``)."""
        row = self.db.conn.execute(
            "select value from source_state where source = ? and key = ?", (source, key)).fetchone()
        return row[0] if row else default

    def set_state(self, source: str, key: str, value: str) -> None:
        """Save a collector's or tracker's cursor; written in its own transaction."""
        with self.db.conn:
            self.db.conn.execute(
                "insert into source_state values (?, ?, ?, ?) on conflict(source, key) do update set "
                "value = excluded.value, updated_at = excluded.updated_at", (source, key, value, now_iso()))

    @property
    def _key(self) -> bytes:
        # VOCMINE_PSEUDONYM_KEY lets several workspaces share pseudonyms for the same customers.
        env = os.environ.get("VOCMINE_PSEUDONYM_KEY")
        return (env or self.setting("pseudonym_key") or "").encode()

    def _mark_interrupted_runs(self) -> None:
        # A run still "running" whose process is gone was killed; say so instead of pretending.
        rows = self.db.conn.execute("select id, pid from runs where status = 'running'").fetchall()
        for run_id, pid in rows:
            if pid and process_alive(pid):
                continue
            with self.db.conn:
                self.db.conn.execute("update runs set status = 'interrupted' where id = ?", (run_id,))

    @contextlib.contextmanager
    def run(self, stage: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Record a stage run: yields a dict of counts that is saved with the run when it ends."""
        counts: dict[str, Any] = {}
        with self.db.conn:
            cur = self.db.conn.execute(
                "insert into runs (stage, status, started_at, params, pid, vocmine_version) values (?,?,?,?,?,?)",
                (stage, "running", now_iso(), json.dumps(params or {}, ensure_ascii=False, default=str),
                 os.getpid(), __version__),
            )
        run_id = cur.lastrowid
        assert run_id is not None  # set by the insert above
        counts["_run_id"] = run_id
        try:
            yield counts
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            from vocmine.core.secrets import scrub  # no credential an error message echoes is ever stored

            self._finish(run_id, status, counts, scrub(f"{type(exc).__name__}: {exc}"))
            raise
        self._finish(run_id, "ok", counts, None)

    def _finish(self, run_id: int, status: str, counts: dict[str, Any], error: str | None) -> None:
        public = {k: v for k, v in counts.items() if not k.startswith("_")}
        with self.db.conn:
            self.db.conn.execute(
                "update runs set status = ?, finished_at = ?, counts = ?, error = ? where id = ?",
                (status, now_iso(), json.dumps(public, ensure_ascii=False, default=str), error, run_id),
            )
