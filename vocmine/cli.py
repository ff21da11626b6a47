"""The ``vocmine`` command. Each command opens the workspace, calls one library function, prints.

Library errors (VocmineError) become one line on stderr and exit code 1; usage errors exit 2.
``--debug`` shows tracebacks and debug logs.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

# Offline by default: a model name that would need the Hugging Face hub fails at once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from . import __version__  # noqa: E402
from .errors import VocmineError  # noqa: E402

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
log = logging.getLogger("vocmine")


class VocmineGroup(click.Group):
    """A click group that turns VocmineError into a one-line message and exit code 1.

    ``vocmine ingest NAME ...`` where NAME is a registered online source (e.g. ``reddit``)
    dispatches to that source's own command, so each source has its own options.
    """

    ingest_sources: dict[str, click.Command] = {}

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, cmd, rest = super().resolve_command(ctx, args)
        if name == "ingest" and rest and rest[0] in self.ingest_sources and not Path(rest[0]).exists():
            return f"ingest {rest[0]}", self.ingest_sources[rest[0]], rest[1:]
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VocmineError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; what was stored so far is kept, and a re-run continues", err=True)
            sys.exit(130)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts with NaN as None, ready for JSON and for printing."""
    import math

    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


def _workspace(ctx: click.Context, create: bool = True):
    from .workspace import Workspace

    return Workspace(ctx.obj["db"], create=create)


@click.group(cls=VocmineGroup, context_settings=CONTEXT)
@click.option("--db", "db", type=click.Path(dir_okay=False), envvar="VOCMINE_DB", default="vocmine.db",
              show_default=True, help="Workspace file (env VOCMINE_DB).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-q", "--quiet", is_flag=True, help="Only print errors.")
@click.version_option(__version__, "-V", "--version", prog_name="vocmine")
@click.pass_context
def cli(ctx: click.Context, db: str, debug: bool, quiet: bool) -> None:
    """vocmine: mine customer feedback, find complaints in customers' own words, close the loop."""
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, debug=debug, quiet=quiet)
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # a file log (vocmine weekly) may lower vocmine's level
        handler.setLevel(level)


@cli.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--config/--no-config", "write_config", default=True, show_default=True,
              help="Also write a commented starter vocmine.toml beside the workspace (never overwritten).")
@click.pass_context
def init(ctx: click.Context, path: str | None, write_config: bool) -> None:
    """Create (or upgrade) a workspace file and a starter weekly config. PATH defaults to --db."""
    from .weekly import starter_config

    if path:
        ctx.obj["db"] = path
    ws = _workspace(ctx)
    n = ws.db.conn.execute("select count(*) from feedback").fetchone()[0]
    config = Path(ws.path).resolve().parent / "vocmine.toml"
    wrote = False
    if write_config and not config.exists():
        config.write_text(starter_config(Path(ws.path).name), encoding="utf-8")
        wrote = True
    if not ctx.obj["quiet"]:
        click.echo(f"workspace {ws.path} ready ({n} feedback rows)")
        if wrote:
            click.echo(f"wrote a starter weekly config: {config} (edit it, then 'vocmine weekly --config {config}')")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--source", help="Source name stored with each row (default: the file name without extension).")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "jsonl", "xlsx", "text"]),
              help="File format (default: from the extension).")
@click.option("--text", help="Column with the feedback text (default: detected).")
@click.option("--title", help="Column with a review title.")
@click.option("--rating", help="Column with a star rating.")
@click.option("--nps", help="Column with an NPS answer (0-10).")
@click.option("--csat", help="Column with a CSAT answer (1-5).")
@click.option("--id", "id_", help="Column with the item's own id (else a content hash is used).")
@click.option("--created", help="Column with the date/time.")
@click.option("--author", help="Column with the author (stored only as a keyed pseudonym).")
@click.option("--contact", help="Column with a contact email/phone (kept apart, for notifications).")
@click.option("--consent", help="Column saying whether the customer may be contacted.")
@click.option("--product", help="Column with the product name or id.")
@click.option("--url", help="Column with the item's URL.")
@click.option("--encoding", help="Text encoding (default: detected; e.g. utf-8, cp949, euc-kr).")
@click.option("--delimiter", help="CSV delimiter (default: detected).")
@click.option("--sheet", help="Worksheet name for .xlsx files (default: the first).")
@click.option("--kind", default="review", show_default=True,
              type=click.Choice(["review", "survey", "post", "comment", "support"]), help="What the items are.")
