"""Linear over GraphQL: ``issues(filter: {team, updatedAt}, first, after)``, paged by pageInfo."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from vocmine.core.dates import parse_datetime
from vocmine.core.errors import ConfigError, TrackerError
from vocmine.core.secrets import register
from vocmine.act.trackers.base import Tracker, finish
from vocmine.act.trackers._http import Http, safe_url

QUERY = """query VocmineIssues($filter: IssueFilter, $first: Int, $after: String) {
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {
    nodes {
      id identifier title description url createdAt updatedAt completedAt canceledAt
      state { name type }
      labels { nodes { name } }
      projectMilestone { name }
      cycle { name number }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
_TYPES = {"triage": "open", "backlog": "open", "unstarted": "open", "started": "in_progress",
          "completed": "done", "canceled": "done"}


class LinearTracker(Tracker):
    """Issues of one Linear team (by its key, e.g. ENG).

    ``api_key`` defaults to $VOCMINE_LINEAR_API_KEY; ``base_url`` to $VOCMINE_LINEAR_URL, then
    https://api.linear.app (the query goes to ``/graphql``). The project milestone (else the
    cycle) is the release and ``completedAt`` the done date; a cancelled issue is done without a
    done date, so no entry is built from it.
    """

    name = "linear"
    type = "linear"  # the registered name (vocmine.trackers)

    def __init__(self, team: str, *, api_key: str | None = None, token: str | None = None,
                 base_url: str | None = None, max_wait: float = 60.0, timeout: float = 30.0, page_size: int = 50,
                 max_pages: int = 1000, sleep=None):
        team = str(team or "").strip()
        if not team or " " in team:
            raise ConfigError(f"linear: team key {team!r} must look like ENG (see the team's settings in Linear)")
        self.scope = team
        self.base_url = (base_url or os.environ.get("VOCMINE_LINEAR_URL") or "https://api.linear.app").rstrip("/")
        self.page_size = int(page_size)
        self.max_pages = int(max_pages)
        key = api_key or token or os.environ.get("VOCMINE_LINEAR_API_KEY")
        if not key:
            raise ConfigError("linear: no API key; set VOCMINE_LINEAR_API_KEY (Linear: Settings > API)")
        register(key)
        # Personal API keys go as they are; OAuth access tokens as Bearer tokens.
        auth = f"Bearer {key}" if key.startswith("lin_oauth") else key
        self._http = Http("linear", {"Authorization": auth}, auth_hint="API key in VOCMINE_LINEAR_API_KEY",
                          max_wait=max_wait, timeout=timeout, **({"sleep": sleep} if sleep else {}))

    def params(self) -> dict[str, Any]:
        """Return the team and API address (never the key)."""
        return {"tracker": self.name, "scope": self.scope, "base_url": safe_url(self.base_url)}

    def settings(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this tracker, credentials left out."""
        return {"team": self.scope, "base_url": safe_url(self.base_url)}

    def pull(self, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the team's issues updated after ``since``."""
        url = f"{self.base_url}/graphql"
        flt: dict[str, Any] = {"team": {"key": {"eq": self.scope}}}
        if since:
            flt["updatedAt"] = {"gt": parse_datetime(since)}
        after = None
        for _page in range(self.max_pages):
            data = self._http.post(url, {"query": QUERY, "variables": {"filter": flt, "first": self.page_size,
                                                                        "after": after}}).data
            if not isinstance(data, dict):
                raise TrackerError(f"linear: {url} did not answer GraphQL JSON; check the base URL")
            if data.get("errors"):
                msgs = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in data["errors"])
                raise TrackerError(f"linear: the API refused the query at {url}: {msgs[:300]}")
            issues = ((data.get("data") or {}).get("issues")) or {}
            for node in issues.get("nodes") or []:
                yield self.ticket(node)
            info = issues.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            after = info["endCursor"]
        raise TrackerError(f"linear: more than {self.max_pages} pages of issues in team {self.scope}; "
                           "sync with --since to read fewer")

    def ticket(self, node: dict[str, Any]) -> dict[str, Any]:
        """Return the ticket record of one issue from the API (dates as sent: the store checks them)."""
        state = node.get("state") or {}
        kind = str(state.get("type") or "").lower()
        cycle = node.get("cycle") or {}
        milestone = node.get("projectMilestone") or {}
        release = milestone.get("name") or cycle.get("name") or (
            f"Cycle {cycle['number']}" if cycle.get("number") is not None else None)
        return finish({
            "key": node.get("identifier") or node.get("id"),
            "title": node.get("title") or "",
            "body": node.get("description") or "",
            "status": _TYPES.get(kind, "open"),
            "tracker_status": state.get("name") or kind,
            "labels": [lb.get("name") for lb in ((node.get("labels") or {}).get("nodes") or []) if lb.get("name")],
            "url": node.get("url"),
            "release": release,
            "done_at": node.get("completedAt") if kind == "completed" else None,
            "created_at": node.get("createdAt"),
            "tracker_updated_at": node.get("updatedAt"),
            "tracker_id": node.get("id"),
        })
