"""The changelog as Markdown: one file per language (``CHANGELOG.md``, ``CHANGELOG.ko.md``).

For release notes, a repository README or a wiki that renders Markdown. Customer text is
Markdown-escaped by the template environment, so a quote cannot become a link or an image.
Entries pass the privacy gate first; the folder's manifest (``publish/files.py``) keeps a
hand-written ``CHANGELOG.md`` from being overwritten unless ``force``.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vocmine.tell.publish.files import write_tree
from vocmine.tell.publish.gate import Gate
from vocmine.tell.publish.site import RenderPublisher
from vocmine.tell.publish.templates import TemplateDirs, environment, strings_for, xml_safe
from vocmine.tell.publish.views import base_url, check_languages, entry_view, pick, publishable

log = logging.getLogger(__name__)


def render_changelog(entries: Iterable[Mapping[str, Any]], out_dir: str | Path, site: Mapping[str, Any],
                     template_dir: TemplateDirs = None, languages: Sequence[str] = ("en", "ko"), *,
                     force: bool = False, gate: Gate | None = None) -> list[Path]:
    """Write ``CHANGELOG.md`` (first language) and ``CHANGELOG.<lang>.md``; return their paths.

    Entries link to their pages on the site when ``site["base_url"]`` is set. ``force`` writes
    into a non-empty folder without a vocmine manifest (over a hand-written ``CHANGELOG.md``).
    """
    languages = check_languages(languages)
    url = base_url(site) if site.get("base_url") else ""
    published = (gate or Gate()).entries(publishable(entries))
    env = environment(template_dir)
    out = Path(out_dir)
    files: dict[str, str] = {}
    for lang in languages:
        prefix = "" if lang == languages[0] else f"{lang}/"
        views = [entry_view(e, lang, languages, url_root=url + prefix if url else "",
                            href=f"entries/{e['slug']}.html") for e in published]
        text = env.get_template("changelog.md.j2").render({
            "lang": lang, "strings": strings_for(lang, site.get("strings")), "site": site, "entries": views,
            "site_title": pick(site.get("title"), lang, languages) or str(site.get("company") or ""),
        })
        files["CHANGELOG.md" if not prefix else f"CHANGELOG.{lang}.md"] = xml_safe(text)
    write_tree(out, files, owner="markdown", force=force)
    paths = [out / rel for rel in files]  # the first language first
    log.info("changelog: %d entries in %d languages written to %s", len(published), len(languages), out)
    return paths


class MarkdownPublisher(RenderPublisher):
    """Publisher of the changelog as Markdown files (``render_changelog`` as a plugin)."""

    name = "markdown"
    type = "markdown"  # the registered name (vocmine.publishers)
    render = staticmethod(render_changelog)
