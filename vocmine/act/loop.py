"""Close the loop: link tickets to what customers said, and turn shipped fixes into entries.

- ``suggest_links`` ranks ticket <-> phrase and ticket <-> topic pairs by evidence: the ticket
  quoting the customers' phrase (explicit reference), sharing its taxonomy category, sharing
  words, and (with an embedder) semantic similarity. Suggestions never overwrite a decision; a
  rejected pair is not suggested again.
- ``build_entries`` (in ``act/entries.py``, re-exported here) makes one "you said, we did"
  draft per shipped ticket with accepted links.
"""
from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from vocmine.act.entries import (  # noqa: F401 - the loop's second half, importable from here as before
    DONE, build_entries, edit_entry, entries, linked_feedback, word_for_word,
)
from vocmine.core.dates import now_iso
from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)

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


def suggest_links(ws: "Store", *, min_score: float = 0.35, taxonomy: dict | None = None, min_customers: int = 2,
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


def decide_link(ws: "Store", ticket: str | int, target: str | int, status: str, *, target_type: str | None = None,
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


def links(ws: "Store", status: str | None = None):
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
