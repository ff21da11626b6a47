"""The weekly job: collect → analyze → topics → tickets → links → report → publish (→ notify).

One TOML file (``vocmine.toml``) says where everything is; ``run_weekly`` runs the stages in
order, each incremental and recorded in ``runs``. A lock file stops two runs on one workspace;
a failed stage is recorded with the week, and the next run of that week resumes at it.
Re-running a finished week runs every stage again, and since each adds only what is new, the
second run adds no rows and writes the same report.

Exit codes (``vocmine weekly``): 0 done, 1 a stage failed, 2 bad config or usage, 75 another
run holds the lock (try later).
"""
from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from vocmine.core.dates import iso_week, week_monday
from vocmine.core import plugins
from vocmine.core.errors import ConfigError, VocmineError, is_disk_full
from vocmine.core.secrets import protect, scrub
from vocmine.jobs.config import Config, load_config, starter_config  # noqa: F401 - the job's API

log = logging.getLogger(__name__)

STAGES = ("collect", "analyze", "topics", "tickets", "links", "report", "publish", "notify")
EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 75
STATE_SOURCE = "weekly"

class Locked(VocmineError):
    """Another weekly run holds the workspace's lock."""


class _StageFailed(Exception):
    """Raised inside the weekly run record so that it is stored as failed."""


# -- the lock ---------------------------------------------------------------------------------

