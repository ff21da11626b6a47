"""The item every review spider yields."""
from __future__ import annotations

import scrapy


class ReviewItem(scrapy.Item):
    """One customer review as found on a page; values are raw text that vocmine's ingest path parses."""

    external_id = scrapy.Field()  # stable id: "u:<review URL or @id>" or "r:<hash of product, author, date, text>"
    text = scrapy.Field()
    title = scrapy.Field()
    rating = scrapy.Field()
    best_rating = scrapy.Field()  # schema.org bestRating: the rating scale
    worst_rating = scrapy.Field()
    created_at = scrapy.Field()
    author = scrapy.Field()  # stored only as a keyed pseudonym
    product = scrapy.Field()
    language = scrapy.Field()
    url = scrapy.Field()  # the review's own URL, else the page's
    page_url = scrapy.Field()
    row = scrapy.Field()  # position on the page, 1-based, for messages
    syntax = scrapy.Field()  # json-ld, microdata, rdfa or site-config
