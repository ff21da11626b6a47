"""Entries as one language sees them: checked, with fallbacks chosen and URLs worked out.

Templates get these views (``entry`` / ``entries``), so that the choice of wording, the
"said in another language" fallback and the evidence window are made once, in Python.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vocmine.core.errors import ConfigError
from vocmine.tell.publish.strings import STRINGS
from vocmine.tell.publish.templates import evidence_weeks, rfc3339

log = logging.getLogger(__name__)

PUBLISHED = ("approved", "published")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")


def base_url(site: Mapping[str, Any]) -> str:
    """Return ``site["base_url"]`` checked (http or https) and ending in "/"."""
    url = str(site.get("base_url") or "").strip()
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"site base_url {url!r} must be an absolute http(s) URL such as "
                          "https://example.com/changes/ (the Atom feed needs absolute links)")
    return url if url.endswith("/") else url + "/"


def pick(value: Any, lang: str, languages: Sequence[str] = ("en", "ko")) -> str:
    """Return the wording for ``lang`` from a {lang: text} mapping (or a plain string), else the
    first non-empty one in ``languages`` order, else any; "" when there is none."""
    if value is None:
        return ""
    if not isinstance(value, Mapping):
        return str(value)
    for code in (lang, *languages, *sorted(value)):
        text = value.get(code)
        if text:
            return str(text)
    return ""


def check_languages(languages: Iterable[str]) -> list[str]:
    """Return ``languages`` as a list, each one known and none twice."""
    out = list(languages)
    if not out:
        raise ConfigError("no languages to publish; pass e.g. languages=('en', 'ko')")
    for code in out:
        if code not in STRINGS:
            raise ConfigError(f"unknown language {code!r}; available: {', '.join(sorted(STRINGS))}")
    if len(set(out)) != len(out):
        raise ConfigError(f"languages listed twice: {out}")
    return out


def publishable(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the entries to publish, checked, newest ship date first.

    An entry with a ``status`` is published only when it is "approved" or "published"; drafts
    are left out (and logged), so a draft's wording never reaches customers by accident.
    """
    out, slugs = [], set()
    for i, entry in enumerate(entries, start=1):
        where = f"entry {entry.get('slug') or entry.get('id') or i}"
        status = entry.get("status")
        if status is not None and status not in PUBLISHED:
            log.info("%s is %s, not published", where, status)
            continue
        for key in ("slug", "title", "did", "shipped_at"):
            if not (pick(entry.get(key), "en") if key in ("title", "did") else entry.get(key)):
                raise ConfigError(f"{where}: missing '{key}' (see docs/publishing.md, 'Entry')")
        slug = str(entry["slug"])
        if not _SLUG_RE.match(slug):
            raise ConfigError(f"{where}: slug {slug!r} must be lowercase letters, digits, '-', '.' or '_'")
        if slug in slugs:
            raise ConfigError(f"{where}: slug {slug!r} is used by two entries")
        slugs.add(slug)
        rfc3339(entry["shipped_at"])  # fails early, naming the bad date
        out.append(entry)
    # Newest first; equal ship dates by id, then slug, so that the order never depends on input order.
    out.sort(key=lambda e: (rfc3339(e["shipped_at"]), e["id"] if isinstance(e.get("id"), int) else -1,
                            str(e["slug"])), reverse=True)
    return out


