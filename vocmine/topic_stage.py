"""The "decide" stage: segments into taxonomy categories and topics with stable ids.

Incremental like every stage: segments already placed are not placed again (unless the
taxonomy's name or version changed); embeddings are cached per (segment, embedder).
"""
from __future__ import annotations

import logging
from typing import Any

from .dates import now_iso

log = logging.getLogger(__name__)
BATCH = 2000


def taxonomy_tag(tax: dict[str, Any]) -> str:
    """Return the name@version that ``segment_categories.taxonomy`` records."""
    return f"{tax['name']}@{tax['version']}"


def categorize_segments(ws, taxonomy: dict[str, Any] | None = None, *, complaints_only: bool = True,
                        embedder_for: Any = None) -> int:
    """Place segments not yet placed under this taxonomy; returns how many were placed."""
    from . import load_taxonomy
    from .categorize import Categorizer

    tax = taxonomy or load_taxonomy()
    tag = taxonomy_tag(tax)
    conn = ws.db.conn
    todo = conn.execute(
        "select s.id, s.text, s.language from segments s left join segment_categories c on c.segment_id = s.id "
        "where (c.segment_id is null or c.taxonomy != ?)" + (" and s.complaint = 1" if complaints_only else "")
        + " order by s.id", (tag,)).fetchall()
    if not todo:
        return 0
    cat = Categorizer(tax).fit()
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        placed = cat.place([r[1] for r in batch], [r[2] for r in batch])
        with conn:
            conn.executemany(
                "insert or replace into segment_categories (segment_id, category, score, method, taxonomy) "
                "values (?,?,?,?,?)", [(r[0], p.category, p.score, p.method, tag) for r, p in zip(batch, placed)])
    log.info("categorised %d segments under %s", len(todo), tag)
    return len(todo)
