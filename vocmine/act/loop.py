"""Close the loop: link tickets to what customers said, and turn shipped fixes into entries.

- ``suggest_links`` ranks ticket <-> phrase and ticket <-> topic pairs by evidence: the ticket
  quoting the customers' phrase (explicit reference), sharing its taxonomy category, sharing
  words, and (with an embedder) semantic similarity. Suggestions never overwrite a decision; a
  rejected pair is not suggested again.
- ``build_entries`` makes one "you said, we did" draft per shipped ticket with accepted links:
  the phrase, how many customers wrote it word for word and, apart, how many said anything
  linked to the fix (and what they described), since when, up to three redacted quotes, the public
  wording of what was done, and the evidence (the linked complaints' share of all feedback in
  the weeks before vs after the ship date). Approved entries keep their wording; the numbers
  are refreshed.
"""
from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from vocmine.core.dates import now_iso, parse_datetime
from vocmine.core.errors import ConfigError

log = logging.getLogger(__name__)

from vocmine.act.trackers.status import DONE_WORDS as DONE  # noqa: E402  (the one status vocabulary)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_QUOTED = re.compile(r"[\"“”「」『』']([^\"“”「」『』']{3,80})[\"“”「」『』']")
_STOP = frozenset("the a an and or of to for in on at is are was were be it its this that with from by our we "
                  "you your they their as not no more most very too than".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}|[\uac00-\ud7a3]{2,}", (text or "").lower()) if w not in _STOP}


def _ticket_phrases(text: str) -> dict[tuple[str, str], str]:
    """Return {(lang, canonical): wording} for complaint phrases the ticket quotes or states."""
    from vocmine.understand.phrases import extract_text

    found: dict[tuple[str, str], str] = {}
    chunks = _QUOTED.findall(text or "") + re.split(r"(?<=[.!?])\s+|\n+", text or "")
    for chunk in chunks:
        korean = " ".join(re.findall(r"[\uac00-\ud7a3][\uac00-\ud7a3\s]*", chunk)).strip()
        english = re.sub(r"[\uac00-\ud7a3]+", " ", chunk).strip()
        for lang, part in (("ko", korean), ("en", english)):
            if len(part) >= 3:
                for m in extract_text(part, lang):
                    found.setdefault((m.lang, m.canonical), m.variant)
    return found


def _phrase_heads(conn) -> dict[int, dict[str, Any]]:
    """Return phrase groups: head id -> {phrase, language, members, customers}."""
    rows = conn.execute(
        "select coalesce(p.group_id, p.id) as head, p.id, p.phrase, p.language, "
        "count(distinct coalesce(f.author, 'fb' || f.id)) from phrases p "
        "join phrase_mentions m on m.phrase_id = p.id join feedback f on f.id = m.feedback_id "
        "where f.duplicate_of is null group by p.id").fetchall()
    heads: dict[int, dict[str, Any]] = {}
    names = {pid: (phrase, lang) for _h, pid, phrase, lang, _n in rows}
    for head, pid, phrase, lang, n in rows:
        h = heads.setdefault(head, {"phrase": names.get(head, (phrase, lang))[0], "language": lang,
                                    "members": [], "customers": 0})
        h["members"].append(phrase)
        h["customers"] += n
    return heads


def _phrase_categories(conn) -> dict[int, str]:
    """Return head id -> the taxonomy category most of its mentions' segments are in."""
    rows = conn.execute(
        "select coalesce(p.group_id, p.id), sc.category, count(*) from phrase_mentions m "
        "join phrases p on p.id = m.phrase_id join segment_categories sc on sc.segment_id = m.segment_id "
        "where sc.category is not null group by 1, 2").fetchall()
    best: dict[int, tuple[int, str]] = {}
    for head, cat, n in rows:
        if n > best.get(head, (0, ""))[0]:
            best[head] = (n, cat)
    return {h: c for h, (n, c) in best.items()}


SEMANTIC_FLOOR = 0.45  # cosine below this says nothing; 1.0 adds SEMANTIC_WEIGHT to the score
SEMANTIC_WEIGHT = 0.5


