"""The local tracker: tickets kept in the workspace itself (``vocmine tickets add / update / list``).

``update_ticket`` works on tickets of any tracker; the fields changed by hand are remembered
(``edited_fields`` in the ticket's ``raw``), and a later sync keeps them, so public wording
written in vocmine survives the next pull from GitHub, Jira or Linear.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vocmine.core.dates import now_iso, parse_datetime
from vocmine.core.errors import ConfigError
from vocmine.act.trackers.base import Tracker, finish, public_notes
from vocmine.act.trackers.status import STATUSES, known_words, normalise_status
from vocmine.act.trackers.store import store_tickets

if TYPE_CHECKING:
    from vocmine.core.store import Store
    import pandas as pd

FIELDS = ("title", "body", "status", "labels", "release", "done_at", "url", "public_note_en", "public_note_ko")
_ALIASES = {"public_en": "public_note_en", "public_ko": "public_note_ko", "label": "labels"}
COLUMNS = ("id", "tracker", "key", "title", "status", "tracker_status", "labels", "release", "done_at", "url",
           "public_note_en", "public_note_ko", "created_at", "updated_at", "body")


class LocalTracker(Tracker):
    """Tickets that live in the workspace: nothing to pull; add them with ``add_ticket``."""

    name = "local"
    type = "local"  # the registered name (vocmine.trackers)

    def __init__(self, **_config: Any):
        self.scope = ""

    def pull(self, since: str | None = None) -> Iterable[dict[str, Any]]:
        """Return nothing: local tickets are already in the workspace."""
        return []


def _fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in fields.items():
        name = _ALIASES.get(name, name)
        if name not in FIELDS:
            raise ConfigError(f"unknown ticket field {name!r}; available: {', '.join(FIELDS)}")
        out[name] = value
    if "labels" in out:
        labels = out["labels"]
        if isinstance(labels, str):
            labels = [x.strip() for x in labels.split(",")]
        out["labels"] = [str(x) for x in labels or [] if str(x).strip()]
    if out.get("done_at") is not None:
        try:
            out["done_at"] = parse_datetime(out["done_at"])
        except ValueError as exc:
            raise ConfigError(f"ticket field done_at: {exc}; use a date such as 2026-09-23") from None
    return out


def _apply_status(ticket: dict[str, Any], given: Mapping[str, Any]) -> None:
    """Normalise a status the user typed, keep their words, and date a ticket marked done."""
    if given.get("status") is not None:
        words = str(given["status"]).strip()
        norm = normalise_status(words, "")
        if not norm:
            raise ConfigError(f"unknown ticket status {words!r}; use one of {known_words()}")
        ticket["status"], ticket["tracker_status"] = norm, words
    elif given.get("done_at") and ticket.get("status") != "done":
        ticket["status"], ticket["tracker_status"] = "done", "done"
    if ticket.get("status") == "done" and not ticket.get("done_at"):
        ticket["done_at"] = now_iso()


def _fetch(conn, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, list(args))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _row(ws: "Store", key: str, tracker: str | None) -> dict[str, Any]:
    conn = ws.db.conn
    if tracker:
        rows = _fetch(conn, "select * from tickets where key = ? and tracker = ?", (key, tracker))
    else:
        rows = _fetch(conn, "select * from tickets where key = ? order by tracker = 'local' desc", (key,))
        if len(rows) > 1 and rows[0]["tracker"] != "local":
            names = ", ".join(r["tracker"] for r in rows)
            raise ConfigError(f"ticket {key!r} is in several trackers ({names}); say which with --tracker")
    if not rows:
        known = [r[0] for r in conn.execute("select key from tickets order by key limit 20")]
        where = f" in tracker {tracker!r}" if tracker else ""
        raise ConfigError(f"unknown ticket {key!r}{where}; known: {', '.join(known) or 'none'} "
                          "(add one with 'vocmine tickets add')")
    return rows[0]


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """Return a stored ticket as the record store_tickets takes (its raw extras included)."""
    try:
        raw = json.loads(row["raw"] or "{}")
    except ValueError:
        raw = {}
    rec = dict(raw) if isinstance(raw, dict) else {}
    for name in ("key", "title", "body", "status", "url", "release", "done_at", "created_at", "public_note_en",
                 "public_note_ko"):
        rec[name] = row[name]
    rec["labels"] = json.loads(row["labels"] or "[]")
    return rec


def add_ticket(ws: "Store", key: str, title: str, **fields: Any) -> dict[str, Any]:
    """Add a local ticket; returns it with ``"result"`` "new" or "unchanged" (same key, same content).

    ConfigError when a different local ticket already has ``key`` (change it with ``update_ticket``).
    A ticket marked done without ``done_at`` is dated now.
    """
    key = str(key or "").strip()
    if not key:
        raise ConfigError("a ticket needs a key, e.g. NIM-107")
    if not str(title or "").strip():
        raise ConfigError(f"ticket {key}: a title is needed (--title)")
    given = _fields(fields)
    ticket: dict[str, Any] = {"key": key, "title": str(title).strip(), "body": None, "status": "open",
                              "tracker_status": "open", "labels": [], "url": None, "release": None,
                              "done_at": None, "created_at": now_iso(), "public_note_en": None,
                              "public_note_ko": None}
    ticket.update({k: v for k, v in given.items() if k != "status"})
    _apply_status(ticket, given)
    finish(ticket)
    old = ws.db.conn.execute("select title, body, status, labels, url, release, public_note_en, public_note_ko "
                             "from tickets where tracker = 'local' and key = ?", (key,)).fetchone()
    if old:
        same = (ticket["title"], ticket["body"], ticket["status"], json.dumps(ticket["labels"], ensure_ascii=False),
                ticket["url"], ticket["release"], ticket["public_note_en"], ticket["public_note_ko"]) == tuple(old)
        if same:
            return {**get_ticket(ws, key, "local"), "result": "unchanged"}
        raise ConfigError(f"ticket {key!r} exists with other content; change it with 'vocmine tickets update {key}'")
    store_tickets(ws, [ticket], tracker="local")
    return {**get_ticket(ws, key, "local"), "result": "new"}


def update_ticket(ws: "Store", key: str, tracker: str | None = None, **fields: Any) -> dict[str, Any]:
    """Change fields of a ticket (any tracker; ``tracker=None`` means local, else the one with ``key``).

    Fields: title, body, status, labels, release, done_at, url, public_note_en, public_note_ko
    (``public_en`` / ``public_ko`` also work). The fields changed are kept by later syncs.
    Returns the ticket.
    """
    given = {k: v for k, v in _fields(fields).items() if v is not None}
    if not given:
        raise ConfigError(f"nothing to change on ticket {key!r}; give a field such as --public-en or --status")
    row = _row(ws, str(key), tracker)
    rec = _record(row)
    rec.update({k: v for k, v in given.items() if k != "status"})
    _apply_status(rec, given)
    if "body" in given:  # a new "Public note:" section in the body replaces the old wording
        for lang, note in public_notes(given["body"]).items():
            if f"public_note_{lang}" not in given:
                rec[f"public_note_{lang}"] = note
    edited = set(rec.get("edited_fields") or [])
    edited |= set(given) | ({"status", "done_at"} if "status" in given or "done_at" in given else set())
    rec["edited_fields"] = sorted(edited)
    store_tickets(ws, [rec], tracker=row["tracker"], keep_edited=False)  # this is the edit: it wins
    return get_ticket(ws, str(key), row["tracker"])


def get_ticket(ws: "Store", key: str, tracker: str | None = None) -> dict[str, Any]:
    """Return one ticket as a dict (labels as a list, the tracker's status words as ``tracker_status``)."""
    return _public(_row(ws, str(key), tracker))


def _public(row: dict[str, Any]) -> dict[str, Any]:
    try:
        raw = json.loads(row["raw"] or "{}")
    except ValueError:
        raw = {}
    out = {c: row[c] for c in COLUMNS if c not in ("labels", "tracker_status")}
    out["labels"] = json.loads(row["labels"] or "[]")
    out["tracker_status"] = (raw.get("tracker_status") if isinstance(raw, dict) else None) or row["status"]
    return {c: out[c] for c in COLUMNS}


def tickets(ws: "Store", status: str | None = None, tracker: str | None = None) -> "pd.DataFrame":
    """Return tickets as a DataFrame (columns: COLUMNS), optionally one normalised status / tracker."""
    import pandas as pd

    if status is not None and status not in STATUSES:
        raise ConfigError(f"unknown ticket status {status!r}; available: {', '.join(STATUSES)}")
    sql, args = "select * from tickets", []
    if tracker:
        sql += " where tracker = ?"
        args.append(tracker)
    rows = [_public(r) for r in _fetch(ws.db.conn, sql + " order by tracker, key", args)]
    if status is not None:
        rows = [r for r in rows if normalise_status(r["status"]) == status]
    return pd.DataFrame(rows, columns=list(COLUMNS))
