"""The crawl process: ``python -m vocmine.collect.crawl JOB.json``.

Twisted's reactor cannot be restarted inside one process, and a crawl should not share a process
with the workspace writer, so ``vocmine scrape`` starts this module. It writes one JSON event per
line to its stdout (see ``vocmine.scrapers.events``); anything else (Scrapy's log, stray prints)
goes to stderr.

The job file holds: ``spider`` ("reviews" or "site"), ``urls``, ``site`` (a YAML path),
``max_pages``, ``known_ids`` and ``order_hints`` (file paths), ``newest_first``, ``incremental``,
``cache_dir`` and ``settings`` (Scrapy settings, applied last).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any

ENV_SETTINGS = "VOCMINE_SCRAPY_SETTINGS"
_ROBOTS_MW = "vocmine.scrapers.middlewares.RobotsTxtMiddleware"
_SCRAPY_ROBOTS_MW = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"


def build_settings(job: dict[str, Any]):
    """Return Scrapy settings: vocmine's defaults, then $VOCMINE_SCRAPY_SETTINGS, then the job's."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("vocmine.scrapers.settings", priority="project")
    env = os.environ.get(ENV_SETTINGS)
    if env:
        try:
            extra = json.loads(env)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{ENV_SETTINGS} is not a JSON object: {exc}") from None
        settings.setdict(extra, priority="cmdline")
    max_pages = int(job.get("max_pages") or 0)
    if max_pages:
        settings.set("CLOSESPIDER_PAGECOUNT", max_pages + 5, priority="cmdline")  # + robots.txt fetches
    if job.get("cache_dir"):
        settings.set("HTTPCACHE_ENABLED", True, priority="cmdline")
        settings.set("HTTPCACHE_DIR", job["cache_dir"], priority="cmdline")
    settings.setdict(job.get("settings") or {}, priority="cmdline")
    # Settings that replace DOWNLOADER_MIDDLEWARES whole must not bring back Scrapy 2.19's
    # RobotsTxtMiddleware, which lets concurrent start requests through unchecked; naming
    # vocmine's middleware (even as None) is how to opt out of this.
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    if _ROBOTS_MW not in middlewares:
        middlewares.update({_SCRAPY_ROBOTS_MW: None, _ROBOTS_MW: 100})
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run the crawl described by the job file; return the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m vocmine.collect.crawl JOB.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)

    # Events go to the original stdout; everything else printed from here on goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from vocmine.collect import scrapers_package

    scrapers_package()
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from vocmine.scrapers import events

    events.stream = out
    process = CrawlerProcess(build_settings(job))
    crawler = process.create_crawler(job.get("spider") or "reviews")
    closed: dict[str, Any] = {}

    def on_closed(spider: Any, reason: str) -> None:
        closed["reason"] = reason
        closed["requested"] = getattr(spider, "requested", None)

    crawler.signals.connect(on_closed, signal=signals.spider_closed)
    kwargs: dict[str, Any] = {"urls": job.get("urls") or [], "max_pages": job.get("max_pages"),
                              "known_ids": job.get("known_ids"), "order_hints": job.get("order_hints"),
                              "newest_first": job.get("newest_first"), "incremental": job.get("incremental", True)}
    if job.get("site"):
        kwargs["site"] = job["site"]
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    events.emit("done", reason=closed.get("reason"), requested=closed.get("requested"),
                responses=stats.get("response_received_count"), items=stats.get("item_scraped_count"))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
