"""Web review collection: real crawls, in the real subprocess, of a local site serving saved pages
(tests/fixtures/site) in several real-world markup variants."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import count
from fakes import FAST, SITE, free_port  # the `site` fixture (conftest.py) serves SITE
from vocmine.cli.main import cli
from vocmine.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_crawl_stores_every_review_once_and_a_second_crawl_adds_none(ws, site):
    urls = [site.url + "/trail-pack.html", site.url + "/sitemap.xml"]
    seen = []
    r = ws.scrape(urls, settings=FAST, progress=lambda pages, reviews: seen.append((pages, reviews)))

    # Trail Pack: 3 + 3 on pages 1-2, page 3 broken, page 4 one review (+ one without text);
    # sitemap: @graph 3, microdata 2, RDFa 2, repaired JSON-LD 1, the 429 page 1.
    assert (r.inserted, r.updated, r.unchanged, r.reviews_rejected) == (16, 0, 0, 1)
    assert r.reviews == 17 and count(ws, where="source = 'web:127.0.0.1'") == 16
    assert seen and seen[-1][0] == r.pages
    ids = [row[0] for row in ws.db.conn.execute("select external_id from feedback")]
    assert len(set(ids)) == 16
    texts = [row[0] for row in ws.db.conn.execute("select text from feedback")]
    assert len(set(texts)) == 16

    failed = {f["url"].replace(site.url, ""): f["reason"] for f in r.failed}
    assert failed == {
        "/trail-pack-3.html": "broken JSON-LD in script 1 of 1: Expecting ',' delimiter at line 4 column 4; page skipped",
        "/discontinued.html": "HTTP 404 Not Found",
        "/slow.html": "timed out after 1s",
        "/private/staff-notes.html": "forbidden by robots.txt",
    }
    assert "/private/staff-notes.html" not in site.hits  # robots.txt obeyed
    # The crawl went on past the broken page to page 4.
    assert site.hits["/trail-pack-4.html"] == 1
    # 429 with Retry-After: waited out, then stored.
    assert site.hits["/limited.html"] == 2 and r.waited == 1
    assert any("429" in n and "waiting 1s" in n for n in r.notes)
    assert any("repairing trailing commas" in n for n in r.notes)
    assert any(a.startswith("vocmine/") and "+https://" in a for a in site.agents)

    def row(external_id):
        return ws.db.conn.execute(
            "select product, rating, rating_scale, created_at, author, language, text, title, url from feedback "
            "where external_id = ?", (external_id,)).fetchone()

    product, rating, scale, created, author, lang, text, title, url = row(f"u:{site.url}/trail-pack.html#review-1008")
    assert (product, rating, scale, created, lang) == ("Trail Pack 30L", 4.0, 5.0, "2026-10-18T00:00:00Z", "en")
    assert title == "Heavier than expected"
    assert "tom.b@example.com" not in text and "Heavier than expected" in text
    assert author.startswith("c_") and "Tom" not in author
    # A review on page 2 keeps the id of the listing, so it keeps it when it moves to page 3.
    assert row(f"u:{site.url}/trail-pack.html#review-1004")[:4] == ("Trail Pack 30L", 1.0, 5.0, "2026-09-21T00:00:00Z")
    # @graph with a 10-point scale, nodes joined by @id; Korean.
    assert row(f"u:{site.url}/graph.html#rev-31")[:6] == ("초경량 3단 우산", 4.0, 10.0, "2026-10-05T12:10:00Z",
                                                          row(f"u:{site.url}/graph.html#rev-31")[4], "ko")
    # microdata and RDFa
    assert row(f"u:{site.url}/reviews/stove-88")[:4] == ("Camp Stove Mini", 4.0, 5.0, "2026-09-12T00:00:00Z")
    rdfa = ws.db.conn.execute("select product, rating, created_at from feedback where product = 'Rain Shell Jacket' "
                              "order by created_at").fetchall()
    assert rdfa == [("Rain Shell Jacket", 5.0, "2026-08-22T00:00:00Z"), ("Rain Shell Jacket", 2.0, "2026-08-30T00:00:00Z")]
    # Every stored review has a rating, a date and a product.
    assert count(ws, where="rating is null or created_at is null or product is null") == 0

    # Failures are kept in the rejects table, by URL.
    rej = ws.rejects()
    assert f"{site.url}/trail-pack-3.html" in set(rej["file"])
    assert any("review has no text" in reason for reason in rej["reason"])
    assert ws.state("web:127.0.0.1", f"order:{site.url}/trail-pack.html") == "newest_first"

    # Second crawl: nothing new; the listing stops at its first page, whose reviews are all known.
    r2 = ws.scrape(urls, settings=FAST)
    assert (r2.inserted, r2.updated) == (0, 0)
    assert r2.stopped == [site.url + "/trail-pack.html"]
    assert site.hits["/trail-pack-2.html"] == 1
    assert count(ws) == 16
    assert len(ws.rejects()) == len(rej)  # the same failures replace their rows, no duplicates

    # A new review on top of page 1: the next run reads on until a page of known reviews.
    page1 = (SITE / "trail-pack.html").read_text(encoding="utf-8")
    new = ('"review": [\n    {"@type": "Review", "@id": "#review-1010", "author": "Lena", "datePublished": "2026-10-24", '
           '"reviewBody": "Side pocket seam split on the first trip.", "reviewRating": {"ratingValue": "2", "bestRating": "5"}},')
    site.overrides["/trail-pack.html"] = page1.replace('"review": [', new, 1).encode()
    r3 = ws.scrape([site.url + "/trail-pack.html"], settings=FAST)
    assert (r3.inserted, r3.unchanged) == (1, 6)
    assert r3.stopped == [site.url + "/trail-pack-2.html"] and "/trail-pack-3.html" not in [
        f["url"].replace(site.url, "") for f in r3.failed]
    assert row(f"u:{site.url}/trail-pack.html#review-1010")[:3] == ("Trail Pack 30L", 2.0, 5.0)


def test_site_configs_for_pages_without_markup(ws, site):
    from vocmine.collect import examples_path

    r = ws.scrape([site.url + "/shop/poles-reviews.html"], site=examples_path() / "example-shop.yaml", settings=FAST)
    assert (r.inserted, r.pages, r.failed) == (3, 2, [])
    rows = ws.db.conn.execute("select source, external_id, product, rating, rating_scale, created_at, title, text "
                              "from feedback order by created_at desc").fetchall()
    assert rows[0][:7] == ("ridgeline-store", "id:hp-412", "Hiking Poles Pro", 2.0, 5.0, "2026-10-11T00:00:00Z",
                           "Locks slip under load")
    assert rows[0][7] == "The flick locks slip when I lean on them going downhill. Tightening the screw helps for a day."

    r = ws.scrape([site.url + "/shop/ko-mall.html"], site=examples_path() / "example-ko-mall.yaml", settings=FAST)
    assert (r.inserted, r.pages) == (3, 2)  # page 2 found through the "다음" link
    ko = ws.db.conn.execute("select external_id, rating, created_at, language, product from feedback "
                            "where source = 'ridgeline-mall' order by created_at").fetchall()
    assert ko[0] == ("id:rv_58655", 3.0, "2026-09-17T00:00:00Z", "ko", "방수 등산화 GTX")
    assert [k[1] for k in ko] == [3.0, 5.0, 2.0]


def test_cache_replays_pages_for_development(ws, site, tmp_path):
    for _ in range(2):
        r = ws.scrape([site.url + "/microdata.html"], cache=True, settings=FAST)
    assert (r.inserted, r.unchanged) == (0, 2)
    assert site.hits["/microdata.html"] == 1  # the second run read the cache, not the site
    assert (tmp_path / ".vocmine-cache" / "http").is_dir()
    ws.scrape([site.url + "/microdata.html"], settings=FAST)  # off by default: the site is asked again
    assert site.hits["/microdata.html"] == 2


def test_bad_site_configs_name_the_key(tmp_path):
    from vocmine.collect.site_config import load_site_config

    def check(text, message):
        p = tmp_path / "s.yaml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_site_config(p)

    check("fields: {text: p}\n", "'review' is missing")
    check("review: div\n", "'fields' must be a mapping with at least 'text'")
    check("review: div\nfields: {text: p, stars: b}\n", r"unknown field\(s\) stars; valid fields: text")
    check("review: 'div[['\nfields: {text: p}\n", "s.yaml: review: bad CSS selector")
    check("review: div\nfields: {text: p, rating: {css: b, re: '(['}}\n", "fields.rating: bad regular expression")
    check("revue: div\n", r"unknown key\(s\) revue")
    with pytest.raises(ConfigError, match="no such site config"):
        load_site_config(tmp_path / "missing.yaml")


def test_extraction_variants_without_a_crawl():
    import lxml.html

    from vocmine.collect import scrapers_package

    scrapers_package()
    from vocmine.scrapers.extract import extract, next_page_url, stable_ids

    def page(name):
        html = (SITE / name).read_text(encoding="utf-8").replace("{{base}}", "http://shop.test")
        return lxml.html.fromstring(html), f"http://shop.test/{name}"

    root, url = page("microdata.html")
    p = extract(root, url)
    assert p.syntax == "microdata" and [r["author"] for r in p.reviews] == ["Dana K.", "Omar"]
    assert p.reviews[0]["text"].startswith("Boils half a litre") and p.aggregate["rating"] == "3.5"
    root, url = page("rdfa.html")
    assert extract(root, url).syntax == "rdfa"
    root, url = page("trail-pack-3.html")
    p = extract(root, url)
    assert p.reviews == [] and "Expecting ',' delimiter" in p.errors[0]
    assert next_page_url(root, url) == "http://shop.test/trail-pack-4.html"  # class="next" pager
    root, url = page("trail-pack-2.html")
    assert next_page_url(root, url) == "http://shop.test/trail-pack-3.html"  # "Next ›"
    # Same review twice on a page: two ids. A fragment id is taken relative to the listing's first page.
    twice = [{"text": "Great!", "author": "A", "product": "P", "created_at": "2026-01-01"}] * 2
    a, b = stable_ids(twice, "http://s/p?page=2", "http://s/p")
    assert a != b and b == a + ":2"
    assert stable_ids([{"id": "#r1", "text": "x"}], "http://s/p?page=2", "http://s/p") == ["u:http://s/p#r1"]


def test_cli_scrape_reports_pages_failures_and_limits(tmp_path, site, monkeypatch):
    monkeypatch.setenv("VOCMINE_SCRAPY_SETTINGS", json.dumps(FAST))
    closed = free_port()  # a port nobody listens on
    db = str(tmp_path / "voc.db")
    res = CliRunner().invoke(cli, ["--db", db, "scrape", site.url + "/trail-pack.html",
                                   f"http://127.0.0.1:{closed}/reviews.html", "--max-pages", "3"])
    assert res.exit_code == 0, res.output
    assert f"failed: http://127.0.0.1:{closed}/reviews.html: connection refused" in res.output
    assert "page limit of 3 reached" in res.output  # the refused URL counts: it was asked for
    assert "crawled 2 pages, 1 failed, found 6 reviews: 6 new, 0 updated, 0 unchanged, 0 rejected" in res.output
    res = CliRunner().invoke(cli, ["--db", db, "scrape", site.url + "/trail-pack.html", "--max-pages", "2", "--json"])
    data = json.loads(res.output)
    assert (data["inserted"], data["unchanged"], data["stopped"]) == (0, 3, [site.url + "/trail-pack.html"])
    res = CliRunner().invoke(cli, ["--db", db, "scrape", "shop.example/reviews"])
    assert res.exit_code == 1 and "not a web address: 'shop.example/reviews'" in res.output


def test_standalone_scrapy_crawl_ingests_through_the_pipeline(tmp_path, site):
    """``scrapy crawl reviews -s VOCMINE_DB=...``: the WorkspacePipeline writes through the ingest path."""
    db = tmp_path / "voc.db"
    code = ("import sys; from vocmine.collect import scrapers_package; scrapers_package(); "
            "from scrapy.cmdline import execute; execute(sys.argv[1:])")
    args = ["scrapy", "crawl", "reviews", "-a", f"url={site.url}/graph.html", "-s", f"VOCMINE_DB={db}",
            "-s", "LOG_LEVEL=WARNING"] + [x for k, v in FAST.items() for x in ("-s", f"{k}={v}")]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "vocmine.scrapers.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import vocmine

    with vocmine.open(db) as w:
        assert count(w, where="source = 'web:127.0.0.1' and product = '초경량 3단 우산'") == 3


def _review_page(n: int) -> bytes:
    body = {"@context": "https://schema.org", "@type": "Review", "itemReviewed": {"@type": "Product", "name": f"Item {n}"},
            "author": f"buyer {n}", "reviewBody": f"Allowed page {n}: the strap broke after week {n}."}
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Item {n}</title>'
            f'<script type="application/ld+json">{json.dumps(body)}</script></head><body></body></html>').encode()


@pytest.mark.parametrize("n_urls", [1, 2, 4, 8])
def test_robots_txt_is_obeyed_for_every_start_url_at_once(ws, site, n_urls):
    """Scrapy 2.19's RobotsTxtMiddleware let the third and later concurrent start requests through."""
    allowed = [f"/item-{i}.html" for i in range(1, n_urls)]
    for i, path in enumerate(allowed, start=1):
        site.overrides[path] = _review_page(i)
    paths = list(allowed)
    paths.insert(len(paths) // 2 + 1 if paths else 0, "/private/staff-notes.html")  # not first, not alone
    r = ws.scrape([site.url + p for p in paths], settings=FAST)

    assert not [p for p in site.hits if p.startswith("/private/")], site.hits
    assert site.hits["/robots.txt"] == 1
    assert {p: site.hits.get(p) for p in allowed} == {p: 1 for p in allowed}
    assert r.failed == [{"url": site.url + "/private/staff-notes.html", "reason": "forbidden by robots.txt"}]
    assert r.inserted == n_urls - 1 == count(ws)
    assert count(ws, where="text like '%disallowed by robots.txt%' or url like '%/private/%'") == 0


def test_crawl_settings_keep_the_robots_txt_fix_when_middlewares_are_replaced():
    from vocmine.collect.crawl import build_settings

    replaced = {"settings": {"DOWNLOADER_MIDDLEWARES": {"myproject.Mine": 543}}}
    mw = build_settings(replaced).getdict("DOWNLOADER_MIDDLEWARES")
    assert mw == {"myproject.Mine": 543, "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                  "vocmine.scrapers.middlewares.RobotsTxtMiddleware": 100}
    off = {"vocmine.scrapers.middlewares.RobotsTxtMiddleware": None}  # naming it is how to opt out
    assert build_settings({"settings": {"DOWNLOADER_MIDDLEWARES": off}}).getdict("DOWNLOADER_MIDDLEWARES") == off
