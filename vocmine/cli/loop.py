"""CLI commands for trends and the loop: ``vocmine trends``, ``vocmine link ...``, ``vocmine entries ...``."""
from __future__ import annotations


import click

from vocmine.cli.main import _check_slice, _echo_json, _records, _workspace


@click.command()
@click.option("--by", type=click.Choice(["topic", "parent", "phrase", "category"]), default="topic", show_default=True,
              help="What to follow week by week (parent: topic families, the cause level).")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="Only this language.")
@click.option("--source", help="Only this source.")
@click.option("--product", help="Only this product.")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week", show_default=True,
              help="Count per day, ISO week or month.")
@click.option("--weeks", default=8, show_default=True, help="Periods to show (the most recent).")
@click.option("--all-segments", is_flag=True, help="Count all segments, not only complaints.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every week, every key).")
@click.pass_context
def trends(ctx: click.Context, by: str, lang: str | None, source: str | None, product: str | None, period: str,
           weeks: int, all_segments: bool, as_json: bool) -> None:
    """Complaint volume per topic, phrase or category per day, week or month, with spikes (±2σ of
    the 8 periods before; judged only with 3 earlier periods or more) and new ones."""
    ws = _workspace(ctx, create=False)
    if not _check_slice(ws, source, product) and not as_json:
        return
    df = ws.trends(by, lang=lang, source=source, complaints_only=not all_segments, product=product, period=period)
    if as_json:
        _echo_json(_records(df))
        return
    if df.empty:
        click.echo("no trends yet (run 'vocmine analyze' and 'vocmine topics' first)")
        return
    shown = sorted(df["period"].unique())[-weeks:]
    recent = df[df["period"].isin(shown)]
    order = recent.groupby("key")["volume"].sum().sort_values(ascending=False)
    click.echo(f"{'':32} " + " ".join(w[-(2 if period != "week" else 3):].rjust(4) for w in shown))
    for key in order.index[:20]:
        rows = recent[recent["key"] == key].set_index("period")
        name = str(rows["name"].iloc[0] or key)[:32]
        cells = []
        for w in shown:
            r = rows.loc[w]
            mark = "▲" if r["spike"] == "up" else "▼" if r["spike"] == "down" else "*" if r["new"] else " "
            cells.append(f"{int(r['volume']):>3}{mark}")
        click.echo(f"{name:32} " + " ".join(cells))
    click.echo(f"▲ spike up, ▼ spike down (beyond 2σ of the 8 {period}s before), * new")


@click.group()
def link() -> None:
    """Link tickets to what customers said: suggest, accept, reject, list."""


