"""Datasette metadata for a workspace: what each table and column holds, from docs/storage.md.

The descriptions ship as ``storage.json`` beside this module, written from docs/storage.md by
``docs/make_storage_metadata.py``; ``tests/cli/test_serve.py`` checks that the two agree and that
every table and column of a new workspace has a description.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from vocmine.core.privacy.hidden import PRIVATE_TABLES

STORAGE_JSON = Path(__file__).with_name("storage.json")

# A table's everyday name: the column Datasette shows for its rows and in links to them.
LABEL_COLUMNS = {"topics": "label", "phrases": "phrase", "tickets": "title", "changes": "title_en"}
# Tables only vocmine itself reads: listed under "hidden tables" in Datasette, still queryable.
INTERNAL = ("_migrations", "analyzed", "embeddings", "embedder_states", "source_state")

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def plain(markdown: str) -> str:
    """Return a line of docs/storage.md as plain text: no backticks, links reduced to their words."""
    return re.sub(r"\s+", " ", _LINK.sub(r"\1", markdown).replace("`", "").replace("**", "")).strip()


def parse_storage(text: str) -> dict[str, dict[str, Any]]:
    """Return {table: {"description": ..., "columns": {column: description}}} from docs/storage.md.

    A table is a ``## name`` heading; its description is the prose before and after its column
    table; each ``| `a`, `b` | meaning |`` row describes every column it names; a row with an
    empty first cell adds to the description.
    """
    out: dict[str, dict[str, Any]] = {}
    current: str | None = None
    prose: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip("` ")
            out[current] = {"description": "", "columns": {}}
            prose = []
            continue
        if not current:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or cells[0] == "column" or (cells[0] and set(cells[0]) <= set("-: ")):
                continue
            meaning = plain("|".join(cells[1:]))
            names = re.findall(r"`([^`]+)`", cells[0])
            if not names:
                prose.append(meaning)
            for name in names:
                out[current]["columns"][name] = meaning
        elif line.strip():
            prose.append(line.strip())
        else:
            prose.append("")
        out[current]["description"] = plain(" ".join(p for p in prose if p))
    return out


@lru_cache(maxsize=1)
def storage() -> dict[str, dict[str, Any]]:
    """The packaged descriptions (``storage.json``)."""
    return json.loads(STORAGE_JSON.read_text(encoding="utf-8"))


def table_metadata(tables: list[str]) -> dict[str, dict[str, Any]]:
    """Return Datasette's per-table metadata for these table names of one workspace."""
    docs = storage()
    fts = [t for t in tables if t.endswith("_fts")]
    out: dict[str, dict[str, Any]] = {}
    for name in tables:
        meta: dict[str, Any] = {}
        doc = docs.get(name)
        if doc:
            meta["description"] = doc["description"]
            meta["columns"] = dict(doc["columns"])
        elif name in fts:
            meta["description"] = f"Full-text index over the redacted columns of {name[:-4]}."
        if name in LABEL_COLUMNS:
            meta["label_column"] = LABEL_COLUMNS[name]
        if (name in INTERNAL or name in PRIVATE_TABLES or any(name.startswith(f"{f}_") for f in fts)):
            meta["hidden"] = True
        if name in PRIVATE_TABLES:
            meta["description"] = (meta.get("description", "") + f" Not shown here: {PRIVATE_TABLES[name]}; "
                                   "its private columns read as empty.").strip()
        out[name] = meta
    return out
