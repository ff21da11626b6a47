"""The workspace schema, as an ordered list of migrations.

A migration runs once per workspace file, inside a transaction, and is recorded in
``_migrations``. Later features append migrations; existing ones never change, so a file made
by an older vocmine opens in a newer one without loss.
"""
from __future__ import annotations

from typing import Callable

import sqlite_utils

from vocmine.core.db import table

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str):
    """Register a migration function under ``name`` (names are permanent)."""

    def wrap(fn: Migration) -> Migration:
        MIGRATIONS.append((name, fn))
        return fn

    return wrap


@migration("0001_core")
def _core(db: sqlite_utils.Database) -> None:
    table(db, "settings").create({"key": str, "value": str}, pk="key")
    table(db, "runs").create(
        {
            "id": int, "stage": str, "status": str, "started_at": str, "finished_at": str,
            "params": str, "counts": str, "error": str, "pid": int, "vocmine_version": str,
        },
        pk="id",
    )
    table(db, "runs").create_index(["stage", "started_at"])
    table(db, "feedback").create(
        {
            "id": int,
            "source": str,
            "external_id": str,
            "kind": str,  # review, survey, post, comment, support
            "author": str,  # keyed pseudonym, never the name
            "title": str,  # redacted
            "text": str,  # redacted: what analysis and publishing use
            "original_text": str,  # as received; internal only
            "rating": float,
            "rating_scale": float,
            "nps": int,
            "csat": int,
            "language": str,
            "created_at": str,
            "product": str,
            "url": str,
            "raw": str,  # the source record as JSON, author and contact removed
            "content_hash": str,
            "norm_hash": str,
            "duplicate_of": int,
            "ingested_at": str,
            "updated_at": str,
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("duplicate_of", "feedback", "id")],
    )
    table(db, "feedback").create_index(["source", "external_id"], unique=True)
    table(db, "feedback").create_index(["norm_hash"])
    table(db, "feedback").create_index(["created_at"])
    table(db, "feedback").enable_fts(
        ["title", "text"], fts_version="FTS5", create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )
    table(db, "contacts").create(
        {"author": str, "source": str, "contact": str, "consent": int, "feedback_id": int, "updated_at": str},
        pk=("source", "author"),
    )
    table(db, "rejects").create(
        {
            "id": str, "source": str, "file": str, "row": int, "field": str, "action": str,
            "reason": str, "raw": str, "run_id": int, "created_at": str,
        },
        pk="id",
    )
    table(db, "rejects").create_index(["source", "file"])


@migration("0002_tickets")
def _tickets(db: sqlite_utils.Database) -> None:
    table(db, "tickets").create(
        {
            "id": int, "tracker": str, "key": str, "title": str, "body": str, "status": str,
            "labels": str, "url": str, "release": str, "done_at": str, "created_at": str,
            "updated_at": str, "public_note_en": str, "public_note_ko": str, "raw": str,
        },
        pk="id",
    )
    table(db, "tickets").create_index(["tracker", "key"], unique=True)


@migration("0003_analysis")
def _analysis(db: sqlite_utils.Database) -> None:
    table(db, "segments").create(
        {
            "id": int, "feedback_id": int, "idx": int, "text": str, "start": int, "end": int,
            "language": str, "sentiment": float, "label": str, "complaint": int, "joined_by": str,
        },
        pk="id",
        foreign_keys=[("feedback_id", "feedback", "id")],
    )
    table(db, "segments").create_index(["feedback_id", "idx"], unique=True)
    table(db, "segments").create_index(["complaint"])
    table(db, "phrases").create(
        {"id": int, "phrase": str, "language": str, "kind": str, "group_id": int, "updated_at": str},
        pk="id",
    )
    table(db, "phrases").create_index(["language", "phrase"], unique=True)
    table(db, "phrase_mentions").create(
        {
            "id": int, "phrase_id": int, "segment_id": int, "feedback_id": int, "variant": str,
            "start": int, "end": int,
        },
        pk="id",
        foreign_keys=[("phrase_id", "phrases", "id"), ("segment_id", "segments", "id"),
                      ("feedback_id", "feedback", "id")],
    )
    table(db, "phrase_mentions").create_index(["phrase_id"])
    table(db, "phrase_mentions").create_index(["feedback_id"])
    # Which feedback rows are analysed, and against which content: a changed row is analysed again.
    table(db, "analyzed").create(
        {"feedback_id": int, "content_hash": str, "analyzer": str, "run_id": int, "analyzed_at": str},
        pk="feedback_id",
        foreign_keys=[("feedback_id", "feedback", "id")],
    )


