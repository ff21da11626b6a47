"""What the plugin's hooks and pages share: which databases are workspaces, and row labels."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

EDIT = "vocmine-edit"
# The tables every workspace has from its first migration: how a workspace is recognised.
MARKERS = frozenset({"_migrations", "feedback", "settings", "segments"})
_LABEL_SQL = {
    "topics": "select coalesce(custom_label, label) from topics where id = ?",
    "phrases": "select phrase from phrases where id = ?",
    "tickets": "select key || ': ' || coalesce(title, '') from tickets where id = ?",
    "changes": "select coalesce(title_en, title_ko, slug) from changes where id = ?",
}

# -- which databases are workspaces --------------------------------------------------------------

_lock = threading.Lock()
_known: dict[str, tuple[float, list[str] | None]] = {}


def workspace_tables(path: str | Path | None) -> list[str] | None:
    """Return the tables of the workspace at ``path``, or None when it is not a vocmine workspace.

    Read once per file and again when the file's schema could have changed (its mtime moved)."""
    if not path:
        return None
    path = str(path)
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _known.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view') "
                                                 "order by name")]
        finally:
            conn.close()
    except sqlite3.Error:
        names = []
    tables = names if MARKERS <= set(names) else None
    with _lock:
        _known[path] = (mtime, tables)
    return tables


def workspaces(datasette: Any) -> dict[str, str]:
    """Return {database name: file path} for every workspace Datasette serves."""
    out = {}
    for name, db in datasette.databases.items():
        if not db.is_memory and db.path and workspace_tables(db.path) is not None:
            out[name] = str(db.path)
    return out



# -- labels -------------------------------------------------------------------------------------

_LABEL_TTL = 5.0
_labels: dict[tuple[str, str, int], tuple[float, str | None]] = {}


def forget_labels() -> None:
    """Drop cached labels (after a rename through the decision pages)."""
    with _lock:
        _labels.clear()


def label(path: str, table: str, ident: int) -> str | None:
    """Return the label of row ``ident`` of ``table`` (cached for a few seconds)."""
    key = (path, table, ident)
    now = time.monotonic()
    with _lock:
        hit = _labels.get(key)
        if hit and now - hit[0] < _LABEL_TTL:
            return hit[1]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute(_LABEL_SQL[table], (ident,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        row = None
    text = row[0] if row else None
    with _lock:
        if len(_labels) > 50_000:
            _labels.clear()
        _labels[key] = (now, text)
    return text


