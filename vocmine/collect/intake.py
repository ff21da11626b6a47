"""Ingest files or a Source into the workspace: resolve the column map and the file sources, then
run every source through the one ingest path (``collect.ingest.run_ingest``) inside one recorded run.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Callable, Sequence

from vocmine.collect.ingest import BATCH, MAX_CHARS, Finisher, IngestResult, Preparer, run_ingest
from vocmine.collect.sources.base import ColumnMap, Source, file_source_for
from vocmine.core.dates import now_iso
from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger("vocmine.workspace")
Progress = Callable[[int, int], None]


def ingest(
    ws: "Store",
    paths: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    *,
    source: str | Source | None = None,
    columns: ColumnMap | dict[str, str] | None = None,
    text: str | None = None, rating: str | None = None, id: str | None = None,  # noqa: A002
    created: str | None = None, author: str | None = None, contact: str | None = None,
    encoding: str | None = None, format: str | None = None,  # noqa: A002
    kind: str = "review", max_chars: int = MAX_CHARS, rating_scale: float | None = None,
    progress: Progress | None = None, finisher: Finisher | None = None, chunk_rows: int | None = None,
    **options: Any,
) -> IngestResult:
    """Store feedback from files (CSV, TSV, JSON, JSONL, XLSX, text) or from a Source object.

    Returns an IngestResult with counts (inserted, updated, unchanged, duplicates, rejected)
    and one message per rejected row or dropped field. Re-running adds nothing; bad rows go to
    the ``rejects`` table and never stop the rest of the file.

    ``finisher`` and ``chunk_rows`` (``run_ingest``'s) let the redaction and language detection run
    elsewhere, ``chunk_rows`` rows at a time, with the same result: ``vocmine backfill --engine ray``
    runs them on Ray workers (``vocmine.jobs.ingest_map``).
    """
    if columns is None:
        columns = ColumnMap()
    elif isinstance(columns, dict):
        try:
            columns = ColumnMap(**columns)
        except TypeError as exc:
            raise ConfigError(f"unknown column field: {exc}") from exc
    for name, value in (("text", text), ("rating", rating), ("id", id), ("created", created),
                        ("author", author), ("contact", contact)):
        if value:
            setattr(columns, name, value)
    for name in list(options):
        if name in ColumnMap.__dataclass_fields__ and options[name]:
            setattr(columns, name, options.pop(name))

    if isinstance(source, Source) and not isinstance(source, str):
        sources: list[Any] = [source]
    else:
        if paths is None:
            raise ConfigError("nothing to ingest: give file paths or a Source")
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        sources = [file_source_for(p, format, columns=ColumnMap(**vars(columns)), name=source,
                                   encoding=encoding, kind=kind, **options) for p in paths]
    total = sum(getattr(s, "size", 0) for s in sources)
    result = IngestResult(source=", ".join(dict.fromkeys(s.name for s in sources)))
    params = {"sources": [repr(s) for s in sources], "columns": {k: v for k, v in vars(columns).items() if v}}
    with ws.run("ingest", params) as counts:
        done_before = 0
        for src in sources:
            part = IngestResult(source=src.name, files=[str(getattr(src, "path", src.name))])
            prep = Preparer(src.name, ws._key, max_chars=max_chars, rating_scale=rating_scale)

            def tick(src=src, base=done_before) -> None:
                if progress:
                    progress(base + getattr(src, "position", 0), total)

            run_ingest(ws.db, src.fetch(), prep, counts["_run_id"], now_iso(), part, on_batch=tick,
                       batch_size=BATCH, finisher=finisher, chunk_rows=chunk_rows)
            done_before += getattr(src, "size", 0)
            result += part
            counts.update(result.as_dict())
        if progress:
            progress(total, total)
    log.info("ingest: %s", result.as_dict())
    return result
