"""Real HTTP servers on loopback that the tests use as review sites, Reddit, GitHub, Jira or Linear.

``LocalServer`` is the one threaded server they are all built on: a free port on a loopback host,
a daemon thread, and bounded timeouts, so a test that goes wrong fails instead of hanging.
``FakeApi`` answers JSON from a function; ``SiteServer`` serves the saved review pages in
tests/fixtures/site; ``GitHubApi`` is GitHub's issues endpoint over a list of issues. The
``site`` and ``github`` fixtures in conftest.py start the last two for any test that asks.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
SITE = FIXTURES / "site"

# A connection that stops sending mid-request frees its handler thread after this many seconds.
REQUEST_TIMEOUT = 10.0
# What close() waits for the serving thread, at most.
SHUTDOWN_TIMEOUT = 5.0

# Scrapy settings: fast, but otherwise the shipped polite ones (robots.txt, AutoThrottle, limits).
FAST = {"AUTOTHROTTLE_START_DELAY": 0, "DOWNLOAD_DELAY": 0, "DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 0}
GH_TOKEN = "ghp_SECRETgithubTOKEN123"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port on ``host`` that nobody listens on (free when this returns)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class LocalServer:
    """A ``ThreadingHTTPServer`` on a free port of ``host``, serving ``handler`` in a daemon thread.

    ``handler`` is a ``BaseHTTPRequestHandler`` subclass; its access log is silenced and a
    connection that sends nothing for ``timeout`` seconds is dropped. ``url`` is
    ``http://host:port``. Use it as a context manager, or call ``close()``; closing does not wait
    for handlers still running.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", *,
                 timeout: float = REQUEST_TIMEOUT):
        idle = timeout

        class Bounded(handler):  # type: ignore[valid-type, misc]
            timeout = idle  # socket timeout of each connection (StreamRequestHandler)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Bounded)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_port
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=f"{type(self).__name__}:{self.port}", daemon=True)
        self.thread.start()
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(SHUTDOWN_TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FakeApi(LocalServer):
    """A threaded JSON server: ``handle(req) -> (status, headers, body)`` answers each request.

    Every request is kept in ``requests`` as {method, path, query, target (path and query as sent),
    headers (lower-case names), json}; ``failures`` queues answers given before the real one.
    """

    def __init__(self, handle, host: str = "127.0.0.1"):
        self.requests: list[dict] = []
        self.failures: list[tuple] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                req = {"method": self.command, "path": url.path, "target": self.path,
                       "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "json": json.loads(raw) if raw else None}
                api.requests.append(req)
                status, headers, body = api.failures.pop(0) if api.failures else handle(req)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        super().__init__(Handler, host)


class SiteServer(LocalServer):
    """Serves tests/fixtures/site: 429 once on /limited.html, /slow.html slower than FAST's timeout.

    ``hits`` counts requests per path, ``agents`` keeps the User-Agents seen, and ``overrides``
    (path -> bytes) serves a page that is not in the folder. ``{{base}}`` in a page becomes ``url``.
    """

    def __init__(self, host: str = "127.0.0.1"):
        self.hits: dict[str, int] = {}
        self.agents: set[str] = set()
        self.overrides: dict[str, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                server.agents.add(self.headers.get("User-Agent", ""))
                if path == "/limited.html" and server.hits[path] == 1:
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/slow.html":
                    time.sleep(2.5)
                f = SITE / path.lstrip("/")
                if path in server.overrides:
                    body = server.overrides[path]
                elif f.is_file() and SITE in f.resolve().parents:
                    body = f.read_bytes()
                else:
                    body = b"<html><body>Not found</body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = body.replace(b"{{base}}", server.url.encode())
                ctype = {".html": "text/html; charset=utf-8", ".xml": "application/xml"}.get(f.suffix, "text/plain")
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the crawler gave up waiting
                    pass

        super().__init__(Handler, host)


def gh_issue(n, title, updated, state="open", body="", labels=(), milestone=None, closed=None, reason=None,
             pr=False) -> dict:
    """Return issue ``n`` of acme/app as GitHub's REST API gives it (``pr``: a pull request)."""
    item = {"id": 1000 + n, "number": n, "title": title, "body": body, "state": state, "state_reason": reason,
            "labels": [{"name": x} for x in labels], "milestone": {"title": milestone} if milestone else None,
            "closed_at": closed, "created_at": "2026-08-01T09:00:00Z", "updated_at": updated,
            "html_url": f"https://github.com/acme/app/issues/{n}"}
    if pr:
        item["pull_request"] = {"url": "https://api.github.com/repos/acme/app/pulls/%d" % n}
    return item


def github_issues() -> list[dict]:
    """Six issues of acme/app: one shipped in 2.4.0 with public notes, one pull request, one not planned."""
    return [
        gh_issue(1, "Backpack too heavy", "2026-09-01T10:00:00Z", state="closed", milestone="2.4.0",
                 closed="2026-09-23T01:00:00Z", labels=["weight"],
                 body="Customers say heavier than expected.\n\nPublic note: The frame is now 28% lighter.\n\n"
                      "공개 설명: 프레임이 28% 가벼워졌습니다.\n\nInternal: use 7075 aluminium."),
        gh_issue(2, "Faster delivery", "2026-09-02T10:00:00Z", labels=["in progress", "delivery"]),
        gh_issue(3, "Bump deps", "2026-09-03T10:00:00Z", pr=True),
        gh_issue(4, "Dark mode", "2026-09-04T10:00:00Z", state="closed", reason="not_planned",
                 closed="2026-09-04T10:00:00Z"),
        gh_issue(5, "Zipper breaks", "2026-09-05T10:00:00Z", labels=["zipper"]),
        gh_issue(6, "Battery drain", "2026-09-06T10:00:00Z"),
    ]


class GitHubApi(FakeApi):
    """GitHub's ``GET /repos/acme/app/issues`` over ``issues`` (change them between syncs).

    It wants ``Bearer GH_TOKEN``, filters by ``since``, pages by ``per_page``/``page`` with a
    ``Link: rel="next"`` header, and answers 404 for any other repository.
    """

    def __init__(self, issues: list[dict] | None = None, host: str = "127.0.0.1"):
        self.issues = github_issues() if issues is None else issues
        super().__init__(self._answer, host)

    def _answer(self, req):
        if req["headers"].get("authorization") != f"Bearer {GH_TOKEN}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if req["path"] != "/repos/acme/app/issues":
            return 404, {}, {"message": "Not Found"}
        q = req["query"]
        assert q["state"] == "all"
        rows = sorted((i for i in self.issues if not q.get("since") or i["updated_at"] >= q["since"]),
                      key=lambda i: i["updated_at"])
        per, page = int(q.get("per_page", 30)), int(q.get("page", 1))
        chunk = rows[(page - 1) * per: page * per]
        headers = {}
        if page * per < len(rows):
            nq = dict(q, page=str(page + 1))
            nxt = self.url + req["path"] + "?" + "&".join(f"{k}={v}" for k, v in nq.items())
            headers["Link"] = f'<{nxt}>; rel="next", <{self.url}/x?page=1>; rel="first"'
        return 200, headers, chunk
