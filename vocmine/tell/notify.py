"""Tell customers what changed: one email per consenting customer per approved entry, once.

``notify(ws)`` plans, writes and (with ``send=True``) delivers:

1. **Plan.** For each approved change, the feedback behind its accepted links
   (``loop.linked_feedback``) leads to contacts (same source and author pseudonym, or the
   contact's own feedback row). A contact is told only when it consents (``contacts.consent =
   1``), is an email address, and no contact row with the same address says no: one "no"
   anywhere wins. One message per address per change, in the language of that customer's
   earliest linked feedback (en/ko; others fall back to English).
2. **Queue.** Each new message is rendered by ``vocmine.tell.publish.render_message`` (only this
   customer's own words and the entry's public wording reach it), recorded in
   ``notifications`` as ``queued`` (unique per change and address, so a re-run queues none)
   and written to the outbox as ``<id>-<slug>.eml``.
3. **Send** (``send=True``). Queued and earlier failed messages go out over SMTP (STARTTLS by
   default; user and password from ``smtp`` or $VOCMINE_SMTP_USER / $VOCMINE_SMTP_PASSWORD).
   Just before a message's SMTP DATA begins, its row is claimed as ``sending`` (the intent); the
   server's answer makes it ``sent`` or ``failed`` (the result). A failed one is retried on the
   next run. A customer who opted out after being queued is ``cancelled`` and their .eml removed.

**At most once.** A run killed (or a connection lost) between the intent and the result leaves a
row that may or may not have been delivered; the next run marks it ``unknown`` and never sends it
on its own. ``resend_unknown`` (``vocmine notify --resend-unknown``) queues those again, for an
operator who checked the mail server's log. A kill before DATA began leaves the row ``queued``:
the server had no message, so the next run sends it. See docs/notifications.md.
"""
from __future__ import annotations

import email.policy
import email.utils
import logging
import os
import re
import smtplib
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocmine.core.dates import now_iso
from vocmine.core.errors import ConfigError
from vocmine.tell.smtp import DEFAULT_FROM, Refused, SmtpNotifier, _Claimed, _sender, _smtp_settings, get_notifier  # noqa: F401

if TYPE_CHECKING:
    from vocmine.core.store import Store
    import pandas as pd

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
# sending: claimed, SMTP DATA under way; unknown: a sending row whose run ended without a result.
STATUSES = ("queued", "sending", "sent", "failed", "unknown", "cancelled")
_LANGS = ("en", "ko")


def _address(contact: str | None) -> str | None:
    """Return the contact as a lower-case email address, None when it is not one (e.g. a phone)."""
    value = (contact or "").strip().strip("<>").lower()
    return value if EMAIL_RE.match(value) else None


def consenting(conn, address: str) -> bool:
    """Return True when some contact row with ``address`` consents and none says no."""
    rows = [r[0] for r in conn.execute("select consent from contacts where lower(trim(contact)) = ?", (address,))]
    return bool(rows) and all(r == 1 for r in rows)


