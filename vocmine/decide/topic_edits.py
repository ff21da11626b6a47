"""The team's edits of topics: rename, merge and split, each applied at once, recorded in
``topic_edits`` and replayed by every later run (``topic_stage.replay_edits``).

Each edit is SQL on the topic tables (``apply_rename``, ``apply_merge``, ``apply_split``),
recorded once (``record_edit``) and replayed after every run (``replay_edits``).
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Sequence

import numpy as np

from vocmine.core.errors import ConfigError
from vocmine.core.resources import workspace_taxonomy
from vocmine.decide.families import refresh
from vocmine.decide.topics import split_members, topic_dict, unit

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger("vocmine.decide.topics")


def rename_topic(ws: "Store", topic_id: int, label: str, lang: str | None = None) -> dict:
    """Rename a topic (kept across runs); ``lang`` names the label's language. Returns the topic."""
    if not label or not label.strip():
        raise ConfigError("a topic label cannot be empty")
    conn = ws.db.conn
    with conn:
        apply_rename(conn, int(topic_id), label.strip(), lang)
        record_edit(conn, "rename", topic_id, {"label": label.strip(), "lang": lang})
    return topic_dict(ws, int(topic_id))


def merge_topics(ws: "Store", target: int, sources: Sequence[int]) -> dict:
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


def split_topic(ws: "Store", topic_id: int, parts: int | None = None) -> list[dict]:
    """Split a topic into ``parts`` (default: 2-4, whichever separates best); returns all parts."""
    conn = ws.db.conn
    with conn:
        new = apply_split(conn, int(topic_id), parts)
        record_edit(conn, "split", topic_id, {"into": new, "parts": parts})
        _refresh(ws)
    return [topic_dict(ws, t) for t in [int(topic_id), *new]]


def _refresh(ws: "Store") -> None:
    refresh(ws, workspace_taxonomy(ws))


# -- the team's edits ----------------------------------------------------------------------------------

def _now() -> str:
    from vocmine.core.dates import now_iso

    return now_iso()


def _topic_row(conn, tid: int) -> tuple:
    from vocmine.core.errors import ConfigError

    row = conn.execute("select id, language, status, centroid, embedder, merged_into, size from topics where id = ?",
                       (int(tid),)).fetchone()
    if row is None:
        raise ConfigError(f"unknown topic {tid}; see 'vocmine topics' for the ids")
    return row


def apply_rename(conn, tid: int, label: str | None, lang: str | None = None) -> None:
    """Set a topic's label: its own language's (``custom_label``) or another language's (``labels``)."""
    import json

    _id, tlang, *_ = _topic_row(conn, tid)
    if lang is None or lang == tlang:
        conn.execute("update topics set custom_label = ? where id = ?", (label, tid))
        return
    raw = conn.execute("select labels from topics where id = ?", (tid,)).fetchone()[0]
    labels = json.loads(raw) if raw else {}
    labels[lang] = label
    conn.execute("update topics set labels = ? where id = ?", (json.dumps(labels, ensure_ascii=False), tid))


def apply_merge(conn, target: int, sources: Sequence[int], run_id: int | None = None) -> list[int]:
    """Merge ``sources`` into ``target`` (segments stay, ``merged_into`` points at the target);
    returns the sources that were not merged there already."""
    done = []
    t = _topic_row(conn, target)
    for s in sources:
        row = _topic_row(conn, s)
        if row[0] == t[0] or (row[2] == "merged" and row[5] == t[0]):
            continue
        now = _now()
        sim = None
        if row[3] and t[3] and row[4] == t[4]:
            a, b = np.frombuffer(t[3], np.float32), np.frombuffer(row[3], np.float32)
            if len(a) == len(b):
                sim = round(float(unit(a) @ unit(b)), 4)
                na = conn.execute("select count(*) from segment_topics st join topics x on x.id = st.topic_id "
                                  "where coalesce(x.merged_into, x.id) = ?", (t[0],)).fetchone()[0]
                nb = conn.execute("select count(*) from segment_topics where topic_id = ?", (row[0],)).fetchone()[0]
                mean = ((a * na + b * nb) / max(1, na + nb)).astype(np.float32)
                conn.execute("update topics set centroid = ? where id = ?", (mean.tobytes(), t[0]))
        conn.execute("update topics set status = 'merged', merged_into = ?, parent_id = null, updated_run = ?, "
                     "updated_at = ? where id = ?", (t[0], run_id, now, row[0]))
        conn.execute("update topics set merged_into = ? where merged_into = ?", (t[0], row[0]))
        conn.execute("insert into topic_lineage (old_id, new_id, similarity, reason, run_id, created_at) "
                     "values (?,?,?,?,?,?)", (row[0], t[0], sim, "merge", run_id, now))
        done.append(row[0])
    return done


def _member_vectors(conn, tid: int, embedder: str) -> tuple[list[int], np.ndarray]:
    rows = conn.execute(
        "select st.segment_id, e.vector from segment_topics st join embeddings e on e.segment_id = st.segment_id "
        "and e.embedder = ? where st.topic_id = ? order by st.segment_id", (embedder, tid)).fetchall()
    if not rows:
        return [], np.zeros((0, 0), np.float32)
    return [r[0] for r in rows], np.vstack([np.frombuffer(r[1], np.float32) for r in rows])


