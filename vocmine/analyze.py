"""The "understand" stage: feedback into segments, sentiment, complaints and phrase mentions.

Incremental: a feedback row is analysed once per content (the ``analyzed`` table remembers the
content hash it saw); a changed row is analysed again, and a re-run with nothing new does
nothing. Each batch is written in one transaction, so a killed run loses at most a batch.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from .dates import now_iso

log = logging.getLogger(__name__)
BATCH = 500
ANALYZER = "v1"


@dataclass
class AnalyzeResult:
    """What one analyze run did."""

    feedback: int = 0
    segments: int = 0
    complaints: int = 0
    mentions: int = 0
    phrases: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _pending(conn, reanalyze: bool) -> list[tuple]:
    sql = (
        "select f.id, f.text, f.language, f.rating, f.rating_scale, f.content_hash from feedback f "
        "left join analyzed a on a.feedback_id = f.id "
        + ("" if reanalyze else "where a.feedback_id is null or a.content_hash != f.content_hash or a.analyzer != ? ")
        + "order by f.id"
    )
    return conn.execute(sql, () if reanalyze else (ANALYZER,)).fetchall()


def analyze(ws, *, sentiment: str | None = None, english_model: str | None = None, reanalyze: bool = False,
            batch_size: int = BATCH, progress: Callable[[int, int], Any] | None = None) -> AnalyzeResult:
    """Analyse feedback not analysed yet (or changed since); returns counts.

    ``sentiment`` names the sentiment model ("lexicon", the default, or a local transformers
    directory); ``english_model`` an installed spaCy pipeline or directory. A second analyze of the
    same workspace waits for the first, then analyses only what is still new.
    """
    from .db import stage_lock

    with stage_lock(ws.path, "analyze"):
        return _analyze(ws, sentiment=sentiment, english_model=english_model, reanalyze=reanalyze,
                        batch_size=batch_size, progress=progress)


def _analyze(ws, *, sentiment: str | None, english_model: str | None, reanalyze: bool, batch_size: int,
             progress: Callable[[int, int], Any] | None) -> AnalyzeResult:
    from .understand import phrases as ph
    from .understand.segment import segment_many
    from .understand.sentiment import get_sentiment

    conn = ws.db.conn
    result = AnalyzeResult()
    params = {"sentiment": sentiment or "lexicon", "english_model": english_model, "reanalyze": reanalyze}
    with ws.run("analyze", params) as counts:
        todo = _pending(conn, reanalyze)
        if not todo:
            counts.update(result.as_dict())
            return result
        model = get_sentiment(sentiment)
        phrase_ids: dict[tuple[str, str], int] = {
            (lang, p): i for i, p, lang in conn.execute("select id, phrase, language from phrases")}
        run_id = counts["_run_id"]
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            texts = [r[1] or "" for r in batch]
            langs = [r[2] if r[2] in ("en", "ko") else "mixed" for r in batch]
            all_segs = segment_many(texts, langs, english_model=english_model)
            now = now_iso()
            with conn:
                ids = [r[0] for r in batch]
                marks = ",".join("?" * len(ids))
                conn.execute(f"delete from phrase_mentions where feedback_id in ({marks})", ids)
                conn.execute(f"delete from segments where feedback_id in ({marks})", ids)
                for (fid, _text, _lang, rating, scale, chash), segs in zip(batch, all_segs):
                    judged = model.judge(segs, rating=rating, rating_scale=scale or 5) if segs else []
                    for seg, j in zip(segs, judged):
                        cur = conn.execute(
                            "insert into segments (feedback_id, idx, text, start, end, language, sentiment, label, "
                            "complaint, joined_by) values (?,?,?,?,?,?,?,?,?,?)",
                            (fid, seg.index, seg.text, seg.start, seg.end, seg.lang, round(float(j.score), 4),
                             j.label, int(j.complaint), seg.joined_by),
                        )
                        result.segments += 1
                        if not j.complaint:
                            continue
                        result.complaints += 1
                        sid = cur.lastrowid
                        for m in ph.extract(seg):
                            key = (m.lang, m.canonical)
                            pid = phrase_ids.get(key)
                            if pid is None:
                                pid = conn.execute(
                                    "insert into phrases (phrase, language, kind, updated_at) values (?,?,?,?)",
                                    (m.canonical, m.lang, m.kind, now)).lastrowid
                                phrase_ids[key] = pid
                            conn.execute(
                                "insert into phrase_mentions (phrase_id, segment_id, feedback_id, variant, start, end) "
                                "values (?,?,?,?,?,?)", (pid, sid, fid, m.variant, m.start, m.end))
                            result.mentions += 1
                    conn.execute(
                        "insert or replace into analyzed (feedback_id, content_hash, analyzer, run_id, analyzed_at) "
                        "values (?,?,?,?,?)", (fid, chash, ANALYZER, run_id, now))
                    result.feedback += 1
            counts.update(result.as_dict())
            if progress:
                progress(min(start + batch_size, len(todo)), len(todo))
        result.phrases = regroup(ws)
        counts.update(result.as_dict())
    log.info("analyze: %s", result.as_dict())
    return result


def regroup(ws) -> int:
    """Fold near-synonymous phrases into groups (``phrases.group_id`` = the head's id); returns #phrases."""
    from .understand import phrases as ph

    conn = ws.db.conn
    rows = conn.execute(
        "select p.id, p.phrase, p.language, count(distinct m.feedback_id) from phrases p "
        "join phrase_mentions m on m.phrase_id = p.id group by p.id").fetchall()
    by_lang: dict[str, dict[str, int]] = defaultdict(dict)
    ids: dict[tuple[str, str], int] = {}
    for pid, phrase, lang, n in rows:
        by_lang[lang][phrase] = n
        ids[(lang, phrase)] = pid
    with conn:
        conn.execute("update phrases set group_id = null")
        for lang, counts in by_lang.items():
            heads = ph.group(counts, lang)
            for phrase, head in heads.items():
                conn.execute("update phrases set group_id = ? where id = ?", (ids[(lang, head)], ids[(lang, phrase)]))
    return len(rows)


def parse_rating_range(value) -> tuple[float, float] | None:
    """Return (low, high) from 2, "2", "1-2", (1, 2) or None; ConfigError on anything else."""
    from .errors import ConfigError

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


def phrases(ws, *, since: str | None = None, until: str | None = None, lang: str | None = None,
            source: str | None = None, rating=None, min_customers: int = 1, limit: int | None = 50):
    """Return ranked complaint phrases as a DataFrame: phrase, customers, mentions, variants,
    examples, share_of_complaints, trend, rating_impact (see ``understand.phrases.rank``)."""
    import pandas as pd

    from .dates import parse_datetime
    from .understand import phrases as ph

    from .errors import ConfigError

    clauses, args = ["f.duplicate_of is null"], []
    for op, value in ((">=", since), ("<", until)):
        if value:
            try:
                args.append(parse_datetime(value))
            except ValueError as exc:
                raise ConfigError(f"bad date {value!r}: {exc}") from exc
            clauses.append(f"f.created_at {op} ?")
    if lang:
        clauses.append("p.language = ?")
        args.append(lang)
    if source:
        clauses.append("f.source = ?")
        args.append(source)
    base_where, base_args = " and ".join(clauses).replace("p.language", "f.language"), list(args)
    rng = parse_rating_range(rating)
    if rng:
        clauses.append("f.rating between ? and ?")
        args += list(rng)
    where = " and ".join(clauses)
    sql = (
        "select coalesce(h.phrase, p.phrase) as phrase, p.language as language, "
        "m.variant as variant, "
        "coalesce(f.author, 'fb' || f.id) as customer, f.id as feedback_id, "
        "case when f.rating_scale > 0 then f.rating * 5.0 / f.rating_scale else f.rating end as rating, "
        "f.created_at as created_at, s.complaint as is_complaint_segment, s.text as quote "
        "from phrase_mentions m join phrases p on p.id = m.phrase_id left join phrases h on h.id = p.group_id "
        "join segments s on s.id = m.segment_id join feedback f on f.id = m.feedback_id "
        f"where {where}"
    )
    conn = ws.db.conn
    df = pd.read_sql_query(sql, conn, params=args)
    fwhere = where.replace("p.language", "f.language")
    total = conn.execute(
        "select count(distinct s.feedback_id) from segments s join feedback f on f.id = s.feedback_id "
        f"where s.complaint = 1 and {fwhere}", args).fetchone()[0]
    # Rating impact compares with all feedback in the window, not only the filtered ratings.
    overall = conn.execute(
        "select avg(case when f.rating_scale > 0 then f.rating * 5.0 / f.rating_scale else f.rating end) "
        f"from feedback f where {base_where}", base_args).fetchone()[0]
    out = ph.rank(df.drop(columns=["language"]), total_complaints=total or None, overall_rating=overall)
    if len(out):
        lang_of = df.drop_duplicates("phrase").set_index("phrase")["language"]
        out.insert(1, "language", out["phrase"].map(lang_of))
    out = out[out["customers"] >= min_customers].reset_index(drop=True)
    return out.head(limit) if limit else out


def segments(ws, *, feedback_id: int | None = None, complaint: bool | None = None, lang: str | None = None,
             limit: int | None = None):
    """Return segments as a DataFrame, optionally for one feedback row, complaints only, or one language."""
    import pandas as pd

    clauses, args = [], []
    if feedback_id is not None:
        clauses.append("feedback_id = ?")
        args.append(int(feedback_id))
    if complaint is not None:
        clauses.append("complaint = ?")
        args.append(int(complaint))
    if lang:
        clauses.append("language = ?")
        args.append(lang)
    sql = "select * from segments" + (" where " + " and ".join(clauses) if clauses else "") + " order by feedback_id, idx"
    if limit:
        sql += f" limit {int(limit)}"
    return pd.read_sql_query(sql, ws.db.conn, params=args)