def _semantic(embedder: Any, tickets: list[str], targets: list[str]):
    """Cosine similarities (tickets x targets) with an English sentence embedder, or None."""
    from vocmine.core.errors import ModelError

    if not tickets or not targets or embedder is False:
        return None
    try:
        emb = _embedder(embedder or "minilm")
        vecs = emb.embed(tickets + targets)
    except ModelError as exc:  # the link step still works on quotes, categories and words
        log.warning("link suggestions without semantic similarity: %s", exc)
        return None
    return vecs[:len(tickets)] @ vecs[len(tickets):].T


def _embedder(spec: Any):
    from vocmine.decide.embed import get_embedder

    if isinstance(spec, str):
        if spec not in _EMBEDDERS:
            _EMBEDDERS[spec] = get_embedder(spec)
        return _EMBEDDERS[spec]
    return get_embedder(spec)


_EMBEDDERS: dict[str, Any] = {}


def suggest_links(ws, *, min_score: float = 0.35, taxonomy: dict | None = None, min_customers: int = 2,
                  embedder: Any = None) -> list[dict[str, Any]]:
    """Score ticket <-> phrase (and topic) pairs and store the suggestions; return them, best first.

    Each suggestion has ticket, target_type, target_id, target (its words), score 0..1 and
    evidence (a list of reasons). Decided pairs (accepted or rejected) are left as they are.
    Evidence: the ticket quoting the phrase, the same taxonomy category, shared words, and the
    semantic similarity of the ticket to English phrases and topics (``embedder``: default the
    packaged MiniLM; ``False`` turns it off).
    """
    from vocmine.decide.categorize import Categorizer
    from vocmine.core.resources import workspace_taxonomy

    conn = ws.db.conn
    # The same taxonomy as the topic stage: the one given (dict or path), the workspace's accepted
    # copy, else the default.
    tax = workspace_taxonomy(ws, taxonomy)
    cat = Categorizer(tax).fit()
    heads = {h: v for h, v in _phrase_heads(conn).items() if v["customers"] >= min_customers}
    head_cat = _phrase_categories(conn)
    by_canonical = {(v["language"], m): h for h, v in heads.items() for m in v["members"]}
    topics = conn.execute(
        "select id, coalesce(custom_label, label), language, category, keywords from topics where status = 'active'"
    ).fetchall() if "topics" in ws.db.table_names() else []
    decided = {(t, tt, tid) for t, tt, tid in conn.execute(
        "select ticket_id, target_type, target_id from links where status in ('accepted', 'rejected')")}
    tickets = conn.execute("select id, key, title, body, labels from tickets").fetchall()
    en_heads = [h for h, v in heads.items() if v["language"] == "en"]
    en_topics = [t[0] for t in topics if t[2] == "en"]
    sims = _semantic(embedder, [f"{t[2] or ''}. {(t[3] or '')[:600]}" for t in tickets],
                     [" / ".join(heads[h]["members"][:5]) for h in en_heads]
                     + [t[1] or "" for t in topics if t[2] == "en"])
    out: list[dict[str, Any]] = []
    now = now_iso()
    for row_i, (tid, key, title, body, labels) in enumerate(tickets):
        semantic: dict[tuple[str, int], float] = {}
        if sims is not None:
            for j, h in enumerate(en_heads):
                semantic[("phrase", h)] = float(sims[row_i, j])
            for j, t in enumerate(en_topics):
                semantic[("topic", t)] = float(sims[row_i, len(en_heads) + j])
        text = f"{title or ''}\n{body or ''}"
        label_words = " ".join(json.loads(labels or "[]"))
        quoted = _ticket_phrases(text)
        placed = cat.place([f"{title or ''}. {label_words}"], ["en"])[0]
        ko_text = " ".join(re.findall(r"[\uac00-\ud7a3 ]{2,}", text))
        placed_ko = cat.place([ko_text], ["ko"])[0] if ko_text.strip() else None
        categories = {p.category for p in (placed, placed_ko) if p and p.category}
        twords = _words(text + " " + label_words)
        cands: dict[tuple[str, int], dict[str, Any]] = {}
        for (lang, canonical), variant in quoted.items():
            head = by_canonical.get((lang, canonical))
            if head is not None:
                c = cands.setdefault(("phrase", head), {"score": 0.0, "evidence": []})
                c["score"] = max(c["score"], 0.9)
                c["evidence"].append(f"the ticket quotes customers: \"{variant}\"")
        for h, v in heads.items():
            c = cands.get(("phrase", h), {"score": 0.0, "evidence": []})
            if head_cat.get(h) in categories:
                c["score"] = min(1.0, c["score"] + 0.4 if c["score"] else 0.4)
                c["evidence"].append(f"same category: {head_cat[h]}")
            overlap = twords & _words(" ".join(v["members"]))
            if overlap:
                c["score"] = min(1.0, c["score"] + 0.15 * len(overlap))
                c["evidence"].append("shared words: " + ", ".join(sorted(overlap)))
            if c["score"] > 0:
                cands[("phrase", h)] = c
        for topic_id, tlabel, tlang, tcat, kw in topics:
            c = {"score": 0.0, "evidence": []}
            if tcat and tcat in categories:
                c["score"] += 0.4
                c["evidence"].append(f"same category: {tcat}")
            overlap = twords & _words(f"{tlabel} {' '.join(json.loads(kw or '[]'))}")
            if overlap:
                c["score"] = min(1.0, c["score"] + 0.15 * len(overlap))
                c["evidence"].append("shared words: " + ", ".join(sorted(overlap)))
            quoted_in_topic = [variant for (lang, canonical), variant in quoted.items()
                               if lang == tlang and canonical in (tlabel or "")]
            if quoted_in_topic:
                c["score"] = max(c["score"], 0.9)
                c["evidence"].append(f"the ticket quotes the topic's phrase: \"{quoted_in_topic[0]}\"")
            if c["score"] > 0:
                cands[("topic", topic_id)] = c
        for target_key, cos in semantic.items():
            if cos >= SEMANTIC_FLOOR:
                c = cands.setdefault(target_key, {"score": 0.0, "evidence": []})
                c["score"] = min(1.0, c["score"] + SEMANTIC_WEIGHT * (cos - SEMANTIC_FLOOR) / (1 - SEMANTIC_FLOOR))
                c["evidence"].append(f"close in meaning to the ticket (similarity {cos:.2f})")
        for (ttype, target), c in cands.items():
            if c["score"] < min_score or (tid, ttype, target) in decided:
                continue
            words = heads[target]["phrase"] if ttype == "phrase" else next(
                (t[1] for t in topics if t[0] == target), str(target))
            row = {"ticket": key, "ticket_id": tid, "target_type": ttype, "target_id": target, "target": words,
                   "score": round(c["score"], 3), "evidence": c["evidence"]}
            out.append(row)
            conn.execute(
                "insert into links (ticket_id, target_type, target_id, score, evidence, status, created_at, "
                "updated_at) values (?,?,?,?,?, 'suggested', ?, ?) on conflict(ticket_id, target_type, target_id) "
                "do update set score = excluded.score, evidence = excluded.evidence, updated_at = excluded.updated_at "
                "where links.status = 'suggested'",
                (tid, ttype, target, row["score"], json.dumps(c["evidence"], ensure_ascii=False), now, now))
    conn.commit()
    out.sort(key=lambda r: (-r["score"], r["ticket"], r["target"]))
    return out


