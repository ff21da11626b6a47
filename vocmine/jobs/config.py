"""The weekly job's configuration: ``vocmine.toml`` read and checked whole before anything runs
(every mistake named with the file and the setting), and the starter file ``vocmine init``
writes (``starter.toml`` beside this module).
"""
from __future__ import annotations

import logging
import sys
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from vocmine.core import plugins
from vocmine.core.errors import ConfigError, unknown_name

log = logging.getLogger("vocmine.jobs.weekly")


_TOP_KEYS = {"workspace", "log", "languages", "sources", "analyze", "topics", "taxonomy", "trackers", "links",
             "report", "publish", "notify"}
# Config types of weekly's own: "file" (any file format, by extension or `format`), "scrape" (the
# registered "web" source under its historical name) and "json" (a tickets file). Every other
# `type =` is a name in the registry (vocmine.core.plugins), a third party's as much as a built-in.
_WEB_TYPES = ("scrape", "web")
_SOURCE_KEYS = {
    "file": {"type", "name", "path", "columns", "kind", "encoding", "format", "delimiter", "sheet", "max_chars",
             "rating_scale"},
    "scrape": {"type", "name", "urls", "site", "max_pages"},
    "reddit": {"type", "name", "subreddit", "query", "since", "comments", "limit", "more_limit", "overlap_hours"},
}


@dataclass
class Config:
    """A parsed ``vocmine.toml``: plain data with paths made absolute against the file's folder."""

    path: Path | None
    workspace: Path
    log: Path | None
    languages: list[str]
    sources: list[dict[str, Any]]
    analyze: dict[str, Any]
    topics: dict[str, Any]
    taxonomy: dict[str, Any]
    trackers: list[dict[str, Any]]
    links: dict[str, Any]
    report: dict[str, Any]
    publish: dict[str, Any]
    notify: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


def _source_type(s: dict[str, Any], where: str, i: int) -> str:
    """Return the weekly kind of source table ``s`` ("file", "scrape", "reddit" or a plugin's name).

    A file format's name (``type = "csv"``) is a file source of that format.
    """
    from vocmine.collect.sources.base import file_formats

    kind = s.setdefault("type", "file")
    formats = file_formats()
    if kind in formats:
        s["type"] = "file"
        s.setdefault("format", kind)
        return "file"
    if kind in _WEB_TYPES:
        s["type"] = "scrape"
        return "scrape"
    valid = ["file", "scrape", *plugins.names("vocmine.sources")]
    if kind not in valid:
        raise ConfigError(f"{where}: sources[{i}].type: {unknown_name('source', str(kind), valid)}")
    return kind


def _tracker_types() -> list[str]:
    """Return the tracker types a weekly config may name: "json" and every syncable registered tracker."""
    return ["json", *(n for n in plugins.names("vocmine.trackers") if n != "local")]


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return dict(value)