@contextlib.contextmanager
def lock(workspace: Path) -> Iterator[Path]:
    """Hold ``<workspace>.lock`` for the duration; raise Locked when another process has it.

    An OS file lock (flock), so a killed run (even kill -9) never leaves it held.
    """
    import fcntl

    path = Path(str(workspace) + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise Locked(f"another vocmine weekly is running on {workspace} (pid {holder}); "
                         "try again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)


# -- weeks ------------------------------------------------------------------------------------

def check_week(week: str) -> str:
    """Return ``week`` when it is an ISO week ('2026-W38'), else raise ConfigError."""
    week_monday(week)
    return week


def default_week(ws, today: date | None = None) -> str | None:
    """The last complete ISO week, or the week of the newest feedback when that is earlier."""
    from vocmine.tell.report_stage import latest_week

    today = today or datetime.now(timezone.utc).date()
    last_complete = iso_week(today - timedelta(days=7))
    newest = latest_week(ws)
    if newest is None:
        return None
    return min(newest, last_complete)


# -- stages -----------------------------------------------------------------------------------

def _collect(ws, conf: Config, week: str | None) -> dict[str, Any]:
    counts: dict[str, Any] = {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for i, s in enumerate(conf.sources, start=1):
        kind = s["type"]
        if kind == "file":
            paths = sorted(glob.glob(s["path"])) if any(c in s["path"] for c in "*?[") else [s["path"]]
            if not paths or not all(Path(p).exists() for p in paths):
                raise ConfigError(f"sources[{i}]: no file at {s['path']}")
            opts = {k: v for k, v in s.items() if k not in ("type", "path", "name", "columns")}
            result = ws.ingest(paths, source=s.get("name"), columns=s.get("columns") or None, **opts)
        elif kind == "scrape":
            result = _call(ws, "scrape", f"sources[{i}] (scrape)", urls=s["urls"], site=s.get("site"),
                           max_pages=s.get("max_pages"), source=s.get("name"))
        elif kind == "reddit":
            opts = {k: s[k] for k in ("subreddit", "query", "since", "comments", "limit", "more_limit",
                                      "overlap_hours") if k in s}
            result = _call(ws, "ingest_reddit", f"sources[{i}] (reddit)", source=s.get("name"), **opts)
        else:  # a registered source of a plugin: built from its table, stored through the ingest path
            result = ws.ingest(source=_plugin_source(kind, s, i))
        part = result.as_dict() if hasattr(result, "as_dict") else dict(result)
        for k in counts:
            counts[k] += int(part.get(k, 0) or 0)
        log.info("collect: %s: %s", s.get("name") or s.get("path") or kind, part)
    return counts


def _plugin_source(kind: str, s: dict[str, Any], i: int) -> Any:
    cls = plugins.load("vocmine.sources", kind)
    try:
        return cls(**{k: v for k, v in s.items() if k != "type"})
    except TypeError as exc:
        raise ConfigError(f"sources[{i}] ({kind}): bad settings ({exc})") from None


def _call(ws, method: str, what: str, **kwargs: Any) -> Any:
    fn = getattr(ws, method, None)
    if fn is None:
        raise ConfigError(f"{what}: this vocmine has no {method} collector")
    return fn(**{k: v for k, v in kwargs.items() if v is not None})


def _analyze(ws, conf: Config, week: str | None) -> dict[str, Any]:
    opts = {k: conf.analyze[k] for k in ("sentiment", "english_model") if conf.analyze.get(k)}
    return ws.analyze(**opts).as_dict()


def _topics(ws, conf: Config, week: str | None) -> dict[str, Any]:
    from vocmine.core.resources import load_taxonomy
    from vocmine.decide.topic_stage import categorize_segments

    if conf.topics.get("enabled", True) is False:
        return {"skipped": "topics.enabled = false"}
    tax = load_taxonomy(conf.taxonomy["path"]) if conf.taxonomy.get("path") else None
    if hasattr(ws, "update_topics"):
        opts: dict[str, Any] = {k: conf.topics[k] for k in ("embedder", "refit", "all_segments") if k in conf.topics}
        if tax is not None:
            opts["taxonomy"] = tax
        return dict(ws.update_topics(**opts))
    return {"categorised": categorize_segments(ws, tax)}


def _tickets(ws, conf: Config, week: str | None) -> dict[str, Any]:
    from vocmine.act.trackers.store import import_tickets

    counts: dict[str, Any] = {"new": 0, "synced": 0}
    problems: list[str] = []
    for i, t in enumerate(conf.trackers, start=1):
        if t["type"] == "json":
            try:
                items = json.loads(Path(t["path"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"trackers[{i}]: cannot read tickets from {t['path']}: {exc}") from exc
            if not isinstance(items, list):
                raise ConfigError(f"trackers[{i}]: {t['path']} must hold a JSON array of tickets")
            r = import_tickets(ws, items, tracker=t.get("name", "local"))
            counts["synced"] += len(items)
        else:
            opts = {k: v for k, v in t.items() if k != "type"}
            r = _call(ws, "sync_tickets", f"trackers[{i}] ({t['type']})", tracker=t["type"], **opts)
        for k, v in dict(r).items():
            if isinstance(v, int) and not isinstance(v, bool):
                counts[k] = counts.get(k, 0) + v
        for problem in r.get("problems") or []:
            log.warning("trackers[%d]: %s", i, problem)
            problems.append(f"trackers[{i}]: {problem}")
    if problems:  # bad tickets are stored without their bad fields; the run says which
        counts["problems"] = problems
    return counts


def _links(ws, conf: Config, week: str | None) -> dict[str, Any]:
    suggestions = ws.suggest_links(min_score=float(conf.links.get("min_score", 0.35)),
                                   taxonomy=conf.taxonomy.get("path") or None)
    entries = ws.build_entries(weeks=int(conf.links.get("weeks", 4)))
    return {"suggestions": len(suggestions), "entries": len(entries),
            "drafts": sum(e["status"] == "draft" for e in entries)}


def _report(ws, conf: Config, week: str | None) -> dict[str, Any]:
    r = conf.report
    if r.get("enabled", True) is False:
        return {"skipped": "report.enabled = false"}
    _save_site_settings(ws, conf)
    langs = r.get("languages") or [r.get("lang", "en")]
    files = 0
    for i, lang in enumerate(langs):
        out = Path(r["out"]) if i == 0 else Path(r["out"]) / lang
        paths = ws.report(out, week=week, lang=lang, template_dir=r.get("templates"))
        files += len(paths)
    return {"week": week, "files": files}


def _site(conf: Config) -> dict[str, Any]:
    return {k: conf.publish[k] for k in ("base_url", "company", "title_en", "title_ko") if conf.publish.get(k)}


def _save_site_settings(ws, conf: Config) -> None:
    """Save the config's site settings (company, base URL, titles) before anything reads them.

    The report names the company from these settings; saving them only at publish (after the
    report) gave a first run without the company and a second run with it.
    """
    from vocmine.tell.report_stage import site_settings

    site_settings(ws, **_site(conf))


def _publish(ws, conf: Config, week: str | None) -> dict[str, Any]:
    p = conf.publish
    if p.get("enabled", True) is False:
        return {"skipped": "publish.enabled = false"}
    site = _site(conf)
    files = ws.publish(p["out"], formats=tuple(p.get("formats", ["site"])), template_dir=p.get("templates"),
                       languages=tuple(conf.languages), **site)
    return {"files": len(files), "approved": len(ws.entries("approved"))}


def _notify(ws, conf: Config, week: str | None) -> dict[str, Any]:
    n = conf.notify
    if not n.get("enabled", False):
        return {"skipped": "notify.enabled is not true"}
    smtp = {k[5:]: v for k, v in n.items() if k.startswith("smtp_")} or None
    opts = {"notifier": n["type"]} if n.get("type") else {}
    return dict(_call(ws, "notify", "notify", outbox=n.get("outbox"), send=bool(n.get("send", False)), smtp=smtp,
                      **opts))


STAGE_FUNCS: dict[str, Callable[[Any, Config, str | None], dict[str, Any]]] = {
    "collect": _collect, "analyze": _analyze, "topics": _topics, "tickets": _tickets, "links": _links,
    "report": _report, "publish": _publish, "notify": _notify,
}


@dataclass
class WeeklyResult:
    """What a weekly run did: the week, each stage's status and counts, and the exit code."""

    week: str | None
    stages: list[dict[str, Any]]
    exit_code: int
    failed: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (``vocmine weekly --json``)."""
        return {"week": self.week, "exit_code": self.exit_code, "failed": self.failed, "error": self.error,
                "stages": self.stages}


def plan(conf: Config, week: str | None, stage: str | None, resume_from: list[str]) -> list[tuple[str, str]]:
    """Return [(stage, "run" | "skip: why")] for a run."""
    out = []
    for name in STAGES:
        if stage and name != stage:
            out.append((name, "skip: --stage"))
        elif name in resume_from:
            out.append((name, "skip: done in the interrupted run of this week"))
        else:
            out.append((name, "run"))
    return out


def run_weekly(conf: Config, *, week: str | None = None, stage: str | None = None, dry_run: bool = False,
               echo: Callable[[str], Any] | None = None, today: date | None = None) -> WeeklyResult:
    """Run the weekly stages for ``week`` (default: the last complete week with feedback)."""
    from vocmine.workspace import Workspace

    say = echo or (lambda m: None)
    if stage and stage not in STAGES:
        raise ConfigError(f"unknown stage {stage!r}; available: {', '.join(STAGES)}")
    if week:
        check_week(week)
    handler = _file_log(conf)
    try:
        with lock(conf.workspace), Workspace(conf.workspace) as ws:
            state_key = week or "auto"
            state = json.loads(ws.state(STATE_SOURCE, state_key) or "{}")
            resume = state.get("done", []) if state.get("failed") and not stage else []
            steps = plan(conf, week, stage, resume)
            if resume:
                say(f"resuming the interrupted run of {state_key} at {state['failed']}")
            if dry_run:
                for name, what in steps:
                    say(f"{name:8} {what}")
                return WeeklyResult(week, [{"stage": n, "status": w} for n, w in steps], EXIT_OK)
            done = list(resume)
            results: list[dict[str, Any]] = []
            current_week = week
            failure: WeeklyResult | None = None
            try:
                with ws.run("weekly", {"week": week, "stage": stage, "config": str(conf.path or "")}) as wcounts:
                    for name, what in steps:
                        if what != "run":
                            results.append({"stage": name, "status": "skipped", "why": what[6:]})
                            continue
                        if name == "report" and current_week is None:
                            current_week = default_week(ws, today)
                        t0 = time.monotonic()
                        ws.set_state(STATE_SOURCE, state_key, json.dumps({"done": done, "failed": name, "running": True}))
                        log.info("weekly %s: stage %s starts", state_key, name)
                        try:
                            counts = STAGE_FUNCS[name](ws, conf, current_week)
                        except Exception as exc:  # noqa: BLE001 - one line, recorded, the next run resumes here
                            if is_disk_full(exc):
                                # Nothing more can be written (not even this failure): the state
                                # still says this stage is running, so the next run resumes here.
                                raise
                            msg = scrub(str(exc) if isinstance(exc, VocmineError) else f"{type(exc).__name__}: {exc}")
                            log.exception("weekly %s: stage %s failed", state_key, name)
                            ws.set_state(STATE_SOURCE, state_key, json.dumps({"done": done, "failed": name, "error": msg}))
                            results.append({"stage": name, "status": "failed", "error": msg})
                            say(f"{name:8} FAILED: {msg}")
                            wcounts.update({"failed": name})
                            failure = WeeklyResult(current_week, results, EXIT_FAILED, failed=name, error=msg)
                            raise _StageFailed(f"stage {name} failed: {msg}") from exc
                        secs = round(time.monotonic() - t0, 2)
                        done.append(name)
                        results.append({"stage": name, "status": "ok", "seconds": secs, "counts": counts})
                        say(f"{name:8} ok  {_brief(counts)}")
                        log.info("weekly %s: stage %s done in %.2fs: %s", state_key, name, secs, counts)
                    ws.set_state(STATE_SOURCE, state_key, json.dumps({"done": done, "finished": True, "week": current_week}))
                    wcounts.update({"week": current_week, "stages": len(done)})
            except _StageFailed:
                assert failure is not None
                return failure
            return WeeklyResult(current_week, results, EXIT_OK)
    finally:
        if handler:
            logging.getLogger("vocmine").removeHandler(handler)
            handler.close()


def _brief(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if not isinstance(v, (dict, list)))


def _file_log(conf: Config) -> logging.Handler | None:
    path = conf.log or Path(str(conf.workspace) + ".log").with_name(Path(conf.workspace).stem + "-weekly.log")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    protect(handler)  # no credential an error echoes reaches the log file
    root = logging.getLogger("vocmine")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler
