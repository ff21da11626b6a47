"""JSON (an array of objects, or an object holding one) and JSON Lines files."""
from __future__ import annotations

import json
from typing import Any, Iterator

from ..errors import SourceError
from ..feedback import Feedback, Reject
from .base import FileSource
from .encoding import check_encoding, detect_encoding

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


class _JsonBase(FileSource):
    def _records(self) -> Iterator[tuple[int, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
        where = str(self.path)
        cols = None
        for row, rec in self._records():
            if isinstance(rec, Reject):
                yield rec
                continue
            if not isinstance(rec, dict):
                yield Reject(f"expected a JSON object, got {type(rec).__name__}", where, row, raw=rec)
                continue
            flat = flatten(rec)
            if cols is None:
                cols = self.columns.resolve(list(flat), where)
            yield cols.to_feedback(flat, where, row, self.kind)
        self.position = self.size

    def _encoding(self) -> str:
        return check_encoding(self.encoding) if self.encoding else detect_encoding(self.path)


class JsonlSource(_JsonBase):
    """One JSON object per line; a bad line is rejected with its line number."""

    format = "jsonl"
    extensions = (".jsonl", ".ndjson", ".jsonlines")

    def _records(self):
        where = str(self.path)
        with open(self.path, "rb") as raw:
            enc = self._encoding()
            for lineno, line in enumerate(raw, start=1):
                self.position += len(line)
                s = line.decode(enc, errors="replace").strip()
                if not s:
                    continue
                try:
                    yield lineno, json.loads(s)
                except json.JSONDecodeError as exc:
                    yield lineno, Reject(f"invalid JSON: {exc.msg} at column {exc.colno}", where, lineno, raw=s[:2000])


class JsonSource(_JsonBase):
    """A JSON document: an array of objects, or an object with one under "reviews", "data", ..."""

    format = "json"
    extensions = (".json",)

    def _records(self):
        where = str(self.path)
        text = self.path.read_bytes().decode(self._encoding(), errors="replace")
        try:
            doc = json.loads(text)
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
