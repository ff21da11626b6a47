"""Regenerate docs/cli.md from the real ``--help`` of every command.

    python docs/make_cli_reference.py          # rewrite docs/cli.md
    python docs/make_cli_reference.py --check  # exit 1 if docs/cli.md is out of date

tests/test_docs.py runs the check, so the reference can never drift from the code.
"""
from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from vocmine.cli.main import cli

DOC = Path(__file__).with_name("cli.md")
INTRO = """# CLI reference

Every command opens the workspace named by `--db` (or the `VOCMINE_DB` environment variable,
default `./vocmine.db`), calls one library function (see [the Python API](python-api.md)) and
prints. Exit codes: 0 success, 1 an error (one line on stderr; `--debug` shows the traceback),
2 a usage error. `--json` gives machine-readable output where a command has results.

This page is generated from the real `--help` output by `python docs/make_cli_reference.py`;
a test fails when it drifts.
"""


def _section(runner: CliRunner, path: list[str], level: int) -> list[str]:
    out = runner.invoke(cli, [*path, "--help"], prog_name="vocmine").output.rstrip()
    return [f"{'#' * level} vocmine {' '.join(path)}\n", "```text", out, "```\n"]


def render() -> str:
    import click

    from vocmine.cli.main import VocmineGroup

    runner = CliRunner()
    parts = [INTRO, "## vocmine\n", "```text", runner.invoke(cli, ["--help"], prog_name="vocmine").output.rstrip(), "```\n"]
    for name in sorted(cli.commands):
        parts += _section(runner, [name], 2)
        cmd = cli.commands[name]
        if isinstance(cmd, click.Group):  # each subcommand has its own options
            for sub in sorted(cmd.commands):
                parts += _section(runner, [name, sub], 3)
        if name == "ingest":  # online sources: `vocmine ingest reddit ...`
            for sub in sorted(VocmineGroup.ingest_sources):
                parts += _section(runner, [name, sub], 3)
    return "\n".join(parts)


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if DOC.read_text(encoding="utf-8") != text:
            print("docs/cli.md is out of date; run: python docs/make_cli_reference.py", file=sys.stderr)
            sys.exit(1)
        return
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
