"""CLI for the weekly job: ``vocmine weekly``."""
from __future__ import annotations

import sys

import click

from vocmine.cli.main import _echo_json
from vocmine.jobs.weekly import EXIT_CONFIG, EXIT_FAILED, EXIT_LOCKED, STAGES


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="The weekly config (default: ./vocmine.toml when it exists, else defaults for --db).")
@click.option("--week", metavar="YYYY-Www", help="ISO week to report (default: the last complete week with feedback).")
@click.option("--stage", type=click.Choice(STAGES), help="Run only this stage.")
@click.option("--dry-run", is_flag=True, help="Show which stages would run, and why any would be skipped.")
@click.option("--json", "as_json", is_flag=True, help="Print the result (stages, counts, errors) as JSON.")
@click.pass_context
def weekly(ctx: click.Context, config_path: str | None, week: str | None, stage: str | None, dry_run: bool,
           as_json: bool) -> None:
    """Run the weekly job: collect, analyze, topics, tickets, links, report, publish, notify.

    Each stage is incremental and recorded; a re-run of the same week adds nothing and writes the
    same report. Exit codes for cron: 0 done, 1 a stage failed (the next run resumes there),
    2 bad config or usage, 75 another run holds the lock.
    """
    from pathlib import Path

    from vocmine.core.errors import VocmineError
    from vocmine.core.secrets import scrub
    from vocmine.jobs.weekly import Locked, load_config, run_weekly

    quiet = ctx.obj["quiet"] or as_json
    try:
        if config_path is None and Path("vocmine.toml").is_file():
            config_path = "vocmine.toml"
        db_given = ctx.get_parameter_source("db") if ctx.parent else None
        conf = load_config(config_path, db=None if config_path else ctx.obj["db"])
        if db_given is not None and db_given.name == "COMMANDLINE" and config_path:
            conf.workspace = Path(ctx.obj["db"])
        ctx.obj["db"] = str(conf.workspace)  # what a "disk full" message names
        result = run_weekly(conf, week=week, stage=stage, dry_run=dry_run,
                            echo=None if quiet else click.echo)
    except Locked as exc:
        click.echo(f"Error: {scrub(exc)}", err=True)
        sys.exit(EXIT_LOCKED)
    except VocmineError as exc:
        click.echo(f"Error: {scrub(exc)}", err=True)
        sys.exit(EXIT_CONFIG)
    if as_json:
        _echo_json(result.as_dict())
    elif not quiet and not dry_run:
        if result.exit_code == 0:
            click.echo(f"week {result.week}: done")
        else:
            click.echo(f"week {result.week}: stage {result.failed} failed; fix it and run again to resume there",
                       err=True)
    sys.exit(EXIT_FAILED if result.exit_code else 0)


def register(cli: click.Group) -> None:
    """Add ``weekly`` to the ``vocmine`` group."""
    cli.add_command(weekly)
