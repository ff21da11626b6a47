"""The "understand" stage: feedback into segments, sentiment, complaints and phrase mentions.

Incremental: a feedback row is analysed once per content (the ``analyzed`` table remembers the
content hash it saw); a changed row is analysed again, and a re-run with nothing new does
nothing. Each batch is written in one transaction, so a killed run loses at most a batch.
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from vocmine.core.dates import now_iso

if TYPE_CHECKING:
    from vocmine.core.store import Store
    from vocmine.understand.segment import Segment

log = logging.getLogger(__name__)
BATCH = 500
# v2: English complaint segments read by the tagger and parser; phrases carry aspect and opinion.
ANALYZER = "v2"


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


def analyze(ws: "Store", *, sentiment: str | None = None, english_model: str | None = None, reanalyze: bool = False,
            batch_size: int = BATCH, progress: Callable[[int, int], Any] | None = None) -> AnalyzeResult:
    """Analyse feedback not analysed yet (or changed since); returns counts.

    ``sentiment`` names the sentiment model ("lexicon", the default, or a local transformers
    directory); ``english_model`` an installed spaCy pipeline or directory. A second analyze of the
    same workspace waits for the first, then analyses only what is still new.
    """
    from vocmine.core.db import stage_lock

    with stage_lock(ws.path, "analyze"):
        return _analyze(ws, sentiment=sentiment, english_model=english_model, reanalyze=reanalyze,
                        batch_size=batch_size, progress=progress)


def _analyze(ws: "Store", *, sentiment: str | None, english_model: str | None, reanalyze: bool, batch_size: int,
             progress: Callable[[int, int], Any] | None) -> AnalyzeResult:
    from vocmine.understand.sentiment import get_sentiment

    conn = ws.db.conn
    result = AnalyzeResult()
    params = {"sentiment": sentiment or "lexicon", "english_model": english_model, "reanalyze": reanalyze}
    with ws.run("analyze", params) as counts:
        todo = _pending(conn, reanalyze)
        if not todo:
            counts.update(result.as_dict())
            return result
        model = get_sentiment(sentiment)
        if hasattr(model, "learn"):
            model.learn(learned_words(ws, model, english_model))
        phrase_ids: dict[tuple[str, str], int] = {
            (lang, p): i for i, p, lang in conn.execute("select id, phrase, language from phrases")}
        run_id = counts["_run_id"]
        batches = [todo[k:k + batch_size] for k in range(0, len(todo), batch_size)]
        pool = _row_pool(todo, model, sentiment, english_model)
        try:
            # a worker that dies raises BrokenProcessPool here instead of hanging the run
            results = pool.map(_pool_batch, batches) if pool is not None else \
                (analyze_rows(b, model, english_model) for b in batches)
            done = 0
            for batch, rows in zip(batches, results):
                _write_batch(conn, batch, rows, phrase_ids, result, run_id)
                counts.update(result.as_dict())
                done += len(batch)
                if progress:
                    progress(done, len(todo))
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        result.phrases = regroup(ws)
        counts.update(result.as_dict())
    log.info("analyze: %s", result.as_dict())
    return result


def analyze_rows(rows: list[tuple], model, english_model: str | None = None) -> list[list[tuple]]:
    """The stage's work on feedback rows, without the workspace: segments, judgements, phrases.

    ``rows`` are (id, text, language, rating, rating_scale, content_hash). Returns, per row,
    a list of (segment row, mentions) where the segment row is (idx, text, start, end, lang,
    score, label, complaint, joined_by) and mentions the ``PhraseMention``s of a complaint
    segment. It runs in this process or in a worker; both give the same result.
    """
    from vocmine.understand import phrases as ph
    from vocmine.understand.segment import segment_many

    texts = [r[1] or "" for r in rows]
    langs = [r[2] if r[2] in ("en", "ko") else "mixed" for r in rows]
    all_segs = segment_many(texts, langs, english_model=english_model)
    judged_all: list[list[Any]] = []
    complaint_segs: list[Segment] = []
    for (_fid, _text, _lang, rating, scale, _chash), segs in zip(rows, all_segs):
        judged = model.judge(segs, rating=rating, rating_scale=scale or 5) if segs else []
        judged_all.append(judged)
        complaint_segs.extend(seg for seg, j in zip(segs, judged) if j.complaint)
    parser = english_model if _has_parser(english_model) else None
    found = ph.extract_many(complaint_segs, parser=parser)
    by_seg = {id(seg): ms for seg, ms in zip(complaint_segs, found)}
    out = []
    for segs, judged in zip(all_segs, judged_all):
        out.append([((seg.index, seg.text, seg.start, seg.end, seg.lang, round(float(j.score), 4), j.label,
                      int(j.complaint), seg.joined_by), by_seg.get(id(seg), []) if j.complaint else [])
                    for seg, j in zip(segs, judged)])
    return out


def _write_batch(conn, batch: list[tuple], rows: list[list[tuple]], phrase_ids: dict, result: AnalyzeResult,
                 run_id: int) -> None:
    """Write one batch's segments and phrase mentions in one transaction."""
    now = now_iso()
    with conn:
        ids = [r[0] for r in batch]
        marks = ",".join("?" * len(ids))
        conn.execute(f"delete from phrase_mentions where feedback_id in ({marks})", ids)
        conn.execute(f"delete from segments where feedback_id in ({marks})", ids)
        for (fid, _text, _lang, _rating, _scale, chash), segs in zip(batch, rows):
            for seg_row, mentions in segs:
                cur = conn.execute(
                    "insert into segments (feedback_id, idx, text, start, end, language, sentiment, label, "
                    "complaint, joined_by) values (?,?,?,?,?,?,?,?,?,?)", (fid, *seg_row))
                result.segments += 1
                if not seg_row[7]:
                    continue
                result.complaints += 1
                sid = cur.lastrowid
                for m in mentions:
                    key = (m.lang, m.canonical)
                    pid = phrase_ids.get(key)
                    if pid is None:
                        pid = conn.execute(
                            "insert into phrases (phrase, language, kind, aspect, opinion, updated_at) "
                            "values (?,?,?,?,?,?)", (m.canonical, m.lang, m.kind, m.aspect, m.opinion, now)).lastrowid
                        phrase_ids[key] = pid
                    conn.execute(
                        "insert into phrase_mentions (phrase_id, segment_id, feedback_id, variant, start, end) "
                        "values (?,?,?,?,?,?)", (pid, sid, fid, m.variant, m.start, m.end))
                    result.mentions += 1
            conn.execute(
                "insert or replace into analyzed (feedback_id, content_hash, analyzer, run_id, analyzed_at) "
                "values (?,?,?,?,?)", (fid, chash, ANALYZER, run_id, now))
            result.feedback += 1


