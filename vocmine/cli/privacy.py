"""CLI for what a workspace keeps of customers' unredacted words: ``vocmine originals``."""
from __future__ import annotations

import click

from vocmine.cli.main import _echo_json, _workspace


@click.command()
@click.option("--keep", "keep", flag_value="on", default=None,
              help="From now on, keep each new text as received in the side file WORKSPACE.originals.")
@click.option("--forget", "keep", flag_value="off",
              help="Stop keeping originals and delete the side file with every original in it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def originals(ctx: click.Context, keep: str | None, as_json: bool) -> None:
    """Show or change whether unredacted texts are kept (off by default; see docs/privacy.md).

    Analysis, reports and pages use only the redacted text. The originals, when kept, live apart
    from the workspace in WORKSPACE.originals, so a browser or export of the workspace never sees them.
    """
    with _workspace(ctx) as ws:
        status = ws.set_keep_original(keep == "on") if keep else ws.originals_status()
    if as_json:
        _echo_json(status)
        return
    if status["keep_original"]:
        click.echo(f"originals kept: {status['rows']:,} in {status['file']}")
    else:
        gone = " (side file deleted)" if keep == "off" else ""
        click.echo(f"originals not kept{gone}: only redacted text is stored")


def register(cli: click.Group) -> None:
    """Add the privacy commands to the ``vocmine`` group."""
    cli.add_command(originals)
