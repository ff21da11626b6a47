"""The ingest path every source goes through: validate, redact, pseudonymise, dedupe, store.

Records are written in batches, each in its own transaction, so a killed ingest leaves whole
batches behind and a re-run (which skips what is already stored, by natural key) completes it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import dates, lang, privacy
from .feedback import Feedback, Reject

log = logging.getLogger(__name__)

MAX_CHARS = 50_000
BATCH = 1000
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_STARS_RE = re.compile(r"[★⭐]")
_NUM_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*(?:stars?|점|개|별)?\s*$", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")
_NORM_RE = re.compile(r"[\W_]+")
_CSAT_WORDS = {
    "very satisfied": 5, "extremely satisfied": 5, "satisfied": 4, "neutral": 3,
    "neither satisfied nor dissatisfied": 3, "dissatisfied": 2, "unsatisfied": 2,
    "very dissatisfied": 1, "extremely dissatisfied": 1, "매우 만족": 5, "만족": 4, "보통": 3,
    "불만족": 2, "불만": 2, "매우 불만족": 1,
}
_TRUE = {"1", "y", "yes", "true", "t", "on", "opt-in", "optin", "agree", "agreed", "ok", "동의", "예", "네", "o"}
_FALSE = {"0", "n", "no", "false", "f", "off", "opt-out", "optout", "disagree", "미동의", "거부", "아니오", "아니요", "x", ""}
_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldError(ValueError):
    """A value that cannot be used: ``field`` says which."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class IngestResult:
    """What one ingest did. ``rejects`` holds the messages for skipped rows and dropped fields."""

    source: str = ""
    files: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # near-duplicates flagged (stored, linked to their original)
    rejected: int = 0  # rows not stored
    warnings: int = 0  # rows stored with a field dropped
    messages: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "source", "files", "inserted", "updated", "unchanged", "duplicates", "rejected", "warnings")}

    def __iadd__(self, other: "IngestResult") -> "IngestResult":
        for k in ("inserted", "updated", "unchanged", "duplicates", "rejected", "warnings"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.files += [f for f in other.files if f not in self.files]
        self.messages += other.messages
        return self


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from spreadsheets
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def check_text(text: str, max_chars: int = MAX_CHARS) -> None:
    """Raise FieldError if ``text`` is empty, too long or looks like binary data."""
    if not text:
        raise FieldError("text", "empty text")
    if len(text) > max_chars:
        raise FieldError("text", f"text is {len(text):,} characters; the limit is {max_chars:,} (--max-chars)")
    bad = len(_CONTROL_RE.findall(text))
    if "\x00" in text or bad > max(2, len(text) // 20):
        raise FieldError("text", "text looks like binary data or the wrong encoding (try --encoding)")


def parse_rating(value: Any, scale: float | None = None) -> tuple[float | None, float | None]:
    """Return (rating, scale) from 4, "4", "4.5 stars", "4/5", "★★★★☆" or "8점"; (None, None) if empty."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        raise FieldError("rating", f"not a rating: {value!r}")
    if isinstance(value, (int, float)):
        if value != value:
            return None, None
        r, given = float(value), None
    else:
        s = str(value).strip()
        if not s:
            return None, None
        stars = _STARS_RE.findall(s)
        if stars:
            return float(len(stars)), float(scale or 5)
        m = _NUM_RE.match(s)
        if not m:
            raise FieldError("rating", f"not a rating: {s[:30]!r}")
        r = float(m.group(1).replace(",", "."))
        given = float(m.group(2)) if m.group(2) else None
    sc = given or scale or (5.0 if r <= 5 else 10.0 if r <= 10 else 100.0)
    if r < 0 or r > sc:
        raise FieldError("rating", f"rating {r:g} is outside 0-{sc:g}")
    return r, sc


def _int_in(value: Any, lo: int, hi: int, name: str) -> int | None:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        s = value.strip()
        if name == "csat" and s.casefold() in _CSAT_WORDS:
            return _CSAT_WORDS[s.casefold()]
        m = re.match(r"^\s*(\d+(?:\.0+)?)\b", s)
        if not m:
            raise FieldError(name, f"{name.upper()} must be a number {lo}-{hi}, got {s[:30]!r}")
        value = m.group(1)
    try:
        n = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, f"{name.upper()} must be a number {lo}-{hi}, got {value!r}") from None
    if n != int(n) or not lo <= n <= hi:
        raise FieldError(name, f"{name.upper()} must be a whole number {lo}-{hi}, got {value!r}")
    return int(n)


def parse_consent(value: Any) -> int | None:
    """Return 1/0 for a yes/no style answer, None when absent or unreadable."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    s = str(value).strip().casefold()
    if s in _TRUE:
        return 1
    if s in _FALSE:
        return 0
    return None


def norm_key(text: str) -> str:
    """Return the near-duplicate key of a text: case, spacing, punctuation and width folded away."""
    return _NORM_RE.sub("", unicodedata.normalize("NFKC", text).casefold())


def _sha(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8", "surrogatepass")).hexdigest()


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


class Preparer:
    """Turns Feedback into a feedback row (or raises FieldError), tracking per-run state."""

    def __init__(self, source: str, key: bytes, max_chars: int = MAX_CHARS, rating_scale: float | None = None,
                 default_language: str | None = None):
        self.source = source
        self.key = key
        self.max_chars = max_chars
        self.rating_scale = rating_scale
        self.default_language = default_language
        self._occurrences: dict[str, int] = {}

    def prepare(self, fb: Feedback, warn: Callable[[str, str], None]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Return (feedback row, contact row or None). ``warn(field, message)`` reports dropped fields."""
        text = _text(fb.text)
        if text or fb.nps in (None, "") and fb.csat in (None, ""):
            # A survey answer with a score and no comment is still an answer: NPS and CSAT need it.
            check_text(text, self.max_chars)
        title = _text(fb.title)[:1000] or None
        author_raw = _text(fb.author)
        author = privacy.pseudonym(author_raw, self.key) if author_raw else None
        names = (author_raw,) if author_raw else ()

        rating = scale = None
        try:
            rating, scale = parse_rating(fb.rating, fb.rating_scale or self.rating_scale)
        except FieldError as e:
            warn(e.field, str(e))
        nps = csat = None
        try:
            nps = _int_in(fb.nps, 0, 10, "nps")
        except FieldError as e:
            warn(e.field, str(e))
        try:
            csat = _int_in(fb.csat, 1, 5, "csat")
        except FieldError as e:
            warn(e.field, str(e))
        created = None
        try:
            created = dates.parse_datetime(fb.created_at)
        except (ValueError, OverflowError) as e:
            warn("created", f"unparseable date: {e}")

        external = _text(fb.external_id)
        if not external:
            # No id column: a content hash, numbered by occurrence so that two customers writing
            # the same "Great!" stay two rows and a re-run maps each to itself.
            base = _sha("\x1f".join([text, title or "", author_raw, created or "", str(rating), str(nps), str(csat)]))[:20]
            n = self._occurrences.get(base, 0) + 1
            self._occurrences[base] = n
            external = f"h:{base}" + (f":{n}" if n > 1 else "")

        if not text and nps is None and csat is None:
            raise FieldError("text", "empty text (and no valid score)")
        language = fb.language or lang.detect(text)
        if language == "und" and self.default_language:
            language = self.default_language
        url = _text(fb.url) or None
        if url:
            url = privacy.redact(url)
        raw = {k: v for k, v in (fb.raw or {}).items() if not str(k).startswith("_")}
        contact_value = _text(fb.contact)
        redacted = privacy.redact(text, names)
        # The raw record is kept for re-mapping later, but with the same privacy as the text:
        # author and contact fields blanked, every other string redacted.
        secrets_ = {v for v in (fb.author, fb.contact) if v not in (None, "")}
        for k, v in raw.items():
            if v in secrets_:
                raw[k] = "[REDACTED]"
            elif isinstance(v, str) and v:
                raw[k] = redacted if v.strip() == text else privacy.redact(v, names)
        row = {
            "source": self.source,
            "external_id": external[:500],
            "kind": fb.kind,
            "author": author,
            "title": privacy.redact(title, names) if title else None,
            "text": redacted,
            "original_text": text,
            "rating": rating,
            "rating_scale": scale,
            "nps": nps,
            "csat": csat,
            "language": language,
            "created_at": created,
            "product": _text(fb.product)[:200] or None,
            "url": url,
            "raw": json.dumps(_jsonable(raw), ensure_ascii=False, default=str),
        }
        row["content_hash"] = _sha("\x1f".join([str(row[k]) for k in (
            "kind", "author", "title", "original_text", "rating", "nps", "csat", "created_at", "product", "url")]))
        nk = norm_key(text)
        long_enough = len(nk) >= (10 if language == "ko" else 20)
        row["norm_hash"] = _sha(nk)[:20] if long_enough else None
        contact = None
        if contact_value:
            if _EMAILISH.match(contact_value) or re.search(r"\d{3}.*\d{4}", contact_value):
                consent = parse_consent(fb.consent)
                contact = {"author": author or f"fb:{external}", "source": self.source,
                           "contact": contact_value, "consent": consent or 0}
            else:
                warn("contact", f"not an email address or phone number: {contact_value[:40]!r}")
        return row, contact


def write_batch(db, rows: list[tuple[dict, dict | None]], run_id: int, now: str, result: IngestResult) -> None:
    """Insert new rows, update changed ones, skip unchanged ones, all in one transaction."""
    if not rows:
        return
    conn = db.conn
    source = rows[0][0]["source"]
    keys = [r["external_id"] for r, _ in rows]
    existing: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        q = f"select external_id, id, content_hash from feedback where source = ? and external_id in ({','.join('?' * len(chunk))})"
        for ext, fid, h in conn.execute(q, [source, *chunk]):
            existing[ext] = (fid, h)
    norms = list({r["norm_hash"] for r, _ in rows if r["norm_hash"]})
    originals: dict[str, int] = {}
    for i in range(0, len(norms), 500):
        chunk = norms[i:i + 500]
        q = (f"select norm_hash, min(id) from feedback where duplicate_of is null and norm_hash in "
             f"({','.join('?' * len(chunk))}) group by norm_hash")
        for nh, fid in conn.execute(q, chunk):
            originals[nh] = fid
    cols = list(rows[0][0]) + ["duplicate_of", "ingested_at", "updated_at", "run_id"]
    insert_sql = f"insert into feedback ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
    with conn:
        for row, contact in rows:
            ext = row["external_id"]
            if ext in existing:
                fid, h = existing[ext]
                if h == row["content_hash"]:
                    result.unchanged += 1
                else:
                    sets = ", ".join(f"{k} = ?" for k in row)
                    conn.execute(f"update feedback set {sets}, updated_at = ?, run_id = ? where id = ?",
                                 [*row.values(), now, run_id, fid])
                    result.updated += 1
            else:
                dup = originals.get(row["norm_hash"]) if row["norm_hash"] else None
                cur = conn.execute(insert_sql, [*row.values(), dup, now, now, run_id])
                fid = cur.lastrowid
                existing[ext] = (fid, row["content_hash"])
                if dup:
                    result.duplicates += 1
                elif row["norm_hash"]:
                    originals[row["norm_hash"]] = fid
                result.inserted += 1
            if contact:
                conn.execute(
                    "insert into contacts (author, source, contact, consent, feedback_id, updated_at) values (?,?,?,?,?,?) "
                    "on conflict(source, author) do update set contact = excluded.contact, consent = excluded.consent, "
                    "feedback_id = excluded.feedback_id, updated_at = excluded.updated_at",
                    [contact["author"], contact["source"], contact["contact"], contact["consent"], fid, now],
                )


def reject_id(source: str, file: str, row: int | None, field: str | None) -> str:
    """Return the stable id of a reject so that a re-run replaces it rather than adding another."""
    return _sha(f"{source}\x1f{file}\x1f{row}\x1f{field}")[:24]


def run_ingest(db, items: Iterable[Feedback | Reject], preparer: Preparer, run_id: int, now: str,
               result: IngestResult, on_batch: Callable[[], None] | None = None, batch_size: int = BATCH) -> IngestResult:
    """Drive ``items`` through ``preparer`` into the database; rejects go to the rejects table."""
    batch: list[tuple[dict, dict | None]] = []
    rejects: list[dict] = []

    def reject(origin: str, row: int | None, fld: str | None, action: str, reason: str, raw: Any) -> None:
        where = f"{origin}, row {row}" if row is not None else origin
        msg = f"{where}: {reason}" + (" (stored without it)" if action == "field dropped" else "")
        result.messages.append(msg)
        log.debug(msg)
        raw_text = raw if isinstance(raw, str) else json.dumps(_jsonable(raw), ensure_ascii=False, default=str)
        rejects.append({
            "id": reject_id(preparer.source, origin, row, fld), "source": preparer.source, "file": origin,
            "row": row, "field": fld, "action": action, "reason": reason,
            "raw": (raw_text or "")[:2000], "run_id": run_id, "created_at": now,
        })

    def flush() -> None:
        write_batch(db, batch, run_id, now, result)
        if rejects:
            with db.conn:
                db["rejects"].upsert_all(rejects, pk="id")
        batch.clear()
        rejects.clear()
        if on_batch:
            on_batch()

    for item in items:
        if isinstance(item, Reject):
            result.rejected += 1
            reject(item.origin, item.row, item.field, "skipped", item.reason, item.raw)
        else:
            warned: list[tuple[str, str]] = []
            try:
                row, contact = preparer.prepare(item, lambda f, m: warned.append((f, m)))
            except FieldError as e:
                result.rejected += 1
                reject(item.origin, item.row, e.field, "skipped", str(e), item.raw)
            else:
                for f, m in warned:
                    result.warnings += 1
                    reject(item.origin, item.row, f, "field dropped", m, item.raw)
                batch.append((row, contact))
        if len(batch) >= batch_size or len(rejects) >= batch_size:
            flush()
    flush()
    return result
