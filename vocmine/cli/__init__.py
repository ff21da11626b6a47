"""The ``vocmine`` command: one module per stage, each registering its commands on one group.

``main`` defines the group and the general commands; ``collect``, ``topics`` (decide), ``loop``
and ``tickets`` (act), ``publish`` (tell), ``weekly`` (jobs), ``backfill``, ``aspects``, ``privacy``, ``export`` and ``serve`` add
theirs. They import ``main``; it imports none of them, and this package registers them all.
"""
from __future__ import annotations

from vocmine.cli import aspects, backfill, collect, export, loop, privacy, publish, serve, tickets, topics, weekly
from vocmine.cli.main import VocmineGroup, cli, main

for _module in (loop, topics, collect, tickets, publish, weekly, backfill, privacy, aspects, export, serve):
    _module.register(cli)

__all__ = ["cli", "main", "VocmineGroup"]