def _has_parser(english_model: str | None) -> bool:
    """Whether ``english_model`` (the segmentation pipeline a user named) can also parse."""
    if not english_model:
        return False
    from vocmine.understand.nlp import get_english

    return get_english(english_model).has_pipe("parser")


def learned_words(ws: "Store", model, english_model: str | None = None) -> dict[str, float]:
    """Return the English complaint adjectives learned from this workspace's ratings (word ->
    valence), learning them again when the number of rated English reviews changed by more than
    ``learned.RELEARN_AT`` since the last time (they are kept in ``sentiment.learned.en``)."""
    from vocmine.understand import learned, phrases as ph
    from vocmine.understand.phrases_en import STOP

    conn = ws.db.conn
    rated = conn.execute("select count(*) from feedback where language = 'en' and rating is not null").fetchone()[0]
    key = "sentiment.learned.en"
    raw = ws.setting(key)
    kept = json.loads(raw) if raw else None
    if kept and kept.get("version") == LEARNED_VERSION and \
            abs(rated - kept.get("rated", 0)) <= learned.RELEARN_AT * max(1, kept.get("rated", 0)):
        return learned.valences(kept["words"])
    words: list[dict] = []
    parser = None
    if rated >= learned.MIN_RATED:
        parser = ph.english_parser(english_model if _has_parser(english_model) else None)
    if parser is not None:
        rows = conn.execute("select text, rating, rating_scale from feedback "
                            "where language = 'en' and rating is not null").fetchall()
        words = learned.learn(rows, parser, known=model.known_words() | STOP)
        log.info("analyze: %d complaint adjectives learned from %d rated reviews: %s", len(words), rated,
                 ", ".join(w["word"] for w in words[:20]))
    ws.set_setting(key, json.dumps({"version": LEARNED_VERSION, "rated": rated, "words": words}))
    return learned.valences(words)


