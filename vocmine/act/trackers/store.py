"""The one way into the ``tickets`` table: check each record, normalise it, keep hand edits, write what changed.

Every ticket goes through ``store_tickets``: syncs from GitHub, Jira and Linear, the weekly job's
``json`` tracker and the demo (through ``Workspace.add_tickets``), and ``tickets add / update``.

A record that does not check out is reported, never fatal:

- no key, or not a JSON object: left out (nothing to store it under), and reported;
- an unknown status ("waiting on vendor"): stored as ``open`` with the words kept as its
  ``tracker_status``, so it is never taken for shipped;
- a date that cannot be read (``"done_at": "yesterday-ish"``): stored as NULL, so no entry is
  built from it and no stage that reads dates fails;
- a field of the wrong type (a list as the title): stored as NULL (labels: as no labels).

The ticket's ``raw`` keeps the values as the tracker sent them under ``invalid`` and the messages
under ``problems``; ``store_tickets`` returns the messages, and the sync's or import's run
records them in its counts (``invalid``, ``problems``).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vocmine.core.dates import now_iso, parse_datetime
from vocmine.act.trackers.status import STATUSES, known_words, normalise_status

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)
MAX_RECORDED = 20  # problem messages kept in a run's counts

DATE_FIELDS = ("done_at", "created_at", "tracker_updated_at")
TEXT_FIELDS = ("title", "body", "url", "release", "public_note_en", "public_note_ko")
# The columns compared to decide whether a stored ticket changed (with labels and raw).
COMPARED = ("title", "body", "status", "url", "release", "done_at", "created_at", "public_note_en",
            "public_note_ko")
COLUMNS = ("tracker", "key", "title", "body", "status", "labels", "url", "release", "done_at", "created_at",
           "updated_at", "public_note_en", "public_note_ko", "raw")


def _plain(value: Any) -> Any:
    """Return ``value`` in JSON types (what ``raw`` stores), private ``_`` keys left out."""
    if isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if not str(k).startswith("_")}
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def check_ticket(item: Any, tracker: str, where: str = "") -> tuple[dict[str, Any] | None, list[str]]:
    """Return (the record checked and normalised, or None when it cannot be stored; problem messages).

    Messages name the tracker, the ticket's key (or ``where`` it was, e.g. "item 3") and the field.
    """
    if not isinstance(item, Mapping):
        return None, [f"tracker {tracker!r}, {where or 'a ticket'}: not a JSON object ({str(item)[:60]!r}); "
                      "left out"]
    t = _plain(item)
    key = t.get("key")
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        key = str(key)
    if not isinstance(key, str) or not key.strip():
        title = str(t.get("title") or "")[:60]
        return None, [f"tracker {tracker!r}, {where or 'a ticket'}{f' ({title!r})' if title else ''}: no key; "
                      "left out (give every ticket a key such as NIM-101)"]
    key = t["key"] = key.strip()
    problems: list[str] = []
    invalid: dict[str, Any] = {}

    def bad(name: str, why: str, what_now: str) -> None:
        invalid[name] = t.get(name)
        problems.append(f"tracker {tracker!r}, ticket {key!r}: field {name}: {why}; {what_now}")

    for name in TEXT_FIELDS:
        v = t.get(name)
        if v is None or isinstance(v, str):
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            t[name] = str(v)
        else:
            bad(name, f"{type(v).__name__} {str(v)[:40]!r} is not text", "stored empty")
            t[name] = None
    if t.get("title") is None:
        t["title"] = ""
    labels = t.get("labels")
    if isinstance(labels, str):
        t["labels"] = [x.strip() for x in labels.split(",") if x.strip()]
    elif isinstance(labels, list) and all(isinstance(x, (str, int, float)) for x in labels):
        t["labels"] = [str(x) for x in labels if str(x).strip()]
    elif labels is None:
        t["labels"] = []
    else:
        bad("labels", f"{str(labels)[:40]!r} is not a list of names", "stored without labels")
        t["labels"] = []
    for name in DATE_FIELDS:
        if t.get(name) in (None, ""):
            t[name] = None
            continue
        try:
            t[name] = parse_datetime(t[name])
        except (TypeError, ValueError, OverflowError):
            what = "stored without a done date, so no entry is built from it" if name == "done_at" else \
                "stored without it"
            bad(name, f"{t[name]!r} is not a date (use ISO-8601 such as 2026-09-23)", what)
            t[name] = None
    words = t.get("status")
    if isinstance(words, (int, float, bool)) or (words is not None and not isinstance(words, str)):
        words = str(words)
    norm = normalise_status(words, "")
    if not norm and words not in (None, ""):
        bad("status", f"unknown status {words!r} (known: {known_words()})",
            "stored as open, so it is never taken for shipped")
        norm = "open"
    if not norm:  # no status given: a done date says it shipped
        norm = "done" if t.get("done_at") else "open"
    if words and str(words).strip() and not t.get("tracker_status"):
        t["tracker_status"] = str(words).strip()
    t["status"] = norm
    assert norm in STATUSES
    if invalid:
        t["invalid"], t["problems"] = invalid, problems
    else:
        t.pop("invalid", None)
        t.pop("problems", None)
    return t, problems


def _existing(conn, tracker: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        cur = conn.execute(f"select key, {', '.join(COMPARED)}, labels, raw from tickets where tracker = ? and "
                           f"key in ({','.join('?' * len(chunk))})", [tracker, *chunk])
        cols = [d[0] for d in cur.description]
        out.update({r[0]: dict(zip(cols, r)) for r in cur.fetchall()})
    return out


def store_tickets(ws: "Store", tickets: Iterable[Any], tracker: str = "local", *, keep_edited: bool = True,
                  ) -> dict[str, Any]:
    """Check and store ticket records by (tracker, key); return counts and the problems found.

    Returns {new, updated, unchanged, invalid, left_out, problems}: ``invalid`` tickets were stored
    with the bad fields emptied, ``left_out`` ones could not be stored (no key). With
    ``keep_edited`` (syncs and imports), fields a person changed in vocmine (``edited_fields`` of
    the stored ticket) keep their values; ``update_ticket`` passes False, since it is the edit.
    A ticket that comes back the same is not written again.
    """
    from vocmine.core.db import immediate

    counts: dict[str, Any] = {"new": 0, "updated": 0, "unchanged": 0, "invalid": 0, "left_out": 0, "problems": []}
    checked: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(tickets, start=1):
        t, problems = check_ticket(item, tracker, f"item {i}")
        for p in problems:
            log.info("%s", p)  # callers show them (the CLI as warnings, weekly in its log and counts)
        counts["problems"] += problems
        if t is None:
            counts["left_out"] += 1
            continue
        if problems:
            counts["invalid"] += 1
        checked[t["key"]] = t  # the same key twice in one batch: the last one wins
    if not checked:
        return counts
    conn = ws.db.conn
    now = now_iso()
    with immediate(conn, getattr(ws, "path", "workspace")):
        existing = _existing(conn, tracker, list(checked))
        for key, t in checked.items():
            old = existing.get(key)
            if old is not None:
                try:
                    old_raw = json.loads(old["raw"] or "{}")
                except ValueError:
                    old_raw = {}
                edited = old_raw.get("edited_fields") if isinstance(old_raw, dict) else None
                if edited and keep_edited:
                    for name in edited:
                        t[name] = json.loads(old["labels"] or "[]") if name == "labels" else old.get(name)
                    t["edited_fields"] = edited
                same = all(t.get(c) == old.get(c) for c in COMPARED) and \
                    json.dumps(t.get("labels") or [], ensure_ascii=False) == old["labels"] and t == old_raw
                if same:
                    counts["unchanged"] += 1
                    continue
            row = {
                "tracker": tracker, "key": key, "title": t.get("title"), "body": t.get("body"),
                "status": t["status"], "labels": json.dumps(t.get("labels") or [], ensure_ascii=False),
                "url": t.get("url"), "release": t.get("release"), "done_at": t.get("done_at"),
                "created_at": t.get("created_at"), "updated_at": now,
                "public_note_en": t.get("public_note_en"), "public_note_ko": t.get("public_note_ko"),
                "raw": json.dumps(t, ensure_ascii=False),
            }
            # An upsert on the unique (tracker, key): two writers can never insert one ticket twice.
            conn.execute(f"insert into tickets ({', '.join(COLUMNS)}) values ({','.join('?' * len(COLUMNS))}) "
                         "on conflict(tracker, key) do update set "
                         + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:]), [row[c] for c in COLUMNS])
            counts["new" if old is None else "updated"] += 1
    return counts


def recorded(counts: Mapping[str, Any], limit: int = MAX_RECORDED) -> dict[str, Any]:
    """Return ``counts`` as a run records them: at most ``limit`` problem messages (the rest counted)."""
    out = dict(counts)
    problems = list(out.get("problems") or [])
    out["problems"] = problems[:limit]
    if len(problems) > limit:
        out["problems_not_shown"] = len(problems) - limit
    return out


def import_tickets(ws: "Store", tickets: Iterable[Any], tracker: str = "local") -> dict[str, Any]:
    """Store tickets exported from anywhere (a JSON array, the demo) as a ``tickets-import`` run; return its counts.

    Fields edited in vocmine are kept, like a sync. The counts are those of ``store_tickets``.
    """
    with ws.run("tickets-import", {"tracker": tracker}) as run_counts:
        counts = store_tickets(ws, tickets, tracker=tracker)
        run_counts.update(recorded(counts))
    return counts


__all__ = ["store_tickets", "import_tickets", "check_ticket", "recorded", "COMPARED"]
