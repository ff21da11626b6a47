"""The "tell" stage on the workspace side: the weekly report's data and the changelog site.

``vocmine.tell.publish`` renders plain data and never reads the workspace; this module is the other
half. ``weekly_data`` reads one ISO week out of the workspace into the weekly context that
docs/publishing.md describes; ``report`` renders it; ``publish`` writes the public site (and/or
a Markdown changelog) from the approved "you said, we did" entries.

Everything here is a function of what is stored, never of the clock: re-running the same week
on the same data writes byte-identical files.
"""
from __future__ import annotations

import json
import logging
import os
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, cast

from vocmine.core.dates import iso_week, week_monday
from vocmine.core.errors import ConfigError
from vocmine.core.queries import LOADED_FROM, loaded_from
from vocmine.core.queries import Where, feedback_where

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)

TOP_TOPICS = 8
TOP_PHRASES = 10
HISTORY_WEEKS = 12
SITE_KEYS = ("base_url", "company", "title_en", "title_ko")
# The line that says which slice a report covers, per language (``context["strings"]`` on top).
SLICE_STRINGS = {
    "en": {"slice_product": "Product: {names}", "slice_source": "Source: {names}",
           "slice_note": "Every figure, topic, phrase and quote in this report counts only this feedback."},
    "ko": {"slice_product": "제품: {names}", "slice_source": "출처: {names}",
           "slice_note": "이 보고서의 모든 수치, 주제, 표현과 인용은 이 피드백만 셉니다."},
}


def latest_week(ws: "Store") -> str | None:
    """The ISO week of the newest dated feedback (what ``vocmine report`` shows by default).

    Feedback without a date belongs to no week: it never makes the ingest week "the latest".
    """
    from vocmine.decide.trends import week_of

    row = ws.db.conn.execute(f"select max({week_of()}) from feedback f where f.created_at is not null").fetchone()
    return row[0] if row and row[0] else None


def _no_dated_rows(ws: "Store") -> ConfigError:
    """Return the error for a workspace whose feedback has no dates (so no week can be reported)."""
    n = ws.db.conn.execute("select count(*) from feedback").fetchone()[0]
    if not n:
        return ConfigError("the workspace has no feedback yet; run 'vocmine ingest' first")
    return ConfigError(
        f"none of the {n:,} feedback rows has a date, so there is no week to report; ingest them again "
        "naming the date column, e.g. 'vocmine ingest FILE --created COLUMN' (created= in Python)")


def _coverage(span: tuple[date, date] | None, monday: date) -> dict[str, Any]:
    """Return how much of the week starting ``monday`` the dated data covers: days, first, last."""
    sunday = monday + timedelta(days=6)
    if span is None or span[1] < monday or span[0] > sunday:
        return {"days": 0, "first": None, "last": None}
    first, last = max(monday, span[0]), min(sunday, span[1])
    return {"days": (last - first).days + 1, "first": first.isoformat(), "last": last.isoformat()}


def _topic_key(ws: "Store") -> str:
    """Topic families (the cause level) once the topic stage has run; taxonomy categories before."""
    conn = ws.db.conn
    has = conn.execute("select 1 from topics where status = 'active' limit 1").fetchone()
    return "parent" if has else "category"


def _scope(product: Any = None, source: Any = None) -> Where:
    """Return the slice's conditions on feedback ``f`` (near-duplicates kept: each count says whether
    it takes them); no conditions for the whole workspace."""
    return feedback_where(product=product, source=source, duplicates=True)


def _also(scope: Where | None) -> tuple[str, list[Any]]:
    """Return a slice's conditions as " and ..." SQL and their arguments ("" and [] for none)."""
    return (scope.sql(" and "), scope.args) if scope is not None else ("", [])