LEARNED_VERSION = 1


# Below this many feedback rows, worker processes cost more than they save.
POOL_MIN_ROWS = 2000
_WORKER: dict[str, Any] = {}


def _pool_batch(batch: list[tuple]) -> list[list[tuple]]:
    return analyze_rows(batch, _WORKER["model"], _WORKER["english_model"])


def _row_pool(todo: list, model, sentiment: str | None, english_model: str | None):
    """Return a process pool for a large backlog on a machine with cores to spare, else None.

    Workers are forked after the English pipelines are loaded, so they share those pages; each
    runs ``analyze_rows`` on whole batches and the parent only writes. Kiwi is left to load in
    each worker (its thread pool does not survive a fork), and a transformers sentiment model
    keeps to this process. ``VOCMINE_WORKERS`` sets the number of workers (0 or 1: none).
    """
    import multiprocessing as mp
    import os

    try:
        workers = int(os.environ.get("VOCMINE_WORKERS", "") or (os.cpu_count() or 1))
    except ValueError:
        workers = 1
    # Kiwi already analyses Korean on every core from its own threads: workers would only add
    # their own Kiwi loads, so they are for backlogs with enough text for spaCy.
    spacy_rows = sum(1 for r in todo if r[2] != "ko")
    if workers < 2 or spacy_rows < POOL_MIN_ROWS or os.name != "posix" or (sentiment or "lexicon") != "lexicon":
        return None
    from vocmine.understand import phrases as ph
    from vocmine.understand.nlp import get_english

    if any(r[2] != "ko" for r in todo):
        get_english(english_model)
        ph.english_parser(english_model if _has_parser(english_model) else None)
    from vocmine.understand.sentiment import english_lexicon

    english_lexicon()
    _WORKER.update(model=model, english_model=english_model)
    from concurrent.futures import ProcessPoolExecutor

    try:
        return ProcessPoolExecutor(min(workers, 4), mp_context=mp.get_context("fork"), initializer=_fresh_kiwi)
    except (OSError, ValueError) as exc:  # no fork here: analyse in this process
        log.info("analyze: no worker processes (%s); analysing in this process", exc)
        return None


def _fresh_kiwi() -> None:
    """In a forked worker, set the parent's Kiwi aside (its threads did not come along) so that
    the worker loads its own; the inherited one is kept, never freed, because freeing it would
    wait for threads that only exist in the parent."""
    from vocmine.understand.nlp import get_kiwi

    if get_kiwi.cache_info().currsize:
        _INHERITED.append(get_kiwi())
        get_kiwi.cache_clear()


_INHERITED: list[Any] = []


def _phrase_users(conn, lang: str | None = None) -> list[tuple]:
    """(id, phrase, language, aspect, opinion, n) of every phrase (of ``lang``) that feedback uses,
    in id order. ``n`` counts the rows with a stored mention, plus, after a partial backfill load,
    the summarised rows counted in the history (each row is in one week, so a phrase's weekly
    volumes add up to its rows)."""
    return conn.execute(
        "select p.id, p.phrase, p.language, p.aspect, p.opinion, coalesce(m.n, 0) + coalesce(h.n, 0) as n "
        "from phrases p "
        "left join (select phrase_id, count(distinct feedback_id) as n from phrase_mentions group by phrase_id) m "
        "on m.phrase_id = p.id "
        "left join (select lang, canonical, sum(volume) as n from history_phrase_weeks group by lang, canonical) h "
        "on h.lang = p.language and h.canonical = p.phrase "
        "where coalesce(m.n, 0) + coalesce(h.n, 0) > 0" + (" and p.language = ?" if lang is not None else "") + " order by p.id",
        (lang,) if lang is not None else ()).fetchall()


