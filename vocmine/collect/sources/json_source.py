"""JSON (an array of objects, or an object holding one) and JSON Lines files."""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

from vocmine.core.errors import SourceError
from vocmine.core.feedback import Feedback, Note, Reject
from vocmine.collect.sources.base import FileSource
from vocmine.collect.sources.encoding import LABELS, check_encoding, decode_line, detect_encoding

_HEAD = 100  # records whose keys together decide the columns
MAX_DEPTH = 64  # levels of nesting a record may have; deeper ones are rejected, not recursed into
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_WS_RE = re.compile(r"\s*")


def _skip_ws(text: str, i: int = 0) -> int:
    """Return the index of the first non-space character of ``text`` at or after ``i``."""
    m = _WS_RE.match(text, i)
    assert m is not None  # \s* matches at every position
    return m.end()
_LIST_KEYS = ("reviews", "data", "items", "results", "responses", "records", "entries", "feedback", "children")


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return ``obj`` with nested objects flattened to dotted keys ({"user": {"name": x}} -> "user.name")."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and len(prefix) < 200:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _find_records(doc: Any) -> list | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for k in _LIST_KEYS:
            if isinstance(doc.get(k), list):
                return doc[k]
        for v in doc.values():
            if isinstance(v, dict):
                found = _find_records(v)
                if found is not None:
                    return found
        for v in doc.values():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v[:10]):
                return v
    return None


