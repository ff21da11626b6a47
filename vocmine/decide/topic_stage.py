"""The "decide" stage: segments into taxonomy categories and topics with stable ids.

Incremental like every stage: segments already placed are not placed again (unless the
taxonomy's name or version changed); embeddings are cached per (segment, embedder).

``update_topics`` per language:

1. the first run (or ``refit=True``, or a different embedder) discovers topics on every
   complaint segment (``topics.discover``); a refit maps the new clusters onto the old ids by
   segment overlap and records ``topic_lineage``;
2. later runs embed only new segments and give each to the nearest topic whose centroid is close
   enough (the threshold is data-driven: the 10th percentile of how close the fitted topics'
   own segments are to their centroids). What is left is clustered; only a cohesive cluster of
   at least the minimum topic size becomes a new topic, and this repeats until no new topic
   forms, so that re-running on unchanged data changes nothing. Remaining segments go to the
   nearest topic when loosely close (2nd percentile), else they stay outliers and are
   reconsidered next run;
3. the team's edits (``topic_edits``: rename, merge, split) are replayed, then labels (from the
   topic's top complaint phrases), keywords, sizes, categories and parent topics are refreshed.
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from vocmine.core.dates import now_iso
from vocmine.core.resources import workspace_taxonomy
from vocmine.decide.families import refresh
from vocmine.decide.topic_edits import replay_edits
from vocmine.decide.topic_labels import strip_markup

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)
BATCH = 2000
ASSIGN_QUANTILE = 0.10
LOOSE_QUANTILE = 0.02
FIT_SAMPLE = 20000  # a full fit discovers topics on at most this many segments


def taxonomy_tag(tax: dict[str, Any]) -> str:
    """Return the name@version that ``segment_categories.taxonomy`` records."""
    return f"{tax['name']}@{tax['version']}"


def categorize_segments(ws: "Store", taxonomy: dict[str, Any] | None = None, *, complaints_only: bool = True,
                        embedder_for: Any = None) -> int:
    """Place segments not yet placed under this taxonomy; returns how many were placed."""
    from vocmine.core.resources import load_taxonomy
    from vocmine.decide.categorize import Categorizer

    tax = taxonomy or load_taxonomy()
    tag = taxonomy_tag(tax)
    conn = ws.db.conn
    todo = conn.execute(
        "select s.id, s.text, s.language from segments s left join segment_categories c on c.segment_id = s.id "
        "where (c.segment_id is null or c.taxonomy != ?)" + (" and s.complaint = 1" if complaints_only else "")
        + " order by s.id", (tag,)).fetchall()
    if not todo:
        return 0
    cat = Categorizer(tax).fit()
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        placed = cat.place([r[1] for r in batch], [r[2] for r in batch])
        with conn:
            conn.executemany(
                "insert or replace into segment_categories (segment_id, category, score, method, taxonomy) "
                "values (?,?,?,?,?)", [(r[0], p.category, p.score, p.method, tag) for r, p in zip(batch, placed)])
    log.info("categorised %d segments under %s", len(todo), tag)
    return len(todo)


def topic_language(lang: str | None) -> str:
    """Return the topic language of a segment language: ``ko`` for Korean, else ``en``."""
    return "ko" if lang == "ko" else "en"


# -- embedders with workspace state ----------------------------------------------------------------

def _workspace_fitted(emb: Any) -> bool:
    return hasattr(emb, "fit") and hasattr(emb, "state") and hasattr(type(emb), "from_state")


def prepare_embedder(ws: "Store", emb: Any, texts_for_fit: Callable[[], list[str]], refit: bool = False) -> Any:
    """Give a workspace-fitted embedder (``fit``/``state``/``from_state``) its stored fit, or fit
    it now on ``texts_for_fit()`` and store it; with ``refit`` fit anew and drop its cached vectors."""
    if not _workspace_fitted(emb):
        return emb
    conn = ws.db.conn
    row = conn.execute("select state from embedder_states where name = ?", (emb.name,)).fetchone()
    if row and not refit:
        restored = type(emb).from_state(row[0])
        restored.name = emb.name
        return restored
    emb.fit(texts_for_fit())
    with conn:
        conn.execute("insert or replace into embedder_states (name, state, created_at) values (?,?,?)",
                     (emb.name, emb.state(), now_iso()))
        conn.execute("delete from embeddings where embedder = ?", (emb.name,))
    return emb


# -- placing a segment by its vector ------------------------------------------------------------------
# The pure functions the stage places new segments with; the partitioned backfill
# (vocmine.jobs.backfill_topics) calls the same ones on every worker.

EMPTY_NORM = 0.5  # a vector shorter than this has no known word (kiwi-lsa gives zeros): an outlier


def empty_vectors(x: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the rows of ``x`` that are empty (no known word): outliers, never placed."""
    return np.linalg.norm(x, axis=1) < EMPTY_NORM


