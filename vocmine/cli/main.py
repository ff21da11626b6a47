"""The ``vocmine`` group and its general commands (init, ingest, stats, analyze, demo, ...).

Each command opens the workspace, calls one library function, prints.

Library errors (VocmineError) become one line on stderr and exit code 1; usage errors exit 2.
``--debug`` shows tracebacks and debug logs.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

# Offline by default: a model name that would need the Hugging Face hub fails at once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from vocmine.core.version import __version__  # noqa: E402
from vocmine.core.errors import VocmineError, is_disk_full  # noqa: E402
from vocmine.core.secrets import protect, scrub  # noqa: E402
from vocmine.core.jsonable import jsonable  # noqa: E402,F401 - also imported from here by other cli modules
from vocmine.cli.choices import Registered, file_format  # noqa: E402

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
            raise click.ClickException(scrub(str(exc))) from None
        except (sqlite3.OperationalError, OSError) as exc:
            message = write_error_message(exc, (ctx.obj or {}).get("db"))
            if message is None or (ctx.obj and ctx.obj.get("debug")):
                raise
            raise click.ClickException(scrub(message)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; what was stored so far is kept, and a re-run continues", err=True)
            sys.exit(130)


def write_error_message(exc: BaseException, db: str | os.PathLike | None = None) -> str | None:
    """Return the one-line message for a failed write (disk full, read-only, no permission), else None.

    SQLite's errors name no file: the workspace ``db`` is the one it was writing.
    """
    if is_disk_full(exc):
        if isinstance(exc, sqlite3.OperationalError):
            where = str(db or "the workspace")
        else:
            assert isinstance(exc, OSError)  # is_disk_full: SQLite's error, else an OSError
            where = exc.filename or exc.filename2 or "an output file"
        return f"disk full while writing {where}: free space and re-run; nothing stored was lost"
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        where = str(db or "the workspace")
        if "readonly database" in text or "disk i/o error" in text:
            return (f"could not write {where} ({exc}): check the disk and the file's permissions, then re-run; "
                    "nothing stored was lost")
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        where = exc.filename or exc.filename2 or "an output file"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO) and exc.filename:
            return (f"could not write {where} ({exc.strerror}): check the disk and the folder's permissions, "
                    "then re-run; nothing stored was lost")
    return None


def _echo_json(data: Any) -> None:
    # allow_nan=False: a NaN that slipped through is a bug here, not invalid JSON for the reader.
    click.echo(json.dumps(jsonable(data), ensure_ascii=False, indent=2, allow_nan=False))


def _records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts with NaN, NaT and NA as None, ready for JSON and for printing."""
    import pandas as pd

    return [{k: (None if not isinstance(v, (list, tuple, dict)) and pd.isna(v) is True else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


def _workspace(ctx: click.Context, create: bool = True):
    from vocmine.workspace import Workspace

    return Workspace(ctx.obj["db"], create=create)


def _check_slice(ws: Any, source: str | None = None, product: str | None = None) -> bool:
    """Say "no feedback for product X (known: ...)" and return False when a --source or --product
    names nothing in the workspace; True when the slice is known (or not given)."""
    from vocmine.core.tables import known

    for column, value in (("source", source), ("product", product)):
        if value:
            names = known(ws, column)
            if value not in names:
                click.echo(f"no feedback for {column} {value} (known: {', '.join(names) or 'none'})", err=True)
                return False
    return True


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
        protect(handler)  # no credential reaches the terminal through a log line


@cli.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--config/--no-config", "write_config", default=True, show_default=True,
              help="Also write a commented starter vocmine.toml beside the workspace (never overwritten).")
@click.pass_context
def init(ctx: click.Context, path: str | None, write_config: bool) -> None:
    """Create (or upgrade) a workspace file and a starter weekly config. PATH defaults to --db."""
    from vocmine.jobs.weekly import starter_config

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
@click.option("--format", "fmt", type=Registered("vocmine.sources", file_format),
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
@click.option("--delimiter", callback=lambda ctx, param, value: _delimiter(value),
              help="CSV delimiter, one character; '\\t' for tab (default: detected, or Excel's 'sep=' line).")
@click.option("--sheet", help="Worksheet name for .xlsx files (default: the first).")
@click.option("--kind", default="review", show_default=True,
              type=click.Choice(["review", "survey", "post", "comment", "support"]), help="What the items are.")
@click.option("--max-chars", default=50_000, show_default=True, type=click.IntRange(min=1),
              help="Reject texts longer than this.")
@click.option("--rating-scale", type=click.Choice(["5", "10", "100"]),
              help="Ratings are out of 5, 10 or 100; a rating above it is dropped with a message "
                   "(default: inferred once per file from its values).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def ingest(ctx: click.Context, files: tuple[str, ...], source: str | None, fmt: str | None, as_json: bool,
           id_: str | None, encoding: str | None, delimiter: str | None, sheet: str | None, kind: str,
           max_chars: int, rating_scale: str | None, **columns: str | None) -> None:
    """Store feedback from CSV, TSV, JSON, JSONL, XLSX or text FILES.

    Re-running adds nothing; changed rows are updated in place; bad rows are reported by row
    number, kept in the rejects table (see 'vocmine rejects') and never stop the file. Exit code 1
    when rows were read but none could be stored (docs/reliability.md lists every case).

    Online sources have their own options: 'vocmine ingest reddit --help'. Web reviews: 'vocmine scrape'.
    """
    from vocmine.collect.sources.base import ColumnMap

    ws = _workspace(ctx)
    cmap = ColumnMap(id=id_, **columns)
    options: dict[str, Any] = {}
    if delimiter:
        options["delimiter"] = delimiter
    if sheet:
        options["sheet"] = sheet
    quiet = ctx.obj["quiet"] or as_json
    from vocmine.cli.progress import Progress

    with Progress(sys.stderr, quiet=quiet) as prog:
        result = ws.ingest(list(files), source=source, columns=cmap, encoding=encoding, format=fmt, kind=kind,
                           max_chars=max_chars, rating_scale=float(rating_scale) if rating_scale else None,
                           progress=prog.counter("ingest " + ", ".join(Path(f).name for f in files)), **options)
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
    if result.stored == 0 and result.rejected:
        raise click.ClickException(
            f"nothing stored: all {result.rejected} rows were rejected (reasons above; 'vocmine rejects' lists them)")


def _delimiter(value: str | None) -> str | None:
    """Return the --delimiter value with escapes such as '\\t' resolved; BadParameter unless one character."""
    if value is None:
        return None
    try:
        d = value.encode().decode("unicode_escape") if "\\" in value else value
    except UnicodeDecodeError:
        d = value
    if len(d) != 1 or d in '"\r\n':
        raise click.BadParameter(f"{value!r} is not one character (other than a quote or a line break); "
                                 f"for example ';', '|' or '\\t'", param_hint="'--delimiter'")
    return d


@cli.command()
@click.option("--source", help="Only this source.")
@click.option("--product", help="Only this product.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, source: str | None, product: str | None, as_json: bool) -> None:
    """Show counts: feedback rows by source, product, language, week, rating; NPS and CSAT."""
    ws = _workspace(ctx, create=False)
    if not _check_slice(ws, source, product) and not as_json:
        return
    data = ws.stats(source=source, product=product)
    if as_json:
        _echo_json(data)
        return
    rejected = "rejected rows have no product" if data["rejects"] is None else f"{data['rejects']} rejected rows"
    click.echo(f"feedback: {data['feedback']} ({data['duplicates']} near-duplicates, {rejected})")
    for key in ("by_source", "by_product", "by_language", "by_kind", "by_rating", "by_week"):
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
@click.option("--product", help="Only this product.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, source: str | None, product: str | None,
           as_json: bool) -> None:
    """Full-text search of feedback (each word also matches as a prefix: 배송 finds 배송이)."""
    ws = _workspace(ctx, create=False)
    if not _check_slice(ws, source, product) and not as_json:
        return
    df = ws.search(query, limit=limit, source=source, product=product)
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
    from vocmine.cli.progress import Progress

    with Progress(sys.stderr, quiet=quiet) as prog:
        result = ws.analyze(sentiment=sentiment, english_model=english_model, reanalyze=reanalyze,
                            progress=prog.counter("analyze"))
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
@click.option("--product", help="Only this product.")
@click.option("--rating", help="Only feedback with this rating or range, e.g. 1-2.")
@click.option("--min-customers", default=2, show_default=True, help="Hide phrases fewer customers used.")
@click.option("--limit", default=30, show_default=True, help="Most phrases to show.")
@click.option("--examples", default=1, show_default=True, help="Quotes to show per phrase (text output).")
@click.option("--aspect", help="Only phrases about this aspect (see 'vocmine aspects').")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def phrases(ctx: click.Context, since: str | None, until: str | None, lang: str | None, source: str | None,
            product: str | None, rating: str | None, min_customers: int, limit: int, examples: int,
            aspect: str | None, as_json: bool) -> None:
    """Recurring complaint phrases in customers' words, ranked by distinct customers.

    The trend (last 4 weeks against the 4 before) shows "-" when the data span less than 6 weeks."""
    ws = _workspace(ctx, create=False)
    if not _check_slice(ws, source, product) and not as_json:
        return
    df = ws.phrases(since=since, until=until, lang=lang, source=source, rating=rating,
                    min_customers=min_customers, limit=limit, aspect=aspect, product=product)
    if as_json:
        _echo_json(df.to_dict(orient="records"))
        return
    if df.empty:
        click.echo("no phrases (run 'vocmine analyze' first, or lower --min-customers)")
        return
    for r in df.itertuples():
        trend = ("trend -" if r.trend != r.trend else "rising" if r.trend >= 1.5
                 else "falling" if r.trend <= 0.67 else "steady")
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
    from vocmine.jobs.demo import build

    from vocmine.cli.progress import Progress

    with Progress(sys.stdout, quiet=ctx.obj["quiet"]) as prog:
        summary = build(directory, seed=seed, progress=prog)
    if not ctx.obj["quiet"]:
        click.echo(f"demo workspace: {summary['workspace']} ({summary['feedback']} feedback rows)")


def main() -> None:
    """Entry point of the ``vocmine`` console script (the commands of every stage are registered
    by the ``vocmine.cli`` package, which importing this module imports first)."""
    cli(obj={}, prog_name="vocmine")
