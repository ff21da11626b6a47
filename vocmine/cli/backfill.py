"""CLI for the backfill job: ``vocmine backfill``."""
from __future__ import annotations

import sys

import click

from vocmine.cli.main import _echo_json, _workspace
from vocmine.jobs.backfill import PARTITION_ROWS
from vocmine.jobs.partitioned import ENGINES


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the Parquet partitions and their analysis (OUT/input, OUT/analysis); "
                   "on a cluster, one that every node can reach.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Analyse in this process, or on Ray (the optional extra: pip install 'vocmine[ray]').")
@click.option("--workers", type=click.IntRange(min=1), help="Ray actors, each with an equal share of the cluster's CPUs (default: one per CPU).")
@click.option("--address", help="The Ray cluster to join ('auto', 'ray://head:10001'; default: a local one).")
@click.option("--partition-rows", type=click.IntRange(min=1), default=PARTITION_ROWS, show_default=True,
              help="Feedback rows per partition: the unit that is analysed, committed and resumed.")
@click.option("--topics", is_flag=True,
              help="Then the topic stage: embed on the same engine, discover topics on a sample here, place every segment.")
@click.option("--num-gpus", type=click.FloatRange(min=0, min_open=True),
              help="With --engine ray --topics: each embedding actor's share of a GPU.")
@click.option("--load-since", metavar="DATE",
              help="Load only rows dated from DATE's week on whole; count older rows into the workspace's "
                   "weekly history tables, their segments left in OUT/analysis (docs/scale.md).")
@click.option("--source", help="Source name stored with each row (default: the file name without extension).")
@click.option("--text", help="Column with the feedback text (default: detected).")
@click.option("--title", help="Column with a review title.")
@click.option("--rating", help="Column with a star rating.")
@click.option("--id", "id_", help="Column with the item's own id (else a content hash is used).")
@click.option("--created", help="Column with the date/time.")
@click.option("--author", help="Column with the author (stored only as a keyed pseudonym).")
@click.option("--product", help="Column with the product name or id.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def backfill(ctx: click.Context, inputs: tuple[str, ...], out: str, engine: str, workers: int | None,
             address: str | None, partition_rows: int, topics: bool, num_gpus: float | None,
             load_since: str | None, source: str | None,
             id_: str | None, as_json: bool, **columns: str | None) -> None:
    """Ingest INPUT files and analyse everything not analysed yet, in partitions, in this process
    or on a Ray cluster, then load the analysis into the workspace.

    The workspace ends up as 'vocmine ingest' and 'vocmine analyze' would leave it. Rejected rows
    are reported as 'vocmine ingest' reports them. Without INPUT, it analyses what the workspace
    already holds. Run it again after a failure: finished partitions are not analysed again.
    The column options are those of 'vocmine ingest' (ingest first for the others). With --topics
    the topic stage follows, as 'vocmine topics update' runs it, with the embeddings done on the
    engine.
    """
    from vocmine.cli.progress import Progress
    from vocmine.collect.sources.base import ColumnMap
    from vocmine.jobs.backfill import backfill as run_backfill

    quiet = ctx.obj["quiet"] or as_json
    ws = _workspace(ctx)
    try:
        with Progress(sys.stderr, quiet=quiet) as prog:
            result = run_backfill(ws, inputs, out=out, engine=engine, workers=workers, address=address,
                                  partition_rows=partition_rows, source=source,
                                  columns=ColumnMap(id=id_, **columns), topics=topics, num_gpus=num_gpus,
                                  load_since=load_since, progress=prog)
    finally:
        ws.close()
    ing = result["ingest"]
    if as_json:
        _echo_json(result)
    elif not ctx.obj["quiet"]:
        messages = ing["messages"] if ing else []
        for msg in messages[:20]:
            click.echo(msg, err=True)
        if len(messages) > 20:
            click.echo(f"... and {len(messages) - 20} more; see 'vocmine rejects'", err=True)
        if result["partitions"] == 0 and not result["resumed"]:
            click.echo("nothing pending analysis")
        else:
            click.echo(f"backfilled {result['loaded'] + (result['resumed'] or {}).get('feedback', 0):,} feedback rows "
                       f"into {ws.path}: {result['analyzed']:,} partitions analysed ({engine}), "
                       f"{result['segments']:,} segments, {result['mentions']:,} phrase mentions"
                       + (f"; {result['summarised'] + (result['resumed'] or {}).get('summarised', 0):,} older rows "
                          "summarised into the weekly history"
                          + (f" (the workspace's analysis starts {result['loaded_from']})" if result["loaded_from"]
                             else "") if load_since is not None else "")
                       + (f"; {result['stale']:,} rows changed since the export, left for 'vocmine analyze'"
                          if result["stale"] else ""))
        if result.get("reports_from"):
            click.echo(f"weekly reports: {result['reports_from']} and later (a report reads 12 weeks of rows "
                       f"loaded whole, from {result['loaded_from']} on)")
        if result.get("topics"):
            tp = result["topics"]
            click.echo(f"topics: {tp.get('topics', 0):,} topics ({tp.get('new_topics', 0):,} new), "
                       f"{tp.get('assigned', 0):,} segments placed, {tp.get('outliers', 0):,} outliers")
    if ing and ing["inserted"] + ing["updated"] + ing["unchanged"] == 0 and ing["rejected"]:
        raise click.ClickException(
            f"nothing stored: all {ing['rejected']} rows were rejected (reasons above; 'vocmine rejects' lists them)")


def register(cli: click.Group) -> None:
    cli.add_command(backfill)
