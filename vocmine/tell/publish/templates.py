"""The Jinja2 environment every publisher renders with: lookup chain, escaping, filters.

Lookup is a chain: the user's template folder(s) first, then vocmine's ``reports/``. The
packaged templates are also reachable under the ``default/`` prefix, so an override may extend
the very template it replaces: ``{% extends "default/weekly.html.j2" %}``.

Escaping follows the output: ``*.html*``, ``*.xml*`` and ``*.svg*`` templates autoescape HTML;
``*.md*`` templates pass every ``{{ value }}`` through :func:`md_escape`, which neutralises HTML
and Markdown link, image, emphasis and table syntax; ``*.txt*`` templates (plain-text email)
print values as they are.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from vocmine.core.errors import ConfigError
from vocmine.core.dates import iso_week, parse_week, week_monday, weeks_between  # noqa: F401 - re-exported to templates
from vocmine.collect.ingest import xml_safe as _xml_text  # one definition, shared with ingest
from vocmine.core.resources import data_path
from vocmine.tell.publish import charts
from vocmine.tell.publish.files import write_if_changed  # noqa: F401 - re-exported
from vocmine.tell.publish.strings import STRINGS

log = logging.getLogger(__name__)

TemplateDirs = str | os.PathLike | Sequence[str | os.PathLike] | None

_MONTHS_EN = ("January February March April May June July August September October November December").split()
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^(\s*)(#{1,6}|-+|=+|\+|\d+[.)])(?=\s|$)")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_C0_SPACE = "".join(map(chr, range(0x21)))  # what the WHATWG URL parser strips at both ends
_URL_STRIP = re.compile("[\t\n\r]")  # ... and removes anywhere inside


def template_dirs(template_dir: TemplateDirs = None) -> list[Path]:
    """Return the lookup chain as folders: the user's (in the order given), then ``reports/``."""
    if template_dir is None:
        user: list[Path] = []
    elif isinstance(template_dir, (str, os.PathLike)):
        user = [Path(template_dir)]
    else:
        user = [Path(p) for p in template_dir]
    for path in user:
        if not path.is_dir():
            raise ConfigError(f"template folder {str(path)!r} does not exist; pass a folder of *.j2 templates")
    return [*user, data_path("reports")]


def environment(template_dir: TemplateDirs = None) -> jinja2.Environment:
    """Return a Jinja2 environment over the lookup chain, with vocmine's filters and globals.

    Environments are shared per chain, so rendering many messages compiles each template once;
    an edited template file is still picked up (Jinja2 checks its modification time). Treat the
    returned environment as read-only: it is shared.
    """
    return _environment(tuple(str(d.resolve()) for d in template_dirs(template_dir)))


@functools.lru_cache(maxsize=16)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(dirs[-1], encoding="utf-8")
    loader = jinja2.ChoiceLoader([
        *(jinja2.FileSystemLoader(d, encoding="utf-8") for d in dirs[:-1]),
        jinja2.PrefixLoader({"default": builtin}),
        builtin,
    ])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg", "html.j2", "htm.j2", "xml.j2", "svg.j2"),
            disabled_extensions=("md", "md.j2", "txt", "txt.j2", "css"),
            default_for_string=True, default=True),
        finalize=_finalize,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update({
        "date": format_date, "number": format_number, "percent": format_percent, "signed": format_signed,
        "week": format_week, "short_week": short_week, "period": format_period, "md": md_escape,
        "md_url": md_url, "url": safe_url, "rfc3339": rfc3339, "spark_text": charts.spark_text,
        "index_of": index_of,
    })
    env.globals.update({
        "t": translate, "bar_chart": charts.bar_chart, "sparkline": charts.sparkline,
        "stacked_bar": charts.stacked_bar, "week_start": week_start, "week_of": week_of,
        "weeks_between": weeks_between, "mark_position": mark_position, "evidence_weeks": evidence_weeks,
        "percent_axis": format_percent,
    })
    return env


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Any:
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    name = (context.name or "").lower()
    if re.search(r"\.md(\.j2)?$", name):
        return md_escape(value)
    return value


def md_escape(value: Any) -> Any:
    """Return text safe to place in Markdown: no HTML, links, images, emphasis or table breaks.

    Numbers and :class:`markupsafe.Markup` (trusted output of vocmine's own filters) pass as they
    are. Line breaks collapse to spaces so that customer text cannot start a heading or a list.
    """
    if isinstance(value, (Markup, int, float)) or value is None:
        return value
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LEADING.sub(_escape_leading, text)
    # "![" and "](" are already broken by the escaped brackets; a bare "!" is harmless.
    return text


def _escape_leading(m: re.Match) -> str:
    mark = m.group(2)
    if mark[0].isdigit():  # "1." starts a list: escape the dot, not the digits
        return m.group(1) + mark[:-1] + "\\" + mark[-1]
    return m.group(1) + "\\" + mark


