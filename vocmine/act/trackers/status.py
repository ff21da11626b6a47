"""The one ticket status vocabulary: every tracker's words map to ``open``, ``in_progress`` or ``done``.

Tickets are stored with the normalised status (the tracker's own words are kept as
``tracker_status``); ``DONE_WORDS`` is what counts as shipped wherever a status is read
(entries, the report's fixes, the demo), so "fixed", "shipped" and "done" mean the same
everywhere, whichever path stored the ticket.
"""
from __future__ import annotations

STATUSES = ("open", "in_progress", "done")

DONE_WORDS = frozenset({"done", "closed", "released", "shipped", "resolved", "completed", "complete", "fixed",
                        "merged", "deployed", "delivered"})
PROGRESS_WORDS = frozenset({"in progress", "in_progress", "in-progress", "doing", "started", "wip", "in review",
                            "review", "in development", "development", "testing", "qa", "indeterminate", "active"})
OPEN_WORDS = frozenset({"open", "todo", "to do", "backlog", "new", "triage", "unstarted", "reopened", "planned"})


def _words(value: object) -> str:
    return " ".join(str(value or "").strip().lower().replace("_", " ").split())


def normalise_status(value: str | None, default: str = "open") -> str:
    """Return ``open``, ``in_progress`` or ``done`` for a tracker's status words (``default`` if unknown)."""
    s = _words(value)
    if not s:
        return default
    for norm, words in (("done", DONE_WORDS), ("in_progress", PROGRESS_WORDS), ("open", OPEN_WORDS)):
        if s in words or s.replace(" ", "_") in words or s.replace(" ", "-") in words:
            return norm
    return default


def is_done(value: str | None) -> bool:
    """Return whether a status (normalised or a tracker's words) means the work shipped."""
    return normalise_status(value, "") == "done"


def known_words() -> str:
    """Return a short list of understood status words, for messages."""
    return f"{', '.join(STATUSES)} (or words such as closed, shipped, fixed, in review, backlog)"


__all__ = ["STATUSES", "DONE_WORDS", "PROGRESS_WORDS", "OPEN_WORDS", "normalise_status", "is_done", "known_words"]
