"""Downloader middlewares: wait out ``429 Too Many Requests`` as the site asks, within a bound; and
robots.txt checked for every request, however many start at once."""
from __future__ import annotations

import asyncio
import email.utils
import logging
import time

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from . import events

log = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Return the wait a Retry-After header asks for (seconds or an HTTP date), None if absent or bad."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """On 429 (or 503 with Retry-After) wait as asked and fetch again; give up past the bound.

    ``VOCMINE_RETRY_AFTER_MAX`` (seconds) bounds one wait and ``VOCMINE_RETRY_AFTER_TIMES`` the
    tries per page. A page given up reaches the spider's errback and is reported by URL.
    """

    def __init__(self, max_wait: float, times: int, default_wait: float):
        self.max_wait = max_wait
        self.times = times
        self.default_wait = default_wait

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if s.getint("VOCMINE_RETRY_AFTER_TIMES", 3) <= 0:
            raise NotConfigured
        return cls(s.getfloat("VOCMINE_RETRY_AFTER_MAX", 120), s.getint("VOCMINE_RETRY_AFTER_TIMES", 3),
                   s.getfloat("VOCMINE_RETRY_AFTER_DEFAULT", 30))

    async def process_response(self, request, response):
        header = response.headers.get(b"Retry-After")
        if response.status != 429 and not (response.status == 503 and header):
            return response
        tries = request.meta.get("vocmine_retry_after", 0)
        wait = retry_after_seconds(header)
        if wait is None:
            wait = self.default_wait
        if tries >= self.times or wait > self.max_wait:
            why = (f"asked to wait {wait:g}s, more than the {self.max_wait:g}s bound" if wait > self.max_wait
                   else f"still {response.status} after {tries} waits")
            events.emit("warning", url=request.url, message=f"HTTP {response.status}: {why}; page skipped")
            return response  # HttpErrorMiddleware turns it into a failure the spider reports
        events.emit("warning", url=request.url, waited=wait,
                    message=f"HTTP {response.status} Too Many Requests: waiting {wait:g}s (Retry-After) and retrying")
        log.info("%s: %s, waiting %.1fs before retrying", request.url, response.status, wait)
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["vocmine_retry_after"] = tries + 1
        return retry


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request waiting for the site's robots.txt verdict.

    Scrapy 2.19.0 (since the ``async def process_request`` rewrite, scrapy/scrapy#6802) lets every
    request that arrives while robots.txt is still downloading ``await`` the same pending Deferred.
    Awaiting a Deferred consumes its result, so the first waiter gets the parser and every later
    one gets ``None``, which the middleware reads as "no robots.txt": with three or more start URLs
    on one site, all but the first two went out unchecked. Each waiter here gets its own Deferred,
    fed from the shared one without consuming it (what Scrapy did before 2.13).
    """

    async def robot_parser(self, request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        mine: Deferred = Deferred()

        def relay(result):
            mine.callback(result)
            return result  # keep the result for the next waiter

        pending.addBoth(relay)
        return await maybe_deferred_to_future(mine)
