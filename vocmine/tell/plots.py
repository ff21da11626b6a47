"""Notebook plots with matplotlib (works offline, inline in Jupyter): each returns its Axes.

    from vocmine import plots
    plots.topic_sizes(ws)
    plots.topics_over_time(ws, top=5)
    plots.phrase_trend(ws, "heavier than expected")
    plots.before_after(ws, "NIM-101")

Korean labels need a CJK font (e.g. Debian's fonts-noto-cjk); ``korean_font()`` picks one when
installed, also one installed after matplotlib built its font cache, and warns once (labels show
as boxes, the numbers stay right) when there is none.
"""
from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from vocmine.act.entries import entries as loop_entries
from vocmine.core.errors import ConfigError
from vocmine.decide.trends import trends

if TYPE_CHECKING:
    from vocmine.core.store import Store


_KOREAN_FAMILIES = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "AppleGothic",
                    "Noto Sans CJK JP", "Noto Serif CJK KR", "Noto Serif CJK JP")


def _hangul_font_files() -> list[str]:
    """Font files on this machine that have Hangul: fontconfig's answer (``fc-list :lang=ko``),
    else every system font whose cmap has 가 (U+AC00)."""
    import shutil
    import subprocess

    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
        if files:
            return files
    from matplotlib import font_manager

    found = []
    for path in font_manager.findSystemFonts():
        try:
            from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

            fonts = TTCollection(path, lazy=True).fonts if path.lower().endswith(".ttc") else [TTFont(path, lazy=True)]
            if any(0xAC00 in (f.getBestCmap() or {}) for f in fonts):
                found.append(path)
        except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
            continue
    return found


