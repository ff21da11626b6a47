"""A real HTTP server on loopback that the tracker tests use as GitHub, Jira or Linear."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeApi:
    """A threaded JSON server: ``handle(req) -> (status, headers, body)`` answers each request.

    Every request is kept in ``requests`` as {method, path, query, target (path and query as sent),
    headers (lower-case names), json}; ``failures`` queues answers given before the real one.
    """

    def __init__(self, handle, host: str = "127.0.0.1"):
        self.requests = []
        self.failures = []
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

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
