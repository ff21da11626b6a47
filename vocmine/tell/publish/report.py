"""The weekly internal report: one self-contained HTML file and its Markdown twin per ISO week.

``render_weekly`` takes plain data (the "weekly context", docs/publishing.md), works out what
the templates should not have to (deltas, rising topics and phrases, closure rate, the nav),
and writes ``weekly-2026-W38.html`` / ``.md`` plus ``latest.html`` / ``latest.md``. Customer
text passes the privacy gate first; files are written through temp files into a folder the
report owns by its manifest (older weeks stay; a non-empty folder without one is refused).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vocmine.core.errors import ConfigError
from vocmine.tell.publish.files import write_tree
from vocmine.tell.publish.gate import Gate
from vocmine.tell.publish.templates import TemplateDirs, environment, strings_for, week_start, xml_safe
from vocmine.tell.publish.views import window_rates

log = logging.getLogger(__name__)

RISING_LIMIT = 5
_WEEK_FILE = re.compile(r"^weekly-(\d{4}-W\d{2})\.html$")


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list(context: Mapping[str, Any], key: str, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    items = context.get(key) or []
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"weekly context: '{key}' must be a list of mappings")
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise ConfigError(f"weekly context: {key}[{i}] must be a mapping, not {type(item).__name__}")
        for field in required:
            if item.get(field) in (None, ""):
                raise ConfigError(f"weekly context: {key}[{i}] has no '{field}'")
        out.append(dict(item))
    return out


def weekly_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return the template context for a weekly report: the input plus derived values.

    Derived (unless given): period, delta, scores' deltas, sentiment_delta (percentage
    points), each topic's delta, rising_topics, rising_phrases, closure (the ``loop`` mapping
    with closure_rate), drafts/approved (from entries), volume_index and sections (the nav).
    """
    week = context.get("week")
    monday = week_start(str(week or ""))
    lang = context.get("lang") or "en"
    ctx: dict[str, Any] = dict(context)
    ctx["lang"] = lang
    ctx["strings"] = strings_for(lang, context.get("strings"))
    period = dict(context.get("period") or {})
    period.setdefault("start", monday.isoformat())
    period.setdefault("end", (monday + dt.timedelta(days=6)).isoformat())
    ctx["period"] = period

    totals = dict(context.get("totals") or {})
    previous = dict(context.get("previous") or {})
    ctx["totals"], ctx["previous"] = totals, previous
    ctx["delta"] = {k: totals[k] - previous[k] for k in totals if _num(totals[k]) and _num(previous.get(k))}

    scores = {}
    for name, score in (context.get("scores") or {}).items():
        if not score:
            continue
        score = dict(score)
        if "delta" not in score and _num(score.get("score")) and _num(score.get("previous")):
            score["delta"] = round(score["score"] - score["previous"], 1)
        scores[name] = score
    ctx["scores"] = scores

    sentiment = dict(context.get("sentiment") or {})
    prev_sent = sentiment.get("previous") or {}
    ctx["sentiment"] = sentiment
    ctx["sentiment_delta"] = {k: round(100 * (sentiment[k] - prev_sent[k]), 1) for k in
                              ("negative", "neutral", "positive") if _num(sentiment.get(k)) and _num(prev_sent.get(k))}

    volume = _list(context, "volume", ("week",))
    ctx["volume"] = volume
    ctx["volume_index"] = next((i for i, v in enumerate(volume) if v["week"] == week), None)
    ctx["sources"] = _list(context, "sources", ("source",))

    topics = _list(context, "topics", ("label",))
    for tp in topics:
        if "delta" not in tp and _num(tp.get("volume")) and _num(tp.get("previous")):
            tp["delta"] = tp["volume"] - tp["previous"]
        tp["weekly"] = _list(tp, "weekly", ("week",))
        tp["quotes"] = list(tp.get("quotes") or [])[:3]
    ctx["topics"] = topics
    if "rising_topics" not in context:
        rising = [tp for tp in topics if (tp.get("delta") or 0) > 0 or tp.get("new") or tp.get("spike") == "up"]
        rising.sort(key=lambda tp: (-(tp.get("delta") or 0), str(tp["label"])))
        ctx["rising_topics"] = rising[:RISING_LIMIT]

    phrases = _list(context, "phrases", ("phrase",))
    ctx["phrases"] = phrases
    if "rising_phrases" not in context:
        rising_p = [p for p in phrases if _num(p.get("trend")) and p["trend"] > 1]
        rising_p.sort(key=lambda p: (-p["trend"], -(p.get("customers") or 0), str(p["phrase"])))
        ctx["rising_phrases"] = rising_p[:RISING_LIMIT]

    ctx["spikes"] = _list(context, "spikes", ("label",))
    ctx["tickets"] = _list(context, "tickets", ("key",))
    closure = dict(context.get("loop") or {})
    if closure.get("closure_rate") is None and _num(closure.get("complaint_volume")) and closure["complaint_volume"]:
        closure["closure_rate"] = (closure.get("linked_complaints") or 0) / closure["complaint_volume"]
    closure["fixes"] = _list(closure, "fixes", ("ticket",))
    ctx["closure"] = closure if context.get("loop") else {}

    entries = _list(context, "entries", ("slug",))
    for e in entries:
        evidence = dict(e.get("evidence") or {})
        evidence.update(before=window_rates(evidence.get("before")), after=window_rates(evidence.get("after")))
        e["evidence"] = evidence
    ctx["drafts"] = [e for e in entries if e.get("status") == "draft"]
    ctx["approved"] = [e for e in entries if e.get("status") in ("approved", "published")]

    present = {
        "summary": True, "volume": bool(volume), "sentiment": bool(sentiment), "topics": bool(topics),
        "rising": bool(ctx["rising_topics"] or ctx["rising_phrases"]), "phrases": bool(phrases),
        "spikes": True, "tickets": bool(ctx["tickets"]), "loop": bool(context.get("loop")),
        "entries": bool(ctx["drafts"] or ctx["approved"]),
    }
    ctx["sections"] = [(sid, f"h_{sid}") for sid, shown in present.items() if shown]
    return ctx


def render_weekly(context: Mapping[str, Any], out_dir: str | os.PathLike, template_dir: TemplateDirs = None, *,
                  force: bool = False, gate: Gate | None = None) -> dict[str, Path]:
    """Write the weekly report for ``context["week"]``; return {"html", "md", "latest_html", "latest_md"}.

    ``latest.*`` follow the newest week in ``out_dir``: re-rendering an older week leaves them
    alone (they are then absent from the result). ``force`` writes into a non-empty folder that
    has no vocmine manifest; ``gate`` collects what the privacy gate held back.
    """
    ctx = weekly_context((gate or Gate()).weekly(context))
    env = environment(template_dir)
    html = xml_safe(env.get_template("weekly.html.j2").render(ctx))
    md = xml_safe(env.get_template("weekly.md.j2").render(ctx))
    out = Path(out_dir)
    week = ctx["week"]
    paths = {"html": out / f"weekly-{week}.html", "md": out / f"weekly-{week}.md"}
    newest = max((m.group(1) for p in out.glob("weekly-*.html") if (m := _WEEK_FILE.match(p.name))),
                 default=week) if out.is_dir() else week
    files = {paths["html"].name: html, paths["md"].name: md}
    if week >= newest:
        paths["latest_html"] = out / "latest.html"
        paths["latest_md"] = out / "latest.md"
        files.update({"latest.html": html, "latest.md": md})
    write_tree(out, files, owner="report", force=force, replace=False)
    log.info("weekly report %s written to %s", week, out)
    return paths
