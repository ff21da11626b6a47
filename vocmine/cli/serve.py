"""CLI for browsing and deciding in Datasette: ``vocmine serve [--port] [--open]`` (docs/serve.md)."""
from __future__ import annotations

import click

from vocmine.cli.main import _workspace


def ensure_plugin() -> None:
    """Register vocmine's Datasette plugin when the entry point did not (a source checkout run
    without installing): ``vocmine serve`` never starts Datasette without it, since the plugin is
    what hides the contacts."""
    from datasette.plugins import pm

    import vocmine.cli.datasette as plugin

    if pm.get_plugin("vocmine") is None and not any(p is plugin for p in pm.get_plugins()):
        pm.register(plugin, "vocmine")


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the sign-in link in the web browser.")
@click.pass_context
def serve(ctx: click.Context, port: int, open_browser: bool) -> None:
    """Browse the workspace in Datasette on 127.0.0.1, and decide there: link suggestions,
    topic rename/merge/split, entry approval (at /-/vocmine).

    Contacts, raw records and the pseudonym key read as empty in every page, query and download.
    The printed link signs you in as root, who may decide; anyone else may only read.
    """
    with _workspace(ctx, create=False) as ws:  # migrates an older file first, so pages see today's tables
        path = str(ws.path)
    try:
        from datasette import cli as datasette_cli
    except ImportError as e:  # pragma: no cover - datasette is an install dependency
        raise click.ClickException(f"vocmine serve needs Datasette ({e}); pip install 'datasette>=0.65,<1.0'")
    ensure_plugin()
    click.echo(f"vocmine serve: {path} on http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    click.echo("Sign in to decide (link suggestions, topics, entries) with the link below; "
               "without it the pages are read only.")
    args = [path, "--host", "127.0.0.1", "--port", str(port), "--root", "--setting", "allow_download", "off"]
    if open_browser:
        args.append("--open")
    datasette_cli.serve.main(args=args, prog_name="vocmine serve", standalone_mode=False)


def register(cli: click.Group) -> None:
    """Add ``serve`` to the ``vocmine`` group."""
    cli.add_command(serve)
