"""Reddit through PRAW, against a local server answering Reddit's token, listing and comment endpoints
with recorded-style JSON (tests/fixtures/reddit)."""
import base64
import json
import logging
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, count
from fakes import LocalServer
from vocmine.cli.main import cli
from vocmine.core.errors import ConfigError, SourceError

REDDIT = FIXTURES / "reddit"
CLIENT_ID, SECRET = "vocmine-test-id", "s3cret-never-logged-9Qx"
NEWEST = 1792505100  # created_utc of the newest post in new_1.json


class RedditServer(LocalServer):
    """Stands in for www.reddit.com (token) and oauth.reddit.com (API) on one 127.0.0.1 port."""

    def __init__(self):
        self.log: list[tuple[str, str, dict]] = []
        self.throttle: dict[str, tuple[int, str]] = {}  # path -> (times to answer 429, Retry-After)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                # Reddit's rate headers; prawcore paces itself by them.
                self.send_header("x-ratelimit-remaining", "95.0")
                self.send_header("x-ratelimit-used", "5")
                self.send_header("x-ratelimit-reset", "300")
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                parts = urlsplit(self.path)
                path = parts.path.rstrip("/")
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    query.update({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})
                server.log.append((method, path, query))
                n, wait = server.throttle.get(path, (0, "1"))
                if n:
                    server.throttle[path] = (n - 1, wait)
                    return self._send(429, {"message": "Too Many Requests", "error": 429}, [("Retry-After", wait)])
                if path == "/api/v1/access_token":
                    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        return self._send(401, {"message": "Unauthorized", "error": 401})
                    return self._send(200, json.loads((REDDIT / "token.json").read_text()))
                if self.headers.get("Authorization") != "bearer -recorded-token-8hQ3":
                    return self._send(401, {"message": "Unauthorized", "error": 401})
                if path == "/r/northfold/new":
                    name = "new_2.json" if query.get("after") == "t3_1gq7z03" else "new_1.json"
                    return self._send(200, (REDDIT / name).read_bytes())
                if path == "/r/northfold/search":
                    assert query.get("sort") == "new" and query.get("restrict_sr") in ("on", "1", "True", "true")
                    name = "search_zipper.json" if query.get("q") == "zipper" else None
                    if name is None:
                        return self._send(200, {"kind": "Listing", "data": {"children": [], "after": None}})
                    return self._send(200, (REDDIT / name).read_bytes())
                m = re.fullmatch(r"/comments/(\w+)", path)
                if m:
                    f = REDDIT / f"comments_{m.group(1)}.json"
                    if f.exists():
                        return self._send(200, f.read_bytes())
                    post = _post(m.group(1))
                    empty = {"kind": "Listing", "data": {"children": [], "after": None}}
                    return self._send(200, [{"kind": "Listing", "data": {"children": [post], "after": None}}, empty])
                if path == "/api/morechildren":
                    assert query["link_id"] == "t3_1gq9x05" and query["children"] == "lc0a04,lc0a05"
                    return self._send(200, (REDDIT / "morechildren.json").read_bytes())
                if path.startswith("/r/"):
                    # What Reddit does for a subreddit that does not exist.
                    self.send_response(302)
                    self.send_header("Location", "/subreddits/search.json?q=" + path.split("/")[2])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                return self._send(404, {"message": "Not Found", "error": 404})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        super().__init__(Handler)

    def paths(self, method=None):
        return [p for m, p, _ in self.log if method in (None, m)]


def _post(pid):
    for name in ("new_1.json", "new_2.json"):
        for child in json.loads((REDDIT / name).read_text())["data"]["children"]:
            if child["data"]["id"] == pid:
                return child
    raise AssertionError(f"unknown post {pid}")