def regroup(ws: "Store") -> int:
    """Fold near-synonymous phrases into groups (``phrases.group_id`` = the head's id); returns #phrases.

    The aspect statistics are refreshed first (``aspect_statistics``). Phrases group on their
    aspect (or the taxonomy category whose keywords list it) and their opinion's lemmas, plus
    the merges by meaning that the topic stage found (``phrase_merges``).
    """
    from vocmine.understand import phrases as ph

    conn = ws.db.conn
    aspect_statistics(ws)
    aliases = _taxonomy_aliases(ws)
    rows = _phrase_users(conn)
    by_lang: dict[str, dict[str, int]] = defaultdict(dict)
    parts: dict[str, dict[str, tuple]] = defaultdict(dict)
    ids: dict[tuple[str, str], int] = {}
    for pid, phrase, lang, aspect, opinion, n in rows:
        by_lang[lang][phrase] = n
        parts[lang][phrase] = (aspect, opinion)
        ids[(lang, phrase)] = pid
    with conn:
        conn.execute("update phrases set group_id = null")
        for lang, counts in by_lang.items():
            merges = conn.execute("select a, b from phrase_merges where language = ?", (lang,)).fetchall()
            heads = ph.group(counts, lang, parts=parts[lang], aliases=aliases.get(lang), merges=merges)
            for phrase, head in heads.items():
                conn.execute("update phrases set group_id = ? where id = ?", (ids[(lang, head)], ids[(lang, phrase)]))
    return len(rows)


def merge_by_meaning(ws: "Store", embedder, *, lang: str = "en", min_customers: int = 2, limit: int = 3000) -> int:
    """Find phrase groups that mean the same with ``embedder`` (``embed(texts)``), store them in
    ``phrase_merges`` and regroup; returns the number of merges. The topic stage calls this with
    the packaged English sentence embedder, so ``analyze`` itself never loads a model.

    Only groups used by ``min_customers`` or more are compared (at most ``limit``, the biggest).
    """
    from vocmine.understand import phrases as ph

    conn = ws.db.conn
    aliases = _taxonomy_aliases(ws).get(lang)
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for _pid, phrase, _lang, aspect, opinion, n in _phrase_users(conn, lang):
        by_key[ph.part_key(phrase, lang, (aspect, opinion), aliases=aliases)].append((phrase, n))
    sized = sorted(((sum(n for _, n in v), k) for k, v in by_key.items()), reverse=True)
    heads = {k: max(by_key[k], key=lambda x: x[1])[0] for total, k in sized[:limit] if total >= min_customers}
    found = ph.merge_keys(heads, embedder.embed, lang=lang)
    now = now_iso()
    with conn:
        conn.execute("delete from phrase_merges where language = ?", (lang,))
        conn.executemany(
            "insert or replace into phrase_merges (language, a, b, score, embedder, created_at) values (?,?,?,?,?,?)",
            [(lang, a, b, s, getattr(embedder, "name", type(embedder).__name__), now) for a, b, s in found])
    regroup(ws)
    return len(found)


def taxonomy_keywords(ws: "Store", taxonomy: Any = None) -> dict[str, dict[str, str]]:
    """Return, per language, keyword -> category id for every keyword of ``taxonomy`` (a dict or
    path), else the workspace's accepted taxonomy, else vocmine's default: the domain words a team
    keeps in YAML. The first category that lists a word keeps it."""
    from vocmine.core.resources import workspace_taxonomy

    tax = workspace_taxonomy(ws, taxonomy)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for cat in tax["categories"]:
        for lang, words in (cat.get("keywords") or {}).items():
            for w in words:
                out[str(lang)].setdefault(str(w).lower(), cat["id"])
    return out


def _taxonomy_aliases(ws: "Store") -> dict[str, dict[str, str]]:
    """Return, per language, aspect -> "category:<id>": the grouping name of a taxonomy keyword."""
    from vocmine.core.errors import ConfigError

    try:
        words = taxonomy_keywords(ws)
    except ConfigError as exc:
        log.warning("analyze: taxonomy not used for phrase groups: %s", exc)
        return {}
    return {lang: {w: f"category:{c}" for w, c in by.items()} for lang, by in words.items()}


# Segments read per language and per side (complaint, other) to measure how often an aspect is mentioned.
ASPECT_SAMPLE = 5_000


def _sample_segments(conn, lang: str, complaint: int, n: int) -> tuple[list[str], int]:
    total = conn.execute("select count(*) from segments where language = ? and complaint = ?",
                         (lang, complaint)).fetchone()[0]
    step = max(1, total // n)
    texts = [t.lower() for (t,) in conn.execute(
        "select text from segments where language = ? and complaint = ? and id % ? = 0 limit ?",
        (lang, complaint, step, n))]
    return texts, total


def _en_grams(text: str) -> set[str]:
    import re

    words = re.findall(r"[a-z0-9]+(?:['-][a-z0-9]+)*", text)
    stems = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]
    out: set[str] = set()
    for seq in (words, stems):
        for n in (1, 2, 3):
            for i in range(len(seq) - n + 1):
                out.add(" ".join(seq[i:i + n]))
    return out


