"""vocmine's Scrapy project: review spiders, items, pipelines and polite settings.

Installed as ``vocmine.scrapers``. ``vocmine scrape`` runs it in a subprocess
(``vocmine.collect.crawl``) and ingests what it finds through the workspace's ingest path, so one
process writes the workspace. Spiders: ``reviews`` (schema.org markup in any page) and ``site``
(a YAML site config for pages without structured data; examples in ``sites/``).
"""
