"""The tracker base class and the helpers every tracker module shares: ``Tracker``, the
entry-point ``GROUP``, ``public_notes`` and ``finish``.

The tracker modules import these from here, not from the package, whose ``__init__`` imports
the tracker modules (``vocmine.act.trackers`` re-exports them all).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

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
