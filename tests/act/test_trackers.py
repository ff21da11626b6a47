"""Trackers against real local HTTP servers that implement the GitHub, Jira and Linear endpoints vocmine uses."""
import base64
import json
import logging
import re

import pandas as pd
import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.core.errors import ConfigError, TrackerError
from vocmine.act.trackers import get_tracker, normalise_status, public_notes
from vocmine.act.trackers.jira import adf_to_text

from fakes import GH_TOKEN, FakeApi

JIRA_TOKEN = "ATATT-SECRET-jira-TOKEN-456"
LINEAR_KEY = "lin_api_SECRETlinearKEY789"
SECRETS = (GH_TOKEN, JIRA_TOKEN, LINEAR_KEY, base64.b64encode(f"pm@acme.test:{JIRA_TOKEN}".encode()).decode())


# -- GitHub ---------------------------------------------------------------------------------

# The `github` fixture (conftest.py) is fakes.GitHubApi: issues 1-6 of acme/app, wanting GH_TOKEN.

def gh_config(api, **more):
    return {"repo": "acme/app", "base_url": api.url, "token": GH_TOKEN, "per_page": 2, **more}


def test_github_sync_follows_link_pages_skips_pull_requests_and_maps_fields(ws, github):
    r = ws.sync_tickets("github", **gh_config(github))
    assert (r["fetched"], r["new"], r["updated"], r["unchanged"]) == (5, 5, 0, 0)
    pages = [q for q in github.requests if q["path"] == "/repos/acme/app/issues"]
    assert len(pages) == 3 and pages[1]["query"]["page"] == "2"  # 6 items, 2 per page, the next link followed
    df = ws.tickets().set_index("key")
    assert "acme/app#3" not in df.index  # a pull request
    one = df.loc["acme/app#1"]
    assert (one.status, one.release, one.done_at, one.tracker) == ("done", "2.4.0", "2026-09-23T01:00:00Z", "github")
    assert one.public_note_en == "The frame is now 28% lighter."
    assert one.public_note_ko == "프레임이 28% 가벼워졌습니다."
    assert one.url == "https://github.com/acme/app/issues/1" and one.labels == ["weight"]
    assert df.loc["acme/app#2"].status == "in_progress"
    dark = df.loc["acme/app#4"]
    assert dark.status == "done" and pd.isna(dark.done_at) and dark.tracker_status == "closed (not_planned)"
    assert list(ws.tickets(status="open")["key"]) == ["acme/app#5", "acme/app#6"]


def test_github_resync_adds_nothing_then_picks_up_a_change(ws, github):
    ws.sync_tickets("github", **gh_config(github))
    before = ws.db.conn.execute("select key, updated_at, raw from tickets order by key").fetchall()
    github.requests.clear()
    r = ws.sync_tickets("github", **gh_config(github))
    assert (r["new"], r["updated"]) == (0, 0)
    assert github.requests[0]["query"]["since"] == "2026-09-06T10:00:00Z"  # the saved cursor
    assert r["fetched"] == 1 and r["unchanged"] == 1  # GitHub's since is inclusive: the newest comes again
    assert ws.db.conn.execute("select key, updated_at, raw from tickets order by key").fetchall() == before
    assert ws.db.conn.execute("select count(*) from tickets").fetchone()[0] == 5
    github.issues[4].update(title="Zipper pulls break", updated_at="2026-10-01T08:00:00Z", state="closed",
                            closed_at="2026-10-01T08:00:00Z", milestone={"title": "2.5.0"})
    r = ws.sync_tickets("github", **gh_config(github))
    assert (r["new"], r["updated"]) == (0, 1)
    t = ws.tickets().set_index("key").loc["acme/app#5"]
    assert (t.title, t.status, t.release) == ("Zipper pulls break", "done", "2.5.0")
    # The cursor lives in source_state; 'sync' with no tracker syncs the saved repository again.
    assert ws.state("tracker:github", "updated_since:acme/app") == "2026-10-01T08:00:00Z"
    r = ws.sync_tickets(token=GH_TOKEN)
    assert r["results"][0]["scope"] == "acme/app" and r["new"] == 0 and r["updated"] == 0


