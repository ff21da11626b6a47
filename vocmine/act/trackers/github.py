"""GitHub Issues over the REST API: ``GET /repos/{owner}/{repo}/issues``, paged by the Link header."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from vocmine.core.errors import ConfigError, TrackerError
from vocmine.core.secrets import register
from vocmine.act.trackers.base import Tracker, finish
from vocmine.act.trackers.status import normalise_status
from vocmine.act.trackers._http import Http, safe_url

TOKEN_ENV = ("VOCMINE_GITHUB_TOKEN", "GITHUB_TOKEN")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubTracker(Tracker):
    """Issues of one GitHub repository (pull requests are skipped).

    ``repo`` is "owner/name"; ``token`` defaults to $VOCMINE_GITHUB_TOKEN, then $GITHUB_TOKEN (a
    public repository can be read without one, at a lower rate limit); ``base_url`` to
    $VOCMINE_GITHUB_API_URL, then https://api.github.com (GitHub Enterprise:
    https://HOST/api/v3). The milestone is the release and ``closed_at`` the done date; an issue
    closed as "not planned" is done without a done date, so no entry is built from it.
    ``max_wait`` bounds the seconds spent waiting out rate limits.
    """

    name = "github"
    type = "github"  # the registered name (vocmine.trackers)

    def __init__(self, repo: str, *, token: str | None = None, base_url: str | None = None, max_wait: float = 60.0,
                 timeout: float = 30.0, per_page: int = 100, max_pages: int = 1000, sleep=None):
        repo = str(repo or "").strip().strip("/")
        if repo.startswith("https://github.com/"):
            repo = repo[len("https://github.com/"):].strip("/")
        if not _REPO_RE.match(repo):
            raise ConfigError(f"github: repository {repo!r} must look like OWNER/NAME, e.g. octo-org/app")
        self.scope = repo
        self.base_url = (base_url or os.environ.get("VOCMINE_GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        self.per_page = int(per_page)
        self.max_pages = int(max_pages)
        token = token or next((os.environ[v] for v in TOKEN_ENV if os.environ.get(v)), None)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            register(token)
            headers["Authorization"] = f"Bearer {token}"
        self._http = Http("github", headers, auth_hint="token in VOCMINE_GITHUB_TOKEN (or GITHUB_TOKEN)",
                          max_wait=max_wait, timeout=timeout, **({"sleep": sleep} if sleep else {}))

    def params(self) -> dict[str, Any]:
        """Return the repository and API address (never the token)."""
        return {"tracker": self.name, "scope": self.scope, "base_url": safe_url(self.base_url)}

    def settings(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this tracker, credentials left out."""
        return {"repo": self.scope, "base_url": safe_url(self.base_url)}

    def pull(self, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the repository's issues updated at or after ``since``, oldest update first."""
        url: str | None = f"{self.base_url}/repos/{self.scope}/issues"
        params: dict[str, Any] | None = {"state": "all", "sort": "updated", "direction": "asc",
                                         "per_page": self.per_page, "since": since}
        for _page in range(self.max_pages):
            if url is None:
                return
            resp = self._http.get(url, params)
            if not isinstance(resp.data, list):
                raise TrackerError(f"github: {url} did not answer a list of issues; check the base URL")
            for item in resp.data:
                if isinstance(item, dict) and "pull_request" not in item:
                    yield self.ticket(item)
            url, params = resp.links.get("next"), None
        if url:
            raise TrackerError(f"github: more than {self.max_pages} pages of issues in {self.scope}; "
                               "sync with --since to read fewer")

    def ticket(self, item: dict[str, Any]) -> dict[str, Any]:
        """Return the ticket record of one issue from the API (dates as sent: the store checks them)."""
        labels = [lb.get("name") if isinstance(lb, dict) else lb for lb in item.get("labels") or []]
        state = str(item.get("state") or "open")
        reason = item.get("state_reason")
        if state == "closed":
            status = "done"
        else:
            status = "in_progress" if any(normalise_status(lb, "") == "in_progress" for lb in labels) else "open"
        not_planned = state == "closed" and reason == "not_planned"
        milestone = item.get("milestone") or {}
        return finish({
            "key": f"{self.scope}#{item['number']}",
            "title": item.get("title") or "",
            "body": item.get("body") or "",
            "status": status,
            "tracker_status": f"{state} ({reason})" if reason and state == "closed" else state,
            "labels": labels,
            "url": item.get("html_url") or f"https://github.com/{self.scope}/issues/{item['number']}",
            "release": milestone.get("title") if isinstance(milestone, dict) else None,
            "done_at": item.get("closed_at") if state == "closed" and not not_planned else None,
            "created_at": item.get("created_at"),
            "tracker_updated_at": item.get("updated_at"),
            "tracker_id": item.get("id"),
        })
