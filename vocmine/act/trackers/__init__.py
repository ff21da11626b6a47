"""Ticket trackers: where the team's improvement tickets live.

A tracker is anything with ``pull(since) -> Iterable[dict]`` (ticket records, oldest update
first where the API allows) and ``url(ticket) -> str``. Built-ins register under the
``vocmine.trackers`` entry-point group exactly as a third party would:

| name | class | reads |
|---|---|---|
| ``local`` | ``LocalTracker`` | nothing: tickets added with ``vocmine tickets add`` |
| ``github`` | ``GitHubTracker`` | GitHub Issues (REST) |
| ``jira`` | ``JiraTracker`` | Jira Cloud (REST v3, JQL) |
| ``linear`` | ``LinearTracker`` | Linear (GraphQL) |

A ticket record is a dict with ``key``, ``title``, ``body``, ``status`` (normalised to
``open`` / ``in_progress`` / ``done`` by the one vocabulary in ``trackers.status``),
``tracker_status`` (the tracker's own words), ``labels``, ``url``, ``release``, ``done_at``,
``created_at``, ``tracker_updated_at`` and, when the body has a "Public note:" / "공개 설명:"
section, ``public_note_en`` / ``public_note_ko``.

Every ticket reaches the ``tickets`` table through ``trackers.store.store_tickets`` (syncs,
``Workspace.add_tickets``, the weekly json tracker, the demo, ``tickets add / update``): it
validates each record, reports a bad one by tracker, key and field, and stores it so that it can
never break a stage (see docs/trackers.md, "Tickets that do not check out").
"""
from __future__ import annotations

from typing import Any

from vocmine.core import plugins
from vocmine.core.errors import ConfigError
from vocmine.act.trackers.base import GROUP, Tracker, finish, public_notes
from vocmine.act.trackers.status import DONE_WORDS, STATUSES, is_done, normalise_status
from vocmine.act.trackers.local import LocalTracker
from vocmine.act.trackers.github import GitHubTracker
from vocmine.act.trackers.jira import JiraTracker
from vocmine.act.trackers.linear import LinearTracker


def names() -> list[str]:
    """Return the registered tracker names, sorted."""
    return plugins.names(GROUP)


def get_tracker(name: str, **config: Any) -> Tracker:
    """Return the tracker registered as ``name``, built from ``config`` (ConfigError lists the valid names)."""
    cls = plugins.load(GROUP, name)
    try:
        return cls(**config)
    except TypeError as exc:
        raise ConfigError(f"tracker {name!r}: bad settings ({exc})") from None


__all__ = ["Tracker", "LocalTracker", "GitHubTracker", "JiraTracker", "LinearTracker", "get_tracker", "names",
           "normalise_status", "is_done", "public_notes", "finish", "GROUP", "STATUSES", "DONE_WORDS"]
