"""A small headless-Chromium driver for tests: open a page, collect console errors and requests.

Talks the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (null-terminated JSON on
file descriptors 3 and 4), so it needs nothing beyond the Debian ``chromium`` package: no
WebDriver, no websocket library. Every wait is bounded.

    from browser import chromium, open_page
    result = open_page("file:///tmp/site/index.html", screenshot="index.png")
    result["console_errors"], result["requests"]
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome", "/usr/bin/chromium")


def chromium() -> str | None:
    """Path of a Chromium binary on this machine, or None."""
    env = os.environ.get("VOCMINE_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium process driven over the DevTools pipe."""

    def __init__(self, binary: str | None = None, timeout: float = 30.0):
        self.binary = binary or chromium()
        if not self.binary:
            raise RuntimeError("no Chromium found: install the Debian 'chromium' package")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="vocmine-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # in the child: the pipe ends become fds 3 (read) and 4 (write)
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)  # first out of the way of 3 and 4
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        args = [self.binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--metrics-recording-only", "--hide-scrollbars", "--mute-audio", "--font-render-hinting=none",
                f"--user-data-dir={self.profile}", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    # -- protocol -----------------------------------------------------------------------------
    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply is None:
                raise TimeoutError(f"no answer to {method} within {self.timeout}s")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str | None, timeout: float) -> bool:
        """Wait (bounded) until an event named ``method`` has arrived; True when it did."""
        return self.wait_after(method, session, 0, timeout)

    def wait_after(self, method: str, session: str | None, start: int, timeout: float) -> bool:
        """Like ``wait_for``, counting only events that arrived after ``self.events[start]``."""
        deadline = time.monotonic() + timeout
        while True:
            if any(e["method"] == method and e.get("sessionId") == session for e in self.events[start:]):
                return True
            ev = self._read(deadline)
            if ev is None:
                return False
            if "method" in ev:
                self.events.append(ev)

    def tab(self, *, width: int = 1200, height: int = 900) -> "Tab":
        """Open a tab that stays open across navigations and clicks (cookies are the browser's)."""
        return Tab(self, width=width, height=height)

    def close(self) -> None:
        """Close the browser and remove its profile."""
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- pages --------------------------------------------------------------------------------
    def open(self, url: str, *, width: int = 1200, height: int = 900, screenshot: str | Path | None = None,
             full_page: bool = True, settle: float = 0.5) -> dict[str, Any]:
        """Load ``url`` in a new tab; return console errors, requests and page facts."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}, session=session)
        start = len(self.events)
        nav = self.send("Page.navigate", {"url": url}, session=session)
        loaded = self.wait_for("Page.loadEventFired", session, self.timeout)
        self.wait_for("__never__", session, settle)  # late console messages and requests
        facts = self.send("Runtime.evaluate", {"expression": _FACTS, "returnByValue": True}, session=session)
        shot = None
        if screenshot:
            if full_page:
                metrics = self.send("Page.getLayoutMetrics", session=session)
                size = metrics.get("cssContentSize") or metrics.get("contentSize")
                self.send("Emulation.setDeviceMetricsOverride",
                          {"width": width, "height": int(min(size["height"], 6000)), "deviceScaleFactor": 1,
                           "mobile": width < 600}, session=session)
            data = self.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            shot = Path(screenshot)
            shot.parent.mkdir(parents=True, exist_ok=True)
            shot.write_bytes(base64.b64decode(data))
        events = [e for e in self.events[start:] if e.get("sessionId") == session]
        self.send("Target.closeTarget", {"targetId": target})
        return _summarise(url, nav, loaded, events, facts.get("result", {}).get("value") or {}, shot)


_FACTS = """(() => ({
  title: document.title,
  lang: document.documentElement.lang,
  h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
  text: document.body ? document.body.innerText : '',
  scripts: document.querySelectorAll('script').length,
  overflowX: document.documentElement.scrollWidth > window.innerWidth + 1,
}))()"""


def _summarise(url, nav, loaded, events, facts, shot) -> dict[str, Any]:
    errors: list[str] = []
    requests: list[str] = []
    if nav.get("errorText"):
        errors.append(f"navigation failed: {nav['errorText']}")
    if not loaded:
        errors.append("the load event never fired")
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            errors.append("exception: " + p.get("exceptionDetails", {}).get("text", ""))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errors.append("log: " + p["entry"].get("text", ""))
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            errors.append("failed request: " + p.get("errorText", ""))
        elif m == "Network.requestWillBeSent":
            requests.append(p["request"]["url"])
    return {"url": url, "console_errors": errors, "requests": requests, "screenshot": shot, **facts}


class Tab:
    """One tab: ``goto(url)``, ``click(selector)`` (a link or a form's button: waits for the page it
    loads), ``evaluate(js)``. Each action returns what ``Browser.open`` returns, for its own events."""

    def __init__(self, browser: Browser, *, width: int, height: int):
        self.b = browser
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session=self.session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)

    def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page."""
        out = self.b.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session)
        if out.get("exceptionDetails"):
            raise RuntimeError(f"{expression}: {out['exceptionDetails'].get('text')}")
        return out.get("result", {}).get("value")

    def _settle(self, start: int, nav: dict[str, Any], settle: float) -> dict[str, Any]:
        loaded = self.b.wait_after("Page.loadEventFired", self.session, start, self.b.timeout)
        self.b.wait_after("__never__", self.session, len(self.b.events), settle)
        facts = self.evaluate(_FACTS) or {}
        events = [e for e in self.b.events[start:] if e.get("sessionId") == self.session]
        return _summarise(self.evaluate("location.href"), nav, loaded, events, facts, None)

    def goto(self, url: str, settle: float = 0.3) -> dict[str, Any]:
        start = len(self.b.events)
        nav = self.b.send("Page.navigate", {"url": url}, session=self.session)
        return self._settle(start, nav, settle)

    def click(self, selector: str, settle: float = 0.3) -> dict[str, Any]:
        start = len(self.b.events)
        found = self.evaluate(f"(() => {{ const el = document.querySelector({json.dumps(selector)}); "
                              "if (!el) return false; el.click(); return true; })()")
        if not found:
            raise LookupError(f"no element matches {selector!r} on {self.evaluate('location.href')}")
        return self._settle(start, {}, settle)


def open_page(url: str, **kwargs: Any) -> dict[str, Any]:
    """Open one page in a fresh headless Chromium; see ``Browser.open`` for what comes back."""
    with Browser() as b:
        return b.open(url, **kwargs)
