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
from typing import TYPE_CHECKING, Any

from vocmine.core.dates import parse_datetime
from vocmine.core.errors import ConfigError
from vocmine.act.trackers import Tracker, get_tracker
from vocmine.act.trackers.store import recorded, store_tickets

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)
BATCH = 100


def store(ws: "Store", tracker: str, batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Store a batch of ticket records; return counts (new, updated, unchanged, invalid, left_out, problems).

    The one write path (``trackers.store.store_tickets``): records are checked and normalised,
    and fields a person edited in vocmine (``edited_fields`` of the stored ticket) keep their values.
    """
    return store_tickets(ws, batch, tracker=tracker, keep_edited=True)


def sync(ws: "Store", tracker: str | Tracker, *, since: str | None = None, full: bool = False,
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
                              "updated": 0, "unchanged": 0, "invalid": 0, "left_out": 0, "problems": [],
                              "cursor": saved}
    newest = saved
    with ws.run("tickets-sync", params) as counts:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            for k, v in store(ws, name, batch).items():
                result[k] += v
            batch.clear()
            counts.update(recorded({k: result[k] for k in ("fetched", "new", "updated", "unchanged", "invalid",
                                                           "left_out", "problems")}))
            if progress:
                progress(result["fetched"])

        for ticket in t.pull(start):
            result["fetched"] += 1
            batch.append(ticket)
            seen = _updated(ticket)
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


def _updated(ticket: Any) -> str | None:
    """Return the ticket's tracker_updated_at as ISO-8601 UTC, None when it has none or it is unreadable."""
    if not isinstance(ticket, dict):
        return None
    try:
        return parse_datetime(ticket.get("tracker_updated_at"))
    except (TypeError, ValueError):
        return None


def synced_before(ws: "Store") -> list[tuple[str, dict[str, Any]]]:
    """Return (tracker name, settings) of every tracker scope synced before, in name order."""
    rows = ws.db.conn.execute("select source, value from source_state where source like 'tracker:%' and "
                              "key like 'settings:%' order by source, key").fetchall()
    return [(source.split(":", 1)[1], json.loads(value)) for source, value in rows]


def sync_all(ws: "Store", **overrides: Any) -> dict[str, Any]:
    """Sync again every tracker scope synced before (credentials from the environment).

    Returns the summed counts with each sync's own result under ``results``.
    """
    done = synced_before(ws)
    if not done:
        raise ConfigError("no tracker synced yet; run e.g. 'vocmine tickets sync --tracker github --repo OWNER/NAME'")
    results = [sync(ws, name, **{**settings, **overrides}) for name, settings in done]
    total: dict[str, Any] = {"tracker": "all", "scope": ", ".join(f"{r['tracker']}:{r['scope']}" for r in results)}
    for k in ("fetched", "new", "updated", "unchanged", "invalid", "left_out"):
        total[k] = sum(r[k] for r in results)
    total["problems"] = [p for r in results for p in r["problems"]]
    total["results"] = results
    return total
