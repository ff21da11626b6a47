"""Topic discovery: BERTopic assembled from explicit steps, plus what keeps topic ids stable.

The pipeline is BERTopic's, with each step named after its role:

- ``embedder``: see ``vocmine.decide.embed`` (vectors come from the workspace cache);
- ``reducer``: ``SpectralReducer``, a k-nearest-neighbour graph of cosine similarities (with
  UMAP's local fuzzy weights) and its spectral embedding. This is the graph UMAP builds and the
  initial layout it starts from, without UMAP's slow optimisation (seconds instead of a minute
  here, and better clusters on banking77: see docs/performance.md);
- ``clusterer``: ``RefinedHDBSCAN``: HDBSCAN decides how many clusters the data holds (no cluster
  count is given), then k-means started from HDBSCAN's clusters gives every point a cluster;
  points far from every centroid are outliers later (see ``topic_stage``);
- ``vectorizer``: word counts for c-TF-IDF keywords; Korean through Kiwi lemmas (무거워요 →
  무겁다), since scikit-learn's English tokenizer drops Hangul.

``discover`` runs the pipeline; ``match_clusters`` maps new clusters onto old topics (refits);
``group_parents`` builds the hierarchy; ``split_members`` re-clusters one topic for a split.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)


def min_topic_size_for(n: int) -> int:
    """Return the smallest topic size for ``n`` texts: max(5, sqrt(n)/7), a rule that grows slowly."""
    return max(5, int(round(math.sqrt(max(n, 1)) / 7)))


def knn(x: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Return (indices, cosine similarities) of each row's ``k`` nearest other rows (exact)."""
    n = len(x)
    k = min(k, n - 1)
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        s = x[start:start + block] @ x.T
        rows = np.arange(s.shape[0])
        s[rows, rows + start] = -np.inf
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        idx[start:start + block] = part
        sim[start:start + block] = np.take_along_axis(s, part, 1)
    return idx, sim


class SpectralReducer:
    """Reduce embeddings to the spectral embedding of their fuzzy k-NN graph (UMAP's graph and init).

    ``fit(X)`` stores ``embedding_`` (rows normalised); ``transform(X)`` returns it for the fitted
    ``X`` (BERTopic calls both on the same embeddings).
    """

    def __init__(self, n_neighbors: int = 15, n_components: int = 40, min_points: int = 200):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_points = min_points

    def fit(self, X: np.ndarray, y: Any = None) -> "SpectralReducer":
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components
        from scipy.sparse.linalg import eigsh

        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        self._fitted_on = id(X), X.shape
        dims = min(self.n_components, n - 2)
        if n < self.min_points or dims < 2:  # a graph of a few dozen points says little: keep the vectors
            self.embedding_ = X
            return self
        idx, sim = knn(X, self.n_neighbors)
        d = 1.0 - sim
        rho = d.min(axis=1, keepdims=True)
        sigma = np.maximum(d.mean(axis=1, keepdims=True) - rho, 1e-6)
        w = np.exp(-(d - rho) / sigma)
        a = sparse.csr_matrix((w.ravel(), (np.repeat(np.arange(n), idx.shape[1]), idx.ravel())), shape=(n, n))
        a = a + a.T - a.multiply(a.T)  # fuzzy union, as UMAP does
        deg = np.asarray(a.sum(axis=1)).ravel()
        dm = sparse.diags(1.0 / np.sqrt(np.maximum(deg, 1e-12)))
        lap = (dm @ a @ dm).tocsr()
        ncomp, _ = connected_components(a, directed=False)
        try:
            vals, vecs = eigsh(lap, k=dims + 1, which="LA", tol=1e-4, v0=np.ones(n), maxiter=5000)
        except Exception as exc:  # noqa: BLE001 - ARPACK can fail to converge; fall back to raw vectors
            log.warning("spectral embedding failed (%s); clustering the raw embeddings", exc)
            self.embedding_ = X
            return self
        order = np.argsort(-vals)
        emb = vecs[:, order][:, 1 if ncomp == 1 else 0:]
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        self.embedding_ = (emb / norms).astype(np.float32)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.embedding_


