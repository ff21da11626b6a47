"""Old module paths (before the stage packages) keep importing for one release.

``import vocmine.topics`` returns the module ``vocmine.decide.topics`` itself, not a copy, so
monkeypatching or ``isinstance`` through an old path acts on the real thing. New code imports
from the stage packages; the old names are listed in docs/architecture.md.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings

MOVED = {
    "vocmine.db": "vocmine.core.db", "vocmine.schema": "vocmine.core.schema", "vocmine.dates": "vocmine.core.dates",
    "vocmine.lang": "vocmine.core.lang", "vocmine.privacy": "vocmine.core.privacy",
    "vocmine.resources": "vocmine.core.resources", "vocmine.errors": "vocmine.core.errors",
    "vocmine.secrets": "vocmine.core.secrets", "vocmine.plugins": "vocmine.core.plugins",
    "vocmine.feedback": "vocmine.core.feedback",
    "vocmine.ingest": "vocmine.collect.ingest", "vocmine.sources": "vocmine.collect.sources",
    "vocmine.analyze": "vocmine.understand.analyze", "vocmine.aspects": "vocmine.understand.aspects",
    "vocmine.topic_stage": "vocmine.decide.topic_stage", "vocmine.topics": "vocmine.decide.topics",
    "vocmine.topic_labels": "vocmine.decide.topic_labels", "vocmine.categorize": "vocmine.decide.categorize",
    "vocmine.embed": "vocmine.decide.embed", "vocmine.trends": "vocmine.decide.trends",
    "vocmine.loop": "vocmine.act.loop", "vocmine.trackers": "vocmine.act.trackers",
    "vocmine.publish": "vocmine.tell.publish", "vocmine.report_stage": "vocmine.tell.report_stage",
    "vocmine.notify": "vocmine.tell.notify", "vocmine.plots": "vocmine.tell.plots",
    "vocmine.weekly": "vocmine.jobs.weekly", "vocmine.demo": "vocmine.jobs.demo",
    "vocmine.demo_data": "vocmine.jobs.demo_data",
    "vocmine.cli_aspects": "vocmine.cli.aspects", "vocmine.cli_collect": "vocmine.cli.collect",
    "vocmine.cli_loop": "vocmine.cli.loop", "vocmine.cli_privacy": "vocmine.cli.privacy",
    "vocmine.cli_publish": "vocmine.cli.publish", "vocmine.cli_tickets": "vocmine.cli.tickets",
    "vocmine.cli_topics": "vocmine.cli.topics", "vocmine.cli_weekly": "vocmine.cli.weekly",
}


def new_name(name: str) -> str | None:
    """Return where an old dotted module name lives now (``vocmine.trackers.github`` →
    ``vocmine.act.trackers.github``), or None when it did not move."""
    for old, new in MOVED.items():
        if name == old or name.startswith(old + "."):
            return new + name[len(old):]
    return None


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module) -> None:  # the real module is already executed
        return None


class MovedFinder(importlib.abc.MetaPathFinder):
    """Resolve an old module path to the module at its new place."""

    def find_spec(self, fullname, path=None, target=None):
        new = new_name(fullname)
        if new is None:
            return None
        warnings.warn(f"{fullname} moved to {new}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=3)
        real = importlib.import_module(new)
        spec = importlib.machinery.ModuleSpec(fullname, _Alias(new),
                                              is_package=hasattr(real, "__path__"))
        return spec


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedFinder())