def _ticket_id(conn, ticket: str | int) -> int:
    row = conn.execute("select id from tickets where key = ? or id = ? order by tracker = 'local' desc limit 1",
                       (str(ticket), ticket if isinstance(ticket, int) else -1)).fetchone()
    if not row:
        keys = [r[0] for r in conn.execute("select key from tickets order by key limit 20")]
        raise ConfigError(f"unknown ticket {ticket!r}; known: {', '.join(keys) or 'none (add or sync tickets first)'}")
    return row[0]


def _target(conn, target: str | int, target_type: str | None) -> tuple[str, int]:
    """Resolve a phrase (its words or id) or a topic id ("topic:12" or 12 with target_type)."""
    text = str(target)
    if text.startswith("topic:") or target_type == "topic":
        tid = int(text.split(":", 1)[-1])
        if not conn.execute("select 1 from topics where id = ?", (tid,)).fetchone():
            raise ConfigError(f"unknown topic {tid}; see 'vocmine topics'")
        return "topic", tid
    if text.startswith("phrase:"):
        text = text.split(":", 1)[1]
    row = conn.execute("select coalesce(group_id, id) from phrases where phrase = ? or id = ?",
                       (text, int(text) if text.isdigit() else -1)).fetchone()
    if not row:
        raise ConfigError(f"unknown phrase {text!r}; see 'vocmine phrases'")
    return "phrase", row[0]


