"""Backfill, third slice: embeddings and topic assignment over the backfill's partitions, in this
process or on Ray (issue 18).

The first slice (``vocmine.jobs.backfill``) writes ``OUT/segments/NAME.parquet``. This module
runs the two maps of the topic stage over those partitions:

1. ``embed_partitions``: the segments the topic stage works on (complaints, unless
   ``all_segments``) of one topic language, embedded by the embedder ``update_topics`` would use
   for that language, with the markup stripped as the stage does (``strip_markup``);
2. ``assign_partitions``: every one of those segments placed on a workspace's fitted topics by
   ``vocmine.decide.topic_stage.assign_by_centroid``, the function the topic stage places new
   segments with (nearest active centroid, the ``assign`` and ``loose`` thresholds learned at
   fit time). Topic discovery itself stays on the driver, on a sample, as in ``update_topics``.

Output, per input partition ``NAME.parquet`` and topic language ``LANG`` (``en`` or ``ko``)::

    OUT/vectors/LANG/NAME.parquet        feedback_id, idx, vector (list<float32>, unit length)
    OUT/vectors/LANG/_done/NAME.json     its marker: counts, the embedder, a fingerprint
    OUT/assignments/LANG/NAME.parquet    feedback_id, idx, topic_id (null for an outlier), score, method
    OUT/assignments/LANG/_done/NAME.json its marker

``method`` is ``assign`` (at least the ``assign`` threshold close to its topic), ``loose``
(between ``loose`` and ``assign``: the stage would first try to cluster it into a new topic,
and give it to this topic only if none forms) or ``outlier``. ``pandas.read_parquet("OUT/vectors")``
reads both languages; the ``_done`` folders and temporary ``.`` names are skipped by Arrow.

Commit and resume are the first slice's: each file is written under a temporary name and
renamed into place (``partitioned.atomic``), the marker last; a run skips the partitions that have
a marker and refuses an output directory written with other settings (a fingerprint in each
marker: embedder, its fitted state, batch size for vectors; topic ids, centroids and thresholds for
assignments).

Same vectors in both engines: the int8 MiniLM's vectors depend a little on which texts share a
batch (its activations are quantised per batch). So each partition is embedded alone, its
distinct texts in the order they first appear (segments sorted by feedback id and index), in
chunks of ``batch_size`` texts per ``embed`` call; the in-process engine and every Ray actor do
exactly this, so they write the same floats. (``vocmine topics update`` batches a workspace's
texts otherwise, so its own vectors of the same texts differ in the last digits; load the
backfill's vectors into the workspace with ``load_vectors`` and the stage uses those.)

The embedder travels as a spec (a registered name or a local folder) and is built, and its model
loaded, once per worker. A workspace-fitted embedder (``kiwi-lsa``, the Korean default) takes
the fit stored in ``ws`` (``embedder_states``, written by the ``update_topics`` that fitted the
topics: vectors and topics must share one fit, so nothing is fitted here); its bytes go to the
workers, which restore it with ``from_state``, and their hash to the markers, so that
``assign_partitions`` refuses vectors of another fit than the workspace's.

``num_gpus`` (Ray only) is handed to the actor pool, so each actor reserves that share of a GPU.
The built-in embedders run on the CPU (onnxruntime's CPU provider, or torch on ``cpu``): a GPU
helps only an embedder that places itself there. It has not been run on a GPU.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from vocmine.core.errors import ConfigError
from vocmine.jobs.partitioned import atomic, check_options, partitions, run_ray

if TYPE_CHECKING:
    from vocmine.core.store import Store

# Texts per ``embed`` call within a partition (what ``cached_vectors`` hands the embedder at once).
EMBED_BATCH = 2048
SEGMENT_INPUT = ("feedback_id", "idx", "text", "language", "complaint")
VECTOR_COLUMNS = ("feedback_id", "idx", "vector")
ASSIGNMENT_COLUMNS = ("feedback_id", "idx", "topic_id", "score", "method")
LANGS = ("en", "ko")


def _vector_schema():
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("vector", pa.list_(pa.float32()))])


def _assignment_schema():
    import pyarrow as pa

    return pa.schema([("feedback_id", pa.int64()), ("idx", pa.int32()), ("topic_id", pa.int64()),
                      ("score", pa.float64()), ("method", pa.string())])


def eligible_rows(path: str | os.PathLike, lang: str, all_segments: bool = False) -> tuple[list[tuple[int, int]],
                                                                                             list[str]]:
    """Return the (feedback_id, idx) keys and texts (markup stripped) of a segments partition that
    the topic stage would embed for topic language ``lang``, sorted by key."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from vocmine.decide.topic_labels import strip_markup
    from vocmine.decide.topic_stage import topic_language

    t = pq.read_table(path, columns=list(SEGMENT_INPUT)).to_pydict()
    rows = sorted((int(f), int(i), x or "") for f, i, x, lg, c in zip(
        t["feedback_id"], t["idx"], t["text"], t["language"], t["complaint"])
        if topic_language(lg) == lang and (all_segments or c == 1))
    return [(f, i) for f, i, _ in rows], [strip_markup(x) for _f, _i, x in rows]


