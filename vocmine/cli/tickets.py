"""CLI commands for tickets and customer notifications: ``vocmine tickets ...``, ``vocmine notify``."""
from __future__ import annotations

from typing import Any

import click

from vocmine.cli.main import _echo_json, _records, _workspace

STATUSES = ["open", "in_progress", "done"]


def _ticket_options(required_title: bool):
    def wrap(fn):
        opts = [
            click.option("--title", required=required_title, help="Short title of the ticket."),
            click.option("--body", help="Description; a 'Public note:' / '공개 설명:' section in it sets the public wording."),
            click.option("--status", help="open, in_progress or done (words such as closed, shipped or in review "
                                          "are understood and kept as the tracker status)."),
            click.option("--label", "labels", multiple=True, help="A label; repeat for several (replaces the list)."),
            click.option("--release", help="The release that ships (or shipped) it, e.g. 2.4.0."),
            click.option("--done-at", help="When it shipped (date or date-time; default now when marked done)."),
            click.option("--url", help="Link to the ticket or the change."),
            click.option("--public-en", help="Public wording of what was done, in English."),
            click.option("--public-ko", help="Public wording of what was done, in Korean."),
        ]
        for opt in reversed(opts):
            fn = opt(fn)
        return fn
    return wrap


def _fields(labels: tuple[str, ...], **values: Any) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if v is not None}
    if labels:
        out["labels"] = [x for lb in labels for x in lb.split(",") if x.strip()]
    if "public_en" in out:
        out["public_note_en"] = out.pop("public_en")
    if "public_ko" in out:
        out["public_note_ko"] = out.pop("public_ko")
    return out


def _line(t: dict[str, Any]) -> str:
    extra = [x for x in (t.get("release"), str(t.get("done_at") or "")[:10]) if x]
    raw = f" ({t['tracker_status']})" if t.get("tracker_status") and t["tracker_status"] != t["status"] else ""
    return f"{t['key']} [{t['status']}{raw}] {t['title']}" + (f"  — {', '.join(extra)}" if extra else "")


@click.group()
def tickets() -> None:
    """Improvement tickets: add and update local ones, sync GitHub, Jira or Linear, list them."""


@tickets.command("add")
@click.argument("key")
@_ticket_options(required_title=True)
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@click.pass_context
def tickets_add(ctx: click.Context, key: str, title: str, labels: tuple[str, ...], as_json: bool,
                **values: Any) -> None:
    """Add a ticket KEY to the local tracker (the same ticket again changes nothing)."""
    t = _workspace(ctx).add_ticket(key, title, **_fields(labels, **values))
    if as_json:
        _echo_json(t)
    elif not ctx.obj["quiet"]:
        click.echo(("added " if t["result"] == "new" else "unchanged ") + _line(t))


@tickets.command("update")
@click.argument("key")
@_ticket_options(required_title=False)
@click.option("--tracker", help="The tracker holding KEY when several do (default: local, else the only one).")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@click.pass_context
def tickets_update(ctx: click.Context, key: str, labels: tuple[str, ...], tracker: str | None, as_json: bool,
                   **values: Any) -> None:
    """Change fields of ticket KEY (any tracker); a later sync keeps what you changed here."""
    t = _workspace(ctx, create=False).update_ticket(key, tracker=tracker, **_fields(labels, **values))
    if as_json:
        _echo_json(t)
    elif not ctx.obj["quiet"]:
        click.echo("updated " + _line(t))


@tickets.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only tickets with this (normalised) status.")
@click.option("--tracker", help="Only tickets of this tracker (local, github, jira, linear).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every field).")
@click.pass_context
def tickets_list(ctx: click.Context, status: str | None, tracker: str | None, as_json: bool) -> None:
    """List tickets with their status, release and done date."""
    df = _workspace(ctx, create=False).tickets(status=status, tracker=tracker)
    rows = _records(df)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no tickets (add one with 'vocmine tickets add' or sync a tracker)")
    for t in rows:
        click.echo(f"{t['tracker']:7} " + _line(t))


