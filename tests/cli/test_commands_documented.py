"""Every command and subcommand, at any depth, has help and its own section in docs/cli.md.

tests/test_docs.py checks that docs/cli.md is what ``docs/make_cli_reference.py`` writes today and
that top-level commands have help. This walks the whole click tree instead (groups, their
subcommands, groups inside groups, and the online sources of ``vocmine ingest NAME``), so a
command the generator does not reach, or a subcommand or option without help, fails here.
"""
from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from vocmine.cli import VocmineGroup, cli

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
HEADING = re.compile(r"^(#{2,6}) (vocmine(?: [\w-]+)*)\s*$", re.M)


def _walk(cmd: click.Command, path: tuple[str, ...] = ()):
    """Yield (path, command) for ``cmd`` and every command below it, depth first."""
    yield path, cmd
    children = dict(cmd.commands) if isinstance(cmd, click.Group) else {}
    if path == ("ingest",):  # `vocmine ingest reddit ...`: dispatched by VocmineGroup, not a click subgroup
        children.update(getattr(VocmineGroup, "ingest_sources", {}))
    for name in sorted(children):
        yield from _walk(children[name], path + (name,))


COMMANDS = [(path, cmd) for path, cmd in _walk(cli) if not cmd.hidden]
IDS = [" ".join(path) or "vocmine" for path, _ in COMMANDS]


def _sections() -> dict[str, str]:
    """Return the text of docs/cli.md under each ``## vocmine ...`` heading, by command line."""
    text = CLI_DOC.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    return {m.group(2): text[m.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
            for i, m in enumerate(heads)}


def _options(cmd: click.Command) -> list[click.Option]:
    return [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden and p.name != "help"]


def test_the_walk_reaches_every_level():
    # The walk itself is what the other tests trust: it must see groups, subcommands and sources.
    paths = {path for path, _ in COMMANDS}
    assert () in paths and ("tickets", "sync") in paths and ("topics", "merge") in paths
    assert all(("ingest", name) in paths for name in getattr(VocmineGroup, "ingest_sources", {}))
    assert len(paths) > len(cli.commands)


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_command_has_help_and_a_short_help(path, cmd):
    name = " ".join(("vocmine",) + path)
    text = (cmd.help or "").strip()
    assert len(text.split()) >= 3, f"'{name}' has no help text (a docstring or help=)"
    # The line `vocmine GROUP --help` lists for it; click cuts it from the help when short_help is unset.
    assert cmd.get_short_help_str(limit=45).strip(), f"'{name}' has no short help"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_every_option_has_help(path, cmd):
    name = " ".join(("vocmine",) + path)
    missing = [p.opts[-1] for p in _options(cmd) if not (p.help or "").strip()]
    assert not missing, f"'{name}': options without help: {', '.join(missing)}"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_command_has_its_own_section_in_the_cli_reference(path, cmd):
    name = " ".join(("vocmine",) + path)
    sections = _sections()
    assert name in sections, f"docs/cli.md has no '## {name}' section: run python docs/make_cli_reference.py"
    section = sections[name]
    assert f"Usage: {name}" in section, f"the '{name}' section of docs/cli.md does not show its usage"
    for opt in _options(cmd):
        for flag in opt.opts + opt.secondary_opts:
            assert flag in section, f"{flag} of '{name}' is not in its section of docs/cli.md"
    if isinstance(cmd, click.Group):  # the group's page lists each of its subcommands
        for sub in cmd.commands:
            if not cmd.commands[sub].hidden:
                assert re.search(rf"^  {re.escape(sub)}\b", section, re.M), f"'{name}' does not list '{sub}'"


def test_the_cli_reference_documents_no_command_that_does_not_exist():
    real = {" ".join(("vocmine",) + path) for path, _ in COMMANDS}
    stale = sorted(set(_sections()) - real)
    assert not stale, f"docs/cli.md documents commands that do not exist: {stale}"
