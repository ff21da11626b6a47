"""The ingest path every source goes through: validate, redact, pseudonymise, dedupe, store.

Records are written in batches, each in its own transaction, so a killed ingest leaves whole
batches behind and a re-run (which skips what is already stored, by natural key) completes it.

Every bad value costs only itself: a field that cannot be read is dropped with a message (the row
is kept), a row that cannot be feedback is rejected with a message (the file goes on). What each
case does is tabled in docs/reliability.md.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from collections import deque
from typing import Any, Callable, Iterable, Iterator, TypeVar

from vocmine.core import dates, lang, privacy
from vocmine.core.db import immediate
from vocmine.core.errors import ConfigError
from vocmine.core.feedback import Feedback, Note, Reject
from vocmine.collect.ingest.fields import (
    BATCH, FieldError, MAX_CHARS, RATING_SCALES, _EMAILISH, _XML_BAD_RE, _int_in,
    _jsonable, _kind_of, _sha, _text, author_text, check_text, excel_error, infer_rating_scale, norm_key,
    parse_consent, parse_rating, private_record, rating_value, xml_safe,
)

log = logging.getLogger(__name__)
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

    def draft(self, fb: Feedback, warn: Callable[[str, str], None]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The ordered half of a row's ingest: validate ``fb``, read its fields, give it its natural key
        (numbered by occurrence, a repeated id rejected) and its contact row; return (draft, contact).
        ``warn(field, message)`` reports dropped fields.
        ``finish(draft)`` is the other half: the redaction, language and hashes, a pure function of
        the draft, so a batch of drafts can be finished anywhere (another process, a Ray worker).

        The draft holds no secret (the author is already pseudonymised) and no contact row; it does
        hold the unredacted text and raw record, which ``finish`` redacts. Raises FieldError for a
        row that cannot be stored, with the first id kept when an id repeats."""

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
        url = xml_safe(_text(one(fb.url, "url"))) or None
        contact_value = xml_safe(_text(one(fb.contact, "contact")))
        raw_author = author_raw or fb.author
        # The raw record's author pseudonym, as private_record would compute it, so that the
        # draft needs no key.
        alias = author or (privacy.pseudonym(author_text(raw_author), self.key) if author_text(raw_author) else "")
        draft = {
            "source": self.source,
            "external_id": external,
            "kind": fb.kind,
            "author": author,
            "names": (author_raw,) if author_raw else (),
            "title": title,
            "text": text,
            "rating": rating,
            "rating_scale": scale,
            "nps": nps,
            "csat": csat,
            "language": fb.language,
            "default_language": self.default_language,
            "created_at": created,
            "product": xml_safe(_text(one(fb.product, "product"))[:200]) or None,
            "url": url,
            "raw": fb.raw or {},
            "raw_author": raw_author,
            "raw_contact": fb.contact,
            "alias": alias,
        }
        contact = None
        if contact_value:
            if _EMAILISH.match(contact_value) or re.search(r"\d{3}.*\d{4}", contact_value):
                consent = parse_consent(fb.consent)
                contact = {"author": author or f"fb:{external}", "source": self.source,
                           "contact": contact_value, "consent": consent or 0}
            else:
                # The value itself is personal data: it is never echoed into a message.
                warn("contact", f"contact is not an email address or phone number ({len(contact_value)} characters)")
        return draft, contact


def finish(draft: dict[str, Any]) -> dict[str, Any]:
    """The feedback row of a ``Preparer.draft``: text, title, URL and raw record redacted, the
    language detected (unless the source gave it), the content and near-duplicate hashes. A pure
    function of the draft: the same draft gives the same row in any process."""
    text, names = draft["text"], draft["names"]
    language = draft["language"] or lang.detect(text)
    if language == "und" and draft["default_language"]:
        language = draft["default_language"]
    url = privacy.redact(draft["url"]) if draft["url"] else None
    title = draft["title"]
    redacted = privacy.redact(text, names)
    # The raw record is kept for re-mapping later, but with the same privacy as the text:
    # author pseudonymised, contact removed, every other string redacted.
    raw = private_record(draft["raw"], draft["raw_author"], draft["raw_contact"], None, text, redacted,
                         draft["alias"])
    row = {
        "source": draft["source"],
        "external_id": draft["external_id"],
        "kind": draft["kind"],
        "author": draft["author"],
        "title": privacy.redact(title, names) if title else None,
        "text": redacted,
        "original_text": text,
        "rating": draft["rating"],
        "rating_scale": draft["rating_scale"],
        "nps": draft["nps"],
        "csat": draft["csat"],
        "language": language,
        "created_at": draft["created_at"],
        "product": draft["product"],
        "url": url,
        "raw": json.dumps(raw, ensure_ascii=False, default=str),
    }
    row["content_hash"] = _sha("\x1f".join([str(row[k]) for k in (
        "kind", "author", "title", "original_text", "rating", "nps", "csat", "created_at", "product", "url")]))
    nk = norm_key(text)
    long_enough = len(nk) >= (10 if language == "ko" else 20)
    row["norm_hash"] = _sha(nk)[:20] if long_enough else None
    return row


def finish_all(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``finish`` over a batch of drafts, in order: the map a distributed ingest runs per batch."""
    return [finish(d) for d in drafts]


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


Finisher = Callable[[Iterable[list[dict[str, Any]]]], Iterable[list[dict[str, Any]]]]


def finish_here(chunks: Iterable[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """The default finisher: ``finish_all`` over each batch of drafts, in this process."""
    for drafts in chunks:
        yield finish_all(drafts)


def run_ingest(db, items: Iterable[Feedback | Reject | Note], preparer: Preparer, run_id: int, now: str,
               result: IngestResult, on_batch: Callable[[], None] | None = None, batch_size: int = BATCH,
               finisher: Finisher | None = None, chunk_rows: int | None = None) -> IngestResult:
    """Drive ``items`` through ``preparer`` into the database; rejects go to the rejects table.

    Notes from the source (encoding, renamed columns) and from this run (the rating scale read,
    characters removed) become messages. Without a given rating scale, the first ``batch_size``
    items decide the file's scale, so that every row of a file is read on the same one.

    Each item is drafted here, in order (``Preparer.draft``: validation, natural keys, the repeated-id
    check), and the drafts go, ``chunk_rows`` at a time (default ``batch_size``), through
    ``finisher``: a function from an iterable of draft batches to an iterable of row batches, the
    same length and order (each row batch ``finish_all`` of its drafts). The default finishes them
    here; ``vocmine.jobs.ingest_map`` finishes them on Ray workers while this process reads on. The
    rows, rejects and messages are then taken in item order, so the result does not depend on the
    finisher.
    """
    batch: list[tuple[dict, dict | None]] = []
    rejects: list[dict] = []
    finisher = finisher or finish_here
    chunk_rows = batch_size if chunk_rows is None else chunk_rows
    if chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be at least 1, not {chunk_rows}")

    def reject_entry(origin: str, row: int | None, fld: str | None, action: str, reason: str, raw: Any) -> tuple:
        reason = xml_safe(reason)  # a reason may quote the value, and SQLite cannot store a lone surrogate
        raw_text = raw if isinstance(raw, str) else json.dumps(_jsonable(raw), ensure_ascii=False, default=str)
        return (origin, row, fld, action, reason, (raw_text or "")[:2000])

    def reject(origin: str, row: int | None, fld: str | None, action: str, reason: str, raw_text: str) -> None:
        where = f"{origin}, row {row}" if row is not None else origin
        msg = f"{where}: {reason}" + (" (stored without it)" if action == "field dropped" else "")
        result.messages.append(msg)
        log.debug(msg)
        rejects.append({
            "id": reject_id(preparer.source, origin, row, fld), "source": preparer.source, "file": origin,
            "row": row, "field": fld, "action": action, "reason": reason,
            "raw": raw_text, "run_id": run_id, "created_at": now,
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

    def draft(item: Any) -> tuple:
        """What ``item`` becomes, decided here and in order: a note, a reject, or a draft to finish."""
        if isinstance(item, Note):
            return ("note", item.message)
        if isinstance(item, Reject):
            try:
                raw = private_record(item.raw, item.author, item.contact, preparer.key, known=preparer.authors)
            except RecursionError:
                raw = None
            return ("reject", reject_entry(item.origin, item.row, item.field, "skipped", item.reason, raw))
        warned: list[tuple[str, str]] = []
        try:
            d, contact = preparer.draft(item, lambda f, m: warned.append((f, m)))
        except FieldError as e:
            return ("reject", reject_entry(item.origin, item.row, e.field, "skipped", str(e),
                                           private_record(item.raw, item.author, item.contact, preparer.key,
                                                          known=preparer.authors)))
        return ("row", d, contact, [(item.origin, item.row, f, m) for f, m in warned])

    outcomes: deque[list[tuple]] = deque()  # per chunk handed to the finisher, what its items became

    def chunks(items: Iterable[Any]) -> Iterator[list[dict[str, Any]]]:
        done: list[tuple] = []
        drafts: list[dict[str, Any]] = []
        for item in items:
            o = draft(item)
            done.append(o)
            if o[0] == "row":
                drafts.append(o[1])
                if len(drafts) >= chunk_rows:
                    outcomes.append(done)
                    yield drafts
                    done, drafts = [], []
        if done:
            outcomes.append(done)
            yield drafts

    def take(done: list[tuple], rows: list[dict[str, Any]]) -> None:
        if len(rows) != sum(o[0] == "row" for o in done):
            raise RuntimeError(f"the finisher returned {len(rows)} rows for a batch of "
                               f"{sum(o[0] == 'row' for o in done)} drafts")
        it = iter(rows)
        for o in done:
            if o[0] == "note":
                result.messages.append(o[1])
                log.info(o[1])
            elif o[0] == "reject":
                result.rejected += 1
                reject(*o[1])
            else:
                row = next(it)
                for origin, line, f, m in o[3]:
                    result.warnings += 1
                    reject(*reject_entry(origin, line, f, "field dropped", m, row["raw"]))
                batch.append((row, o[2]))
            if len(batch) >= batch_size or len(rejects) >= batch_size:
                flush()

    def stream() -> Iterator[Any]:
        it = iter(items)
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
                yield Note(f"{origin}: ratings read on a 0-{preparer.file_scale:g} scale (inferred from the "
                           f"file's values; set it with --rating-scale 5, 10 or 100)")
            yield from head
        yield from it

    cleaned_before = preparer.cleaned
    for rows in finisher(chunks(stream())):
        take(outcomes.popleft(), rows)
    if outcomes:
        raise RuntimeError(f"the finisher returned {len(outcomes)} batch(es) too few")
    flush()
    cleaned = preparer.cleaned - cleaned_before
    if cleaned:
        result.cleaned += cleaned
        result.messages.append(
            f"{result.files[0] if result.files else preparer.source}: removed characters that XML forbids (control "
            f"characters, U+FFFE/U+FFFF, lone surrogates) from {cleaned} text(s)")
    return result