@tickets.command("sync")
@click.option("--tracker", help="github, jira or linear (default: every repository, project and team synced before).")
@click.option("--repo", help="GitHub repository OWNER/NAME (token: VOCMINE_GITHUB_TOKEN or GITHUB_TOKEN).")
@click.option("--project", help="Jira project key (VOCMINE_JIRA_EMAIL and VOCMINE_JIRA_TOKEN).")
@click.option("--team", help="Linear team key (VOCMINE_LINEAR_API_KEY).")
@click.option("--url", "base_url", help="API base URL (Jira: https://SITE.atlassian.net; GitHub Enterprise: https://HOST/api/v3).")
@click.option("--jql", help="Jira only: more JQL, joined with AND.")
@click.option("--since", help="Ask for tickets updated since this date instead of the saved cursor.")
@click.option("--full", is_flag=True, help="Ignore the saved cursor and read every ticket again.")
@click.option("--max-wait", type=float, help="Seconds this sync may spend waiting out rate limits (default 60).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def tickets_sync(ctx: click.Context, tracker: str | None, repo: str | None, project: str | None, team: str | None,
                 base_url: str | None, jql: str | None, since: str | None, full: bool, max_wait: float | None,
                 as_json: bool) -> None:
    """Pull tickets changed since the last sync from GitHub Issues, Jira Cloud or Linear.

    Tokens come from the environment and are never stored or printed. Re-running adds nothing.
    """
    config: dict[str, Any] = {}
    if tracker:
        scope = {"github": ("repo", repo, "--repo OWNER/NAME"), "jira": ("project", project, "--project KEY"),
                 "linear": ("team", team, "--team KEY")}.get(tracker)
        if scope:
            if not scope[1]:
                raise click.UsageError(f"--tracker {tracker} needs {scope[2]}")
            config[scope[0]] = scope[1]
        else:  # a third-party tracker: pass what was given
            config.update({k: v for k, v in (("repo", repo), ("project", project), ("team", team)) if v})
    if base_url:
        config["base_url"] = base_url
    if jql:
        config["jql"] = jql
    if max_wait is not None:
        config["max_wait"] = max_wait
    quiet = ctx.obj["quiet"] or as_json

    def progress(n: int) -> None:
        if not quiet and n and n % 500 == 0:
            click.echo(f"  {n} tickets read…", err=True)

    r = _workspace(ctx).sync_tickets(tracker, since=since, full=full, progress=progress, **config)
    if as_json:
        _echo_json(r)
        return
    if not ctx.obj["quiet"]:
        for one in r.get("results", [r]):
            bad = f", {one['invalid']} with bad fields" if one.get("invalid") else ""
            bad += f", {one['left_out']} left out" if one.get("left_out") else ""
            click.echo(f"{one['tracker']} {one['scope']}: {one['fetched']} read, {one['new']} new, "
                       f"{one['updated']} updated, {one['unchanged']} unchanged{bad}")
            for problem in one.get("problems") or []:
                click.echo(f"warning: {problem}", err=True)


@click.command()
@click.option("--outbox", type=click.Path(file_okay=False), help="Folder for the .eml files (default: outbox/ beside the workspace).")
@click.option("--send", is_flag=True, help="Also send queued (and earlier failed) messages over SMTP.")
@click.option("--smtp-host", help="SMTP server (default VOCMINE_SMTP_HOST or localhost).")
@click.option("--smtp-port", type=int, help="SMTP port (default VOCMINE_SMTP_PORT, else 587 with STARTTLS, 25 without).")
@click.option("--smtp-user", help="SMTP login (default VOCMINE_SMTP_USER); the password only from VOCMINE_SMTP_PASSWORD.")
@click.option("--smtp-tls/--no-smtp-tls", default=True, show_default=True,
              help="Use STARTTLS (turn off only for a server on a trusted network).")
@click.option("--smtp-ssl", is_flag=True, help="Connect with implicit TLS (port 465) instead of STARTTLS.")
@click.option("--from", "sender", help="Sender address (default VOCMINE_SMTP_FROM).")
@click.option("--company", help="Company name that signs the messages.")
@click.option("--base-url", help="Address of the published changelog site, to link each entry's page.")
@click.option("--templates", type=click.Path(exists=True, file_okay=False),
              help="Folder with your own notify_<lang>.txt.j2 / .html.j2 templates.")
@click.option("--opt-out", "opt_out", multiple=True, metavar="ADDRESS",
              help="Record that ADDRESS wants no messages (repeatable), then stop.")
