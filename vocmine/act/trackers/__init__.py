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

import re
from collections.abc import Iterable, Mapping
from typing import Any

from vocmine.core import plugins
from vocmine.core.errors import ConfigError
from vocmine.act.trackers.status import DONE_WORDS, STATUSES, is_done, normalise_status

GROUP = "vocmine.trackers"
_NOTE_MARKERS = {"en": ("public note", "public wording"), "ko": ("공개 설명", "공개 안내")}
# "Public note: ...", "**Public note:** ...", "## Public note" (then a paragraph), "공개 설명: ...".
_MARKER_RE = re.compile(
    r"^\s*(?:#{1,6}\s*)?[*_]*(public note|public wording|공개 설명|공개 안내)[*_]*\s*"
    r"(?:[:：][*_]*\s*(.*?)|)\s*$", re.IGNORECASE)
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+\S")


class Tracker:
    """Base of the built-in trackers: ``pull(since)`` yields ticket records, ``url(ticket)`` links one.

    Subclasses set ``name`` and ``scope`` (the repository, project or team they read) and keep
    credentials private: ``params()`` is what may be logged or stored with a run.
    """

    name: str = "tracker"
    scope: str = ""

    def pull(self, since: str | None = None) -> Iterable[dict[str, Any]]:
        """Yield ticket records updated at or after ``since`` (ISO-8601 UTC), or all of them."""
        raise NotImplementedError

    def url(self, ticket: Mapping[str, Any]) -> str:
        """Return the web address of ``ticket`` in the tracker ("" when it has none)."""
        return str(ticket.get("url") or "")

    def params(self) -> dict[str, Any]:
        """Return the settings that may be logged and stored with a run (never a credential)."""
        return {"tracker": self.name, "scope": self.scope}

    def settings(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this tracker, credentials left out."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.scope!r}>" if self.scope else f"<{type(self).__name__}>"


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


def public_notes(body: str | None) -> dict[str, str]:
    """Return {"en": ..., "ko": ...} from "Public note:" / "공개 설명:" sections of a ticket body.

    A section is the rest of the marker's line plus the lines after it, up to a blank line, a
    Markdown heading or another marker. A marker written as a heading ("## Public note") takes
    the paragraph that follows it.
    """
    out: dict[str, str] = {}
    lines = str(body or "").replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        m = _MARKER_RE.match(lines[i])
        if not m:
            i += 1
            continue
        lang = "ko" if m.group(1).lower() in _NOTE_MARKERS["ko"] else "en"
        parts = [m.group(2).strip()] if (m.group(2) or "").strip() else []
        i += 1
        # A heading-style marker: skip blank lines before its paragraph.
        while not parts and i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].strip() and not _HEADING_RE.match(lines[i]) \
                and not _MARKER_RE.match(lines[i]):
            parts.append(lines[i].strip())
            i += 1
        text = " ".join(" ".join(parts).split()).strip("*_ ")
        if text and lang not in out:
            out[lang] = text
    return out


def finish(ticket: dict[str, Any]) -> dict[str, Any]:
    """Fill a tracker's record in: public notes from its body (unless given), labels as a list."""
    notes = public_notes(ticket.get("body"))
    for lang in ("en", "ko"):
        if not ticket.get(f"public_note_{lang}") and notes.get(lang):
            ticket[f"public_note_{lang}"] = notes[lang]
    ticket["labels"] = [str(x) for x in (ticket.get("labels") or [])]
    return ticket


from vocmine.act.trackers.local import LocalTracker  # noqa: E402  (the classes import the helpers above)
from vocmine.act.trackers.github import GitHubTracker  # noqa: E402
from vocmine.act.trackers.jira import JiraTracker  # noqa: E402
from vocmine.act.trackers.linear import LinearTracker  # noqa: E402

__all__ = ["Tracker", "LocalTracker", "GitHubTracker", "JiraTracker", "LinearTracker", "get_tracker", "names",
           "normalise_status", "is_done", "public_notes", "STATUSES", "DONE_WORDS"]
