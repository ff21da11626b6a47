"""Web reviews: run a crawl in a subprocess and ingest what it finds through the workspace ingest path.

``scrape(ws, urls)`` (``ws.scrape``, ``vocmine scrape``) groups the URLs by site, starts one crawl
process per group (``vocmine.collect.crawl``), turns its event lines into Feedback and Rejects as
they arrive, and saves what the next run needs in ``source_state``: whether each listing is newest
first (so paging stops at the first page of known reviews) and a summary of the last crawl.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from vocmine.collect import intake
from vocmine.core.dates import now_iso, parse_datetime
from vocmine.core.errors import ConfigError, SourceError
from vocmine.core.feedback import Feedback, Reject
from vocmine.collect.ingest import IngestResult
from vocmine.collect.site_config import SiteConfig, load_site_config

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 100
_LANGS = {"en", "ko"}


@dataclass
class ScrapeResult(IngestResult):
    """What a scrape did: the ingest counts plus pages crawled, reviews found, failures and stops."""

    pages: int = 0
    reviews: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)  # {"url", "reason"}
    stopped: list[str] = field(default_factory=list)  # pages where paging stopped: all reviews known
    notes: list[str] = field(default_factory=list)  # waits, repaired markup, page limit
    waited: float = 0.0  # seconds spent waiting out 429 responses
    errors: list[str] = field(default_factory=list)  # a crawl process that failed

    @property
    def reviews_rejected(self) -> int:
        """Reviews found but not stored (failed pages are counted apart)."""
        return max(0, self.rejected - len(self.failed))

    def as_dict(self) -> dict[str, Any]:
        """Return the counts and lists as plain data (for --json and the runs table)."""
        d = super().as_dict()
        d.update(pages=self.pages, reviews=self.reviews, failed=self.failed, stopped=self.stopped,
                 notes=self.notes, waited=self.waited, errors=self.errors, reviews_rejected=self.reviews_rejected)
        return d


def _num(value: Any) -> float | None:
    try:
        f = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return f if f > 0 else None


def feedback_from_item(item: dict[str, Any]) -> Feedback:
    """Return the Feedback for one crawled review item (see ``vocmine.scrapers.items.ReviewItem``)."""
    lang = (item.get("language") or "").split("-")[0].split("_")[0].lower()
    page = item.get("page_url") or ""
    raw = {k: item.get(k) for k in ("page_url", "syntax", "best_rating", "worst_rating") if item.get(k) is not None}
    return Feedback(
        text=item.get("text"), external_id=item.get("external_id"), title=item.get("title"),
        rating=item.get("rating"), rating_scale=_num(item.get("best_rating")), created_at=item.get("created_at"),
        author=item.get("author"), product=item.get("product"), url=item.get("url") or page,
        language=lang if lang in _LANGS else None, kind="review", raw=raw, origin=page, row=item.get("row"),
    )


class ItemsSource:
    """A Source over Feedback already in memory (the standalone Scrapy pipeline uses it)."""

    type = "items"  # not registered: the Scrapy pipeline's hand-over

    def __init__(self, name: str, items: Iterable[Feedback | Reject]):
        self.name = name
        self.items = list(items)

    def __repr__(self) -> str:
        return f"ItemsSource({self.name!r}, {len(self.items)} items)"

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
        """Yield the items."""
        yield from self.items


def _check_urls(urls: Iterable[str]) -> list[str]:
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"not a web address: {u!r}; give full URLs such as https://shop.example/product/42")
        out.append(u)
    return out


def _order(pages: list[tuple[int, str, list[Any]]]) -> str | None:
    """Return "newest_first"/"oldest_first" when a listing's dates, page by page, are in order."""
    stamps = []
    for _, _, dates in sorted(pages, key=lambda p: p[0]):
        for d in dates:
            try:
                iso = parse_datetime(d) if d else None
            except (ValueError, OverflowError):
                iso = None
            if iso:
                stamps.append(iso)
    if len(stamps) < 2 or len(set(stamps)) < 2:
        return None
    if all(a >= b for a, b in zip(stamps, stamps[1:])):
        return "newest_first"
    if all(a <= b for a, b in zip(stamps, stamps[1:])):
        return "oldest_first"
    return "unordered"


