"""The message that tells one customer "you told us X; in release R we did Y".

Only this customer's own words and the entry's public wording reach the template: other
customers' quotes and counts are not passed in, so a template cannot leak them. Sending is
someone else's job (``vocmine.notify``); this module only renders.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jinja2

from ..errors import ConfigError
from .strings import STRINGS
from .templates import TemplateDirs, environment, strings_for
from .views import base_url, pick, said_views

log = logging.getLogger(__name__)


def message_context(entry: Mapping[str, Any], customer: Mapping[str, Any], lang: str,
                    site: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the template context of a notification (see docs/publishing.md, "Messages")."""
    site = site or {}
    languages = (lang, "en", "ko")
    said, _ = said_views(entry, lang, languages)
    url = ""
    if site.get("base_url") and entry.get("slug"):
        prefix = "" if lang == (site.get("languages") or ("en",))[0] else f"{lang}/"
        url = f"{base_url(site)}{prefix}entries/{entry['slug']}.html"
    change = {
        "title": pick(entry.get("title"), lang, languages),
        "did": pick(entry.get("did"), lang, languages),
        "release": str(entry.get("release") or ""),
        "shipped_at": entry.get("shipped_at"),
        # The public phrase only (never other customers' quotes or counts).
        "phrase": said["phrase"] if said else "",
        "phrase_lang": said["lang"] if said else lang,
        "url": url,
    }
    you = {
        "name": str(customer.get("name") or "").strip(),
        "said": " ".join(str(customer.get("said") or "").split()),
        "feedback_at": customer.get("feedback_at"),
    }
    # A language with its own notify_<lang> templates needs no shared wording.
    strings = strings_for(lang, site.get("strings")) if lang in STRINGS else {}
    return {"lang": lang, "strings": strings, "change": change, "customer": you,
            "company": str(site.get("company") or entry.get("company") or "")}


def render_message(entry: Mapping[str, Any], customer: Mapping[str, Any], lang: str, *,
                   site: Mapping[str, Any] | None = None, template_dir: TemplateDirs = None) -> dict[str, str]:
    """Return {"subject", "body_text", "body_html"} telling ``customer`` what changed.

    Templates: ``notify_<lang>.txt.j2`` (required; it sets ``subject`` with ``{% set %}``) and
    ``notify_<lang>.html.j2`` (optional; "" when absent). ``site`` gives the company name and
    the base_url that links to the entry's page.
    """
    if not entry.get("did") or not entry.get("release"):
        raise ConfigError(f"entry {entry.get('slug') or entry.get('id')!r}: a message needs 'did' and 'release'")
    env = environment(template_dir)
    ctx = message_context(entry, customer, lang, site)
    try:
        text_template = env.get_template(f"notify_{lang}.txt.j2")
    except jinja2.TemplateNotFound:
        raise ConfigError(f"no message template for language {lang!r} (notify_{lang}.txt.j2)") from None
    module = text_template.make_module(ctx)
    subject = " ".join(str(getattr(module, "subject", "") or "").split())
    if not subject:
        raise ConfigError(f"notify_{lang}.txt.j2 must set a subject: {{% set subject = ... %}}")
    body_text = str(module).strip() + "\n"
    try:
        body_html = env.get_template(f"notify_{lang}.html.j2").render(ctx, subject=subject)
    except jinja2.TemplateNotFound:
        body_html = ""
    return {"subject": subject, "body_text": body_text, "body_html": body_html}