@click.option("--dry-run", is_flag=True, help="Only show what would be queued; write and send nothing.")
@click.option("--resend-unknown", is_flag=True,
              help="Queue again the messages whose send was interrupted (status unknown; the customer may "
                   "already have them: check the mail server's log first).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def notify(ctx: click.Context, outbox: str | None, send: bool, smtp_host: str | None, smtp_port: int | None,
           smtp_user: str | None, smtp_tls: bool, smtp_ssl: bool, sender: str | None, company: str | None,
           base_url: str | None, templates: str | None, opt_out: tuple[str, ...], dry_run: bool,
           resend_unknown: bool, as_json: bool) -> None:
    """Tell customers what changed: one email per consenting customer per approved entry, only once.

    Messages go to the outbox as .eml files and, with --send, over SMTP. Opted-out customers
    are never written to; a failed send is retried on the next run. A send interrupted after it
    began (a kill, a lost connection) is marked unknown and sent again only with --resend-unknown.
    """
    ws = _workspace(ctx, create=False)
    if opt_out:
        n = sum(ws.opt_out(a) for a in opt_out)
        if not ctx.obj["quiet"]:
            click.echo(f"opted out {len(opt_out)} address(es) ({n} contact rows)")
        return
    smtp = {k: v for k, v in (("host", smtp_host), ("port", smtp_port), ("user", smtp_user), ("from", sender))
            if v}
    smtp["tls"] = smtp_tls and not smtp_ssl
    smtp["ssl"] = smtp_ssl
    site = {k: v for k, v in (("company", company), ("base_url", base_url)) if v} or None
    requeued = 0
    if resend_unknown and not dry_run:
        from vocmine.tell.notify import resend_unknown as requeue

        requeued = requeue(ws)
    r = ws.notify(outbox=outbox, send=send, smtp=smtp, dry_run=dry_run, site=site, template_dir=templates)
    if as_json:
        _echo_json({**r, "requeued": requeued})
    elif not ctx.obj["quiet"]:
        if requeued:
            click.echo(f"{requeued} unknown message(s) queued again")
        if dry_run:
            for m in r.get("messages", []):
                click.echo(f"would queue [{m['language']}] {m['change']} → {m['to']}: {m['subject']}")
        sk = r["skipped"]
        click.echo(f"{r['queued']} {'would be ' if dry_run else ''}queued, {r['sent']} sent, {r['failed']} failed, "
                   f"{r['cancelled']} cancelled, {r['pending']} waiting; left out: {sk.get('already', 0)} already "
                   f"told, {sk.get('no_consent', 0)} without consent, {sk.get('not_email', 0)} not an email")
        if r.get("quotes_withheld"):
            click.echo(f"left out {r['quotes_withheld']} quotes that still matched a personal-data pattern")
        if r["queued"] and not dry_run:
            click.echo(f"outbox: {r['outbox']}")
    for e in r.get("errors", []):
        click.echo(f"warning: {e}", err=True)
    if r.get("unknown"):
        click.echo(f"warning: {r['unknown']} message(s) unknown — check: a send began but its result was never "
                   "recorded, so the customer may or may not have it; see 'vocmine notifications --status unknown', "
                   "check the mail server's log, and send again only with 'vocmine notify --send --resend-unknown'",
                   err=True)
    if r.get("failed"):
        why = r.get("error") or "see 'vocmine notifications --status failed'"
        raise click.ClickException(f"{r['failed']} message(s) not sent ({why}); they are retried on the next run")


@click.command()
@click.option("--status", type=click.Choice(["queued", "sending", "sent", "failed", "unknown", "cancelled"]),
              help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def notifications(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List the customers told (or queued, failed, unknown, cancelled) about each entry."""
    df = _workspace(ctx, create=False).notifications(status)
    rows = _records(df)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no notifications yet (approve entries, then run 'vocmine notify')")
    for n in rows:
        when = str(n["sent_at"] or n["created_at"] or "")[:16]
        click.echo(f"#{n['id']} [{n['status']}] {n['ticket']} → {n['contact']} ({n['language']}) {when}"
                   + (f"  {n['error']}" if n["error"] else ""))


def register(cli: click.Group) -> None:
    """Add these commands to the ``vocmine`` group."""
    for cmd in (tickets, notify, notifications):
        cli.add_command(cmd)