def test_edited_public_wording_survives_a_sync(ws, github):
    ws.sync_tickets("github", **gh_config(github))
    ws.update_ticket("acme/app#1", public_note_en="A lighter frame: 28% less weight.")
    github.issues[0].update(updated_at="2026-10-02T00:00:00Z", title="Backpack too heavy (frame)")
    r = ws.sync_tickets("github", **gh_config(github))
    assert r["updated"] == 1
    t = ws.tickets().set_index("key").loc["acme/app#1"]
    assert t.public_note_en == "A lighter frame: 28% less weight."  # kept: edited by hand
    assert t.title == "Backpack too heavy (frame)"  # not edited: follows the tracker


def test_github_bad_token_is_a_clear_error_without_the_token(ws, github, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TrackerError) as err:
        ws.sync_tickets("github", **gh_config(github, token="ghp_WRONGwrongWRONG"))
    msg = str(err.value)
    assert msg.startswith("github: authentication failed at http://127.0.0.1:") and "HTTP 401" in msg
    assert "VOCMINE_GITHUB_TOKEN" in msg and "ghp_WRONG" not in msg
    assert "ghp_WRONG" not in caplog.text
    run = ws.runs("tickets-sync").iloc[0]
    assert run.status == "failed" and "ghp_WRONG" not in (run.params + run.error)
    assert ws.db.conn.execute("select count(*) from tickets").fetchone()[0] == 0


def test_github_rate_limits_are_waited_out_within_a_bound(ws, github):
    # Secondary rate limit: 403 with Retry-After; then a primary one: 403 with x-ratelimit-remaining 0.
    github.failures += [(403, {"Retry-After": "1"}, {"message": "You have exceeded a secondary rate limit."}),
                        (429, {"Retry-After": "0"}, {"message": "Too many requests"})]
    r = ws.sync_tickets("github", **gh_config(github))
    assert r["new"] == 5 and len(github.requests) == 5
    # A limit that resets long after the bound: a clear error at once, and nothing lost.
    github.issues[5]["updated_at"] = "2026-10-05T00:00:00Z"
    github.failures.append((403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"},
                            {"message": "API rate limit exceeded for user."}))
    with pytest.raises(TrackerError, match=r"github: rate limited at .* the limit resets in about \d+ s, more than "
                                           r"the 5 s this sync may wait"):
        ws.sync_tickets("github", **gh_config(github, max_wait=5))
    assert ws.state("tracker:github", "updated_since:acme/app") == "2026-09-06T10:00:00Z"  # cursor unmoved
    assert ws.db.conn.execute("select count(*) from tickets").fetchone()[0] == 5


def test_github_not_found_and_forbidden(ws, github):
    with pytest.raises(TrackerError, match=r"github: not found: .*/repos/acme/nope/issues.* \(HTTP 404\)"):
        ws.sync_tickets("github", **gh_config(github, repo="acme/nope"))
    github.failures.append((403, {}, {"message": "Resource not accessible by personal access token"}))
    with pytest.raises(TrackerError, match=r"access denied .*Resource not accessible.*VOCMINE_GITHUB_TOKEN"):
        ws.sync_tickets("github", **gh_config(github))


# -- Jira -----------------------------------------------------------------------------------

def _adf(*paragraphs):
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]} if isinstance(p, str) else p
        for p in paragraphs]}


def _jira_issue(key, summary, updated, category="new", status="To Do", resolution=None, resolved=None,
                versions=(), labels=(), description=None):
    return {"id": str(10000 + int(key.split("-")[1])), "key": key, "fields": {
        "summary": summary, "description": description, "labels": list(labels),
        "status": {"name": status, "statusCategory": {"key": category}},
        "resolution": {"name": resolution} if resolution else None, "resolutiondate": resolved,
        "fixVersions": [{"name": v} for v in versions], "created": "2026-08-01T09:00:00.000+0900",
        "updated": updated}}


