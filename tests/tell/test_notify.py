"""Customer notifications on the demo workspace, delivered to a real SMTP server (aiosmtpd) on 127.0.0.1."""
import asyncio
import collections
import email
import email.policy
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

import vocmine
from fakes import free_port
from vocmine.cli.main import cli
from vocmine.act.loop import linked_feedback

SENDER = "news@nimbus.test"
SMTP_PASSWORD = "s3cret-SMTP-pass-991"
ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg,
                              "login": getattr(session, "login_data", None)})
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and \
            auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
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


class BlockingInbox(Inbox):
    """Keeps every message, and on the Nth holds the client (at RCPT, or in DATA after taking the
    message) until the test lets go: the moment a sender gets killed."""

    def __init__(self, block_at: int, stage: str):
        super().__init__()
        self.block_at, self.stage = block_at, stage
        self.rcpts = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold(self):
        self.holding.set()
        for _ in range(1200):  # at most a minute, whatever happens to the test
            if self.release.is_set():
                return
            await asyncio.sleep(0.05)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.stage == "rcpt" and self.rcpts == self.block_at and not self.release.is_set():
            await self._hold()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.stage == "data" and len(self.messages) == self.block_at and not self.release.is_set():
            await self._hold()
        return reply


def _notify_process(db, port, *more):
    cmd = [sys.executable, "-m", "vocmine", "--db", str(db), "notify", "--send", "--smtp-host", "127.0.0.1",
           "--smtp-port", str(port), "--no-smtp-tls", "--from", SENDER, *more]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("stage", ["data", "rcpt"])
def test_kill_during_a_send_never_sends_twice(nws, tmp_path, stage):
    """kill -9 while the SMTP server holds the 3rd message, then run again: nobody gets two messages."""
    expected, _, _ = _expected(nws)
    inbox = BlockingInbox(block_at=3, stage=stage)
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    db = nws.path
    nws.close()
    try:
        proc = _notify_process(db, ctl.port)
        try:
            assert inbox.holding.wait(timeout=180), proc.communicate(timeout=30)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        inbox.release.set()
        with vocmine.open(db) as ws:
            status = dict(ws.db.conn.execute("select contact, status from notifications"))
        victim = [a for a, st in status.items() if st == "sending"]
        if stage == "data":
            # The server took the 3rd message; the killed run had recorded its intent, not its result.
            assert len(inbox.messages) == 3 and victim == [inbox.messages[2]["to"][0]]
        else:
            # Killed before DATA: the server has no 3rd message and the row is still queued.
            assert len(inbox.messages) == 2 and victim == []
        assert sum(st == "sent" for st in status.values()) == 2

        again = _notify_process(db, ctl.port)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        received = collections.Counter(m["to"][0] for m in inbox.messages)
        assert set(received) == set(expected) and set(received.values()) == {1}  # each exactly once
        with vocmine.open(db) as ws:
            rows = ws.notifications()
            unknown = ws.notifications("unknown")
        if stage == "data":
            assert list(unknown["contact"]) == victim
            assert "may or may not have it" in unknown["error"].iloc[0] and unknown["attempted_at"].notna().all()
            assert "1 message(s) unknown — check" in err and "--resend-unknown" in err
            assert (rows["status"] == "sent").sum() == len(expected) - 1
            # Sent again only when the operator asks: then that customer has it twice, as documented.
            third = _notify_process(db, ctl.port, "--resend-unknown", "--json")
            out, err = third.communicate(timeout=300)
            assert third.returncode == 0, err
            assert (json.loads(out)["requeued"], json.loads(out)["sent"], json.loads(out)["unknown"]) == (1, 1, 0)
            received = collections.Counter(m["to"][0] for m in inbox.messages)
            assert received[victim[0]] == 2 and sum(received.values()) == len(expected) + 1
        else:
            assert unknown.empty and set(rows["status"]) == {"sent"} and "unknown" not in err
    finally:
        inbox.release.set()
        ctl.stop()


class OverlapInbox(Inbox):
    """Keeps every message; holds the first DATA until a second client has connected (at most
    20 s), then takes each message a little slowly, so two concurrent senders interleave."""

    def __init__(self, delay: float = 0.05):
        super().__init__()
        self.delay = delay
        self.peers = set()
        self.both = asyncio.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.peers.add(session.peer)
        if len(self.peers) >= 2:
            self.both.set()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.messages and not self.both.is_set():
            try:  # under the client's 30 s SMTP timeout
                await asyncio.wait_for(self.both.wait(), timeout=20)
            except asyncio.TimeoutError:
                pass  # the test then fails on its own assertions, not by hanging
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def test_two_concurrent_sends_never_send_twice(nws):
    """Two 'notify --send' runs started together on one workspace: each customer gets one message."""
    expected, _, _ = _expected(nws)
    inbox = OverlapInbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    db = nws.path
    nws.close()
    procs = []
    try:
        procs = [_notify_process(db, ctl.port, "--json") for _ in range(2)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            results.append((p.returncode, out, err))
        for rc, out, err in results:
            assert rc == 0, err
            assert "Traceback" not in out + err and "database is locked" not in (out + err).lower(), err
            # The other run's message in flight is not lost: no false "unknown" alarm that could
            # lead an operator to --resend-unknown and tell a customer twice.
            assert "unknown" not in err, err
            assert json.loads(out)["unknown"] == 0, out
        assert inbox.both.is_set(), "the two runs never talked to the server at the same time"
        received = collections.Counter(m["to"][0] for m in inbox.messages)
        assert set(received) == set(expected) and set(received.values()) == {1}, received  # each exactly once
        sent = [json.loads(out)["sent"] for _rc, out, _err in results]
        assert sum(sent) == len(expected), sent
        with vocmine.open(db) as ws:
            rows = ws.notifications()
        assert len(rows) == len(expected) and set(rows["status"]) == {"sent"}, rows[["contact", "status"]]
        assert len(list((db.parent / "outbox").glob("*.eml"))) == len(expected)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate(timeout=60)
        ctl.stop()


@pytest.mark.parametrize("how", ["connect", "drop"])
def test_a_failing_run_leaves_a_concurrent_runs_send_alone(nws, monkeypatch, how):
    """A run whose connection fails marks its messages failed (retried later), but not one that a
    concurrent run sent after this run read the queue: that would send it a second time."""
    import vocmine.tell.smtp as smtp_mod
    from vocmine.core.errors import ConfigError

    expected, _, _ = _expected(nws)
    assert nws.notify()["queued"] == len(expected)
    conn = nws.db.conn
    last = conn.execute("select max(id) from notifications").fetchone()[0]

    def other_run_sent_it():  # what a concurrent run does meanwhile
        with conn:
            conn.execute("update notifications set status = 'sent', sent_at = 'then' where id = ?", (last,))

    class Dropping:
        before_data = None

        def send_message(self, *a, **k):
            other_run_sent_it()
            raise ConnectionResetError("connection reset by peer")

        def quit(self):
            pass

    def fake_connect(cfg):
        if how == "connect":
            other_run_sent_it()
            raise ConfigError("could not talk to the SMTP server")
        return Dropping()

    monkeypatch.setattr(smtp_mod, "_connect", fake_connect)
    r = nws.notify(send=True, smtp={"host": "127.0.0.1", "port": 1, "tls": False, "from": SENDER})
    status = dict(conn.execute("select id, status from notifications"))
    assert status.pop(last) == "sent"
    assert set(status.values()) == {"failed"} and r["sent"] == 0
