"""Incremental ticket sync: pull what changed since the saved cursor, store only what is new or different.

The cursor (the newest ``tracker_updated_at`` seen) lives in ``source_state`` under
``tracker:<name>`` / ``updated_since:<scope>`` and moves only after a complete pull, so a sync
stopped half-way (network, rate limit) loses nothing: the next one asks again from the old
cursor, and what it already stored comes back unchanged and is not written again.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from ..dates import parse_datetime
from ..errors import ConfigError
from . import Tracker, get_tracker

log = logging.getLogger(__name__)
BATCH = 100
_COMPARED = ("title", "body", "status", "url", "release", "done_at", "created_at", "public_note_en", "public_note_ko")


def _plain(ticket: dict[str, Any]) -> dict[str, Any]:
    """Return the record as add_tickets stores it in ``raw`` (JSON types, no private keys)."""
    return json.loads(json.dumps({k: v for k, v in ticket.items() if not str(k).startswith("_")},
                                 ensure_ascii=False, default=str))


def store(ws, tracker: str, batch: list[dict[str, Any]]) -> dict[str, int]:
    """Store a batch of ticket records; return counts of new, updated and unchanged tickets.

    Fields a person edited in vocmine (``edited_fields`` of the stored ticket) keep their values.
    """
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    if not batch:
        return counts
    conn = ws.db.conn
    keys = [str(t["key"]) for t in batch]
    cur = conn.execute(f"select key, {', '.join(_COMPARED)}, labels, raw from tickets where tracker = ? and key in "
                       f"({','.join('?' * len(keys))})", [tracker, *keys])
    cols = [d[0] for d in cur.description]
    existing = {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}
    changed: dict[str, dict[str, Any]] = {}
    for t in batch:
        t = _plain(t)
        key = str(t["key"])
        old = existing.get(key)
        if old is None:
            changed[key] = t
            continue
        try:
            old_raw = json.loads(old["raw"] or "{}")
        except ValueError:
            old_raw = {}
        edited = old_raw.get("edited_fields") if isinstance(old_raw, dict) else None
        if edited:
            for name in edited:
                t[name] = json.loads(old["labels"] or "[]") if name == "labels" else old.get(name)
            t["edited_fields"] = edited
        same_columns = all(t.get(c) == old.get(c) for c in _COMPARED) and \
            json.dumps(t.get("labels") or [], ensure_ascii=False) == old["labels"]
        if same_columns and t == old_raw:
            counts["unchanged"] += 1
        else:
            changed[key] = t
    if changed:
        new = ws.add_tickets(list(changed.values()), tracker=tracker)
        counts["new"] += new
        counts["updated"] += len(changed) - new
    return counts


def sync(ws, tracker: str | Tracker, *, since: str | None = None, full: bool = False,
         progress: Callable[[int], Any] | None = None, **config: Any) -> dict[str, Any]:
    """Pull tickets from ``tracker`` (a name with its ``config``, or a Tracker) into the workspace.

    Incremental: asks only for what changed since the saved cursor (``since`` overrides it,
    ``full=True`` ignores it). Returns {tracker, scope, since, fetched, new, updated, unchanged,
    cursor}. Credentials in ``config`` are used, never stored or logged.
    """
    t = get_tracker(tracker, **config) if isinstance(tracker, str) else tracker
    name = getattr(t, "name", None) or type(t).__name__.lower()
    if name == "local":
        raise ConfigError("the local tracker keeps its tickets in the workspace: nothing to sync; "
                          "add them with 'vocmine tickets add'")
    scope = str(getattr(t, "scope", "") or "")
    state_source, state_key = f"tracker:{name}", f"updated_since:{scope}"
    saved = ws.state(state_source, state_key)
    try:
        start = parse_datetime(since) if since else (None if full else saved)
    except ValueError as exc:
        raise ConfigError(f"bad --since date {since!r}: {exc}") from None
    params = dict(t.params()) if hasattr(t, "params") else {"tracker": name, "scope": scope}
    params["since"] = start
    result: dict[str, Any] = {"tracker": name, "scope": scope, "since": start, "fetched": 0, "new": 0,
                              "updated": 0, "unchanged": 0, "cursor": saved}
    newest = saved
    with ws.run("tickets-sync", params) as counts:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            for k, v in store(ws, name, batch).items():
                result[k] += v
            batch.clear()
            counts.update({k: result[k] for k in ("fetched", "new", "updated", "unchanged")})
            if progress:
                progress(result["fetched"])

        for ticket in _records(t.pull(start)):
            result["fetched"] += 1
            batch.append(ticket)
            seen = ticket.get("tracker_updated_at")
            if seen and (newest is None or seen > newest):
                newest = seen
            if len(batch) >= BATCH:
                flush()
        flush()
        if newest and newest != saved:
            ws.set_state(state_source, state_key, newest)
        if hasattr(t, "settings") and t.settings():
            # What 'vocmine tickets sync' with no options syncs again (never a credential).
            ws.set_state(state_source, f"settings:{scope}", json.dumps(t.settings(), sort_keys=True))
        result["cursor"] = newest
        counts["cursor"] = newest
    log.info("tickets sync %s %s: %s", name, scope, {k: result[k] for k in ("fetched", "new", "updated",
                                                                            "unchanged")})
    return result


def _records(items: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for item in items:
        if not isinstance(item, dict) or not item.get("key"):
            raise ConfigError(f"a tracker returned a ticket without a key: {str(item)[:80]!r}")
        yield item


def synced_before(ws) -> list[tuple[str, dict[str, Any]]]:
    """Return (tracker name, settings) of every tracker scope synced before, in name order."""
    rows = ws.db.conn.execute("select source, value from source_state where source like 'tracker:%' and "
                              "key like 'settings:%' order by source, key").fetchall()
    return [(source.split(":", 1)[1], json.loads(value)) for source, value in rows]


def sync_all(ws, **overrides: Any) -> dict[str, Any]:
    """Sync again every tracker scope synced before (credentials from the environment).

    Returns the summed counts with each sync's own result under ``results``.
    """
    done = synced_before(ws)
    if not done:
        raise ConfigError("no tracker synced yet; run e.g. 'vocmine tickets sync --tracker github --repo OWNER/NAME'")
    results = [sync(ws, name, **{**settings, **overrides}) for name, settings in done]
    total: dict[str, Any] = {"tracker": "all", "scope": ", ".join(f"{r['tracker']}:{r['scope']}" for r in results)}
    for k in ("fetched", "new", "updated", "unchanged"):
        total[k] = sum(r[k] for r in results)
    total["results"] = results
    return total