@migration("0004_source_state")
def _source_state(db: sqlite_utils.Database) -> None:
    # Cursors of incremental collectors and tracker syncs (e.g. the newest creation time seen).
    table(db, "source_state").create(
        {"source": str, "key": str, "value": str, "updated_at": str},
        pk=("source", "key"),
    )


@migration("0005_topics")
def _topics(db: sqlite_utils.Database) -> None:
    # One vector per (segment, embedder): a weekly run embeds only segments it has not seen.
    table(db, "embeddings").create(
        {"segment_id": int, "embedder": str, "dim": int, "vector": bytes},
        pk=("segment_id", "embedder"),
        foreign_keys=[("segment_id", "segments", "id")],
    )
    table(db, "topics").create(
        {
            "id": int, "language": str, "label": str, "custom_label": str, "keywords": str, "category": str,
            "parent_id": int, "size": int, "centroid": bytes, "embedder": str, "status": str,
            "merged_into": int, "created_run": int, "updated_run": int, "created_at": str, "updated_at": str,
        },
        pk="id",
    )
    table(db, "topics").create_index(["language", "status"])
    table(db, "segment_topics").create(
        {"segment_id": int, "topic_id": int, "score": float, "method": str, "run_id": int},
        pk="segment_id",
        foreign_keys=[("segment_id", "segments", "id"), ("topic_id", "topics", "id")],
    )
    table(db, "segment_topics").create_index(["topic_id"])
    table(db, "segment_categories").create(
        {"segment_id": int, "category": str, "score": float, "method": str, "taxonomy": str},
        pk="segment_id",
        foreign_keys=[("segment_id", "segments", "id")],
    )
    table(db, "segment_categories").create_index(["category"])
    # How ids carried over a full refit, and the user's merges and splits.
    table(db, "topic_lineage").create(
        {"id": int, "old_id": int, "new_id": int, "similarity": float, "reason": str, "run_id": int,
         "created_at": str},
        pk="id",
    )
    # The user's edits (rename, merge, split), replayed after every run so they survive it.
    table(db, "topic_edits").create(
        {"id": int, "action": str, "topic_id": int, "value": str, "created_at": str},
        pk="id",
    )


@migration("0006_loop")
def _loop(db: sqlite_utils.Database) -> None:
    # Ticket <-> topic/phrase links: suggestions are kept apart from the team's decisions.
    table(db, "links").create(
        {
            "id": int, "ticket_id": int, "target_type": str, "target_id": int, "score": float, "evidence": str,
            "status": str, "decided_by": str, "decided_at": str, "created_at": str, "updated_at": str,
        },
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id")],
    )
    table(db, "links").create_index(["ticket_id", "target_type", "target_id"], unique=True)
    table(db, "links").create_index(["status"])
    # What shipped, in public words: the "we did" of each "you said, we did" entry.
    table(db, "changes").create(
        {
            "id": int, "ticket_id": int, "slug": str, "release": str, "shipped_at": str, "status": str,
            "title_en": str, "title_ko": str, "did_en": str, "did_ko": str, "edited": int,
            "said": str, "evidence": str, "created_at": str, "updated_at": str, "approved_at": str,
        },
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id")],
    )
    table(db, "changes").create_index(["ticket_id"], unique=True)
    table(db, "changes").create_index(["slug"], unique=True)
    # One row per customer told about a change, so that nobody is told twice.
    table(db, "notifications").create(
        {
            "id": int, "change_id": int, "contact": str, "author": str, "feedback_id": int, "language": str,
            "status": str, "subject": str, "body": str, "message_id": str, "error": str, "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("change_id", "changes", "id"), ("feedback_id", "feedback", "id")],
    )
    table(db, "notifications").create_index(["change_id", "contact"], unique=True)


@migration("0007_topics_extra")
def _topics_extra(db: sqlite_utils.Database) -> None:
    # A workspace-fitted embedder (kiwi-lsa) keeps its fit here, so vectors stay comparable over weeks.
    table(db, "embedder_states").create({"name": str, "state": bytes, "created_at": str}, pk="name")
    # A topic's label in other languages, set by 'vocmine topics rename ID LABEL --lang ko'.
    table(db, "topics").add_column("labels", str)


@migration("0008_notify_once")
def _notify_once(db: sqlite_utils.Database) -> None:
    # When a message's SMTP DATA began: a row left 'sending' by a killed run is shown as 'unknown'
    # (the customer may have it) and never sent again unless the operator asks (--resend-unknown).
    table(db, "notifications").add_column("attempted_at", str)


@migration("0009_originals_apart")
def _originals_apart(db: sqlite_utils.Database) -> None:
    # The unredacted text leaves the feedback table, which browsers, exports and views read. An older
    # workspace's originals move to the side file <workspace>.originals (attached as "originals" by
    # the workspace before this runs, only when there are any); new workspaces keep none by default.
    conn = db.conn
    if any(r[1] == "originals" for r in conn.execute("pragma database_list")):
        conn.execute("insert or replace into originals.originals (feedback_id, text) "
                     "select id, original_text from main.feedback where original_text is not null")
    conn.execute("alter table feedback drop column original_text")


@migration("0010_ticket_dates_checked")
def _ticket_dates_checked(db: sqlite_utils.Database) -> None:
    # Tickets stored before dates were checked can hold text no stage can read ("yesterday-ish"),
    # which broke `entries build` and the weekly links stage. Such a date becomes NULL (no entry is
    # built from it) and the value is kept in the ticket's raw JSON under "invalid".
    import json

    from vocmine.core.dates import parse_datetime

    conn = db.conn
    for tid, done_at, created_at, raw in conn.execute(
            "select id, done_at, created_at, raw from tickets").fetchall():
        bad = {}
        for name, value in (("done_at", done_at), ("created_at", created_at)):
            if value in (None, ""):
                continue
            try:
                parse_datetime(value)
            except (ValueError, OverflowError, TypeError):
                bad[name] = value
        if not bad:
            continue
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw}
        if not isinstance(data, dict):
            data = {"raw": data}
        data.setdefault("invalid", {}).update(bad)
        sets = ", ".join(f"{k} = null" for k in bad)
        conn.execute(f"update tickets set {sets}, raw = ? where id = ?",
                     (json.dumps(data, ensure_ascii=False, default=str), tid))


