"""A small JSON-over-HTTP client for the trackers: auth errors, rate limits and retries as clear messages.

Credentials travel only in request headers; they are never logged, never put in a URL and never
part of an error message. URLs in messages have any ``user:password@`` part removed, and every
message passes ``vocmine.core.secrets.scrub`` (an API that echoes the token in its error body is not
repeated). A redirect to another origin (scheme, host or port) is followed without the
credential headers and without credential query parameters: only the server the token is meant
for ever receives it.
"""
from __future__ import annotations

import email.utils
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vocmine.core.version import __version__
from vocmine.core.errors import TrackerError
from vocmine.core.secrets import register, scrub

log = logging.getLogger(__name__)
USER_AGENT = f"vocmine/{__version__} (+https://pypi.org/project/vocmine/)"
# Request headers that carry credentials (compared lower-case); any header naming a token or key too.
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "private-token", "x-auth-token"}
# Query parameters that carry credentials, dropped from a redirect to another server.
_CREDENTIAL_PARAMS = {"token", "access_token", "api_key", "apikey", "key", "password", "secret", "client_secret",
                      "auth", "private_token"}


def _is_credential_header(name: str) -> bool:
    n = name.lower()
    return n in CREDENTIAL_HEADERS or any(w in n for w in ("token", "secret", "api-key", "apikey", "password"))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return (scheme, host, port) of ``url``, the default port filled in, for same-server checks."""
    parts = urllib.parse.urlsplit(url)
    scheme = (parts.scheme or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _strip_credential_params(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in _CREDENTIAL_PARAMS]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(kept)))


class _SameOriginCredentials(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but send credentials only to the origin they were given for."""

    def __init__(self, tracker: str):
        self.tracker = tracker

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib's hook
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is None:
            return None
        first = getattr(req, "_vocmine_origin", None) or origin(req.full_url)
        setattr(new, "_vocmine_origin", first)  # a chain of redirects is judged against the first request
        if origin(new.full_url) != first:
            dropped = [k for k in list(new.headers) if _is_credential_header(k)]
            dropped += [k for k in list(new.unredirected_hdrs) if _is_credential_header(k)]
            for k in dropped:
                new.headers.pop(k, None)
                new.unredirected_hdrs.pop(k, None)
            new.full_url = _strip_credential_params(new.full_url)
            if dropped:
                log.warning("%s: %s redirected to another server (%s); following it without credentials",
                            self.tracker, safe_url(req.full_url), safe_url(new.full_url))
        return new


@dataclass
class Response:
    """What a tracker API answered: status, headers (lower-case names) and the JSON body."""

    status: int
    headers: dict[str, str]
    data: Any
    url: str
    links: dict[str, str] = field(default_factory=dict)