def _ko_grams(text: str) -> set[str]:
    """Korean: every prefix of each word, alone and after the word before (nouns start a word;
    "배터리 수명" and "배터리수명" both count)."""
    words = [w.strip(".,!?~…\"'()[]") for w in text.split()]
    out: set[str] = set()
    prev = ""
    for w in words:
        for k in range(1, min(len(w), 12) + 1):
            out.add(w[:k])
            if prev:
                out.add(f"{prev} {w[:k]}")
        prev = w
    return out


def _ko_forms(aspect: str) -> set[str]:
    """Korean spacing varies: "고객 센터 연결" is also written "고객센터 연결" or "고객센터연결"."""
    parts = aspect.lower().split()[:4]
    out = set()
    for mask in range(2 ** max(len(parts) - 1, 0)):
        text = parts[0]
        for k, p in enumerate(parts[1:]):
            text += (" " if mask >> k & 1 else "") + p
        out.add(text)
    return out


def _count_forms(texts: list[str], forms: dict[str, set[str]], grams) -> Counter:
    counts: Counter = Counter()
    for t in texts:
        hit: set[str] = set()
        for g in grams(t):
            if g in forms:
                hit |= forms[g]
        counts.update(hit)
    return counts


def _en_forms(aspect: str) -> set[str]:
    words = aspect.lower().split()
    last = words[-1]
    stem = last[:-1] if len(last) > 3 and last.endswith("s") and not last.endswith("ss") else last
    return {" ".join(words[:-1] + [w]) for w in {last, stem}}


def aspect_statistics(ws: "Store", *, sample: int = ASPECT_SAMPLE, min_mentions: int = 2) -> int:
    """Measure, per aspect, how much more complaint segments mention it than the other segments.

    For every aspect that the phrases of at least ``min_mentions`` complaint segments name, count
    the segments that mention it among (a sample of up to ``sample``) complaint segments and
    other segments of its language, and store a smoothed log-odds ``score`` in
    ``aspect_stats``: above 0, complaints mention the aspect more than the rest of the feedback
    does; well below 0, customers mostly praise it. Returns the number of aspects measured.
    """
    import math

    conn = ws.db.conn
    cands = conn.execute(
        "select p.language, p.aspect, count(distinct m.segment_id) from phrases p "
        "join phrase_mentions m on m.phrase_id = p.id where p.aspect is not null and p.aspect != '' "
        "group by p.language, p.aspect having count(distinct m.segment_id) >= ?", (min_mentions,)).fetchall()
    by_lang: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for lang, aspect, n in cands:
        by_lang[lang].append((aspect, n))
    now = now_iso()
    stats = []
    for lang, aspects in by_lang.items():
        comp, n_comp = _sample_segments(conn, lang, 1, sample)
        other, n_other = _sample_segments(conn, lang, 0, sample)
        forms: dict[str, set[str]] = defaultdict(set)  # written form -> aspects it stands for
        for aspect, _n in aspects:
            for f in (_en_forms(aspect) if lang == "en" else _ko_forms(aspect)):
                forms[f].add(aspect)
        grams = _en_grams if lang == "en" else _ko_grams
        c_counts = _count_forms(comp, forms, grams)
        o_counts = _count_forms(other, forms, grams)
        for aspect, _n in aspects:
            c, o = c_counts.get(aspect, 0), o_counts.get(aspect, 0)
            score = math.log(((c + 0.5) / (len(comp) + 1)) / ((o + 0.5) / (len(other) + 1))) if other else 0.0
            stats.append((lang, aspect, round(c * n_comp / max(len(comp), 1)), round(o * n_other / max(len(other), 1)),
                          c, o, round(score, 4), now))
    with conn:
        conn.execute("delete from aspect_stats")
        conn.executemany(
            "insert into aspect_stats (language, aspect, complaint_segments, other_segments, sampled_complaints, "
            "sampled_others, score, updated_at) values (?,?,?,?,?,?,?,?)", stats)
    return len(stats)