def nearest_topic(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each row of ``x``, the index of the closest row of ``centroids`` by cosine (the
    centroids are scaled to unit length, the rows of ``x`` are taken as they are) and that similarity."""
    from vocmine.decide.topics import unit

    sims = x @ unit(centroids).T
    best = sims.argmax(axis=1)
    return best, sims[np.arange(len(x)), best]


def assign_by_centroid(x: np.ndarray, topic_ids: "list[int] | np.ndarray", centroids: np.ndarray,
                       assign: float, loose: float) -> tuple[list[int | None], np.ndarray, list[str]]:
    """Place segment vectors on a fitted topic model without changing it: (topic id or None, score,
    method) per row of ``x``.

    This is what ``update_topics`` does with a new segment, short of clustering: an empty vector
    is an ``outlier`` (score 0); a segment whose nearest active topic is at least ``assign`` close
    goes to it (``assign``); of the rest, the stage first clusters them for new topics, and those no
    new topic takes go to the nearest topic when at least ``loose`` close: here, with no new topics,
    they are ``loose``; the others are ``outlier`` with the nearest similarity as their score.
    """
    n = len(x)
    if not n:
        return [], np.zeros(0), []
    if not len(topic_ids):
        return [None] * n, np.zeros(n), ["outlier"] * n
    empty = empty_vectors(x)
    best, top = nearest_topic(x, centroids)
    top = np.where(empty, 0.0, top)
    ids: list[int | None] = []
    methods: list[str] = []
    for i in range(n):
        if empty[i] or top[i] < loose:
            ids.append(None)
            methods.append("outlier")
        else:
            ids.append(int(topic_ids[int(best[i])]))
            methods.append("assign" if top[i] >= assign else "loose")
    return ids, top.astype(np.float64), methods


def topic_thresholds(ws: "Store", lang: str, embedder: str) -> dict[str, Any]:
    """Return the thresholds the last fit of ``lang`` learned (``topics.thresholds.<lang>``:
    embedder, assign, loose, min_size), or the defaults when none was learned with ``embedder``."""
    raw = ws.setting(f"topics.thresholds.{lang}")
    t = json.loads(raw) if raw else {}
    if t.get("embedder") != embedder:
        t = {"embedder": embedder, "assign": 0.5, "loose": 0.3, "min_size": 5}
    return t


def active_topics(ws: "Store", lang: str, embedder: str) -> tuple[list[int], np.ndarray, list[int]]:
    """Return the active topics of ``lang`` whose centroid is in ``embedder``'s space: (ids,
    centroids as rows, sizes), in id order."""
    rows = ws.db.conn.execute(
        "select id, centroid, embedder, (select count(*) from segment_topics st where st.topic_id = t.id) "
        "from topics t where language = ? and status = 'active' and centroid is not null order by id",
        (lang,)).fetchall()
    rows = [r for r in rows if r[2] == embedder]
    if not rows:
        return [], np.zeros((0, 0), np.float32), []
    return ([r[0] for r in rows], np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]),
            [r[3] for r in rows])


# -- the stage ---------------------------------------------------------------------------------------

class _Lang:
    """The per-language state of one run."""

    def __init__(self, ws, lang: str, run_id: int, emb: Any, min_size: int | None):
        self.ws, self.conn, self.lang, self.run_id, self.emb = ws, ws.db.conn, lang, run_id, emb
        self.min_size = min_size
        self.counts: Counter[str] = Counter()

    # thresholds learned at fit time, per language and embedder
    def thresholds(self) -> dict[str, float]:
        return topic_thresholds(self.ws, self.lang, self.emb.name)

    def active(self) -> tuple[list[int], np.ndarray, list[int]]:
        return active_topics(self.ws, self.lang, self.emb.name)

    def new_topic(self, centroid: np.ndarray, keywords: list[str], size: int) -> int:
        now = now_iso()
        cur = self.conn.execute(
            "insert into topics (language, label, keywords, size, centroid, embedder, status, created_run, "
            "updated_run, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?)",
            (self.lang, None, json.dumps(keywords, ensure_ascii=False), size, centroid.astype(np.float32).tobytes(),
             self.emb.name, "active", self.run_id, self.run_id, now, now))
        self.counts["new_topics"] += 1
        return int(cur.lastrowid)

    def place(self, rows: list[tuple[int, int | None, float, str]]) -> None:
        self.conn.executemany(
            "insert or replace into segment_topics (segment_id, topic_id, score, method, run_id) values (?,?,?,?,?)",
            [(s, t, round(float(sc), 4), m, self.run_id) for s, t, sc, m in rows])

    def without_empty(self, ids: list[int], x: np.ndarray) -> np.ndarray:
        """Place segments whose vector is empty (no known word) as outliers; return the others' rows."""
        if not len(ids):
            return np.zeros(0, dtype=int)
        empty = empty_vectors(x)
        self.place([(ids[i], None, 0.0, "outlier") for i in np.flatnonzero(empty)])
        return np.flatnonzero(~empty)

    # full fit -------------------------------------------------------------------------------------
    def fit(self, ids: list[int], texts: list[str], x: np.ndarray) -> None:
        from vocmine.decide.topics import centroids, discover, match_clusters, min_topic_size_for, unit

        if len(ids) > FIT_SAMPLE:
            # Discover on an even sample; every other segment then goes to its nearest topic.
            sample = np.linspace(0, len(ids) - 1, FIT_SAMPLE).astype(int)
            mts = self.min_size or min_topic_size_for(len(sample))
            disc = discover([texts[i] for i in sample], x[sample], self.lang, min_topic_size=mts)
            labels = np.full(len(ids), -1)
            labels[sample] = disc.labels
        else:
            mts = self.min_size or min_topic_size_for(len(ids))
            disc = discover(texts, x, self.lang, min_topic_size=mts)
            labels = disc.labels.copy()
        for c, n in Counter(labels.tolist()).items():
            if c >= 0 and n < mts:
                labels[labels == c] = -1
        cents = centroids(x, labels)
        member_sims = np.array([float(x[i] @ unit(cents[c])) for i, c in enumerate(labels) if c >= 0])
        if len(member_sims):
            assign = float(np.quantile(member_sims, ASSIGN_QUANTILE))
            loose = max(float(np.quantile(member_sims, LOOSE_QUANTILE)), assign / 2)
        else:
            assign, loose = 0.5, 0.3
        # A catch-all cluster (its typical member less close than nine in ten members overall are to
        # their own centroid) is no topic: its segments go to their nearest real topic or stay outliers.
        if len(member_sims):
            own = np.array([c for c in labels if c >= 0])
            for c in list(cents):
                if float(np.median(member_sims[own == c])) < assign and len(cents) > 1:
                    labels[labels == c] = -1
                    del cents[c]
        self.ws.set_setting(f"topics.thresholds.{self.lang}", json.dumps(
            {"embedder": self.emb.name, "assign": round(assign, 4), "loose": round(loose, 4), "min_size": mts}))
        # Points of dropped clusters, and members far from every centroid, are outliers for now.
        keys = sorted(cents)
        cm = unit(np.vstack([cents[c] for c in keys])) if keys else np.zeros((0, x.shape[1]), np.float32)
        sims = x @ cm.T if keys else np.zeros((len(ids), 0))
        final = np.full(len(ids), -1)
        score = np.zeros(len(ids))
        for i in range(len(ids)):
            if not keys:
                break
            j = int(np.argmax(sims[i])) if labels[i] < 0 else keys.index(labels[i])
            if sims[i, j] >= loose:
                final[i], score[i] = keys[j], sims[i, j]
        members = {c: {ids[i] for i in np.flatnonzero(final == c)} for c in keys}
        members = {c: m for c, m in members.items() if m}
        # Map onto the old ids: active and merged topics of this language keep theirs where they match.
        old_rows = self.conn.execute(
            "select id, centroid, embedder from topics where language = ? and status in ('active', 'merged')",
            (self.lang,)).fetchall()
        old_members: dict[int, set[int]] = defaultdict(set)
        for sid, tid in self.conn.execute(
                "select st.segment_id, st.topic_id from segment_topics st join topics t on t.id = st.topic_id "
                "where t.language = ? and t.status in ('active', 'merged')", (self.lang,)):
            old_members[tid].add(sid)
        old_cent = {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in old_rows if r[1] and r[2] == self.emb.name}
        mapping = match_clusters(members, {r[0]: old_members.get(r[0], set()) for r in old_rows},
                                 {c: cents[c] for c in members}, old_cent)
        now = now_iso()
        topic_of: dict[int, int] = {}
        for c in sorted(members, key=lambda c: -len(members[c])):
            kw = json.dumps(disc.keywords.get(c, []), ensure_ascii=False)
            if c in mapping:
                tid = mapping[c][0]
                self.conn.execute(
                    "update topics set centroid = ?, embedder = ?, keywords = ?, size = ?, status = 'active', "
                    "merged_into = null, updated_run = ?, updated_at = ? where id = ?",
                    (cents[c].astype(np.float32).tobytes(), self.emb.name, kw, len(members[c]), self.run_id, now, tid))
                self.conn.execute(
                    "insert into topic_lineage (old_id, new_id, similarity, reason, run_id, created_at) "
                    "values (?,?,?,?,?,?)", (tid, tid, mapping[c][1], "refit", self.run_id, now))
            else:
                tid = self.new_topic(cents[c], disc.keywords.get(c, []), len(members[c]))
            topic_of[c] = tid
        if old_rows:
            self._lineage_for_unmatched(old_rows, old_members, members, topic_of, cents, old_cent, mapping)
        eligible = set(ids)
        stale = [s for s in {s for m in old_members.values() for s in m} if s in eligible]
        self.conn.executemany("delete from segment_topics where segment_id = ?", [(s,) for s in stale])
        self.place([(ids[i], topic_of[final[i]] if final[i] >= 0 else None, score[i],
                     "fit" if final[i] >= 0 else "outlier") for i in range(len(ids))])
        self.counts["assigned"] += int((final >= 0).sum())
        left = [i for i in range(len(ids)) if final[i] < 0]
        if left:
            self.leftovers([ids[i] for i in left], [texts[i] for i in left], x[left])

    def _lineage_for_unmatched(self, old_rows, old_members, members, topic_of, cents, old_cent, mapping) -> None:
        from vocmine.decide.topics import unit

        now = now_iso()
        matched_old = {v[0] for v in mapping.values()}
        for tid, _c, _e in old_rows:
            if tid in matched_old:
                continue
            # Where did its segments go? Point the lineage at the new topic that took most of them.
            best, share = None, 0
            for c, m in members.items():
                n = len(m & old_members.get(tid, set()))
                if n > share:
                    best, share = c, n
            sim = None
            if best is not None and tid in old_cent and len(old_cent[tid]) == len(cents[best]):
                sim = round(float(unit(old_cent[tid]) @ unit(cents[best])), 4)
            self.conn.execute("update topics set status = 'retired', size = 0, merged_into = null, updated_run = ?, "
                              "updated_at = ? where id = ?", (self.run_id, now, tid))
            self.conn.execute(
                "insert into topic_lineage (old_id, new_id, similarity, reason, run_id, created_at) values (?,?,?,?,?,?)",
                (tid, topic_of.get(best) if best is not None else None, sim, "refit", self.run_id, now))
        for c, tid in topic_of.items():
            if c in mapping:
                continue
            # A new topic carved out of an old one is a split of it.
            src: Counter[int] = Counter()
            for old, m in old_members.items():
                n = len(members[c] & m)
                if n:
                    src[old] = n
            if src:
                old, n = src.most_common(1)[0]
                if n >= len(members[c]) / 2 and old in matched_old:
                    self.conn.execute(
                        "insert into topic_lineage (old_id, new_id, similarity, reason, run_id, created_at) "
                        "values (?,?,?,?,?,?)", (old, tid, None, "split", self.run_id, now))

    # incremental ----------------------------------------------------------------------------------
    def assign(self, ids: list[int], texts: list[str], x: np.ndarray) -> None:
        th = self.thresholds()
        tids, cents, _sizes = self.active()
        if not tids:
            self.leftovers(ids, texts, x)
            return
        best, top = nearest_topic(x, cents)
        take = top >= th["assign"]
        self.place([(ids[i], tids[best[i]], top[i], "assign") for i in np.flatnonzero(take)])
        self._grow(tids, cents, best[take], x[take])
        self.counts["assigned"] += int(take.sum())
        left = np.flatnonzero(~take)
        if len(left):
            self.leftovers([ids[i] for i in left], [texts[i] for i in left], x[left])

    def _grow(self, tids: list[int], cents: np.ndarray, which: np.ndarray, x: np.ndarray) -> None:
        """Move the centroids of topics that gained segments (a running mean)."""
        if not len(which):
            return
        now = now_iso()
        for j in np.unique(which):
            tid = tids[int(j)]
            add = x[which == j]
            n_old = self.conn.execute("select count(*) from segment_topics where topic_id = ?", (tid,)).fetchone()[0]
            n_old = max(0, n_old - len(add))  # the new rows are already placed
            mean = (cents[int(j)] * n_old + add.sum(axis=0)) / max(1, n_old + len(add))
            self.conn.execute("update topics set centroid = ?, updated_run = ?, updated_at = ? where id = ?",
                              (mean.astype(np.float32).tobytes(), self.run_id, now, tid))

    def leftovers(self, ids: list[int], texts: list[str], x: np.ndarray) -> None:
        """Cluster what no topic took; new topics only for cohesive clusters; repeat to a fixed point."""
        from vocmine.decide.topics import centroids, discover, unit

        th = self.thresholds()
        mts = self.min_size or int(th.get("min_size", 5))
        ids, texts = list(ids), list(texts)
        while len(ids) >= 2 * mts:
            disc = discover(texts, x, self.lang, min_topic_size=mts)
            cents = centroids(x, disc.labels)
            created = {}
            for c, cent in cents.items():
                idx = np.flatnonzero(disc.labels == c)
                if len(idx) < mts:
                    continue
                cohesion = x[idx] @ unit(cent)
                if float(np.median(cohesion)) < th["assign"]:
                    continue
                created[c] = self.new_topic(cent, disc.keywords.get(c, []), len(idx))
            if not created:
                break
            keys = sorted(created)
            best, top = nearest_topic(x, np.vstack([cents[c] for c in keys]))
            own = np.array([c in created for c in disc.labels])
            take = own & (top >= th["loose"]) | (top >= th["assign"])
            self.place([(ids[i], created[keys[best[i]]], top[i], "new") for i in np.flatnonzero(take)])
            self.counts["assigned"] += int(take.sum())
            keep = np.flatnonzero(~take)
            ids, texts, x = [ids[i] for i in keep], [texts[i] for i in keep], x[keep]
        if not ids:
            return
        tids, active_cents, _ = self.active()
        rows = []
        if tids:
            best, top = nearest_topic(x, active_cents)
            for i in range(len(ids)):
                if top[i] >= th["loose"]:
                    rows.append((ids[i], tids[best[i]], top[i], "assign"))
                else:
                    rows.append((ids[i], None, top[i], "outlier"))
        else:
            rows = [(i, None, 0.0, "outlier") for i in ids]
        self.place(rows)
        self.counts["assigned"] += sum(1 for r in rows if r[1] is not None)


