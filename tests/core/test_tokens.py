"""Tokens go only to their own server and never reach output, stored errors or logs (real local HTTP servers)."""
import json
import logging
import socket
import sqlite3

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.core import secrets
from vocmine.cli.main import cli
from vocmine.core.errors import TrackerError, VocmineError

from fakes import FakeApi

GH_TOKEN = "ghp_ECHOEDtokenAbc123XYZ789"
LINEAR_KEY = "lin_api_REDIRECTkey456QWE"


def _loopback_host() -> str:
    """127.0.0.2 (another loopback host) where the system serves it, else 127.0.0.1 (another port)."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"


def Server(answer, host="127.0.0.1"):  # noqa: N802 - reads as the class it stands for
    """A loopback JSON server answering ``answer(path, headers) -> (status, headers, body)``."""
    return FakeApi(lambda req: answer(req["path"], req["headers"]), host=host)


def _issue(n):
    return {"id": n, "number": n, "title": f"Issue {n}", "state": "open", "labels": [],
            "created_at": "2026-09-01T00:00:00Z", "updated_at": f"2026-09-0{n}T00:00:00Z"}


@pytest.fixture
def other_host():
    """A second server (another loopback host, or another port): what a redirect points to."""
    srv = Server(lambda path, headers: (200, {}, [_issue(2)]), host=_loopback_host())
    yield srv
    srv.close()


@pytest.fixture
def redirecting(other_host):
    """The tracker's own server: its issues list redirects to the other host; /same redirects to itself."""
    holder = {}

    def answer(path, headers):
        if path == "/repos/acme/app/issues":
            return 302, {"Location": f"{other_host.url}/repos/acme/app/issues?token=leak"}, {}
        if path == "/repos/acme/same/issues":
            return 302, {"Location": f"{holder['srv'].url}/moved/acme/same/issues"}, {}
        if path == "/moved/acme/same/issues":
            ok = headers.get("authorization") == f"Bearer {GH_TOKEN}"
            return (200, {}, [_issue(1)]) if ok else (401, {}, {"message": "Bad credentials"})
        return 404, {}, {"message": "Not Found"}

    srv = holder["srv"] = Server(answer)
    yield srv
    srv.close()


def test_a_redirect_to_another_host_does_not_carry_the_token(ws, redirecting, other_host):
    r = ws.sync_tickets("github", repo="acme/app", base_url=redirecting.url, token=GH_TOKEN)
    assert r["new"] == 1  # the redirect was followed
    assert redirecting.requests[0]["headers"]["authorization"] == f"Bearer {GH_TOKEN}"
    moved = other_host.requests[0]
    assert "authorization" not in moved["headers"]
    assert GH_TOKEN not in json.dumps(moved)
    assert "token=leak" not in moved["target"]  # credential query parameters are dropped too


def test_a_redirect_on_the_same_server_keeps_the_token(ws, redirecting):
    r = ws.sync_tickets("github", repo="acme/same", base_url=redirecting.url, token=GH_TOKEN)
    assert r["new"] == 1
    assert redirecting.requests[-1]["path"].startswith("/moved/")


def test_linear_redirect_to_another_port_drops_the_key(ws, other_host):
    # Linear's API key goes as the Authorization header itself; a 303 after the POST turns into a GET.
    def answer(path, headers):
        return 303, {"Location": f"{other_host.url}/elsewhere"}, {}

    srv = Server(answer)
    try:
        with pytest.raises(TrackerError):
            ws.sync_tickets("linear", team="ENG", base_url=srv.url, api_key=LINEAR_KEY)
    finally:
        srv.close()
    assert srv.requests[0]["headers"]["authorization"] == LINEAR_KEY
    assert other_host.requests and all("authorization" not in r["headers"] for r in other_host.requests)


@pytest.fixture
def echoing():
    """A GitHub stand-in whose 403 body quotes the credential it was sent, as some servers do."""
    def answer(path, headers):
        return 403, {}, {"message": f"token '{headers.get('authorization')}' lacks scope repo; "
                                    "also tried xoxb-1234567890-abcdefghij"}

    srv = Server(answer)
    yield srv
    srv.close()


def test_an_echoed_token_is_not_printed_stored_or_logged(tmp_path, echoing, monkeypatch):
    monkeypatch.setenv("VOCMINE_GITHUB_TOKEN", GH_TOKEN)
    db = tmp_path / "t.db"
    res = CliRunner().invoke(cli, ["--db", str(db), "tickets", "sync", "--tracker", "github", "--repo", "acme/app",
                                   "--url", echoing.url])
    assert res.exit_code == 1
    assert "lacks scope repo" in res.output and "Error: github: access denied" in res.output
    assert GH_TOKEN not in res.output and "xoxb-1234567890" not in res.output
    conn = sqlite3.connect(db)
    error = conn.execute("select error from runs where stage = 'tickets-sync'").fetchone()[0]
    conn.close()
    assert "lacks scope repo" in error and GH_TOKEN not in error and "[secret]" in error


