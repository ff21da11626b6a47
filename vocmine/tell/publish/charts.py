"""Charts as inline SVG text: no JavaScript, no fonts or files fetched, deterministic output.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` that screen readers
announce; templates put a data table next to it for anyone who cannot see the chart. Every
string that goes into a chart is escaped here, so customer text is safe in a chart title too.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR = "#2b5ea8"        # 6.4:1 on white
HIGHLIGHT = "#12335f"
LINE = "#b3261e"       # 6.5:1 on white
MARK = "#b3261e"
TEXT = "#333333"
GRID = "#d0d4da"
SENTIMENT = {"negative": "#b3261e", "neutral": "#6b7280", "positive": "#1e7b3c"}
_BLOCKS = "▁▂▃▄▅▆▇█"


def _id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


def _n(x: float) -> str:
    """Coordinates with one decimal and no "-0.0", so output is byte-stable."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def _nice_max(value: float) -> float:
    """Return a round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10 ** exp
        if top >= value - 1e-12:
            return top
    return 10 ** (exp + 1)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2g}"


def _open(chart_id: str, width: int, height: int, title: str, desc: str, cls: str) -> list[str]:
    return [
        f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" font-size="11">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]


def bar_chart(values: Sequence[float | None], labels: Sequence[str], *, title: str, desc: str = "",
              chart_id: str | None = None, highlight: int | None = None, mark: float | None = None,
              mark_label: str = "", line: Sequence[float | None] | None = None, line_label: str = "",
              value_format: Callable[[float], str] | None = None, width: int = 640, height: int = 200) -> Markup:
    """Return an inline SVG bar chart of ``values`` (one bar per label, None for no data).

    ``highlight`` darkens one bar (the current week); ``mark`` draws a dashed vertical line at a
    position in bar units (see ``mark_position``) with ``mark_label`` above it; ``line`` overlays
    a second series as a line on the same axis. Each bar carries a tooltip with its value.
    """
    fmt = value_format or _plain
    n = len(values)
    chart_id = chart_id or _id("chart", title, tuple(values), tuple(labels), mark)
    top_pad = 22 if (mark is not None and mark_label) or (line and line_label) else 10
    left, right, bottom = 46, 10, 24
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    data = [v for v in list(values) + list(line or []) if v is not None]
    ymax = _nice_max(max(data, default=0.0))
    out = _open(chart_id, width, height, title, desc, "chart")
    # Axis: three gridlines with labels.
    for frac in (0.0, 0.5, 1.0):
        y = top_pad + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{GRID}" '
                   f'stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{TEXT}">'
                   f'{escape(fmt(ymax * frac))}</text>')
    if n:
        step = plot_w / n
        bar_w = max(1.0, step * 0.72)
        every = max(1, math.ceil(n / 8))
        for i, (value, label) in enumerate(zip(values, labels)):
            x = left + i * step + (step - bar_w) / 2
            if value is not None:
                h = plot_h * (value / ymax)
                color = HIGHLIGHT if i == highlight else BAR
                out.append(f'<rect x="{_n(x)}" y="{_n(top_pad + plot_h - h)}" width="{_n(bar_w)}" '
                           f'height="{_n(h)}" fill="{color}"><title>{escape(label)}: {escape(fmt(value))}'
                           f'</title></rect>')
            if i % every == 0 or i == n - 1 and n - 1 - (n - 1) // every * every >= every / 2:
                out.append(f'<text x="{_n(left + i * step + step / 2)}" y="{height - 8}" text-anchor="middle" '
                           f'fill="{TEXT}">{escape(label)}</text>')
        if line:
            points = [(left + i * step + step / 2, top_pad + plot_h * (1 - v / ymax))
                      for i, v in enumerate(line) if v is not None]
            if points:
                out.append(f'<polyline points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in points)}" fill="none" '
                           f'stroke="{LINE}" stroke-width="2"/>')
                for x, y in points:
                    out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{LINE}"/>')
                if line_label:  # a legend above the plot, clear of the bars
                    out.append(f'<line x1="{left}" y1="8" x2="{left + 16}" y2="8" stroke="{LINE}" stroke-width="2"/>'
                               f'<text x="{left + 20}" y="12" fill="{LINE}">{escape(line_label)}</text>')
        if mark is not None:
            x = left + mark * step
            out.append(f'<line x1="{_n(x)}" y1="{top_pad - 4}" x2="{_n(x)}" y2="{_n(top_pad + plot_h)}" '
                       f'stroke="{MARK}" stroke-width="2" stroke-dasharray="4 3"/>')
            if mark_label:
                anchor = "end" if x > left + plot_w * 0.7 else "start"
                dx = -4 if anchor == "end" else 4
                out.append(f'<text x="{_n(x + dx)}" y="12" text-anchor="{anchor}" fill="{MARK}" '
                           f'font-weight="bold">{escape(mark_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def sparkline(values: Sequence[float | None], *, title: str, width: int = 96, height: int = 22,
              chart_id: str | None = None) -> Markup:
    """Return a small inline SVG line of ``values`` with its last point dotted (tables)."""
    chart_id = chart_id or _id("spark", title, tuple(values))
    out = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    data = [v for v in values if v is not None]
    if len(values) >= 1 and data:
        ymax = max(data) or 1.0
        ymin = min(0.0, min(data))
        span = (ymax - ymin) or 1.0
        step = (width - 4) / max(1, len(values) - 1)
        pts = [(2 + i * step, 2 + (height - 4) * (1 - (v - ymin) / span)) for i, v in enumerate(values)
               if v is not None]
        out.append(f'<polyline points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}" fill="none" '
                   f'stroke="{BAR}" stroke-width="1.5"/>')
        out.append(f'<circle cx="{_n(pts[-1][0])}" cy="{_n(pts[-1][1])}" r="2" fill="{HIGHLIGHT}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def stacked_bar(parts: Sequence[tuple[str, float, str]], *, title: str, width: int = 640, height: int = 28,
                chart_id: str | None = None) -> Markup:
    """Return a horizontal bar split into ``parts`` of (label, share 0..1, colour), labelled inside."""
    chart_id = chart_id or _id("stack", title, tuple(parts))
    total = sum(max(0.0, share) for _, share, _ in parts) or 1.0
    desc = ", ".join(f"{label} {share / total:.0%}" for label, share, _ in parts)
    out = _open(chart_id, width, height, title, desc, "chart stack")
    x = 0.0
    for label, share, color in parts:
        w = width * max(0.0, share) / total
        if w <= 0:
            continue
        out.append(f'<rect x="{_n(x)}" y="0" width="{_n(w)}" height="{height}" fill="{escape(color)}">'
                   f'<title>{escape(label)}: {share / total:.0%}</title></rect>')
        if w > 70:
            out.append(f'<text x="{_n(x + 6)}" y="{height / 2 + 4:.1f}" fill="#ffffff">'
                       f'{escape(label)} {share / total:.0%}</text>')
        x += w
    out.append("</svg>")
    return Markup("".join(out))


def spark_text(values: Sequence[float | None]) -> Markup:
    """Return a sparkline in block characters ("▁▃▇") for Markdown and plain text."""
    data = [v for v in values if v is not None]
    if not data:
        return Markup("")
    top = max(data) or 1.0
    return Markup("".join(" " if v is None else _BLOCKS[min(7, int(round(7 * max(0.0, v) / top)))]
                          for v in values))
