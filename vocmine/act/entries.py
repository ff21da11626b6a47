"""Turn shipped fixes into "you said, we did" entries: one draft per shipped ticket with accepted
links, with the phrase, how many customers wrote it word for word and how many said anything
linked to the fix, since when, up to three redacted quotes, the public wording of what was done,
and the evidence (the linked complaints' share of all feedback in the weeks before vs after the
ship date). Approved entries keep their wording; the numbers are refreshed.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from vocmine.act.trackers.status import DONE_WORDS as DONE
from vocmine.core.dates import now_iso, parse_datetime
from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store



def linked_feedback(conn, ticket_id: int) -> dict[int, dict[str, Any]]:
    """Return feedback id -> {created_at, language, author, quote, phrase, phrases, segments, ...} behind
    the ticket's accepted links (near-duplicates left out).

    ``phrase`` / ``quote`` are the first linked mention found; ``phrases`` holds every phrase of a
    linked phrase group the feedback used, ``exact`` those it used word for word (``word_for_word``),
    ``segments`` every linked segment id.

    After a partial backfill load (``core.queries.LOADED_FROM``), feedback dated before the
    loaded weeks is left out: most of it is summarised, without the segments a link reaches, so
    counting the few rows of those weeks that are here would understate what they said then.
    """
    from vocmine.core.queries import loaded_from

    start = loaded_from(conn)
    out: dict[int, dict[str, Any]] = {}
    for ttype, target in conn.execute(
            "select target_type, target_id from links where ticket_id = ? and status = 'accepted' "
            "order by target_type, target_id", (ticket_id,)):
        if ttype == "phrase":
            rows = conn.execute(
                "select f.id, f.created_at, s.language, f.author, s.text, p.phrase, m.variant, s.id "
                "from phrase_mentions m join phrases p on p.id = m.phrase_id join segments s on s.id = m.segment_id "
                "join feedback f on f.id = m.feedback_id "
                "where coalesce(p.group_id, p.id) = ? and f.duplicate_of is null order by f.id, s.id", (target,)).fetchall()
        else:
            rows = conn.execute(
                "select f.id, f.created_at, s.language, f.author, s.text, coalesce(t.custom_label, t.label), s.text, s.id "
                "from segment_topics st join topics t on t.id = st.topic_id join segments s on s.id = st.segment_id "
                "join feedback f on f.id = s.feedback_id where coalesce(t.merged_into, t.id) = ? "
                "and f.duplicate_of is null order by f.id, s.id", (target,)).fetchall()
        for fid, created, lang, author, quote, phrase, variant, seg in rows:
            if start and created and created < start:
                continue
            item = out.setdefault(fid, {"created_at": created, "language": lang, "author": author, "quote": quote,
                                        "phrase": phrase, "variant": variant, "target": (ttype, target),
                                        "phrases": set(), "exact": set(), "segments": set()})
            if ttype == "phrase":
                item["phrases"].add(phrase)
                if word_for_word(phrase, variant):
                    item["exact"].add(phrase)
            item["segments"].add(seg)
    return out


def word_for_word(phrase: str, variant: str) -> bool:
    """Return whether ``variant`` (the words as written) is ``phrase`` itself: the same words in the
    same order, the last one in any inflected form ("생각보다 무거워요" is "생각보다 무겁다";
    "heavier than I expected" and "생각보다 엄청 무겁다" are not "heavier than expected" / "생각보다 무겁다").
    """
    want, got = phrase.lower().split(), (variant or "").lower().split()
    if not want or len(want) != len(got) or want[:-1] != got[:-1]:
        return False
    return want[-1] == got[-1] or want[-1][0] == got[-1][0]


def _slug(key: str, title: str) -> str:
    words = re.findall(r"[a-z0-9]+", f"{key} {title}".lower())
    return "-".join(words)[:60].strip("-") or key.lower()


def _utc(text: str) -> datetime:
    """Return an ISO date or UTC timestamp ("2026-09-15", "2026-09-15T10:00:00Z") as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00") if "T" in text else text + "T00:00:00+00:00")


