"""The aspect view: what customers complain about, per aspect, with the opinions they hold.

An aspect is what a complaint phrase is about ("battery life", "waiter", "배송"), found by the
understanding stage from the grammar of each complaint segment. Which nouns count as aspects of
a workspace is decided by ``analyze.aspect_statistics`` (complaint segments mention them more
than the other segments); the rest are the product itself and are left out unless asked for.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vocmine.core.store import Store

ASPECT_COLUMNS = ["aspect", "language", "category", "customers", "mentions", "complaint_share", "opinions", "phrases",
                  "examples", "trend", "rating_impact", "score"]


def _mentions(ws: "Store", *, aspect: str | None, since: str | None, until: str | None, lang: str | None,
              source: str | None, rating=None, product=None):
    from vocmine.core.queries import feedback_where
    from vocmine.understand.mentions import complaint_feedback, mean_rating, mention_frame

    base = feedback_where(since=since, until=until, lang=lang, source=source, rating=rating, product=product)
    mentions = base.copy().add("p.aspect is not null").add("p.aspect != ''").eq("p.language", lang)
    if aspect:
        mentions.add("lower(p.aspect) = lower(?)", aspect.strip())
    conn = ws.db.conn
    df = mention_frame(conn, "p.aspect as phrase, p.language as language, p.opinion as opinion, "
                       "coalesce(h.phrase, p.phrase) as grouped", str(mentions), mentions.args)
    total = complaint_feedback(conn, str(base), base.args)
    overall = mean_rating(conn, str(base), base.args)
    return df, total, overall


def _category_finder(ws: "Store", taxonomy: Any = None):
    """Return aspect, lang -> the taxonomy category whose keywords name it (or None).

    The taxonomy (the workspace's accepted one, else vocmine's default) is where a team's own
    domain words live: an aspect that a category's keywords name is shown under that category.
    """
    from vocmine.understand.analyze import taxonomy_keywords
    from vocmine.core.errors import ConfigError

    try:
        words = taxonomy_keywords(ws, taxonomy)
    except ConfigError:
        return lambda aspect, lang: None

    def find(aspect: str, lang: str) -> str | None:
        by = words.get(lang, {})
        a = aspect.lower()
        if a in by:
            return by[a]
        for w in reversed(a.split()):  # the head noun first: "battery life" -> life, battery
            stem = w[:-1] if lang == "en" and len(w) > 3 and w.endswith("s") else w
            for key in (w, stem):
                if key in by:
                    return by[key]
        return None

    return find


def aspects(ws: "Store", *, since: str | None = None, until: str | None = None, lang: str | None = None,
            source: str | None = None, rating=None, min_customers: int = 1, limit: int | None = 50,
            min_score: float | None = None, opinions: int = 5, taxonomy: Any = None, product: Any = None):
    """Return one row per aspect, ranked by distinct customers who complained about it.

    Columns: aspect, language, customers, mentions, complaint_share (of the segments of this
    language that mention the aspect, the share that are complaints; from ``aspect_stats``,
    measured on a sample of up to 5,000 segments per side when the workspace is larger),
    opinions (the top ``opinions`` (opinion, mentions) pairs), phrases (the phrase groups it
    appears in), examples (redacted quotes), trend (recent 4 weeks vs the 4 before), rating_impact
    (mean rating of feedback complaining about it minus the mean of all), score (the log-odds
    of its rate in complaint segments against the others: above 0, complaints mention it more
    than the rest of the feedback; well below 0, customers mostly praise it), category (the
    taxonomy category whose keywords name it, if any). ``min_score`` keeps the aspects whose
    score is at least that (those not yet measured are kept). ``source`` and ``product`` (one or
    several) slice the feedback; ``trend`` is NaN when the slice spans less than 6 weeks (see
    ``mentions.judge_trend``).
    """
    import pandas as pd

    from vocmine.understand import phrases as ph

    from vocmine.core.queries import feedback_where
    from vocmine.understand.mentions import judge_trend

    df, total, overall = _mentions(ws, aspect=None, since=since, until=until, lang=lang, source=source,
                                   rating=rating, product=product)
    if df.empty:
        return pd.DataFrame(columns=ASPECT_COLUMNS)
    stats = {(r[0], r[1]): r[2:] for r in ws.db.conn.execute(
        "select language, aspect, complaint_segments, other_segments, score from aspect_stats")}
    # one aspect per (language, name): rank() groups on the "phrase" column
    df["phrase"] = df["language"] + "\x1f" + df["phrase"]
    ranked = ph.rank(df.drop(columns=["language", "opinion", "grouped"]), total_complaints=total or None,
                     overall_rating=overall)
    category_of = _category_finder(ws, taxonomy)
    rows = []
    for r in ranked.itertuples():
        lang_, name = r.phrase.split("\x1f", 1)
        comp, other, score = stats.get((lang_, name), (None, None, None))
        category = category_of(name, lang_)
        if min_score is not None and score is not None and score < min_score:
            continue
        g = df[df["phrase"] == r.phrase]
        ops = Counter(o for o in g["opinion"] if o)
        rows.append({
            "aspect": name, "language": lang_, "category": category, "customers": r.customers, "mentions": r.mentions,
            "complaint_share": (comp / (comp + other)) if comp is not None and (comp + other) else float("nan"),
            "opinions": ops.most_common(opinions),
            "phrases": [p for p, _ in Counter(g["grouped"]).most_common(5)],
            "examples": r.examples, "trend": r.trend, "rating_impact": r.rating_impact,
            "score": float(score) if score is not None else float("nan"),
        })
    out = pd.DataFrame(rows, columns=ASPECT_COLUMNS)
    span = feedback_where(since=since, until=until, lang=lang, source=source, product=product)
    judge_trend(out, ws.db.conn, str(span), span.args)
    out = out[out["customers"] >= min_customers].reset_index(drop=True)
    return out.head(limit) if limit else out


def aspect(ws: "Store", name: str, *, lang: str | None = None, since: str | None = None, until: str | None = None,
           source: str | None = None, quotes: int = 10, product: Any = None) -> dict[str, Any]:
    """Return one aspect in detail: its figures (as in ``aspects``), every opinion with its count,
    its phrase groups, and up to ``quotes`` redacted quotes (complaint segments, newest first).

    Raises ``ConfigError`` when no complaint names the aspect.
    """
    from vocmine.core.errors import ConfigError

    table = aspects(ws, since=since, until=until, lang=lang, source=source, limit=None,
                    opinions=1000, product=product)
    hit = table[table["aspect"].str.lower() == name.strip().lower()]
    if hit.empty:
        near = [a for a in table["aspect"] if name.strip().lower() in a.lower()][:5]
        raise ConfigError(f"no complaint names the aspect {name!r}"
                          + (f"; did you mean: {', '.join(near)}" if near else ""))
    row = hit.iloc[0].to_dict()
    df, _, _ = _mentions(ws, aspect=row["aspect"], since=since, until=until, lang=row["language"], source=source,
                         product=product)
    df = df.sort_values("created_at", ascending=False, na_position="last")
    seen: list[dict[str, Any]] = []
    for q in df.drop_duplicates("quote").head(quotes).itertuples():
        seen.append({"quote": q.quote, "opinion": q.opinion, "feedback_id": int(q.feedback_id),
                     "created_at": q.created_at, "rating": None if q.rating != q.rating else q.rating})
    row["quotes"] = seen
    return row