def decide_link(ws, ticket: str | int, target: str | int, status: str, *, target_type: str | None = None,
                by: str | None = None) -> dict[str, Any]:
    """Accept or reject a ticket <-> phrase/topic link (suggested or not); returns the link."""
    if status not in ("accepted", "rejected"):
        raise ConfigError(f"unknown link status {status!r}; available: accepted, rejected")
    conn = ws.db.conn
    tid = _ticket_id(conn, ticket)
    ttype, target_id = _target(conn, target, target_type)
    now = now_iso()
    with conn:
        conn.execute(
            "insert into links (ticket_id, target_type, target_id, score, evidence, status, decided_by, decided_at, "
            "created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?) on conflict(ticket_id, target_type, target_id) do "
            "update set status = excluded.status, decided_by = excluded.decided_by, decided_at = excluded.decided_at, "
            "updated_at = excluded.updated_at",
            (tid, ttype, target_id, 1.0, json.dumps(["set by hand"]), status, by or "cli", now, now, now))
    return {"ticket_id": tid, "target_type": ttype, "target_id": target_id, "status": status}


def links(ws, status: str | None = None):
    """Return links as a DataFrame: ticket, target_type, target_id, target, score, evidence, status."""
    import pandas as pd

    sql = ("select l.id, t.key as ticket, l.target_type, l.target_id, "
           "case when l.target_type = 'phrase' then p.phrase else coalesce(tp.custom_label, tp.label) end as target, "
           "l.score, l.evidence, l.status, l.decided_at from links l join tickets t on t.id = l.ticket_id "
           "left join phrases p on l.target_type = 'phrase' and p.id = l.target_id "
           "left join topics tp on l.target_type = 'topic' and tp.id = l.target_id")
    args: list[Any] = []
    if status:
        sql += " where l.status = ?"
        args.append(status)
    df = pd.read_sql_query(sql + " order by l.status, l.score desc", ws.db.conn, params=args)
    df["evidence"] = df["evidence"].map(lambda e: json.loads(e) if e else [])
    return df


def linked_feedback(conn, ticket_id: int) -> dict[int, dict[str, Any]]:
    """Return feedback id -> {created_at, language, author, quote, phrase, phrases, segments, ...} behind
    the ticket's accepted links (near-duplicates left out).

    ``phrase`` / ``quote`` are the first linked mention found; ``phrases`` holds every phrase of a
    linked phrase group the feedback used, ``exact`` those it used word for word (``word_for_word``),
    ``segments`` every linked segment id.
    """
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
    """
    from vocmine.decide.trends import week_of

    before0 = (shipped - timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ship = shipped.strftime("%Y-%m-%dT%H:%M:%SZ")
    after1 = (shipped + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def window(lo: str, hi: str) -> dict[str, Any]:
        total = conn.execute("select count(*) from feedback where duplicate_of is null and created_at >= ? "
                             "and created_at < ?", (lo, hi)).fetchone()[0]
        n = sum(1 for v in fids.values() if v["created_at"] and lo <= v["created_at"] < hi)
        days = 0
        if span:  # whole days of data inside the window, the first and last dated days counted whole
            start, end = max(_utc(lo), span[0]), min(_utc(hi), span[1])
            days = max(0, round((end - start).total_seconds() / 86400))
        return {"complaints": n, "feedback": total, "rate": round(n / total, 4) if total else None, "weeks": weeks,
                "days": days}

    first, last = conn.execute("select min(created_at), max(created_at) from feedback").fetchone()
    span = (_utc(first[:10]), _utc(last[:10]) + timedelta(days=1)) if first and last else None

    # Undated feedback is in no week (and in neither window).
    weekly_total = dict(conn.execute(
        f"select {week_of()} as w, count(*) from feedback f where f.duplicate_of is null "
        "and f.created_at is not null group by 1").fetchall())
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


def build_entries(ws, *, weeks: int = 4) -> list[dict[str, Any]]:
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


def entries(ws, status: str | None = None) -> list[dict[str, Any]]:
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


def edit_entry(ws, entry: int | str, *, title_en: str | None = None, title_ko: str | None = None,
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