def plan(ws: "Store") -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Return (the messages approved changes call for, counts of contacts left out and why).

    Each message is {change_id, entry, contact, author, feedback_id, language, said,
    feedback_at}; it may already be in ``notifications`` (the caller skips those).
    """
    from vocmine.act.entries import entries, linked_feedback

    conn = ws.db.conn
    skipped = {"no_consent": 0, "not_email": 0}
    out: list[dict[str, Any]] = []
    approved = {e["id"]: e for e in entries(ws, "approved")}
    for change_id, ticket_id in conn.execute("select id, ticket_id from changes where status = 'approved' "
                                             "order by id").fetchall():
        entry = approved.get(change_id)
        linked = linked_feedback(conn, ticket_id)
        if not entry or not linked:
            continue
        marks = ",".join("?" * len(linked))
        rows = conn.execute(
            f"select f.id, f.created_at, f.language, c.contact, c.author, c.consent from feedback f "
            f"join contacts c on (c.source = f.source and c.author = f.author) or c.feedback_id = f.id "
            f"where f.id in ({marks}) order by f.created_at, f.id", list(linked)).fetchall()
        chosen: dict[str, dict[str, Any]] = {}
        refused: set[str] = set()
        for fid, created, flang, contact, author, consent in rows:
            address = _address(contact)
            if address is None:
                skipped["not_email"] += 1
                continue
            if address in chosen or address in refused:
                continue
            if consent != 1 or not consenting(conn, address):
                refused.add(address)
                continue
            link = linked[fid]
            lang = link.get("language") if link.get("language") in _LANGS else flang
            chosen[address] = {
                "change_id": change_id, "entry": entry, "contact": address, "author": author, "feedback_id": fid,
                "language": lang if lang in _LANGS else "en", "said": link.get("quote") or "",
                "feedback_at": created,
            }
        skipped["no_consent"] += len(refused)
        out.extend(chosen.values())
    return out, skipped


def build_message(item: Mapping[str, Any], sender: str, *, site: Mapping[str, Any] | None = None,
                  template_dir=None, gate: Any = None) -> EmailMessage:
    """Return the email for one planned message (text, plus HTML when the template exists).

    ``gate`` (a ``vocmine.tell.publish.gate.Gate``) counts what the privacy gate held back."""
    from vocmine.tell.publish import render_message

    customer = {"said": item.get("said") or "", "feedback_at": item.get("feedback_at")}
    try:
        rendered = render_message(item["entry"], customer, item["language"], site=site, template_dir=template_dir,
                                  gate=gate)
    except ConfigError as exc:
        if "no message template" not in str(exc) or item["language"] == "en":
            raise
        rendered = render_message(item["entry"], customer, "en", site=site, template_dir=template_dir, gate=gate)
    msg = EmailMessage()
    msg["Subject"] = rendered["subject"]
    msg["From"] = sender
    msg["To"] = item["contact"]
    msg["Date"] = email.utils.formatdate(usegmt=True)
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    msg["Message-ID"] = email.utils.make_msgid(idstring=f"vocmine.{item['change_id']}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered["body_text"], charset="utf-8")
    if rendered.get("body_html"):
        msg.add_alternative(rendered["body_html"], subtype="html", charset="utf-8")
    msg["Content-Language"] = item["language"]  # after set_content, which drops Content-* headers
    return msg


def _eml_path(outbox: Path, notification_id: int, slug: str) -> Path:
    safe = re.sub(r"[^a-z0-9._-]+", "-", (slug or "entry").lower())[:60]
    return outbox / f"{notification_id:06d}-{safe}.eml"


def notify(ws: "Store", outbox: str | os.PathLike | None = None, send: bool = False, smtp: Mapping[str, Any] | None = None,
           dry_run: bool = False, site: Mapping[str, Any] | None = None, template_dir=None,
           notifier: str | Any = "smtp") -> dict[str, Any]:
    """Queue (and with ``send=True`` deliver) the messages approved changes call for; return counts.

    ``outbox`` defaults to the folder ``outbox`` beside the workspace. ``site`` gives the company
    that signs and the changelog's base_url that links each message (default: the workspace's
    ``site.company`` / ``site.base_url`` settings, saved by ``publish``). ``smtp`` holds host, port,
    user, password, tls (STARTTLS, default True), ssl (implicit TLS), timeout and from; missing
    ones come from $VOCMINE_SMTP_HOST, $VOCMINE_SMTP_PORT, $VOCMINE_SMTP_USER,
    $VOCMINE_SMTP_PASSWORD and $VOCMINE_SMTP_FROM. ``dry_run`` writes and sends nothing and lists
    what would be queued. ``notifier`` is the registered notifier that delivers (``smtp``; see
    ``vocmine.core.roles.Notifier``). Returns {queued, sent, failed, cancelled, pending, skipped,
    outbox, files, errors, messages (dry run only)}.
    """
    if isinstance(notifier, str):
        from vocmine.core import plugins

        plugins.check("vocmine.notifiers", notifier)  # a wrong name fails before anything is queued
    conn = ws.db.conn
    box = Path(outbox) if outbox else ws.path.parent / "outbox"
    sender = _sender(smtp)
    # The changelog site's settings (saved by 'vocmine publish') sign and link the messages.
    site = dict(site or {})
    for name in ("company", "base_url"):
        if not site.get(name) and ws.setting(f"site.{name}"):
            site[name] = ws.setting(f"site.{name}")
    if not re.match(r"^[^@\s]+@[^@\s]+$", email.utils.parseaddr(sender)[1] or ""):
        raise ConfigError(f"sender {sender!r} is not an email address; pass --from ADDRESS or set VOCMINE_SMTP_FROM")
    result: dict[str, Any] = {"queued": 0, "sent": 0, "failed": 0, "cancelled": 0, "pending": 0, "unknown": 0,
                              "skipped": {},
                              "outbox": str(box), "files": [], "errors": [], "dry_run": bool(dry_run)}
    items, skipped = plan(ws)
    told = {(c, a) for c, a in conn.execute("select change_id, contact from notifications")}
    new = [i for i in items if (i["change_id"], i["contact"]) not in told]
    skipped["already"] = len(items) - len(new)
    result["skipped"] = skipped
    if dry_run:
        result["messages"] = []
        for item in new:
            try:
                msg = build_message(item, sender, site=site, template_dir=template_dir)
            except ConfigError as exc:
                result["errors"].append(f"change {item['entry']['slug']}: {exc}")
                continue
            result["messages"].append({"change": item["entry"]["slug"], "to": item["contact"],
                                       "language": item["language"], "subject": msg["Subject"]})
        result["queued"] = len(result["messages"])
        result["pending"] = conn.execute(
            "select count(*) from notifications where status in ('queued', 'failed')").fetchone()[0] + result["queued"]
        return result
    smtp_params = {k: v for k, v in _smtp_settings(smtp).items() if k not in ("password",)} if send else None
    params = {"outbox": str(box), "send": send, "smtp": smtp_params, "site": site}
    from vocmine.tell.publish.files import write_atomic
    from vocmine.tell.publish.gate import Gate

    gate = Gate()
    with ws.run("notify", params) as counts:
        if new:
            box.mkdir(parents=True, exist_ok=True)
        for item in new:
            try:
                msg = build_message(item, sender, site=site, template_dir=template_dir, gate=gate)
            except ConfigError as exc:
                result["errors"].append(f"change {item['entry']['slug']}: {exc}")
                log.warning("notify: change %s: %s", item["entry"]["slug"], exc)
                continue
            body = msg.get_body(("plain",))
            assert body is not None  # build_message always writes a plain-text part
            text = body.get_content()
            with conn:
                # A concurrent run may have queued this one since this run planned: then it is theirs.
                cur = conn.execute(
                    "insert into notifications (change_id, contact, author, feedback_id, language, status, subject, "
                    "body, message_id, created_at) values (?,?,?,?,?, 'queued', ?,?,?,?) "
                    "on conflict (change_id, contact) do nothing",
                    (item["change_id"], item["contact"], item["author"], item["feedback_id"], item["language"],
                     str(msg["Subject"]), text, str(msg["Message-ID"]), now_iso()))
                if cur.rowcount != 1:
                    skipped["already"] += 1
                    continue
                # Written before the row commits, so a concurrent run's send finds the whole file.
                assert cur.lastrowid is not None  # one row was inserted (rowcount 1)
                path = _eml_path(box, cur.lastrowid, item["entry"]["slug"])
                write_atomic(path, msg.as_bytes(policy=email.policy.default))
            result["files"].append(str(path))
            result["queued"] += 1
        counts["queued"] = result["queued"]
        counts.update(gate.counts())  # what the privacy gate held back from the messages
        result.update(gate.counts())
        if send:
            result.update(deliver(ws, box, smtp, notifier=notifier))
            counts.update({k: result[k] for k in ("sent", "failed", "cancelled")})
        result["pending"] = conn.execute(
            "select count(*) from notifications where status in ('queued', 'failed')").fetchone()[0]
        result["unknown"] = _unknown_count(conn)
        counts["pending"] = result["pending"]
        counts["unknown"] = result["unknown"]
    log.info("notify: %s queued, %s sent, %s failed, %s cancelled", result["queued"], result["sent"],
             result["failed"], result["cancelled"])
    return result


def deliver(ws: "Store", outbox: str | os.PathLike, smtp: Mapping[str, Any] | None = None,
            notifier: str | Any = "smtp") -> dict[str, Any]:
    """Send queued and failed messages of approved changes; return {sent, failed, cancelled, unknown}.

    Each message is claimed (``sending``) just before its SMTP DATA and marked ``sent`` or
    ``failed`` after the server answers. Rows a killed run left ``sending`` become ``unknown``
    and are not sent again (see ``resend_unknown``). A connection or login failure marks every
    message it was to carry ``failed`` with the reason (retried on the next run) and is reported
    in the result's ``error``. ``notifier`` names a registered notifier (``vocmine.notifiers``;
    default ``smtp``, built from ``smtp``) or is one (see ``vocmine.core.roles.Notifier``).
    """
    conn = ws.db.conn
    box = Path(outbox)
    cfg = _smtp_settings(smtp)
    out: dict[str, Any] = {"sent": 0, "failed": 0, "cancelled": 0, "unknown": _mark_unknown(conn)}
    rows = conn.execute(
        "select n.id, n.contact, n.subject, n.body, n.message_id, c.slug from notifications n "
        "join changes c on c.id = n.change_id where n.status in ('queued', 'failed') and c.status = 'approved' "
        "order by n.id").fetchall()
    todo = []
    for nid, contact, subject, body, message_id, slug in rows:
        path = _eml_path(box, nid, slug)
        if not consenting(conn, contact):
            with conn:
                conn.execute("update notifications set status = 'cancelled', error = ? where id = ?",
                             ("the customer opted out before it was sent", nid))
            path.unlink(missing_ok=True)
            out["cancelled"] += 1
            continue
        todo.append((nid, contact, subject, body, message_id, path))
    if not todo:
        return out
    notifier = get_notifier(notifier, smtp)
    try:
        notifier.open()
    except ConfigError as exc:
        with conn:
            conn.executemany("update notifications set status = 'failed', error = ? where id = ? "
                             "and status in ('queued', 'failed')",  # not one a concurrent run took since
                             [(str(exc), t[0]) for t in todo])
        out["failed"] = len(todo)
        out["error"] = str(exc)
        log.warning("notify: %s", exc)
        return out
    try:
        for i, (nid, contact, subject, body, message_id, path) in enumerate(todo):
            msg = _load(path, cfg["from"], contact, subject, body, message_id)
            claimed = [False]

            def claim(nid: int = nid) -> None:
                # The intent, committed before the server can have the message; the compare-and-set
                # keeps a second, concurrent run from sending it too.
                with conn:
                    cur = conn.execute("update notifications set status = 'sending', attempted_at = ?, error = null "
                                       "where id = ? and status in ('queued', 'failed')", (now_iso(), nid))
                if cur.rowcount != 1:
                    raise _Claimed(nid)
                claimed[0] = True

            try:
                notifier.send(msg, contact, claim)
            except _Claimed:
                continue
            except Refused as exc:
                _fail(conn, nid, str(exc), mine=claimed[0])  # the server said no
                out["failed"] += 1
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # The connection broke. Before DATA nothing was delivered: retried on the next run.
                # During DATA the server may have it: unknown, never resent on its own.
                if claimed[0]:
                    _unknown(conn, nid, f"the connection broke during the send ({type(exc).__name__}: {exc})")
                    out["unknown"] += 1
                left = [t[0] for t in todo[i:] if not (claimed[0] and t[0] == nid)]
                for other in left:
                    _fail(conn, other, f"{type(exc).__name__}: {exc}", mine=False)
                out["failed"] += len(left)
                out["error"] = f"SMTP connection lost: {exc}"
                break
            with conn:
                conn.execute("update notifications set status = 'sent', sent_at = ?, error = null where id = ?",
                             (now_iso(), nid))
            out["sent"] += 1
    finally:
        notifier.close()
    return out


_UNKNOWN_WHY = ("its send began at {at} and its result was never recorded (the run was killed or lost the "
                "connection): the customer may or may not have it; check the mail server's log, then "
                "'vocmine notify --send --resend-unknown' sends it again")


def _unknown(conn, nid: int, error: str) -> None:
    with conn:
        conn.execute("update notifications set status = 'unknown', error = ? where id = ?", (error[:500], nid))


def _other_senders(conn) -> list[int]:
    """Return the pids of other notify runs that are alive: their ``sending`` rows are in flight."""
    from vocmine.core.db import process_alive

    return [pid for (pid,) in conn.execute("select pid from runs where stage = 'notify' and status = 'running'")
            if pid and pid != os.getpid() and process_alive(pid)]


def _unknown_count(conn) -> int:
    """Return how many messages may or may not have reached their customer (not counting another
    live run's messages in flight)."""
    statuses = "('unknown')" if _other_senders(conn) else "('sending', 'unknown')"
    return conn.execute(f"select count(*) from notifications where status in {statuses}").fetchone()[0]


def _mark_unknown(conn) -> int:
    """Turn rows left ``sending`` by a run that ended without a result into ``unknown``; return how many.

    While another notify run is alive, its ``sending`` rows are in flight, not lost: nothing is
    marked then (a row a dead run left behind is marked by the next run that finds no other alive).
    """
    if _other_senders(conn):
        return 0
    with conn:
        rows = conn.execute("select id, attempted_at from notifications where status = 'sending'").fetchall()
        for nid, at in rows:
            # A still-running concurrent sender's row is set right again by its own result update.
            conn.execute("update notifications set status = 'unknown', error = ? where id = ? and status = 'sending'",
                         (_UNKNOWN_WHY.format(at=at or "an unknown time"), nid))
    for nid, at in rows:
        log.warning("notify: message #%s is unknown: %s", nid, _UNKNOWN_WHY.format(at=at or "an unknown time"))
    return len(rows)


def resend_unknown(ws: "Store", ids: Iterable[int] | None = None) -> int:
    """Queue again the messages whose send was interrupted (``unknown``); return how many.

    Only for an operator who checked the mail server's log: such a customer may already have the
    message, and this can tell them twice. ``ids`` limits it to those notification ids; the next
    ``notify(send=True)`` sends them.
    """
    conn = ws.db.conn
    _mark_unknown(conn)
    sql = "update notifications set status = 'queued', error = ? where status = 'unknown'"
    args: list[Any] = [f"queued again by the operator at {now_iso()} after an interrupted send"]
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        sql += f" and id in ({','.join('?' * len(ids))})"
        args += ids
    with conn:
        return conn.execute(sql, args).rowcount


def _fail(conn, nid: int, error: str, mine: bool = True) -> None:
    """Mark a message failed: one this run claimed, or (``mine=False``) one still waiting, never
    one a concurrent run has claimed or sent since this run read it."""
    guard = "" if mine else " and status in ('queued', 'failed')"
    with conn:
        conn.execute(f"update notifications set status = 'failed', error = ? where id = ?{guard}", (error[:500], nid))


def _load(path: Path, sender: str, contact: str, subject: str, body: str, message_id: str) -> EmailMessage:
    """Return the queued message from the outbox, or rebuilt from its row when the file is gone."""
    if path.exists():
        import email as email_pkg

        msg = email_pkg.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    else:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["To"] = contact
        msg["Date"] = email.utils.formatdate(usegmt=True)
        msg["Message-ID"] = message_id
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body or "", charset="utf-8")
    del msg["From"]
    msg["From"] = sender
    del msg["To"]
    msg["To"] = contact  # the row decides the recipient, whatever the file says
    return msg


