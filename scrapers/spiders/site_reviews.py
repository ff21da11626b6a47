"""The configurable spider: reviews from pages without structured data, located by a YAML site config."""
from __future__ import annotations

import re
from typing import Any

from parsel import Selector as Doc
from scrapy.http import TextResponse

from ..extract import PageReviews, next_page_url
from .base import ReviewSpiderBase

_WS = re.compile(r"\s+")
_NUM = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


def select_text(doc: Doc, sel: Any) -> str | None:
    """Return the text a site-config selector picks inside ``doc`` (elements give all their text)."""
    if sel is None:
        return None
    found = doc.css(sel.expr) if sel.kind == "css" else doc.xpath(sel.expr)
    parts = []
    for r in found:
        root = r.root
        parts.append(root if isinstance(root, str) else " ".join(root.itertext()))
    text = _WS.sub(" ", " ".join(parts)).strip()
    if sel.regex and text:
        m = re.search(sel.regex, text)
        text = (m.group(1) if m.groups() else m.group(0)) if m else ""
    return text or None


class SiteReviewSpider(ReviewSpiderBase):
    """Reviews located by CSS/XPath selectors in a YAML site config (``-a site=shop.yaml``).

    ``scrapy crawl site -a site=sites/example-shop.yaml -a url=https://shop.example/reviews``
    """

    name = "site"

    def __init__(self, *args: Any, site: str | None = None, **kwargs: Any):
        from vocmine.collect.site_config import load_site_config

        if not site:
            raise ValueError("the 'site' spider needs -a site=CONFIG.yaml")
        self.config = load_site_config(site)
        super().__init__(*args, **kwargs)
        self.start_urls = list(dict.fromkeys(self.start_urls + self.config.start_urls))
        if self.newest_first is None:
            self.newest_first = self.config.newest_first

    def reviews_on(self, response: TextResponse) -> PageReviews:
        cfg = self.config
        page = PageReviews(syntax="site-config")
        product = cfg.product_name or select_text(response.selector, cfg.product)
        nodes = response.css(cfg.review.expr) if cfg.review.kind == "css" else response.xpath(cfg.review.expr)
        for node in nodes:
            get = lambda key: select_text(node, cfg.fields.get(key))  # noqa: E731
            scale = get("rating_scale")
            if scale is not None and not _NUM.match(scale):
                scale = None
            page.reviews.append({
                "text": get("text") or "", "title": get("title"), "rating": get("rating"),
                "best_rating": scale or (str(cfg.rating_scale) if cfg.rating_scale else None), "worst_rating": None,
                "created_at": get("date"), "author": get("author"), "product": product,
                "language": get("language") or cfg.language, "id": get("id") or get("url"),
            })
        if not nodes:
            page.warnings.append(f"no element matches review selector {cfg.review.expr!r}")
        return page

    def next_url(self, response: TextResponse) -> str | None:
        if self.config.next_page is None:
            return next_page_url(response.selector.root, response.url)
        href = select_text(response.selector, self.config.next_page)
        return response.urljoin(href) if href else None
