"""CLI for exports: ``vocmine export NAME [--format] [--out] [filters]`` (docs/export.md)."""
from __future__ import annotations

import click

from vocmine.cli.main import _echo_json, _workspace


@click.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx", "jsonl"]),
              help="File format (default: from --out's suffix, else csv).")
@click.option("--out", help="File to write (default NAME.FORMAT here; '-' writes csv or jsonl to stdout).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--since", help="Only feedback from this date (views that take it).")
@click.option("--until", help="Only feedback up to this date (views that take it).")
@click.option("--lang", help="Only this language (views that take it).")
@click.option("--source", help="Only this source (views that take it).")
@click.option("--product", help="Only this product (views that take it).")
@click.option("--by", help="trends: per topic (default), phrase or category.")
@click.option("--period", type=click.Choice(["day", "week", "month"]), help="trends: the period (default week).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def export(ctx: click.Context, name: str, fmt: str | None, out: str | None, force: bool, since: str | None,
           until: str | None, lang: str | None, source: str | None, product: str | None, by: str | None,
           period: str | None, as_json: bool) -> None:
    """Write a view (phrases, aspects, topics, trends, links, entries, tickets, feedback, segments)
    or a workspace table to csv, parquet, xlsx or jsonl, redacted text only.

    Contacts and unredacted text are never exported. Filters apply to the views that take them.
    """
    with _workspace(ctx, create=False) as ws:
        from vocmine.tell.export import export as run_export

        result = run_export(ws, name, format=fmt, out=out, force=force, since=since, until=until, lang=lang,
                            source=source, product=product, by=by, period=period)
    if result["path"] == "-":
        return
    if as_json:
        _echo_json(result)
    else:
        click.echo(f"wrote {result['rows']:,} rows to {result['path']}")


def register(cli: click.Group) -> None:
    """Add ``export`` to the ``vocmine`` group."""
    cli.add_command(export)
