"""One field at a time: what a row's text, rating, NPS, CSAT, consent and kind may hold, how each
is read ("4/5", "★★★★", "8점", Excel errors, control characters), and the private record kept
apart (keyed hashes of author and contact)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import field
from typing import Any

from vocmine.core import privacy


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


def author_text(author: Any) -> str:
    """The author as ``private_record`` matches it in a raw record: its text, or "" for no value or a list/object."""
    return _text(author) if author not in (None, "") and not _kind_of(author) else ""


def private_record(raw: Any, author: Any, contact: Any, key: bytes | None, text: str | None = None,
                   redacted: str | None = None, alias: str | None = None, known: Any = frozenset()) -> Any:
    """Return ``raw`` (a record, list or line) fit to store: authors pseudonymised, contacts removed, text redacted.

    The same privacy as the feedback table's own columns, for ``feedback.raw`` and ``rejects.raw``
    alike. ``text``/``redacted`` let the caller reuse the text it has already redacted; ``known``
    holds authors seen elsewhere in the file, pseudonymised wherever they turn up (a malformed row's
    fields are not where the header says).
    """
    author_s = author_text(author)
    contact_s = _text(contact) if contact not in (None, "") and not _kind_of(contact) else ""
    names = (author_s,) if author_s else ()
    if key is None and ((author_s and not alias) or known):
        raise ValueError("private_record needs the workspace key to pseudonymise these authors")
    secret = key if key is not None else b""  # unused without a key: checked above
    alias = alias or (privacy.pseudonym(author_s, secret) if author_s else "")

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
                return privacy.pseudonym(s, secret)
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