def eligible_segments(ws: "Store", all_segments: bool) -> list[tuple[int, str, str]]:
    """Return (id, text, language) of the segments topics are built on (complaints unless ``all_segments``)."""
    return ws.db.conn.execute(
        "select id, text, language from segments" + ("" if all_segments else " where complaint = 1") + " order by id"
    ).fetchall()


def _merge_phrases(ws: "Store", emb: Any) -> None:
    """With the English sentence embedder loaded anyway, group phrases that mean the same."""
    if emb is None or _workspace_fitted(emb) or not hasattr(emb, "embed"):
        return
    from vocmine.understand.analyze import merge_by_meaning

    try:
        n = merge_by_meaning(ws, emb, lang="en")
    except Exception as exc:  # grouping is a refinement: the topics are written already
        log.warning("topics: phrases not grouped by meaning: %s", exc)
        return
    log.info("topics: %d phrase groups merged by meaning", n)


def update_topics(ws: "Store", *, refit: bool = False, all_segments: bool = False, embedder: Any = None,
                  taxonomy: Any = None, min_topic_size: int | None = None,
                  progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Run the topic stage (see the module doc); returns counts: embedded, assigned, new_topics,
    outliers, outlier_share, topics, categorized, seconds. A second run on the same workspace waits
    for the first to finish."""
    from vocmine.core.db import stage_lock

    with stage_lock(ws.path, "topics"):
        return _update_topics(ws, refit=refit, all_segments=all_segments, embedder=embedder, taxonomy=taxonomy,
                              min_topic_size=min_topic_size, progress=progress)


def _update_topics(ws: "Store", *, refit: bool, all_segments: bool, embedder: Any, taxonomy: Any,
                   min_topic_size: int | None, progress: Callable[[int, int], Any] | None) -> dict[str, Any]:
    from vocmine.decide.embed import cached_vectors, get_embedder
    from vocmine.decide.topics import min_topic_size_for

    started = time.perf_counter()
    conn = ws.db.conn
    tax = workspace_taxonomy(ws, taxonomy)
    params = {"refit": refit, "all_segments": all_segments, "embedder": str(embedder) if embedder else None,
              "taxonomy": taxonomy_tag(tax)}
    # Embedders load (and fail on a bad name) before the run starts recording.
    rows = eligible_segments(ws, all_segments)
    by_lang: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for sid, text, lang in rows:
        by_lang[topic_language(lang)].append((sid, text or ""))
    embedders = {lang: get_embedder(embedder, lang) for lang in by_lang}
    for lang, emb in embedders.items():
        if _workspace_fitted(emb) and not emb.name.endswith(f":{lang}"):
            emb.name = f"{emb.name}:{lang}"  # one fit per language: "kiwi-lsa:ko"
    out: Counter = Counter()
    with ws.run("topics", params) as counts:
        out["categorized"] = categorize_segments(ws, tax, complaints_only=not all_segments)
        for lang, segs in sorted(by_lang.items()):
            emb = embedders[lang]
            # @handles, URLs and retweet markers are not what a complaint is about: they never
            # reach the embedder or the keywords, so they cannot drive a cluster.
            texts_all = [strip_markup(t) for _, t in segs]
            lang_refit = refit
            prior = conn.execute("select distinct embedder from topics where language = ? and status = 'active'",
                                 (lang,)).fetchall()
            if prior and any(p[0] != emb.name for p in prior):
                log.info("topics (%s): embedder changed to %s; refitting", lang, emb.name)
                lang_refit = True
            # A workspace-fitted embedder is fitted again while no topic depends on its vectors yet.
            emb = prepare_embedder(ws, emb, lambda: texts_all, refit=lang_refit or not prior)
            st = _Lang(ws, lang, counts["_run_id"], emb, min_topic_size)
            with conn:
                if lang_refit or not prior:
                    ids = [s for s, _ in segs]
                    x, n = cached_vectors(ws, emb, ids, texts_all, progress=progress)
                    st.counts["embedded"] += n
                    ok = st.without_empty(ids, x)
                    if len(ok) >= min_topic_size_for(len(ok)):
                        st.fit([ids[i] for i in ok], [texts_all[i] for i in ok], x[ok])
                else:
                    pending = conn.execute(
                        "select s.id, s.text from segments s left join segment_topics st on st.segment_id = s.id "
                        "where (st.segment_id is null or st.topic_id is null)"
                        + ("" if all_segments else " and s.complaint = 1")
                        + (" and s.language = 'ko'" if lang == "ko" else " and coalesce(s.language, '') != 'ko'")
                        + " order by s.id").fetchall()
                    if pending:
                        ids = [r[0] for r in pending]
                        texts = [strip_markup(r[1] or "") for r in pending]  # as the full fit embeds them
                        x, n = cached_vectors(ws, emb, ids, texts, progress=progress)
                        st.counts["embedded"] += n
                        ok = st.without_empty(ids, x)
                        if len(ok):
                            st.assign([ids[i] for i in ok], [texts[i] for i in ok], x[ok])
            out.update(st.counts)
        with conn:
            replay_edits(ws, counts["_run_id"])
            refresh(ws, tax, counts["_run_id"])
        _merge_phrases(ws, embedders.get("en"))
        eligible = len(rows)
        outliers = conn.execute(
            "select count(*) from segment_topics st join segments s on s.id = st.segment_id where st.topic_id is null"
            + ("" if all_segments else " and s.complaint = 1")).fetchone()[0]
        result = {
            "embedded": int(out["embedded"]), "assigned": int(out["assigned"]), "new_topics": int(out["new_topics"]),
            "outliers": int(outliers), "outlier_share": round(outliers / eligible, 4) if eligible else 0.0,
            "topics": conn.execute("select count(*) from topics where status = 'active'").fetchone()[0],
            "categorized": int(out["categorized"]), "refit": bool(refit),
        }
        result["seconds"] = round(time.perf_counter() - started, 2)
        counts.update(result)
    log.info("topics: %s", result)
    return result


# -- edits, replayed after every run ---------------------------------------------------------------------

# -- labels, sizes, categories, parents ----------------------------------------------------------------