@pytest.fixture
def jira():
    issues = [
        _jira_issue("NIM-1", "Lighter frame", "2026-09-23T10:00:00.000+0900", "done", "Done", "Done",
                    "2026-09-23T10:00:00.000+0900", versions=["2.4.0"], labels=["weight"],
                    description=_adf("Too heavy to carry all day.",
                                     {"type": "bulletList", "content": [
                                         {"type": "listItem", "content": [{"type": "paragraph", "content": [
                                             {"type": "text", "text": "steel frame"}]}]}]},
                                     "Public note: The frame is 28% lighter.",
                                     "공개 설명: 프레임이 28% 가벼워졌습니다.")),
        _jira_issue("NIM-2", "Faster courier", "2026-09-24T10:00:00.000+0900", "indeterminate", "In Progress"),
        _jira_issue("NIM-3", "Old idea", "2026-09-25T10:00:00.000+0900", "done", "Closed", "Won't Do",
                    "2026-09-25T10:00:00.000+0900"),
    ]
    good = "Basic " + base64.b64encode(f"pm@acme.test:{JIRA_TOKEN}".encode()).decode()

    def handle(req):
        if req["headers"].get("authorization") != good:
            return 401, {}, {"errorMessages": ["Client must be authenticated to access this resource."]}
        if req["method"] != "POST" or req["path"] != "/rest/api/3/search/jql":
            return 404, {}, {"errorMessages": ["not here"]}
        body = req["json"]
        assert body["fields"] and "summary" in body["fields"]
        m = re.match(r'project = "(\w+)"(?: AND updated >= "([\d\- :]+)")? ORDER BY updated ASC$', body["jql"])
        assert m, body["jql"]
        if m.group(1) != "NIM":
            return 400, {}, {"errorMessages": ["The value 'XYZ' does not exist for the field 'project'."]}
        rows = issues
        if m.group(2):  # times of this fake Jira user are UTC
            since = m.group(2).replace(" ", "T") + ":00Z"
            rows = [i for i in issues if vocmine.core.dates.parse_datetime(
                re.sub(r"(\d\d)(\d\d)$", r"\1:\2", i["fields"]["updated"])) >= since]
        start = int(body.get("nextPageToken") or 0)
        chunk = rows[start:start + body["maxResults"]]
        out = {"issues": chunk, "isLast": start + len(chunk) >= len(rows)}
        if not out["isLast"]:
            out["nextPageToken"] = str(start + len(chunk))
        return 200, {}, out

    api = FakeApi(handle)
    api.issues = issues
    yield api
    api.close()


def jira_config(api, **more):
    return {"project": "NIM", "base_url": api.url, "email": "pm@acme.test", "token": JIRA_TOKEN, "page_size": 2,
            **more}


def test_jira_sync_pages_by_token_reads_adf_and_waits_out_429(ws, jira):
    jira.failures.append((429, {"Retry-After": "1"}, {"errorMessages": ["Rate limit exceeded"]}))
    r = ws.sync_tickets("jira", **jira_config(jira))
    assert (r["fetched"], r["new"]) == (3, 3)
    searches = [q for q in jira.requests if q["path"] == "/rest/api/3/search/jql"]
    assert len(searches) == 3 and searches[2]["json"]["nextPageToken"] == "2"  # 429, page 1, page 2
    df = ws.tickets().set_index("key")
    one = df.loc["NIM-1"]
    assert (one.status, one.release, one.done_at) == ("done", "2.4.0", "2026-09-23T01:00:00Z")
    assert one.body.startswith("Too heavy to carry all day.\n\n- steel frame")
    assert one.public_note_en == "The frame is 28% lighter." and one.public_note_ko == "프레임이 28% 가벼워졌습니다."
    assert one.url == f"{jira.url}/browse/NIM-1"
    assert (df.loc["NIM-2"].status, df.loc["NIM-2"].tracker_status) == ("in_progress", "In Progress")
    assert df.loc["NIM-3"].status == "done" and pd.isna(df.loc["NIM-3"].done_at)  # won't do: not shipped
    jira.requests.clear()
    r = ws.sync_tickets("jira", **jira_config(jira))
    assert (r["new"], r["updated"]) == (0, 0)
    # Cursor 2026-09-25T01:00Z, asked from a day before (JQL's minutes in the user's zone).
    assert 'updated >= "2026-09-24 01:00"' in jira.requests[0]["json"]["jql"]


