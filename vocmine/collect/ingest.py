"""The ingest path every source goes through: validate, redact, pseudonymise, dedupe, store.

Records are written in batches, each in its own transaction, so a killed ingest leaves whole
batches behind and a re-run (which skips what is already stored, by natural key) completes it.

Every bad value costs only itself: a field that cannot be read is dropped with a message (the row
is kept), a row that cannot be feedback is rejected with a message (the file goes on). What each
case does is tabled in docs/reliability.md.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

from vocmine.core import dates, lang, privacy
from vocmine.core.db import immediate
from vocmine.core.errors import ConfigError
from vocmine.core.feedback import Feedback, Note, Reject

log = logging.getLogger(__name__)

MAX_CHARS = 50_000
BATCH = 1000
RATING_SCALES = (5.0, 10.0, 100.0)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# What XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, lone surrogates): one such
# character in a quoted review would make the Atom feed invalid for every subscriber.
_XML_BAD_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Excel's error values (a spec, like HTTP status codes): a formula that failed, not a customer's words.
_EXCEL_ERROR_RE = re.compile(r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|"
                             r"BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!)")
_STARS_RE = re.compile(r"[★⭐]")
_NUM_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*(?:stars?|점|개|별)?\s*$", re.IGNORECASE)
# A score, optionally followed by its label: "9", "10 - Extremely likely", "3 (neutral)".
_SCORE_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)(?![\d.,])")
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


_Result = TypeVar("_Result", bound="IngestResult")


@dataclass
class IngestResult:
    """What one ingest did. ``messages`` holds one line per skipped row, dropped field and file note.

    ``cleaned`` counts rows whose text lost characters XML forbids; ``rating_scales`` says, per
    file, the scale its ratings were read on (given, or inferred from the file's values).
    """

    source: str = ""
    files: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # near-duplicates flagged (stored, linked to their original)
    rejected: int = 0  # rows not stored
    warnings: int = 0  # rows stored with a field dropped
    cleaned: int = 0  # rows stored with characters XML forbids removed
    rating_scales: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "source", "files", "inserted", "updated", "unchanged", "duplicates", "rejected", "warnings", "cleaned",
            "rating_scales")}

    def __iadd__(self: _Result, other: IngestResult) -> _Result:
        for k in ("inserted", "updated", "unchanged", "duplicates", "rejected", "warnings", "cleaned"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.files += [f for f in other.files if f not in self.files]
        self.rating_scales.update(other.rating_scales)
        self.messages += other.messages
        return self


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from spreadsheets
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, surrogates)."""
    return _XML_BAD_RE.sub("", text) if _XML_BAD_RE.search(text) else text


def _kind_of(value: Any) -> str | None:
    """Return what a value is when it cannot be one field value ("a list", "an object"), else None."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return None


def excel_error(value: Any) -> str | None:
    """Return the Excel error value ("#DIV/0!", "#N/A"...) that ``value`` is, or None."""
    if isinstance(value, str) and value[:1] == "#":
        s = value.strip()
        if _EXCEL_ERROR_RE.fullmatch(s):
            return s
    return None


def check_text(text: str, max_chars: int = MAX_CHARS) -> None:
    """Raise FieldError if ``text`` is empty, too long or looks like binary data."""
    if not text:
        raise FieldError("text", "empty text")
    if len(text) > max_chars:
        raise FieldError("text", f"text is {len(text):,} characters; the limit is {max_chars:,} (--max-chars)")
    bad = len(_CONTROL_RE.findall(text))
    if "\x00" in text or bad > max(2, len(text) // 20):
        raise FieldError("text", "text looks like binary data or the wrong encoding (try --encoding)")


def rating_value(value: Any) -> tuple[float, float | None] | None:
    """Return (number, the scale written with it or None) for a rating; None if empty.

    "4/5" carries its scale, "★★★★☆" is out of 5, a bare "4" has none. FieldError if unreadable.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError("rating", f"not a rating: {value!r}")
    if isinstance(value, (int, float)):
        if value != value:
            return None
        return float(value), None
    s = str(value).strip()
    if not s:
        return None
    stars = _STARS_RE.findall(s)
    if stars:
        return float(len(stars)), 5.0
    m = _NUM_RE.match(s)
    if not m:
        raise FieldError("rating", f"not a rating: {s[:30]!r}")
    return float(m.group(1).replace(",", ".")), float(m.group(2)) if m.group(2) else None


def parse_rating(value: Any, scale: float | None = None, given: bool = False) -> tuple[float | None, float | None]:
    """Return (rating, scale) from 4, "4", "4.5 stars", "4/5", "★★★★☆" or "8점"; (None, None) if empty.

    ``scale`` is the file's scale (``given`` by the user, or inferred); without one a bare number's
    scale is guessed from the number alone (5, 10 or 100). FieldError when the rating is outside its scale.
    """
    v = rating_value(value)
    if v is None:
        return None, None
    r, own = v
    if own == 5.0 and _STARS_RE.search(str(value)) and scale:
        own = scale  # stars on a 10-star widget
    sc = own or scale or (5.0 if r <= 5 else 10.0 if r <= 10 else 100.0)
    if r < 0 or r > sc:
        hint = "" if own or given else " (set the scale with --rating-scale 5, 10 or 100)"
        raise FieldError("rating", f"rating {r:g} is outside the scale 0-{sc:g}{hint}")
    return r, sc


def infer_rating_scale(numbers: list[float]) -> float:
    """Return the smallest scale (5, 10, 100) that holds a file's ratings, a rare outlier aside.

    One value of 11 among star ratings is a typo to reject, not a sign that the file is out of
    100: up to one value in 50 (one, in files of 5 to 99 ratings) may lie above the scale.
    """
    n = len(numbers)
    allowed = max(1, n // 50) if n >= 5 else 0
    for sc in RATING_SCALES:
        if sum(1 for x in numbers if x > sc) <= allowed:
            return sc
    return RATING_SCALES[-1]


def _int_in(value: Any, lo: int, hi: int, name: str) -> int | None:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        raise FieldError(name, f"{name.upper()} must be a whole number {lo}-{hi}, got {value!r}")
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if name == "csat" and s.casefold() in _CSAT_WORDS:
            return _CSAT_WORDS[s.casefold()]
        m = _SCORE_RE.match(s)
        if not m:
            raise FieldError(name, f"{name.upper()} must be a number {lo}-{hi}, got {s[:30]!r}")
        value = m.group(1).replace(",", ".")
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


def private_record(raw: Any, author: Any, contact: Any, key: bytes, text: str | None = None,
                   redacted: str | None = None, alias: str | None = None, known: Any = frozenset()) -> Any:
    """Return ``raw`` (a record, list or line) fit to store: authors pseudonymised, contacts removed, text redacted.

    The same privacy as the feedback table's own columns, for ``feedback.raw`` and ``rejects.raw``
    alike. ``text``/``redacted`` let the caller reuse the text it has already redacted; ``known``
    holds authors seen elsewhere in the file, pseudonymised wherever they turn up (a malformed row's
    fields are not where the header says).
    """
    author_s = _text(author) if author not in (None, "") and not _kind_of(author) else ""
    contact_s = _text(contact) if contact not in (None, "") and not _kind_of(contact) else ""
    names = (author_s,) if author_s else ()
    alias = alias or (privacy.pseudonym(author_s, key) if author_s else "")

    def clean(v: Any, depth: int = 0) -> Any:
        t = type(v)
        if t is str:
            if not v:
                return v
            s = v.strip()
            if author_s and s == author_s:
                return alias
            if contact_s and s == contact_s:
                return "[REDACTED]"
            if s in known:
                return privacy.pseudonym(s, key)
            if text is not None and s == text:
                return redacted
            return xml_safe(privacy.redact(v, names))
        if v is None or t is int or t is float or t is bool:
            return v
        if depth > 80:
            return "[nested too deeply]"
        if isinstance(v, dict):
            return {xml_safe(str(k)): clean(x, depth + 1) for k, x in v.items() if not str(k).startswith("_")}
        if isinstance(v, (list, tuple)):
            return [clean(x, depth + 1) for x in v]
        if isinstance(v, str):
            return clean(str(v), depth)
        return _jsonable(v)

    return clean(raw)


class Preparer:
    """Turns Feedback into a feedback row (or raises FieldError), tracking per-run state.

    ``rating_scale`` is the scale the user gave; otherwise ``file_scale`` is set per file by
    run_ingest from the file's first ratings. ``cleaned`` counts rows that lost XML-forbidden characters.
    """

    def __init__(self, source: str, key: bytes, max_chars: int = MAX_CHARS, rating_scale: float | None = None,
                 default_language: str | None = None):
        if not isinstance(max_chars, int) or max_chars < 1:
            raise ConfigError(f"max_chars must be a whole number of at least 1, got {max_chars!r}")
        if rating_scale is not None and float(rating_scale) not in RATING_SCALES:
            raise ConfigError(f"rating scale {rating_scale!r} is not one of 5, 10, 100")
        self.source = source
        self.key = key
        self.max_chars = max_chars
        self.rating_scale = float(rating_scale) if rating_scale is not None else None
        self.file_scale: float | None = None
        self.default_language = default_language
        self.cleaned = 0
        self.authors: set[str] = set()  # authors seen in this run, to pseudonymise them in malformed rows
        self._occurrences: dict[str, int] = {}
        self._ids: dict[tuple[str, str], int | None] = {}

    def prepare(self, fb: Feedback, warn: Callable[[str, str], None]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Return (feedback row, contact row or None). ``warn(field, message)`` reports dropped fields."""

        def one(value: Any, name: str) -> Any:
            # A field holds one value: a list/object stays in raw only, an Excel error is no value.
            t = type(value)
            if t is str:
                if value[:1] != "#":
                    return value  # the common case, kept cheap
                err = excel_error(value)
                if err:
                    warn(name, f"{name} is the Excel error {err} (a formula that failed); left empty")
                    return None
            elif t is list or t is dict or isinstance(value, (list, dict)):
                warn(name, f"{name} holds {_kind_of(value)}, not one value; left empty (the value is kept in raw)")
                return None
            return value

        problem = None
        value = fb.text
        kind = _kind_of(value)
        if kind:
            problem = f"text holds {kind}, not text"
        elif isinstance(value, bool):
            problem = "text is true/false, not text"
        elif isinstance(value, (int, float)) and value == value:
            problem = f"text is a number ({value:g}), not words"
        elif excel_error(value):
            problem = f"text is the Excel error {excel_error(value)} (a formula that failed), not a review"
        text = "" if problem else _text(value)
        nps_in, csat_in = one(fb.nps, "nps"), one(fb.csat, "csat")
        has_score = nps_in not in (None, "") or csat_in not in (None, "")
        if problem:
            if not has_score:
                raise FieldError("text", f"{problem}; the row was not stored (choose the column with --text)")
            warn("text", f"{problem}; stored as a score without a comment")
        elif text or not has_score:
            # A survey answer with a score and no comment is still an answer: NPS and CSAT need it.
            check_text(text, self.max_chars)
        if _XML_BAD_RE.search(text):
            text = _XML_BAD_RE.sub("", text).strip()
            self.cleaned += 1
            if not text and not has_score:
                raise FieldError("text", "text holds only control characters")
        title = xml_safe(_text(one(fb.title, "title"))[:1000]) or None
        author_in = one(fb.author, "author")
        author_raw = xml_safe(_text(author_in))
        author = privacy.pseudonym(author_raw, self.key) if author_raw else None
        names = (author_raw,) if author_raw else ()
        if author_raw and len(self.authors) < 200_000:
            self.authors.add(author_raw)

        rating = scale = None
        try:
            rating, scale = parse_rating(one(fb.rating, "rating"), fb.rating_scale or self.rating_scale
                                         or self.file_scale, given=bool(fb.rating_scale or self.rating_scale))
        except FieldError as e:
            warn(e.field, str(e))
        nps = csat = None
        try:
            nps = _int_in(nps_in, 0, 10, "nps")
        except FieldError as e:
            warn(e.field, str(e))
        try:
            csat = _int_in(csat_in, 1, 5, "csat")
        except FieldError as e:
            warn(e.field, str(e))
        created = None
        try:
            created = dates.parse_datetime(one(fb.created_at, "created"))
        except (ValueError, OverflowError) as e:
            warn("created", f"unparseable date: {e}")

        external = xml_safe(_text(one(fb.external_id, "id")))
        given_id = bool(external)
        if not external:
            # No id column: a content hash, numbered by occurrence so that two customers writing
            # the same "Great!" stay two rows and a re-run maps each to itself.
            base = _sha("\x1f".join([text, title or "", author_raw, created or "", str(rating), str(nps), str(csat)]))[:20]
            n = self._occurrences.get(base, 0) + 1
            self._occurrences[base] = n
            external = f"h:{base}" + (f":{n}" if n > 1 else "")

        if not text and nps is None and csat is None:
            raise FieldError("text", "empty text (and no valid score)")
        external = external[:500]
        if given_id:
            # The same id twice in one file: the first row is kept (so a re-run is stable) and the
            # second reported, instead of silently replacing the first.
            seen_key = (fb.origin, external)
            if seen_key in self._ids:
                first = self._ids[seen_key]
                where = f"row {first}" if first is not None else "an earlier record"
                raise FieldError("id", f"id {external!r} is also on {where}; the first is kept and this row "
                                       f"was not stored (give each row its own id)")
            self._ids[seen_key] = fb.row
        language = fb.language or lang.detect(text)
        if language == "und" and self.default_language:
            language = self.default_language
        url = xml_safe(_text(one(fb.url, "url"))) or None
        if url:
            url = privacy.redact(url)
        contact_value = xml_safe(_text(one(fb.contact, "contact")))
        redacted = privacy.redact(text, names)
        # The raw record is kept for re-mapping later, but with the same privacy as the text:
        # author pseudonymised, contact removed, every other string redacted.
        raw = private_record(fb.raw or {}, author_raw or fb.author, fb.contact, self.key, text, redacted, author)
        row = {
            "source": self.source,
            "external_id": external,
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
            "product": xml_safe(_text(one(fb.product, "product"))[:200]) or None,
            "url": url,
            "raw": json.dumps(raw, ensure_ascii=False, default=str),
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
                # The value itself is personal data: it is never echoed into a message.
                warn("contact", f"contact is not an email address or phone number ({len(contact_value)} characters)")
        return row, contact


def write_batch(db, rows: list[tuple[dict, dict | None]], run_id: int, now: str, result: IngestResult) -> None:
    """Insert new rows, update changed ones, skip unchanged ones, all in one write transaction.

    What is already stored is looked up inside the transaction, under the write lock, so two
    processes ingesting the same rows never both insert them (docs/reliability.md). The unredacted
    text goes to the side file only when the workspace keeps originals (docs/privacy.md).
    """
    if not rows:
        return
    conn = db.conn
    source = rows[0][0]["source"]
    texts = [row.pop("original_text", None) for row, _ in rows]
    keep = any(r[1] == "originals" for r in conn.execute("pragma database_list"))
    keys = [r["external_id"] for r, _ in rows]
    cols = list(rows[0][0]) + ["duplicate_of", "ingested_at", "updated_at", "run_id"]
    insert_sql = f"insert into feedback ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
    with immediate(conn):
        existing: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = (f"select external_id, id, content_hash from feedback where source = ? and external_id in "
                 f"({','.join('?' * len(chunk))})")
            for ext, fid, h in conn.execute(q, [source, *chunk]):
                existing[ext] = (fid, h)
        norms = list({r["norm_hash"] for r, _ in rows if r["norm_hash"]})
        originals: dict[str, int] = {}  # near-duplicate key -> the first row stored with it
        for i in range(0, len(norms), 500):
            chunk = norms[i:i + 500]
            q = (f"select norm_hash, min(id) from feedback where duplicate_of is null and norm_hash in "
                 f"({','.join('?' * len(chunk))}) group by norm_hash")
            for nh, fid in conn.execute(q, chunk):
                originals[nh] = fid
        for (row, contact), original in zip(rows, texts):
            ext = row["external_id"]
            changed = True
            if ext in existing:
                fid, h = existing[ext]
                if h == row["content_hash"]:
                    result.unchanged += 1
                    changed = False
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
            if keep and changed and original:
                conn.execute("insert or replace into originals.originals (feedback_id, text) values (?, ?)",
                             (fid, original))
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


def _rating_sample(items: list[Any]) -> tuple[list[float], str]:
    """Return the bare rating numbers (no scale of their own) among buffered items, and their file."""
    numbers: list[float] = []
    origin = ""
    for it in items:
        if isinstance(it, Feedback) and it.rating not in (None, "") and not it.rating_scale:
            try:
                v = rating_value(it.rating)
            except FieldError:
                continue
            if v is not None and v[1] is None:
                numbers.append(v[0])
                origin = origin or it.origin
    return numbers, origin


def run_ingest(db, items: Iterable[Feedback | Reject | Note], preparer: Preparer, run_id: int, now: str,
               result: IngestResult, on_batch: Callable[[], None] | None = None, batch_size: int = BATCH) -> IngestResult:
    """Drive ``items`` through ``preparer`` into the database; rejects go to the rejects table.

    Notes from the source (encoding, renamed columns) and from this run (the rating scale read,
    characters removed) become messages. Without a given rating scale, the first ``batch_size``
    items decide the file's scale, so that every row of a file is read on the same one.
    """
    batch: list[tuple[dict, dict | None]] = []
    rejects: list[dict] = []

    def reject(origin: str, row: int | None, fld: str | None, action: str, reason: str, raw: Any) -> None:
        reason = xml_safe(reason)  # a reason may quote the value, and SQLite cannot store a lone surrogate
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
            with immediate(db.conn):
                db["rejects"].upsert_all(rejects, pk="id")
        batch.clear()
        rejects.clear()
        if on_batch:
            on_batch()

    def handle(item: Any) -> None:
        if isinstance(item, Note):
            result.messages.append(item.message)
            log.info(item.message)
        elif isinstance(item, Reject):
            result.rejected += 1
            try:
                raw = private_record(item.raw, item.author, item.contact, preparer.key, known=preparer.authors)
            except RecursionError:
                raw = None
            reject(item.origin, item.row, item.field, "skipped", item.reason, raw)
        else:
            warned: list[tuple[str, str]] = []
            try:
                row, contact = preparer.prepare(item, lambda f, m: warned.append((f, m)))
            except FieldError as e:
                result.rejected += 1
                reject(item.origin, item.row, e.field, "skipped", str(e),
                       private_record(item.raw, item.author, item.contact, preparer.key, known=preparer.authors))
            else:
                for f, m in warned:
                    result.warnings += 1
                    reject(item.origin, item.row, f, "field dropped", m, row["raw"])
                batch.append((row, contact))
        if len(batch) >= batch_size or len(rejects) >= batch_size:
            flush()

    it = iter(items)
    cleaned_before = preparer.cleaned
    if preparer.rating_scale is None:
        head: list[Any] = []
        for item in it:
            head.append(item)
            if len(head) >= batch_size:
                break
        numbers, origin = _rating_sample(head)
        if numbers:
            preparer.file_scale = infer_rating_scale(numbers)
            result.rating_scales[origin] = preparer.file_scale
            result.messages.append(
                f"{origin}: ratings read on a 0-{preparer.file_scale:g} scale (inferred from the file's values; "
                f"set it with --rating-scale 5, 10 or 100)")
        for item in head:
            handle(item)
    for item in it:
        handle(item)
    flush()
    cleaned = preparer.cleaned - cleaned_before
    if cleaned:
        result.cleaned += cleaned
        result.messages.append(
            f"{result.files[0] if result.files else preparer.source}: removed characters that XML forbids (control "
            f"characters, U+FFFE/U+FFFF, lone surrogates) from {cleaned} text(s)")
    return result