def load_config(path: str | os.PathLike | None, *, db: str | os.PathLike | None = None) -> Config:
    """Read and check a weekly config; without ``path``, a config of defaults for ``db``."""
    data: dict[str, Any] = {}
    base = Path.cwd()
    where = "defaults"
    if path:
        p = Path(path)
        where = str(p)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file; 'vocmine init' writes a starter vocmine.toml")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{p}: not UTF-8 text") from exc
        base = p.resolve().parent
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; "
                          f"available: {', '.join(sorted(_TOP_KEYS))}")

    def rel(value: Any, what: str) -> Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {what} must be a path string")
        q = Path(os.path.expanduser(value))
        return q if q.is_absolute() else base / q

    workspace = Path(db) if db else rel(data.get("workspace", "vocmine.db"), "workspace")
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        raise ConfigError(f"{where}: sources must be an array of tables ([[sources]])")
    checked = []
    for i, s in enumerate(sources, start=1):
        if not isinstance(s, dict):
            raise ConfigError(f"{where}: sources[{i}] must be a table")
        s = dict(s)
        kind = _source_type(s, where, i)
        if kind == "file":
            if "path" not in s:
                raise ConfigError(f"{where}: sources[{i}] (file) needs a path")
            s["path"] = str(rel(s["path"], f"sources[{i}].path"))
        if kind == "scrape" and not s.get("urls"):
            raise ConfigError(f"{where}: sources[{i}] (scrape) needs urls = [...]")
        if kind == "scrape" and s.get("site"):
            s["site"] = str(rel(s["site"], f"sources[{i}].site"))
        if kind == "reddit" and not s.get("subreddit"):
            raise ConfigError(f"{where}: sources[{i}] (reddit) needs a subreddit")
        if kind not in _SOURCE_KEYS:  # a plugin's source: its table is its constructor's arguments
            checked.append(s)
            continue
        allowed = _SOURCE_KEYS[kind]
        extra = sorted(set(s) - allowed)
        if extra:
            raise ConfigError(f"{where}: sources[{i}] ({kind}) has unknown key(s) {', '.join(extra)}; "
                              f"available: {', '.join(sorted(allowed))}")
        checked.append(s)
    trackers = data.get("trackers", [])
    if not isinstance(trackers, list):
        raise ConfigError(f"{where}: trackers must be an array of tables ([[trackers]])")
    tchecked = []
    for i, t in enumerate(trackers, start=1):
        t = dict(t)
        tracker_type = t.get("type")
        valid = _tracker_types()
        if tracker_type not in valid:
            raise ConfigError(f"{where}: trackers[{i}].type: {unknown_name('tracker', str(tracker_type), valid)}")
        if tracker_type == "json":
            t["path"] = str(rel(t.get("path", ""), f"trackers[{i}].path"))
        if any(k in t for k in ("token", "api_key", "password")):
            raise ConfigError(f"{where}: trackers[{i}] holds a secret; put tokens in environment variables "
                              "(see docs/trackers.md), never in the config file")
        tchecked.append(t)
    report = _table(data, "report", where)
    report["out"] = str(rel(report.get("out", "reports"), "report.out"))
    publish = _table(data, "publish", where)
    publish["out"] = str(rel(publish.get("out", "site"), "publish.out"))
    for fmt in publish.get("formats", ["site"]):
        if fmt not in plugins.names("vocmine.publishers"):
            raise ConfigError(f"{where}: publish.formats: "
                              f"{unknown_name('publisher', str(fmt), plugins.names('vocmine.publishers'))}")
    notify = _table(data, "notify", where)
    if notify.get("type", "smtp") not in plugins.names("vocmine.notifiers"):
        raise ConfigError(f"{where}: notify.type: "
                          f"{unknown_name('notifier', str(notify['type']), plugins.names('vocmine.notifiers'))}")
    if notify.get("outbox"):
        notify["outbox"] = str(rel(notify["outbox"], "notify.outbox"))
    taxonomy = _table(data, "taxonomy", where)
    if taxonomy.get("path"):
        taxonomy["path"] = str(rel(taxonomy["path"], "taxonomy.path"))
    for t in (report, publish):
        if t.get("templates"):
            t["templates"] = str(rel(t["templates"], "templates"))
    langs = data.get("languages", ["en", "ko"])
    if not isinstance(langs, list) or not set(langs) <= {"en", "ko"}:
        raise ConfigError(f"{where}: languages must be a list drawn from en, ko")
    return Config(
        path=Path(path).resolve() if path else None, workspace=workspace,
        log=rel(data["log"], "log") if data.get("log") else None, languages=langs, sources=checked,
        analyze=_table(data, "analyze", where), topics=_table(data, "topics", where), taxonomy=taxonomy,
        trackers=tchecked, links=_table(data, "links", where), report=report, publish=publish, notify=notify,
        raw=data,
    )


def starter_config(workspace: str = "vocmine.db") -> str:
    """A commented starter ``vocmine.toml`` for ``workspace`` (what ``vocmine init`` writes): the
    packaged ``vocmine/jobs/starter.toml`` with its workspace filled in."""
    from importlib import resources

    text = resources.files("vocmine.jobs").joinpath("starter.toml").read_text(encoding="utf-8")
    return text.replace('workspace = "{workspace}"', f'workspace = "{workspace}"', 1)