def test_jira_errors_name_the_tracker_and_the_variables(ws, jira, monkeypatch):
    with pytest.raises(TrackerError) as err:
        ws.sync_tickets("jira", **jira_config(jira, token="wrong-token-000"))
    assert "jira: authentication failed" in str(err.value) and "VOCMINE_JIRA_EMAIL and VOCMINE_JIRA_TOKEN" in str(err.value)
    with pytest.raises(TrackerError, match=r"jira: HTTP 400 .*does not exist for the field 'project'"):
        ws.sync_tickets("jira", **jira_config(jira, project="XYZ"))
    monkeypatch.delenv("VOCMINE_JIRA_EMAIL", raising=False)
    monkeypatch.delenv("VOCMINE_JIRA_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="jira: no credentials; set VOCMINE_JIRA_EMAIL and VOCMINE_JIRA_TOKEN"):
        ws.sync_tickets("jira", project="NIM", base_url=jira.url)


def test_adf_to_text():
    doc = _adf("First line", {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Title"}]},
               {"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"},
                                                 {"type": "mention", "attrs": {"text": "@mina"}}]})
    assert adf_to_text(doc) == "First line\n\n## Title\n\na\n@mina"
    assert adf_to_text("plain") == "plain" and adf_to_text(None) == ""


# -- Linear ---------------------------------------------------------------------------------

def _linear_issue(ident, title, updated, kind="unstarted", state="Todo", completed=None, milestone=None, cycle=None,
                  labels=(), description=""):
    return {"id": f"uuid-{ident}", "identifier": ident, "title": title, "description": description,
            "url": f"https://linear.app/acme/issue/{ident}", "createdAt": "2026-08-01T09:00:00.000Z",
            "updatedAt": updated, "completedAt": completed, "canceledAt": None,
            "state": {"name": state, "type": kind}, "labels": {"nodes": [{"name": x} for x in labels]},
            "projectMilestone": {"name": milestone} if milestone else None, "cycle": cycle, "team": "ENG"}


@pytest.fixture
def linear():
    issues = [
        _linear_issue("ENG-1", "Lighter frame", "2026-09-23T01:00:00.000Z", "completed", "Done",
                      "2026-09-23T01:00:00.000Z", milestone="2.4.0", labels=["weight"],
                      description="## Public note\n\nThe frame is 28% lighter.\n\n## Details\nsteel out"),
        _linear_issue("ENG-2", "Courier", "2026-09-24T01:00:00.000Z", "started", "In Progress",
                      cycle={"name": None, "number": 7}),
        _linear_issue("ENG-3", "Dropped", "2026-09-25T01:00:00.000Z", "canceled", "Canceled"),
    ]

    def handle(req):
        if req["headers"].get("authorization") != LINEAR_KEY:
            return 400, {}, {"errors": [{"message": "Authentication required, not authenticated",
                                         "extensions": {"code": "AUTHENTICATION_ERROR"}}]}
        if req["path"] != "/graphql":
            return 404, {}, {"errors": [{"message": "not found"}]}
        body = req["json"]
        assert "issues(filter: $filter" in body["query"] and "pageInfo" in body["query"]
        v = body["variables"]
        team = v["filter"]["team"]["key"]["eq"]
        gt = (v["filter"].get("updatedAt") or {}).get("gt")
        rows = [i for i in issues if i["team"] == team and (not gt or i["updatedAt"] > gt)]
        start = int(v.get("after") or 0)
        chunk = rows[start:start + v["first"]]
        more = start + len(chunk) < len(rows)
        nodes = [{k: val for k, val in i.items() if k != "team"} for i in chunk]
        return 200, {}, {"data": {"issues": {"nodes": nodes, "pageInfo": {
            "hasNextPage": more, "endCursor": str(start + len(chunk)) if more else None}}}}

    api = FakeApi(handle)
    api.issues = issues
    yield api
    api.close()


