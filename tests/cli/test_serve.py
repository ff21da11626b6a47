"""``vocmine serve`` and the Datasette plugin: private data hidden from every page, query and
download; the decision pages behind a permission and a CSRF token; a real server clicked through
in headless Chromium, then published."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from vocmine.cli import cli
from vocmine.cli.datasette import plugin
from vocmine.cli.datasette.metadata import STORAGE_JSON, storage
from vocmine.cli.datasette.queries import QUERIES
from vocmine.cli.serve import ensure_plugin

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PLANTED = [json.loads(line) for line in (FIXTURES / "planted_pii.jsonl").read_text(encoding="utf-8").splitlines()]
sys.path.insert(0, str(ROOT / "tests"))
from browser import chromium  # noqa: E402

datasette_app = pytest.importorskip("datasette.app")


def _datasette(path: Path, **kwargs):
    ensure_plugin()
    ds = datasette_app.Datasette([str(path)], **kwargs)
    asyncio.run(ds.invoke_startup())
    return ds


def _get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def _post(ds, path: str, **kwargs):
    return asyncio.run(ds.client.post(path, **kwargs))


def _copy_demo(demo_dir: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(demo_dir / "vocmine.db")
    out = sqlite3.connect(dest / "vocmine.db")
    with out:
        src.backup(out)  # a consistent copy of a WAL-mode file
    src.close()
    out.close()
    return dest / "vocmine.db"


# -- descriptions ---------------------------------------------------------------------------------

def test_storage_json_is_written_from_docs_storage_md():
    sys.path.insert(0, str(ROOT / "docs"))
    from make_storage_metadata import render

    assert STORAGE_JSON.read_text(encoding="utf-8") == render(), \
        "docs/storage.md changed: run python docs/make_storage_metadata.py"


def test_every_table_and_column_of_a_workspace_is_described(ws):
    docs = storage()
    conn = ws.db.conn
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                          "and name not like 'feedback_fts%' and name not like 'sqlite_%'")]
    assert len(tables) > 20
    missing = [f"{t}.{c}" for t in tables for (_, c, *_rest) in conn.execute(f'pragma table_info("{t}")')
               if c not in docs.get(t, {}).get("columns", {})]
    assert not missing, f"columns with no line in docs/storage.md: {missing}"
    assert all(docs[t]["description"] for t in tables)


# -- private data ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planted(demo_dir, tmp_path_factory):
    """The demo with customers' emails and phones planted: in texts (kept as originals), in a
    contact column, in a rejected row and in a ticket's body; analysed, so they reach segments."""
    import vocmine

    root = tmp_path_factory.mktemp("serve-planted")
    path = _copy_demo(demo_dir, root)
    picks = [p for p in PLANTED if p["kind"] in ("email", "phone")]
    picks = [p for p in picks if p["lang"] == "en"][:8] + [p for p in picks if p["lang"] == "ko"][:8]
    contacts = [f"planted.contact{i}@example.net" for i in range(len(picks))]
    rows = [["id", "text", "rating", "created", "email"]]
    rows += [[f"p{i}", p["text"], "2", "2026-10-24", contacts[i]] for i, p in enumerate(picks)]
    rows.append(["p-bad", "", "1", "2026-10-24", "rejected.row@example.net"])  # empty text: rejected
    csv_path = root / "planted.csv"
    import csv

    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    ws = vocmine.open(path, create=False)
    ws.set_keep_original(True)
    ws.ingest(csv_path, source="planted", contact="email")
    ws.add_ticket("NIM-900", "Zipper replacement flow", body="Reported by ticket.body@example.net, +1 415 555 0199",
                  status="open")
    ws.analyze()
    key = ws.db.conn.execute("select value from settings where key = 'pseudonym_key'").fetchone()[0]
    ws.close()
    secrets = [p["secret"] for p in picks] + contacts + ["rejected.row@example.net", "ticket.body@example.net",
                                                          "415 555 0199", key]
    # The secrets really are in the workspace, so a page that showed them would fail the test.
    raw = sqlite3.connect(path)
    stored = " ".join(str(v) for t in ("contacts", "tickets", "settings")
                      for row in raw.execute(f"select * from {t}") for v in row)
    raw.close()
    assert all(s in stored for s in contacts + ["ticket.body@example.net", key])
    assert (root / "vocmine.db.originals").exists()
    return path, secrets, len(picks)


def _no_secret(body: str, secrets: list[str], where: str) -> None:
    for s in secrets:
        assert s not in body, f"{where} shows {s!r}"


