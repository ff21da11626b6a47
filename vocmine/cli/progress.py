"""Progress output for long commands: a live stage line on a terminal, one log line per stage elsewhere.

Library code never prints: a job reports through a callable (``progress(line)`` when a stage
ends, with its counts) and, when the callable has them, ``progress.start(label)`` when a stage
begins and ``progress.counter(label)`` for a ``(done, total)`` callback while it runs. This
module is that callable for the CLI:

- on a TTY, the running stage is drawn as one line redrawn in place (``\\r``) with its counter,
  and replaced by the stage's summary line when it ends;
- off a TTY (a pipe, cron, CI), nothing is written while a stage runs and exactly one line per
  stage is written, flushed, when it ends: no bare labels, no ``\\r``;
- ``quiet`` writes nothing at all.
"""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO


class Progress:
    """Stage progress for one command, written to ``stream`` (default: stderr)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty()) if tty is None else tty
        self._label: str | None = None
        self._width = 0
        self._last_draw = 0.0

    # -- the stage protocol -------------------------------------------------------------------
    def start(self, label: str) -> None:
        """A stage begins: drawn on a TTY, silent elsewhere."""
        self._label = label
        if self.tty and not self.quiet:
            self._draw(f"{label} ...")

    def counter(self, label: str | None = None) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback for the running stage (redraws at most ~10 times a second)."""
        if label is not None:
            self.start(label)

        def update(done: int, total: int) -> None:
            if not self.tty or self.quiet:
                return
            now = time.monotonic()
            if done < total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            pct = f" {100 * done // total}%" if total > 0 else ""
            self._draw(f"{self._label or ''} {done:,}/{total:,}{pct}" if total > 0 else f"{self._label or ''} {done:,}")

        return update

    def __call__(self, line: str) -> None:
        """A stage ended: its one summary line (with counts)."""
        self._label = None
        if self.quiet:
            return
        if self.tty:
            self._clear()
        self.stream.write(line + "\n")
        self.stream.flush()

    # -- drawing (TTY only) ----------------------------------------------------------------------
    def _draw(self, text: str) -> None:
        pad = " " * max(0, self._width - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0

    def close(self) -> None:
        """Clear a half-drawn stage line (e.g. when a command fails mid-stage)."""
        if self.tty and not self.quiet:
            self._clear()
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def seconds(t0: float) -> str:
    """``(3.1 s)`` since ``t0`` (a ``time.monotonic()`` reading)."""
    return f"({time.monotonic() - t0:.1f} s)"
