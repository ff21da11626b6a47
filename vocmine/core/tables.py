"""The notebook tables over what the workspace stores: feedback rows, counts, NPS and CSAT,
full-text search, rejects and runs. Each function takes the workspace and reads; none writes.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Sequence

from vocmine.core.errors import ConfigError
from vocmine.core.queries import Where, feedback_where

if TYPE_CHECKING:
    from vocmine.core.store import Store
    import pandas as pd


def feedback(
    ws: "Store",
    source: str | Sequence[str] | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    language: str | None = None,
    rating: float | Sequence[float] | None = None,
    include_duplicates: bool = True,
    limit: int | None = None,
    columns: Sequence[str] | None = None,
    product: str | Sequence[str] | None = None,
) -> "pd.DataFrame":
    """Return feedback rows as a pandas DataFrame, filtered by source, product, time, language and rating.

    ``rating`` is one value or a (low, high) pair; ``since``/``until`` bound ``created_at``.
    The internal ``original_text`` and ``raw`` columns are left out unless named in ``columns``.
    """
    import pandas as pd

    w = feedback_where(source=source, since=since, until=until, lang=language, rating=rating, table="",
                       duplicates=include_duplicates, product=product)
    default = ["id", "source", "external_id", "kind", "author", "title", "text", "rating", "rating_scale",
               "nps", "csat", "language", "created_at", "product", "url", "duplicate_of", "ingested_at"]
    cols = list(columns) if columns else default
    known = set(ws.db["feedback"].columns_dict)
    bad = [c for c in cols if c not in known]
    if bad:
        raise ConfigError(f"unknown feedback column(s) {', '.join(bad)}; available: {', '.join(sorted(known))}")
    sql = f"select {', '.join(cols)} from feedback{w.sql()} order by id"
    if limit:
        sql += f" limit {int(limit)}"
    df = pd.read_sql_query(sql, ws.db.conn, params=w.args)
    if "created_at" in df:
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, errors="coerce")
    return df


def known(ws: "Store", column: str) -> list[str]:
    """Return the distinct non-empty values of a feedback column ("source", "product"), sorted."""
    if column not in ("source", "product"):
        raise ConfigError(f"not a slice column: {column!r}")
    return [r[0] for r in ws.db.conn.execute(
        f"select distinct {column} from feedback where {column} is not null and {column} != '' order by 1")]


def stats(ws: "Store", *, source: str | Sequence[str] | None = None,
          product: str | Sequence[str] | None = None) -> dict[str, Any]:
    """Return counts: feedback rows, and breakdowns by source, product, language, ISO week, rating,
    kind, within the ``source`` and ``product`` slice (one value or several) when given."""
    c = ws.db.conn
    w = feedback_where(source=source, product=product, table="", duplicates=True)
    args = w.args

    def pairs(sql: str) -> dict[str, int]:
        return {str(k) if k is not None else "unknown": v for k, v in c.execute(sql, args)}

    where, also = w.sql(), w.sql(" and ")
    rw = Where().among("source", source)
    return {
        "feedback": c.execute(f"select count(*) from feedback{where}", args).fetchone()[0],
        "duplicates": c.execute(f"select count(*) from feedback where duplicate_of is not null{also}",
                                args).fetchone()[0],
        # rejects were never stored, so they have no product: counted only for the whole workspace
        # or a source slice
        "rejects": None if product else c.execute(
            f"select count(*) from rejects where action = 'skipped'{rw.sql(' and ')}", rw.args).fetchone()[0],
        "by_source": pairs(f"select source, count(*) from feedback{where} group by source order by source"),
        "by_product": pairs(f"select product, count(*) from feedback{where} group by product order by product"),
        "by_language": pairs(f"select language, count(*) from feedback{where} group by language order by count(*) desc"),
        "by_kind": pairs(f"select kind, count(*) from feedback{where} group by kind order by kind"),
        "by_week": pairs(
            "select case when created_at is null then null else "
            "strftime('%Y', created_at, '-3 days', 'weekday 4') || '-W' || "
            "printf('%02d', (strftime('%j', created_at, '-3 days', 'weekday 4') - 1) / 7 + 1) end as week, "
            f"count(*) from feedback{where} group by week order by week"
        ),
        "by_rating": pairs(
            "select case when rating is null then null else printf('%g', rating) end as r, count(*) "
            f"from feedback{where} group by r order by r"
        ),
        "nps": nps(ws, w),
        "csat": csat(ws, w),
    }


def nps(ws: "Store", where: Any = None) -> dict[str, Any] | None:
    """Return the NPS of the survey answers (responses, promoters, detractors, score), or None;
    ``where`` (a ``Where`` over the unaliased feedback table) slices them."""
    also, args = (where.sql(" and "), where.args) if where is not None else ("", [])
    row = ws.db.conn.execute(
        f"select count(*), sum(nps >= 9), sum(nps <= 6) from feedback where nps is not null{also}", args).fetchone()
    n, promoters, detractors = row
    if not n:
        return None
    return {"responses": n, "promoters": promoters, "detractors": detractors,
            "score": round(100.0 * (promoters - detractors) / n, 1)}


def csat(ws: "Store", where: Any = None) -> dict[str, Any] | None:
    """Return the CSAT of the answers that have one (responses, satisfied = 4 or 5, score), or None;
    ``where`` slices them as in ``nps``."""
    also, args = (where.sql(" and "), where.args) if where is not None else ("", [])
    n, satisfied = ws.db.conn.execute(
        f"select count(*), sum(csat >= 4) from feedback where csat is not null{also}", args).fetchone()
    if not n:
        return None
    return {"responses": n, "satisfied": satisfied, "score": round(100.0 * satisfied / n, 1)}


def search(ws: "Store", query: str, limit: int = 20, source: str | Sequence[str] | None = None,
           product: str | Sequence[str] | None = None) -> "pd.DataFrame":
    """Return feedback matching ``query`` (full-text; each word also matches as a prefix,
    so "배송" finds "배송이"), best matches first, with a highlighted ``snippet``; from the
    ``source`` and ``product`` slice (one value or several) when given."""
    import pandas as pd

    terms = [t for t in query.replace('"', " ").split() if t]
    if not terms:
        raise ConfigError("empty search query")
    match = " ".join(f'"{t}"*' for t in terms)
    w = Where().among("feedback.source", source).among("feedback.product", product)
    sql = (
        "select feedback.id, feedback.source, feedback.product, feedback.created_at, feedback.rating, "
        "feedback.language, snippet(feedback_fts, 1, '[', ']', '…', 12) as snippet, feedback.text "
        "from feedback_fts join feedback on feedback.rowid = feedback_fts.rowid "
        f"where feedback_fts match ?{w.sql(' and ')} order by bm25(feedback_fts) limit ?"
    )
    args: list[Any] = [match, *w.args, int(limit)]
    try:
        return pd.read_sql_query(sql, ws.db.conn, params=args)
    except Exception as exc:  # sqlite3.OperationalError is wrapped by pandas
        raise ConfigError(f"bad search query {query!r}: {exc}") from exc


def rejects(ws: "Store", source: str | None = None) -> "pd.DataFrame":
    """Return the rejects table (rows skipped and fields dropped, with file, row and reason)."""
    import pandas as pd

    sql = "select source, file, row, field, action, reason, raw, created_at from rejects"
    args: list[Any] = []
    if source:
        sql += " where source = ?"
        args.append(source)
    return pd.read_sql_query(sql + " order by file, row", ws.db.conn, params=args)


def runs(ws: "Store", stage: str | None = None, limit: int = 50) -> "pd.DataFrame":
    """Return the most recent stage runs, newest first."""
    import pandas as pd

    sql = "select * from runs" + (" where stage = ?" if stage else "") + " order by id desc limit ?"
    return pd.read_sql_query(sql, ws.db.conn, params=([stage] if stage else []) + [limit])