def index_of(items: Sequence[Any], value: Any) -> int | None:
    """Return the position of ``value`` in ``items``, None when absent (chart highlights)."""
    try:
        return list(items).index(value)
    except ValueError:
        return None


def safe_url(value: Any) -> str:
    """Return ``value`` as a link target when it is an absolute http(s) or mailto URL, else "".

    Browsers (the WHATWG URL parser) drop leading and trailing C0 controls and spaces and every
    tab, LF and CR inside a URL, and HTML decodes character references in attributes, so
    "\\tjava\\nscript:" and "java&#x09;script:" are javascript: links to a browser. The scheme is
    checked on what the browser will see; anything that is not http, https or mailto, including
    protocol-relative "//host" and relative paths, becomes no link. The returned URL has the
    controls removed.
    """
    url = _URL_STRIP.sub("", str(value or "").strip(_C0_SPACE))
    if not url:
        return ""
    seen = url
    for _ in range(4):  # "&amp;#x09;" decodes twice when Markdown meets HTML; bounded
        decoded = _URL_STRIP.sub("", html.unescape(seen).strip(_C0_SPACE))
        if decoded == seen:
            break
        seen = decoded
    if seen.lower().startswith(_SAFE_SCHEMES) and url.lower().startswith(_SAFE_SCHEMES):
        return url
    log.info("dropped a link that is not http, https or mailto: %r", url[:80])
    return ""


def xml_safe(value: Any) -> str:
    """Return ``value`` as text without the characters XML 1.0 forbids.

    Removed: C0 controls other than tab, LF and CR, U+FFFE, U+FFFF and lone surrogates (one of
    them in a quoted review would make feed.xml unreadable for every subscriber).
    """
    return _xml_text("" if value is None else str(value))


def md_url(value: Any) -> Markup:
    """Return a URL for a Markdown link destination: safe scheme, spaces and brackets encoded."""
    return Markup(quote(safe_url(value), safe=":/?#[]@!$&'*+,;=%-._~").replace("(", "%28").replace(")", "%29")
                  .replace("[", "%5B").replace("]", "%5D"))


# ---- dates and weeks ------------------------------------------------------------------------

def to_date(value: Any) -> dt.date | None:
    """Return a date from a date/datetime or ISO-8601 text ("2026-09-23", "...T00:00:00Z")."""
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.timezone.utc) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (parsed.astimezone(dt.timezone.utc) if parsed.tzinfo else parsed).date()
    except ValueError:
        raise ConfigError(f"bad date {text!r}; use ISO-8601 such as 2026-09-23 or 2026-09-23T00:00:00Z") from None


def format_date(value: Any, lang: str = "en", style: str = "long") -> str:
    """Return a date for people: "September 23, 2026" / "2026년 9월 23일"; short: "Sep 23" / "9월 23일"."""
    d = to_date(value)
    if d is None:
        return ""
    if lang == "ko":
        return f"{d.month}월 {d.day}일" if style == "short" else f"{d.year}년 {d.month}월 {d.day}일"
    month = _MONTHS_EN[d.month - 1]
    if style == "short":
        return f"{month[:3]} {d.day}"
    return f"{month} {d.day}, {d.year}"


