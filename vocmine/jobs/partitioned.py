"""What the backfill's partitioned jobs share: the engines, the option checks, the partition
listing, the atomic commit of a partition's files, and the Ray Data actor pool that runs a
worker class over partition paths.

``vocmine.jobs.backfill`` (the analyze map and the load) and ``vocmine.jobs.backfill_topics``
(the embedding and assignment maps) both build on it; it imports neither, so ``backfill`` can
run the topic maps without an import cycle.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from vocmine.core.errors import ConfigError

ENGINES = ("local", "ray")


def check_options(engine: str, workers: int | None, batch_size: int) -> None:
    """``ConfigError`` for an unknown engine, or a batch size or worker count below 1."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")


def partitions(in_dir: str | os.PathLike) -> list[Path]:
    """Return the input partitions of ``in_dir``: its ``*.parquet`` files (not those whose name
    begins with ``.`` or ``_``), sorted by name."""
    d = Path(in_dir)
    if not d.is_dir():
        raise ConfigError(f"backfill input {str(d)!r} is not a directory; give a directory of Parquet partitions")
    return sorted(p for p in d.glob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))


def atomic(path: Path, write: Callable[[str], Any]) -> None:
    """Write ``path`` through ``write(tmp)`` under a hidden temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def actor_cpus(cluster: dict[str, float], nodes: list[dict[str, float]], size: int) -> int:
    """The CPUs each of ``size`` actors asks for: an equal share of the ``cluster``'s CPUs, at most
    the biggest node's (an actor runs on one node), at least one.

    Ray sets an actor's ``OMP_NUM_THREADS`` to its CPUs and the models keep to it
    (``core.threads``), so a pool smaller than the cluster still uses every core: one worker on
    a 2-CPU cluster analyses with two threads, as the in-process engine does on that machine,
    and two workers with one each.
    """
    per_node = max((int(n.get("CPU", 0)) for n in nodes), default=0)
    share = int(cluster.get("CPU", 0)) // max(1, size)
    return max(1, min(share, per_node) if per_node else share)


@contextmanager
def ray_session(workers: int | None, address: str | None) -> Iterator[Any]:
    """Ray for one job: the cluster at ``address`` ("auto", "ray://host:10001"), else the Ray
    already initialised in this process, else a local one (this machine's processes only; of
    ``workers`` CPUs when given), with Ray Data's progress bars off (the caller's ``progress``
    reports; the library prints nothing). Yields the ``ray`` module; stops what it started."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError('engine "ray" needs Ray Data: pip install "vocmine[ray]"') from exc
    started = False
    if address is not None or not ray.is_initialized():
        if ray.is_initialized():
            raise ConfigError(f"Ray is already initialised in this process; call without address= to use it, "
                              f"or ray.shutdown() first to join {address!r}")
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING"}
        if address is None:
            kwargs["num_cpus"] = workers
        ray.init(address=address, **kwargs)
        started = True
    ctx = ray.data.DataContext.get_current()
    bars = ctx.enable_progress_bars
    ctx.enable_progress_bars = False
    try:
        yield ray
    finally:
        ctx.enable_progress_bars = bars
        if started:
            ray.shutdown()


def run_ray(todo: list[Path], options: dict, *, worker: type, workers: int | None, address: str | None,
            num_gpus: float | None = None):
    """Run ``worker(**options)`` on a Ray Data actor pool over the partitions ``todo``, one partition
    per call (the worker is a callable class: ``worker(batch)`` gets ``{"path": [one path]}`` and
    returns its counts); yield each call's counts. ``num_gpus``: each actor's share of a GPU
    (refused on a cluster without one). Each actor asks for its share of the cluster's CPUs
    (``actor_cpus``)."""
    if not todo:
        return
    with ray_session(workers, address) as ray:
        resources = ray.cluster_resources()
        if num_gpus is not None and not resources.get("GPU"):
            raise ConfigError(f"num_gpus={num_gpus} but the Ray cluster has no GPU; leave num_gpus out to run on CPUs")
        if num_gpus is not None:
            size = workers or max(1, int(resources["GPU"] // num_gpus))
        else:
            size = workers or max(1, int(resources.get("CPU", 1)))
        size = min(size, len(todo))
        cpus = actor_cpus(resources, [n["Resources"] for n in ray.nodes() if n.get("Alive")], size)
        paths = ray.data.from_items([{"path": str(p)} for p in todo], override_num_blocks=len(todo))
        ds = paths.map_batches(worker, fn_constructor_kwargs=options, batch_size=1,
                               compute=ray.data.ActorPoolStrategy(size=size), num_cpus=cpus, num_gpus=num_gpus,
                               batch_format="numpy")
        for row in ds.iter_rows():
            yield {k: (str(v) if k == "partition" else int(v)) for k, v in row.items()}


# -- partition markers: which input rows an analysis was made from -------------------------------------

def input_digest(ids, hashes) -> str:
    """A short hash of a partition's rows (feedback ids and content hashes): what its marker was made from."""
    h = hashlib.sha256()
    for fid, chash in zip(ids, hashes):
        h.update(f"{int(fid)}\t{chash or ''}\n".encode())
    return h.hexdigest()[:16]


def _partition_digest(path: Path) -> str:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    t = pq.read_table(path, columns=["id", "content_hash"])
    return input_digest(t.column("id").to_pylist(), t.column("content_hash").to_pylist())


def finished(out: str | os.PathLike, part: Path) -> dict[str, Any] | None:
    """The marker of input partition ``part`` in the analysis folder ``out`` when it is done for
    the rows ``part`` holds now, else None: a marker made from other rows (a later export reused
    the name) does not count."""
    mark = marker(Path(out), part)
    info = json.loads(mark.read_text(encoding="utf-8")) if mark.is_file() else None
    return info if info is not None and info.get("input") == _partition_digest(part) else None


def marker(out: Path, part: Path) -> Path:
    """Where the analysis folder ``out`` keeps the marker of input partition ``part``."""
    return out / "_done" / f"{part.stem}.json"