class RefinedHDBSCAN:
    """HDBSCAN picks the clusters, k-means refines them and places every point (``labels_``)."""

    def __init__(self, min_cluster_size: int | None = None, min_samples: int | None = None):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples

    def fit(self, X: np.ndarray, y: Any = None) -> "RefinedHDBSCAN":
        import hdbscan
        from sklearn.cluster import KMeans

        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        mcs = self.min_cluster_size or min_topic_size_for(n)
        if n < 2 * mcs:
            self.labels_ = np.zeros(n, dtype=int)
            return self
        lab = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=self.min_samples).fit(X).labels_
        k = int(lab.max()) + 1
        if k < 2:
            self.labels_ = np.zeros(n, dtype=int)
            return self
        init = np.vstack([X[lab == c].mean(axis=0) for c in range(k)])
        self.labels_ = KMeans(k, init=init, n_init=1, random_state=0).fit(X).labels_.astype(int)
        return self


def make_vectorizer(lang: str, n_docs: int = 1000):
    """Return a CountVectorizer for c-TF-IDF keywords: Kiwi lemmas for Korean, English stop words otherwise.

    Handles, URLs, retweet markers and bare numbers are markup, not what a topic is about: they are
    removed before counting, so that they never become keywords (nor drive labels).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    from vocmine.decide.topic_labels import TOKEN_PATTERN, keyword_text, keyword_text_lower

    # BERTopic fits the vectorizer on one joined document per cluster, so min_df counts clusters.
    min_df = 1
    if lang == "en":
        return CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=min_df,
                               preprocessor=keyword_text_lower, token_pattern=TOKEN_PATTERN)
    # Korean documents reach it as their Kiwi lemmas already (``korean_keyword_docs``): BERTopic
    # joins a cluster's documents into one before counting, and Kiwi on those long joined texts
    # was most of the topic stage's time.
    return CountVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None, ngram_range=(1, 1),
                           min_df=min_df)


def korean_keyword_docs(texts: Sequence[str]) -> list[str]:
    """Return each text as its content lemmas joined by spaces ("배송 늦다"), markup and bare
    numbers removed: what the Korean keyword vectorizer counts. One batched Kiwi call."""
    from vocmine.decide.embed import lemma_tokens, prime_lemma_tokens
    from vocmine.decide.topic_labels import keyword_text

    clean = [keyword_text(t or "") for t in texts]
    prime_lemma_tokens(clean)
    return [" ".join(lemma_tokens(t)) if t else "" for t in clean]


@dataclass
class Discovery:
    """What ``discover`` found: a cluster per text (-1 none) and each cluster's keywords."""

    labels: np.ndarray
    keywords: dict[int, list[str]] = field(default_factory=dict)


def discover(texts: Sequence[str], embeddings: np.ndarray, lang: str = "en", *, min_topic_size: int | None = None,
             reducer: Any = None, clusterer: Any = None, vectorizer: Any = None, keywords: bool = True) -> Discovery:
    """Cluster ``texts`` (with their ``embeddings``) through BERTopic's pipeline; returns a Discovery.

    Each step can be replaced by any object with the same methods (``fit``/``transform`` for the
    reducer, ``fit``/``labels_`` for the clusterer, a scikit-learn vectorizer).
    """
    n = len(texts)
    mcs = min_topic_size or min_topic_size_for(n)
    reducer = reducer or SpectralReducer()
    clusterer = clusterer or RefinedHDBSCAN(min_cluster_size=mcs)
    if n < 2 * mcs:
        return Discovery(np.full(n, -1 if n < mcs else 0, dtype=int))
    if not keywords:
        labels = clusterer.fit(reducer.fit(embeddings).transform(embeddings)).labels_
        return Discovery(np.asarray(labels, dtype=int))
    import logging as _logging

    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    _logging.getLogger("BERTopic").setLevel(_logging.WARNING)
    model = BERTopic(
        embedding_model=None, umap_model=reducer, hdbscan_model=clusterer,
        vectorizer_model=vectorizer or make_vectorizer(lang, n),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        min_topic_size=mcs, calculate_probabilities=False, verbose=False,
        # "english" makes BERTopic strip every non-ASCII character before c-TF-IDF: Hangul too.
        language="english" if lang == "en" else "multilingual",
    )
    try:
        from vocmine.decide.topic_labels import strip_markup

        # BERTopic's English cleaning would turn "@united" into a keyword "united": markup goes first
        docs = korean_keyword_docs(texts) if lang == "ko" and vectorizer is None else \
            [strip_markup(t) for t in texts]
        topics, _ = model.fit_transform(docs, embeddings=np.asarray(embeddings))
    except (ValueError, TypeError) as exc:  # a tiny or empty vocabulary: cluster without keywords
        log.warning("c-TF-IDF keywords unavailable (%s)", exc)
        return discover(texts, embeddings, lang, min_topic_size=mcs, reducer=reducer, clusterer=clusterer,
                        keywords=False)
    kw: dict[int, list[str]] = {}
    for t in set(topics):
        words = model.get_topic(t) or []
        kw[int(t)] = [w for w, score in words if w and score > 0][:10]
    return Discovery(np.asarray(topics, dtype=int), kw)