@functools.lru_cache(maxsize=1)
def korean_font() -> str | None:
    """The name of an installed font with Hangul, set as a fallback for matplotlib; None if none.

    matplotlib reads its font list from a cache built the first time it ran; a CJK font installed
    after that is missing from it. When the cache has no Hangul font, the fonts that fontconfig
    (or their own cmap) says have Hangul are added to matplotlib's font manager for this process.
    """
    import matplotlib
    from matplotlib import font_manager

    def pick() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((want for want in _KOREAN_FAMILIES if want in names), None)

    want = pick()
    if want is None:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        added = []
        for path in _hangul_font_files():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                    added.append(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        want = pick()
        if want is None and added:  # a Hangul font by another name: the first one added
            want = font_manager.FontProperties(fname=added[0]).get_name()
    if want is None:
        warnings.warn("no font with Korean glyphs: Korean labels show as boxes (install fonts-noto-cjk, "
                      "or Nanum fonts)", stacklevel=3)
        return None
    family = matplotlib.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if want not in family:  # matplotlib falls back along the family list, glyph by glyph
        matplotlib.rcParams["font.family"] = [*family, want]
    return want


def _ax(ax=None, size=(8, 4)):
    import matplotlib.pyplot as plt

    korean_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _by(ws: "Store", by: str | None) -> str:
    if by:
        return by
    return "parent" if ws.db.conn.execute("select 1 from topics where status = 'active' limit 1").fetchone() \
        else "category"


def topic_sizes(ws: "Store", *, by: str | None = None, lang: str | None = None, top: int = 15, ax=None):
    """Horizontal bars: complaint volume (distinct feedback) per topic family (``by="topic"``: per
    topic), or per taxonomy category before the topic stage has run."""
    key = _by(ws, by)
    df = trends(ws, key, lang=lang)
    if df.empty:
        raise ConfigError("nothing to plot yet: run 'vocmine analyze' (and the topic stage) first")
    sizes = df.groupby("name")["volume"].sum().sort_values().tail(top)
    ax = _ax(ax, (8, max(2.5, 0.35 * len(sizes) + 1)))
    ax.barh(sizes.index.astype(str), sizes.values, color="#2b5fad")
    ax.set_xlabel("complaints (distinct feedback)")
    ax.set_title(f"Complaints by {'topic family' if key == 'parent' else key}")
    for i, v in enumerate(sizes.values):
        ax.text(v, i, f" {int(v)}", va="center", fontsize=8)
    return ax


def topics_over_time(ws: "Store", *, by: str | None = None, lang: str | None = None, top: int = 6, ax=None):
    """Lines: weekly complaint volume of the ``top`` biggest topics (or categories); spikes marked."""
    key = _by(ws, by)
    df = trends(ws, key, lang=lang)
    if df.empty:
        raise ConfigError("nothing to plot yet: run 'vocmine analyze' (and the topic stage) first")
    biggest = df.groupby("key")["volume"].sum().sort_values(ascending=False).head(top).index
    ax = _ax(ax, (9, 4.5))
    for k in biggest:
        g = df[df["key"] == k].sort_values("week")
        line, = ax.plot(g["week"], g["volume"], marker="o", ms=3, label=str(g["name"].iloc[0]))
        up = g[g["spike"] == "up"]
        ax.scatter(up["week"], up["volume"], s=80, facecolors="none", edgecolors=line.get_color(), linewidths=2)
    ax.set_ylabel("complaints per week")
    ax.set_title(f"Complaints by {'topic family' if key == 'parent' else key} over time (circles: spikes)")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return ax


def _phrase_key(ws: "Store", phrase: str) -> int:
    row = ws.db.conn.execute("select coalesce(group_id, id) from phrases where phrase = ?", (phrase,)).fetchone()
    if not row:
        raise ConfigError(f"unknown phrase {phrase!r}; see ws.phrases()")
    return row[0]


def phrase_trend(ws: "Store", phrase: str, *, ax=None):
    """Bars: customers per week using ``phrase`` (and its variants); spikes marked."""
    key = _phrase_key(ws, phrase)
    df = trends(ws, "phrase")
    g = df[df["key"] == key].sort_values("week")
    ax = _ax(ax)
    colours = ["#b3261e" if s == "up" else "#2b5fad" for s in g["spike"]]
    ax.bar(g["week"], g["volume"], color=colours)
    ax.set_title(f"“{phrase}” per week (red: spike)")
    ax.set_ylabel("feedback")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    return ax


def before_after(ws: "Store", entry: str | int, *, ax=None):
    """Bars: weekly share of feedback behind an entry's linked complaints, with the ship date marked."""
    entries = Entries(loop_entries(ws))
    e = next((x for x in entries if entry in (x["id"], x["slug"], x["ticket"])), None)
    if e is None:
        raise ConfigError(f"unknown entry {entry!r}; see ws.entries()")
    weekly = pd.DataFrame(e["evidence"].get("weekly") or [])
    if weekly.empty:
        raise ConfigError(f"entry {entry!r} has no evidence yet: run ws.build_entries()")
    weekly["rate"] = weekly["complaints"] / weekly["feedback"].where(weekly["feedback"] > 0)
    from datetime import date

    from vocmine.core.dates import iso_week

    ship = iso_week(date.fromisoformat(e["shipped_at"][:10]))
    ax = _ax(ax)
    colours = ["#2b5fad" if w < ship else "#7a9cd0" for w in weekly["week"]]
    ax.bar(weekly["week"], 100 * weekly["rate"].fillna(0), color=colours)
    if ship in set(weekly["week"]):
        x = list(weekly["week"]).index(ship)
        ax.axvline(x - 0.5, color="#b3261e", linestyle="--")
        ax.text(x - 0.4, ax.get_ylim()[1] * 0.92, f"{e['release'] or ''} shipped", color="#b3261e", fontsize=8)
    b, a = e["evidence"]["before"], e["evidence"]["after"]
    ax.set_title(f"{e['ticket']}: complaint rate {b['rate']:.1%} before → {a['rate']:.1%} after")
    ax.set_ylabel("% of the week's feedback")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    return ax


def _table_html(rows: list[dict[str, Any]], columns: list[str]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Entries(list):
    """The "you said, we did" entries: a list of dicts that shows as a table in Jupyter."""

    def to_frame(self) -> pd.DataFrame:
        """One row per entry: ticket, status, release, shipped, title, phrase, phrase_customers (word for
        word), linked_customers (everything linked to the fix), rates before and after."""
        return pd.DataFrame([_flat(e) for e in self])

    def _repr_html_(self) -> str:
        cols = ["ticket", "status", "release", "shipped", "title", "phrase", "phrase_customers", "linked_customers",
                "before", "after"]
        rows = []
        for e in self:
            f = _flat(e)
            f["before"] = f"{f['before']:.1%}" if f["before"] is not None else ""
            f["after"] = f"{f['after']:.1%}" if f["after"] is not None else ""
            rows.append(f)
        return _table_html(rows, cols)


def _flat(e: dict[str, Any]) -> dict[str, Any]:
    said = e.get("said") or {}
    first = said.get("en") or said.get("ko") or {}
    ev = e.get("evidence") or {}
    return {
        "id": e.get("id"), "ticket": e.get("ticket"), "status": e.get("status"), "release": e.get("release"),
        "shipped": (e.get("shipped_at") or "")[:10], "title": (e.get("title") or {}).get("en"),
        "phrase": first.get("phrase"),
        "phrase_customers": sum((s or {}).get("phrase_customers") or 0 for s in said.values()),
        "linked_customers": sum((s or {}).get("linked_customers", (s or {}).get("customers")) or 0
                                for s in said.values()),
        "before": (ev.get("before") or {}).get("rate"), "after": (ev.get("after") or {}).get("rate"),
    }
