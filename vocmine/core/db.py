"""SQLite connections that let several vocmine processes share one workspace.

Two processes writing one workspace must both succeed, or one must wait: never a traceback, never a
lost row. Three things make that true:

- every write transaction starts with ``BEGIN IMMEDIATE`` (the connection's ``isolation_level``),
  so a writer takes the write lock before it reads what it is about to change, and SQLite's busy
  handler makes the other writers wait instead of failing;
- a check-then-write (is this review stored yet?) runs inside :func:`immediate`, so no other process
  can insert the same key between the check and the write;
- stages that read and write in many transactions (analyze, topics) hold a :func:`stage_lock`, a
  file lock beside the workspace: a second run of the same stage waits for the first, then finds
  nothing left to do.

How long a writer waits is ``VOCMINE_BUSY_TIMEOUT`` seconds (default 300); past it the error says
which workspace is busy and what to do, in one line.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils.db import Table

from vocmine.core.errors import WorkspaceError

log = logging.getLogger(__name__)


def table(db: sqlite_utils.Database, name: str) -> Table:
    """Return the table ``name`` of ``db``, typed as a table (sqlite-utils types ``db[name]`` as ``Table | View``)."""
    found = db[name]
    if not isinstance(found, Table):
        raise WorkspaceError(f"{name} is a view in this workspace, where vocmine expects a table")
    return found


def busy_timeout() -> float:
    """Return how many seconds a writer waits for another process's lock (``VOCMINE_BUSY_TIMEOUT``)."""
    try:
        return max(1.0, float(os.environ.get("VOCMINE_BUSY_TIMEOUT", "300")))
    except ValueError:
        return 300.0


def is_busy(exc: BaseException) -> bool:
    """Return whether ``exc`` is SQLite saying another connection holds the lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    msg = str(exc).lower()
    return "database is locked" in msg or "database is busy" in msg or "database table is locked" in msg


def busy_error(path: str | os.PathLike, waited: float) -> WorkspaceError:
    """Return the one-line error for a workspace that stayed locked for ``waited`` seconds."""
    return WorkspaceError(
        f"{path}: another vocmine process kept the workspace locked for {waited:.0f} s; wait for it to finish "
        "(or stop it) and re-run: nothing stored was lost. VOCMINE_BUSY_TIMEOUT sets how long to wait.")


def process_alive(pid: int) -> bool:
    """Return whether process ``pid`` is running (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with write transactions that take the write lock up front."""
    timeout = busy_timeout()
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level="IMMEDIATE")
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            # Switching a new file to WAL needs a moment of exclusive access; a second process opening
            # the same new file can be told "locked" without the busy handler's wait.
            conn.execute("pragma journal_mode = wal")
            break
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                conn.close()
                if is_busy(exc):
                    raise busy_error(path, timeout) from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except sqlite3.DatabaseError:
            conn.close()
            raise
    conn.execute("pragma synchronous = normal")
    conn.execute("pragma foreign_keys = on")
    return conn


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection, path: str | os.PathLike = "workspace") -> Iterator[sqlite3.Connection]:
    """Run the block in one write transaction that holds the write lock from its first statement.

    Reads inside the block see every row other processes committed, and nobody else writes until the
    block ends, so a check-then-insert cannot race. Commits on success, rolls back on any error.
    """
    if conn.in_transaction:
        # Already inside a write transaction (nested call): it holds the lock; join it.
        yield conn
        return
    timeout = busy_timeout()
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("begin immediate")
            break
        except sqlite3.OperationalError as exc:
            # The busy handler has already waited `timeout`; try once more only if time is left
            # (a handler can give up early when SQLite detects a possible deadlock).
            if not is_busy(exc):
                raise
            if time.monotonic() > deadline:
                raise busy_error(path, timeout) from exc
            time.sleep(0.05)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    else:
        conn.commit()


@contextlib.contextmanager
def stage_lock(workspace: str | os.PathLike, stage: str) -> Iterator[None]:
    """Hold an exclusive file lock for ``stage`` on ``workspace``; a second holder waits its turn.

    The lock lives in ``<workspace>.<stage>.lock`` and is released when the process ends, even by
    kill -9, so a crashed run never leaves it stuck.
    """
    path = Path(f"{workspace}.{stage}.lock")
    try:
        fh = open(path, "a+")
    except OSError:
        # A read-only folder: nothing else can be writing here either.
        yield
        return
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another %s run is working on %s; waiting for it to finish", stage, workspace)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
