"""What both review spiders share: start URLs and sitemaps, pagination, the page limit,
incremental stopping, and failures reported by URL."""
from __future__ import annotations

import gzip
import http
import json
import re
from pathlib import Path
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from .. import events
from ..extract import PageReviews, next_page_url, stable_ids
from ..items import ReviewItem


def _split_urls(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [u for u in re.split(r"[\s,]+", value) if u]
    return [str(u) for u in value]


def describe_failure(failure: Any, timeout: float | None = None) -> str:
    """Return a short reason for a failed request: "HTTP 404 Not Found", "timed out after 30s", ..."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as terr

    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {status} {phrase}".strip()
    if isinstance(exc, IgnoreRequest):
        msg = str(exc) or "request ignored"
        return "forbidden by robots.txt" if "robots" in msg.lower() else msg
    # Scrapy 2.13+ wraps Twisted's errors in its own Download* exceptions; match both by name too.
    name = type(exc).__name__
    if isinstance(exc, (terr.TimeoutError, TimeoutError)) or "Timeout" in name:
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, terr.DNSLookupError) or name in ("CannotResolveHostError", "DNSLookupError"):
        return "host name not found (DNS lookup failed)"
    if isinstance(exc, terr.ConnectionRefusedError) or "ConnectionRefused" in name:
        return "connection refused"
    if "DataLoss" in name or isinstance(exc, terr.ConnectionLost) or "ConnectionLost" in name:
        return "connection lost before the page was complete"
    return f"{name}: {exc}".strip()


class ReviewSpiderBase(scrapy.Spider):
    """Crawl start URLs (pages, sitemaps or robots.txt), follow "next" links, yield ReviewItems.

    Spider arguments: ``url``/``urls`` (comma-separated), ``max_pages``, ``known_ids`` (a file of
    external ids already stored, one per line), ``order_hints`` (a JSON file: start URL -> whether
    that listing is newest first), ``newest_first`` and ``incremental``. On a newest-first listing a
    page whose reviews are all known ends the paging of that listing.
    """

    syntax_name = ""

    def __init__(self, *args: Any, url: Any = None, urls: Any = None, max_pages: Any = None,
                 known_ids: str | None = None, order_hints: str | None = None, newest_first: Any = None,
                 incremental: Any = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.start_urls = _split_urls(urls) + _split_urls(url) + list(getattr(self, "start_urls", []) or [])
        self.max_pages = int(max_pages) if max_pages else None
        self.known: set[str] = set()
        if known_ids:
            self.known = {line.strip() for line in Path(known_ids).read_text(encoding="utf-8").splitlines() if line.strip()}
        self.order_hints: dict[str, bool] = json.loads(Path(order_hints).read_text(encoding="utf-8")) if order_hints else {}
        if isinstance(newest_first, str):
            newest_first = newest_first.lower() in ("1", "true", "yes")
        self.newest_first = newest_first
        self.incremental = incremental not in (False, "0", "false", "no")
        self.requested = 0
        self.limit_hit = False

    # -- requests -------------------------------------------------------------------------

    def _limit(self) -> int:
        return self.max_pages or self.settings.getint("CLOSESPIDER_PAGECOUNT") or 10**9

    def _request(self, url: str, callback: Any, chain: str, page_no: int) -> scrapy.Request | None:
        if self.requested >= self._limit():
            if not self.limit_hit:
                self.limit_hit = True
                events.emit("warning", url=url, message=f"page limit of {self._limit()} reached (--max-pages); not crawled")
            return None
        self.requested += 1
        return scrapy.Request(url, callback=callback, errback=self.on_error,
                              meta={"chain": chain, "page_no": page_no})

    async def start(self) -> AsyncIterator[Any]:
        if not self.start_urls:
            raise ValueError("no start URL: pass -a url=https://... (several separated by commas)")
        for url in dict.fromkeys(self.start_urls):
            req = self._request(url, self.parse_start, chain=url, page_no=1)
            if req is not None:
                yield req

    def on_error(self, failure: Any) -> None:
        request = failure.request
        reason = describe_failure(failure, request.meta.get("download_timeout") or self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        events.emit("failed", url=request.url, chain=request.meta.get("chain"), reason=reason)
        self.logger.warning("%s: %s", request.url, reason)

    # -- parsing --------------------------------------------------------------------------

    def parse_start(self, response: Response) -> Iterator[Any]:
        """A start URL: a sitemap or sitemap index, a robots.txt (its Sitemap: lines), or a page."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                pass
        path = urlsplit(response.url).path
        if path.endswith("/robots.txt"):
            events.emit("page", url=response.url, chain=response.url, page_no=1, reviews=0, new=0, kind="robots")
            for sm in sitemap_urls_from_robots(body.decode("utf-8", "replace"), base_url=response.url):
                req = self._request(sm, self.parse_start, chain=sm, page_no=1)
                if req is not None:
                    yield req
            return
        head = body[:500].lstrip().lower()
        if head.startswith(b"<?xml") and (b"<urlset" in body[:2000] or b"<sitemapindex" in body[:2000]):
            yield from self.parse_sitemap(response, body)
            return
        yield from self.parse_page(response)

    def parse_sitemap(self, response: Response, body: bytes) -> Iterator[Any]:
        sm = Sitemap(body)
        locs = [e["loc"] for e in sm if e.get("loc")]
        events.emit("page", url=response.url, chain=response.url, page_no=1, reviews=0, new=0, kind="sitemap",
                    links=len(locs))
        for loc in locs:  # a sitemap index lists sitemaps: parse_start tells them from pages
            req = self._request(loc, self.parse_start, chain=loc, page_no=1)
            if req is None:
                break
            yield req

    def reviews_on(self, response: TextResponse) -> PageReviews:  # pragma: no cover - abstract
        raise NotImplementedError

    def next_url(self, response: TextResponse) -> str | None:
        """Return the page's next-page link (rel=next, then common pager markup and words)."""
        return next_page_url(response.selector.root, response.url)

    def _newest_first(self, chain: str) -> bool:
        if self.newest_first is not None:
            return bool(self.newest_first)
        return bool(self.order_hints.get(chain))

    def parse_page(self, response: Response) -> Iterator[Any]:
        chain = response.meta.get("chain") or response.url
        page_no = response.meta.get("page_no") or 1
        if not isinstance(response, TextResponse):
            ctype = response.headers.get(b"Content-Type", b"").decode("latin-1") or "unknown type"
            events.emit("failed", url=response.url, chain=chain, reason=f"not an HTML page ({ctype})")
            return
        found = self.reviews_on(response)
        from vocmine.core.dates import parse_datetime

        ids = stable_ids(found.reviews, response.url, chain, parse_date=parse_datetime)
        new = sum(1 for i in ids if i not in self.known)
        events.emit("page", url=response.url, chain=chain, page_no=page_no, reviews=len(found.reviews), new=new,
                    syntax=found.syntax, dates=[r.get("created_at") for r in found.reviews],
                    aggregate=found.aggregate)
        for err in found.errors:
            events.emit("failed", url=response.url, chain=chain,
                        reason=err + ("" if found.reviews else "; page skipped"))
        for msg in found.warnings:
            events.emit("warning", url=response.url, message=msg)
        for row, (review, ext) in enumerate(zip(found.reviews, ids), start=1):
            item = ReviewItem(
                external_id=ext, text=review.get("text"), title=review.get("title"), rating=review.get("rating"),
                best_rating=review.get("best_rating"), worst_rating=review.get("worst_rating"),
                created_at=review.get("created_at"), author=review.get("author"), product=review.get("product"),
                language=review.get("language"), page_url=response.url, row=row, syntax=found.syntax,
                url=(ext[2:] if ext.startswith("u:") else response.url),
            )
            yield item
        nxt = self.next_url(response)
        if not nxt or urlsplit(nxt).netloc != urlsplit(response.url).netloc:
            return
        if self.incremental and found.reviews and new == 0 and self._newest_first(chain):
            events.emit("stopped", url=response.url, chain=chain,
                        reason=f"all {len(found.reviews)} reviews on this page are already stored")
            return
        req = self._request(nxt, self.parse_page, chain=chain, page_no=page_no + 1)
        if req is not None:
            yield req
