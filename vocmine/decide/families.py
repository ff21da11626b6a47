"""After every topic run: each topic's label, size and category, and the families above the topics.

A family is a taxonomy category's topics across languages ("Delivery / 배송"), or one topic's own
when it has no category. ``refresh`` recomputes all of it from the stored assignments, so that an
edit, a merge or a new run never leaves a stale label or count.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from vocmine.core.dates import now_iso

if TYPE_CHECKING:
    from vocmine.core.store import Store


def refresh(ws: "Store", tax: dict[str, Any], run_id: int | None = None) -> None:
    """Recompute labels (top phrases), sizes, categories and parents of all topics."""
    conn = ws.db.conn
    now = now_iso()
    eff = "coalesce(t.merged_into, st.topic_id)"
    sizes = dict(conn.execute(
        f"select {eff}, count(*) from segment_topics st join topics t on t.id = st.topic_id group by 1"))
    conn.execute("update topics set size = 0 where status in ('active', 'merged')")
    conn.executemany("update topics set size = ? where id = ?", [(n, t) for t, n in sizes.items()])
    # Labels: what the topic is about (see topic_labels): its complaint phrases that fit its keywords,
    # else what its members wrote, never two unrelated phrases; bigger topics choose first.
    from vocmine.decide.topic_labels import make_label

    phrase_parts = {r[0]: r[1:] for r in conn.execute("select id, phrase, aspect, opinion from phrases")}
    by_topic: dict[int, list[tuple[str, str | None, str | None, int]]] = defaultdict(list)
    for tid, pid, n in conn.execute(
            f"select {eff}, coalesce(p.group_id, p.id), count(distinct m.feedback_id) from segment_topics st "
            "join topics t on t.id = st.topic_id join phrase_mentions m on m.segment_id = st.segment_id "
            "join phrases p on p.id = m.phrase_id group by 1, 2"):
        if pid in phrase_parts:
            by_topic[tid].append((*phrase_parts[pid], n))
    member_texts: dict[int, list[str]] = defaultdict(list)
    for tid, text in conn.execute(
            f"select tid, text from (select {eff} as tid, s.text as text, row_number() over "
            f"(partition by {eff} order by st.score desc, s.id) as k from segment_topics st "
            "join topics t on t.id = st.topic_id join segments s on s.id = st.segment_id) where k <= 50"):
        member_texts[tid].append(text or "")
    rows = conn.execute("select id, keywords, language from topics where status = 'active'").fetchall()
    taken: Counter = Counter()
    labels = {}
    for tid, kw, lang in sorted(rows, key=lambda r: (-sizes.get(r[0], 0), r[0])):
        phrases = sorted(by_topic.get(tid, []), key=lambda a: (-a[3], a[0]))
        label = make_label(json.loads(kw or "[]"), phrases, lang or "en", taken, sizes.get(tid, 0),
                           member_texts.get(tid, []))
        if not label:  # no phrase, no keyword, no repeated words: the most typical quote's first words
            quote = next(iter(member_texts.get(tid, [])), "")
            label = " ".join(quote.split()[:6]) or f"topic {tid}"
        taken[label] += 1
        labels[tid] = label
    conn.executemany("update topics set label = ? where id = ?", [(l, t) for t, l in labels.items()])
    # Category: what most of its segments fall in (null when most fall nowhere).
    cats: dict[int, Counter] = defaultdict(Counter)
    for tid, cat, n in conn.execute(
            f"select {eff}, sc.category, count(*) from segment_topics st join topics t on t.id = st.topic_id "
            "left join segment_categories sc on sc.segment_id = st.segment_id group by 1, 2"):
        cats[tid][cat] += n
    conn.executemany("update topics set category = ? where id = ?",
                     [(c.most_common(1)[0][0], t) for t, c in cats.items()])
    _parents(conn, tax, run_id, now)


def _parents(conn, tax: dict[str, Any], run_id: int | None, now: str) -> None:
    """Rebuild the topic families (rows with status ``parent``; children point at them by ``parent_id``).

    A family is the cause level, across languages where the (bilingual) taxonomy says so: the
    active topics of one category, English and Korean alike, are one family once there are two or
    more of them. Topics without a category are grouped per language by centroid similarity
    (``topics.group_parents`` on the language's main embedder). A family's ``language`` is its
    children's, or ``mixed`` when they span languages; its ``label`` is the category's label in
    each of its children's languages ("Delivery / 배송"), never the category id, else its biggest
    child's label. A family keeps its id while its children mostly stay (Jaccard >= 0.5 with an
    old one); an old family that matches none is retired.
    """
    from vocmine.decide.categorize import label as cat_label
    from vocmine.decide.topics import group_parents

    rows = conn.execute(
        "select id, centroid, size, label, category, custom_label, embedder, language from topics "
        "where status = 'active' order by id").fetchall()
    info = {r[0]: r for r in rows}
    by_cat: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r[4]:
            by_cat[r[4]].append(r[0])
    groups = [by_cat[c] for c in sorted(by_cat) if len(by_cat[c]) > 1]
    for lang in sorted({r[7] or "" for r in rows}):
        lrows = [r for r in rows if (r[7] or "") == lang and r[1] is not None]
        if not lrows:
            continue
        emb = Counter(r[6] for r in lrows).most_common(1)[0][0]
        lrows = [r for r in lrows if r[6] == emb]
        for g in group_parents([r[0] for r in lrows], np.vstack([np.frombuffer(r[1], np.float32) for r in lrows])):
            rest = [t for t in g if not info[t][4]]  # a categorised topic is in its category's family
            if len(rest) > 1:
                groups.append(rest)

    def name(kids: list[tuple], lang: str) -> str:
        cats = {k[4] for k in kids}
        cat = kids[0][4] if len(cats) == 1 else None
        text = cat_label(tax, cat, lang) if cat else None
        if text and text != cat:
            return text
        own = [k for k in kids if k[7] == lang] or kids
        biggest = max(own, key=lambda k: (k[2] or 0, -k[0]))
        return biggest[5] or biggest[3] or f"topic {biggest[0]}"

    old = {pid: {c for (c,) in conn.execute("select id from topics where parent_id = ? and status = 'active'",
                                             (pid,))}
           for (pid,) in conn.execute("select id from topics where status = 'parent' order by id")}
    conn.execute("update topics set parent_id = null where status = 'active'")
    used = set()
    for g in groups:
        best, score = None, 0.0
        for pid, old_kids in old.items():
            if pid in used or not old_kids:
                continue
            j = len(old_kids & set(g)) / len(old_kids | set(g))
            if j > score:
                best, score = pid, j
        kids = [info[t] for t in g]
        langs = sorted({k[7] or "" for k in kids})
        language = langs[0] if len(langs) == 1 else "mixed"
        label = " / ".join(dict.fromkeys(name(kids, lang) for lang in langs))
        cats = {k[4] for k in kids}
        cat = kids[0][4] if len(cats) == 1 else None
        embs = {k[6] for k in kids}
        vecs = [np.frombuffer(k[1], np.float32) for k in kids if k[1] is not None]
        same = len(embs) == 1 and len(vecs) == len(kids) and len({len(v) for v in vecs}) == 1
        cent = np.mean(vecs, axis=0).astype(np.float32).tobytes() if same else None
        emb = kids[0][6] if same else None
        size = sum(k[2] or 0 for k in kids)
        if best is not None and score >= 0.5:
            pid = best
            conn.execute("update topics set language = ?, label = ?, size = ?, centroid = ?, embedder = ?, "
                         "category = ?, updated_run = ?, updated_at = ? where id = ?",
                         (language, label, size, cent, emb, cat, run_id, now, pid))
        else:
            pid = conn.execute(
                "insert into topics (language, label, size, centroid, embedder, status, category, created_run, "
                "updated_run, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?)",
                (language, label, size, cent, emb, "parent", cat, run_id, run_id, now, now)).lastrowid
        used.add(pid)
        conn.executemany("update topics set parent_id = ? where id = ?", [(pid, t) for t in g])
    for pid in old:
        if pid not in used:
            conn.execute("update topics set status = 'retired', size = 0, updated_at = ? where id = ?", (now, pid))


# -- taxonomy suggestions -------------------------------------------------------------------------------
