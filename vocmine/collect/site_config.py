"""The YAML file that tells the configurable spider where reviews sit on a site without structured data.

```yaml
name: ridgeline-poles            # source name (default: web:<host>)
start_urls: [https://shop.example/poles/reviews]   # optional; URLs given on the command line are added
newest_first: true               # the site lists newest reviews first: re-runs stop at known reviews
product: "h1.product-title"      # selector on the page (or product_name: "Hiking Poles Pro")
review: "div.review"             # one element per review
fields:                          # selectors inside a review element
  text: ".review-body"           # required
  title: ".review-title"
  rating: {css: ".stars::attr(aria-label)", re: "([0-9.]+) out of"}
  rating_scale: 5                # a number, or a selector
  date: "time::attr(datetime)"
  author: ".reviewer"
  id: "::attr(data-review-id)"   # the review element's own attribute
  url: "a.permalink::attr(href)"
next_page: "a.next-page::attr(href)"   # default: rel=next and common "next" links
```

A selector is CSS, or XPath when it starts with ``/``, ``./`` or ``(``; a mapping adds ``re``, a
regular expression whose first group is kept. Selecting an element takes all of its text.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vocmine.core.errors import ConfigError

TOP_KEYS = ("name", "start_urls", "newest_first", "product", "product_name", "review", "fields", "next_page",
            "allowed_domains", "language")
FIELD_KEYS = ("text", "title", "rating", "rating_scale", "date", "author", "id", "url", "language")


@dataclass
class Selector:
    """One selector of a site config: CSS or XPath, with an optional regular expression."""

    expr: str
    kind: str = "css"  # or "xpath"
    regex: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the selector as the mapping form of the YAML file."""
        return {self.kind: self.expr, **({"re": self.regex} if self.regex else {})}


@dataclass
class SiteConfig:
    """A parsed, checked site config (see the module docstring for the file format)."""

    path: str
    review: Selector
    fields: dict[str, Selector]
    name: str | None = None
    start_urls: list[str] = field(default_factory=list)
    newest_first: bool | None = None
    product: Selector | None = None
    product_name: str | None = None
    next_page: Selector | None = None
    rating_scale: float | None = None
    language: str | None = None


def _selector(value: Any, where: str) -> Selector:
    if isinstance(value, str):
        expr = value.strip()
        kind = "xpath" if expr.startswith(("/", "./", "(")) else "css"
        sel = Selector(expr, kind)
    elif isinstance(value, dict):
        unknown = set(value) - {"css", "xpath", "re"}
        if unknown or ("css" in value) == ("xpath" in value):
            raise ConfigError(f"{where}: a selector mapping has exactly one of 'css' or 'xpath', and optionally 're'")
        kind = "css" if "css" in value else "xpath"
        sel = Selector(str(value[kind]).strip(), kind, value.get("re"))
    else:
        raise ConfigError(f"{where}: expected a CSS/XPath selector (text) or a mapping with css/xpath and re")
    if not sel.expr:
        raise ConfigError(f"{where}: empty selector")
    _check(sel, where)
    return sel


def _check(sel: Selector, where: str) -> None:
    if sel.regex:
        try:
            re.compile(sel.regex)
        except re.error as exc:
            raise ConfigError(f"{where}: bad regular expression {sel.regex!r}: {exc}") from None
    try:
        from parsel import Selector as Doc  # comes with Scrapy; light, no Twisted
    except ImportError:  # pragma: no cover - Scrapy is a dependency
        return
    doc = Doc(text="<html><body><div></div></body></html>")
    try:
        doc.css(sel.expr) if sel.kind == "css" else doc.xpath(sel.expr)
    except Exception as exc:  # cssselect and lxml raise several types
        raise ConfigError(f"{where}: bad {sel.kind.upper()} selector {sel.expr!r}: {exc}") from None


def load_site_config(path: str | os.PathLike) -> SiteConfig:
    """Return the checked SiteConfig in the YAML file ``path``; ConfigError names the key at fault."""
    import yaml

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such site config file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}: a site config is a mapping with at least 'review' and 'fields: {{text: ...}}'")
    unknown = sorted(set(doc) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(TOP_KEYS)}")
    if "review" not in doc:
        raise ConfigError(f"{p}: 'review' is missing: a selector matching one element per review")
    fields_doc = doc.get("fields")
    if not isinstance(fields_doc, dict) or "text" not in fields_doc:
        raise ConfigError(f"{p}: 'fields' must be a mapping with at least 'text' (the review text selector)")
    bad = sorted(set(fields_doc) - set(FIELD_KEYS))
    if bad:
        raise ConfigError(f"{p}: unknown field(s) {', '.join(bad)}; valid fields: {', '.join(FIELD_KEYS)}")
    scale = None
    fields: dict[str, Selector] = {}
    for key, value in fields_doc.items():
        if value is None:
            continue
        if key == "rating_scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
            if value <= 0:
                raise ConfigError(f"{p}: fields.rating_scale must be a positive number, got {value}")
            scale = float(value)
            continue
        fields[key] = _selector(value, f"{p}: fields.{key}")
    start = doc.get("start_urls") or []
    if isinstance(start, str):
        start = [start]
    if not isinstance(start, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in start):
        raise ConfigError(f"{p}: start_urls must be a list of http(s) URLs")
    newest = doc.get("newest_first")
    if newest is not None and not isinstance(newest, bool):
        raise ConfigError(f"{p}: newest_first must be true or false, got {newest!r}")
    return SiteConfig(
        path=str(p),
        review=_selector(doc["review"], f"{p}: review"),
        fields=fields,
        name=str(doc["name"]) if doc.get("name") else None,
        start_urls=list(start),
        newest_first=newest,
        product=_selector(doc["product"], f"{p}: product") if doc.get("product") else None,
        product_name=str(doc["product_name"]) if doc.get("product_name") else None,
        next_page=_selector(doc["next_page"], f"{p}: next_page") if doc.get("next_page") else None,
        rating_scale=scale,
        language=str(doc["language"]) if doc.get("language") else None,
    )
