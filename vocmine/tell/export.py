"""Export a view or a workspace table to csv, parquet, xlsx or jsonl, redacted text only.

A name is a view (what the API returns: ``phrases``, ``aspects``, ``topics``, ...) or a table
of the workspace. Personal data never leaves: the ``contacts`` and ``settings`` (the pseudonym
key) tables are refused, as is any unredacted column (``contact``, ``raw``, ``original_text``); the originals side file is never
attached by an export. See docs/export.md.
"""
from __future__ import annotations

import inspect
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from vocmine.core.errors import ConfigError
from vocmine.core.jsonable import jsonable
from vocmine.core.privacy.hidden import PRIVATE_COLUMNS, PRIVATE_TABLES, is_private

if TYPE_CHECKING:
    import pandas as pd

    from vocmine.core.store import Store

FORMATS = ("csv", "parquet", "xlsx", "jsonl")
# Tables and columns that hold what a customer wrote or who they are, unredacted (the same list
# the Datasette plugin hides: vocmine/core/privacy/hidden.py).
REFUSED_TABLES = {name: f"{why} and is never exported" for name, why in PRIVATE_TABLES.items()}
REFUSED_COLUMNS = PRIVATE_COLUMNS
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _view_functions() -> dict[str, Callable[..., Any]]:
    """Return view name -> the stage function returning it (imported when an export runs)."""
    from vocmine.act.entries import entries
    from vocmine.act.loop import links
    from vocmine.act.trackers.local import tickets
    from vocmine.core.tables import feedback
    from vocmine.decide.topics import topics_frame
    from vocmine.decide.trends import trends
    from vocmine.understand.aspects import aspects
    from vocmine.understand.mentions import phrases, segments

    return {"phrases": phrases, "aspects": aspects, "topics": topics_frame, "trends": trends, "links": links,
            "entries": entries, "tickets": tickets, "feedback": feedback, "segments": segments}


VIEWS = ("phrases", "aspects", "topics", "trends", "links", "entries", "tickets", "feedback", "segments")


def tables(ws: "Store") -> list[str]:
    """Return the workspace tables that may be exported (no internal, full-text or refused table)."""
    rows = ws.db.conn.execute("select name from main.sqlite_master where type in ('table', 'view') "
                              "and name not like 'sqlite_%' order by name").fetchall()
    names = [r[0] for r in rows]
    fts = {n for n in names if n.endswith("_fts")}
    return [n for n in names if n not in REFUSED_TABLES and n not in fts
            and not any(n.startswith(f"{f}_") for f in fts) and not n.startswith("_")]


def names(ws: "Store") -> list[str]:
    """Return every name ``export`` takes: the views, then the tables not already a view's name."""
    return [*VIEWS, *(t for t in tables(ws) if t not in VIEWS)]


def _refusal(name: str) -> str | None:
    table, _, column = name.partition(".")
    if table in REFUSED_TABLES:
        return REFUSED_TABLES[table]
    if column and is_private(table, column):
        return f"{name} holds personal data and is never exported"
    if name in REFUSED_COLUMNS:
        return f"{name} holds unredacted text and is never exported"
    return None


def _filter_kwargs(fn: Callable[..., Any], name: str, filters: dict[str, Any]) -> dict[str, Any]:
    """Return the filters ``fn`` takes; ``ConfigError`` naming a set filter it does not take."""
    params = inspect.signature(fn).parameters
    aliases = {"lang": "language"} if name == "feedback" else {}
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        target = aliases.get(key, key)
        if target not in params:
            raise ConfigError(f"{name} does not take --{key.replace('_', '-')}")
        out[target] = value
    if "limit" in params and "limit" not in out:
        out["limit"] = None
    return out


def frame(ws: "Store", name: str, **filters: Any) -> "pd.DataFrame":
    """Return the rows ``export`` writes for ``name``, with the refused columns dropped."""
    import pandas as pd

    refused = _refusal(name)
    if refused:
        raise ConfigError(refused)
    views = _view_functions()
    if name in views:
        fn = views[name]
        data = fn(ws, **_filter_kwargs(fn, name, filters))
        df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    elif name in tables(ws):
        if any(v is not None for v in filters.values()):
            raise ConfigError(f"{name} is a table: filters apply to views only ({', '.join(VIEWS)})")
        df = pd.read_sql_query(f'select * from main."{name}"', ws.db.conn)
    else:
        raise ConfigError(f"unknown name {name!r}; known: {', '.join(names(ws))}")
    return df.drop(columns=[c for c in df.columns if is_private(name, str(c))])


