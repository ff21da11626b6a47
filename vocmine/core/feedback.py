"""The records that flow from a Source into the workspace."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Feedback:
    """One customer utterance as a source yields it, before validation and redaction.

    Values may still be raw strings (a rating of "4 stars", a date of "2024.05.01"): the
    ingest path parses them and reports what it cannot parse with ``origin``.
    """

    text: Any
    external_id: Any = None
    title: Any = None
    rating: Any = None
    rating_scale: float | None = None
    nps: Any = None
    csat: Any = None
    created_at: Any = None
    author: Any = None
    contact: Any = None
    consent: Any = None
    product: Any = None
    url: Any = None
    language: str | None = None
    kind: str = "review"
    raw: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it came from, for messages: "reviews.csv, row 12"
    row: int | None = None  # the row/line number within ``origin``'s file, when there is one


@dataclass
class Reject:
    """A record a source could not turn into feedback (malformed row, bad JSON line...).

    ``author`` and ``contact`` are the record's values of those fields when the source knows
    them, so that the rejects table stores a pseudonym and no contact, as the feedback table does.
    """

    reason: str
    origin: str = ""
    row: int | None = None
    field: str | None = None
    raw: Any = None
    author: Any = None
    contact: Any = None


@dataclass
class Note:
    """Something a source noticed about a whole file (its encoding, a renamed column...): reported, not rejected."""

    message: str
    origin: str = ""
