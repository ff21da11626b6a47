"""Publishing: the weekly report, the public changelog site and feed, customer messages.

Everything here renders plain data (dicts, see docs/publishing.md) through Jinja2 templates
found on a lookup chain (the user's folder, then vocmine's ``reports/``); nothing here reads the
workspace. A ``Publisher`` turns entries into files::

    class Publisher(Protocol):
        def publish(self, entries, out) -> list[Path]: ...

Built-ins: ``SitePublisher`` (HTML + Atom, English and Korean) and ``MarkdownPublisher``.
"""
from __future__ import annotations

from vocmine.core.roles import Publisher  # the role (vocmine.core.roles)
from vocmine.tell.publish.markdown import MarkdownPublisher, render_changelog
from vocmine.tell.publish.messages import render_message
from vocmine.tell.publish.report import render_weekly, weekly_context
from vocmine.tell.publish.site import SitePublisher, render_site
from vocmine.tell.publish.templates import environment, template_dirs

__all__ = [
    "Publisher", "SitePublisher", "MarkdownPublisher", "render_site", "render_changelog", "render_weekly",
    "weekly_context", "render_message", "environment", "template_dirs",
]
