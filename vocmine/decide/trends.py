"""Weekly volume and sentiment per topic, phrase or category; spikes, new topics, score impact.

Weeks are ISO weeks (``2026-W36``) of the feedback's creation time. Feedback without one is
undated: it is in no week (never the week it was ingested), so trends leave it out. Volume counts distinct feedback rows, so a review that says "heavy" twice
counts once. A spike is a week whose volume leaves the band of the trailing ``window`` weeks
(mean ± ``sigma`` standard deviations, with at least ``min_history`` weeks of history and at
least ``min_volume`` items), which is how a rising problem shows before it spreads.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from vocmine.core.queries import feedback_where
from vocmine.core.dates import weeks_between
from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store

WEEK_SQL = (
    "strftime('%Y', {c}, '-3 days', 'weekday 4') || '-W' || "
    "printf('%02d', (strftime('%j', {c}, '-3 days', 'weekday 4') - 1) / 7 + 1)"
)
_KEYS = {
    "topic": ("coalesce(t.merged_into, st.topic_id)", "join segment_topics st on st.segment_id = s.id "
              "join topics t on t.id = st.topic_id"),
    # Topic families: a topic's parent (the cause level: weight, delivery, ...), else the topic.
    "parent": ("coalesce(e.parent_id, e.id)", "join segment_topics st on st.segment_id = s.id "
               "join topics t on t.id = st.topic_id join topics e on e.id = coalesce(t.merged_into, t.id)"),
    "category": ("sc.category", "join segment_categories sc on sc.segment_id = s.id and sc.category is not null"),
    "phrase": ("coalesce(p.group_id, p.id)", "join phrase_mentions m on m.segment_id = s.id "
               "join phrases p on p.id = m.phrase_id"),
}


PERIODS = ("day", "week", "month")


def period_of(period: str, column: str = "f.created_at") -> str:
    """Return SQL for the day ('2026-09-03'), ISO week ('2026-W36') or month ('2026-09') of a
    timestamp column; NULL for undated rows."""
    if period == "week":
        return week_of(column)
    if period == "day":
        return f"strftime('%Y-%m-%d', {column})"
    if period == "month":
        return f"strftime('%Y-%m', {column})"
    raise ConfigError(f"unknown period {period!r}; available: {', '.join(PERIODS)}")


def periods_between(period: str, first: str, last: str) -> list[str]:
    """Return every day, week or month label from ``first`` to ``last``, both included."""
    import datetime as dt

    if period == "week":
        return weeks_between(first, last)
    if period == "day":
        d, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        return [(d + dt.timedelta(days=i)).isoformat() for i in range((end - d).days + 1)]
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def week_of(column: str = "f.created_at") -> str:
    """Return SQL for the ISO week ('2026-W36') of a timestamp column; NULL for undated rows."""
    return WEEK_SQL.format(c=column)


def weekly(ws: "Store", by: str = "topic", *, complaints_only: bool = True, lang: str | None = None,
           source: Any = None, product: Any = None, period: str = "week") -> pd.DataFrame:
    """Return one row per (key, period) with volume, complaints and mean sentiment; empty periods as 0.

    ``by`` is "topic", "parent" (topic families), "phrase" or "category"; ``period`` "day",
    "week" (ISO weeks, the default) or "month"; ``source`` and ``product`` (one or several) slice
    the feedback. Undated feedback is left out. Columns: key, period (the day, week or month
    label), week (the same label, kept for compatibility, only when ``period`` is "week"), volume
    (distinct feedback), segments, sentiment (mean segment polarity), share (of all feedback in the
    slice that period).
    """
    if by not in _KEYS:
        raise ConfigError(f"unknown trend key {by!r}; available: {', '.join(sorted(_KEYS))}")
    key, join = _KEYS[by]
    label = period_of(period)
    dated = feedback_where(source=source, product=product).add("f.created_at is not null")
    where = dated.copy().eq("s.language", lang)
    if complaints_only:
        where.add("s.complaint = 1")
    sql = (
        f"select {key} as key, {label} as period, count(distinct f.id) as volume, count(*) as segments, "
        f"avg(s.sentiment) as sentiment from segments s join feedback f on f.id = s.feedback_id {join}"
        f"{where.sql()} group by 1, 2"
    )
    conn = ws.db.conn
    df = pd.read_sql_query(sql, conn, params=where.args)
    totals = dict(conn.execute(
        f"select {label} as period, count(*) from feedback f{dated.sql()} group by 1", dated.args).fetchall())
    return fill_periods(df, totals, period)


def fill_periods(df: pd.DataFrame, totals: dict[str, int], period: str = "week") -> pd.DataFrame:
    """Complete a frame of ``key, period, volume, segments, sentiment`` rows into ``weekly``'s shape:
    every key in every period from the first to the last of ``totals`` (feedback per period; the
    empty ones with volume 0), ``share`` of that period's feedback, and ``week`` when ``period`` is
    "week". ``weekly`` and the backfill's aggregates (``jobs.backfill_aggregates.weekly_frame``)
    both end here, so ``flag`` reads either."""
    if df.empty:
        df = df.assign(share=pd.Series(dtype=float))
    else:
        labels = periods_between(period, min(totals), max(totals))
        full = pd.MultiIndex.from_product([sorted(df["key"].unique(), key=str), labels], names=["key", "period"])
        df = df.set_index(["key", "period"]).reindex(full).reset_index()
        df[["volume", "segments"]] = df[["volume", "segments"]].fillna(0).astype(int)
        df["share"] = [v / totals[w] if totals.get(w) else 0.0 for v, w in zip(df["volume"], df["period"])]
    if period == "week":
        df.insert(2, "week", df["period"])
    return df


def flag(df: pd.DataFrame, *, window: int = 8, sigma: float = 2.0, min_history: int = 3,
         min_volume: int = 5, new_weeks: int = 2) -> pd.DataFrame:
    """Add columns to a ``weekly`` frame: baseline, spike ("up", "down" or ""), new (bool).

    The baseline of a week is the mean of the ``window`` weeks before it; a spike needs at least
    ``min_history`` earlier weeks since the key first appeared. A key is new in the ``new_weeks``
    weeks after its first non-zero week when nothing came before.
    """
    out = []
    order = "period" if "period" in df else "week"
    for _key, g in df.sort_values(["key", order]).groupby("key", sort=False):
        g = g.copy()
        vols = g["volume"].tolist()
        first = next((i for i, v in enumerate(vols) if v > 0), len(vols))
        base, spikes, new = [], [], []
        for i, v in enumerate(vols):
            hist = vols[max(first, i - window):i] if i > first else []
            mean = sum(hist) / len(hist) if hist else math.nan
            sd = (sum((x - mean) ** 2 for x in hist) / len(hist)) ** 0.5 if hist else math.nan
            base.append(mean)
            s = ""
            if len(hist) >= min_history:
                band = sigma * max(sd, 1.0)  # a flat history must not make one extra review a spike
                if v >= min_volume and v > mean + band:
                    s = "up"
                elif mean >= min_volume and v < mean - band:
                    s = "down"
            spikes.append(s)
            new.append(0 < first <= i < first + new_weeks and v >= min_volume)
        g["baseline"], g["spike"], g["new"] = base, spikes, new
        out.append(g)
    return pd.concat(out, ignore_index=True) if out else df.assign(baseline=[], spike=[], new=[])


def impact(ws: "Store", by: str = "topic") -> pd.DataFrame:
    """Return, per key, the NPS, CSAT and mean rating of all feedback vs feedback without the key.

    ``*_impact`` is the overall score minus the score without the key's feedback: negative means
    the topic pulls the score down by that much.
    """
    if by not in _KEYS:
        raise ConfigError(f"unknown impact key {by!r}; available: {', '.join(sorted(_KEYS))}")
    key, join = _KEYS[by]
    conn = ws.db.conn
    fb = pd.read_sql_query(
        "select f.id, f.nps, f.csat, case when f.rating_scale > 0 then f.rating * 5.0 / f.rating_scale "
        "else f.rating end as rating from feedback f where f.duplicate_of is null", conn).set_index("id")
    members = pd.read_sql_query(
        f"select distinct {key} as key, f.id as id from segments s join feedback f on f.id = s.feedback_id "
        f"{join} where s.complaint = 1 and f.duplicate_of is null", conn)

    def scores(frame: pd.DataFrame) -> dict[str, float]:
        nps = frame["nps"].dropna()
        csat = frame["csat"].dropna()
        return {
            "nps": round(100.0 * ((nps >= 9).mean() - (nps <= 6).mean()), 2) if len(nps) else math.nan,
            "csat": round(100.0 * (csat >= 4).mean(), 2) if len(csat) else math.nan,
            "rating": round(float(frame["rating"].dropna().mean()), 3) if frame["rating"].notna().any() else math.nan,
        }

    overall = scores(fb)
    rows = []
    for k, ids in members.groupby("key")["id"]:
        without = scores(fb.drop(index=ids.tolist(), errors="ignore"))
        with_ = scores(fb.loc[fb.index.intersection(ids.tolist())])
        row = {"key": k, "feedback": len(ids)}
        for m in ("nps", "csat", "rating"):
            row[f"{m}_with"] = with_[m]
            row[f"{m}_without"] = without[m]
            row[f"{m}_impact"] = round(overall[m] - without[m], 3) if not math.isnan(overall[m]) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def key_names(ws: "Store", by: str) -> dict[Any, str | None]:
    """Return what a trend key is called: a phrase's text, a topic's label (the team's own first),
    or a taxonomy category's label."""
    conn = ws.db.conn
    if by == "phrase":
        return dict(conn.execute("select id, phrase from phrases"))
    if by in ("topic", "parent"):
        return dict(conn.execute("select id, coalesce(custom_label, label) from topics"))
    from vocmine.core.resources import load_taxonomy
    from vocmine.decide.categorize import label

    tax = load_taxonomy()
    return {c["id"]: label(tax, c["id"]) for c in tax["categories"]}


def trends(ws: "Store", by: str = "topic", *, lang: str | None = None, source: Any = None,
           complaints_only: bool = True, window: int = 8, sigma: float = 2.0, product: Any = None,
           period: str = "week") -> pd.DataFrame:
    """Return volume, share and sentiment per topic, phrase or category and per day, week or
    month, with spikes flagged and each key's ``name`` (``weekly``, then ``flag``).

    A spike is only judged on a period with at least ``min_history`` (3) earlier
    periods of the key; with fewer periods in the data nothing is flagged."""
    df = flag(weekly(ws, by, complaints_only=complaints_only, lang=lang, source=source, product=product,
                     period=period), window=window, sigma=sigma)
    df.insert(1, "name", df["key"].map(key_names(ws, by)))
    return df


def named_impact(ws: "Store", by: str = "topic") -> pd.DataFrame:
    """Return ``impact`` with each key's ``name``."""
    df = impact(ws, by)
    if len(df):
        df.insert(1, "name", df["key"].map(key_names(ws, by)))
    return df
