"""The line protocol between the crawl process and vocmine: one JSON object per line.

``vocmine.collect.crawl`` points ``stream`` at the process's original stdout; the parent reads
``page``, ``item``, ``reject``, ``failed``, ``warning``, ``stopped`` and ``done`` events as they come.
Run standalone (``scrapy crawl``), there is no stream and nothing is written.
"""
from __future__ import annotations

import json
from typing import IO, Any

stream: IO[str] | None = None


def enabled() -> bool:
    """Return whether a vocmine parent process is listening."""
    return stream is not None


def emit(event: str, **data: Any) -> None:
    """Write one event line (and flush, so that the parent sees progress as it happens)."""
    if stream is None:
        return
    stream.write(json.dumps({"event": event, **data}, ensure_ascii=False, default=str) + "\n")
    stream.flush()