def too_deep(obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Return whether ``obj`` nests lists/objects more than ``limit`` levels deep (without recursing)."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return True
        children = o.values() if isinstance(o, dict) else o
        stack.extend((v, d + 1) for v in children if isinstance(v, (dict, list)))
    return False


def _skip_value(text: str, i: int) -> int:
    """Return the index just after the JSON value starting at ``i``, without parsing (or recursing into) it."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = _STRING_RE.match(text, i)
            if not m:
                return n
            i = m.end()
            if depth == 0:
                return i
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth <= 0:
                return i + 1
        elif depth == 0 and c in ",":
            return i
        i += 1
    return n


def _stream_array(text: str, i: int, where: str) -> Iterator[tuple[int, Any]]:
    """Yield (index, record) of the JSON array starting at ``text[i]``, one element at a time.

    Used when the document as a whole is nested too deeply for Python's parser: every element
    that parses is kept, and a too-deep one becomes a Reject.
    """
    dec = json.JSONDecoder()
    i = _skip_ws(text, i + 1)
    index = 0
    while i < len(text) and text[i] != "]":
        index += 1
        try:
            obj, i = dec.raw_decode(text, i)
        except RecursionError:
            i = _skip_value(text, i)
            obj = Reject(f"record nested more than {MAX_DEPTH} levels deep (lists or objects inside each other); "
                         f"not stored", where, index)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        yield index, obj
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)


class _JsonBase(FileSource):
    def _records(self) -> Iterator[tuple[int, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject | Note]:
        where = str(self.path)
        cols = None
        # Records need not share their keys: the columns are chosen from the keys of the first
        # records together, not from the first record alone.
        head: list[tuple[int, dict[str, Any]]] = []
        for row, flat in self._flat_records(where):
            if not isinstance(flat, dict):
                yield flat
                continue
            if cols is None:
                head.append((row, flat))
                if len(head) < _HEAD:
                    continue
                cols, found = self.columns.resolve_by_content(
                    list(dict.fromkeys(k for _, f in head for k in f)), where, lambda: [f for _, f in head])
                yield from found
                for r, f in head:
                    yield cols.to_feedback(f, where, r, self.kind)
                head.clear()
                continue
            yield cols.to_feedback(flat, where, row, self.kind)
        if head:
            cols, found = self.columns.resolve_by_content(
                list(dict.fromkeys(k for _, f in head for k in f)), where, lambda: [f for _, f in head])
            yield from found
            for r, f in head:
                yield cols.to_feedback(f, where, r, self.kind)
        self.position = self.size

    def _flat_records(self, where: str) -> Iterator[tuple[int, Any]]:
        """Yield (row, flattened record) or (row, Reject/Note) for everything the file holds."""
        for row, rec in self._records():
            if isinstance(rec, (Reject, Note)):
                yield row, rec
            elif not isinstance(rec, dict):
                kind = {"list": "an array", "str": "a string", "int": "a number", "float": "a number",
                        "bool": "true/false", "NoneType": "null"}.get(type(rec).__name__, type(rec).__name__)
                yield row, Reject(f"expected a JSON object (a record with fields), got {kind}; not stored", where,
                                  row, raw=None if too_deep(rec) else rec)
            elif too_deep(rec):
                yield row, Reject(f"record nested more than {MAX_DEPTH} levels deep (lists or objects inside each "
                                  f"other); not stored", where, row)
            else:
                yield row, flatten(rec)

    def _encoding(self) -> str:
        return check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)


class JsonlSource(_JsonBase):
    """One JSON object per line; a bad line is rejected with its line number."""

    format = "jsonl"
    type = "jsonl"  # the registered name (vocmine.sources)
    extensions = (".jsonl", ".ndjson", ".jsonlines")

    def _records(self) -> Iterator[tuple[int, Any]]:
        where = str(self.path)
        with open(self.path, "rb") as raw:
            enc = self._encoding()
            fallbacks: dict[str, list[int]] = {}
            for lineno, line in enumerate(raw, start=1):
                self.position += len(line)
                s, used = decode_line(line, enc)
                s = s.strip()
                if not s:
                    continue
                if used != enc:
                    if used is None:
                        yield lineno, Reject(
                            f"line is not {LABELS.get(enc, enc)} text (nor CP949/EUC-KR or Windows-1252): binary "
                            f"data or another encoding; not stored. Re-save the file as UTF-8 or use --encoding",
                            where, lineno, raw=s[:2000])
                        continue
                    fallbacks.setdefault(used, []).append(lineno)
                try:
                    yield lineno, json.loads(s)
                except json.JSONDecodeError as exc:
                    yield lineno, Reject(f"invalid JSON: {exc.msg} at column {exc.colno}", where, lineno, raw=s[:2000])
                except RecursionError:
                    yield lineno, Reject(f"record nested more than {MAX_DEPTH} levels deep (lists or objects inside "
                                         f"each other); not stored", where, lineno)
            for used, rows in fallbacks.items():
                shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
                yield 0, Note(f"{where}: {len(rows)} line(s) were not {LABELS.get(enc, enc)} and were read as "
                              f"{LABELS.get(used, used)} (lines {shown}); check them", where)


class JsonSource(_JsonBase):
    """A JSON document: an array of objects, or an object with one under "reviews", "data", ..."""

    format = "json"
    type = "json"  # the registered name (vocmine.sources)
    extensions = (".json",)

    def _records(self) -> Iterator[tuple[int, Any]]:
        where = str(self.path)
        enc = self._encoding()
        data = self.path.read_bytes()
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            parts = [decode_line(line, enc) for line in data.splitlines(keepends=True)]
            text = "".join(t for t, _ in parts)
            bad = [i for i, (_, u) in enumerate(parts, start=1) if u is None]
            if bad:
                yield 0, Note(f"{where}: line(s) {', '.join(map(str, bad[:10]))} are not {LABELS.get(enc, enc)} "
                              f"text; their unreadable bytes were replaced (U+FFFD). Re-save the file as UTF-8", where)
        try:
            doc = json.loads(text)
        except RecursionError:
            start = _skip_ws(text)
            if text[start:start + 1] == "[":
                yield from _stream_array(text, start, where)
                return
            for key in _LIST_KEYS:
                m = re.search(r'"%s"\s*:\s*\[' % re.escape(key), text)
                if m:
                    yield from _stream_array(text, m.end() - 1, where)
                    return
            raise SourceError(f"{where}: the JSON is nested too deeply to read (lists or objects inside each other, "
                              f"more than Python allows); split it into records, one per line (JSON Lines)") from None
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # JSON Lines saved with a .json name
                yield from JsonlSource(self.path, self.columns, self.name, self.encoding, self.kind)._records()
                return
            raise SourceError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        records = _find_records(doc)
        if records is None:
            raise SourceError(f"{where}: found no list of records (an array, or an object with 'reviews', 'data', 'items'...)")
        for i, rec in enumerate(records, start=1):
            yield i, rec