def test_linear_sync_pages_and_maps_state_types(ws, linear, monkeypatch):
    monkeypatch.setenv("VOCMINE_LINEAR_API_KEY", LINEAR_KEY)
    linear.failures.append((200, {"X-RateLimit-Requests-Reset": "1"},
                            {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}))
    r = ws.sync_tickets("linear", team="ENG", base_url=linear.url, page_size=2)
    assert (r["fetched"], r["new"]) == (3, 3)
    assert [q["json"]["variables"]["after"] for q in linear.requests] == [None, None, "2"]
    df = ws.tickets().set_index("key")
    one = df.loc["ENG-1"]
    assert (one.status, one.release, one.done_at, one.public_note_en) == (
        "done", "2.4.0", "2026-09-23T01:00:00Z", "The frame is 28% lighter.")
    assert (df.loc["ENG-2"].status, df.loc["ENG-2"].release) == ("in_progress", "Cycle 7")
    assert df.loc["ENG-3"].status == "done" and pd.isna(df.loc["ENG-3"].done_at)
    linear.requests.clear()
    r = ws.sync_tickets("linear", team="ENG", base_url=linear.url)
    assert r["fetched"] == 0 and r["new"] == 0
    assert linear.requests[0]["json"]["variables"]["filter"]["updatedAt"] == {"gt": "2026-09-25T01:00:00Z"}


