"""Reading what the understanding stage stored: the ranked complaint phrases, the segments, and
the mention rows both views count (``mention_frame``), filtered by the one ``where`` builder.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from vocmine.core.queries import Where, feedback_where

if TYPE_CHECKING:
    from vocmine.core.store import Store


# A feedback row's rating on a 1-5 scale, whatever scale it was given on.
RATING5 = "case when f.rating_scale > 0 then f.rating * 5.0 / f.rating_scale else f.rating end"


def mention_frame(conn, key_columns: str, where: str, args: Sequence[Any]):
    """Return one row per phrase mention matching ``where`` (over ``m`` mentions, ``p`` phrases,
    ``h`` their group heads, ``s`` segments, ``f`` feedback): ``key_columns`` (SQL select items),
    then variant, customer, feedback_id, rating (1-5), created_at, is_complaint_segment, quote,
    the input of ``understand.phrases.rank``."""
    import pandas as pd

    sql = (
        f"select {key_columns}, m.variant as variant, coalesce(f.author, 'fb' || f.id) as customer, "
        f"f.id as feedback_id, {RATING5} as rating, f.created_at as created_at, "
        "s.complaint as is_complaint_segment, s.text as quote "
        "from phrase_mentions m join phrases p on p.id = m.phrase_id left join phrases h on h.id = p.group_id "
        "join segments s on s.id = m.segment_id join feedback f on f.id = m.feedback_id "
        f"where {where}"
    )
    return pd.read_sql_query(sql, conn, params=list(args))


def complaint_feedback(conn, where: str, args: Sequence[Any]) -> int:
    """Return how many feedback rows matching ``where`` (over ``f``) hold a complaint segment."""
    return conn.execute(
        "select count(distinct s.feedback_id) from segments s join feedback f on f.id = s.feedback_id "
        f"where s.complaint = 1 and {where}", list(args)).fetchone()[0]


def mean_rating(conn, where: str, args: Sequence[Any]) -> float | None:
    """Return the mean 1-5 rating of the feedback rows matching ``where`` (over ``f``)."""
    return conn.execute(f"select avg({RATING5}) from feedback f where {where}", list(args)).fetchone()[0]


TREND_WEEKS = 4


def span_days(conn, where: str, args: Sequence[Any]) -> float:
    """Return the days between the first and the last dated feedback row matching ``where`` (over ``f``)."""
    row = conn.execute(f"select julianday(max(f.created_at)) - julianday(min(f.created_at)) from feedback f "
                       f"where {where} and f.created_at is not null", list(args)).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def judge_trend(out, conn, where: str, args: Sequence[Any], weeks: int = TREND_WEEKS):
    """Blank (NaN) the ``trend`` column of a ranked frame when the feedback matching ``where``
    spans less than ``1.5 * weeks`` weeks (6 weeks by default): the comparison (the last ``weeks``
    weeks against the ``weeks`` before) needs data reaching at least half-way into the earlier
    window, else nine days of data would make every phrase "rising"."""
    if len(out) and "trend" in out and span_days(conn, where, args) < 7 * 1.5 * weeks:
        out["trend"] = float("nan")
    return out


def phrases(ws: "Store", *, since: str | None = None, until: str | None = None, lang: str | None = None,
            source: str | Sequence[str] | None = None, rating=None, min_customers: int = 1, limit: int | None = 50,
            aspect: str | None = None, product: str | Sequence[str] | None = None):
    """Return ranked complaint phrases as a DataFrame: phrase, language, aspect, opinion,
    customers, mentions, variants, examples, share_of_complaints, trend, rating_impact (see
    ``understand.phrases.rank``). ``aspect`` keeps the phrases about that aspect; ``source`` and
    ``product`` (one or several) slice the feedback, and every figure is counted in the slice.
    ``trend`` (the last 4 weeks against the 4 before) is NaN when the slice's dated feedback
    spans less than 6 weeks: there is not enough history to judge (``judge_trend``)."""
    from vocmine.understand import phrases as ph

    window: dict[str, Any] = dict(since=since, until=until, lang=lang, source=source, product=product)
    base = feedback_where(**window)
    found = feedback_where(**window, rating=rating)
    mentions = feedback_where(**window, rating=rating, lang_column="p.language")
    if aspect:
        mentions.add("lower(coalesce(p.aspect, '')) = lower(?)", aspect.strip())
    df = mention_frame(ws.db.conn, "coalesce(h.phrase, p.phrase) as phrase, p.language as language, "
                       "coalesce(h.aspect, p.aspect) as aspect, coalesce(h.opinion, p.opinion) as opinion",
                       str(mentions), mentions.args)
    total = complaint_feedback(ws.db.conn, str(found), found.args)
    # Rating impact compares with all feedback in the window, not only the filtered ratings.
    overall = mean_rating(ws.db.conn, str(base), base.args)
    out = ph.rank(df.drop(columns=["language", "aspect", "opinion"]), total_complaints=total or None,
                  overall_rating=overall)
    if len(out):
        first = df.drop_duplicates("phrase").set_index("phrase")
        out.insert(1, "language", out["phrase"].map(first["language"]))
        out.insert(2, "aspect", out["phrase"].map(first["aspect"]))
        out.insert(3, "opinion", out["phrase"].map(first["opinion"]))
    judge_trend(out, ws.db.conn, str(base), base.args)
    out = out[out["customers"] >= min_customers].reset_index(drop=True)
    return out.head(limit) if limit else out


def segments(ws: "Store", *, feedback_id: int | None = None, complaint: bool | None = None, lang: str | None = None,
             limit: int | None = None):
    """Return segments as a DataFrame, optionally for one feedback row, complaints only, or one language."""
    import pandas as pd

    w = Where().eq("feedback_id", None if feedback_id is None else int(feedback_id))
    w.eq("complaint", None if complaint is None else int(complaint)).eq("language", lang)
    sql = f"select * from segments{w.sql()} order by feedback_id, idx"
    if limit:
        sql += f" limit {int(limit)}"
    return pd.read_sql_query(sql, ws.db.conn, params=w.args)