def safe_url(url: str) -> str:
    """Return ``url`` without a ``user:password@`` part, for logs and messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    return urllib.parse.urlunsplit(parts)


def parse_link_header(value: str | None) -> dict[str, str]:
    """Return {rel: url} from an RFC 8288 ``Link`` header (GitHub's pagination)."""
    out: dict[str, str] = {}
    for part in (value or "").split(","):
        if ";" not in part:
            continue
        target, *attrs = part.split(";")
        url = target.strip().strip("<>")
        for a in attrs:
            k, _, v = a.strip().partition("=")
            if k.strip().lower() == "rel":
                for rel in v.strip().strip('"').split():
                    out[rel] = url
    return out


def _api_message(data: Any, text: str) -> str:
    """Return the error message an API put in its body (GitHub, Jira, Linear shapes), shortened."""
    msg = ""
    if isinstance(data, dict):
        if data.get("message"):
            msg = str(data["message"])
        elif data.get("errorMessages") or data.get("errors"):
            errs = data.get("errorMessages") or []
            more = data.get("errors")
            if isinstance(more, dict):
                errs = list(errs) + [f"{k}: {v}" for k, v in more.items()]
            elif isinstance(more, list):
                errs = list(errs) + [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in more]
            msg = "; ".join(str(e) for e in errs)
    if not msg:
        msg = " ".join(text.split())
    return scrub(msg)[:300]


def _graphql_codes(data: Any) -> set[str]:
    codes = set()
    if isinstance(data, dict):
        for e in data.get("errors") or []:
            if isinstance(e, dict):
                ext = e.get("extensions") or {}
                if ext.get("code"):
                    codes.add(str(ext["code"]).upper())
                if ext.get("type"):
                    codes.add(str(ext["type"]).upper().replace(" ", "_"))
    return codes


class Http:
    """Send JSON requests for one tracker, waiting out rate limits within ``max_wait`` seconds in all.

    ``auth_hint`` names where the credentials come from (e.g. "VOCMINE_GITHUB_TOKEN"), for the
    message of a 401/403. ``sleep`` is the waiting function (tests may pass their own).
    """

    def __init__(self, tracker: str, headers: Mapping[str, str], *, auth_hint: str, max_wait: float = 60.0,
                 timeout: float = 30.0, retries: int = 3, sleep: Callable[[float], None] = time.sleep):
        self.tracker = tracker
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        self.auth_hint = auth_hint
        self.max_wait = float(max_wait)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.sleep = sleep
        self.waited = 0.0
        self.requests = 0
        for k, v in headers.items():
            if _is_credential_header(k):
                register(v, *str(v).split(None, 1)[1:])  # "Bearer TOKEN": the header value and the token
        self._opener = urllib.request.build_opener(_SameOriginCredentials(tracker))

    def __repr__(self) -> str:  # never show the headers: they hold the credentials
        return f"<Http {self.tracker}>"

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> Response:
        """GET ``url`` (with query ``params``) and return the JSON response."""
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
                {k: v for k, v in params.items() if v is not None})
        return self.request("GET", url)

    def post(self, url: str, body: Any) -> Response:
        """POST ``body`` as JSON to ``url`` and return the JSON response."""
        return self.request("POST", url, body)

    def request(self, method: str, url: str, body: Any = None) -> Response:
        """Send one request, retrying network errors and 5xx and waiting out rate limits; return the response."""
        shown = scrub(safe_url(url))
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        failures = 0
        while True:
            self.requests += 1
            log.debug("%s %s %s", self.tracker, method, shown)
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with self._opener.open(req, timeout=self.timeout) as r:
                    status, hdrs, text = r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
            except urllib.error.HTTPError as exc:
                status, hdrs = exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}
                try:
                    text = exc.read()
                except OSError:
                    text = b""
            except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                failures += 1
                if failures > self.retries or not self._pause(min(2.0 ** failures, 30.0)):
                    raise TrackerError(f"{self.tracker}: could not reach {shown} ({reason}); check the address "
                                       "and your network, then run the sync again") from None
                continue
            decoded = text.decode("utf-8", "replace") if text else ""
            try:
                payload = json.loads(decoded) if decoded.strip() else None
            except ValueError:
                payload = None
            wait = self._rate_limit_wait(status, hdrs, payload, decoded)
            if wait is not None:
                if not self._pause(wait):
                    raise TrackerError(
                        f"{self.tracker}: rate limited at {shown} (HTTP {status}); the limit resets in about "
                        f"{int(round(wait))} s, more than the {int(self.max_wait)} s this sync may wait; run it "
                        "again later (what was stored so far is kept)")
                continue
            if status >= 500:
                failures += 1
                if failures > self.retries or not self._pause(min(2.0 ** failures, 30.0)):
                    raise TrackerError(f"{self.tracker}: server error HTTP {status} at {shown}: "
                                       f"{_api_message(payload, decoded)}; try again later")
                continue
            if status == 400 and _graphql_codes(payload) & {"AUTHENTICATION_ERROR", "UNAUTHENTICATED", "FORBIDDEN"}:
                status = 401  # GraphQL APIs (Linear) report a bad key as a 400 with an error code
            if status == 401:
                raise TrackerError(f"{self.tracker}: authentication failed at {shown} (HTTP 401); set a valid "
                                   f"{self.auth_hint}")
            if status == 403:
                raise TrackerError(f"{self.tracker}: access denied at {shown} (HTTP 403: "
                                   f"{_api_message(payload, decoded)}); check that {self.auth_hint} may read it")
            if status == 404:
                raise TrackerError(f"{self.tracker}: not found: {shown} (HTTP 404); check the name, and that "
                                   f"{self.auth_hint} can see it")
            if status >= 400:
                raise TrackerError(f"{self.tracker}: HTTP {status} at {shown}: {_api_message(payload, decoded)}")
            if payload is None and decoded.strip():
                raise TrackerError(f"{self.tracker}: {shown} did not answer JSON (HTTP {status}); check the "
                                   "base URL")
            return Response(status, hdrs, payload, url, parse_link_header(hdrs.get("link")))

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` if the budget allows; return False (without waiting) when it does not."""
        seconds = max(0.0, float(seconds))
        if self.waited + seconds > self.max_wait:
            return False
        if seconds:
            log.info("%s: waiting %.0f s (rate limit or retry)", self.tracker, seconds)
            self.sleep(seconds)
        self.waited += seconds
        return True

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], payload: Any, text: str) -> float | None:
        """Return how long to wait when the response says "slow down", else None."""
        limited = status == 429
        if status == 403:
            # GitHub: primary limit (remaining 0) or secondary limit (Retry-After, or the message says so).
            limited = (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
                       or "rate limit" in text.lower())
        if status in (200, 400) and "RATELIMITED" in _graphql_codes(payload):
            limited = True  # Linear answers GraphQL errors with code RATELIMITED
        if not limited:
            return None
        return _retry_after(headers)


def _retry_after(headers: Mapping[str, str]) -> float:
    now = time.time()
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return float(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name, scale in (("x-ratelimit-reset", 1.0), ("x-ratelimit-requests-reset", 1000.0)):
        value = headers.get(name)
        if value and value.replace(".", "", 1).isdigit():
            reset = float(value) / scale
            if reset > 1e9:  # an epoch time, not a delay
                return max(1.0, reset - now + 1.0)
            return float(value) / scale
    return 60.0  # GitHub's advice for a secondary limit without headers: wait at least a minute
