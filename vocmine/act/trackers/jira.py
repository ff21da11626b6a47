"""Jira Cloud over REST v3: ``POST /rest/api/3/search/jql`` with JQL, paged by nextPageToken (or startAt)."""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
from collections.abc import Iterator
from typing import Any

from vocmine.core.dates import parse_datetime
from vocmine.core.errors import ConfigError, TrackerError
from vocmine.core.secrets import register
from vocmine.act.trackers.base import Tracker, finish
from vocmine.act.trackers._http import Http, safe_url

FIELDS = ["summary", "description", "status", "labels", "fixVersions", "resolution", "resolutiondate", "created",
          "updated"]
_CATEGORY = {"new": "open", "undefined": "open", "indeterminate": "in_progress", "done": "done"}
# Resolutions that close a ticket without shipping anything: no done date, so no entry.
_NOT_SHIPPED = {"won't do", "won't fix", "wont do", "wont fix", "duplicate", "cannot reproduce", "declined",
                "incomplete", "rejected", "obsolete"}
_PROJECT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def adf_to_text(node: Any) -> str:
    """Return plain text from an Atlassian Document Format value (a string is returned as it is)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    out: list[str] = []

    def walk(n: Any, prefix: str = "") -> None:
        if isinstance(n, list):
            for child in n:
                walk(child, prefix)
            return
        if not isinstance(n, dict):
            return
        kind = n.get("type")
        attrs = n.get("attrs") or {}
        if kind == "text":
            out.append(n.get("text", ""))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind in ("mention", "emoji", "status", "date"):
            out.append(str(attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp") or ""))
        elif kind in ("inlineCard", "blockCard", "embedCard"):
            out.append(str(attrs.get("url") or ""))
        elif kind == "heading":
            out.append("#" * int(attrs.get("level") or 1) + " ")
            walk(n.get("content"))
            out.append("\n\n")
        elif kind in ("paragraph", "codeBlock", "blockquote", "panel"):
            walk(n.get("content"), prefix)
            out.append("\n\n")
        elif kind == "listItem":
            out.append(prefix)
            walk(n.get("content"), prefix)
        elif kind == "bulletList":
            for child in n.get("content") or []:
                walk(child, "- ")
        elif kind == "orderedList":
            for i, child in enumerate(n.get("content") or [], start=int(attrs.get("order") or 1)):
                walk(child, f"{i}. ")
        elif kind == "rule":
            out.append("\n---\n\n")
        else:  # doc, table, tableRow, tableCell, mediaSingle, ...: their text, in order
            walk(n.get("content"), prefix)

    walk(node)
    text = "".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class JiraTracker(Tracker):
    """Issues of one Jira Cloud project, read with JQL.

    ``base_url`` is the site (https://YOUR-SITE.atlassian.net; default $VOCMINE_JIRA_URL); ``email``
    and ``token`` (an API token) default to $VOCMINE_JIRA_EMAIL and $VOCMINE_JIRA_TOKEN; ``jql``
    narrows the search further (it is joined with AND). fixVersions are the release, resolutiondate
    the done date, the status category gives the normalised status. JQL compares times in the
    user's time zone to the minute, so an incremental sync asks from one day before its cursor;
    what comes back unchanged is not written again.
    """

    name = "jira"
    type = "jira"  # the registered name (vocmine.trackers)

    def __init__(self, project: str, *, base_url: str | None = None, email: str | None = None,
                 token: str | None = None, jql: str | None = None, max_wait: float = 60.0, timeout: float = 30.0,
                 page_size: int = 100, max_pages: int = 1000, sleep=None):
        project = str(project or "").strip()
        if not _PROJECT_RE.match(project):
            raise ConfigError(f"jira: project key {project!r} must look like ABC (letters, digits, _)")
        self.scope = project
        base = base_url or os.environ.get("VOCMINE_JIRA_URL")
        if not base:
            raise ConfigError("jira: no site address; pass --url https://YOUR-SITE.atlassian.net "
                              "or set VOCMINE_JIRA_URL")
        self.base_url = base.rstrip("/")
        self.jql = jql
        self.page_size = int(page_size)
        self.max_pages = int(max_pages)
        email = email or os.environ.get("VOCMINE_JIRA_EMAIL")
        token = token or os.environ.get("VOCMINE_JIRA_TOKEN")
        if not email or not token:
            missing = [n for n, v in (("VOCMINE_JIRA_EMAIL", email), ("VOCMINE_JIRA_TOKEN", token)) if not v]
            raise ConfigError(f"jira: no credentials; set {' and '.join(missing)} (an Atlassian account email "
                              "and API token)")
        register(token)
        basic = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        self._http = Http("jira", {"Authorization": f"Basic {basic}"},
                          auth_hint="VOCMINE_JIRA_EMAIL and VOCMINE_JIRA_TOKEN (account email and API token)",
                          max_wait=max_wait, timeout=timeout, **({"sleep": sleep} if sleep else {}))

    def params(self) -> dict[str, Any]:
        """Return the project, site and extra JQL (never the credentials)."""
        return {"tracker": self.name, "scope": self.scope, "base_url": safe_url(self.base_url), "jql": self.jql}

    def query(self, since: str | None) -> str:
        """Return the JQL of a sync from ``since``."""
        parts = [f'project = "{self.scope}"']
        if self.jql:
            parts.append(f"({self.jql})")
        if since:
            start = parse_datetime(since)
            assert start is not None  # since is not empty
            t = dt.datetime.fromisoformat(start.replace("Z", "+00:00")) - dt.timedelta(days=1)
            parts.append(f'updated >= "{t.strftime("%Y-%m-%d %H:%M")}"')
        return " AND ".join(parts) + " ORDER BY updated ASC"

    def settings(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this tracker, credentials left out."""
        return {"project": self.scope, "base_url": safe_url(self.base_url), "jql": self.jql}

    def pull(self, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the project's issues updated since ``since`` (with a day's overlap), oldest update first."""
        url = f"{self.base_url}/rest/api/3/search/jql"
        body: dict[str, Any] = {"jql": self.query(since), "fields": FIELDS, "maxResults": self.page_size}
        for _page in range(self.max_pages):
            data = self._http.post(url, body).data
            if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
                raise TrackerError(f"jira: {url} did not answer a list of issues; check the site address")
            for issue in data["issues"]:
                yield self.ticket(issue)
            if data.get("nextPageToken") and not data.get("isLast"):
                body = {**body, "nextPageToken": data["nextPageToken"]}
                body.pop("startAt", None)
            elif "total" in data and "startAt" in data and not data.get("isLast"):
                nxt = int(data["startAt"]) + len(data["issues"])
                if not data["issues"] or nxt >= int(data["total"]):
                    return
                body = {**body, "startAt": nxt}
            else:
                return
        raise TrackerError(f"jira: more than {self.max_pages} pages of issues in {self.scope}; "
                           "sync with --since to read fewer")

    def ticket(self, issue: dict[str, Any]) -> dict[str, Any]:
        """Return the ticket record of one issue from the API."""
        f = issue.get("fields") or {}
        status = f.get("status") or {}
        category = ((status.get("statusCategory") or {}).get("key") or "").lower()
        norm = _CATEGORY.get(category, "open")
        resolution = ((f.get("resolution") or {}).get("name") or "")
        shipped = norm == "done" and resolution.lower() not in _NOT_SHIPPED
        versions: list[str] = [v["name"] for v in f.get("fixVersions") or [] if isinstance(v, dict) and v.get("name")]
        key = issue.get("key") or str(issue.get("id"))
        return finish({
            "key": key,
            "title": f.get("summary") or "",
            "body": adf_to_text(f.get("description")),
            "status": norm,
            "tracker_status": status.get("name") or category,
            "labels": f.get("labels") or [],
            "url": f"{self.base_url}/browse/{key}",
            "release": ", ".join(versions) or None,
            "done_at": _time(f.get("resolutiondate")) if shipped else None,
            "created_at": _time(f.get("created")),
            "tracker_updated_at": _time(f.get("updated")),
            "tracker_id": issue.get("id"),
            "resolution": resolution or None,
        })


def _time(value: Any) -> Any:
    """Jira writes 2026-08-12T10:15:30.000+0900; Python before 3.11 wants +09:00 (the store parses it)."""
    if not value or not isinstance(value, str):
        return value or None
    return re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
