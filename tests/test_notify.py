"""Customer notifications on the demo workspace, delivered to a real SMTP server (aiosmtpd) on 127.0.0.1."""
import email
import email.policy
import json
import shutil
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

import vocmine
from vocmine.cli import cli
from vocmine.loop import linked_feedback

SENDER = "news@nimbus.test"
SMTP_PASSWORD = "s3cret-SMTP-pass-991"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg,
                              "login": getattr(session, "login_data", None)})
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and \
            auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=authenticate,
                     auth_require_tls=False)
    ctl.start()
    inbox.port = ctl.port
    yield inbox
    ctl.stop()


@pytest.fixture(scope="module")
def approved_db(demo_dir, tmp_path_factory):
    """The demo with NIM-101's suggested links accepted and its entry (alone) approved."""
    path = tmp_path_factory.mktemp("notify") / "vocmine.db"
    shutil.copy(demo_dir / "vocmine.db", path)
    with vocmine.open(path) as ws:
        for s in ws.suggest_links():
            if s["ticket"] == "NIM-101":
                target = s["target"] if s["target_type"] == "phrase" else f"topic:{s['target_id']}"
                ws.accept_link("NIM-101", target)
        ws.build_entries()
        ws.edit_entry("NIM-101", approve=True)
        with ws.db.conn:  # these tests are about the weight fix alone, whatever else the demo approves
            ws.db.conn.execute("update changes set status = 'draft' where ticket_id != "
                               "(select id from tickets where key = 'NIM-101')")
    return path


@pytest.fixture
def nws(approved_db, tmp_path):
    path = tmp_path / "vocmine.db"
    shutil.copy(approved_db, path)
    w = vocmine.open(path)
    yield w
    w.close()


def _expected(ws):
    """Address -> (language, quote) of consenting customers linked to NIM-101, worked out from the tables."""
    conn = ws.db.conn
    tid = conn.execute("select id from tickets where key = 'NIM-101'").fetchone()[0]
    linked = linked_feedback(conn, tid)
    said_no = {r[0] for r in conn.execute("select lower(contact) from contacts where consent = 0")}
    out, refused = {}, set()
    for fid in sorted(linked, key=lambda f: (linked[f]["created_at"], f)):
        for contact, consent in conn.execute(
                "select c.contact, c.consent from feedback f join contacts c on (c.source = f.source and "
                "c.author = f.author) or c.feedback_id = f.id where f.id = ?", (fid,)):
            a = contact.lower()
            if consent != 1 or a in said_no:
                refused.add(a)
            elif a not in out:
                out[a] = (linked[fid]["language"], linked[fid]["quote"])
    return out, refused - set(out), linked


def _smtp(server, **more):
    return {"host": "127.0.0.1", "port": server.port, "tls": False, "from": SENDER, **more}