def _evidence(conn, fids: dict[int, dict[str, Any]], shipped: datetime, weeks: int) -> dict[str, Any]:
    """Return the before/after windows and the weekly series of the linked feedback's share.

    In each window ``complaints`` counts the feedback linked to the fix, ``feedback`` all feedback
    (near-duplicates and undated rows left out), ``rate`` the one over the other; ``days`` says how
    many of the window's days the data covers (fewer than ``weeks`` x 7 when it starts or ends inside).
    After a partial backfill load the data starts at ``core.queries.LOADED_FROM`` (the feedback
    before it has no linked feedback counted: ``linked_feedback``), so every count starts there too.
    """
    from vocmine.core.queries import loaded_from
    from vocmine.decide.trends import week_of

    start = loaded_from(conn)
    after = " and created_at >= ?" if start else ""
    extra = (start,) if start else ()

    before0 = (shipped - timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ship = shipped.strftime("%Y-%m-%dT%H:%M:%SZ")
    after1 = (shipped + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def window(lo: str, hi: str) -> dict[str, Any]:
        total = conn.execute("select count(*) from feedback where duplicate_of is null and created_at >= ? "
                             f"and created_at < ?{after}", (lo, hi, *extra)).fetchone()[0]
        n = sum(1 for v in fids.values() if v["created_at"] and lo <= v["created_at"] < hi)
        days = 0
        if span:  # whole days of data inside the window, the first and last dated days counted whole
            start, end = max(_utc(lo), span[0]), min(_utc(hi), span[1])
            days = max(0, round((end - start).total_seconds() / 86400))
        return {"complaints": n, "feedback": total, "rate": round(n / total, 4) if total else None, "weeks": weeks,
                "days": days}

    first, last = conn.execute(f"select min(created_at), max(created_at) from feedback where 1{after}",
                               extra).fetchone()
    span = (_utc(first[:10]), _utc(last[:10]) + timedelta(days=1)) if first and last else None

    # Undated feedback is in no week (and in neither window).
    weekly_total = dict(conn.execute(
        f"select {week_of()} as w, count(*) from feedback f where f.duplicate_of is null "
        f"and f.created_at is not null{after} group by 1", extra).fetchall())
    weekly_linked: dict[str, int] = defaultdict(int)
    if fids:
        marks = ",".join("?" * len(fids))
        for w, n in conn.execute(f"select {week_of()} as w, count(*) from feedback f where f.id in ({marks}) "
                                 "and f.created_at is not null group by 1", list(fids)).fetchall():
            weekly_linked[w] = n
    return {
        "before": window(before0, ship), "after": window(ship, after1),
        "weekly": [{"week": w, "complaints": weekly_linked.get(w, 0), "feedback": weekly_total[w]}
                   for w in sorted(weekly_total)],
    }


def _customer(fid: int, v: dict[str, Any]) -> str:
    return v["author"] or f"fb{fid}"  # feedback without an author counts as one customer each


def _said(fids: dict[int, dict[str, Any]], lang: str,
          topic_names: dict[str, dict[str, str]] | None = None) -> dict[str, Any] | None:
    """Return the "you said" block of one language, or None when nobody said it in ``lang``.

    ``phrase`` is the linked phrase most customers used (in any wording); ``phrase_customers``
    counts the customers who wrote it word for word (``word_for_word``), ``linked_customers`` every
    customer behind any accepted link (all phrases of the linked groups, and linked topics), ``linked_topic`` names what they described, per page language ({"en": "Weight & build",
    "ko": "무게·구조"}; None when there is no good name).
    ``customers`` repeats ``linked_customers`` for readers of entries built before the split.
    """
    mine = {k: v for k, v in fids.items() if v["language"] == lang}
    if not mine:
        return None
    counts: dict[str, set] = defaultdict(set)
    for fid, v in mine.items():
        for p in v.get("phrases") or ():
            counts[p].add(_customer(fid, v))
    if counts:
        phrase = max(counts, key=lambda p: (len(counts[p]), p))
        exact = {fid: v for fid, v in mine.items() if phrase in (v.get("exact") or ())}
    else:  # only topic links: the topic's label stands for the phrase, and no one said it word for word
        phrase = min(v["phrase"] for v in mine.values())
        exact = {}
    linked = len({_customer(fid, v) for fid, v in mine.items()})
    since = min((v["created_at"] for v in (exact or mine).values() if v["created_at"]), default=None)
    quotes: list[str] = []
    for fid in sorted(mine, key=lambda f: (f not in exact, len(mine[f]["quote"] or ""), f)):
        q = (mine[fid]["quote"] or "").strip()
        if 8 <= len(q) <= 160 and q not in quotes and "[" not in q:
            quotes.append(q)
        if len(quotes) == 3:
            break
    return {"phrase": phrase, "phrase_customers": len({_customer(f, v) for f, v in exact.items()}) if counts else None,
            "linked_customers": linked, "linked_topic": (topic_names or {}).get(lang), "customers": linked,
            "since": since[:10] if since else None, "quotes": quotes}


def _topic_names(conn, fids: dict[int, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Return feedback lang -> {page lang: name} of what the linked feedback describes: the taxonomy
    category most of its linked segments are in, in each language's words (a custom label first).

    A language is left out when its linked segments have no category (the page then says
    "said something linked to this fix").
    """
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    segs = {seg: v["language"] for v in fids.values() for seg in v.get("segments") or ()}
    if not segs:
        return {}
    seg_list = sorted(segs)
    for i in range(0, len(seg_list), 500):
        chunk = seg_list[i:i + 500]
        for seg, cat in conn.execute(
                f"select segment_id, category from segment_categories where category is not null and segment_id in "
                f"({','.join('?' * len(chunk))})", chunk):
            by_lang[segs[seg]][cat] += 1
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    # Topic families ("parent" topics) carry the taxonomy category's name, or the team's own label:
    # per language (``labels``, from "topics rename --lang"), else ``custom_label``. A family that
    # spans languages ("mixed") is named per language by the team or by the taxonomy, never by its
    # joined "Delivery / 배송".
    for cat, lang, label, custom, per in conn.execute(
            "select category, language, label, custom_label, labels from topics where category is not null "
            "and status = 'parent' order by id"):
        try:
            per_lang = json.loads(per) if per else {}
        except ValueError:
            per_lang = {}
        for code in ("en", "ko"):
            if lang != code and lang != "mixed" and code not in per_lang:
                continue
            name = per_lang.get(code) or custom or (label if lang == code else None)
            if name:
                labels[cat].setdefault(code, name)
    out: dict[str, dict[str, str]] = {}
    for lang, cats in by_lang.items():
        cat = max(cats, key=lambda c: (cats[c], c))
        names = {code: label for code in ("en", "ko")
                 if (label := labels[cat].get(code) or _taxonomy_label(cat, code))}
        if names:
            out[lang] = names
    return out


def _taxonomy_label(category: str, lang: str) -> str | None:
    """Return the default taxonomy's label of ``category`` in ``lang`` (None when it has none)."""
    from vocmine.core.resources import load_taxonomy

    try:
        tax = load_taxonomy()
    except ConfigError:  # a name is a nicety; the page falls back to "linked to this fix"
        return None
    for c in tax.get("categories", []) if isinstance(tax, dict) else []:
        if c.get("id") == category:
            label = c.get("label")
            return (label.get(lang) if isinstance(label, dict) else label) or None
    return None


def build_entries(ws: "Store", *, weeks: int = 4) -> list[dict[str, Any]]:
    """Create or refresh a draft entry per shipped ticket with accepted links; return all entries."""
    conn = ws.db.conn
    now = now_iso()
    rows = conn.execute(
        "select t.id, t.key, t.title, t.release, t.done_at, t.status, t.public_note_en, t.public_note_ko "
        "from tickets t where t.done_at is not null and exists (select 1 from links l where l.ticket_id = t.id "
        "and l.status = 'accepted') order by t.done_at").fetchall()
    with conn:
        for tid, key, title, release, done_at, status, note_en, note_ko in rows:
            if (status or "").lower() not in DONE:
                continue
            done = parse_datetime(done_at)
            assert done is not None  # the query keeps tickets with a done_at
            shipped = datetime.fromisoformat(done.replace("Z", "+00:00")).astimezone(timezone.utc)
            fids = linked_feedback(conn, tid)
            names = _topic_names(conn, fids)
            said = {lang: s for lang in ("en", "ko") if (s := _said(fids, lang, names))}
            evidence = _evidence(conn, fids, shipped, weeks)
            existing = conn.execute("select id, edited from changes where ticket_id = ?", (tid,)).fetchone()
            if existing:
                conn.execute("update changes set said = ?, evidence = ?, release = ?, shipped_at = ?, updated_at = ? "
                             "where id = ?", (json.dumps(said, ensure_ascii=False), json.dumps(evidence), release,
                                              done_at, now, existing[0]))
                if not existing[1]:
                    conn.execute("update changes set title_en = ?, did_en = ?, did_ko = ? where id = ?",
                                 (title, note_en or title, note_ko, existing[0]))
            else:
                conn.execute(
                    "insert into changes (ticket_id, slug, release, shipped_at, status, title_en, title_ko, did_en, "
                    "did_ko, edited, said, evidence, created_at, updated_at) values (?,?,?,?, 'draft', ?,?,?,?,0,?,?,?,?)",
                    (tid, _slug(key, title or ""), release, done_at, title, None, note_en or title, note_ko,
                     json.dumps(said, ensure_ascii=False), json.dumps(evidence), now, now))
    return entries(ws)


def entries(ws: "Store", status: str | None = None) -> list[dict[str, Any]]:
    """Return entries as dicts in the publishing layout (see docs/publishing.md)."""
    sql = ("select c.id, c.slug, t.key, c.release, c.shipped_at, c.status, c.title_en, c.title_ko, c.did_en, "
           "c.did_ko, c.said, c.evidence, c.updated_at, c.approved_at from changes c join tickets t on t.id = c.ticket_id")
    args: list[Any] = []
    if status:
        sql += " where c.status = ?"
        args.append(status)
    out = []
    for r in ws.db.conn.execute(sql + " order by c.shipped_at desc, c.id", args):
        (cid, slug, key, release, shipped, st, t_en, t_ko, d_en, d_ko, said, ev, updated, approved) = r
        out.append({
            "id": cid, "slug": slug, "ticket": key, "release": release, "shipped_at": shipped, "status": st,
            "title": {"en": t_en, "ko": t_ko or t_en}, "did": {"en": d_en, "ko": d_ko or d_en},
            "said": json.loads(said or "{}"), "evidence": json.loads(ev or "{}"),
            "updated_at": approved or updated,
        })
    return out


def edit_entry(ws: "Store", entry: int | str, *, title_en: str | None = None, title_ko: str | None = None,
               did_en: str | None = None, did_ko: str | None = None, approve: bool = False) -> dict[str, Any]:
    """Change an entry's public wording and/or approve it; edited wording survives later builds."""
    conn = ws.db.conn
    row = conn.execute("select c.id, c.status from changes c join tickets t on t.id = c.ticket_id "
                       "where c.id = ? or c.slug = ? or t.key = ?",
                       (entry if isinstance(entry, int) or str(entry).isdigit() else -1, str(entry), str(entry))).fetchone()
    if not row:
        raise ConfigError(f"unknown entry {entry!r}; see 'vocmine entries list'")
    sets: dict[str, Any] = {k: v for k, v in (("title_en", title_en), ("title_ko", title_ko), ("did_en", did_en),
                                                ("did_ko", did_ko)) if v is not None}
    if sets:
        sets["edited"] = 1
    if approve and row[1] != "approved":  # approving again keeps the first approval time (feeds stay stable)
        sets["status"] = "approved"
        sets["approved_at"] = now_iso()
    sets["updated_at"] = now_iso()
    with conn:
        conn.execute(f"update changes set {', '.join(f'{k} = ?' for k in sets)} where id = ?", [*sets.values(), row[0]])
    return next(e for e in entries(ws) if e["id"] == row[0])