def _totals(conn, lo: str, hi: str, scope: Where | None = None) -> dict[str, int]:
    """Return the counts of a period, by one rule: ``feedback`` counts every stored row dated in it
    (as ``vocmine stats`` does); ``near_duplicates`` says how many of them the analysis leaves out,
    and ``analysed``, ``complaints`` (feedback with a complaint) and ``customers`` are the rest.
    ``scope`` (``_scope``) keeps one slice's feedback."""
    also, extra = _also(scope)
    args = (lo, hi, *extra)
    fb, dups = conn.execute(
        f"select count(*), count(f.duplicate_of) from feedback f where f.created_at >= ? and f.created_at < ?{also}",
        args).fetchone()
    customers = conn.execute(
        "select count(distinct coalesce(f.author, 'fb' || f.id)) from feedback f "
        f"where f.duplicate_of is null and f.created_at >= ? and f.created_at < ?{also}", args).fetchone()[0]
    complaints = conn.execute(
        "select count(distinct f.id) from feedback f join segments s on s.feedback_id = f.id "
        f"where s.complaint = 1 and f.duplicate_of is null and f.created_at >= ? and f.created_at < ?{also}",
        args).fetchone()[0]
    return {"feedback": fb, "near_duplicates": dups, "analysed": fb - dups, "complaints": complaints,
            "customers": customers}


def _scores(conn, lo: str, hi: str, scope: Where | None = None) -> dict[str, Any]:
    also, extra = _also(scope)
    args = (lo, hi, *extra)
    nps = [r[0] for r in conn.execute("select f.nps from feedback f where f.nps is not null and f.duplicate_of is null "
                                      f"and f.created_at >= ? and f.created_at < ?{also}", args)]
    csat = [r[0] for r in conn.execute("select f.csat from feedback f where f.csat is not null "
                                       f"and f.duplicate_of is null and f.created_at >= ? and f.created_at < ?{also}",
                                       args)]
    out: dict[str, Any] = {}
    if nps:
        out["nps"] = {"score": round(100.0 * (sum(v >= 9 for v in nps) - sum(v <= 6 for v in nps)) / len(nps), 1),
                      "responses": len(nps)}
    if csat:
        out["csat"] = {"score": round(100.0 * sum(v >= 4 for v in csat) / len(csat), 1), "responses": len(csat)}
    return out


def _sentiment(conn, lo: str, hi: str, scope: Where | None = None) -> dict[str, Any] | None:
    also, extra = _also(scope)
    args = (lo, hi, *extra)
    rows = dict(conn.execute(
        "select s.label, count(*) from segments s join feedback f on f.id = s.feedback_id "
        f"where f.duplicate_of is null and f.created_at >= ? and f.created_at < ?{also} group by 1", args).fetchall())
    n = sum(rows.values())
    if not n:
        return None
    return {k: round(rows.get(k, 0) / n, 4) for k in ("positive", "neutral", "negative")} | {"segments": n}


