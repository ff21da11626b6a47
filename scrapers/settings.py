"""Polite defaults for every vocmine crawl.

``vocmine scrape`` overrides a few per run (page limit, cache, output); ``VOCMINE_SCRAPY_SETTINGS``
(a JSON object in the environment) or ``settings=`` in the Python API override any of them.
"""
from vocmine import __version__

BOT_NAME = "vocmine"
SPIDER_MODULES = ["vocmine.scrapers.spiders"]
NEWSPIDER_MODULE = "vocmine.scrapers.spiders"

# Say who we are and where to read about it; site owners can then block or contact us.
USER_AGENT = f"vocmine/{__version__} (+https://github.com/vocmine/vocmine; customer-feedback research crawler)"
ROBOTSTXT_OBEY = True

# One or two requests at a time per site, adapting to how fast the site answers.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# 429 is handled by RetryAfterMiddleware, which honours Retry-After instead of retrying at once.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
VOCMINE_RETRY_AFTER_MAX = 120  # seconds; a longer Retry-After gives the page up (reported)
VOCMINE_RETRY_AFTER_TIMES = 3
DOWNLOADER_MIDDLEWARES = {
    "vocmine.scrapers.middlewares.RetryAfterMiddleware": 540,  # before RetryMiddleware (550)
    # Scrapy 2.19's own lets requests through unchecked while robots.txt downloads; see the class.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "vocmine.scrapers.middlewares.RobotsTxtMiddleware": 100,
}

# A safety net behind the spiders' own --max-pages count.
CLOSESPIDER_PAGECOUNT = 100

# The HTTP cache is for developing a site config (vocmine scrape --cache): it replays stored
# pages, so a scheduled run must not use it or it would never see new reviews.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [429, 500, 502, 503, 504]

ITEM_PIPELINES = {
    "vocmine.scrapers.pipelines.ReviewPipeline": 100,
    "vocmine.scrapers.pipelines.EventsPipeline": 800,
    "vocmine.scrapers.pipelines.WorkspacePipeline": 900,
}

TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
