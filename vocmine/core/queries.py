"""The one builder of SQL ``where`` clauses: conditions and their arguments, kept together.

Every filter a user can give (a time window, a language, a source, a rating range) becomes a
condition here, with the value as a bound argument, never pasted into the SQL text::

    w = feedback_where(since="2026-09-01", lang="ko", rating="1-2")
    conn.execute(f"select count(*) from feedback f{w.sql()}", w.args)

Column names come from vocmine's own code, never from a user.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from vocmine.core.errors import ConfigError

# The setting a partial backfill load leaves (vocmine.jobs.backfill.load_analysis(since=...)): an ISO
# date, a Monday. Rows dated before it may be summarised (their segments are not in the workspace),
# so what counts analysed rows (the weekly report, the changelog's "you said") starts there.
LOADED_FROM = "analysis.loaded_from"


def loaded_from(conn) -> str | None:
    """The workspace's ``LOADED_FROM`` setting, or None when every analysed row is loaded whole."""
    row = conn.execute("select value from settings where key = ?", (LOADED_FROM,)).fetchone()
    return row[0] if row else None


class Where:
    """SQL conditions joined by ``and``, with their arguments in order."""

    def __init__(self, *clauses: str, args: Iterable[Any] = ()):
        self.clauses: list[str] = list(clauses)
        self.args: list[Any] = list(args)

    def add(self, clause: str, *args: Any) -> "Where":
        """Add a condition with its ``?`` arguments; returns self."""
        self.clauses.append(clause)
        self.args.extend(args)
        return self

    def eq(self, column: str, value: Any) -> "Where":
        """``column = value``, unless ``value`` is None or empty."""
        if value is not None and value != "":
            self.add(f"{column} = ?", value)
        return self

    def among(self, column: str, values: str | Sequence[Any] | None) -> "Where":
        """``column in (values)`` (one value or several), unless there are none."""
        if values is None or values == "":
            return self
        vals = [values] if isinstance(values, str) else list(values)
        if vals:
            self.add(f"{column} in ({','.join('?' * len(vals))})", *vals)
        return self

    def window(self, column: str, since: Any = None, until: Any = None) -> "Where":
        """``since <= column < until`` for the bounds given (dates or ISO text); ConfigError names a
        bad date."""
        from vocmine.core.dates import parse_datetime

        for op, value in ((">=", since), ("<", until)):
            if value:
                try:
                    iso = parse_datetime(value)
                except ValueError as exc:
                    raise ConfigError(f"bad date {value!r}: {exc}") from exc
                self.add(f"{column} {op} ?", iso)
        return self

    def rating(self, column: str, value: Any) -> "Where":
        """``column between low and high`` for a rating (2, "2", "1-2", (1, 2)); ConfigError on others."""
        rng = parse_rating_range(value)
        if rng:
            self.add(f"{column} between ? and ?", *rng)
        return self

    def copy(self) -> "Where":
        return Where(*self.clauses, args=self.args)

    def __str__(self) -> str:
        """The conditions joined by ``and`` (``1 = 1`` when there are none)."""
        return " and ".join(self.clauses) if self.clauses else "1 = 1"

    def sql(self, keyword: str = " where ") -> str:
        """``keyword`` + the conditions, or nothing when there are none."""
        return keyword + " and ".join(self.clauses) if self.clauses else ""


def parse_rating_range(value: Any) -> tuple[float, float] | None:
    """Return (low, high) from 2, "2", "1-2", (1, 2) or None; ConfigError on anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value), float(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return float(value[0]), float(value[1])
    try:
        lo, _, hi = str(value).partition("-")
        return float(lo), float(hi or lo)
    except ValueError:
        raise ConfigError(f"bad rating range {value!r}; use a number or LOW-HIGH such as 1-2") from None


def feedback_where(*, since: Any = None, until: Any = None, lang: str | None = None,
                   source: str | Sequence[str] | None = None, rating: Any = None, table: str = "f",
                   lang_column: str | None = None, duplicates: bool = False,
                   product: str | Sequence[str] | None = None) -> Where:
    """Return the conditions on the feedback table (aliased ``table``; "" for none): not a
    near-duplicate (unless ``duplicates``), created in [since, until), in ``lang`` (compared on
    ``lang_column``, e.g. a phrase's language, else the feedback's), from ``source`` (one or
    several), about ``product`` (one or several), rated in ``rating``."""
    col = (table + ".") if table else ""
    w = Where()
    if not duplicates:
        w.add(f"{col}duplicate_of is null")
    w.window(f"{col}created_at", since, until)
    w.eq(lang_column or f"{col}language", lang)
    w.among(f"{col}source", source)
    w.among(f"{col}product", product)
    w.rating(f"{col}rating", rating)
    return w