# -- cell conversion ------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-able Python (``jsonable``), bytes kept as they are."""
    return value if isinstance(value, bytes) else jsonable(value)


def _nested(df: "pd.DataFrame") -> list[str]:
    return [c for c in df.columns if df[c].map(lambda v: isinstance(v, (list, tuple, dict, set))
                                                or (hasattr(v, "tolist") and not isinstance(v, str)
                                                    and getattr(v, "ndim", 0) > 0)).any()]


def _safe_cell(value: Any) -> Any:
    """Return a text cell a spreadsheet will not run as a formula (a leading ' when it could)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _flat(df: "pd.DataFrame") -> "pd.DataFrame":
    """Return ``df`` for csv/xlsx: nested cells as JSON text, dates as ISO, formulas neutralised."""
    out = df.copy()
    nested = set(_nested(df))
    for c in out.columns:
        if c in nested:
            out[c] = out[c].map(lambda v: None if v is None else json.dumps(_plain(v), ensure_ascii=False))
        else:
            out[c] = out[c].map(_plain)
        out[c] = out[c].map(_safe_cell)
    return out


def _records(df: "pd.DataFrame") -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


# -- writing ---------------------------------------------------------------------------------------------------

def _write(df: "pd.DataFrame", fmt: str, path: Path | None) -> None:
    """Write ``df`` as ``fmt`` to ``path`` (None: stdout, csv and jsonl only)."""
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in _records(df))
        if path is None:
            sys.stdout.write(text)
        else:
            path.write_text(text, encoding="utf-8")
    elif fmt == "csv":
        flat = _flat(df)
        if path is None:
            flat.to_csv(sys.stdout, index=False)
        else:
            flat.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        flat = _flat(df)
        book = Workbook()
        sheet = book.active
        sheet.append([str(c) for c in flat.columns])
        for row in flat.itertuples(index=False):
            sheet.append([_safe_cell(v) for v in row])
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str) and cell.value.startswith("'"):
                    cell.data_type = "s"  # text, never a formula
        book.save(path)
    elif fmt == "parquet":
        _write_parquet(df, path)
    else:  # pragma: no cover - checked by the caller
        raise ConfigError(f"unknown format {fmt!r}")


def _write_parquet(df: "pd.DataFrame", path: Path | None) -> None:
    """Write parquet: nested columns as native lists where pyarrow can type them, else JSON text."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    columns = {}
    for c in df.columns:
        values = [_plain(v) for v in df[c]]
        try:
            columns[str(c)] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            columns[str(c)] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                        for v in values], type=pa.string())
    pq.write_table(pa.table(columns) if columns else pa.table({}), str(path))


def export(ws: "Store", name: str, *, format: str | None = None, out: str | os.PathLike | None = None,  # noqa: A002
           force: bool = False, **filters: Any) -> dict[str, Any]:
    """Write the view or table ``name`` to a file, redacted text only; returns {path, rows, format, name}.

    ``format`` is csv, parquet, xlsx or jsonl (default: ``out``'s suffix, else csv); ``out``
    defaults to ``NAME.FORMAT`` in the current folder, and ``"-"`` writes csv or jsonl to stdout.
    An existing file is replaced only with ``force``. ``filters`` (since, until, lang, source,
    product, ...) go to the view's function where it takes them. The file is written to a
    temporary name and renamed, so a reader never sees half of it.
    """
    if format is None:
        suffix = Path(str(out)).suffix.lstrip(".").lower() if out not in (None, "-") else ""
        format = suffix if suffix in FORMATS else ("jsonl" if suffix == "json" else "csv")
    fmt = format.lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    df = frame(ws, name, **filters)
    if out is not None and str(out) == "-":
        if fmt not in ("csv", "jsonl"):
            raise ConfigError(f"{fmt} cannot go to stdout; give --out PATH")
        _write(df, fmt, None)
        return {"name": name, "format": fmt, "path": "-", "rows": len(df)}
    path = Path(out) if out is not None else Path(f"{name}.{fmt}")
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass force=True (--force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write(df, fmt, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {"name": name, "format": fmt, "path": str(path), "rows": len(df)}
