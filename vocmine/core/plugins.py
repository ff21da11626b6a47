"""Plugin registry: built-ins and third-party implementations alike register as entry points.

Groups (one per role, see ``vocmine.core.roles``): ``vocmine.sources``, ``vocmine.embedders``,
``vocmine.trackers``, ``vocmine.publishers``, ``vocmine.notifiers``. Every name a user types
(CLI choices, the weekly config's ``type =``, ``--format``, ``--tracker``) is looked up here, so a
name a third party registers is accepted wherever a built-in one is.
"""
from __future__ import annotations

import functools
from importlib import import_module
from importlib.metadata import entry_points

from vocmine.core.errors import unknown_name
from vocmine.core.roles import GROUPS as ROLE_GROUPS

# Used only when vocmine runs from a source tree that was never installed (no entry points).
# It must say what setup.cfg's [options.entry_points] says (tests/test_roles.py checks it).
_BUILTINS: dict[str, dict[str, str]] = {
    "vocmine.sources": {
        "csv": "vocmine.collect.sources.csv_source:CsvSource",
        "tsv": "vocmine.collect.sources.csv_source:TsvSource",
        "json": "vocmine.collect.sources.json_source:JsonSource",
        "jsonl": "vocmine.collect.sources.json_source:JsonlSource",
        "xlsx": "vocmine.collect.sources.xlsx_source:XlsxSource",
        "text": "vocmine.collect.sources.text_source:TextSource",
        "web": "vocmine.collect.web:WebSource",
        "reddit": "vocmine.collect.reddit:RedditSource",
    },
    "vocmine.embedders": {
        "minilm": "vocmine.decide.embed:MiniLMEmbedder",
        "minilm-torch": "vocmine.decide.embed:MiniLMTorchEmbedder",
        "minilm-fp32": "vocmine.decide.embed:MiniLMFP32Embedder",
        "kiwi-lsa": "vocmine.decide.embed:KiwiLsaEmbedder",
    },
    "vocmine.trackers": {
        "local": "vocmine.act.trackers.local:LocalTracker",
        "github": "vocmine.act.trackers.github:GitHubTracker",
        "jira": "vocmine.act.trackers.jira:JiraTracker",
        "linear": "vocmine.act.trackers.linear:LinearTracker",
    },
    "vocmine.publishers": {
        "site": "vocmine.tell.publish.site:SitePublisher",
        "markdown": "vocmine.tell.publish.markdown:MarkdownPublisher",
    },
    "vocmine.notifiers": {
        "smtp": "vocmine.tell.smtp:SmtpNotifier",
    },
}
_KINDS = {group: role for role, group in ROLE_GROUPS.items()}  # "vocmine.trackers" -> "tracker"
GROUPS = tuple(_KINDS)


@functools.lru_cache(maxsize=None)
def _table(group: str) -> dict[str, str]:
    table = dict(_BUILTINS.get(group, {}))
    for ep in entry_points(group=group):
        table[ep.name] = ep.value
    return table


def names(group: str) -> list[str]:
    """Return the registered implementation names of a plugin group, sorted."""
    return sorted(_table(group))


def listed(group: str) -> list[str]:
    """Return the registered names of ``group`` built-ins first, in their own order, then plugins."""
    return list(_table(group))


def kind(group: str) -> str:
    """Return the word for one implementation of ``group`` in messages ("tracker")."""
    return _KINDS.get(group, group)


def check(group: str, name: str) -> str:
    """Return ``name`` if it is registered in ``group``; else a ConfigError that lists the valid names."""
    table = _table(group)
    if name not in table:
        raise unknown_name(_KINDS.get(group, group), name, table)
    return name


def refresh() -> None:
    """Forget the cached tables, so that entry points installed since are seen."""
    _table.cache_clear()


def load(group: str, name: str):
    """Return the object registered as ``name`` in ``group``; ConfigError lists valid names."""
    module, _, attr = _table(group)[check(group, name)].partition(":")
    obj = import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj
