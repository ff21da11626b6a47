"""The Source role, column mapping and the shared machinery of file sources."""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

from vocmine.core.errors import ConfigError, SourceError
from vocmine.core.feedback import Feedback, Note, Reject

log = logging.getLogger(__name__)


@runtime_checkable
class Source(Protocol):
    """Anything that yields feedback: ``fetch(since)`` gives Feedback (or Reject) records.

    ``name`` is the source name stored with each row; with the record's external id it is the
    natural key that makes re-ingesting safe.
    """

    name: str

    def fetch(self, since: str | None = None) -> Iterable[Feedback | Reject]: ...


def _norm(header: str) -> str:
    return re.sub(r"[^0-9a-z가-힣]", "", str(header).casefold())


# Header names seen in real exports (survey tools, app stores, marketplaces, help desks),
# normalised with _norm. Order matters: the first match wins.
_CANDIDATES: dict[str, list[str]] = {
    "text": [
        "text", "reviewtext", "review", "reviewbody", "body", "content", "comment", "comments",
        "feedback", "feedbacktext", "message", "verbatim", "answer", "response", "opentext",
        "whatcouldweimprove", "reason", "description", "selftext", "post", "내용", "리뷰", "리뷰내용",
        "후기", "후기내용", "의견", "댓글", "본문", "상품평", "문의내용",
    ],
    "title": ["title", "reviewtitle", "summary", "headline", "subject", "제목"],
    "rating": [
        "rating", "stars", "starrating", "star", "score", "overall", "reviewrating", "ratingvalue",
        "rate", "별점", "평점", "점수",
    ],
    "nps": ["nps", "npsscore", "netpromoterscore", "likelihoodtorecommend", "추천의향", "추천점수"],
    "csat": ["csat", "csatscore", "satisfaction", "customersatisfaction", "satisfactionscore", "만족도"],
    "id": [
        "id", "reviewid", "responseid", "respondentid", "commentid", "feedbackid", "ticketid",
        "postid", "uuid", "reviewlink", "리뷰id", "리뷰번호", "번호", "응답id",
    ],
    "created": [
        "created", "createdat", "date", "reviewdate", "timestamp", "submittedat", "submitdate",
        "recordeddate", "enddate", "time", "datetime", "createdutc", "reviewsubmitdateandtime",
        "reviewsubmitmillissinceepoch", "updatedat", "at", "작성일", "작성일자", "날짜", "등록일", "일자", "작성시간",
    ],
    "author": [
        "author", "authorname", "user", "username", "reviewer", "reviewername", "nickname", "name",
        "customer", "customername", "respondent", "작성자", "닉네임", "고객명", "이름", "아이디",
    ],
    "contact": ["email", "emailaddress", "contact", "contactemail", "mail", "이메일", "연락처", "메일"],
    "consent": [
        "consent", "contactconsent", "marketingok", "marketingconsent", "optin", "maycontact",
        "cancontact", "contactok", "동의", "수신동의", "연락동의", "마케팅동의",
    ],
    "product": ["product", "productid", "productname", "sku", "item", "itemid", "clothingid", "appversion", "상품", "상품명", "상품번호", "제품"],
    "url": ["url", "link", "permalink", "reviewurl", "주소"],
}
# Survey questions are long; these patterns recognise them inside a header.
_PATTERNS: dict[str, re.Pattern] = {
    "nps": re.compile(r"(likely|likelihood|would you|how probable).*recommend|\bnps\b|추천.*(의향|가능성|점수|하시겠)"),
    "csat": re.compile(r"how satisfied|satisf\w* (score|rating|with)|\bcsat\b|만족도|만족하셨"),
}


_NOT_PROSE_RE = re.compile(r"^[\d\s.,:;/+\-TZ()%$€£₩]*$|^\S+@\S+$|^https?://\S+$", re.IGNORECASE)
# How many sampled values a column needs before its content can say it holds the text, and how
# many rows a source reads to decide.
MIN_TEXT_SAMPLE = 3
SAMPLE_ROWS = 200


def text_by_content(headers: list[str], records: list[dict[str, Any]],
                    exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Return the column of ``records`` that reads most like customers' free text, or None.

    A column qualifies when most of its filled values are prose: not numbers, dates, emails or
    URLs, on average at least 3 words and 15 characters, and mostly distinct (a column of
    repeated labels such as "Promoter" is a category). Of those, the one with the longest values
    wins. Language-independent: words are whitespace-separated runs, Hangul included.
    """
    best: tuple[float, str] | None = None
    for h in headers:
        if h in exclude:
            continue
        values = [v.strip() for r in records for v in [r.get(h)] if isinstance(v, str) and v.strip()]
        if len(values) < max(MIN_TEXT_SAMPLE, len(records) // 4):
            continue
        prose = [v for v in values if not _NOT_PROSE_RE.match(v)]
        if len(prose) < 0.8 * len(values):
            continue
        chars = sum(len(v) for v in prose) / len(prose)
        words = sum(len(v.split()) for v in prose) / len(prose)
        distinct = len(set(prose)) / len(prose)
        if chars < 15 or words < 3 or distinct < 0.5:
            continue
        if best is None or chars > best[0]:
            best = (chars, h)
    return best[1] if best else None


@dataclass
class ColumnMap:
    """Which input column feeds which feedback field. ``None`` means "detect it"."""

    text: str | None = None
    title: str | None = None
    rating: str | None = None
    nps: str | None = None
    csat: str | None = None
    id: str | None = None
    created: str | None = None
    author: str | None = None
    contact: str | None = None
    consent: str | None = None
    product: str | None = None
    url: str | None = None

    def resolve(self, headers: list[str], where: str) -> "ColumnMap":
        """Return a map with every field bound to an existing header (or None), detecting the unset ones.

        Raises ConfigError when a named column is missing, SourceError when no text column is found.
        """
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(_norm(h), h)
            tail = str(h).rsplit(".", 1)[-1]  # flattened JSON keys: "user.name" -> "name"
            by_norm.setdefault(_norm(tail), h)
        out: dict[str, str | None] = {}
        used: set[str] = set()
        for f in fields(self):
            given = getattr(self, f.name)
            if given:
                if given in headers:
                    column: str = given
                elif _norm(given) in by_norm:
                    column = by_norm[_norm(given)]
                else:
                    raise ConfigError(
                        f"{where}: no column {given!r} for --{f.name}; columns: {', '.join(map(str, headers))}"
                    )
                out[f.name] = column
                used.add(column)
        for f in fields(self):
            if f.name in out:
                continue
            found: str | None = None
            for cand in _CANDIDATES[f.name]:
                named = by_norm.get(cand)
                if named is not None and named not in used:
                    found = named
                    break
            if found is None and f.name in _PATTERNS:
                for h in headers:
                    if h not in used and _PATTERNS[f.name].search(str(h).casefold()):
                        found = h
                        break
            out[f.name] = found
            if found is not None:
                used.add(found)
        if not out["text"]:
            raise SourceError(
                f"{where}: cannot tell which column holds the feedback text; name it with --text. "
                f"Columns: {', '.join(map(str, headers))}"
            )
        resolved = ColumnMap(**out)
        log.info("%s: columns %s", where, {k: v for k, v in out.items() if v})
        return resolved

    def resolve_by_content(self, headers: list[str], where: str,
                           sample: Callable[[], list[dict[str, Any]]]) -> tuple["ColumnMap", list[Note]]:
        """``resolve``; when no header names the text column, read the first rows (``sample()``)
        and take the column whose values read most like free text (``text_by_content``).

        A survey export's free-text column is headed by its question ("What is the main reason
        for your score?"), which no list of names can know. Returns the map and a note saying
        which column was chosen, or raises resolve's SourceError when none reads like text.
        """
        try:
            return self.resolve(headers, where), []
        except SourceError:
            if self.text:
                raise
            records = sample()
            column = text_by_content(headers, records, exclude=self._bound_by_name(headers))
            if column is None:
                raise
        note = Note(f"{where}: no column is named like feedback text; read {column!r} as the text because its "
                    f"values are the longest free text (name another with --text)", where)
        return replace(self, text=column).resolve(headers, where), [note]

    def _bound_by_name(self, headers: list[str]) -> set[str]:
        """The columns ``resolve`` binds to fields other than the text by their headers alone."""
        if not headers:
            return set()
        try:
            probe = replace(self, text=headers[0]).resolve(headers, "sample")
        except (SourceError, ConfigError):
            return set()
        return {v for f in fields(probe) if f.name != "text" for v in [getattr(probe, f.name)] if v is not None}

    def reject(self, reason: str, record: dict[str, Any] | list[Any], origin: str, row: int | None,
               header: list[str] | None = None) -> Reject:
        """Return a Reject for ``record`` that carries its author and contact values (for redaction)."""
        if isinstance(record, dict):
            values = record
        else:  # a row with too many fields: positions as in the header, the best guess there is
            values = dict(zip(header or [], record))
        author = values.get(self.author) if self.author else None
        contact = values.get(self.contact) if self.contact else None
        return Reject(reason, origin, row, raw=record, author=author, contact=contact)

    def to_feedback(self, record: dict[str, Any], origin: str, row: int | None, kind: str) -> Feedback:
        """Return the Feedback for one input record (values still raw; the ingest path parses them)."""
        get = record.get
        return Feedback(
            text=get(self.text) if self.text is not None else None,
            external_id=get(self.id) if self.id else None,
            title=get(self.title) if self.title else None,
            rating=get(self.rating) if self.rating else None,
            nps=get(self.nps) if self.nps else None,
            csat=get(self.csat) if self.csat else None,
            created_at=get(self.created) if self.created else None,
            author=get(self.author) if self.author else None,
            contact=get(self.contact) if self.contact else None,
            consent=get(self.consent) if self.consent else None,
            product=get(self.product) if self.product else None,
            url=get(self.url) if self.url else None,
            kind="survey" if (self.nps or self.csat) and not self.rating else kind,
            raw=record,
            origin=origin,
            row=row,
        )


def unique_headers(header: list[Any], where: str) -> tuple[list[str], list[Note]]:
    """Return the header with blank names filled ("column3") and repeated ones numbered ("text_2").

    Two columns with one name would otherwise share a dict key and the first one's values would be
    lost; each rename comes back as a Note naming both columns.
    """
    out: list[str] = []
    notes: list[Note] = []
    seen: dict[str, int] = {}
    taken = {str(h).strip() for h in header if h is not None}
    for i, h in enumerate(header, start=1):
        name = str(h).strip() if h is not None else ""
        if not name:
            name = f"column{i}"
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken or f"{name}_{n}" in seen:
                n += 1
            new = f"{name}_{n}"
            notes.append(Note(f"{where}: columns {seen[name]} and {i} are both named {name!r}; "
                              f"column {i} is read as {new!r} (both are kept; name one with --text etc. if needed)",
                              where))
            name = new
        seen[name] = i
        out.append(name)
    return out, notes


class FileSource:
    """Base of the file sources: a path, a column map, a source name and byte progress."""

    format = ""
    type = ""  # each file source: its registered name
    extensions: tuple[str, ...] = ()

    def __init__(self, path: str | os.PathLike, columns: ColumnMap | None = None, name: str | None = None,
                 encoding: str | None = None, kind: str = "review", **options: Any):
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a directory, not a file")
        self.columns = columns or ColumnMap()
        self.name = name or self.path.stem
        self.encoding = encoding
        self.kind = kind
        self.options = options
        self.size = self.path.stat().st_size
        self.position = 0  # bytes read so far, for progress bars

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, name={self.name!r})"

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject | Note]:  # pragma: no cover - abstract
        raise NotImplementedError


def file_formats() -> list[str]:
    """Return the registered sources that read files (``FileSource`` subclasses), built-ins first."""
    from vocmine.core.plugins import listed, load

    out = []
    for candidate in listed("vocmine.sources"):
        cls = load("vocmine.sources", candidate)
        if isinstance(cls, type) and issubclass(cls, FileSource):
            out.append(candidate)
    return out


def file_source_for(path: str | os.PathLike, fmt: str | None = None, **kwargs: Any) -> FileSource:
    """Return the file source for ``path``, chosen by ``fmt`` or by the file's extension."""
    from vocmine.core.errors import unknown_name
    from vocmine.core.plugins import load, names

    p = Path(path)
    formats = file_formats()
    if fmt is None:
        ext = p.name.lower()
        for candidate in sorted(formats):
            cls = load("vocmine.sources", candidate)
            if any(ext.endswith(e) for e in cls.extensions):
                fmt = candidate
                break
        else:
            if ext.endswith(".xls"):
                raise SourceError(f"{p}: old Excel .xls files are not supported; save it as .xlsx or .csv")
            raise SourceError(
                f"{p}: cannot tell the format from the extension; use --format "
                f"({', '.join(formats)})"
            )
    if fmt not in formats:
        if fmt in names("vocmine.sources"):
            raise ConfigError(f"source {fmt!r} does not read files")
        raise unknown_name("source", fmt, formats)
    cls = load("vocmine.sources", fmt)
    return cls(p, **kwargs)
