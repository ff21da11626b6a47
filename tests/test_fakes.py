"""The one loopback HTTP server the tests share (tests/fakes.py): bounded, and the only one."""
import ast
import socket
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from fakes import FakeApi, LocalServer, free_port

TESTS = Path(__file__).resolve().parent


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(3)
        self.send_response(204)
        self.end_headers()


def test_a_connection_that_stops_mid_request_is_dropped_after_the_timeout():
    with LocalServer(Slow, timeout=0.5) as server, socket.create_connection(("127.0.0.1", server.port)) as c:
        c.settimeout(5)
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never the blank line that ends the headers
        started = time.monotonic()
        assert c.recv(1024) == b""  # closed by the server, no answer
        assert 0.3 < time.monotonic() - started < 3


def test_close_does_not_wait_for_a_handler_still_running():
    server = LocalServer(Slow)
    threading.Thread(target=lambda: urllib.request.urlopen(server.url, timeout=10).read(), daemon=True).start()
    time.sleep(0.3)  # the handler is asleep now
    started = time.monotonic()
    server.close()
    server.close()  # twice is fine
    assert time.monotonic() - started < 2
    with socket.socket() as s:  # nobody listens any more
        assert s.connect_ex(("127.0.0.1", server.port)) != 0


def test_fake_api_answers_and_records_each_request():
    with FakeApi(lambda req: (201, {"X-Seen": req["query"]["q"]}, {"ok": True})) as api:
        with urllib.request.urlopen(api.url + "/items?q=1", timeout=5) as r:
            assert (r.status, r.headers["X-Seen"], r.read()) == (201, "1", b'{"ok": true}')
        assert [(q["method"], q["path"], q["target"]) for q in api.requests] == [("GET", "/items", "/items?q=1")]


def test_free_port_is_free():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_no_test_module_builds_its_own_http_server():
    # One helper with bounded timeouts, so a server cannot hang a test run: build on fakes.LocalServer.
    own = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "fakes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
            if name.endswith("HTTPServer"):
                own.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not own, f"build test servers on fakes.LocalServer instead: {own}"