def _iso(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def first_report_week(loaded_from: str) -> str:
    """The first ISO week a report can give when the analysed rows start at ``loaded_from`` (an ISO
    date, a Monday: ``core.queries.LOADED_FROM``): a report reads its week and the 11 before."""
    return iso_week(date.fromisoformat(loaded_from) + timedelta(weeks=HISTORY_WEEKS - 1))


def weekly_data(ws: "Store", week: str | None = None, *, lang: str = "en", company: str | None = None,
                top: int = TOP_TOPICS, product: str | Sequence[str] | None = None,
                source: str | Sequence[str] | None = None) -> dict[str, Any]:
    """Read one ISO week out of the workspace as a weekly-report context (docs/publishing.md).

    ``week`` defaults to the week of the newest dated feedback. Counts follow one rule (see
    ``_totals``); feedback without a date is counted apart (``undated``), in no week. A week the
    data does not cover whole is ``period.partial``: it is then compared with the week before
    per day (``per_day``), never as a whole week. ConfigError when no feedback has a date.

    ``product`` and ``source`` (one value or several) make the report of one slice: every count,
    topic, phrase, quote and ticket then comes from the slice's feedback alone, ``slice`` names it
    ({"product": [...], "source": [...]}), and the changelog entries (counted over all feedback)
    are left out. The week and its coverage stay the workspace's, so that every slice reports
    the same week. ConfigError when the slice holds no feedback.
    """
    from vocmine.act import loop
    from vocmine.tell.publish.views import said_views
    from vocmine.decide.trends import flag, key_names, weekly
    from vocmine.understand.mentions import phrases

    conn = ws.db.conn
    scope = _scope(product, source)
    span_row = conn.execute("select min(created_at), max(created_at), count(*) - count(created_at) "
                            "from feedback").fetchone()
    if span_row[0] is None:
        raise _no_dated_rows(ws)
    slice_ = _slice(ws, scope, product=product, source=source)
    span = (date.fromisoformat(span_row[0][:10]), date.fromisoformat(span_row[1][:10]))
    week = week or latest_week(ws)
    assert week is not None  # there is dated feedback (checked above), so there is a latest week
    monday = week_monday(week)
    lo, hi = _iso(monday), _iso(monday + timedelta(days=7))
    plo = _iso(monday - timedelta(days=7))
    first = monday - timedelta(weeks=HISTORY_WEEKS - 1)
    weeks = [iso_week(first + timedelta(weeks=i)) for i in range(HISTORY_WEEKS)]
    loaded_from = ws.setting(LOADED_FROM)
    if loaded_from and first.isoformat() < loaded_from:
        # A partial backfill load summarised the rows before loaded_from: their segments are not here,
        # so the weeks of this report before it would count no complaints, topics or phrases.
        earliest = first_report_week(loaded_from)
        raise ConfigError(
            f"the report of {week} reads the {HISTORY_WEEKS} weeks from {first.isoformat()}, but this workspace holds "
            f"the analysis of feedback dated from {loaded_from} on (a partial backfill load, 'vocmine backfill "
            f"--load-since', summarised the older rows into its weekly history): report {earliest} or later, or "
            "load the rest whole with 'vocmine backfill --out DIR' (the same DIR, without --load-since)")

    ctx: dict[str, Any] = {"week": week, "lang": lang}
    if company:
        ctx["company"] = company
    if slice_:
        ctx["slice"] = slice_
        ctx["strings"] = {code: dict(wording) for code, wording in SLICE_STRINGS.items()}
    # A week the data does not cover whole (it starts or ends inside it) is marked partial and
    # compared with the week before per day, never as a whole week.
    cover, pcover = _coverage(span, monday), _coverage(span, monday - timedelta(days=7))
    partial = cover["days"] < 7
    whole = not partial and pcover["days"] == 7  # both weeks whole: compare them as weeks
    ctx["period"] = {"start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat(),
                     "days": cover["days"], "data_start": cover["first"], "data_end": cover["last"],
                     "partial": partial, "previous_days": pcover["days"]}
    ctx["undated"] = span_row[2] if not slice_ else conn.execute(
        f"select count(*) from feedback f where f.created_at is null{scope.sql(' and ')}", scope.args).fetchone()[0]
    ctx["totals"] = _totals(conn, lo, hi, scope)
    previous = _totals(conn, plo, lo, scope)
    if whole:
        ctx["previous"] = previous
    elif cover["days"] and pcover["days"]:
        ctx["per_day"] = {k: round(ctx["totals"][k] / cover["days"], 1) for k in ("feedback", "complaints")} | {
            f"previous_{k}": round(previous[k] / pcover["days"], 1) for k in ("feedback", "complaints")} | {
            "days": cover["days"], "previous_days": pcover["days"]}
    ctx["volume"] = []
    for w in weeks:
        m = week_monday(w)
        t = _totals(conn, _iso(m), _iso(m + timedelta(days=7)), scope)
        ctx["volume"].append({"week": w, "feedback": t["feedback"], "complaints": t["complaints"]})
    ctx["sources"] = [{"source": s, "feedback": n} for s, n in conn.execute(
        f"select f.source, count(*) from feedback f where f.created_at >= ? and f.created_at < ?{scope.sql(' and ')} "
        "group by 1 order by 2 desc, 1", (lo, hi, *scope.args))]
    scores, prev = _scores(conn, lo, hi, scope), _scores(conn, plo, lo, scope)
    for k, v in scores.items():
        if k in prev:
            v["previous"] = prev[k]["score"]
    if scores:
        ctx["scores"] = scores
    sent = _sentiment(conn, lo, hi, scope)
    if sent:
        psent = _sentiment(conn, plo, lo, scope)
        if psent:
            sent["previous"] = {k: psent[k] for k in ("positive", "neutral", "negative")}
        ctx["sentiment"] = sent

    by = _topic_key(ws)
    tax = _taxonomy(ws)
    names = _topic_names(ws, by, tax)
    counts = _languages(conn, by, lo, hi, scope)
    frame = weekly(ws, by, product=product, source=source)
    spikes: list[dict[str, Any]] = []
    topics: list[dict[str, Any]] = []
    if len(frame):
        frame = flag(frame[frame["week"] <= week])
        cats = {}
        if by != "category":
            cats = dict(conn.execute("select id, category from topics"))
        for key, g in frame.groupby("key", sort=False):
            g = g.set_index("week")
            if week not in g.index:
                continue
            row = g.loc[week]
            prev_w = iso_week(monday - timedelta(days=7))
            cat = cats.get(key) if by != "category" else key
            by_lang, spans = names.get(key, ({}, []))
            item = {
                "id": key if by != "category" else None, "label": _shown(by_lang, spans, lang, str(key)),
                "labels": by_lang, "category": cat, "category_label": _cat_label(tax, cat, lang),
                "volume": int(row["volume"]), "previous": int(g.loc[prev_w]["volume"]) if prev_w in g.index else 0,
                "languages": counts.get(key, {}),
                # A partial week's fall is the calendar, not the customers: no drop, no whole-week change.
                "spike": "" if partial and row["spike"] == "down" else row["spike"] or "", "new": bool(row["new"]),
                "weekly": [{"week": w, "volume": int(g.loc[w]["volume"]) if w in g.index else 0} for w in weeks],
            }
            if not whole:
                item["delta"] = None
            if item["spike"]:
                spikes.append({"kind": by, "label": item["label"], "week": week, "volume": item["volume"],
                               "baseline": round(float(row["baseline"]), 1), "direction": item["spike"]})
            if item["volume"] or item["previous"]:
                topics.append(item)
        topics.sort(key=lambda t: (-t["volume"], -t["previous"], t["label"]))
        topics = topics[:top]
        for topic in topics:
            order = sorted(topic["languages"], key=lambda code: (code != lang, -topic["languages"][code], code))
            topic["quotes"] = _quotes(conn, by, topic["id"] if by != "category" else topic["category"], lo, hi,
                                      order=order, scope=scope)
    ctx["topics"] = topics

    # Phrases of the last eight weeks: the trend compares the last four with the four before.
    ph = phrases(ws, since=_iso(monday - timedelta(weeks=7)), until=hi, min_customers=2, limit=TOP_PHRASES,
                 product=product, source=source)
    ctx["phrases"] = [
        {"phrase": r.phrase, "language": r.language, "customers": int(r.customers), "mentions": int(r.mentions),
         "trend": None if r.trend != r.trend else round(float(r.trend), 2),
         "examples": [q for q in list(r.examples)[:2]]}
        for r in ph.itertuples()]
    pframe = weekly(ws, "phrase", product=product, source=source)
    if len(pframe):
        pframe = flag(pframe[pframe["week"] <= week])
        pnames = key_names(ws, "phrase")
        for r in pframe[(pframe["week"] == week) & (pframe["spike"] != "")].itertuples():
            if partial and r.spike == "down":
                continue
            spikes.append({"kind": "phrase", "label": pnames.get(r.key, str(r.key)), "week": week,
                           "volume": int(r.volume), "baseline": round(float(r.baseline), 1), "direction": r.spike})
    ctx["spikes"] = spikes

    members = _members(conn, scope) if slice_ else None
    ctx["tickets"] = _tickets(conn, members)
    ctx["loop"] = _closure(ws, hi, scope, members)
    ctx["entries"] = []
    for e in [] if slice_ else loop.entries(ws):  # an entry's counts are over all feedback: not a slice's
        if (e.get("shipped_at") or "") < hi:
            view = said_views(e, lang, ("en", "ko"))[0]  # the counts' wording; quotes stay in "said"
            e["said_view"] = {k: v for k, v in view.items() if k != "quotes"} if view else None
            ctx["entries"].append(e)
    return ctx


def _slice(ws: "Store", scope: Where, **given: Any) -> dict[str, list[str]]:
    """Return the slice a report covers ({"product": ["alpha"]}), {} for the whole workspace;
    ConfigError when the slice holds no feedback, naming the known values."""
    from vocmine.core.tables import known

    out = {column: [value] if isinstance(value, str) else list(value)
           for column, value in given.items() if value not in (None, "") and (isinstance(value, str) or list(value))}
    if out and not ws.db.conn.execute(f"select 1 from feedback f{scope.sql()} limit 1", scope.args).fetchone():
        what = "; ".join(f"{column} {', '.join(values)} (known: {', '.join(known(ws, column)) or 'none'})"
                         for column, values in out.items())
        raise ConfigError(f"no feedback for {what}")
    return out


def _members(conn, scope: Where) -> set[int]:
    """Return the ids of the slice's feedback (near-duplicates left out, as the linked counts do)."""
    live = scope.copy().add("f.duplicate_of is null")
    return {r[0] for r in conn.execute(f"select f.id from feedback f{live.sql()}", live.args)}


def _quotes(conn, by: str, key: Any, lo: str, hi: str, n: int = 2, order: list[str] | None = None,
            scope: Where | None = None) -> list[Any]:
    """Return up to ``n`` short complaint quotes of ``key`` in the week, one per language (in ``order``,
    then the others), so that a family's Korean complaints show beside its English ones; from the
    ``scope`` slice when given."""
    also, extra = _also(scope)
    if by in ("topic", "parent"):
        join = ("join segment_topics st on st.segment_id = s.id join topics t on t.id = st.topic_id "
                "join topics e on e.id = coalesce(t.merged_into, t.id)")
        where = "coalesce(e.parent_id, e.id) = ?" if by == "parent" else "e.id = ?"
    else:
        join, where = "join segment_categories sc on sc.segment_id = s.id", "sc.category = ?"
    # The shortest quotes of 12 to 160 characters, per language (so one language cannot crowd out
    # another); a language with none has its shortest of 4 or more (Hangul says much in few).
    rows = conn.execute(
        "select text, lang from (select s.text as text, coalesce(s.language, 'und') as lang, "
        "row_number() over (partition by coalesce(s.language, 'und') "
        "order by length(s.text) < 12, length(s.text), s.id) as pos, length(s.text) < 12 as short, "
        f"length(s.text) as size, s.id as sid from segments s join feedback f on f.id = s.feedback_id {join} "
        f"where {where} and s.complaint = 1 and f.duplicate_of is null and f.created_at >= ? and f.created_at < ? "
        f"and length(trim(s.text)) >= 4 and length(s.text) <= 160{also}) where pos <= 40 order by short, size, sid",
        (key, lo, hi, *extra)).fetchall()
    rows = [(text, lang) for text, lang in rows if "[" not in text]
    langs = list(dict.fromkeys([*(order or []), *(lang for _t, lang in rows)]))
    out: list[Any] = []
    for code in langs:
        first = next((text for text, lang in rows if lang == code), None)
        if first is not None and len(out) < n:
            out.append({"text": first, "lang": code})
    return out


def _taxonomy(ws: "Store") -> dict[str, Any]:
    """The workspace's taxonomy (its accepted copy, else the default): the categories' names."""
    from vocmine.core.resources import load_taxonomy, workspace_taxonomy

    for load in (lambda: workspace_taxonomy(ws), load_taxonomy):
        try:
            return load()
        except ConfigError as exc:
            log.warning("weekly report: taxonomy not loaded (%s); category names fall back", exc)
    return {"categories": []}


def _cat_label(tax: dict[str, Any], category: str | None, lang: str) -> str | None:
    from vocmine.decide.categorize import label

    return label(tax, category, lang) if category else None


def _topic_names(ws: "Store", by: str, tax: dict[str, Any]) -> dict[Any, tuple[dict[str, str], list[str]]]:
    """Return each key's names by language and the languages it spans (key -> (names, spans)).

    A topic: its label in its language, the team's labels in others. A family (status ``parent``):
    per language, the team's label in that language, the team's own label, the category's label
    (never its id), else the biggest child's label in that language; it spans its children's
    languages. A category: its label in each of the taxonomy's languages."""
    conn = ws.db.conn
    if by == "category":
        langs = list(tax.get("languages") or ("en", "ko"))
        out: dict[Any, tuple[dict[str, str], list[str]]] = {}
        for c in tax.get("categories") or []:
            cid = str(c["id"])
            # cast: a category with an id always has a label (its own id at worst)
            out[cid] = ({code: cast(str, _cat_label(tax, cid, code)) for code in langs}, [])
        return out
    kids: dict[int, list[tuple]] = defaultdict(list)
    for pid, klang, label, custom, size, tid in conn.execute(
            "select parent_id, language, label, custom_label, size, id from topics "
            "where status = 'active' and parent_id is not null"):
        kids[pid].append((klang or "", custom or label, size or 0, tid))
    langs = [str(c) for c in (tax.get("languages") or ("en", "ko"))]
    out = {}
    for tid, tlang, label, custom, raw, cat, status in conn.execute(
            "select id, language, label, custom_label, labels, category, status from topics"):
        team = json.loads(raw) if raw else {}
        own = custom or label
        if status != "parent":
            names = {str(k): v for k, v in team.items() if v}
            if own:
                names[tlang or ""] = own
            out[tid] = (names, [tlang or ""])
            continue
        children = kids.get(tid, [])
        spans = sorted({k[0] for k in children}) or [tlang or ""]
        names = {}
        for code in dict.fromkeys([*spans, *langs]):
            text = team.get(code) or (custom if tlang in (code, "mixed") else None)
            if not text and cat:
                text = _cat_label(tax, cat, code)
                text = text if text != cat else None
            if not text:
                mine = [k for k in children if k[0] == code]
                text = max(mine, key=lambda k: (k[2], -k[3]))[1] if mine else None
            if text:
                names[code] = text
        if not names and own:
            names[spans[0]] = own
        out[tid] = (names, spans)
    return out


def _shown(names: dict[str, str], spans: list[str], lang: str, fallback: str) -> str:
    """The label a report in ``lang`` shows: the name in ``lang`` (else in the key's first language),
    then, for a key that spans languages, its names in the others ("Delivery / 배송")."""
    first = names.get(lang) or next((names[c] for c in spans if names.get(c)), None) \
        or next(iter(names.values()), None) or fallback
    parts = [first]
    if len(spans) > 1:
        parts += [names[c] for c in spans if c != lang and names.get(c)]
    return " / ".join(dict.fromkeys(parts))


def _languages(conn, by: str, lo: str, hi: str, scope: Where | None = None) -> dict[Any, dict[str, int]]:
    """Return key -> {segment language: feedback with a complaint in the week} (near-duplicates out)."""
    from vocmine.decide.trends import _KEYS

    key, join = _KEYS[by]
    also, extra = _also(scope)
    args = (lo, hi, *extra)
    out: dict[Any, dict[str, int]] = defaultdict(dict)
    for k, code, n in conn.execute(
            f"select {key}, coalesce(s.language, 'und'), count(distinct f.id) from segments s "
            f"join feedback f on f.id = s.feedback_id {join} where s.complaint = 1 and f.duplicate_of is null "
            f"and f.created_at >= ? and f.created_at < ?{also} group by 1, 2 order by 1, 2", args):
        out[k][code] = n
    return out


def _tickets(conn, members: set[int] | None = None) -> list[dict[str, Any]]:
    """Return the tickets with the phrases and topics linked to them; with ``members`` (a slice's
    feedback ids) only the tickets linked to something that slice's customers said."""
    from vocmine.act.entries import linked_feedback

    out = []
    rows = conn.execute("select id, key, title, status, url, release from tickets order by coalesce(done_at, ''), key")
    for tid, key, title, status, url, release in rows.fetchall():
        if members is not None and not members.intersection(linked_feedback(conn, tid)):
            continue
        targets = [r[0] for r in conn.execute(
            "select coalesce(p.phrase, coalesce(tp.custom_label, tp.label)) from links l "
            "left join phrases p on l.target_type = 'phrase' and p.id = l.target_id "
            "left join topics tp on l.target_type = 'topic' and tp.id = l.target_id "
            "where l.ticket_id = ? and l.status = 'accepted' order by l.score desc, l.id", (tid,))]
        out.append({"key": key, "title": title, "status": status or "", "url": url, "release": release,
                    "topics": [t for t in targets if t]})
    return out


def _closure(ws: "Store", hi: str, scope: Where | None = None, members: set[int] | None = None) -> dict[str, Any]:
    """Share of complaint volume linked to a shipped fix, and time from first complaint to fix;
    within the ``scope`` slice (``members``: its feedback ids) when given."""
    from vocmine.core.dates import parse_datetime
    from vocmine.act.entries import DONE, linked_feedback

    conn = ws.db.conn
    also, extra = _also(scope)
    # After a partial backfill load both counts start where the loaded rows start (linked_feedback
    # leaves the older ones out too), and ``since`` says so.
    since = loaded_from(conn)
    if since:
        also, extra = f"{also} and f.created_at >= ?", [*extra, since]
    volume = conn.execute(
        "select count(distinct f.id) from feedback f join segments s on s.feedback_id = f.id "
        f"where s.complaint = 1 and f.duplicate_of is null and f.created_at < ?{also}", (hi, *extra)).fetchone()[0]
    linked: set[int] = set()
    fixes = []
    for tid, key, title, status, done_at in conn.execute(
            "select id, key, title, status, done_at from tickets where done_at is not null and done_at < ? "
            "order by done_at", (hi,)).fetchall():
        if (status or "").lower() not in DONE:
            continue
        fids = {k: v for k, v in linked_feedback(conn, tid).items() if v["created_at"] and v["created_at"] < hi
                and (members is None or k in members)}
        if not fids:
            continue
        linked |= set(fids)
        first = min((v["created_at"] for v in fids.values() if v["created_at"]), default=None)
        shipped = parse_datetime(done_at)
        assert shipped is not None  # the query keeps tickets with a done_at
        days = None
        if first:
            days = (datetime.fromisoformat(shipped[:10]) - datetime.fromisoformat(first[:10])).days
        fixes.append({"ticket": key, "title": title, "first_complaint": first[:10] if first else None,
                      "shipped_at": shipped[:10], "days": days})
    fix_days = [f["days"] for f in fixes if f["days"] is not None]
    out = {"linked_complaints": len(linked), "complaint_volume": volume,
           "median_days_to_fix": statistics.median(fix_days) if fix_days else None, "fixes": fixes}
    return {**out, "since": since} if since else out


def slice_folder(slice_: dict[str, list[str]]) -> str:
    """Return the subfolder name of a slice's reports: "product-alpha", "product-a-b_source-shop".

    Values keep their letters and digits (any script), lower-cased; anything else becomes "-"."""
    import hashlib
    import re

    parts = []
    for column in sorted(slice_):
        values = [re.sub(r"[^\w]+", "-", v.lower()).strip("-_") or
                  hashlib.sha1(v.encode("utf-8")).hexdigest()[:8] for v in slice_[column]]
        parts.append(f"{column}-{'-'.join(values)}")
    return "_".join(parts)


def report(ws: "Store", out_dir: str | os.PathLike, week: str | None = None, *, lang: str = "en", company: str | None = None,
           template_dir: Any = None, force: bool = False, gate: Any = None, product: str | Sequence[str] | None = None,
           source: str | Sequence[str] | None = None) -> dict[str, Path]:
    """Write the weekly report (HTML + Markdown) of ``week`` (default: the newest) into ``out_dir``.

    Customer quotes that still match a personal-data pattern are left out; the run records how
    many (``quotes_withheld``; pass a ``vocmine.tell.publish.gate.Gate`` as ``gate`` to read them).
    ``force`` writes into a non-empty folder that has no vocmine manifest.

    With ``product``/``source`` the report is that slice's (see ``weekly_data``) and goes into a
    subfolder of ``out_dir`` named after it (``slice_folder``: ``reports/product-alpha/``), with
    its own weekly-YYYY-Www and latest files, so that it never replaces the whole workspace's.
    """
    from vocmine.tell.publish import render_weekly
    from vocmine.tell.publish.files import write_tree
    from vocmine.tell.publish.gate import Gate

    gate = gate if gate is not None else Gate()
    company = company or ws.setting("site.company")
    ctx = weekly_data(ws, week, lang=lang, company=company, product=product, source=source)
    target = Path(out_dir)
    params: dict[str, Any] = {"week": ctx["week"], "out": str(out_dir), "lang": lang, "force": force}
    if ctx.get("slice"):
        target = target / slice_folder(ctx["slice"])
        params["slice"] = ctx["slice"]
    with ws.run("report", params) as counts:
        if target != Path(out_dir):
            # The parent folder becomes the report's too (or is refused as the whole report's would be),
            # so that the whole report can later be written beside the slices' folders.
            write_tree(out_dir, {}, owner="report", force=force, replace=False)
        paths = render_weekly(gate.weekly(ctx), target, template_dir=template_dir, force=force)
        counts.update({"week": ctx["week"], "files": len(paths), **gate.counts()})
    return paths


def site_settings(ws: "Store", **given: Any) -> dict[str, Any]:
    """The site mapping from settings (``site.*``), with given values saved for later runs."""
    for k, v in given.items():
        if v:
            if k not in SITE_KEYS:
                raise ConfigError(f"unknown site setting {k!r}; available: {', '.join(SITE_KEYS)}")
            ws.set_setting(f"site.{k}", str(v))
    s = {k: ws.setting(f"site.{k}") for k in SITE_KEYS}
    company = s["company"] or "Our team"
    return {
        "base_url": s["base_url"] or "https://example.com/changes/",
        "company": company,
        "title": {"en": s["title_en"] or f"{company}: you said, we did",
                  "ko": s["title_ko"] or s["title_en"] or f"{company}: 고객 의견과 개선"},
    }


def publish(ws: "Store", out_dir: str | os.PathLike, *, formats: tuple[str, ...] = ("site",), template_dir: Any = None,
            languages: tuple[str, ...] = ("en", "ko"), force: bool = False, gate: Any = None,
            **site: Any) -> list[Path]:
    """Publish the approved entries: the changelog site (HTML + Atom) and/or a Markdown changelog.

    Entries pass the privacy gate before any publisher (plugins too) sees them; the run records
    how many quotes were left out (``quotes_withheld``; pass a ``vocmine.tell.publish.gate.Gate`` as
    ``gate`` to read them). ``force`` writes into a non-empty folder without a vocmine manifest.
    """
    from vocmine.act import loop
    from vocmine.core.plugins import load
    from vocmine.tell.publish.gate import Gate

    gate = gate if gate is not None else Gate()
    conf = site_settings(ws, **site)
    entries = [e for e in loop.entries(ws) if e["status"] in ("approved", "published")]
    written: list[Path] = []
    with ws.run("publish", {"out": str(out_dir), "formats": list(formats), "force": force}) as counts:
        screened = gate.entries(entries)
        options: dict[str, Any] = {"template_dir": template_dir, "languages": tuple(languages)}
        if force:  # only then, so that a third-party publisher without 'force' keeps working
            options["force"] = True
        for fmt in formats:
            cls = load("vocmine.publishers", fmt)
            written += cls(conf, **options).publish(screened, out_dir)
        counts.update({"entries": len(entries), "files": len(written), **gate.counts()})
    log.info("published %d entries, %d files", len(entries), len(written))
    return written


def dumps(ctx: dict[str, Any]) -> str:
    """The weekly context as JSON (``vocmine report --json``)."""
    return json.dumps(ctx, ensure_ascii=False, indent=2, default=str)


__all__ = ["weekly_data", "report", "publish", "site_settings", "latest_week", "dumps", "slice_folder"]