@migration("0011_rejects_redacted")
def _rejects_redacted(db: sqlite_utils.Database) -> None:
    # Rejects stored before their raw copy was redacted kept customers' emails, phones and names.
    # Redact what is there; authors cannot be told apart from other fields any more, so a name is
    # removed only where the redactor recognises one (new rejects pseudonymise the author field).
    from vocmine.core.privacy import redact

    conn = db.conn
    for rid, raw in conn.execute("select id, raw from rejects where raw is not null and raw != ''").fetchall():
        clean = redact(raw)
        if clean != raw:
            conn.execute("update rejects set raw = ? where id = ?", (clean, rid))


@migration("0012_phrase_aspects")
def _phrase_aspects(db: sqlite_utils.Database) -> None:
    # A phrase carries its parts: what the complaint is about (aspect) and what is wrong (opinion).
    for col in ("aspect", "opinion"):
        table(db, "phrases").add_column(col, str)
    table(db, "phrases").create_index(["language", "aspect"])
    # Per aspect, how often complaint segments and the other segments mention it (on a sample when
    # the workspace is large) and the smoothed log-odds of the two rates.
    table(db, "aspect_stats").create(
        {"language": str, "aspect": str, "complaint_segments": int, "other_segments": int,
         "sampled_complaints": int, "sampled_others": int, "score": float, "updated_at": str},
        pk=("language", "aspect"),
    )
    # Phrase groups that mean the same although their words differ ("fabric thin" ~ "material
    # thin"), found with the packaged sentence embedder by the topic stage and kept here so that
    # every later grouping (analyze runs without a model) applies them.
    table(db, "phrase_merges").create(
        {"language": str, "a": str, "b": str, "score": float, "embedder": str, "created_at": str},
        pk=("language", "a", "b"),
    )


@migration("0013_backfill_history")
def _backfill_history(db: sqlite_utils.Database) -> None:
    # A backfill may load only its newer rows whole (``load_analysis(since=...)``): an older row's
    # analysis stays in the backfill's Parquet folder, named here, and the row is marked analysed
    # so that nothing analyses it again. Null for a row whose segments are in this workspace.
    table(db, "analyzed").add_column("summarised", str)
    # The weekly counts of those summarised rows, the tables of vocmine.jobs.backfill_aggregates
    # (the same keys and measures), added to as each partition's rows are summarised.
    measures = {"volume": int, "complaint_volume": int, "segments": int, "complaint_segments": int,
                "sentiment_sum": float, "sentiment_n": int, "complaint_sentiment_sum": float,
                "complaint_sentiment_n": int}
    table(db, "history_weeks").create({"week": str, "feedback": int}, pk="week")
    table(db, "history_segment_weeks").create(
        {"week": str, "language": str, "feedback": int, "complaint_feedback": int, "segments": int,
         "complaints": int, "sentiment_sum": float, "sentiment_n": int},
        pk=("week", "language"),
    )
    table(db, "history_phrase_weeks").create({"week": str, "lang": str, "canonical": str, **measures},
                                             pk=("week", "lang", "canonical"))
