"""Item pipelines: check each review, then hand it to vocmine's ingest path.

- ``ReviewPipeline`` drops an item without review text (reported as a reject, with page and row).
- ``EventsPipeline`` passes items to the ``vocmine scrape`` parent process, which ingests them, so
  one process writes the workspace. ``NotConfigured`` when no parent listens.
- ``WorkspacePipeline`` ingests directly when the crawl runs standalone
  (``scrapy crawl reviews -a url=... -s VOCMINE_DB=voc.db``). ``NotConfigured`` without a workspace.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem, NotConfigured

from . import events

log = logging.getLogger(__name__)


class ReviewPipeline:
    """Drop reviews that have no text (a rating alone is not something a customer said)."""

    def process_item(self, item):
        text = (item.get("text") or "").strip()
        if not text:
            events.emit("reject", url=item.get("page_url"), row=item.get("row"), field="text",
                        reason="review has no text (only a rating or title markup); skipped",
                        raw={k: item.get(k) for k in ("external_id", "rating", "created_at", "product")})
            raise DropItem(f"{item.get('page_url')}, review {item.get('row')}: no review text")
        item["text"] = text
        return item


class EventsPipeline:
    """Write each review as an ``item`` event line for the vocmine parent process."""

    @classmethod
    def from_crawler(cls, crawler):
        if not events.enabled():
            raise NotConfigured("no vocmine parent process is listening")
        return cls()

    def process_item(self, item):
        events.emit("item", **dict(item))
        return item


class WorkspacePipeline:
    """Ingest reviews straight into the workspace named by the ``VOCMINE_DB`` setting (standalone runs)."""

    def __init__(self, db: str, source: str | None, batch: int = 200):
        self.db = db
        self.source = source
        self.batch = batch
        self.pending: list = []
        self.results: list = []

    @classmethod
    def from_crawler(cls, crawler):
        db = crawler.settings.get("VOCMINE_DB")
        if not db:
            raise NotConfigured("set VOCMINE_DB to ingest into a workspace")
        if events.enabled():
            raise NotConfigured("the vocmine parent process ingests")
        return cls(db, crawler.settings.get("VOCMINE_SOURCE"))

    def process_item(self, item):
        from vocmine.collect.web import feedback_from_item

        self.pending.append(feedback_from_item(dict(item)))
        if self.source is None:
            self.source = "web:" + (urlsplit(item.get("page_url") or "").hostname or "unknown")
        if len(self.pending) >= self.batch:
            self._flush()
        return item

    def close_spider(self):
        self._flush()
        for r in self.results:
            log.info("ingested into %s: %s", self.db, r.as_dict())

    def _flush(self) -> None:
        if not self.pending:
            return
        import vocmine
        from vocmine.collect.web import ItemsSource

        with vocmine.open(self.db) as ws:
            self.results.append(ws.ingest(source=ItemsSource(self.source or "web", self.pending)))
        self.pending = []
