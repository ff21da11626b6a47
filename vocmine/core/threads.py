"""How many threads a model may take in this process."""
from __future__ import annotations

import os


def thread_limit() -> int | None:
    """``OMP_NUM_THREADS`` when it is set to a positive number, else None (the library's default).

    A Ray actor gets it set to its CPUs, and a user may set it; a model that otherwise takes every
    core (onnxruntime, Kiwi) keeps to it, so that workers do not oversubscribe the cores.
    """
    threads = os.environ.get("OMP_NUM_THREADS", "")
    return int(threads) if threads.isdigit() and int(threads) > 0 else None