@link.command("suggest")
@click.option("--min-score", default=0.35, show_default=True, help="Hide weaker suggestions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def link_suggest(ctx: click.Context, min_score: float, as_json: bool) -> None:
    """Rank ticket ↔ phrase/topic matches with score and evidence (rejected pairs never come back)."""
    rows = _workspace(ctx, create=False).suggest_links(min_score=min_score)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no suggestions (add or sync tickets, and run 'vocmine analyze' first)")
    for r in rows:
        click.echo(f"{r['ticket']} ↔ {r['target_type']} \"{r['target']}\"  score {r['score']:.2f}")
        for e in r["evidence"]:
            click.echo(f"    {e}")


def _decide(ctx: click.Context, ticket: str, target: str, topic: bool, status: str) -> None:
    ws = _workspace(ctx, create=False)
    fn = ws.accept_link if status == "accepted" else ws.reject_link
    r = fn(ticket, target, target_type="topic" if topic else None)
    if not ctx.obj["quiet"]:
        click.echo(f"{status} {ticket} ↔ {r['target_type']} {target}")


@link.command("accept")
@click.argument("ticket")
@click.argument("target")
@click.option("--topic", is_flag=True, help="TARGET is a topic id (same as writing topic:ID).")
@click.pass_context
def link_accept(ctx: click.Context, ticket: str, target: str, topic: bool) -> None:
    """Accept a link from TICKET (its key) to TARGET (a phrase's words, or topic:ID)."""
    _decide(ctx, ticket, target, topic, "accepted")


@link.command("reject")
@click.argument("ticket")
@click.argument("target")
@click.option("--topic", is_flag=True, help="TARGET is a topic id (same as writing topic:ID).")
@click.pass_context
def link_reject(ctx: click.Context, ticket: str, target: str, topic: bool) -> None:
    """Reject a link: the pair is never suggested again."""
    _decide(ctx, ticket, target, topic, "rejected")


@link.command("list")
@click.option("--status", type=click.Choice(["suggested", "accepted", "rejected"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def link_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List links with their status and score."""
    df = _workspace(ctx, create=False).links(status)
    if as_json:
        _echo_json(df.to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no links")
    for r in df.itertuples():
        click.echo(f"[{r.status}] {r.ticket} ↔ {r.target_type} \"{r.target}\" ({r.score:.2f})")


@click.group()
def entries() -> None:
    """"You said, we did" entries: build drafts from shipped tickets, edit, approve, list."""


@entries.command("build")
@click.option("--weeks", default=4, show_default=True, help="Weeks before and after the ship date to compare.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entries_build(ctx: click.Context, weeks: int, as_json: bool) -> None:
    """Create or refresh a draft for every shipped ticket with accepted links."""
    rows = _workspace(ctx, create=False).build_entries(weeks=weeks)
    if as_json:
        _echo_json(rows)
        return
    _print_entries(rows)


@entries.command("list")
@click.option("--status", type=click.Choice(["draft", "approved"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entries_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List entries with what customers said, what was done and the evidence."""
    rows = _workspace(ctx, create=False).entries(status)
    if as_json:
        _echo_json(rows)
        return
    _print_entries(rows)


@entries.command("edit")
@click.argument("entry")
@click.option("--title-en", help="Public title in English.")
@click.option("--title-ko", help="Public title in Korean.")
@click.option("--did-en", help="What was done, in English (public wording).")
@click.option("--did-ko", help="What was done, in Korean (public wording).")
@click.option("--approve", is_flag=True, help="Approve it for publishing as well.")
@click.pass_context
def entries_edit(ctx: click.Context, entry: str, approve: bool, **wording: str | None) -> None:
    """Edit ENTRY's public wording (id, slug or ticket key); edits survive later builds."""
    r = _workspace(ctx, create=False).edit_entry(entry, approve=approve, **wording)
    if not ctx.obj["quiet"]:
        click.echo(f"entry {r['id']} ({r['ticket']}) is {r['status']}")


@entries.command("approve")
@click.argument("entry", nargs=-1, required=True)
@click.pass_context
def entries_approve(ctx: click.Context, entry: tuple[str, ...]) -> None:
    """Approve ENTRY (id, slug or ticket key) for the changelog site and notifications."""
    ws = _workspace(ctx, create=False)
    for e in entry:
        r = ws.edit_entry(e, approve=True)
        if not ctx.obj["quiet"]:
            click.echo(f"approved entry {r['id']} ({r['ticket']})")


def _print_entries(rows: list[dict]) -> None:
    if not rows:
        click.echo("no entries (accept links from shipped tickets first: 'vocmine link suggest')")
    for e in rows:
        ev = e["evidence"]
        b, a = ev.get("before", {}), ev.get("after", {})
        click.echo(f"#{e['id']} [{e['status']}] {e['ticket']} {e['release'] or ''} shipped {str(e['shipped_at'])[:10]}")
        for lang, s in e["said"].items():
            exact = s.get("phrase_customers")
            linked = s.get("linked_customers", s.get("customers"))
            said = (f"{exact} customers word for word, {linked} linked in all" if exact is not None
                    else f"{linked} customers linked")
            click.echo(f"    you said ({lang}): \"{s['phrase']}\" — {said}, since {s['since']}")
        click.echo(f"    we did: {e['did']['en']}")
        if b.get("rate") is not None and a.get("rate") is not None:
            click.echo(f"    complaints {b['complaints']}/{b['feedback']} ({b['rate']:.1%}) in the {b['weeks']} weeks "
                       f"before → {a['complaints']}/{a['feedback']} ({a['rate']:.1%}) after")


def register(cli: click.Group) -> None:
    """Add these commands to the ``vocmine`` group."""
    for cmd in (trends, link, entries):
        cli.add_command(cmd)