def notifications(ws: "Store", status: str | None = None) -> "pd.DataFrame":
    """Return the notifications table (with the entry's slug and ticket), newest first."""
    import pandas as pd

    valid = STATUSES
    if status is not None and status not in valid:
        raise ConfigError(f"unknown notification status {status!r}; available: {', '.join(valid)}")
    sql = ("select n.id, c.slug as entry, t.key as ticket, n.contact, n.author, n.feedback_id, n.language, n.status, "
           "n.subject, n.message_id, n.error, n.created_at, n.attempted_at, n.sent_at from notifications n "
           "join changes c on c.id = n.change_id join tickets t on t.id = c.ticket_id")
    args: list[Any] = []
    if status:
        sql += " where n.status = ?"
        args.append(status)
    return pd.read_sql_query(sql + " order by n.id desc", ws.db.conn, params=args)


def opt_out(ws: "Store", contact: str) -> int:
    """Record that ``contact`` (an email address) wants no messages; returns the contact rows changed.

    Messages still queued for it are cancelled on the next send.
    """
    address = _address(contact) or (contact or "").strip().lower()
    with ws.db.conn:
        cur = ws.db.conn.execute("update contacts set consent = 0, updated_at = ? where lower(trim(contact)) = ?",
                                 (now_iso(), address))
    if not cur.rowcount:
        raise ConfigError(f"no contact {contact!r} in this workspace")
    return cur.rowcount

