"""The Datasette hooks: private data hidden at the SQL level, descriptions, labels, the team's pages.

Every hook does nothing for a database that is not a vocmine workspace, so installing vocmine
changes nothing else Datasette serves.

- ``prepare_connection`` installs an SQLite authorizer on every connection Datasette opens: the
  columns of ``core/privacy/hidden.py`` (contacts, raw records, the pseudonym key, tracker text)
  read as NULL in every table page, row page, JSON, CSV and ``?sql=`` query (also in ``where``,
  so a filter cannot test them), and ``ATTACH`` is refused, so the originals side file cannot be
  opened from a query.
- ``permission_allowed`` refuses the database download (the file holds the contacts) and grants
  ``vocmine-edit`` (the decision pages' POSTs) to root and to the actors listed in the plugin's
  ``editors`` setting.
- ``get_metadata``: descriptions of every table and column from docs/storage.md, label columns,
  hidden internal tables, and the canned queries of ``queries.py``.
- ``render_cell`` shows topic, phrase, ticket and entry ids with their labels, linked.
- ``register_routes``: ``/-/vocmine`` and its decision pages (``pages.py``).
"""
from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from vocmine.cli.datasette import pages
from vocmine.cli.datasette.common import EDIT, label, workspace_tables, workspaces
from vocmine.cli.datasette.metadata import table_metadata
from vocmine.cli.datasette.queries import QUERIES
from vocmine.core.privacy.hidden import is_private


# -- private data: the authorizer -----------------------------------------------------------------

def authorizer(workspace: bool):
    """Return the SQLite authorizer: private columns read as NULL; ATTACH refused on a workspace's
    connections, and everywhere for a ``.originals`` side file."""

    def check(action: int, arg1: str | None, arg2: str | None, dbname: str | None, source: str | None) -> int:
        if action == sqlite3.SQLITE_READ and is_private(arg1, arg2):
            return sqlite3.SQLITE_IGNORE
        if action == sqlite3.SQLITE_ATTACH:
            # Elsewhere (the in-memory database --crossdb attaches files to) only a file named in
            # the statement itself, never a bound parameter, and never an originals file.
            name = str(arg1 or "")
            if workspace or not name or name == "?" or ".originals" in name:
                return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return check


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    db = datasette.databases.get(database)
    path = None if db is None or db.is_memory else db.path
    workspace = workspace_tables(path) is not None
    # Every connection: a workspace's own, and the in-memory one that --crossdb attaches files to.
    if workspace or db is None or db.is_memory:
        conn.set_authorizer(authorizer(workspace))


# -- permissions ----------------------------------------------------------------------------------

@hookimpl
def permission_allowed(datasette: Any, actor: dict | None, action: str, resource: Any) -> bool | None:
    if action == EDIT:
        if not actor or not actor.get("id"):
            return False
        editors = (datasette.plugin_config("vocmine") or {}).get("editors") or []
        return actor.get("id") == "root" or actor.get("id") in editors
    if action == "view-database-download" and resource in workspaces(datasette):
        return False  # the file holds the contacts and the pseudonym key
    return None


# -- metadata -------------------------------------------------------------------------------------

@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    dbs: dict[str, Any] = {}
    for name, path in workspaces(datasette).items():
        tables = workspace_tables(path) or []
        queries = {k: {f: v for f, v in q.items() if f != "needs"} for k, q in QUERIES.items()
                   if set(q["needs"]) <= set(tables)}
        dbs[name] = {
            "description": "A vocmine workspace: customer feedback, its analysis, tickets and the changelog "
                           "(docs/storage.md). Contacts and unredacted text are not shown. The team's decisions: "
                           "/-/vocmine.",
            "tables": table_metadata(tables),
            "queries": queries,
        }
    return {"databases": dbs} if dbs else {}


# -- labels in cells ------------------------------------------------------------------------------

# column -> the table whose row an id in it names (labels come from _LABEL_SQL)
_ID_COLUMNS = {
    "topic_id": "topics", "parent_id": "topics", "merged_into": "topics", "old_id": "topics", "new_id": "topics",
    "phrase_id": "phrases", "group_id": "phrases", "ticket_id": "tickets", "change_id": "changes",
}


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if isinstance(value, dict) and "value" in value:  # a foreign key Datasette has expanded itself
        value = value["value"]
    if not isinstance(value, int) or isinstance(value, bool) or not table:
        return None
    target = _ID_COLUMNS.get(column)
    try:
        if column == "target_id" and table == "links":
            target = {"topic": "topics", "phrase": "phrases"}.get(row["target_type"])
        if table == "phrases" and column == "group_id" and row["id"] == value:
            return None  # a group's head: its own row
    except (KeyError, IndexError):  # a query or view without those columns
        return None
    if target is None:
        return None
    path = workspaces(datasette).get(database)
    if path is None:
        return None
    text = label(path, target, value)
    if text is None:
        return None
    href = datasette.urls.row(database, target, str(value))
    return Markup(f'<a href="{escape(href)}">{value}</a> <span class="vocmine-label">{escape(text)}</span>')


# -- pages ----------------------------------------------------------------------------------------

@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return pages.ROUTES


@hookimpl
def menu_links(datasette: Any, actor: dict | None, request: Any) -> list[dict[str, str]] | None:
    if not workspaces(datasette):
        return None
    return [{"href": datasette.urls.path("/-/vocmine"), "label": "vocmine: the team's decisions"}]
