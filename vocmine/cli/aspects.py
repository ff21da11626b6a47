"""CLI for the aspect view: ``vocmine aspects`` and ``vocmine aspects show ASPECT``."""
from __future__ import annotations

import click

from vocmine.cli.main import _check_slice, _echo_json, _workspace


def _trend(t: float) -> str:
    """The trend in words; "-" when there is too little history to judge (NaN)."""
    if t != t:
        return "-"
    return "rising" if t >= 1.5 else "falling" if t <= 0.67 else "steady"


@click.group(invoke_without_command=True)
@click.option("--since", help="Only feedback created on or after this date.")
@click.option("--until", help="Only feedback created before this date.")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="Only this language.")
@click.option("--source", help="Only this source.")
@click.option("--product", help="Only this product.")
@click.option("--rating", help="Only feedback with this rating or range, e.g. 1-2.")
@click.option("--min-customers", default=2, show_default=True, help="Hide aspects fewer customers complained about.")
@click.option("--limit", default=30, show_default=True, help="Most aspects to show.")
@click.option("--min-score", type=float, default=None,
              help="Only aspects complaints mention at least this much more than other feedback "
                   "(log-odds; 0: as much as elsewhere).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def aspects(ctx: click.Context, since: str | None, until: str | None, lang: str | None, source: str | None,
            product: str | None, rating: str | None, min_customers: int, limit: int, min_score: float | None,
            as_json: bool) -> None:
    """What customers complain about, per aspect, with the opinions they hold.

    Aspects ("battery life", "waiter", "배송") come from the grammar of complaint segments; see
    docs/aspects.md for how they are found and what each figure counts.
    """
    if ctx.invoked_subcommand is not None:
        return
    with _workspace(ctx, create=False) as ws:
        if not _check_slice(ws, source, product) and not as_json:
            return
        df = ws.aspects(since=since, until=until, lang=lang, source=source, rating=rating,
                        min_customers=min_customers, limit=limit, min_score=min_score, product=product)
    if as_json:
        _echo_json(df.to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no aspects (run 'vocmine analyze' first, or lower --min-customers)")
        return
    for r in df.itertuples():
        share = "" if r.complaint_share != r.complaint_share else f", {r.complaint_share:.0%} of its mentions complaints"
        click.echo(f"{r.aspect}  [{r.language}] {r.customers} customers, {r.mentions} mentions{share}, "
                   f"{_trend(r.trend)}")
        if r.opinions:
            click.echo("    " + "; ".join(f"{o} ({n})" for o, n in r.opinions))


@aspects.command("show")
@click.argument("aspect")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="The aspect's language, when both have it.")
@click.option("--since", help="Only feedback created on or after this date.")
@click.option("--until", help="Only feedback created before this date.")
@click.option("--source", help="Only this source.")
@click.option("--quotes", default=10, show_default=True, help="Most quotes to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, aspect: str, lang: str | None, since: str | None, until: str | None,
         source: str | None, quotes: int, as_json: bool) -> None:
    """One aspect: its figures, every opinion with its count, and quotes in customers' words."""
    with _workspace(ctx, create=False) as ws:
        row = ws.aspect(aspect, lang=lang, since=since, until=until, source=source, quotes=quotes)
    if as_json:
        _echo_json(row)
        return
    share = "" if row["complaint_share"] != row["complaint_share"] else \
        f"; {row['complaint_share']:.0%} of the segments that mention it are complaints"
    click.echo(f"{row['aspect']}  [{row['language']}] {row['customers']} customers, {row['mentions']} mentions{share}")
    impact = row["rating_impact"]
    if impact == impact:
        factor = f" (x{row['trend']:.2f})" if row["trend"] == row["trend"] else ""
        click.echo(f"trend {_trend(row['trend'])}{factor}; rating impact {impact:+.2f} of 5")
    if row["opinions"]:
        click.echo("opinions:")
        for o, n in row["opinions"]:
            click.echo(f"  {o}  {n}")
    if row["phrases"]:
        click.echo("phrases: " + "; ".join(row["phrases"]))
    if row["quotes"]:
        click.echo("quotes:")
        for q in row["quotes"]:
            click.echo(f'  "{q["quote"]}"')


def register(cli: click.Group) -> None:
    """Add the aspect commands to the ``vocmine`` group."""
    cli.add_command(aspects)