def embed_texts(embedder: Any, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Embed ``texts`` as a partition is embedded: each distinct text once, in the order they first
    appear, ``batch_size`` texts per ``embed`` call; one float32 row per text."""
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return np.zeros((0, 0), np.float32)
    parts = [np.asarray(embedder.embed(distinct[k:k + batch_size]), dtype=np.float32)
             for k in range(0, len(distinct), batch_size)]
    vecs = np.vstack(parts)
    row = {t: n for n, t in enumerate(distinct)}
    return vecs[[row[t] for t in texts]]


def read_vectors(path: str | os.PathLike) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Return the keys and the vectors (float32 rows) of one vectors partition."""
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=list(VECTOR_COLUMNS))
    keys = list(zip(t.column("feedback_id").to_pylist(), t.column("idx").to_pylist()))
    col = t.column("vector").combine_chunks()
    flat = col.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    dim = len(flat) // len(keys) if keys else 0
    return keys, flat.reshape(len(keys), dim)


def _hash(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


# -- embeddings --------------------------------------------------------------------------------------

def embed_partitions(seg_dir: str | os.PathLike, out_dir: str | os.PathLike, *, lang: str = "en",
                     embedder: str | os.PathLike | None = None, engine: str = "local", workers: int | None = None,
                     batch_size: int = EMBED_BATCH, num_gpus: float | None = None, ws: "Store | None" = None,
                     address: str | None = None, all_segments: bool = False,
                     names: "Sequence[str] | None" = None,
                     progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Embed the topic stage's segments of topic language ``lang`` in every segments partition of
    ``seg_dir`` (the first slice's ``OUT/segments``) not done yet, into ``out_dir/vectors/lang``;
    with ``names`` (stems such as ``part-00000``), in those partitions only.

    ``embedder`` is a spec: a registered name or a local sentence-transformers folder (default: the
    stage's default for ``lang``). A workspace-fitted one (``kiwi-lsa``) needs ``ws``. ``engine``,
    ``workers``, ``address`` and ``progress`` are as in ``analyze_partitions``; ``num_gpus`` (Ray
    only) is each actor's share of a GPU. ``batch_size`` is the texts per ``embed`` call.

    Returns ``partitions``, ``skipped``, ``embedded`` (partitions done by this run), then over all
    partitions done ``segments`` (vectors written) and ``texts`` (distinct texts embedded), plus
    ``embedder``, ``dim``, ``seconds`` and ``engine``.
    """
    from vocmine.decide.embed import get_embedder
    from vocmine.decide.topic_stage import _workspace_fitted, prepare_embedder

    _check(engine, workers, batch_size, lang)
    if num_gpus is not None and (engine != "ray" or num_gpus <= 0):
        raise ConfigError("num_gpus is a share of a GPU per Ray actor: give a number above 0, with engine='ray'")
    t0 = time.perf_counter()
    parts = partitions(seg_dir)
    if names is not None:
        wanted = set(names)
        parts = [p for p in parts if p.stem in wanted]
    if embedder is not None and not isinstance(embedder, (str, os.PathLike)):
        raise ConfigError("embedder= is a spec each worker builds its own embedder from: a registered name or a local "
                          f"model folder, not {type(embedder).__name__!r}")
    spec = None if embedder is None else str(embedder)
    emb = get_embedder(spec, lang)  # a wrong name fails here, before any work
    state: bytes | None = None
    name = emb.name
    if _workspace_fitted(emb):
        name = name if name.endswith(f":{lang}") else f"{name}:{lang}"  # the stage's name: "kiwi-lsa:ko"
        emb.name = name
        # The vectors must share the fit of the topics they will be assigned to: the workspace's.
        row = None if ws is None else ws.db.conn.execute("select state from embedder_states where name = ?",
                                                         (name,)).fetchone()
        if ws is None or row is None:
            raise ConfigError(f"embedder {name!r} is fitted on a workspace: pass ws=, a workspace whose topics of "
                              f"{lang!r} were fitted with it ('vocmine topics update' fits both)")
        prepare_embedder(ws, emb, list)  # restores the stored fit (a check that it loads); nothing is fitted
        state = bytes(row[0])  # the stored bytes themselves: their hash names the fit
    out = Path(out_dir) / "vectors" / lang
    fp = _hash("vectors", name, spec, lang, all_segments, batch_size, state or b"")
    done, todo = _resume(out, parts, fp, "vectors")
    options = {"out_dir": str(out), "spec": spec, "lang": lang, "name": name, "state": state,
               "all_segments": all_segments, "batch_size": batch_size, "fingerprint": fp}
    result: dict[str, Any] = {"partitions": len(parts), "skipped": len(done), "embedded": 0}
    for info in _drive(PartitionEmbedder, todo, options, parts, done, progress, engine, workers, address,
                       num_gpus):
        result["embedded"] += 1
        done[info["partition"]] = info
    marks = [json.loads((out / "_done" / f"{p}.json").read_text(encoding="utf-8")) for p in sorted(done)]
    result["segments"] = sum(int(m["segments"]) for m in marks)
    result["texts"] = sum(int(m["texts"]) for m in marks)
    result["dim"] = max((int(m["dim"]) for m in marks), default=0)
    result["embedder"] = name
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["engine"] = engine
    return result


class PartitionEmbedder:
    """Embeds whole segments partitions: built once per worker (it builds the embedder from its spec
    and loads the model), called per partition (``embed(path)``; ``__call__`` takes a Ray Data batch
    ``{"path": [...]}``)."""

    def __init__(self, out_dir: str, *, spec: str | None, lang: str, name: str, state: bytes | None = None,
                 all_segments: bool = False, batch_size: int = EMBED_BATCH, fingerprint: str = "") -> None:
        from vocmine.decide.embed import get_embedder

        self.out_dir = Path(out_dir)
        self.lang, self.all_segments, self.batch_size, self.fingerprint = lang, all_segments, batch_size, fingerprint
        self.state_sha = _hash(state) if state is not None else None
        emb = get_embedder(spec, lang)
        if state is not None:
            emb = type(emb).from_state(state)
        emb.name = name
        if hasattr(emb, "load"):
            emb.load()
        self.embedder = emb

    def embed(self, path: str | os.PathLike) -> dict[str, Any]:
        """Embed one partition and commit its vectors and marker; return its counts."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        path = Path(path)
        keys, texts = eligible_rows(path, self.lang, self.all_segments)
        x = embed_texts(self.embedder, texts, self.batch_size)
        dim = int(x.shape[1]) if len(keys) else 0
        offsets = pa.array(np.arange(len(keys) + 1, dtype=np.int32) * dim, pa.int32())
        vectors = pa.ListArray.from_arrays(offsets, pa.array(x.ravel(), pa.float32()))
        table = pa.Table.from_arrays([pa.array([k[0] for k in keys], pa.int64()), pa.array([k[1] for k in keys],
                                      pa.int32()), vectors], schema=_vector_schema())
        atomic(self.out_dir / path.name, partial(pq.write_table, table))
        secs = time.perf_counter() - t0
        counts = {"partition": path.stem, "segments": len(keys), "texts": len(set(texts)), "dim": dim}
        info = {**counts, "embedder": self.embedder.name, "state": self.state_sha, "lang": self.lang,
                "fingerprint": self.fingerprint,
                "pid": os.getpid(), "started": round(time.time() - secs, 3), "seconds": round(secs, 3)}
        _commit_marker(self.out_dir, path, info)
        return counts

    run = embed

    def __call__(self, batch: dict) -> dict[str, list]:
        found = [self.embed(str(p)) for p in batch["path"]]
        return {k: [f[k] for f in found] for k in ("partition", "segments", "texts", "dim")}


def load_vectors(ws: "Store", vec_dir: str | os.PathLike, seg_dir: str | os.PathLike | None = None) -> int:
    """Store the vectors of ``vec_dir`` (``OUT/vectors/LANG``) in the workspace's ``embeddings``
    table, for the segments the workspace has (matched by feedback id and index), so that the
    topic stage uses them instead of embedding again. Returns how many were stored.

    With ``seg_dir`` (the ``OUT/segments`` the vectors were embedded from), a vector is stored only
    where the workspace's segment has the text that was embedded: a row changed since the export
    (the load leaves it to ``vocmine analyze``) keeps no vector of its old text."""
    import pyarrow.parquet as pq

    d = Path(vec_dir)
    conn = ws.db.conn
    n = 0
    for p in partitions(d):
        mark = d / "_done" / f"{p.stem}.json"
        if not mark.is_file():
            continue
        name = json.loads(mark.read_text(encoding="utf-8"))["embedder"]
        keys, x = read_vectors(p)
        embedded: dict[tuple[int, int], str] | None = None
        if seg_dir is not None:
            t = pq.read_table(Path(seg_dir) / p.name, columns=["feedback_id", "idx", "text"]).to_pydict()
            embedded = {(int(f), int(i)): s for f, i, s in zip(t["feedback_id"], t["idx"], t["text"])}
        ids = {}
        for s, f, i, text in conn.execute("select id, feedback_id, idx, text from segments where "
                                          "feedback_id between ? and ?",
                                          (min((k[0] for k in keys), default=0),
                                           max((k[0] for k in keys), default=-1))):
            if embedded is None or embedded.get((f, i)) == text:
                ids[(f, i)] = s
        rows = [(ids[k], name, int(x.shape[1]), x[j].tobytes()) for j, k in enumerate(keys) if k in ids]
        with conn:
            conn.executemany("insert or replace into embeddings (segment_id, embedder, dim, vector) values (?,?,?,?)",
                             rows)
        n += len(rows)
    return n


# -- assignment --------------------------------------------------------------------------------------

def topic_model(ws: "Store", lang: str, embedder: str) -> dict[str, Any]:
    """Return the workspace's fitted topic model for ``lang`` in ``embedder``'s space, as arrays:
    ``topic_ids``, ``centroids``, ``assign``, ``loose`` (what ``assign_partitions`` hands each worker)."""
    from vocmine.decide.topic_stage import active_topics, topic_thresholds

    tids, cents, _sizes = active_topics(ws, lang, embedder)
    th = topic_thresholds(ws, lang, embedder)
    return {"topic_ids": np.asarray(tids, dtype=np.int64), "centroids": np.asarray(cents, dtype=np.float32),
            "assign": float(th["assign"]), "loose": float(th["loose"])}


def assign_partitions(vec_dir: str | os.PathLike, out_dir: str | os.PathLike, *, ws: "Store", lang: str = "en",
                      engine: str = "local", workers: int | None = None, address: str | None = None,
                      progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Place every segment of the vectors partitions in ``vec_dir`` (``OUT/vectors/LANG``) on the
    fitted topics of ``ws`` for ``lang``, into ``out_dir/assignments/lang``; returns counts.

    The topics (the active topics' centroids in the vectors' embedder space, and the thresholds of
    the last fit) are read once, on the driver, and every worker gets them as arrays; the workspace
    is not changed. ``engine``, ``workers``, ``address`` and ``progress`` are as in
    ``analyze_partitions``. Returns ``partitions``, ``skipped``, ``assigned`` (partitions done by
    this run), then over all partitions done ``segments`` and the count per method (``assign``,
    ``loose``, ``outlier``), ``topics``, ``seconds`` and ``engine``.
    """
    _check(engine, workers, 1, lang)
    t0 = time.perf_counter()
    vdir = Path(vec_dir)
    parts = partitions(vdir)
    names, states = set(), set()
    for p in parts:
        mark = vdir / "_done" / f"{p.stem}.json"
        if not mark.is_file():
            raise ConfigError(f"vectors partition {p.stem} in {str(vdir)!r} is not finished; run embed_partitions "
                              "again to finish it")
        info = json.loads(mark.read_text(encoding="utf-8"))
        if info.get("lang") != lang:
            raise ConfigError(f"{str(vdir)!r} holds vectors of topic language {info.get('lang')!r}, not {lang!r}")
        names.add(info["embedder"])
        states.add(info.get("state"))
    if len(names) > 1:
        raise ConfigError(f"{str(vdir)!r} mixes vectors of embedders {sorted(names)}; embed into a new directory")
    for name in names:
        row = ws.db.conn.execute("select state from embedder_states where name = ?", (name,)).fetchone()
        if states != {_hash(row[0]) if row else None}:
            raise ConfigError(f"the vectors in {str(vdir)!r} were made with another fit of {name!r} than the "
                              "workspace's topics; embed them again with ws= this workspace, into a new directory")
    model = topic_model(ws, lang, names.pop()) if names else None
    if model is not None and not len(model["topic_ids"]):
        raise ConfigError(f"the workspace has no active {lang} topics fitted with the embedder of these vectors; "
                          "run 'vocmine topics update' on it first")
    out = Path(out_dir) / "assignments" / lang
    m = model or {"assign": None, "loose": None, "topic_ids": np.zeros(0), "centroids": np.zeros(0)}
    fp = _hash("assignments", lang, m["assign"], m["loose"], m["topic_ids"].tobytes(), m["centroids"].tobytes())
    done, todo = _resume(out, parts, fp, "assignments")
    options = {"out_dir": str(out), "fingerprint": fp, **(model or {})}
    result: dict[str, Any] = {"partitions": len(parts), "skipped": len(done), "assigned": 0}
    for info in _drive(PartitionAssigner, todo, options, parts, done, progress, engine, workers, address, None):
        result["assigned"] += 1
        done[info["partition"]] = info
    marks = [json.loads((out / "_done" / f"{p}.json").read_text(encoding="utf-8")) for p in sorted(done)]
    for key in ("segments", *METHODS):
        result[key] = sum(int(m[key]) for m in marks)
    result["topics"] = len(model["topic_ids"]) if model else 0
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["engine"] = engine
    return result


METHODS = ("assign", "loose", "outlier")


class PartitionAssigner:
    """Assigns whole vectors partitions to a fixed topic model (the arrays of ``topic_model``);
    ``assign(path)`` does one, ``__call__`` takes a Ray Data batch ``{"path": [...]}``."""

    def __init__(self, out_dir: str, *, topic_ids: np.ndarray, centroids: np.ndarray, assign: float, loose: float,
                 fingerprint: str = "") -> None:
        self.out_dir = Path(out_dir)
        self.topic_ids, self.centroids = np.asarray(topic_ids), np.asarray(centroids, dtype=np.float32)
        self.threshold, self.loose, self.fingerprint = float(assign), float(loose), fingerprint

    def assign(self, path: str | os.PathLike) -> dict[str, Any]:
        """Assign one partition's segments and commit the assignments and marker; return its counts."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from vocmine.decide.topic_stage import assign_by_centroid

        t0 = time.perf_counter()
        path = Path(path)
        keys, x = read_vectors(path)
        tids, scores, methods = assign_by_centroid(x, self.topic_ids, self.centroids, self.threshold, self.loose)
        table = pa.Table.from_pydict({
            "feedback_id": [k[0] for k in keys], "idx": [k[1] for k in keys], "topic_id": tids,
            "score": [round(float(s), 4) for s in scores], "method": methods}, schema=_assignment_schema())
        atomic(self.out_dir / path.name, partial(pq.write_table, table))
        secs = time.perf_counter() - t0
        counts = {"partition": path.stem, "segments": len(keys), **{m: methods.count(m) for m in METHODS}}
        info = {**counts, "fingerprint": self.fingerprint, "pid": os.getpid(), "started": round(time.time() - secs, 3),
                "seconds": round(secs, 3)}
        _commit_marker(self.out_dir, path, info)
        return counts

    run = assign

    def __call__(self, batch: dict) -> dict[str, list]:
        found = [self.assign(str(p)) for p in batch["path"]]
        return {k: [f[k] for f in found] for k in ("partition", "segments", *METHODS)}


# -- shared ------------------------------------------------------------------------------------------

def _check(engine: str, workers: int | None, batch_size: int, lang: str) -> None:
    check_options(engine, workers, batch_size)
    if lang not in LANGS:
        raise ConfigError(f"unknown topic language {lang!r}; available: {', '.join(LANGS)}")


def _commit_marker(out: Path, part: Path, info: dict) -> None:
    atomic(out / "_done" / f"{part.stem}.json",
            lambda tmp: Path(tmp).write_text(json.dumps(info), encoding="utf-8"))


def _resume(out: Path, parts: list[Path], fp: str, what: str) -> tuple[dict[str, dict], list[Path]]:
    """Return the partitions done (by name, their markers) and those to do; refuse other settings'
    output; remove the temporary files a killed run left for the partitions to do."""
    (out / "_done").mkdir(parents=True, exist_ok=True)
    done: dict[str, dict] = {}
    todo: list[Path] = []
    for p in parts:
        mark = out / "_done" / f"{p.stem}.json"
        if mark.is_file():
            info = json.loads(mark.read_text(encoding="utf-8"))
            if info.get("fingerprint") != fp:
                raise ConfigError(f"{str(out)!r} holds {what} of partition {p.stem} made with other settings "
                                  f"(embedder, its fit, batch size, or topic model); write to a new output directory "
                                  "or delete that one")
            done[p.stem] = info
        else:
            todo.append(p)
            for d in (out, out / "_done"):
                for tmp in d.glob(f".{p.stem}.*.tmp"):
                    tmp.unlink()
    return done, todo


def _drive(worker: type, todo: list[Path], options: dict, parts: list[Path], done: dict, progress, engine: str,
           workers: int | None, address: str | None, num_gpus: float | None):
    n_done = len(done)
    if progress and parts:
        progress(n_done, len(parts))
    runs = _run_local(worker, todo, options) if engine == "local" else run_ray(
        todo, options, workers=workers, address=address, worker=worker, num_gpus=num_gpus)
    for info in runs:
        n_done += 1
        yield info
        if progress:
            progress(n_done, len(parts))


def _run_local(worker: type, todo: list[Path], options: dict):
    if not todo:
        return
    w = worker(**options)
    for p in todo:
        yield w.run(p)
