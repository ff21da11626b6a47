"""CSV and TSV files with any delimiter, as survey tools, review exports and Excel write them.

Lines are decoded one by one (see ``encoding.decode_line``), so one row in another encoding, or
one binary row, costs that row and not the file. Excel's ``sep=;`` first line is honoured. A
quote that is never closed would swallow every row after it: such a row is rejected and the lines
it swallowed are read again as rows.
"""
from __future__ import annotations

import csv
import io
import logging
import re
from collections import deque
from typing import Iterator

from vocmine.core.errors import ConfigError, SourceError
from vocmine.core.feedback import Feedback, Note, Reject
from vocmine.collect.sources.base import SAMPLE_ROWS, FileSource, unique_headers
from vocmine.collect.sources.encoding import LABELS, check_encoding, decode_line, detect_encoding

log = logging.getLogger(__name__)
csv.field_size_limit(64 << 20)  # very long fields are rejected by the ingest path with a message

_SEP_RE = re.compile(r'^\s*"?sep=(.)"?[,;\t|]*\s*$')


def sniff_delimiter(first_line: str, default: str = ",") -> str:
    """Return the delimiter that splits the header line into the most fields."""
    best, count = default, 0
    for d in (",", "\t", ";", "|"):
        n = first_line.count(d)
        if n > count:
            best, count = d, n
    return best


