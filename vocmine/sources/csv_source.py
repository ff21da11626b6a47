"""CSV and TSV files with any delimiter, as survey tools and review exports write them."""
from __future__ import annotations

import csv
import io
import logging
from typing import Iterator

from ..errors import SourceError
from ..feedback import Feedback, Reject
from .base import FileSource
from .encoding import check_encoding, detect_encoding

log = logging.getLogger(__name__)
csv.field_size_limit(64 << 20)  # very long fields are rejected by the ingest path with a message


def sniff_delimiter(first_line: str, default: str = ",") -> str:
    """Return the delimiter that splits the header line into the most fields."""
    best, count = default, 0
    for d in (",", "\t", ";", "|"):
        n = first_line.count(d)
        if n > count:
            best, count = d, n
    return best


class CsvSource(FileSource):
    """Rows of a delimited text file; the first row names the columns."""

    format = "csv"
    extensions = (".csv", ".csv.txt")
    default_delimiter: str | None = None

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
        encoding = check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)
        where = str(self.path)
        raw = open(self.path, "rb")
        try:
            # errors="replace": one bad byte must not lose the file; the ingest path rejects the
            # rows whose text came out as garbage.
            text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
            first = text.readline()
            if not first.strip():
                raise SourceError(f"{where}: the file is empty or has no header row")
            delimiter = self.options.get("delimiter") or self.default_delimiter or sniff_delimiter(first)
            header = next(csv.reader([first], delimiter=delimiter))
            header = [h.strip().lstrip("\ufeff") for h in header]
            cols = self.columns.resolve(header, where)
            width = len(header)
            reader = csv.reader(text, delimiter=delimiter, strict=False)
            row = 1
            errors_in_a_row = 0
            while True:
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
                self.position = raw.tell()
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line
                if len(values) != width:
                    yield Reject(
                        f"row has {len(values)} fields, the header has {width}",
                        where, row, raw=dict(zip(header, values)) if len(values) < width else values,
                    )
                    continue
                yield cols.to_feedback(dict(zip(header, values)), where, row, self.kind)
            self.position = self.size
        except UnicodeError as exc:
            raise SourceError(f"{where}: cannot decode as {encoding}: {exc}; try --encoding") from exc
        finally:
            raw.close()


class TsvSource(CsvSource):
    """Tab-separated values."""

    format = "tsv"
    extensions = (".tsv", ".tab")
    default_delimiter = "\t"
