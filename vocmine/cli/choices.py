"""Option types whose valid values are the names registered in a plugin group.

The names are read when an option is parsed or its help is shown, never at import, so a
tracker, source or publisher that a third party registers is a valid choice wherever a built-in
one is. A wrong name is a usage error (exit 2) that lists the valid names, in the words of
``vocmine.core.errors.unknown_name``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from vocmine.core import plugins
from vocmine.core.errors import unknown_name


class Registered(click.Choice):
    """A choice among the names registered in ``group`` (those ``keep`` accepts, when given)."""

    def __init__(self, group: str, keep: Callable[[str], bool] | None = None) -> None:
        self.group = group
        self.keep = keep
        super().__init__((), case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(n for n in plugins.listed(self.group) if self.keep is None or self.keep(n))

    @choices.setter
    def choices(self, value: Any) -> None:  # click.Choice.__init__ sets it; the registry is the truth
        pass

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        choices = self.choices
        if value in choices:
            return value
        self.fail(str(unknown_name(plugins.kind(self.group), str(value), choices)), param, ctx)


def file_format(name: str) -> bool:
    """Return whether the source registered as ``name`` reads files (``--format`` of ``ingest``)."""
    from vocmine.collect.sources.base import file_formats

    return name in file_formats()