def check_delimiter(delimiter: str) -> str:
    """Return ``delimiter`` if it can split CSV fields (one character, not a quote or line break)."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ConfigError(
            f"delimiter {delimiter!r} cannot be used: give one character other than a quote or a line break "
            f"(for example ';' or '\\t')"
        )
    return delimiter


def _rows_list(rows: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


class _Lines:
    """The decoded lines of a file, for csv.reader: lines pushed back onto ``pending`` come first.

    Each line handed out is also appended to ``consumed`` as (line number, text, encoding used),
    so the caller knows which physical lines made up the row the reader returned.
    """

    def __init__(self, lines: Iterator[tuple[int, str, str | None]], pending: deque, consumed: list):
        self.lines, self.pending, self.consumed = lines, pending, consumed

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        item = self.pending.popleft() if self.pending else next(self.lines)
        self.consumed.append(item)
        return item[1]


class CsvSource(FileSource):
    """Rows of a delimited text file; the first row names the columns."""

    format = "csv"
    type = "csv"  # the registered name (vocmine.sources)
    extensions = (".csv", ".csv.txt")
    default_delimiter: str | None = None

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject | Note]:
        given = self.options.get("delimiter")
        if given is not None:
            check_delimiter(given)
        encoding = check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)
        where = str(self.path)
        if not self.encoding and encoding not in ("utf-8", "utf-8-sig"):
            yield Note(f"{where}: read as {LABELS.get(encoding, encoding)} (detected; use --encoding to change)", where)
        raw = open(self.path, "rb")
        # (line number, text, encoding used or None) of the lines the reader took for the current
        # row; ``pending`` holds lines to read again after a runaway quote.
        consumed: list[tuple[int, str, str | None]] = []
        pending: deque[tuple[int, str, str | None]] = deque()
        odd = [0]  # lines not in the file's encoding since the last row

        def lines() -> Iterator[tuple[int, str, str | None]]:
            if encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
                for lineno, line in enumerate(io.TextIOWrapper(raw, encoding=encoding, errors="replace",
                                                               newline=""), start=1):
                    yield lineno, line, encoding
                return
            utf8 = encoding in ("utf-8", "utf-8-sig")
            for lineno, data in enumerate(raw, start=1):
                self.position += len(data)
                if utf8:
                    try:
                        yield lineno, data.decode(encoding), encoding  # the common case, kept cheap
                        continue
                    except UnicodeDecodeError:
                        pass
                text, used = decode_line(data, encoding)
                if used != encoding:
                    odd[0] += 1
                yield lineno, text, used

        try:
            src = _Lines(lines(), pending, consumed)
            first = next(src, "")
            row = 1
            sep = _SEP_RE.match(first)
            if sep:
                first = next(src, "")
                row = 2
            if any(u is None for _, _, u in consumed):
                raise SourceError(f"{where}: the header row is not readable text in {LABELS.get(encoding, encoding)}; "
                                  f"name the encoding with --encoding")
            if not first.strip():
                raise SourceError(f"{where}: the file is empty or has no header row")
            delimiter = given or (sep.group(1) if sep else None) or self.default_delimiter or sniff_delimiter(first)
            header, notes = unique_headers(
                [h.strip().lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter))], where)
            yield from notes
            odd[0] = 0
            cols, notes = self.columns.resolve_by_content(
                header, where, lambda: self._sample(encoding, delimiter, header, skip=row))
            yield from notes
            width = len(header)
            reader = csv.reader(src, delimiter=delimiter, strict=False)
            errors_in_a_row = 0
            fallbacks: dict[str, list[int]] = {}
            while True:
                consumed.clear()
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    row += 1
                    errors_in_a_row += 1
                    yield Reject(f"unreadable CSV row: {exc}", where, row)
                    if errors_in_a_row > 1000:  # the reader is stuck; say so instead of looping
                        raise SourceError(f"{where}: stopped after 1000 unreadable rows near row {row}") from exc
                    continue
                errors_in_a_row = 0
                row += 1
                if odd[0]:
                    odd[0] = 0
                    used = [u for _, _, u in consumed if u != encoding]
                    if None in used:
                        lineno = next(n for n, _, u in consumed if u is None)
                        yield Reject(
                            f"line {lineno} is not {LABELS.get(encoding, encoding)} text (nor CP949/EUC-KR or "
                            f"Windows-1252): binary data or another encoding; the row was not stored. Re-save the "
                            f"file as UTF-8 or name its encoding with --encoding", where, row,
                            raw=" ".join(t for _, t, _ in consumed)[:2000])
                        continue
                    for u in used:
                        assert u is not None  # a row with an undecodable line was rejected above
                        fallbacks.setdefault(u, []).append(row)
                if (len(consumed) > 1 and (len(values) != width or sum(t.count('"') for _, t, _ in consumed) % 2)
                        and self._runaway_quote(consumed, delimiter, width)):
                    # (An odd number of quotes in all: one was never closed, and the row ran to the
                    # end of the file or to another row's quote.)
                    first_line = consumed[0]
                    yield Reject(
                        f"a quote opened on line {first_line[0]} is never closed, so the row would swallow the "
                        f"{len(consumed) - 1} lines after it; the row was not stored and those lines were read "
                        f"as rows. Close the quote (or double it: \"\") and re-run", where, row,
                        raw=first_line[1][:2000])
                    pending.extendleft(reversed(consumed[1:]))
                    continue
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line
                if len(values) != width:
                    yield cols.reject(f"row has {len(values)} fields, the header has {width}",
                                      dict(zip(header, values)) if len(values) < width else values,
                                      where, row, header)
                    continue
                yield cols.to_feedback(dict(zip(header, values)), where, row, self.kind)
            for enc, rows in fallbacks.items():
                yield Note(f"{where}: {len(rows)} row(s) were not {LABELS.get(encoding, encoding)} and were read as "
                           f"{LABELS.get(enc, enc)} (rows {_rows_list(rows)}); check them, or re-save the file "
                           f"in one encoding", where)
            self.position = self.size
        except UnicodeError as exc:
            raise SourceError(f"{where}: cannot decode as {encoding}: {exc}; try --encoding") from exc
        finally:
            raw.close()

    def _sample(self, encoding: str, delimiter: str, header: list[str], skip: int,
                n: int = SAMPLE_ROWS) -> list[dict[str, str]]:
        """The first ``n`` rows after the header, read again on their own (only when no header
        names the text column): rows of the header's width, as dicts."""
        out: list[dict[str, str]] = []
        with open(self.path, encoding=encoding, errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=False)
            try:
                for i, values in enumerate(reader):
                    if i < skip:
                        continue
                    if len(values) == len(header):
                        out.append(dict(zip(header, values)))
                    if len(out) >= n or i > skip + 4 * n:
                        break
            except csv.Error:
                pass  # a broken row ends the sample; the main pass reports it
        return out

    @staticmethod
    def _runaway_quote(consumed: list[tuple[int, str, str | None]], delimiter: str, width: int) -> bool:
        """Return whether a multi-line row is an unclosed quote that swallowed whole rows.

        A real multi-line field ends on a line with an odd number of quotes (the closing one); the
        lines swallowed by a runaway quote are rows of their own, with balanced quotes.
        """
        rest = [t for _, t, _ in consumed[1:]]
        if any(t.count('"') % 2 for t in rest):
            return False
        return any(len(r) == width for r in csv.reader(rest, delimiter=delimiter))


class TsvSource(CsvSource):
    """Tab-separated values."""

    format = "tsv"
    type = "tsv"  # the registered name (vocmine.sources)
    extensions = (".tsv", ".tab")
    default_delimiter = "\t"