def rfc3339(value: Any) -> str:
    """Return an Atom/RFC 3339 timestamp in UTC ("2026-09-23T00:00:00Z")."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if len(text) > 10 else \
                dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            raise ConfigError(f"bad timestamp {text!r}; use ISO-8601 such as 2026-09-23T00:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_check_week = parse_week
week_start = week_monday


def week_of(value: Any) -> str:
    """Return the ISO week ("2026-W39") of a date or timestamp."""
    d = to_date(value)
    return iso_week(d) if d is not None else ""


def format_week(week: str, lang: str = "en") -> str:
    """Return "Week 38, 2026" / "2026년 38주차"."""
    year, num = _check_week(week)
    return f"{year}년 {num}주차" if lang == "ko" else f"Week {num}, {year}"


def short_week(week: str) -> str:
    """Return "W38" for "2026-W38" (axis labels)."""
    return "W" + str(week).rpartition("-W")[2]


def format_period(start: Any, end: Any, lang: str = "en") -> str:
    """Return a date range: "September 14 – 20, 2026" / "2026년 9월 14일 – 9월 20일"."""
    a, b = to_date(start), to_date(end)
    if a is None or b is None:
        return format_date(a or b, lang)
    if lang == "ko":
        return f"{format_date(a, lang)} – {format_date(b, lang, 'short') if a.year == b.year else format_date(b, lang)}"
    if a.year == b.year and a.month == b.month:
        return f"{_MONTHS_EN[a.month - 1]} {a.day} – {b.day}, {a.year}"
    if a.year == b.year:
        return f"{format_date(a, lang, 'short')} – {format_date(b, lang, 'short')}, {a.year}"
    return f"{format_date(a, lang)} – {format_date(b, lang)}"


def mark_position(weeks: Sequence[str], when: Any) -> float | None:
    """Return where ``when`` falls on a chart of ``weeks`` in bar units (2.5 = mid-week of bar 2)."""
    d = to_date(when)
    if d is None or not weeks:
        return None
    offset = (d - week_start(weeks[0])).days / 7
    return offset if 0 <= offset <= len(weeks) else None


def evidence_weeks(entry: Mapping[str, Any], span: int | None = None) -> list[dict[str, Any]]:
    """Return an entry's weekly evidence around its ship date, missing weeks filled with zeros.

    The window is ``span`` weeks either side of the ship week (default: the larger of 8 and twice
    the before/after windows), clipped to the weeks the evidence covers. Each row has week,
    complaints, feedback and rate (None when there was no feedback that week).
    """
    ev = entry.get("evidence") or {}
    rows = {r["week"]: r for r in ev.get("weekly") or [] if r.get("week")}
    if not rows:
        return []
    ship = week_of(entry.get("shipped_at"))
    if span is None:
        span = max(8, *(2 * int((ev.get(k) or {}).get("weeks") or 0) for k in ("before", "after")))
    first, last = min(rows), max(rows)
    if ship:
        start = week_of(week_start(ship) - dt.timedelta(weeks=span))
        end = week_of(week_start(ship) + dt.timedelta(weeks=span))
        first, last = max(first, start), min(last, end)
        if first > last:
            return []
    out = []
    for week in weeks_between(first, last):
        r = rows.get(week, {})
        complaints, feedback = int(r.get("complaints") or 0), int(r.get("feedback") or 0)
        out.append({"week": week, "complaints": complaints, "feedback": feedback,
                    "rate": complaints / feedback if feedback else None})
    return out


# ---- numbers --------------------------------------------------------------------------------

def format_number(value: Any, digits: int = 0) -> str:
    """Return a number with thousands separators ("1,234"; ``digits`` decimals); "–" for none."""
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        return "–"
    number = float(value)
    if digits == 0:
        return f"{round(number):,}"
    return f"{number:,.{digits}f}"


def format_percent(value: Any, digits: int = 1, scale: float = 100.0) -> str:
    """Return a share as a percentage (0.133 -> "13.3%"); tiny non-zero shares read "<0.1%".

    ``scale=1`` formats values that are already percentages (CSAT 81.0 -> "81.0%").
    """
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        return "–"
    pct = float(value) * scale
    floor = 10 ** -digits
    if 0 < pct < floor:
        return f"<{floor:.{digits}f}%"
    return f"{pct:.{digits}f}%"


def format_signed(value: Any, digits: int = 0, suffix: str = "") -> str:
    """Return a change with its sign ("+12", "−3", "±0"); "–" for none."""
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        return "–"
    number = round(float(value), digits)
    body = f"{abs(number):,.{digits}f}" if digits else f"{abs(round(number)):,}"
    if number == 0:
        return f"±{body}{suffix}"
    return f"{'+' if number > 0 else '−'}{body}{suffix}"


# ---- wording --------------------------------------------------------------------------------

def strings_for(lang: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, str]:
    """Return the interface wording of ``lang``, with ``overrides[lang]`` on top."""
    if lang not in STRINGS:
        raise ConfigError(f"unknown language {lang!r}; available: {', '.join(sorted(STRINGS))}")
    table = dict(STRINGS[lang])
    table.update((overrides or {}).get(lang) or {})
    return table


@jinja2.pass_context
def translate(context: jinja2.runtime.Context, key: str, n: int | None = None, **values: Any) -> str:
    """Return the wording ``key`` in the page's language, formatted with ``values``.

    With ``n``, ``key_one`` is used for 1 and ``key_other`` otherwise when they exist; integers
    are printed with thousands separators. In HTML and XML templates the result is Markup with
    every value escaped except Markup values (a macro's output).
    """
    table = context.get("strings") or STRINGS[context.get("lang") or "en"]
    name = key
    if n is not None:
        values["n"] = n
        plural = f"{key}_one" if n == 1 else f"{key}_other"
        name = plural if plural in table else key
    if name not in table:
        raise ConfigError(f"no wording {key!r} for language {context.get('lang')!r}; add it to the strings")
    shown = {k: format_number(v) if isinstance(v, int) and not isinstance(v, bool) else ("" if v is None else v)
             for k, v in values.items()}
    if context.eval_ctx.autoescape:
        # Values are escaped, except Markup (e.g. a phrase wrapped in <span lang>) from the template.
        return Markup(escape(table[name])).format(**shown)
    return table[name].format(**shown)