def test_no_page_query_or_download_shows_personal_data(planted):
    path, secrets, planted_rows = planted
    ds = _datasette(path)
    db = "vocmine"
    tables = [r[0] for r in sqlite3.connect(path).execute("select name from sqlite_master where type = 'table'")]
    checked = 0
    for table in tables:
        for url in (f"/{db}/{table}?_size=max", f"/{db}/{table}.json?_shape=array&_size=max",
                    f"/{db}/{table}.csv?_size=max&_stream=1",
                    f"/{db}.json?_shape=array&sql=" + quote(f'select * from "{table}"'),
                    f"/{db}.csv?sql=" + quote(f'select * from "{table}"')):
            r = _get(ds, url)
            assert r.status_code in (200, 400), (url, r.status_code)  # 400: an FTS shadow table's blob
            _no_secret(r.text, secrets, url)
            checked += 1
    # Where the private columns are used in a filter, they read as empty: no row matches.
    r = _get(ds, f"/{db}.json?_shape=array&sql=" + quote("select author from contacts where contact like '%@%'"))
    assert r.status_code == 200 and r.json() == []
    r = _get(ds, f"/{db}/contacts.json?_shape=array&contact__contains=planted")
    assert r.json() == []
    # Row pages of the contacts, the everyday queries and the decision pages.
    for author in [r["author"] for r in _get(ds, f"/{db}/contacts.json?_shape=array&source=planted").json()]:
        r = _get(ds, f"/{db}/contacts/{quote(author, safe='')},planted.json")
        _no_secret(r.text, secrets, "contacts row")
    for name, q in QUERIES.items():
        params = "&".join(f"{p}={quote(v)}" for p, v in {"phrase": "zipper broke", "ticket": "NIM-900"}.items()
                          if f":{p}" in q["sql"])
        for url in (f"/{db}/{name}?{params}", f"/{db}/{name}.json?_shape=array&{params}"):
            r = _get(ds, url)
            assert r.status_code == 200, (url, r.text[:300])
            _no_secret(r.text, secrets, url)
    for page in ("", f"/{db}/links?status=all", f"/{db}/topics", f"/{db}/entries"):
        r = _get(ds, f"/-/vocmine{page}")
        assert r.status_code == 200
        _no_secret(r.text, secrets, page)
    # The file itself cannot be downloaded: it holds the contacts.
    assert _get(ds, f"/{db}.db").status_code == 403
    assert checked >= 5 * 25
    # The planted rows did arrive: the texts are there, redacted.
    r = _get(ds, f"/{db}/feedback.json?_shape=array&source=planted")
    assert len(r.json()) == planted_rows >= 10 and all("[" in row["text"] for row in r.json())


def test_originals_cannot_be_attached(planted):
    path, _, _ = planted
    ds = _datasette(path)
    conn = sqlite3.connect(path)
    plugin.prepare_connection(conn, "vocmine", ds)
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        conn.execute("attach database ? as o", (str(path) + ".originals",))
    assert conn.execute("select contact from contacts where contact is not null").fetchall() == []
    # The in-memory database (where --crossdb attaches files) may attach others, never the originals.
    mem = sqlite3.connect(":memory:")
    plugin.prepare_connection(mem, "_memory", ds)
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        mem.execute("attach database ? as o", (str(path) + ".originals",))


def test_other_databases_are_left_alone(tmp_path):
    other = tmp_path / "crm.db"
    conn = sqlite3.connect(other)
    conn.execute("create table contacts (name text, contact text)")
    conn.execute("insert into contacts values ('Ann', 'ann@example.org')")
    conn.commit()
    conn.close()
    ds = _datasette(other)
    r = _get(ds, "/crm/contacts.json?_shape=array")
    assert r.json() == [{"rowid": 1, "name": "Ann", "contact": "ann@example.org"}]
    assert plugin.workspaces(ds) == {}


# -- descriptions and labels in Datasette ---------------------------------------------------------

