"""Plain text: one feedback item per non-empty line."""
from __future__ import annotations

from typing import Iterator

from ..feedback import Feedback, Reject
from .base import FileSource
from .encoding import check_encoding, detect_encoding


class TextSource(FileSource):
    """Each non-empty line is one item; its line number is its row."""

    format = "text"
    extensions = (".txt", ".text")

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
        enc = check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)
        where = str(self.path)
        with open(self.path, "rb") as raw:
            for lineno, line in enumerate(raw, start=1):
                self.position += len(line)
                s = line.decode(enc, errors="replace").strip().lstrip("\ufeff")
                if s:
                    yield Feedback(text=s, kind=self.kind, raw={"line": lineno}, origin=where, row=lineno)
