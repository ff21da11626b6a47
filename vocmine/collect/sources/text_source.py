"""Plain text: one feedback item per non-empty line."""
from __future__ import annotations

from typing import Iterator

from vocmine.core.feedback import Feedback, Note, Reject
from vocmine.collect.sources.base import FileSource
from vocmine.collect.sources.encoding import LABELS, check_encoding, decode_line, detect_encoding


class TextSource(FileSource):
    """Each non-empty line is one item; its line number is its row."""

    format = "text"
    type = "text"  # the registered name (vocmine.sources)
    extensions = (".txt", ".text")

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject | Note]:
        enc = check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)
        where = str(self.path)
        fallbacks: dict[str, list[int]] = {}
        with open(self.path, "rb") as raw:
            for lineno, line in enumerate(raw, start=1):
                self.position += len(line)
                s, used = decode_line(line, enc)
                s = s.strip().lstrip("\ufeff")
                if not s:
                    continue
                if used != enc:
                    if used is None:
                        yield Reject(f"line is not {LABELS.get(enc, enc)} text (nor CP949/EUC-KR or Windows-1252): "
                                     f"binary data or another encoding; not stored. Re-save the file as UTF-8 or "
                                     f"use --encoding", where, lineno, raw=s[:2000])
                        continue
                    fallbacks.setdefault(used, []).append(lineno)
                yield Feedback(text=s, kind=self.kind, raw={"line": lineno}, origin=where, row=lineno)
        for used, rows in fallbacks.items():
            shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
            yield Note(f"{where}: {len(rows)} line(s) were not {LABELS.get(enc, enc)} and were read as "
                       f"{LABELS.get(used, used)} (lines {shown}); check them", where)