def test_metadata_labels_and_queries(demo_dir, tmp_path):
    path = _copy_demo(demo_dir, tmp_path)
    ds = _datasette(path)
    meta = _get(ds, "/-/metadata.json").json()["databases"]["vocmine"]
    assert meta["tables"]["feedback"]["columns"]["author"].startswith("keyed pseudonym")
    assert meta["tables"]["topics"]["label_column"] == "label"
    assert meta["tables"]["contacts"]["hidden"] is True
    assert set(meta["queries"]) == set(QUERIES)
    page = _get(ds, "/vocmine/segment_topics?_size=5&topic_id__gt=0").text
    assert 'class="vocmine-label"' in page  # topic ids shown with their labels
    week = _get(ds, "/vocmine/complaints_this_week_by_family.json?_shape=array").json()
    assert week and sum(r["complaints"] for r in week) > 0
    assert all(r["family"] for r in week)
    quotes = _get(ds, "/vocmine/phrase_quotes.json?_shape=array&phrase=" + quote("heavier than expected")).json()
    assert quotes and all("heavier" in q["quote"].lower() or q["variant"] != "heavier than expected" for q in quotes)
    linked = _get(ds, "/vocmine/ticket_feedback.json?_shape=array&ticket=NIM-101").json()
    assert linked and {r["via"] for r in linked} <= {"phrase", "topic"}


# -- permissions and CSRF -------------------------------------------------------------------------

def _signed_in(ds, actor_id: str):
    """Cookies of a signed-in actor with a CSRF token, and the token for the form."""
    cookies = {"ds_actor": ds.sign({"a": {"id": actor_id}}, "actor")}
    r = _get(ds, "/-/vocmine/vocmine/links", cookies=cookies)
    token = r.cookies.get("ds_csrftoken")
    assert token, "the page sets a CSRF cookie"
    match = re.search(r'name="csrftoken" value="([^"]+)"', r.text)
    return {**cookies, "ds_csrftoken": token}, (match.group(1) if match else token)


def _status(path: Path, key: str, target_type: str, target_id: int) -> tuple[str, str | None]:
    conn = sqlite3.connect(path)
    row = conn.execute("select l.status, l.decided_by from links l join tickets t on t.id = l.ticket_id "
                       "where t.key = ? and l.target_type = ? and l.target_id = ?", (key, target_type, target_id)).fetchone()
    conn.close()
    return row


def _a_suggestion(path: Path) -> tuple[str, str, int]:
    conn = sqlite3.connect(path)
    row = conn.execute("select t.key, l.target_type, l.target_id from links l join tickets t on t.id = l.ticket_id "
                       "where l.status = 'suggested' order by l.id limit 1").fetchone()
    conn.close()
    return row


def test_deciding_needs_the_permission_and_the_csrf_token(demo_dir, tmp_path):
    path = _copy_demo(demo_dir, tmp_path)
    ds = _datasette(path, metadata={"plugins": {"vocmine": {"editors": ["alice"]}}})
    key, ttype, tid = _a_suggestion(path)
    form = {"ticket": key, "target": f"{ttype}:{tid}", "decision": "accept"}
    url = "/-/vocmine/vocmine/links"
    # Nobody signed in: refused, and the page offers no buttons.
    assert _post(ds, url, data=form).status_code == 403
    assert 'data-decision="accept"' not in _get(ds, url).text
    # Signed in as someone not listed: refused.
    cookies, token = _signed_in(ds, "bob")
    assert _post(ds, url, data={**form, "csrftoken": token}, cookies=cookies).status_code == 403
    # An editor without the CSRF token (a forged cross-site form): refused.
    cookies, token = _signed_in(ds, "alice")
    assert _post(ds, url, data=form, cookies=cookies).status_code == 403
    assert _status(path, key, ttype, tid)[0] == "suggested"
    # With it: stored like the CLI's decision, by whom.
    r = _post(ds, url, data={**form, "csrftoken": token}, cookies=cookies)
    assert r.status_code == 303 and r.headers["location"].endswith("/-/vocmine/vocmine/links")
    assert _status(path, key, ttype, tid) == ("accepted", "serve:alice")
    # Reject by root (always an editor), then the message says what happened.
    cookies, token = _signed_in(ds, "root")
    r = _post(ds, url, data={**form, "decision": "reject", "csrftoken": token}, cookies=cookies)
    assert _status(path, key, ttype, tid) == ("rejected", "serve:root")
    page = _get(ds, url + "?status=rejected", cookies={**cookies, **dict(r.cookies)}).text
    assert f"{key} \u2192 {ttype}:{tid}: rejected" in page
    # A bad value is a message, not a traceback, and changes nothing.
    r = _post(ds, url, data={**form, "target": "topic:999999", "csrftoken": token}, cookies=cookies)
    assert r.status_code == 303
    page = _get(ds, url, cookies={**cookies, **dict(r.cookies)}).text
    assert "not done: unknown topic 999999" in page