def test_weekly_keeps_an_echoed_token_out_of_its_output_state_runs_and_log(tmp_path, echoing, monkeypatch):
    monkeypatch.setenv("VOCMINE_GITHUB_TOKEN", GH_TOKEN)
    (tmp_path / "vocmine.toml").write_text(
        f'workspace = "w.db"\nlog = "weekly.log"\n[[trackers]]\ntype = "github"\nrepo = "acme/app"\n'
        f'base_url = "{echoing.url}"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["weekly", "--config", str(tmp_path / "vocmine.toml"), "--stage", "tickets",
                                   "--week", "2026-W37"])
    assert res.exit_code == 1
    assert "tickets  FAILED: github: access denied" in res.output and "lacks scope repo" in res.output
    log_text = (tmp_path / "weekly.log").read_text(encoding="utf-8")
    assert "stage tickets failed" in log_text and "lacks scope repo" in log_text
    conn = sqlite3.connect(tmp_path / "w.db")
    state = conn.execute("select value from source_state where source = 'weekly'").fetchone()[0]
    errors = " ".join(e for (e,) in conn.execute("select error from runs where error is not null"))
    conn.close()
    assert "lacks scope repo" in state and "lacks scope repo" in errors
    for text in (res.output, log_text, state, errors):
        assert GH_TOKEN not in text and "xoxb-1234567890" not in text


def test_stored_run_errors_and_log_lines_are_scrubbed_wherever_the_secret_came_from(ws, tmp_path):
    secrets.register("s3cr3t-value-registered-0042")
    with pytest.raises(VocmineError):
        with ws.run("probe"):
            raise VocmineError("failed with s3cr3t-value-registered-0042 and password=hunter22 in the URL")
    error = ws.runs("probe").iloc[0].error
    assert error == "VocmineError: failed with [secret] and password=[secret] in the URL"
    handler = secrets.protect(logging.FileHandler(tmp_path / "x.log", encoding="utf-8"))
    logger = logging.getLogger("vocmine.test_tokens")
    logger.addHandler(handler)
    try:
        logger.error("sent %s", "Authorization: Bearer abcDEF1234567890")
        try:
            raise RuntimeError("boom " + GH_TOKEN)
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = (tmp_path / "x.log").read_text(encoding="utf-8")
    assert "sent Authorization: Bearer [secret]" in text and "RuntimeError: boom [secret]" in text
    assert "abcDEF1234567890" not in text and GH_TOKEN not in text


@pytest.mark.parametrize("text, secret", [
    ("token 'Bearer ghp_abcdefABCDEF0123456789' lacks scope", "ghp_abcdefABCDEF0123456789"),
    ("oauth gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("pat github_pat_11ABCDEFG0123456789_abcdefXYZ", "github_pat_11ABCDEFG0123456789_abcdefXYZ"),
    ("key lin_api_a1b2c3d4e5f6g7h8 refused", "lin_api_a1b2c3d4e5f6g7h8"),
    ("slack xoxp-12345-67890-abcdefgh said no", "xoxp-12345-67890-abcdefgh"),
    ("Authorization: Basic cG1AYWNtZS50ZXN0OnNlY3JldA==", "cG1AYWNtZS50ZXN0OnNlY3JldA=="),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGciOiJIUzI1NiJ9"),
    ("aws AKIAIOSFODNN7EXAMPLE denied", "AKIAIOSFODNN7EXAMPLE"),
    ("GET https://api.example/x?access_token=zyx987wvu&page=2", "zyx987wvu"),
    ('{"password": "correct horse"}', "correct"),
    ("api_key=QWERTY12345 rejected", "QWERTY12345"),
    ("the token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b is invalid", "9f86d081884c7d659a2feaa0c55ad015"),
    ("jira ATATT3xFfGF0T4zAbCdEfGhIjKlMnOpQr", "ATATT3xFfGF0T4zAbCdEfGhIjKlMnOpQr"),
    ("https://bob:pa55word@tracker.example/api", "pa55word"),
])
def test_scrub_removes_credential_shapes(text, secret):
    out = secrets.scrub(text)
    assert secret not in out and "[secret]" in out


@pytest.mark.parametrize("text", [
    "github: authentication failed at http://127.0.0.1:8080/repos/acme/app/issues (HTTP 401); set a valid token "
    "in VOCMINE_GITHUB_TOKEN (or GITHUB_TOKEN)",
    "the token expired; check the Basic settings page",
    "tracker 'local', ticket 'NIM-101': field done_at: 'yesterday-ish' is not a date",
    "/tmp/pytest-of-root/pytest-1/test_x0/voc.db: folder does not exist",
    "unknown key(s) reprot; available: links, log, notify",
    "2026-09-23T01:00:00Z heavier than expected 생각보다 무겁다",
])
def test_scrub_leaves_ordinary_messages_alone(text):
    assert secrets.scrub(text) == text