def apply_split(conn, tid: int, parts: int | None = None, run_id: int | None = None,
                reuse: Sequence[int] = ()) -> list[int]:
    """Re-cluster topic ``tid`` into 2+ topics; the largest part keeps the id. Returns the other
    parts' ids (``reuse`` gives ids of earlier split-offs to bring back, matched by centroid)."""
    from scipy.optimize import linear_sum_assignment

    from vocmine.core.errors import ConfigError

    row = _topic_row(conn, tid)
    if row[2] != "active":
        raise ConfigError(f"topic {tid} is {row[2]}; only active topics can be split")
    ids, x = _member_vectors(conn, tid, row[4])
    if len(ids) < 4:
        raise ConfigError(f"topic {tid} has {len(ids)} segments; a split needs at least 4")
    lab = split_members(x, parts or (1 + len(reuse) if reuse else None))
    groups = sorted({int(g) for g in lab}, key=lambda g: -int((lab == g).sum()))
    cents = {g: x[lab == g].mean(axis=0).astype(np.float32) for g in groups}
    now = _now()
    owner = {groups[0]: tid}
    rest = groups[1:]
    if reuse:
        old = [r for r in reuse if conn.execute("select centroid from topics where id = ?", (r,)).fetchone()]
        if old and rest:
            oc = unit(np.vstack([np.frombuffer(conn.execute("select centroid from topics where id = ?", (r,))
                                               .fetchone()[0], np.float32) for r in old]))
            sims = unit(np.vstack([cents[g] for g in rest])) @ oc.T
            for i, j in zip(*linear_sum_assignment(-sims)):
                owner[rest[i]] = old[j]
    out = []
    for g in groups:
        members = [ids[i] for i in np.flatnonzero(lab == g)]
        new = owner.get(g)
        if new is None:
            new = conn.execute(
                "insert into topics (language, size, centroid, embedder, status, keywords, created_run, updated_run, "
                "created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?)",
                (row[1], len(members), cents[g].tobytes(), row[4], "active", "[]", run_id, run_id, now, now)).lastrowid
        else:
            conn.execute("update topics set status = 'active', merged_into = null, size = ?, centroid = ?, "
                         "updated_run = ?, updated_at = ? where id = ?", (len(members), cents[g].tobytes(), run_id, now,
                                                                          new))
        if new != tid:
            conn.executemany("update segment_topics set topic_id = ?, method = 'manual', run_id = ? where segment_id = ?",
                             [(new, run_id, s) for s in members])
            conn.execute("insert into topic_lineage (old_id, new_id, similarity, reason, run_id, created_at) "
                         "values (?,?,?,?,?,?)",
                         (tid, new, round(float(unit(cents[g]) @ unit(cents[groups[0]])), 4), "split", run_id, now))
            out.append(int(new))
    return out


def reapply_split(conn, tid: int, into: Sequence[int], run_id: int | None = None,
                  original: int | None = None) -> list[int]:
    """Redo a recorded split after a refit folded its parts back together; the parts get their
    old ids back. Does nothing while the parts are still there.

    ``tid`` is where the split topic lives now (lineage resolved); ``original`` the id it was
    split from. A refit may keep a part's id for the folded topic (``tid`` in ``into``): then
    that part is split again and the original gets its id back.
    """
    def status(i: int) -> str:
        return (conn.execute("select status from topics where id = ?", (i,)).fetchone() or ("",))[0]

    if status(tid) != "active":
        return []
    if original is not None and original != tid and tid in into and status(original) != "active":
        reuse = [original] + [i for i in into if i != tid and status(i) != "active"]
    else:
        reuse = [i for i in into if status(i) != "active"]
        if not reuse:
            return []
        reuse = list(into)
    try:
        return apply_split(conn, tid, run_id=run_id, reuse=reuse)
    except Exception as exc:  # noqa: BLE001 - a topic too small to split again stays whole
        log.warning("could not replay the split of topic %s: %s", tid, exc)
        return []


def record_edit(conn, action: str, tid: int, value: dict) -> None:
    """Store an edit in ``topic_edits`` so every later run replays it."""
    import json

    conn.execute("insert into topic_edits (action, topic_id, value, created_at) values (?,?,?,?)",
                 (action, int(tid), json.dumps(value, ensure_ascii=False), _now()))


def resolve(conn, tid: int | None) -> int | None:
    """Return the topic that ``tid`` is now: itself while it exists and is not retired, else the
    newest lineage successor (None when there is none)."""
    seen = set()
    while tid is not None and tid not in seen:
        seen.add(tid)
        row = conn.execute("select status from topics where id = ?", (tid,)).fetchone()
        if row and row[0] != "retired":
            return tid
        nxt = conn.execute("select new_id from topic_lineage where old_id = ? and new_id is not null and new_id != ? "
                           "order by id desc limit 1", (tid, tid)).fetchone()
        tid = nxt[0] if nxt else None
    return None


def replay_edits(ws: "Store", run_id: int | None = None) -> int:
    """Apply every recorded rename, merge and split again (idempotent); returns how many applied."""
    conn = ws.db.conn
    n = 0
    for _eid, action, topic_id, value in conn.execute(
            "select id, action, topic_id, value from topic_edits order by id").fetchall():
        v = json.loads(value or "{}")
        tid = resolve(conn, topic_id)
        if tid is None:
            continue
        if action == "rename":
            apply_rename(conn, tid, v.get("label"), v.get("lang"))
        elif action == "merge":
            sources = [resolve(conn, s) for s in v.get("sources", [])]
            apply_merge(conn, tid, [s for s in sources if s is not None and s != tid], run_id)
        elif action == "split":
            reapply_split(conn, tid, v.get("into", []), run_id, original=topic_id)
        n += 1
    return n
