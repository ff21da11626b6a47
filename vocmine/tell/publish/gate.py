"""The last privacy gate before anything public or sent: every customer text is redacted again.

Text is redacted at ingest; this gate runs :func:`vocmine.core.privacy.redact` once more over each
customer quote and phrase that is about to reach a page, a feed, a Markdown file, a report or an
email. A quote or phrase that redaction would still change is **left out** (never rewritten into
"[PHONE]" on a public page) and counted; the team's own wording that would change (entry
titles from tickets, topic labels) is published redacted and counted. Every string is also made
XML-safe and every link target goes through :func:`templates.safe_url`.

Renderers screen their input themselves (``render_site``, ``render_changelog``,
``render_weekly``, ``render_message``), so a notebook call is as safe as a CLI one; the stages
screen before any publisher (plugins included) sees the entries, and record the
:class:`Gate`'s counts in their run.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vocmine.core.privacy import redact
from vocmine.tell.publish.templates import safe_url, xml_safe

log = logging.getLogger(__name__)


@dataclass
class Gate:
    """Counts what the gate held back: quotes and phrases left out, team texts redacted."""

    quotes_withheld: int = 0
    phrases_withheld: int = 0
    texts_redacted: int = 0

    def counts(self) -> dict[str, int]:
        """Return the counts as a dict (what a run records)."""
        return {"quotes_withheld": self.quotes_withheld, "phrases_withheld": self.phrases_withheld,
                "texts_redacted": self.texts_redacted}

    def add(self, other: Gate) -> None:
        """Add ``other``'s counts to this gate's."""
        self.quotes_withheld += other.quotes_withheld
        self.phrases_withheld += other.phrases_withheld
        self.texts_redacted += other.texts_redacted

    # -- single texts ---------------------------------------------------------------------

    def passes(self, text: Any) -> bool:
        """Return True when ``text`` is unchanged by redaction (it may be published as it is).

        The text is also checked with its whitespace collapsed, as Markdown and emails print it:
        a sign-off on its own line must not slip through once the line break is gone.
        """
        clean = xml_safe(text)
        flat = " ".join(clean.split())
        return redact(clean) == clean and redact(flat) == flat

    def quote(self, text: Any, where: str = "") -> str | None:
        """Return the quote made XML-safe, or None (counted) when redaction would change it."""
        if self.passes(text):
            return xml_safe(text)
        self.quotes_withheld += 1
        log.info("withheld a quote%s: it still matches a personal-data pattern", f" in {where}" if where else "")
        return None

    def quotes(self, items: Iterable[Any], where: str = "") -> list[Any]:
        """Return the quotes that pass; an item may be text or a mapping with ``text``."""
        out: list[Any] = []
        for item in items or []:
            if isinstance(item, Mapping):
                text = self.quote(item.get("text"), where)
                if text is not None:
                    out.append({**item, "text": text})
            elif item:
                text = self.quote(item, where)
                if text is not None:
                    out.append(text)
        return out

    def phrase(self, text: Any, where: str = "") -> str | None:
        """Return the phrase made XML-safe, or None (counted) when redaction would change it."""
        if self.passes(text):
            return xml_safe(text)
        self.phrases_withheld += 1
        log.info("withheld a phrase%s: it still matches a personal-data pattern", f" in {where}" if where else "")
        return None

    def wording(self, value: Any, where: str = "") -> Any:
        """Return team wording (text or {lang: text}) redacted and XML-safe; count changes."""
        if isinstance(value, Mapping):
            return {k: self.wording(v, where) for k, v in value.items()}
        if value is None or not isinstance(value, str):
            return value
        clean = xml_safe(value)
        red = redact(clean)
        if red != clean:
            self.texts_redacted += 1
            log.info("redacted personal data in %s before publishing", where or "a published text")
        return red

    # -- structures -----------------------------------------------------------------------

    def entry(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of a "you said, we did" entry that may be published."""
        where = f"entry {entry.get('slug') or entry.get('id') or ''}".strip()
        out = dict(entry)
        for key in ("title", "did"):
            if key in out:
                out[key] = self.wording(out[key], f"{where} ({key})")
        said = {}
        for lang, block in (entry.get("said") or {}).items():
            if not isinstance(block, Mapping):
                continue
            phrase = self.phrase(block.get("phrase"), where) if block.get("phrase") else None
            if phrase is None:
                continue  # a block is its phrase: without it there is nothing to say
            screened = {**block, "phrase": phrase}
            if block.get("linked_topic"):  # the label of the topic the counts describe
                screened["linked_topic"] = self.wording(block["linked_topic"], f"{where} (topic)")
            if "quotes" in block:
                screened["quotes"] = self.quotes(block.get("quotes") or [], where)
            said[lang] = screened
        out["said"] = said
        return out

    def entries(self, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Return every entry screened (see :meth:`entry`)."""
        return [self.entry(e) for e in entries]

    def weekly(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of a weekly-report context with its customer texts screened."""
        ctx = dict(context)
        topics = []
        for tp in context.get("topics") or []:
            if not isinstance(tp, Mapping):
                topics.append(tp)
                continue
            tp = dict(tp)
            where = f"topic {tp.get('label')!r}"
            tp["label"] = self.wording(tp.get("label"), where)
            if "quotes" in tp:
                tp["quotes"] = self.quotes(tp.get("quotes") or [], where)
            topics.append(tp)
        if "topics" in context:
            ctx["topics"] = topics
        for key in ("phrases", "rising_phrases"):
            if key not in context:
                continue
            rows = []
            for row in context.get(key) or []:
                if not isinstance(row, Mapping):
                    rows.append(row)
                    continue
                phrase = self.phrase(row.get("phrase"), "the weekly report") if row.get("phrase") else row.get("phrase")
                if row.get("phrase") and phrase is None:
                    continue
                row = {**row, "phrase": phrase}
                if "examples" in row:
                    row["examples"] = self.quotes(row.get("examples") or [], f"phrase {phrase!r}")
                rows.append(row)
            ctx[key] = rows
        if "spikes" in context:
            ctx["spikes"] = [{**s, "label": self.wording(s.get("label"), "a spike")} if isinstance(s, Mapping) else s
                             for s in context.get("spikes") or []]
        if "tickets" in context:
            tickets = []
            for tk in context.get("tickets") or []:
                if isinstance(tk, Mapping):
                    where = f"ticket {tk.get('key')}"
                    tk = {**tk, "title": self.wording(tk.get("title"), where), "url": safe_url(tk.get("url")),
                          "topics": [self.wording(t, where) for t in tk.get("topics") or []]}
                tickets.append(tk)
            ctx["tickets"] = tickets
        loop = context.get("loop")
        if isinstance(loop, Mapping):
            ctx["loop"] = {**loop, "fixes": [
                {**f, "title": self.wording(f.get("title"), f"ticket {f.get('ticket')}")} if isinstance(f, Mapping)
                else f for f in loop.get("fixes") or []]}
        if "entries" in context:
            ctx["entries"] = [self.entry(e) if isinstance(e, Mapping) else e for e in context.get("entries") or []]
        return ctx


def screen_entries(entries: Iterable[Mapping[str, Any]], gate: Gate | None = None) -> list[dict[str, Any]]:
    """Return ``entries`` screened by ``gate`` (a fresh one when None)."""
    return (gate or Gate()).entries(entries)


def screen_weekly(context: Mapping[str, Any], gate: Gate | None = None) -> dict[str, Any]:
    """Return a weekly context screened by ``gate`` (a fresh one when None)."""
    return (gate or Gate()).weekly(context)
