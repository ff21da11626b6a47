"""The demo: realistic sample exports for a fictional company, ingested into a workspace.

``build(DIR)`` writes what a product team would really have (a review export as CSV, an NPS
survey as .xlsx, tickets as JSON) under ``DIR/data`` and loads them through the normal ingest
path into ``DIR/vocmine.db``. Later stages carry the demo on to ``DIR/reports`` and ``DIR/site``.
"""
from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from vocmine.jobs.demo_data import generate

log = logging.getLogger(__name__)

REVIEW_COLUMNS = ["review_id", "product_id", "rating", "title", "text", "author", "email", "marketing_ok", "created"]
SURVEY_COLUMNS = ["response_id", "submitted_at", "How likely are you to recommend Nimbus Gear to a friend? (0-10)",
                  "What is the main reason for your score?", "email", "contact_consent"]


def write_exports(directory: str | Path, seed: int = 7) -> dict[str, Path]:
    """Write the demo's source files into ``directory`` and return their paths by role."""
    import openpyxl

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    data = generate(seed=seed)
    reviews = out / "webstore_reviews.csv"
    # Excel's "CSV UTF-8": a BOM, comma-separated, quoted where needed.
    with open(reviews, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(REVIEW_COLUMNS)
        for r in data.reviews:
            w.writerow([r.get(c, "") for c in REVIEW_COLUMNS])
    survey = out / "nps_survey.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(SURVEY_COLUMNS)
    for s in data.survey:
        ws.append([s["response_id"], s["submitted_at"], s["nps"], s["comment"], s.get("email", ""),
                   "yes" if s.get("contact_consent") else "no"])
    wb.save(survey)
    tickets = out / "tickets.json"
    tickets.write_text(json.dumps([{k: v for k, v in t.items() if not k.startswith("_")} for t in data.tickets],
                                  ensure_ascii=False, indent=2), encoding="utf-8")
    products = out / "products.json"
    products.write_text(json.dumps(data.products, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"reviews": reviews, "survey": survey, "tickets": tickets, "products": products}


class _Stages:
    """Reports the demo's stages through ``progress``: ``progress.start(label)`` when a stage begins
    (when the callable has it), ``progress(line)`` with its counts and seconds when it ends."""

    def __init__(self, progress: Callable[[str], Any] | None) -> None:
        self.progress = progress or (lambda msg: log.info(msg))
        self.t0 = time.monotonic()

    def start(self, label: str) -> Callable[[int, int], None] | None:
        self.t0 = time.monotonic()
        start = getattr(self.progress, "start", None)
        if callable(start):
            start(label)
        counter = getattr(self.progress, "counter", None)
        return counter() if callable(counter) else None

    def end(self, line: str) -> None:
        self.progress(f"{line} ({time.monotonic() - self.t0:.1f} s)")


def build(directory: str | Path, seed: int = 7, progress: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Build the demo workspace ``directory/vocmine.db`` from freshly written exports; returns a summary.

    ``progress`` gets one line per stage, with its counts, as each stage ends (and, when it has
    them, ``progress.start(label)`` as a stage begins and ``progress.counter()`` for a
    ``(done, total)`` callback; see vocmine/cli/progress.py). Safe to run again: the exports are
    rewritten identically and re-ingesting adds nothing.
    """
    from vocmine.workspace import Workspace

    st = _Stages(progress)
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    st.start("write sample exports")
    files = write_exports(root / "data", seed=seed)
    st.end(f"wrote sample exports to {root / 'data'}: {len(files)} files")
    (root / "vocmine.toml").write_text(demo_config(), encoding="utf-8")
    with Workspace(root / "vocmine.db") as ws:
        name = files["reviews"].name
        bar = st.start(f"ingest {name}")
        r1 = ws.ingest(files["reviews"], source="webstore", text="text", rating="rating", id="review_id",
                       created="created", author="author", contact="email", consent="marketing_ok",
                       product="product_id", title="title", progress=bar)
        st.end(f"ingest {name}: {r1.stored + r1.rejected:,} rows, {r1.inserted:,} new, {r1.unchanged:,} unchanged, "
               f"{r1.duplicates:,} near-duplicates, {r1.rejected:,} rejected")
        name = files["survey"].name
        bar = st.start(f"ingest {name}")
        r2 = ws.ingest(files["survey"], source="nps-survey", kind="survey", id="response_id", created="submitted_at",
                       text="What is the main reason for your score?", contact="email", consent="contact_consent",
                       progress=bar)
        st.end(f"ingest {name}: {r2.stored + r2.rejected:,} rows, {r2.inserted:,} new, {r2.unchanged:,} unchanged, "
               f"{r2.rejected:,} rejected")
        name = files["tickets"].name
        st.start(f"ingest {name}")
        tickets = json.loads(files["tickets"].read_text(encoding="utf-8"))
        new_tickets = ws.add_tickets(tickets, tracker="local")
        st.end(f"ingest {name}: {len(tickets):,} tickets, {new_tickets:,} new")
        bar = st.start("analyze")
        analysed = ws.analyze(progress=bar)
        st.end(f"analyze: {analysed.feedback:,} feedback rows, {analysed.segments:,} segments, "
               f"{analysed.complaints:,} complaints, {analysed.phrases:,} phrases")
        st.start("topics")
        st.end(_topics(ws))
        st.start("link suggestions and entries")
        decided = _close_the_loop(ws)
        st.end(f"link suggestions and entries: {decided['accepted']} links accepted for shipped tickets, "
               f"{decided['approved']} entries approved")
        from vocmine.tell.report_stage import site_settings

        site_settings(ws, **SITE)  # the company's name and site address, saved for later runs
        st.start("report")
        report = ws.report(root / "reports", lang="en")
        st.end(f"report: {report['html']}")
        st.start("publish")
        published = ws.publish(root / "site")
        st.end(f"publish: {root / 'site' / 'index.html'} ({len(published)} files, English and Korean)")
        stats = ws.stats()
    return {"workspace": str(root / "vocmine.db"), "feedback": stats["feedback"], "reviews": r1.as_dict(),
            "survey": r2.as_dict(), "tickets": len(tickets), "analyze": analysed.as_dict(),
            "links": decided, "report": str(report["html"]), "site": str(root / "site")}


# The demo plays the product team's part: it accepts the phrase suggestions that quote customers
# (score 1.0) for shipped tickets (topic suggestions are left for a person to review), adds the
# variants a person reviewing the list would accept, gives entries their Korean public wording
# and approves the one whose evidence is in.
SITE = {"company": "Nimbus Gear", "base_url": "https://nimbus-gear.example/changes/",
        "title_en": "Nimbus Gear: you said, we did", "title_ko": "님버스 기어: 고객 의견과 개선"}
EXTRA_LINKS = {
    "NIM-101": ["너무 무겁다", "heavier than described", "heavier than pictured"],
    "NIM-104": ["too tight", "사이즈가 작다", "생각보다 작다"],
}
PUBLIC_WORDING: dict[str, dict[str, Any]] = {
    "NIM-101": {"title_en": "A lighter Trailhead backpack frame", "title_ko": "더 가벼워진 트레일헤드 백팩 프레임",
                "approve": True},
    # Shipped ten days before the demo's data ends: too early to tell customers it worked, so it
    # stays a draft in the weekly report.
    "NIM-104": {"title_en": "A measured size chart for jackets and shoes",
                "title_ko": "실측 기준으로 바뀐 재킷·신발 사이즈표"},
}


def _topics(ws) -> str:
    if hasattr(ws, "update_topics"):
        r = ws.update_topics()
        return f"topics: {r.get('new_topics', 0):,} new, {r.get('assigned', 0):,} segments placed"
    from vocmine.decide.topic_stage import categorize_segments

    return f"topics: {categorize_segments(ws):,} complaint segments categorised"


def _close_the_loop(ws) -> dict[str, int]:
    from vocmine.core.errors import ConfigError
    from vocmine.act.entries import DONE

    shipped = {key for key, status in ws.db.conn.execute("select key, status from tickets")
               if (status or "").lower() in DONE}
    accepted = 0
    for s in ws.suggest_links():
        if s["ticket"] in shipped and s["score"] >= 0.9 and s["target_type"] == "phrase":
            ws.accept_link(s["ticket"], s["target_id"], s["target_type"])
            accepted += 1
    for key, targets in EXTRA_LINKS.items():
        for target in targets:
            try:
                ws.accept_link(key, target)
                accepted += 1
            except ConfigError as exc:  # a phrase the seed did not produce: say so, go on
                log.warning("demo: %s", exc)
    approved = 0
    for entry in ws.build_entries():
        wording = dict(PUBLIC_WORDING.get(entry["ticket"], {}))
        approve = wording.pop("approve", False)
        ws.edit_entry(entry["id"], approve=approve, **wording)
        approved += approve
    return {"accepted": accepted, "approved": approved}


def demo_config() -> str:
    """The demo's ``vocmine.toml``: its exports as sources, its tickets file, report and site."""
    cols = ('{ text = "text", rating = "rating", id = "review_id", created = "created", author = "author", '
            'contact = "email", consent = "marketing_ok", product = "product_id", title = "title" }')
    survey_cols = ('{ id = "response_id", created = "submitted_at", text = "What is the main reason for your '
                   'score?", contact = "email", consent = "contact_consent" }')
    return f'''\
# The demo's weekly configuration: `vocmine weekly --config vocmine.toml` (from this folder).
workspace = "vocmine.db"
log = "vocmine-weekly.log"
languages = ["en", "ko"]

[[sources]]
type = "file"
name = "webstore"
path = "data/webstore_reviews.csv"
columns = {cols}

[[sources]]
type = "file"
name = "nps-survey"
path = "data/nps_survey.xlsx"
kind = "survey"
columns = {survey_cols}

[[trackers]]
type = "json"
path = "data/tickets.json"

[report]
out = "reports"

[publish]
out = "site"
base_url = "{SITE['base_url']}"
company = "{SITE['company']}"
title_en = "{SITE['title_en']}"
title_ko = "{SITE['title_ko']}"

[notify]
enabled = false
outbox = "outbox"
'''