def test_topic_rename_and_merge_are_topic_edits(demo_dir, tmp_path):
    import vocmine

    path = _copy_demo(demo_dir, tmp_path)
    ds = _datasette(path)
    cookies, token = _signed_in(ds, "root")
    url = "/-/vocmine/vocmine/topics"
    ws = vocmine.open(path, create=False)
    en = ws.topics(lang="en")
    a, b, c = (int(x) for x in en["id"][:3])
    ws.close()
    r = _post(ds, url, data={"action": "rename", "topic": str(a), "label": "Straps <b>dig</b> in", "lang": "",
                             "csrftoken": token}, cookies=cookies)
    assert r.status_code == 303
    r = _post(ds, url, data={"action": "merge", "target": str(b), "sources": str(c), "csrftoken": token},
              cookies=cookies)
    assert r.status_code == 303
    r = _post(ds, url, data={"action": "split", "topic": str(a), "parts": "2", "csrftoken": token}, cookies=cookies)
    assert r.status_code == 303
    ws = vocmine.open(path, create=False)
    topics = ws.topics(lang="en", include_merged=True).set_index("id")
    assert topics.loc[a, "label"] == "Straps <b>dig</b> in"
    assert topics.loc[c, "merged_into"] == b
    edits = [row for row in ws.db.conn.execute("select action, value from topic_edits order by id")]
    ws.close()
    assert [e[0] for e in edits[-3:]] == ["rename", "merge", "split"]
    (new_part,) = json.loads(edits[-1][1])["into"]
    assert new_part in topics.index and new_part != a
    page = _get(ds, url, cookies=cookies).text
    assert "Straps &lt;b&gt;dig&lt;/b&gt; in" in page and "<b>dig</b>" not in page  # escaped
    assert ">nan<" not in page  # a topic without a family shows nothing there


# -- the real server, in Chromium -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(chromium() is None, reason="needs Chromium (Debian package 'chromium'): "
                                                "bash .ci/install-system-deps")
def test_serve_accept_approve_then_publish_in_chromium(demo_dir, tmp_path):
    from browser import Browser

    path = _copy_demo(demo_dir, tmp_path / "ws")
    conn = sqlite3.connect(path)
    # A draft entry and a suggestion of its ticket: accepting it and approving the draft publishes it.
    entry_id, key, title = conn.execute(
        "select c.id, t.key, c.title_en from changes c join tickets t on t.id = c.ticket_id "
        "where c.status = 'draft' order by c.id limit 1").fetchone()
    link_id, ttype, tid = conn.execute(
        "select l.id, l.target_type, l.target_id from links l join tickets t on t.id = l.ticket_id "
        "where t.key = ? and l.status = 'suggested' order by l.score desc limit 1", (key,)).fetchone()
    conn.close()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vocmine", "--db", str(path), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sign_in = None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
            lines.append(line)
            if "/-/auth-token?token=" in line:
                sign_in = line.strip()
                break
        assert sign_in and sign_in.startswith(f"http://127.0.0.1:{port}/"), "".join(lines)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the server is up when the port answers
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        with Browser() as b:
            tab = b.tab()
            signed = tab.goto(sign_in)
            assert not signed["console_errors"], signed["console_errors"]
            page = tab.goto(f"{base}/-/vocmine/vocmine/links")
            assert not page["console_errors"], page["console_errors"]
            assert tab.evaluate(f"document.querySelectorAll('tr[data-link=\"{link_id}\"]').length") == 1
            done = tab.click(f'tr[data-link="{link_id}"] button[data-decision="accept"]')
            assert not done["console_errors"], done["console_errors"]
            assert f"{key} \u2192 {ttype}:{tid}: accepted" in done["text"]
            assert _status(path, key, ttype, tid) == ("accepted", "serve:root")
            page = tab.goto(f"{base}/-/vocmine/vocmine/entries")
            assert not page["console_errors"], page["console_errors"]
            built = tab.click("#build button")
            assert "entries built or refreshed" in built["text"], built["text"][:500]
            approved = tab.click(f'button[data-approve="{entry_id}"]')
            assert not approved["console_errors"], approved["console_errors"]
            assert "approved: the next vocmine publish shows it" in approved["text"]
            assert tab.evaluate(f"document.querySelector('section[data-entry=\"{entry_id}\"]').dataset.status") \
                == "approved"
            # The table pages work in the browser too, with labels and no console error.
            table = tab.goto(f"{base}/vocmine/links?_size=10")
            assert not table["console_errors"], table["console_errors"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["--db", str(path), "publish", "--out", str(site)])
    assert result.exit_code == 0, result.output
    index = (site / "index.html").read_text(encoding="utf-8")
    assert title in index


def test_serve_without_a_workspace_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert result.exit_code != 0
    assert "none.db" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "none.db").exists()
