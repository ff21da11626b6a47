"""The ingest's redaction and language detection as a map on Ray: the first stage of
``vocmine backfill --engine ray`` (issue 18).

An ingest is two halves (``vocmine.collect.ingest``). ``Preparer.draft`` is ordered and cheap: it
reads each row's fields, rejects what cannot be stored, gives each row its natural key (a
content hash numbered by occurrence, or the file's id with a repeat rejected) and pseudonymises the
author; it runs here, in the process that reads the file and writes the workspace. ``finish`` is
the rest: the redaction of text, title, URL and raw record, the language, the hashes (6.5 s of a
16.0 s in-process ingest of 100,000 review rows, bench/bench_ingest.py's; docs/performance.md). It is a
pure function of the draft, so ``ray_finisher`` runs it on a pool of Ray actors, a batch of drafts
per call, while this process reads ahead and writes the finished rows, in order, through the
ingest's own writer (near-duplicates, updates, rejects and messages as ``vocmine ingest`` gives
them). The driver's part then bounds the ingest: one actor made it 1.55x faster on two cores,
a second added nothing. The rows, rejects and messages equal the in-process ingest's
(tests/jobs/test_ingest_map.py).

Why actors called in order and not a Ray Data pipeline: the rows come from one file parsed here
(CSV, JSONL, XLSX, ... through the file sources, with their encoding and column detection) and
are written in file order (the first of two rows with one id is kept; a near-duplicate points at
the first row stored), so the map is over batches in flight, at most ``AHEAD`` per actor, not a
dataset Ray Data could re-block. A draft holds no secret (the pseudonym key stays here) and no
contact row. An actor that dies is restarted and its calls retried (the function is pure, so a
retry gives the same rows); a killed ingest is resumed, as ever, by running it again: what it
stored is recognised by its natural key and not stored twice.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

from vocmine.collect.ingest import Finisher, finish_all

# Drafts per actor call: a few tenths of a second of work, so that the call's overhead is small.
CHUNK_ROWS = 2_000
# Calls queued per actor: one running, one waiting, so no actor waits for the driver.
AHEAD = 2


class _FinishActor:
    """One Ray actor: ``finish_all`` over the batches it is sent."""

    def finish(self, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return finish_all(drafts)


def ray_finisher(workers: int | None = None) -> Finisher:
    """A finisher (``run_ingest``'s) that finishes each batch of drafts on one of ``workers`` Ray
    actors (default: one per CPU of the cluster), one CPU each (the work is single-threaded Python), and yields the batches back in
    order. Ray must be initialised when it runs (``partitioned.ray_session``)."""

    def run(chunks: Iterable[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        import ray

        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor: Any = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(_FinishActor)
        pool: list[Any] = [actor.remote() for _ in range(size)]
        queue: deque[Any] = deque()
        try:
            for n, drafts in enumerate(chunks):
                queue.append(pool[n % size].finish.remote(drafts) if drafts else [])
                while len(queue) >= size * AHEAD:
                    yield _get(ray, queue.popleft())
            while queue:
                yield _get(ray, queue.popleft())
        finally:
            for a in pool:
                ray.kill(a)

    return run


def _get(ray: Any, ref: Any) -> list[dict[str, Any]]:
    return ref if isinstance(ref, list) else ray.get(ref)