def centroids(x: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Return the mean vector of each label's rows (labels < 0 skipped)."""
    return {int(c): x[labels == c].mean(axis=0) for c in np.unique(labels) if c >= 0}


def unit(v: np.ndarray) -> np.ndarray:
    """Return ``v`` (a vector or the rows of a matrix) scaled to unit length."""
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        n = float(np.linalg.norm(v))
        return v / n if n else v
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return v / n


def match_clusters(new_members: dict[int, set[int]], old_members: dict[int, set[int]],
                   new_centroids: dict[int, np.ndarray], old_centroids: dict[int, np.ndarray],
                   min_share: float = 0.5, min_similarity: float = 0.9) -> dict[int, tuple[int, float, str]]:
    """Map new clusters to old topic ids one to one; returns {new: (old, similarity, how)}.

    A pair matches when most of the new cluster's segments were in that old topic (``min_share``)
    or, for segments never seen before, when their centroids are nearly the same
    (``min_similarity``). Among competing pairs the largest overlap wins (Hungarian assignment).
    """
    from scipy.optimize import linear_sum_assignment

    news, olds = sorted(new_members), sorted(old_members)
    if not news or not olds:
        return {}
    score = np.zeros((len(news), len(olds)))
    share = np.zeros_like(score)
    sim = np.zeros_like(score)
    for i, c in enumerate(news):
        for j, o in enumerate(olds):
            inter = len(new_members[c] & old_members[o])
            share[i, j] = inter / max(1, min(len(new_members[c]), len(old_members[o])))
            if c in new_centroids and o in old_centroids and len(new_centroids[c]) == len(old_centroids[o]):
                sim[i, j] = float(unit(new_centroids[c]) @ unit(old_centroids[o]))
            score[i, j] = share[i, j] + 0.01 * sim[i, j]
    rows, cols = linear_sum_assignment(-score)
    out = {}
    for i, j in zip(rows, cols):
        if share[i, j] >= min_share:
            out[news[i]] = (olds[j], round(float(sim[i, j]), 4), "overlap")
        elif sim[i, j] >= min_similarity:
            out[news[i]] = (olds[j], round(float(sim[i, j]), 4), "centroid")
    return out


def group_parents(ids: Sequence[int], vectors: np.ndarray, threshold: float | None = None) -> list[list[int]]:
    """Return groups (two or more topic ids) whose centroids are alike: average-linkage clustering
    on cosine distance, cut at 1 - ``threshold``. By default the threshold is data-driven: the 90th
    percentile of all pairwise centroid similarities (at least 0.1), so that a parent holds topics
    that are closer than nine in ten pairs are."""
    if len(ids) < 3:
        return []
    from sklearn.cluster import AgglomerativeClustering

    if threshold is None:
        u = unit(vectors)
        s = u @ u.T
        pairs = s[np.triu_indices(len(ids), 1)]
        threshold = max(0.1, float(np.quantile(pairs, 0.9)))

    lab = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                  distance_threshold=1.0 - threshold).fit_predict(unit(vectors))
    groups: dict[int, list[int]] = {}
    for tid, g in zip(ids, lab):
        groups.setdefault(int(g), []).append(int(tid))
    return [sorted(g) for g in groups.values() if 1 < len(g) < len(ids)]


