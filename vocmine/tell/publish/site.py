"""The public "you said, we did" changelog: static HTML pages and an Atom feed per language.

Layout under ``out_dir`` (the first language at the top, each other one in its own folder)::

    style.css
    index.html            entries/<slug>.html            feed.xml
    ko/index.html         ko/entries/<slug>.html         ko/feed.xml

Pages link to each other with relative URLs, so the site works from any folder, from file://
and behind any host; absolute URLs (``site["base_url"]``) appear only where they must: the
canonical and hreflang links and the Atom feed. Output is deterministic (the same input gives
byte-identical files; nothing is stamped with the current time) and files are rewritten only
when their content changes. The folder's manifest (``publish/files.py``) lists what the site
wrote: pages of entries that are no longer published are removed, nothing else is touched, and
a non-empty folder without a manifest is refused unless ``force``. Entries pass the privacy
gate (``publish/gate.py``) first, and every page is XML-safe.
"""
from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vocmine.core.errors import ConfigError
from vocmine.tell.publish.files import write_tree
from vocmine.tell.publish.gate import Gate
from vocmine.tell.publish.strings import AUTONYMS
from vocmine.tell.publish.templates import TemplateDirs, environment, rfc3339, strings_for, xml_safe
from vocmine.tell.publish.views import base_url as checked_base_url
from vocmine.tell.publish.views import check_languages, entry_view, pick, publishable

log = logging.getLogger(__name__)

EPOCH = "1970-01-01T00:00:00Z"


def _prefix(lang: str, languages: Sequence[str]) -> str:
    return "" if lang == languages[0] else f"{lang}/"


def _rel(target: str, page: str) -> str:
    """Return the relative URL from the page at site path ``page`` to site path ``target``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def _page_context(base: dict[str, Any], url: str, prefix: str, counterpart: str, **extra: Any) -> dict[str, Any]:
    """Return the context of the page at ``prefix + counterpart`` (``counterpart``: its path in
    any language), with relative roots and the links to the same page in the other languages."""
    languages = base["languages"]
    path = prefix + counterpart
    depth = path.count("/")
    alternates = []
    for other in languages:
        target = _prefix(other, languages) + counterpart
        alternates.append({"lang": other, "name": AUTONYMS.get(other, other), "href": _rel(target, path),
                           "url": url + target})
    return {**base, "root": "../" * depth, "lang_root": "../" * (depth - prefix.count("/")),
            "canonical": url + path, "alternates": alternates, **extra}


def render_site(entries: Iterable[Mapping[str, Any]], out_dir: str | Path, site: Mapping[str, Any],
                template_dir: TemplateDirs = None, languages: Sequence[str] = ("en", "ko"), *,
                force: bool = False, gate: Gate | None = None) -> list[Path]:
    """Render the changelog site into ``out_dir``; return the paths of all its files, sorted.

    ``entries`` and ``site`` follow docs/publishing.md. Drafts (``status`` other than
    "approved"/"published") are left out. ``template_dir`` (a folder or a list of folders) comes
    before the packaged templates in the lookup chain. ``force`` writes into a non-empty folder
    that has no vocmine manifest; ``gate`` collects what the privacy gate held back.
    """
    languages = check_languages(languages)
    url = checked_base_url(site)
    if not site.get("company"):
        raise ConfigError("site needs 'company': the name shown as the feed's author and in the footer")
    published = (gate or Gate()).entries(publishable(entries))
    env = environment(template_dir)
    out = Path(out_dir)
    files: dict[str, str] = {}

    def emit(rel: str, text: str) -> None:
        files[rel] = xml_safe(text)

    assert env.loader is not None  # environment() always builds a loader chain
    css, _, _ = env.loader.get_source(env, "site.css")
    emit("style.css", css)
    for lang in languages:
        prefix = _prefix(lang, languages)
        strings = strings_for(lang, site.get("strings"))
        site_title = pick(site.get("title"), lang, languages) or str(site["company"])
        base = {"lang": lang, "strings": strings, "site": site, "site_title": site_title, "languages": languages}

        views = [entry_view(e, lang, languages, url_root=url + prefix, href=f"entries/{e['slug']}.html")
                 for e in published]
        emit(prefix + "index.html", env.get_template("site_index.html.j2").render(
            _page_context(base, url, prefix, "index.html", page="index", entries=views)))
        for view in views:
            page = f"entries/{view['slug']}.html"
            emit(prefix + page, env.get_template("site_entry.html.j2").render(
                _page_context(base, url, prefix, page, page="entry", entry=view)))
        updated = rfc3339(site["updated"]) if site.get("updated") else max((v["updated"] for v in views),
                                                                            default=EPOCH)
        emit(prefix + "feed.xml", env.get_template("feed.xml.j2").render(
            {**base, "entries": views, "updated": updated, "feed_id": url + prefix + "feed.xml",
             "feed_url": url + prefix + "feed.xml", "index_url": url + prefix + "index.html"}))
    written, changed = write_tree(out, files, owner="site", force=force)
    log.info("site: %d entries in %d languages, %d files changed, in %s", len(published), len(languages),
             changed, out)
    return sorted(written)


class RenderPublisher:
    """A publisher that is one render function as a plugin: subclasses name ``render``."""

    name = ""
    type = ""
    render = staticmethod(render_site)

    def __init__(self, site: Mapping[str, Any], *, template_dir: TemplateDirs = None,
                 languages: Sequence[str] = ("en", "ko"), force: bool = False) -> None:
        self.site = site
        self.template_dir = template_dir
        self.languages = languages
        self.force = force

    def publish(self, entries: Iterable[Mapping[str, Any]], out: str | Path) -> list[Path]:
        """Render ``entries`` into folder ``out``; return the files."""
        return self.render(entries, out, self.site, self.template_dir, self.languages, force=self.force)


class SitePublisher(RenderPublisher):
    """Publisher of the static changelog site with Atom feeds (``render_site`` as a plugin)."""

    name = "site"
    type = "site"  # the registered name (vocmine.publishers)
    render = staticmethod(render_site)
