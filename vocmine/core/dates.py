"""Parsing the timestamps that real exports contain into ISO-8601 UTC text."""
from __future__ import annotations

import datetime as dt
import re

_UTC = dt.timezone.utc
# Excel date serials from 1927 to 2173. As epoch seconds these would all fall on 1970-01-01/02,
# which no real feedback does, so a number in this range is read as an Excel date (1900 system).
EXCEL_SERIAL_RANGE = (10_000, 100_000)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's phantom 1900-02-29 included)
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_KO_RE = re.compile(
    r"^\s*(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일"
    r"(?:\s*(오전|오후)?\s*(\d{1,2})\s*(?:시|:)\s*(?:(\d{1,2})\s*분?)?)?"
)
_DOTTED_RE = re.compile(r"^\s*(\d{4})[./](\d{1,2})[./](\d{1,2})\.?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_SLASH_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*$")
_TEXT_MONTH_RE = re.compile(
    r"^\s*(?:(?P<d1>\d{1,2})\s+(?P<m1>[A-Za-z]{3,9})\.?,?\s+(?P<y1>\d{4})|(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))"
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?)?\s*(?:UTC|GMT|Z)?\s*$"
)


def iso(value: dt.datetime) -> str:
    """Return ``value`` as ISO-8601 UTC text with a Z suffix (naive times are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    """Return the current time as ISO-8601 UTC text."""
    return iso(dt.datetime.now(_UTC))


def _hour(h: int, ampm: str | None) -> int:
    if not ampm:
        return h
    ampm = ampm.lower()
    if ampm in ("pm", "오후") and h < 12:
        return h + 12
    if ampm in ("am", "오전") and h == 12:
        return 0
    return h


def parse_datetime(value) -> str | None:
    """Return ISO-8601 UTC text for a date/time value, None for an empty one.

    Accepts datetime/date objects, epoch seconds or milliseconds, ISO-8601 (with or without
    zone), "2024.05.01", "2024년 5월 1일 오후 3시", "05/01/2024" (month first unless the first
    number is over 12), "06.11.2012" (day first), "12.11.06" (Korean year first), "1 May 2024" and
    "May 1, 2024", and Excel date serials (45123.5 is 2023-07-16 12:00) as Excel's CSV exports
    write them. Raises ValueError otherwise.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return iso(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, (int, float)):
        return _epoch(float(value))
    s = str(value).strip()
    if not s:
        return None
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?|\d{5}(?:\.\d+)?", s):
        return _epoch(float(s))
    try:
        parsed = dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        return iso(parsed)
    except ValueError:
        pass
    m = _DOTTED_RE.match(s)
    if m:
        y, mo, d, H, M, S = m.groups()
        return iso(dt.datetime(int(y), int(mo), int(d), int(H or 0), int(M or 0), int(S or 0)))
    m = _KO_RE.match(s)
    if m:
        y, mo, d, ampm, H, M = m.groups()
        return iso(dt.datetime(int(y), int(mo), int(d), _hour(int(H or 0), ampm), int(M or 0)))
    m = _SLASH_RE.match(s)
    if m:
        a, b, y, H, M, S, ampm = m.groups()
        a, b, yi = int(a), int(b), int(y)
        if len(y) == 2 and "." in s:
            # Korean exports write 12.11.06 for 2012-11-06 (year first, two digits each).
            a, b, yi = b, yi, a
            month, day = a, b
        elif "." in s:
            month, day = b, a  # 06.11.2012: day first, as in European exports
        else:
            month, day = (b, a) if a > 12 else (a, b)
        if yi < 100:
            yi += 2000
        return iso(dt.datetime(yi, month, day, _hour(int(H or 0), ampm), int(M or 0), int(S or 0)))
    m = _TEXT_MONTH_RE.match(s)
    if m:
        mon = (m.group("m1") or m.group("m2"))[:3].lower()
        if mon in _MONTHS:
            day = int(m.group("d1") or m.group("d2"))
            year = int(m.group("y1") or m.group("y2"))
            H = _hour(int(m.group("H") or 0), m.group("ampm"))
            return iso(dt.datetime(year, _MONTHS[mon], day, H, int(m.group("M") or 0), int(m.group("S") or 0)))
    raise ValueError(f"unrecognised date {s[:40]!r}")


def _epoch(x: float) -> str:
    if EXCEL_SERIAL_RANGE[0] <= x < EXCEL_SERIAL_RANGE[1]:
        return iso(_EXCEL_EPOCH + dt.timedelta(days=x))
    if x > 1e11:  # milliseconds
        x /= 1000.0
    if not 0 < x < 4e9:
        raise ValueError(f"epoch time out of range: {x!r}")
    return iso(dt.datetime.fromtimestamp(x, _UTC))


# -- ISO weeks ("2026-W38"): the unit of every trend, report and weekly run --------------------------

_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")


def iso_week(d: dt.date) -> str:
    """Return the ISO week of a date as "2026-W38"."""
    year, num, _ = d.isocalendar()
    return f"{year}-W{num:02d}"


def parse_week(week: str) -> tuple[int, int]:
    """Return (year, week number) of "2026-W38"; ConfigError names the right form otherwise."""
    from vocmine.core.errors import ConfigError

    m = _WEEK_RE.fullmatch(str(week or ""))
    if not m or not 1 <= int(m.group(2)) <= 53:
        raise ConfigError(f"bad ISO week {week!r}; use the form 2026-W38")
    return int(m.group(1)), int(m.group(2))


def week_monday(week: str) -> dt.date:
    """Return the Monday of an ISO week ("2026-W38" -> 2026-09-14)."""
    from vocmine.core.errors import ConfigError

    year, num = parse_week(week)
    try:
        return dt.date.fromisocalendar(year, num, 1)
    except ValueError:
        raise ConfigError(f"bad ISO week {week!r}: {year} has no week {num}") from None


def weeks_between(first: str, last: str) -> list[str]:
    """Return every ISO week from ``first`` to ``last``, both included."""
    d, end, out = week_monday(first), week_monday(last), []
    while d <= end:
        out.append(iso_week(d))
        d += dt.timedelta(days=7)
    return out