def test_linear_bad_key_and_missing_key(ws, linear, monkeypatch):
    with pytest.raises(TrackerError, match=r"linear: authentication failed .*VOCMINE_LINEAR_API_KEY"):
        ws.sync_tickets("linear", team="ENG", base_url=linear.url, api_key="lin_api_wrong")
    monkeypatch.delenv("VOCMINE_LINEAR_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="linear: no API key; set VOCMINE_LINEAR_API_KEY"):
        ws.sync_tickets("linear", team="ENG", base_url=linear.url)


# -- secrets, CLI, local tickets ---------------------------------------------------------------

def test_tokens_never_reach_logs_runs_raw_or_state(tmp_path, github, jira, linear, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("VOCMINE_GITHUB_TOKEN", GH_TOKEN)
    monkeypatch.setenv("VOCMINE_JIRA_EMAIL", "pm@acme.test")
    monkeypatch.setenv("VOCMINE_JIRA_TOKEN", JIRA_TOKEN)
    monkeypatch.setenv("VOCMINE_LINEAR_API_KEY", LINEAR_KEY)
    db = tmp_path / "s.db"
    with vocmine.open(db) as w:
        w.sync_tickets("github", repo="acme/app", base_url=github.url)
        w.sync_tickets("jira", project="NIM", base_url=jira.url)
        w.sync_tickets("linear", team="ENG", base_url=linear.url, token=LINEAR_KEY)
        github.failures.append((500, {}, {"message": "boom"}))
        w.sync_tickets()  # every saved scope again, credentials from the environment
        assert w.db.conn.execute("select count(*) from tickets").fetchone()[0] == 5 + 3 + 3
        dump = "\n".join(w.db.conn.iterdump())
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", str(db), "--debug", "tickets", "sync", "--tracker", "github", "--repo",
                              "acme/app", "--url", github.url, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["new"] == 0
    everything = dump + caplog.text + res.output
    for secret in SECRETS:
        assert secret not in everything
    assert "api_key" not in dump and "tickets-sync" in dump


def test_cli_tickets_add_update_list_and_sync(tmp_path, github, monkeypatch):
    db = str(tmp_path / "c.db")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--db", db, *args])

    r = run("tickets", "add", "NIM-201", "--title", "Lighter tent", "--status", "shipped", "--release", "3.0",
            "--done-at", "2026-10-01", "--label", "tent,weight", "--body",
            "Tent is heavy.\n\n공개 설명: 텐트가 가벼워졌습니다.", "--public-en", "The tent is lighter.")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("added NIM-201 [done (shipped)] Lighter tent  — 3.0, 2026-10-01")
    assert run("tickets", "add", "NIM-201", "--title", "Lighter tent", "--status", "shipped", "--release", "3.0",
               "--done-at", "2026-10-01", "--label", "tent,weight", "--body",
               "Tent is heavy.\n\n공개 설명: 텐트가 가벼워졌습니다.", "--public-en",
               "The tent is lighter.").output.startswith("unchanged NIM-201")
    r = run("tickets", "add", "NIM-201", "--title", "Something else")
    assert r.exit_code == 1 and "exists with other content; change it with 'vocmine tickets update NIM-201'" in r.output
    assert run("tickets", "add", "NIM-202", "--title", "Queue", "--status", "waiting").exit_code == 1
    r = run("tickets", "update", "NIM-201", "--public-ko", "더 가벼운 텐트.", "--json")
    t = json.loads(r.output)
    assert (t["public_note_en"], t["public_note_ko"], t["labels"]) == ("The tent is lighter.", "더 가벼운 텐트.",
                                                                       ["tent", "weight"])
    r = run("tickets", "update", "NIM-999", "--status", "done")
    assert r.exit_code == 1 and "unknown ticket 'NIM-999'" in r.output
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    monkeypatch.delenv("VOCMINE_GITHUB_TOKEN", raising=False)
    r = run("tickets", "sync", "--tracker", "github", "--repo", "acme/app", "--url", github.url)
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "github acme/app: 5 read, 5 new, 0 updated, 0 unchanged"
    assert run("tickets", "sync").output.strip() == "github acme/app: 1 read, 0 new, 0 updated, 1 unchanged"
    r = run("tickets", "sync", "--tracker", "github")
    assert r.exit_code == 2 and "--tracker github needs --repo OWNER/NAME" in r.output
    r = run("tickets", "sync", "--tracker", "jirra", "--project", "X")
    assert r.exit_code == 1 and "unknown tracker 'jirra'; available: github, jira, linear, local" in r.output
    r = run("tickets", "list", "--status", "done", "--json")
    keys = [t["key"] for t in json.loads(r.output)]
    assert keys == ["acme/app#1", "acme/app#4", "NIM-201"]
    r = run("tickets", "list", "--tracker", "local")
    assert r.output.strip() == "local   NIM-201 [done (shipped)] Lighter tent  — 3.0, 2026-10-01"


def test_local_tracker_and_helpers(ws):
    t = ws.add_ticket("L-1", "Fix it", status="done", release="1.0")
    assert t["status"] == "done" and t["done_at"]  # dated when marked done
    with pytest.raises(ConfigError, match="unknown ticket field 'colour'; available: title, body"):
        ws.update_ticket("L-1", colour="red")
    with pytest.raises(ConfigError, match="nothing to change"):
        ws.update_ticket("L-1")
    with pytest.raises(ConfigError, match="unknown tracker 'jirra'; available: github, jira, linear, local"):
        get_tracker("jirra")
    with pytest.raises(ConfigError, match="nothing to sync"):
        ws.sync_tickets("local")
    with pytest.raises(ConfigError, match="must look like OWNER/NAME"):
        ws.sync_tickets("github", repo="not a repo")
    assert [normalise_status(s) for s in ("Done", "closed", "In Review", "in_progress", "To Do", "")] == [
        "done", "done", "in_progress", "in_progress", "open", "open"]
    body = ("Intro\n\n**Public note:** Lighter now,\nby 28%.\n\nInternal: x\n\n"
            "## 공개 설명\n\n더 가벼워졌습니다.\n\n## Next\nPublic noteworthy: not a marker")
    assert public_notes(body) == {"en": "Lighter now, by 28%.", "ko": "더 가벼워졌습니다."}
    assert public_notes("nothing here") == {}
