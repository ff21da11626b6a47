"""Peak memory of a command and all its child processes together (RSS summed, sampled every 0.1 s).

    python bench/peak_tree.py -- vocmine --db w.db analyze

``bench_understand.py`` reports the peak RSS of the biggest single process; with worker
processes (``vocmine analyze`` on a large backlog) the sum over the process tree is what the
machine needs. Linux only (reads /proc).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time


def tree_rss_mb(root: int) -> float:
    kids: dict[int, list[int]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
        todo += kids.get(pid, [])
    return total / 2**20


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit("usage: python bench/peak_tree.py -- COMMAND...")
    start = time.perf_counter()
    proc = subprocess.Popen(args)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.1)
    print(f"peak RSS of the process tree: {peak:,.0f} MB; {time.perf_counter() - start:.1f} s; exit {proc.returncode}")


if __name__ == "__main__":
    main()
