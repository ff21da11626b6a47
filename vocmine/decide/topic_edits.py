"""The team's edits of topics: rename, merge and split, each applied at once, recorded in
``topic_edits`` and replayed by every later run (``topic_stage.replay_edits``).

Apart from ``topics`` (the model and the SQL of each edit) because an edit refreshes the topic
stage, which itself uses ``topics``.
"""
from __future__ import annotations

from typing import Sequence

from vocmine.core.errors import ConfigError
from vocmine.core.resources import workspace_taxonomy
from vocmine.decide.families import refresh
from vocmine.decide.topics import _topic_row, apply_merge, apply_rename, apply_split, record_edit, topic_dict


def rename_topic(ws, topic_id: int, label: str, lang: str | None = None) -> dict:
    """Rename a topic (kept across runs); ``lang`` names the label's language. Returns the topic."""
    if not label or not label.strip():
        raise ConfigError("a topic label cannot be empty")
    conn = ws.db.conn
    with conn:
        apply_rename(conn, int(topic_id), label.strip(), lang)
        record_edit(conn, "rename", topic_id, {"label": label.strip(), "lang": lang})
    return topic_dict(ws, int(topic_id))


def merge_topics(ws, target: int, sources: Sequence[int]) -> dict:
    """Merge ``sources`` into ``target`` (kept across runs and refits); returns the target topic."""
    sources = [int(s) for s in sources if int(s) != int(target)]
    if not sources:
        raise ConfigError("name at least two different topics to merge: TARGET SOURCE...")
    conn = ws.db.conn
    langs = {_topic_row(conn, t)[1] for t in [target, *sources]}
    if len(langs) > 1:
        raise ConfigError(f"topics {target}, {', '.join(map(str, sources))} are in different languages "
                          f"({', '.join(sorted(langs))}); merge topics of one language")
    with conn:
        apply_merge(conn, int(target), sources)
        record_edit(conn, "merge", target, {"sources": sources})
        _refresh(ws)
    return topic_dict(ws, int(target))


def split_topic(ws, topic_id: int, parts: int | None = None) -> list[dict]:
    """Split a topic into ``parts`` (default: 2-4, whichever separates best); returns all parts."""
    conn = ws.db.conn
    with conn:
        new = apply_split(conn, int(topic_id), parts)
        record_edit(conn, "split", topic_id, {"into": new, "parts": parts})
        _refresh(ws)
    return [topic_dict(ws, t) for t in [int(topic_id), *new]]


def _refresh(ws) -> None:
    refresh(ws, workspace_taxonomy(ws))
