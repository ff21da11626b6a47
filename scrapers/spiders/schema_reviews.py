"""The generic spider: reviews from any page that publishes schema.org ``Review`` markup."""
from __future__ import annotations

from scrapy.http import TextResponse

from ..extract import PageReviews, extract
from .base import ReviewSpiderBase


class SchemaReviewSpider(ReviewSpiderBase):
    """Reviews in JSON-LD (``@graph``, nested products), microdata or RDFa; follows pagination and sitemaps.

    ``scrapy crawl reviews -a url=https://shop.example/product/42``
    """

    name = "reviews"

    def reviews_on(self, response: TextResponse) -> PageReviews:
        return extract(response.selector.root, response.url)