class WebSource:
    """Reviews crawled from web pages, in a Scrapy subprocess: schema.org markup, or a YAML site config.

    ``fetch()`` starts the crawl and yields Feedback as the crawl finds reviews, and a Reject per
    review without text and per page that failed (404, broken markup, timeout, robots.txt). After it,
    ``pages``, ``reviews``, ``failed``, ``stopped``, ``notes``, ``waited``, ``orders`` and ``error``
    say what happened.
    """

    type = "web"  # the registered name (vocmine.sources)

    def __init__(self, urls: Iterable[str] = (), *, site: str | os.PathLike | SiteConfig | None = None,
                 name: str | None = None, max_pages: int = DEFAULT_MAX_PAGES, cache_dir: str | os.PathLike | None = None,
                 known_ids: Iterable[str] = (), order_hints: dict[str, bool] | None = None, incremental: bool = True,
                 settings: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None):
        self.site = load_site_config(site) if isinstance(site, (str, os.PathLike)) else site
        self.urls = _check_urls(list(dict.fromkeys(list(urls) + (self.site.start_urls if self.site else []))))
        if not self.urls:
            raise ConfigError("nothing to crawl: give at least one URL (or start_urls in the site config)")
        if max_pages is not None and max_pages < 1:
            raise ConfigError(f"--max-pages must be at least 1, got {max_pages}")
        host = urlsplit(self.urls[0]).hostname or "unknown"
        self.name = name or (self.site.name if self.site and self.site.name else f"web:{host}")
        self.max_pages = max_pages
        self.cache_dir = str(cache_dir) if cache_dir else None
        self.known_ids = set(known_ids)
        self.order_hints = dict(order_hints or {})
        self.incremental = incremental
        self.settings = dict(settings or {})
        self.progress = progress
        self._reset()

    def _reset(self) -> None:
        self.pages = 0
        self.reviews = 0
        self.failed: list[dict[str, str]] = []
        self.stopped: list[str] = []
        self.notes: list[str] = []
        self.waited = 0.0
        self.error: str | None = None
        self.close_reason: str | None = None
        self._listing_pages: dict[str, list[tuple[int, str, list[Any]]]] = {}
        self.orders: dict[str, str] = {}

    def __repr__(self) -> str:
        site = f", site={self.site.path!r}" if self.site else ""
        return f"WebSource({self.urls!r}, name={self.name!r}{site}, max_pages={self.max_pages})"

    def _job(self, tmp: Path) -> Path:
        known = tmp / "known_ids.txt"
        known.write_text("\n".join(sorted(self.known_ids)), encoding="utf-8")
        hints = tmp / "order_hints.json"
        hints.write_text(json.dumps(self.order_hints), encoding="utf-8")
        job = {
            "spider": "site" if self.site else "reviews", "urls": self.urls,
            "site": self.site.path if self.site else None, "max_pages": self.max_pages,
            "known_ids": str(known), "order_hints": str(hints),
            "newest_first": self.site.newest_first if self.site else None, "incremental": self.incremental,
            "cache_dir": self.cache_dir, "settings": self.settings,
        }
        path = tmp / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        return path

    def fetch(self, since: str | None = None) -> Iterator[Feedback | Reject]:
        """Run the crawl and yield what it finds as it finds it (``since`` skips older reviews)."""
        self._reset()
        cutoff = parse_datetime(since) if since else None
        with tempfile.TemporaryDirectory(prefix="vocmine-crawl-") as tmpdir:
            tmp = Path(tmpdir)
            job = self._job(tmp)
            stderr_path = tmp / "crawl.log"
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            # The child must import this same vocmine, even when it runs from a source tree.
            root = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
            with open(stderr_path, "w", encoding="utf-8") as err:
                proc = subprocess.Popen([sys.executable, "-m", "vocmine.collect.crawl", str(job)],
                                        stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                        text=True, encoding="utf-8", env=env)
                try:
                    assert proc.stdout is not None
                    for line in proc.stdout:
                        yield from self._handle(line, cutoff)
                    code = proc.wait()
                finally:
                    if proc.poll() is None:  # interrupted: do not leave a crawler running
                        proc.terminate()
                        try:
                            proc.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            proc.kill()
                            proc.wait()
            if code != 0 or self.close_reason is None:
                tail = [ln for ln in stderr_path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
                last = tail[-1] if tail else "no output"
                self.error = f"crawl process failed (exit {code}): {last}"
                log.error("%s\n%s", self.error, "\n".join(tail[-30:]))
            else:
                log.debug("crawl log:\n%s", stderr_path.read_text(encoding="utf-8", errors="replace")[-5000:])
        for chain, pages in self._listing_pages.items():
            order = _order(pages)
            if order:
                self.orders[chain] = order

    def _handle(self, line: str, cutoff: str | None) -> Iterator[Feedback | Reject]:
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            log.debug("crawl: %s", line.rstrip())
            return
        kind = ev.get("event")
        if kind == "item":
            self.reviews += 1
            fb = feedback_from_item(ev)
            if cutoff and fb.created_at:
                try:
                    created = parse_datetime(fb.created_at)
                except (ValueError, OverflowError):
                    created = None
                if created and created < cutoff:
                    return
            yield fb
        elif kind == "page":
            self.pages += 1
            if not ev.get("kind"):
                self._listing_pages.setdefault(ev.get("chain") or ev["url"], []).append(
                    (ev.get("page_no") or 1, ev["url"], ev.get("dates") or []))
            if self.progress:
                self.progress(self.pages, self.reviews)
        elif kind == "reject":
            self.reviews += 1  # found, but not storable (no text)
            yield Reject(reason=ev.get("reason", "rejected"), origin=ev.get("url") or "", row=ev.get("row"),
                         field=ev.get("field"), raw=ev.get("raw"))
        elif kind == "failed":
            self.failed.append({"url": ev["url"], "reason": ev.get("reason", "failed")})
            yield Reject(reason=ev.get("reason", "failed"), origin=ev["url"], row=None, field="page", raw=None)
        elif kind == "warning":
            self.waited += float(ev.get("waited") or 0)
            self.notes.append(f"{ev.get('url')}: {ev.get('message')}")
        elif kind == "stopped":
            self.stopped.append(ev["url"])
            self.notes.append(f"{ev['url']}: {ev.get('reason')}; stopped paging (newest first)")
        elif kind == "done":
            self.close_reason = ev.get("reason") or "finished"
            if self.close_reason == "closespider_pagecount":
                self.notes.append(f"stopped at the page limit ({self.max_pages}, --max-pages)")


def _group(urls: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for u in urls:
        groups.setdefault(f"web:{urlsplit(u).hostname}", []).append(u)
    return groups


def scrape(ws: "Store", urls: Iterable[str] = (), *, site: str | os.PathLike | None = None,
           max_pages: int = DEFAULT_MAX_PAGES, source: str | None = None, cache: bool = False, full: bool = False,
           settings: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None) -> ScrapeResult:
    """Crawl ``urls`` for reviews and store them in the workspace ``ws``; see ``Workspace.scrape``."""
    config = load_site_config(site) if site else None
    urls = _check_urls(list(dict.fromkeys(list(urls) + (config.start_urls if config else []))))
    if not urls:
        raise ConfigError("nothing to crawl: give at least one URL (or start_urls in the site config)")
    if source or (config and config.name):
        host = urlsplit(urls[0]).hostname
        groups = {source or (config.name if config else None) or f"web:{host}": urls}
    else:
        groups = _group(urls)
    cache_dir = (Path(ws.path).resolve().parent / ".vocmine-cache" / "http") if cache else None
    total = ScrapeResult(source=", ".join(groups))
    done = [0, 0]
    for name, group in groups.items():
        known = [] if full else [r[0] for r in ws.db.conn.execute(
            "select external_id from feedback where source = ?", (name,))]
        hints = {k[len("order:"):]: v == "newest_first" for k, v in ws.db.conn.execute(
            "select key, value from source_state where source = ? and key like 'order:%'", (name,))}
        base = list(done)

        def tick(pages: int, reviews: int, base: list[int] = base) -> None:
            done[0], done[1] = base[0] + pages, base[1] + reviews
            if progress:
                progress(done[0], done[1])

        src = WebSource(group, site=config, name=name, max_pages=max_pages, cache_dir=cache_dir, known_ids=known,
                        order_hints=hints, incremental=not full, settings=settings, progress=tick)
        part = intake.ingest(ws, source=src)
        total += part
        total.pages += src.pages
        total.reviews += src.reviews
        total.failed += src.failed
        total.stopped += src.stopped
        total.notes += src.notes
        total.waited += src.waited
        if src.error:
            total.errors.append(f"{name}: {src.error}")
        for chain, order in src.orders.items():
            ws.set_state(name, f"order:{chain}", order)
        if not src.error:
            ws.set_state(name, "last_crawl", json.dumps({
                "finished_at": now_iso(), "urls": group, "pages": src.pages, "reviews": src.reviews,
                "inserted": part.inserted, "failed": len(src.failed), "stopped": src.stopped}, ensure_ascii=False))
    if total.errors and total.pages == 0:
        raise SourceError("; ".join(total.errors) + " (run with --debug for the crawl log)")
    return total
