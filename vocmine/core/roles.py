"""The roles a plugin can fill: one small protocol each, matched by behaviour, never by base class.

| role | group | what vocmine calls | built-ins |
|---|---|---|---|
| ``Source`` | ``vocmine.sources`` | ``fetch(since)`` | csv, tsv, json, jsonl, xlsx, text, web, reddit |
| ``Embedder`` | ``vocmine.embedders`` | ``embed(texts)`` | minilm, minilm-torch, minilm-fp32, kiwi-lsa |
| ``Tracker`` | ``vocmine.trackers`` | ``pull(since)``, ``url(ticket)`` | local, github, jira, linear |
| ``Publisher`` | ``vocmine.publishers`` | ``publish(entries, out)`` | site, markdown |
| ``Notifier`` | ``vocmine.notifiers`` | ``open()``, ``send(message, to, claim)``, ``close()`` | smtp |

Every implementation has a ``type``: the name it is registered under, the word a user types
(``--format csv``, ``type = "github"`` in the weekly config). Built-ins register through the
same entry points a third party uses (``vocmine.core.plugins``); ``vocmine.testing`` checks an
implementation against its role. docs/plugins.md shows how to write and test one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from vocmine.core.feedback import Feedback, Reject

# The entry-point group of each role, and the word its error messages use.
GROUPS: dict[str, str] = {
    "source": "vocmine.sources",
    "embedder": "vocmine.embedders",
    "tracker": "vocmine.trackers",
    "publisher": "vocmine.publishers",
    "notifier": "vocmine.notifiers",
}


@runtime_checkable
class Source(Protocol):
    """Yields feedback: ``fetch(since)`` gives ``Feedback`` records (and ``Reject`` for bad input).

    ``name`` is the source name stored with each row; with a record's external id it is the
    natural key that makes re-ingesting safe. ``since`` (ISO-8601 UTC) lets an online source stop
    at what an earlier run already read; a file source reads the whole file.
    """

    type: str
    name: str

    def fetch(self, since: str | None = None) -> Iterable[Feedback | Reject]: ...


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors: ``embed(texts)`` returns one L2-normalised float32 row per text.

    ``name`` is recorded with every cached vector (``embeddings.embedder``), so it must stay the
    same for the same vectors from run to run.
    """

    type: str
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class Tracker(Protocol):
    """Reads improvement tickets: ``pull(since)`` yields ticket records, ``url(ticket)`` links one.

    A record is a dict with at least ``key``, ``title`` and ``status`` (the tracker's own word;
    vocmine normalises it to open / in_progress / done); see ``vocmine.act.trackers``. ``name``
    is stored with each ticket (``tickets.tracker``).
    """

    type: str
    name: str

    def pull(self, since: str | None = None) -> Iterable[dict[str, Any]]: ...

    def url(self, ticket: Mapping[str, Any]) -> str: ...


@runtime_checkable
class Publisher(Protocol):
    """Turns approved "you said, we did" entries into files under ``out``; returns their paths.

    Built with ``cls(site, template_dir=..., languages=...)`` (and ``force=True`` when asked);
    entries have passed the privacy gate before a publisher sees them.
    """

    type: str

    def publish(self, entries: Iterable[Mapping[str, Any]], out: str | Path) -> list[Path]: ...


@runtime_checkable
class Notifier(Protocol):
    """Delivers customer messages: ``open()``, then ``send(message, to, claim)`` per message, ``close()``.

    ``send`` must call ``claim()`` exactly once, just before the message could first reach the
    recipient, and deliver nothing when ``claim`` raises (another run took the message): that is
    what makes a notification go out at most once. A refusal of one message is raised as
    ``vocmine.tell.notify.Refused`` (retried on the next run); ``OSError`` means the connection
    broke. ``open`` raises ``ConfigError`` when it cannot reach its service.
    """

    type: str

    def open(self) -> None: ...

    def send(self, message: EmailMessage, to: str, claim: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


ROLES: dict[str, type] = {"source": Source, "embedder": Embedder, "tracker": Tracker, "publisher": Publisher,
                          "notifier": Notifier}

__all__ = ["Source", "Embedder", "Tracker", "Publisher", "Notifier", "GROUPS", "ROLES"]