@click.option("--max-chars", default=50_000, show_default=True, help="Reject texts longer than this.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def ingest(ctx: click.Context, files: tuple[str, ...], source: str | None, fmt: str | None, as_json: bool,
           id_: str | None, encoding: str | None, delimiter: str | None, sheet: str | None, kind: str,
           max_chars: int, **columns: str | None) -> None:
    """Store feedback from CSV, TSV, JSON, JSONL, XLSX or text FILES.

    Re-running adds nothing; changed rows are updated in place; bad rows are reported by row
    number, kept in the rejects table (see 'vocmine rejects') and never stop the file.

    Online sources have their own options: 'vocmine ingest reddit --help'. Web reviews: 'vocmine scrape'.
    """
    from .sources.base import ColumnMap

    ws = _workspace(ctx)
    cmap = ColumnMap(id=id_, **columns)
    options: dict[str, Any] = {}
    if delimiter:
        options["delimiter"] = delimiter.encode().decode("unicode_escape")
    if sheet:
        options["sheet"] = sheet
    quiet = ctx.obj["quiet"] or as_json
    total_size = sum(Path(f).stat().st_size for f in files)
    show_bar = not quiet and total_size > 2_000_000
    with click.progressbar(length=max(total_size, 1), label="ingesting", file=sys.stderr,
                           hidden=not show_bar) as bar:
        last = [0]

        def progress(done: int, total: int) -> None:
            bar.update(max(0, done - last[0]))
            last[0] = max(last[0], done)

        result = ws.ingest(list(files), source=source, columns=cmap, encoding=encoding, format=fmt, kind=kind,
                           max_chars=max_chars, progress=progress, **options)
    if as_json:
        _echo_json({**result.as_dict(), "messages": result.messages})
    elif not ctx.obj["quiet"]:
        for msg in result.messages[:20]:
            click.echo(msg, err=True)
        if len(result.messages) > 20:
            click.echo(f"... and {len(result.messages) - 20} more; see 'vocmine rejects'", err=True)
        click.echo(
            f"{result.inserted} new, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.duplicates} near-duplicates flagged, {result.rejected} rejected"
            + (f", {result.warnings} fields dropped" if result.warnings else "")
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Show counts: feedback rows by source, language, week, rating; NPS and CSAT."""
    data = _workspace(ctx, create=False).stats()
    if as_json:
        _echo_json(data)
        return
    click.echo(f"feedback: {data['feedback']} ({data['duplicates']} near-duplicates, {data['rejects']} rejected rows)")
    for key in ("by_source", "by_language", "by_kind", "by_rating", "by_week"):
        if data[key]:
            click.echo(f"{key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in data[key].items()))
    if data["nps"]:
        n = data["nps"]
        click.echo(f"NPS: {n['score']:+g} ({n['responses']} responses)")
    if data["csat"]:
        c = data["csat"]
        click.echo(f"CSAT: {c['score']:g}% satisfied ({c['responses']} responses)")


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Most results to show.")
@click.option("--source", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, source: str | None, as_json: bool) -> None:
    """Full-text search of feedback (each word also matches as a prefix: 배송 finds 배송이)."""
    df = _workspace(ctx, create=False).search(query, limit=limit, source=source)
    if as_json:
        _echo_json(df.drop(columns=["snippet"]).to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no matches")
        return
    for row in df.itertuples():
        stars = f" {row.rating:g}★" if row.rating == row.rating and row.rating is not None else ""
        click.echo(f"#{row.id} [{row.source}{stars}] {row.snippet}")


@cli.command()
@click.option("--source", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def rejects(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """List rows that were not stored (and fields dropped), with file, row and reason."""
    df = _workspace(ctx, create=False).rejects(source)
    if as_json:
        _echo_json(df.to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no rejects")
    for r in df.itertuples():
        where = f"{r.file}, row {int(r.row)}" if r.row == r.row and r.row is not None else r.file
        click.echo(f"{where}: {r.reason} [{r.action}]")


@cli.command()
@click.option("--sentiment", help="Sentiment model: 'lexicon' (default) or a local transformers model directory.")
@click.option("--english-model", help="An installed spaCy pipeline or directory (default: blank English + lemmas).")
@click.option("--reanalyze", is_flag=True, help="Analyse everything again, not only new or changed feedback.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def analyze(ctx: click.Context, sentiment: str | None, english_model: str | None, reanalyze: bool,
            as_json: bool) -> None:
    """Split new feedback into segments, judge sentiment and complaints, mine recurring phrases.

    Incremental: only feedback not analysed yet (or changed since) is read; a re-run with
    nothing new does nothing.
    """
    ws = _workspace(ctx, create=False)
    quiet = ctx.obj["quiet"] or as_json
    with click.progressbar(length=1, label="analysing", file=sys.stderr, hidden=quiet) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        result = ws.analyze(sentiment=sentiment, english_model=english_model, reanalyze=reanalyze,
                            progress=progress)
    if as_json:
        _echo_json(result.as_dict())
    elif not ctx.obj["quiet"]:
        if result.feedback == 0:
            click.echo("nothing new to analyse")
        else:
            click.echo(f"analysed {result.feedback} feedback rows: {result.segments} segments, "
                       f"{result.complaints} complaints, {result.mentions} phrase mentions "
                       f"({result.phrases} distinct phrases)")


@cli.command()
@click.option("--since", help="Only feedback created on or after this date.")
@click.option("--until", help="Only feedback created before this date.")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="Only this language.")
@click.option("--source", help="Only this source.")
@click.option("--rating", help="Only feedback with this rating or range, e.g. 1-2.")
@click.option("--min-customers", default=2, show_default=True, help="Hide phrases fewer customers used.")
@click.option("--limit", default=30, show_default=True, help="Most phrases to show.")
@click.option("--examples", default=1, show_default=True, help="Quotes to show per phrase (text output).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def phrases(ctx: click.Context, since: str | None, until: str | None, lang: str | None, source: str | None,
            rating: str | None, min_customers: int, limit: int, examples: int, as_json: bool) -> None:
    """Recurring complaint phrases in customers' words, ranked by distinct customers."""
    df = _workspace(ctx, create=False).phrases(since=since, until=until, lang=lang, source=source, rating=rating,
                                               min_customers=min_customers, limit=limit)
    if as_json:
        _echo_json(df.to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no phrases (run 'vocmine analyze' first, or lower --min-customers)")
        return
    for r in df.itertuples():
        trend = "rising" if r.trend >= 1.5 else "falling" if r.trend <= 0.67 else "steady"
        click.echo(f"{r.phrase}  [{r.language}] {r.customers} customers, {r.mentions} mentions, "
                   f"{r.share_of_complaints:.1%} of complaints, {trend}")
        others = [v for v in r.variants if v != r.phrase][:4]
        if others:
            click.echo("    also: " + "; ".join(others))
        for q in list(r.examples)[:examples]:
            click.echo(f'    "{q}"')


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--seed", default=7, show_default=True, help="Random seed of the generated sample.")
@click.pass_context
def demo(ctx: click.Context, directory: str, seed: int) -> None:
    """Build the demo: sample exports in DIRECTORY/data and the workspace DIRECTORY/vocmine.db."""
    from .demo import build

    summary = build(directory, seed=seed, progress=None if ctx.obj["quiet"] else click.echo)
    if not ctx.obj["quiet"]:
        click.echo(f"demo workspace: {summary['workspace']} ({summary['feedback']} feedback rows)")


def _register_extensions() -> None:
    """Commands that live in their own modules (collectors, ...)."""
    import importlib

    for module in ("vocmine.cli_loop", "vocmine.cli_topics", "vocmine.cli_collect", "vocmine.cli_tickets",
                   "vocmine.cli_publish", "vocmine.cli_weekly"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(cli)


_register_extensions()


def main() -> None:
    """Entry point of the ``vocmine`` console script."""
    cli(obj={}, prog_name="vocmine")


if __name__ == "__main__":  # pragma: no cover
    main()