def said_counts(s: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    """Return the counts of one stored "you said" block and the wording keys that state them.

    ``phrase_customers``: customers who wrote the phrase word for word (None for entries built
    before it was counted); ``linked_customers``: every customer behind the fix's accepted links;
    ``linked_topic``: what they described, in ``lang``'s words (stored as {lang: name} or a plain
    name; None: "linked to this fix", also when it has no name in ``lang``). ``lead`` is
    the strings key of the first sentence (add ``_since`` for the dated form), ``lead_n`` its count,
    ``rest`` the key of the "in all" sentence (None when there is nothing more to say).
    """
    linked = s.get("linked_customers", s.get("customers"))
    linked = int(linked) if linked is not None else 0
    exact = s.get("phrase_customers")
    named = s.get("linked_topic")
    topic = (str(named.get(lang) or "") if isinstance(named, Mapping) else str(named or "")).strip() or None
    if not exact:  # an older entry (its one number counted every linked customer), or nobody word for word
        lead, lead_n, rest = "linked_only", linked, None
    elif linked > int(exact):
        lead, lead_n, rest = "customers_said_and", int(exact), ("linked_described" if topic else "linked_unnamed")
    else:
        lead, lead_n, rest = "customers_said", int(exact), None
    return {"phrase_customers": None if exact is None else int(exact), "linked_customers": linked,
            "linked_topic": _mid_sentence(topic) if topic else None, "lead": lead, "lead_n": lead_n, "rest": rest}


def _mid_sentence(label: str) -> str:
    """Return a label as it reads inside a sentence: "Weight & build" -> "weight & build" (not "NPS")."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def said_views(entry: Mapping[str, Any], lang: str, languages: Sequence[str]) -> tuple[dict | None, list[dict]]:
    """Return (the "you said" block for ``lang``, the other languages' blocks).

    When no customer said it in ``lang``, the first language that has it stands in (its
    ``lang`` tells the template to add a note and mark the quotes' language). Each block has
    the counts of ``said_counts``; ``customers`` repeats ``linked_customers`` for old templates.
    """
    said = entry.get("said") or {}
    known = [c for c in (*languages, *sorted(said)) if c in STRINGS]
    order = list(dict.fromkeys([lang, *known]))
    blocks = []
    for code in order:
        s = said.get(code)
        if not s or not s.get("phrase"):
            continue
        counts = said_counts(s, lang)
        blocks.append({
            "lang": code, "phrase": str(s["phrase"]), "customers": counts["linked_customers"], **counts,
            "since": s.get("since"), "quotes": [str(q) for q in (s.get("quotes") or []) if q][:3],
        })
    if not blocks:
        return None, []
    return blocks[0], blocks[1:]


def entry_view(entry: Mapping[str, Any], lang: str, languages: Sequence[str], *, url_root: str = "",
               href: str = "") -> dict[str, Any]:
    """Return what a page in ``lang`` shows of one entry (see docs/publishing.md, "Entry views")."""
    said, also = said_views(entry, lang, languages)
    evidence = entry.get("evidence") or {}
    return {
        "id": entry.get("id"),
        "slug": str(entry["slug"]),
        "ticket": entry.get("ticket"),
        "release": str(entry.get("release") or ""),
        "shipped_at": entry["shipped_at"],
        "updated": rfc3339(entry.get("updated_at") or entry["shipped_at"]),
        "title": pick(entry.get("title"), lang, languages),
        "did": pick(entry.get("did"), lang, languages),
        "said": said,
        "also_said": also,
        "evidence": _evidence_view(evidence),
        "weeks": evidence_weeks(entry),
        "href": href,
        "url": url_root + href if url_root else "",
        "raw": entry,
    }


def _evidence_view(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Return the before/after windows of an entry, ``partial`` when either covers fewer days than weeks."""
    before, after = window_rates(evidence.get("before")), window_rates(evidence.get("after"))
    return {"before": before, "after": after, "partial": bool(before.get("partial") or after.get("partial"))}


def window_rates(window: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a before/after window with its rate worked out when only the counts were given, and
    ``partial`` true when the data covers fewer ``days`` than its ``weeks`` (pages then say days)."""
    out = dict(window or {})
    if not out:
        return out
    if out.get("rate") is None and out.get("feedback"):
        out["rate"] = (out.get("complaints") or 0) / out["feedback"]
    days, weeks = out.get("days"), out.get("weeks")
    out["partial"] = bool(isinstance(days, int) and isinstance(weeks, int) and days < weeks * 7)
    return out