def test_each_consenting_customer_gets_one_message_once(nws, smtp_server, tmp_path):
    expected, refused, linked = _expected(nws)
    assert len(expected) >= 10 and refused  # the demo has both kinds linked to the weight fix
    outbox = tmp_path / "outbox"
    r = nws.notify(outbox=outbox, send=True, smtp=_smtp(smtp_server))
    assert (r["queued"], r["sent"], r["failed"], r["pending"]) == (len(expected), len(expected), 0, 0)
    got = {m["to"][0]: m for m in smtp_server.messages}
    assert len(smtp_server.messages) == len(expected) and set(got) == set(expected)
    assert not set(got) & refused  # consent 0, or a "no" on any of their contact rows
    assert len(list(outbox.glob("*.eml"))) == len(expected)
    rows = nws.notifications()
    assert set(rows["status"]) == {"sent"} and rows["sent_at"].notna().all()
    others = {a: q for a, (_lang, q) in expected.items()}
    for address, m in got.items():
        msg = m["msg"]
        assert m["from"] == SENDER and msg["To"] == address and msg["Message-ID"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        lang, quote = expected[address]
        assert msg["Content-Language"] == lang
        assert " ".join(quote.split()) in text  # their own words
        for other, q in others.items():  # nobody else's words or address
            if other != address:
                assert other not in text + html
                if len(q) > 25 and q != quote:
                    assert " ".join(q.split()) not in text + html
    # A second run queues and sends nothing.
    r = nws.notify(outbox=outbox, send=True, smtp=_smtp(smtp_server))
    assert (r["queued"], r["sent"], r["skipped"]["already"]) == (0, 0, len(expected))
    assert len(smtp_server.messages) == len(expected)


def test_korean_customer_gets_korean_and_english_customer_english(nws, smtp_server):
    nws.notify(send=True, smtp=_smtp(smtp_server))
    by_lang = {}
    for m in smtp_server.messages:
        by_lang.setdefault(m["msg"]["Content-Language"], m["msg"])
    ko, en = by_lang["ko"], by_lang["en"]
    ko_text = ko.get_body(("plain",)).get_content()
    assert ko["Subject"].strip().startswith("보내 주신 의견을 반영했습니다")
    assert "2.4.0 버전" in ko_text and "알루미늄 프레임으로 바꿔 28% 가벼워졌고" in ko_text
    assert "What we changed" not in ko_text
    en_text = en.get_body(("plain",)).get_content()
    assert en["Subject"].strip().startswith("What we changed after your feedback")
    assert "In release 2.4.0" in en_text and "28% lighter" in en_text and "바꿨습니다" not in en_text
    assert nws.db.conn.execute("select count(*) from notifications where language = 'ko'").fetchone()[0] >= 3


def test_opted_out_customer_is_never_told(nws, smtp_server):
    expected, _refused, _ = _expected(nws)
    late, other = sorted(expected)[:2]
    r = nws.notify()  # queue only: the outbox is written, nothing sent
    assert r["queued"] == len(expected) and r["sent"] == 0
    files = {p.name for p in (nws.path.parent / "outbox").glob("*.eml")}
    assert len(files) == len(expected)
    # One opts out after being queued; another's address says "no" on a second contact row.
    assert nws.opt_out(late.upper()) >= 1
    with nws.db.conn:
        nws.db.conn.execute("insert into contacts (author, source, contact, consent) values ('x', 'crm', ?, 0)",
                            (other,))
    r = nws.notify(send=True, smtp=_smtp(smtp_server))
    assert (r["queued"], r["cancelled"], r["sent"]) == (0, 2, len(expected) - 2)
    received = {m["to"][0] for m in smtp_server.messages}
    assert late not in received and other not in received
    cancelled = nws.notifications("cancelled")
    assert set(cancelled["contact"]) == {late, other}
    assert len(list((nws.path.parent / "outbox").glob("*.eml"))) == len(expected) - 2  # their .eml removed
    r = nws.notify(send=True, smtp=_smtp(smtp_server))
    assert (r["queued"], r["sent"]) == (0, 0) and {m["to"][0] for m in smtp_server.messages} == received


def test_failed_send_is_retried_and_credentials_stay_secret(nws, smtp_server, monkeypatch):
    expected, _, _ = _expected(nws)
    runner = CliRunner()
    db = str(nws.path)
    # STARTTLS is the default; this server does not offer it: everything fails, nothing is lost.
    r = runner.invoke(cli, ["--db", db, "notify", "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                            str(smtp_server.port), "--from", SENDER])
    assert r.exit_code == 1
    assert f"{len(expected)} message(s) not sent (SMTP server 127.0.0.1:{smtp_server.port} does not offer STARTTLS" \
        in r.output and "retried on the next run" in r.output
    assert smtp_server.messages == []
    failed = nws.notifications("failed")
    assert len(failed) == len(expected) and failed["error"].str.contains("STARTTLS").all()
    # A wrong password: refused login, still failed.
    monkeypatch.setenv("VOCMINE_SMTP_USER", "mailer")
    monkeypatch.setenv("VOCMINE_SMTP_PASSWORD", "wrong-password")
    r = runner.invoke(cli, ["--db", db, "notify", "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                            str(smtp_server.port), "--no-smtp-tls", "--from", SENDER])
    assert r.exit_code == 1 and "refused the login of user 'mailer'" in r.output
    # The right one, from the environment: the failed messages go out now, once.
    monkeypatch.setenv("VOCMINE_SMTP_PASSWORD", SMTP_PASSWORD)
    r = runner.invoke(cli, ["--db", db, "notify", "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
                            str(smtp_server.port), "--no-smtp-tls", "--from", SENDER, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["queued"], out["sent"], out["failed"]) == (0, len(expected), 0)
    assert len(smtp_server.messages) == len(expected)
    assert set(nws.notifications()["status"]) == {"sent"}
    dump = "\n".join(nws.db.conn.iterdump())
    assert SMTP_PASSWORD not in dump and "wrong-password" not in dump and SMTP_PASSWORD not in r.output


def test_cli_dry_run_and_list(nws):
    expected, _, _ = _expected(nws)
    runner = CliRunner()
    db = str(nws.path)
    r = runner.invoke(cli, ["--db", db, "notify", "--dry-run", "--from", SENDER])
    assert r.exit_code == 0, r.output
    lines = [x for x in r.output.splitlines() if x.startswith("would queue")]
    assert len(lines) == len(expected) and any(x.startswith("would queue [ko]") for x in lines)
    assert f"{len(expected)} would be queued, 0 sent" in r.output
    assert nws.db.conn.execute("select count(*) from notifications").fetchone()[0] == 0
    assert not (nws.path.parent / "outbox").exists()
    r = runner.invoke(cli, ["--db", db, "notify", "--company", "Nimbus Gear", "--base-url", "https://nimbus.test/changes"])
    assert r.exit_code == 0 and r.output.startswith(f"{len(expected)} queued, 0 sent")
    eml = sorted((nws.path.parent / "outbox").glob("*.eml"))[0]
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert "Nimbus Gear" in text and "https://nimbus.test/changes/" in text
    r = runner.invoke(cli, ["--db", db, "notifications", "--status", "queued", "--json"])
    assert len(json.loads(r.output)) == len(expected)
    r = runner.invoke(cli, ["--db", db, "notify", "--opt-out", "nobody@nowhere.test"])
    assert r.exit_code == 1 and "no contact 'nobody@nowhere.test' in this workspace" in r.output


def test_draft_entries_tell_nobody(demo_dir, tmp_path):
    path = tmp_path / "d.db"
    shutil.copy(demo_dir / "vocmine.db", path)
    with vocmine.open(path) as ws:
        ws.accept_link("NIM-101", "heavier than expected")
        ws.build_entries()
        with ws.db.conn:  # whatever the demo approved goes back to draft
            ws.db.conn.execute("update changes set status = 'draft'")
        assert {e["status"] for e in ws.entries()} == {"draft"}
        r = ws.notify(dry_run=True)
        assert r["queued"] == 0 and r["messages"] == []
