"""The HTTP layer under PRAW: a request budget per minute and 429 answers waited out.

prawcore already paces requests from Reddit's ``X-Ratelimit-*`` headers; ``RateWindow`` adds a
hard ceiling of Reddit's published rate (60 requests a minute) that holds even when a proxy strips
those headers, and ``PoliteRequestor`` honours ``Retry-After`` on a 429 instead of failing the run.
"""
from __future__ import annotations

import collections
import logging
import time
from typing import Any, Callable

import prawcore

log = logging.getLogger(__name__)


class RateWindow:
    """At most ``limit`` calls in any ``period`` seconds: ``wait()`` sleeps until the next call may go."""

    def __init__(self, limit: int = 60, period: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.limit = limit
        self.period = period
        self.clock = clock
        self.sleep = sleep
        self.calls: collections.deque[float] = collections.deque()
        self.slept = 0.0

    def wait(self) -> float:
        """Block until a call is allowed, record it, and return the seconds slept."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.period:
            self.calls.popleft()
        slept = 0.0
        if len(self.calls) >= self.limit:
            slept = self.calls[0] + self.period - now
            if slept > 0:
                log.info("Reddit: %d requests in the last %gs; waiting %.1fs", len(self.calls), self.period, slept)
                self.sleep(slept)
                self.slept += slept
            now = self.clock()
            self.calls.popleft()
        self.calls.append(now)
        return max(slept, 0.0)


def retry_after(value: str | None, default: float) -> float:
    """Return the seconds a Retry-After header asks for (``default`` when absent or not a number)."""
    try:
        return max(0.0, float(value)) if value not in (None, "") else default
    except ValueError:
        return default


class PoliteRequestor(prawcore.Requestor):
    """A prawcore Requestor that keeps to ``requests_per_minute`` and waits out 429 responses.

    A 429 with ``Retry-After`` up to ``max_wait`` seconds is waited out and the request sent again
    (``retries`` times); a longer one is returned as is, and prawcore raises ``TooManyRequests``.
    ``on_wait(seconds, url)`` is told about each wait.
    """

    def __init__(self, *args: Any, requests_per_minute: int = 60, max_wait: float = 120.0, retries: int = 3,
                 default_wait: float = 60.0, on_wait: Callable[[float, str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.window = RateWindow(requests_per_minute, 60.0, sleep=sleep)
        self.max_wait = max_wait
        self.retries = retries
        self.default_wait = default_wait
        self.on_wait = on_wait
        self._sleep = sleep
        self.requests = 0

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any):
        """Send one HTTP request through the rate window; wait out 429s within the bound."""
        attempt = 0
        while True:
            self.window.wait()
            self.requests += 1
            response = super().request(*args, timeout=timeout, **kwargs)
            if response.status_code != 429 or attempt >= self.retries:
                return response
            wait = retry_after(response.headers.get("retry-after"), self.default_wait)
            url = str(args[1] if len(args) > 1 else kwargs.get("url", ""))
            if wait > self.max_wait:
                log.warning("Reddit asked to wait %gs (Retry-After) on %s, more than the %gs bound; giving up",
                            wait, url, self.max_wait)
                return response
            attempt += 1
            log.warning("Reddit answered 429 Too Many Requests on %s; waiting %gs (Retry-After) and retrying",
                        url.split("?")[0], wait)
            if self.on_wait:
                self.on_wait(wait, url)
            self._sleep(wait)