def split_members(x: np.ndarray, parts: int | None = None) -> np.ndarray:
    """Return 2+ cluster labels for one topic's vectors: ``parts`` clusters, or the best of 2..4
    by silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(x)
    if n < 4:
        return np.arange(n) % 2
    if parts:
        return KMeans(min(parts, n), n_init=4, random_state=0).fit_predict(x)
    best, best_lab = -2.0, None
    for k in range(2, min(4, n - 1) + 1):
        lab = KMeans(k, n_init=4, random_state=0).fit_predict(x)
        if len(set(lab)) < 2:
            continue
        s = silhouette_score(x, lab, metric="cosine")
        if s > best:
            best, best_lab = s, lab
    return best_lab if best_lab is not None else np.arange(n) % 2


# -- reading -------------------------------------------------------------------------------------------------

_COLUMNS = ["id", "label", "language", "category", "parent_id", "parent", "size", "customers", "keywords",
            "trend", "status", "merged_into", "labels"]


def topics_frame(ws: "Store", lang: str | None = None, include_merged: bool = False, limit: int | None = None, *,
                 product: str | Sequence[str] | None = None, source: str | Sequence[str] | None = None):
    """Return topics as a DataFrame, biggest first (see ``Workspace.topics``).

    ``product`` and ``source`` (one value or several) slice the feedback: size, customers and
    trend then count only the slice's segments, and topics with nothing in the slice are left out.
    """
    import json

    import pandas as pd

    from vocmine.core.queries import feedback_where

    conn = ws.db.conn
    statuses = ("active", "merged") if include_merged else ("active",)
    where = f"t.status in ({','.join('?' * len(statuses))})" + (" and t.language = ?" if lang else "")
    args: list = list(statuses) + ([lang] if lang else [])
    rows = conn.execute(
        "select t.id, coalesce(t.custom_label, t.label), t.language, t.category, t.parent_id, "
        "coalesce(p.custom_label, p.label), t.size, t.keywords, t.status, t.merged_into, t.labels "
        f"from topics t left join topics p on p.id = t.parent_id where {where} order by t.size desc, t.id",
        args).fetchall()
    # The stored size counts every assigned segment (near-duplicates' too); a slice's size does the same
    # within the slice, so that the sizes of all products add up to the topic's.
    every = feedback_where(source=source, product=product, duplicates=True)
    live = feedback_where(source=source, product=product)
    customers = dict(conn.execute(
        f"select {_EFFECTIVE}, count(distinct coalesce(f.author, 'fb' || f.id)) {_MEMBERS}{live.sql()} group by 1",
        live.args))
    trend = _trends(conn, product=product, source=source)
    sizes = None
    if every.clauses:
        sizes = dict(conn.execute(f"select {_EFFECTIVE}, count(*) {_MEMBERS}{every.sql()} group by 1", every.args))
    data = [{"id": r[0], "label": r[1], "language": r[2], "category": r[3], "parent_id": r[4], "parent": r[5],
             "size": (r[6] or 0) if sizes is None else sizes.get(r[0], 0), "customers": customers.get(r[0], 0),
             "keywords": json.loads(r[7] or "[]"), "trend": trend.get(r[0]), "status": r[8], "merged_into": r[9],
             "labels": json.loads(r[10] or "{}")}
            for r in rows]
    if sizes is not None:
        data = sorted((d for d in data if d["size"]), key=lambda d: (-d["size"], d["id"]))
    df = pd.DataFrame(data, columns=_COLUMNS)
    return df.head(limit) if limit else df


# A topic's members: its segments and theirs of the topics merged into it, with their feedback (``f``).
_EFFECTIVE = "coalesce(t.merged_into, st.topic_id)"
_MEMBERS = ("from segment_topics st join topics t on t.id = st.topic_id join segments s on s.id = st.segment_id "
            "join feedback f on f.id = s.feedback_id")


def _trends(conn, *, product: str | Sequence[str] | None = None,
            source: str | Sequence[str] | None = None) -> dict[int, float | None]:
    """Return, per topic, distinct dated feedback in the latest 4 weeks / the 4 before (>1 rising),
    within the ``product``/``source`` slice (the latest week is the slice's).

    Undated feedback is in no period (as in the weekly trends and the report), never "recent"."""
    from vocmine.core.queries import feedback_where

    every = feedback_where(source=source, product=product, duplicates=True)
    last = conn.execute(f"select max(f.created_at) from feedback f{every.sql()}", every.args).fetchone()[0]
    if not last:
        return {}
    live = feedback_where(source=source, product=product)
    out: dict[int, float | None] = {}
    for tid, recent, before in conn.execute(
            f"select {_EFFECTIVE}, "
            "count(distinct case when julianday(f.created_at) > julianday(?) - 28 then f.id end), "
            "count(distinct case when julianday(f.created_at) <= julianday(?) - 28 "
            "and julianday(f.created_at) > julianday(?) - 56 then f.id end) "
            f"{_MEMBERS}{live.sql()} group by 1", (last, last, last, *live.args)):
        out[tid] = round(recent / before, 2) if before else (None if not recent else float("inf"))
    return out


def examples(ws: "Store", tid: int, n: int = 3, *, product: str | Sequence[str] | None = None,
             source: str | Sequence[str] | None = None) -> list[str]:
    """Return up to ``n`` redacted quotes of a topic, closest to its centre first, one per feedback
    row, from the ``product``/``source`` slice when given."""
    from vocmine.core.queries import feedback_where

    live = feedback_where(source=source, product=product).add(f"{_EFFECTIVE} = ?", int(tid))
    rows = ws.db.conn.execute(
        f"select s.text, s.feedback_id {_MEMBERS}{live.sql()} order by st.score desc, s.id", live.args).fetchall()
    out, seen = [], set()
    for text, fid in rows:
        if fid in seen or text in out:
            continue
        seen.add(fid)
        out.append(text)
        if len(out) >= n:
            break
    return out


def topic_dict(ws: "Store", tid: int, n_examples: int = 3) -> dict:
    """Return one topic as a dict (the fields of ``topics_frame`` plus ``examples``)."""
    import json

    from vocmine.core.errors import ConfigError

    conn = ws.db.conn
    row = conn.execute(
        "select t.id, coalesce(t.custom_label, t.label), t.language, t.category, t.parent_id, "
        "coalesce(p.custom_label, p.label), t.size, t.keywords, t.status, t.merged_into, t.labels "
        "from topics t left join topics p on p.id = t.parent_id where t.id = ?", (int(tid),)).fetchone()
    if row is None:
        raise ConfigError(f"unknown topic {tid}; see 'vocmine topics' for the ids")
    customers = conn.execute(
        "select count(distinct coalesce(f.author, 'fb' || f.id)) from segment_topics st join topics t "
        "on t.id = st.topic_id join segments s on s.id = st.segment_id join feedback f on f.id = s.feedback_id "
        "where coalesce(t.merged_into, st.topic_id) = ? and f.duplicate_of is null", (int(tid),)).fetchone()[0]
    return {"id": row[0], "label": row[1], "language": row[2], "category": row[3], "parent_id": row[4],
            "parent": row[5], "size": row[6] or 0, "customers": customers, "keywords": json.loads(row[7] or "[]"),
            "trend": _trends(conn).get(row[0]), "status": row[8], "merged_into": row[9],
            "labels": json.loads(row[10] or "{}"), "examples": examples(ws, row[0], n_examples)}


class Topic:
    """One topic of a workspace: ``id``, ``label``, ``language``, ``category``, ``size``...;
    ``examples(n)`` gives redacted quotes and ``trend()`` its weekly volume."""

    # Set from topic_dict() in __init__ (declared here for the type checker).
    id: int
    label: str
    language: str
    category: str | None
    size: int
    customers: int

    def __init__(self, ws, tid: int):
        self._ws = ws
        self._data = topic_dict(ws, tid, n_examples=0)
        for k, v in self._data.items():
            if not callable(getattr(type(self), k, None)):  # "examples" and "trend" stay methods
                setattr(self, k, v)

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.label!r} ({self.language}, {self.size} segments)>"

    def examples(self, n: int = 3, *, product: str | Sequence[str] | None = None,
                 source: str | Sequence[str] | None = None) -> list[str]:
        """Return up to ``n`` redacted quotes, most typical first (from the ``product``/``source``
        slice when given)."""
        return examples(self._ws, self.id, n, product=product, source=source)

    def trend(self, **kwargs):
        """Return this topic's rows of ``Workspace.trends("topic")`` (weekly volume, spikes)."""
        from vocmine.decide.trends import trends

        df = trends(self._ws, "topic", **kwargs)
        return df[df["key"] == self.id].reset_index(drop=True)

    def to_dict(self, n_examples: int = 3) -> dict:
        """Return the topic as a dict with ``n_examples`` quotes."""
        return topic_dict(self._ws, self.id, n_examples)

    def _repr_html_(self) -> str:
        from html import escape

        quotes = "".join(f"<li>{escape(q)}</li>" for q in self.examples(3))
        return (f"<div><b>{escape(str(self.label))}</b> <small>#{self.id} · {escape(self.language)} · "
                f"{escape(str(self.category or 'uncategorised'))} · {self.size} segments, {self.customers} customers"
                f"</small><ul>{quotes}</ul></div>")
