"""The message that tells one customer "you told us X; in release R we did Y".

Only this customer's own words and the entry's public wording reach the template: other
customers' quotes and counts are not passed in, so a template cannot leak them. Sending is
someone else's job (``vocmine.tell.notify``); this module only renders. The customer's words and
the phrase pass the privacy gate (``publish/gate.py``): one that redaction would still change is
left out of the message, which then falls back to the template's general wording.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jinja2

from vocmine.core.errors import ConfigError
from vocmine.tell.publish.gate import Gate
from vocmine.tell.publish.strings import STRINGS
from vocmine.tell.publish.templates import TemplateDirs, environment, safe_url, strings_for, xml_safe
from vocmine.tell.publish.views import base_url, pick, said_views

log = logging.getLogger(__name__)


def message_context(entry: Mapping[str, Any], customer: Mapping[str, Any], lang: str,
                    site: Mapping[str, Any] | None = None, gate: Gate | None = None) -> dict[str, Any]:
    """Return the template context of a notification (see docs/publishing.md, "Messages")."""
    site = site or {}
    gate = gate or Gate()
    languages = (lang, "en", "ko")
    # Only the entry's wording and phrase reach a message, so only they count (not its quotes).
    scratch = Gate()
    entry = scratch.entry(entry)
    gate.phrases_withheld += scratch.phrases_withheld
    gate.texts_redacted += scratch.texts_redacted
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
        "url": safe_url(url),
    }
    # Gated as written: a sign-off on its own line is only recognisable before the lines are joined.
    said_raw = str(customer.get("said") or "")
    said_text = " ".join((gate.quote(said_raw, f"the message for entry {entry.get('slug')}") or "").split()) \
        if said_raw.strip() else ""
    you = {
        "name": xml_safe(customer.get("name") or "").strip(),  # the addressee's own name: not a quote
        "said": said_text,
        "feedback_at": customer.get("feedback_at"),
    }
    # A language with its own notify_<lang> templates needs no shared wording.
    strings = strings_for(lang, site.get("strings")) if lang in STRINGS else {}
    return {"lang": lang, "strings": strings, "change": change, "customer": you,
            "company": str(site.get("company") or entry.get("company") or "")}


def render_message(entry: Mapping[str, Any], customer: Mapping[str, Any], lang: str, *,
                   site: Mapping[str, Any] | None = None, template_dir: TemplateDirs = None,
                   gate: Gate | None = None) -> dict[str, str]:
    """Return {"subject", "body_text", "body_html"} telling ``customer`` what changed.

    Templates: ``notify_<lang>.txt.j2`` (required; it sets ``subject`` with ``{% set %}``) and
    ``notify_<lang>.html.j2`` (optional; "" when absent). ``site`` gives the company name and
    the base_url that links to the entry's page. ``gate`` collects what the privacy gate held
    back (pass one to record it in a run).
    """
    if not entry.get("did") or not entry.get("release"):
        raise ConfigError(f"entry {entry.get('slug') or entry.get('id')!r}: a message needs 'did' and 'release'")
    env = environment(template_dir)
    ctx = message_context(entry, customer, lang, site, gate)
    try:
        text_template = env.get_template(f"notify_{lang}.txt.j2")
    except jinja2.TemplateNotFound:
        raise ConfigError(f"no message template for language {lang!r} (notify_{lang}.txt.j2)") from None
    module = text_template.make_module(ctx)
    subject = " ".join(xml_safe(getattr(module, "subject", "") or "").split())
    if not subject:
        raise ConfigError(f"notify_{lang}.txt.j2 must set a subject: {{% set subject = ... %}}")
    body_text = xml_safe(str(module)).strip() + "\n"
    try:
        body_html = xml_safe(env.get_template(f"notify_{lang}.html.j2").render(ctx, subject=subject))
    except jinja2.TemplateNotFound:
        body_html = ""
    return {"subject": subject, "body_text": body_text, "body_html": body_html}