def _no_praw_ini(monkeypatch, tmp_path):
    """Hermetic PRAW configuration: no praw.ini from the user's home or the working directory."""
    import praw.config

    monkeypatch.delenv("VOCMINE_REDDIT_SITE", raising=False)
    monkeypatch.delenv("praw_site", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(praw.config.Config, "CONFIG", None)


@pytest.fixture
def reddit(monkeypatch, tmp_path):
    monkeypatch.setenv("VOCMINE_REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("VOCMINE_REDDIT_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("VOCMINE_REDDIT_USER_AGENT", "python:vocmine-tests:0.1 (by u/vocmine)")
    _no_praw_ini(monkeypatch, tmp_path)
    server = RedditServer()
    monkeypatch.setenv("VOCMINE_REDDIT_OAUTH_URL", server.url)
    monkeypatch.setenv("VOCMINE_REDDIT_URL", server.url)
    yield server
    server.close()


def test_posts_and_comments_stored_once_authors_pseudonymised_429_waited_out(ws, reddit, caplog):
    caplog.set_level(logging.DEBUG)
    reddit.throttle["/r/northfold/new"] = (1, "1")  # the first listing request is answered 429
    r = ws.ingest_reddit("r/northfold", comments=True)

    # 5 posts over two listing pages; comments: 2 in the tree, 2 behind "load more", 1 deleted (skipped).
    assert (r.posts, r.comments, r.skipped) == (5, 4, 1)
    assert (r.inserted, r.updated, r.unchanged, r.rejected) == (9, 0, 0, 0)
    assert count(ws, where="source = 'reddit:northfold' and kind = 'post'") == 5
    assert count(ws, where="source = 'reddit:northfold' and kind = 'comment'") == 4
    # The 429 was waited out, not fatal: the listing was asked for again and the run went on.
    assert reddit.paths().count("/r/northfold/new") == 3  # 429, page 1, page 2
    assert r.waited == 1 and "waited 1s" in r.waits[0]
    assert "/api/morechildren" in reddit.paths("POST")

    rows = {row[0]: row[1:] for row in ws.db.conn.execute(
        "select external_id, kind, author, text, title, created_at, language, url, raw from feedback")}
    kind, author, text, title, created, lang, url, raw = rows["t3_1gq9x05"]
    assert (kind, title, created) == ("post", "Zipper on the Trail Pack keeps sticking", "2026-10-20T14:05:00Z")
    assert "support@northfold.example" not in text and "zipper sticks" in text
    assert url == "https://www.reddit.com/r/northfold/comments/1gq9x05/zipper_on_the_trail_pack_keeps_sticking/"
    assert rows["t3_1gq7z03"][5] == "ko"
    assert rows["t3_1gq8k04"][1] is None  # "[deleted]" author: no pseudonym at all
    assert rows["t3_1gq8k04"][2] == "Northfold stove review after 6 months"  # link post: the title is the text
    assert rows["t1_lc0a02"][0] == "comment" and "candle wax" in rows["t1_lc0a02"][2]
    # Authors are pseudonyms; the names appear nowhere in the stored rows.
    dump = json.dumps(list(rows.values()), ensure_ascii=False)
    for name in ("hikerdude42", "megan_r", "waxon_waxoff", "tom_b", "priya_hikes", "seoul_trail"):
        assert name not in dump
    assert author and author != "hikerdude42"
    assert rows["t1_lc0a01"][1] != author  # different people, different pseudonyms

    assert ws.state("reddit:northfold", "newest_created") == repr(float(NEWEST))
    # Credentials are never logged or stored.
    assert SECRET not in caplog.text
    assert SECRET not in json.dumps(ws.runs().to_dict(orient="records"), default=str)

    # Re-run: reads back only to the last newest post minus the overlap, and adds nothing.
    before = len(reddit.log)
    r2 = ws.ingest_reddit("northfold", comments=True)
    assert (r2.inserted, r2.updated) == (0, 0)
    assert r2.posts == 1 and r2.unchanged == 5  # the newest post and its 4 comments, inside the overlap
    assert r2.since == "2026-10-20T08:05:00Z"
    assert not any(q.get("after") for _, _, q in reddit.log[before:])  # page 2 not fetched again
    assert count(ws, where="source = 'reddit:northfold'") == 9


def test_search_with_since_keeps_its_own_cursor(ws, reddit):
    r = ws.ingest_reddit("northfold", query="zipper", since="2026-10-11")
    assert r.posts == 1 and r.inserted == 1  # the older zipper post is before --since
    assert ws.state("reddit:northfold", "newest_created:search:zipper") == repr(float(NEWEST))
    assert ws.state("reddit:northfold", "newest_created") is None
    assert ("GET", "/r/northfold/search") in [(m, p) for m, p, _ in reddit.log]


def test_long_retry_after_is_a_clear_error_and_stores_nothing_wrong(ws, reddit):
    reddit.throttle["/r/northfold/new"] = (5, "3600")
    with pytest.raises(SourceError, match=r"429 Too Many Requests \(Retry-After 3600\)"):
        ws.ingest_reddit("northfold")
    assert count(ws) == 0
    assert ws.state("reddit:northfold", "newest_created") is None
    assert ws.runs("ingest")["status"].iloc[0] == "failed"


def test_missing_credentials_message(ws, monkeypatch, tmp_path):
    _no_praw_ini(monkeypatch, tmp_path)
    for var in ("VOCMINE_REDDIT_CLIENT_ID", "VOCMINE_REDDIT_CLIENT_SECRET", "praw_client_id", "praw_client_secret"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SourceError, match="VOCMINE_REDDIT_CLIENT_ID and VOCMINE_REDDIT_CLIENT_SECRET"):
        ws.ingest_reddit("northfold")


def test_unknown_subreddit_and_bad_arguments(ws, reddit):
    with pytest.raises(SourceError, match="r/nosuchplace does not exist"):
        ws.ingest_reddit("nosuchplace")
    with pytest.raises(ConfigError, match="not a subreddit name"):
        ws.ingest_reddit("two words")
    with pytest.raises(ConfigError, match="at most 1000|1-1000"):
        ws.ingest_reddit("northfold", limit=5000)


def test_rate_window_keeps_to_the_budget():
    from vocmine.collect.reddit_http import RateWindow

    now = [0.0]
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        now[0] += s

    w = RateWindow(limit=3, period=60, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        assert w.wait() == 0
        now[0] += 1
    assert w.wait() == pytest.approx(57)  # the 4th call waits until the 1st leaves the window
    assert sleeps == [pytest.approx(57)]
    now[0] += 60
    assert w.wait() == 0


def test_cli_ingest_reddit(tmp_path, reddit):
    db = str(tmp_path / "voc.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "ingest", "reddit", "--subreddit", "northfold", "--comments"])
    assert res.exit_code == 0, res.output
    assert "reddit:northfold: 5 posts, 4 comments: 9 new, 0 updated, 0 unchanged, 0 rejected" in res.output
    assert SECRET not in res.output
    res = runner.invoke(cli, ["--db", db, "ingest", "reddit", "--subreddit", "northfold", "--comments", "--json"])
    data = json.loads(res.output)
    assert (data["inserted"], data["unchanged"], data["since"]) == (0, 5, "2026-10-20T08:05:00Z")
    res = runner.invoke(cli, ["--db", db, "ingest", "reddit", "--subreddit", "northfold", "--limit", "5000"])
    assert res.exit_code == 2 and "1000" in res.output


def test_cli_missing_credentials_is_one_line(tmp_path, monkeypatch):
    _no_praw_ini(monkeypatch, tmp_path)
    for var in ("VOCMINE_REDDIT_CLIENT_ID", "VOCMINE_REDDIT_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "v.db"), "ingest", "reddit", "--subreddit", "northfold"])
    assert res.exit_code == 1
    assert "Error: Reddit credentials are missing" in res.output and "Traceback" not in res.output


def test_docs_page_covers_every_option():
    from vocmine.cli.collect import reddit_command

    page = (Path(__file__).resolve().parents[2] / "docs" / "collect-reddit.md").read_text(encoding="utf-8")
    for p in reddit_command.params:
        if p.name != "help":
            assert p.opts[0] in page, f"{p.opts[0]} is not documented in docs/collect-reddit.md"
    assert "crontab" in page or "cron" in page


def test_credentials_from_a_praw_ini_section(ws, reddit, monkeypatch, tmp_path):
    for var in ("VOCMINE_REDDIT_CLIENT_ID", "VOCMINE_REDDIT_CLIENT_SECRET", "VOCMINE_REDDIT_USER_AGENT"):
        monkeypatch.delenv(var)
    (tmp_path / "praw.ini").write_text(
        f"[voc]\nclient_id={CLIENT_ID}\nclient_secret={SECRET}\nuser_agent=python:voc-ini:1.0 (by u/voc)\n")
    monkeypatch.setenv("VOCMINE_REDDIT_SITE", "voc")
    assert ws.ingest_reddit("northfold", limit=3).inserted == 3
    monkeypatch.setenv("VOCMINE_REDDIT_SITE", "nosuchsection")
    with pytest.raises(ConfigError, match=r"praw.ini has no \[nosuchsection\] section"):
        ws.ingest_reddit("northfold")


def test_credentials_an_http_header_cannot_carry_are_named(tmp_path, monkeypatch):
    """A placeholder pasted from the docs ('…') used to surface as "cannot reach Reddit"."""
    _no_praw_ini(monkeypatch, tmp_path)
    monkeypatch.setenv("VOCMINE_REDDIT_CLIENT_ID", "abc\u2026")
    monkeypatch.setenv("VOCMINE_REDDIT_CLIENT_SECRET", "secret")
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "v.db"), "ingest", "reddit", "--subreddit", "northfold"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "VOCMINE_REDDIT_CLIENT_ID holds characters an HTTP header cannot carry" in res.output
    assert "cannot reach" not in res.output and "secret" not in res.output
