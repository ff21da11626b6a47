"""Publishing: weekly report, changelog site + Atom, Markdown changelog, customer messages."""
import copy
import hashlib
import importlib
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from vocmine.core.errors import ConfigError
from vocmine.tell.publish import (
    MarkdownPublisher, Publisher, SitePublisher, render_changelog, render_message, render_site, render_weekly,
)
from vocmine.tell.publish.charts import bar_chart
from vocmine.tell.publish.templates import md_escape

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.com/changes/"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
MD_LINK = "[click me](https://evil.example/x) ![pixel](https://evil.example/p.png)"
# What a browser or feed reader must never see as markup.
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed"}


def weekly_series(first_week, counts, feedback):
    return [{"week": f"2026-W{first_week + i:02d}", "complaints": c, "feedback": f}
            for i, (c, f) in enumerate(zip(counts, feedback))]


def make_entries():
    backpack = {
        "id": 3, "slug": "nim-101-lighter-backpack-frame", "ticket": "NIM-101", "release": "2.4.0",
        "shipped_at": "2026-09-23T00:00:00Z", "status": "approved", "updated_at": "2026-09-30T08:00:00Z",
        "title": {"en": "A lighter backpack frame", "ko": "더 가벼워진 백팩 프레임"},
        "did": {"en": "We switched the frame to aluminium: 28% lighter.",
                "ko": "프레임을 알루미늄으로 바꿔 28% 가벼워졌습니다."},
        "said": {
            # 32 wrote the phrase word for word; 49 said anything linked to the fix.
            "en": {"phrase": "heavier than expected", "phrase_customers": 32, "linked_customers": 49,
                   "linked_topic": {"en": "Weight & build", "ko": "무게·구조"}, "since": "2026-08-05",
                   "quotes": ["Way heavier than expected for a daypack.", SCRIPT, IMG]},
            "ko": {"phrase": "생각보다 무겁다", "phrase_customers": 27, "linked_customers": 27, "since": "2026-08-07",
                   "quotes": ["생각보다 무거워서 오래 메기 힘들어요."]},
        },
        "evidence": {
            "before": {"complaints": 120, "feedback": 900, "rate": 0.133, "weeks": 4},
            "after": {"complaints": 8, "feedback": 880, "rate": 0.009, "weeks": 4},
            # W30..W43; the fix shipped on Wednesday of W39.
            "weekly": weekly_series(30, [9, 13, 25, 31, 34, 30, 28, 33, 29, 14, 3, 2, 2, 1],
                                    [200, 230, 225, 220, 230, 225, 220, 218, 222, 220, 226, 219, 215, 220]),
        },
        # Internal data the lead may leave on an entry: it must never reach the public site.
        "internal_note": "call jane.doe@example.org about NIM-101",
    }
    zipper = {
        "id": 5, "slug": "nim-140-stronger-zipper", "ticket": "NIM-140", "release": "2.5.0",
        "shipped_at": "2026-10-14T00:00:00Z", "status": "approved", "updated_at": "2026-10-20T00:00:00Z",
        "title": {"en": "Stronger zipper pulls", "ko": "더 튼튼한 지퍼 손잡이"},
        "did": {"en": "The zipper pulls are now metal.", "ko": "지퍼 손잡이를 금속으로 바꿨습니다."},
        # Only Korean customers said it: the English pages show the Korean phrase with a note.
        # Stored before the counts were split: its one number counts every linked customer.
        "said": {"ko": {"phrase": "지퍼가 잘 부러진다", "customers": 12, "since": "2026-09-01",
                        "quotes": ["지퍼 손잡이가 두 번이나 부러졌어요.", MD_LINK]}},
        "evidence": {
            "before": {"complaints": 14, "feedback": 700, "rate": 0.02, "weeks": 4},
            "after": {"complaints": 1, "feedback": 2600, "weeks": 4},  # rate left to the renderer
            "weekly": weekly_series(37, [3, 4, 3, 4, 1, 0], [175, 180, 170, 175, 160, 165]),
        },
    }
    draft = {
        "id": 7, "slug": "nim-150-draft-wording", "ticket": "NIM-150", "release": "2.6.0",
        "shipped_at": "2026-10-20T00:00:00Z", "status": "draft",
        "title": {"en": "Unapproved draft title", "ko": None}, "did": {"en": "Draft wording.", "ko": None},
        "said": {}, "evidence": {},
    }
    return [backpack, zipper, draft]


SITE = {"title": {"en": "Nimbus Gear: you said, we did", "ko": "님버스 기어: 고객 의견과 개선"},
        "base_url": BASE, "company": "Nimbus Gear", "updated": "2026-10-21T00:00:00Z"}


def make_weekly(lang="en", week="2026-W38"):
    volume = [{"week": f"2026-W{w}", "feedback": f, "complaints": c}
              for w, f, c in ((31, 350, 80), (32, 365, 90), (33, 372, 95), (34, 360, 88), (35, 381, 99),
                              (36, 377, 97), (37, 380, 101), (38, 412, 120))]
    weight = [{"week": v["week"], "volume": n} for v, n in zip(volume, (9, 13, 25, 31, 28, 26, 30, 49))]
    return {
        "week": week, "lang": lang, "company": "Nimbus Gear", "generated_at": "2026-09-21T06:00:00Z",
        "totals": {"feedback": 412, "complaints": 120, "customers": 301},
        "previous": {"feedback": 380, "complaints": 101, "customers": 280},
        "volume": volume,
        "sources": [{"source": "appstore", "feedback": 220}, {"source": "survey", "feedback": 192}],
        "scores": {"nps": {"score": 32.0, "responses": 120, "previous": 28.5},
                   "csat": {"score": 81.0, "responses": 90, "previous": 79.0}},
        "sentiment": {"positive": 0.41, "neutral": 0.22, "negative": 0.37, "segments": 1030,
                      "previous": {"positive": 0.44, "neutral": 0.22, "negative": 0.34}},
        "topics": [
            {"id": 7, "label": "Weight", "category": "product_weight", "volume": 49, "previous": 30,
             "spike": "up", "new": False, "weekly": weight,
             "quotes": ["Way heavier than expected.", SCRIPT, {"text": "생각보다 무거워요", "lang": "ko"}]},
            {"id": 9, "label": "Delivery delays", "category": "delivery", "volume": 21, "previous": 24,
             "spike": "", "new": False, "weekly": [{"week": v["week"], "volume": 20} for v in volume],
             "quotes": [IMG]},
            {"id": 12, "label": "Strap buckle", "category": "product_quality", "volume": 8, "previous": 0,
             "spike": "", "new": True, "weekly": [{"week": "2026-W37", "volume": 0}, {"week": "2026-W38", "volume": 8}],
             "quotes": []},
        ],
        "phrases": [
            {"phrase": "heavier than expected", "language": "en", "customers": 49, "mentions": 61, "trend": 1.8,
             "examples": [MD_LINK]},
            {"phrase": "생각보다 무겁다", "language": "ko", "customers": 27, "mentions": 30, "trend": 2.4,
             "examples": ["생각보다 무거워요"]},
            {"phrase": "late delivery", "language": "en", "customers": 15, "mentions": 15, "trend": 0.8,
             "examples": ["Arrived a week late."]},
        ],
        "spikes": [{"kind": "topic", "label": "Weight", "week": "2026-W38", "volume": 49, "baseline": 27.2,
                    "direction": "up"}],
        "tickets": [
            {"key": "NIM-101", "title": "Lighter frame", "status": "done", "url": "https://tracker.example/NIM-101",
             "release": "2.4.0", "topics": ["Weight", "heavier than expected"]},
            {"key": "NIM-160", "title": "Evil link", "status": "open", "url": "javascript:alert(3)", "release": None,
             "topics": []},
        ],
        "loop": {"linked_complaints": 120, "complaint_volume": 286, "median_days_to_fix": 41.5,
                 "fixes": [{"ticket": "NIM-101", "title": "Lighter frame", "first_complaint": "2026-08-05",
                            "shipped_at": "2026-09-23", "days": 49}]},
        "entries": make_entries(),
    }


class Tags(HTMLParser):
    """Collect start tags with their attributes and the visible text of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    p = Tags()
    p.feed(Path(path).read_text(encoding="utf-8"))
    return p


def assert_no_external_resources(path, allowed=BASE):
    """No script/img/iframe at all; any absolute URL in an attribute is under ``allowed``."""
    text = Path(path).read_text(encoding="utf-8")
    p = parse(path)
    for tag, attrs in p.tags:
        assert tag not in FORBIDDEN_TAGS, f"{path}: <{tag}> {attrs}"
        for name, value in attrs.items():
            if value and re.match(r"^\s*(https?:)?//", value):
                assert value.startswith(allowed) and tag in ("a", "link"), f"{path}: <{tag} {name}={value!r}>"
            assert not (value or "").lower().startswith("javascript:"), f"{path}: {name}={value!r}"
    assert "@import" not in text and "url(" not in text, path


@pytest.fixture
def site_dir(tmp_path):
    out = tmp_path / "site"
    render_site(make_entries(), out, SITE)
    return out


# ---- changelog site ----------------------------------------------------------------------------

def test_site_layout_languages_and_entry_content(site_dir):
    for rel in ("style.css", "index.html", "feed.xml", "ko/index.html", "ko/feed.xml",
                "entries/nim-101-lighter-backpack-frame.html", "ko/entries/nim-101-lighter-backpack-frame.html",
                "entries/nim-140-stronger-zipper.html", "ko/entries/nim-140-stronger-zipper.html"):
        assert (site_dir / rel).is_file(), rel
    assert not list(site_dir.rglob("*draft*")), "a draft entry was published"

    en = (site_dir / "entries/nim-101-lighter-backpack-frame.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en
    assert ("32 customers have said “heavier than expected” since August 5, 2026; "
            "49 in all told us about weight &amp; build.") in en
    assert "Way heavier than expected for a daypack." in en
    assert "We switched the frame to aluminium: 28% lighter." in en
    assert "Released in 2.4.0 on September 23, 2026" in en
    # Evidence: before/after rates with counts, and a chart with the ship date marked.
    assert re.search(r"4 weeks before</th><td class=\"num\">120</td><td class=\"num\">900</td>"
                     r"<td class=\"num\">13\.3%</td>", en)
    assert re.search(r"4 weeks after</th><td class=\"num\">8</td><td class=\"num\">880</td>"
                     r"<td class=\"num\">0\.9%</td>", en)
    svg = re.search(r"<svg class=\"chart\".*?</svg>", en, re.S).group(0)
    assert "<title id=" in svg and "<desc id=" in svg and 'role="img"' in svg
    assert "stroke-dasharray" in svg and "Release 2.4.0" in svg
    assert svg.count("<rect") == 13  # W31..W43: eight weeks either side of the ship week, clipped to the data
    # The ship date (Wednesday of W39, the 9th bar) is marked 2/7 into its bar: x = 46 + (8 + 2/7) * step.
    assert re.search(r'<line x1="(\d+\.\d)"[^>]*stroke-dasharray', svg).group(1) == f"{46 + (8 + 2 / 7) * 504 / 13:.1f}"
    assert ('Also in Korean: 27 customers have said “<span lang="ko">생각보다 무겁다</span>” since August 7, 2026.'
            in en)
    # Internal data on the entry is not shown, nor the other entries' quotes.
    assert "jane.doe" not in en and "internal" not in en.lower()

    ko = (site_dir / "ko/entries/nim-101-lighter-backpack-frame.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in ko
    assert "2026년 8월 7일부터 고객 27명이 “생각보다 무겁다”라고 말씀하셨습니다." in ko
    assert ("고객 32명이 “<span lang=\"en\">heavier than expected</span>”라고 말씀하셨고, "
            "모두 합쳐 고객 49명이 무게·구조에 대해 말씀하셨습니다.") in ko
    assert "프레임을 알루미늄으로 바꿔 28% 가벼워졌습니다." in ko
    assert "2.4.0 버전에 반영 (2026년 9월 23일)" in ko and "개선 효과" in ko
    assert "<title>더 가벼워진 백팩 프레임 · 님버스 기어: 고객 의견과 개선</title>" in ko

    # A phrase said only in Korean shows on the English page with a note and marked as Korean.
    zipper = (site_dir / "entries/nim-140-stronger-zipper.html").read_text(encoding="utf-8")
    # An entry stored with one number says what that number counted: everyone linked to the fix.
    assert ('12 customers have said something linked to this fix since September 1, 2026, '
            'such as “<span lang="ko">지퍼가 잘 부러진다</span>”.') in zipper
    assert "12 customers have said “" not in zipper
    assert "Customers said this in Korean." in zipper
    assert '<blockquote lang="ko"><p>지퍼 손잡이가 두 번이나 부러졌어요.</p></blockquote>' in zipper
    assert "in the 4 weeks after, &lt;0.1%." in zipper  # 1 of 2,600: the rate is worked out, tiny shares shown as such
    assert '<td class="num">2,600</td><td class="num">&lt;0.1%</td>' in zipper


def test_site_index_lists_published_entries_newest_first_with_language_switch(site_dir):
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    assert index.index("Stronger zipper pulls") < index.index("A lighter backpack frame")
    assert "Unapproved draft title" not in index
    p = parse(site_dir / "index.html")
    switch = [a for t, a in p.tags if t == "a" and a.get("hreflang") == "ko"]
    assert switch and switch[0]["href"] == "ko/index.html" and switch[0]["lang"] == "ko"
    assert ("link", {"rel": "alternate", "hreflang": "ko", "href": BASE + "ko/index.html"}) in p.tags
    ko = (site_dir / "ko/index.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in ko and "전체 변경 사항" in ko and "본문 바로가기" in ko
    assert 'href="../entries/nim-101-lighter-backpack-frame.html"' not in ko  # Korean index links Korean pages
    assert 'href="entries/nim-101-lighter-backpack-frame.html"' in ko


def test_site_pages_are_accessible_and_self_contained(site_dir):
    pages = sorted(site_dir.rglob("*.html"))
    assert len(pages) == 6
    for page in pages:
        assert_no_external_resources(page)
        p = parse(page)
        tags = [t for t, _ in p.tags]
        assert tags.count("main") == 1 and "header" in tags and "footer" in tags and "nav" in tags, page
        skip = next(a for t, a in p.tags if t == "a")
        assert skip == {"class": "skip", "href": "#main"}, page
        assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in p.tags
        levels = [int(t[1]) for t in tags if re.fullmatch(r"h[1-6]", t)]
        assert levels[0] == 1 and levels.count(1) == 1, page
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{page}: heading levels jump: {levels}"
        for tag, attrs in p.tags:
            if tag == "svg":
                assert attrs.get("role") == "img" and attrs.get("aria-labelledby"), page
        # Every relative link and stylesheet resolves to a file of the site.
        for tag, attrs in p.tags:
            ref = attrs.get("href") if tag in ("a", "link") else None
            if ref and not ref.startswith(("#", "http")):
                assert (page.parent / ref.split("#")[0]).resolve().is_file(), f"{page}: broken link {ref}"
    css = (site_dir / "style.css").read_text(encoding="utf-8")
    assert "@media (max-width" in css and ".skip:focus" in css


def test_customer_text_is_escaped_in_html_atom_and_markdown(tmp_path, site_dir):
    page = (site_dir / "entries/nim-101-lighter-backpack-frame.html").read_text(encoding="utf-8")
    assert SCRIPT not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert SCRIPT in "".join(parse(site_dir / "entries/nim-101-lighter-backpack-frame.html").text)

    feed = ET.parse(site_dir / "feed.xml").getroot()
    content = next(e.find(f"{ATOM}content").text for e in feed.iter(f"{ATOM}entry")
                   if "backpack" in e.find(f"{ATOM}id").text)
    # type="html": the reader decodes the HTML once, and sees the quote as text, not as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content and "<script" not in content
    assert "&lt;img src=x" in content and "<img" not in content
    assert "<blockquote><p>" in content

    # Customer words reach the page through the wording templates too (t() formats them in).
    entries = make_entries()
    entries[0]["said"]["en"]["phrase"] = "too <b>heavy</b> & [big](https://evil.example/)"
    render_site(entries, tmp_path / "phrase", SITE)
    for rel in ("index.html", "entries/nim-101-lighter-backpack-frame.html"):
        text = (tmp_path / "phrase" / rel).read_text(encoding="utf-8")
        assert "<b>" not in text and "“too &lt;b&gt;heavy&lt;/b&gt; &amp; [big](https://evil.example/)”" in text, rel
    summary = [e.find(f"{ATOM}summary").text for e in ET.parse(tmp_path / "phrase/feed.xml").getroot()
               .iter(f"{ATOM}entry")][1]
    assert "“too <b>heavy</b> & [big](https://evil.example/)”" in summary  # type="text": shown as typed
    changelog = render_changelog(entries, tmp_path / "phrase-md", SITE)[0].read_text(encoding="utf-8")
    assert "too &lt;b&gt;heavy&lt;/b&gt; &amp; \\[big\\](https://evil.example/)" in changelog

    md = render_changelog(make_entries(), tmp_path / "md", SITE)
    weekly = render_weekly(make_weekly(), tmp_path / "weekly")
    for path in [*md, weekly["md"]]:
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, path
        assert not re.search(r"(?<!\\)\]\(https://evil", text), f"{path}: a quote became a Markdown link"
        assert "\\[click me\\](https://evil.example/x)" in text, path
    for path in (md[0], weekly["md"]):
        text = path.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;img src=x onerror=alert(2)&gt;" in text
    html = weekly["html"].read_text(encoding="utf-8")
    assert SCRIPT not in html and "<img" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("javascript:alert(3)", "") or 'href="javascript' not in html
    assert 'href="javascript' not in html and "](javascript" not in weekly["md"].read_text(encoding="utf-8")


def test_atom_feeds_are_valid_atom_with_the_published_entries(site_dir):
    for prefix, lang, title in (("", "en", "Nimbus Gear: you said, we did"), ("ko/", "ko", "님버스 기어: 고객 의견과 개선")):
        root = ET.parse(site_dir / prefix / "feed.xml").getroot()
        assert root.tag == f"{ATOM}feed"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        assert root.find(f"{ATOM}id").text == BASE + prefix + "feed.xml"
        assert root.find(f"{ATOM}title").text == title
        assert root.find(f"{ATOM}updated").text == "2026-10-21T00:00:00Z"
        assert root.find(f"{ATOM}author/{ATOM}name").text == "Nimbus Gear"
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
        assert links == {"self": BASE + prefix + "feed.xml", "alternate": BASE + prefix + "index.html"}
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == 2
        ids = [e.find(f"{ATOM}id").text for e in entries]
        assert ids == [BASE + prefix + "entries/nim-140-stronger-zipper.html",
                       BASE + prefix + "entries/nim-101-lighter-backpack-frame.html"]
        for e in entries:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.find(f"{ATOM}updated").text)
            assert e.find(f"{ATOM}title").text and e.find(f"{ATOM}summary").text
            assert e.find(f"{ATOM}link").get("href") == e.find(f"{ATOM}id").text
        assert entries[1].find(f"{ATOM}updated").text == "2026-09-30T08:00:00Z"
        assert entries[1].find(f"{ATOM}published").text == "2026-09-23T00:00:00Z"
    ko = ET.parse(site_dir / "ko/feed.xml").getroot()
    assert "생각보다 무겁다" in ko.findall(f"{ATOM}entry")[1].find(f"{ATOM}summary").text
    # The feed's only links and ids are under the base_url.
    root = ET.parse(site_dir / "feed.xml").getroot()
    refs = [el.get("href") for el in root.iter(f"{ATOM}link")] + [el.text for el in root.iter(f"{ATOM}id")]
    assert len(refs) == 2 + 2 * 2 + 1 and all(r.startswith(BASE) for r in refs), refs


def test_feed_updated_defaults_to_newest_entry(tmp_path):
    site = {k: v for k, v in SITE.items() if k != "updated"}
    render_site(make_entries(), tmp_path, site, languages=("en",))
    root = ET.parse(tmp_path / "feed.xml").getroot()
    assert root.find(f"{ATOM}updated").text == "2026-10-20T00:00:00Z"
    assert not (tmp_path / "ko").exists()


def test_rerender_is_byte_identical_and_leaves_files_alone(tmp_path, site_dir):
    def snapshot(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    before = snapshot(site_dir)
    mtimes = {p: p.stat().st_mtime_ns for p in site_dir.rglob("*") if p.is_file()}
    paths = render_site(make_entries(), site_dir, SITE)
    assert snapshot(site_dir) == before
    assert {p: p.stat().st_mtime_ns for p in site_dir.rglob("*") if p.is_file()} == mtimes
    assert sorted(paths) == sorted(p for p in mtimes if p.name != ".vocmine-manifest.json")
    # Input order does not matter either.
    other = tmp_path / "other"
    render_site(list(reversed(make_entries())), other, SITE)
    assert snapshot(other) == before
    w1 = render_weekly(make_weekly(), tmp_path / "w1")
    w2 = render_weekly(make_weekly(), tmp_path / "w2")
    for key in w1:
        assert w1[key].read_bytes() == w2[key].read_bytes(), key


def test_unpublished_entry_pages_are_removed(site_dir):
    entries = make_entries()
    entries[0]["status"] = "draft"  # the backpack entry is withdrawn
    render_site(entries, site_dir, SITE)
    assert not (site_dir / "entries/nim-101-lighter-backpack-frame.html").exists()
    assert not (site_dir / "ko/entries/nim-101-lighter-backpack-frame.html").exists()
    assert (site_dir / "entries/nim-140-stronger-zipper.html").exists()
    assert "backpack" not in (site_dir / "index.html").read_text(encoding="utf-8")
    assert len(ET.parse(site_dir / "ko/feed.xml").getroot().findall(f"{ATOM}entry")) == 1
    (site_dir / "entries/notes.txt").write_text("kept", encoding="utf-8")
    render_site([], site_dir, SITE)
    assert not list((site_dir / "entries").glob("*.html")) and (site_dir / "entries/notes.txt").exists()
    assert "Nothing has been published yet." in (site_dir / "index.html").read_text(encoding="utf-8")
    assert ET.parse(site_dir / "feed.xml").getroot().findall(f"{ATOM}entry") == []


def test_user_templates_win_and_can_extend_the_default(tmp_path):
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "site_entry.html.j2").write_text(
        '{% extends "default/site_entry.html.j2" %}\n'
        '{% block footer %}<p class="custom">Questions? Reply to any of our emails.</p>{{ super() }}{% endblock %}\n',
        encoding="utf-8")
    (custom / "site.css").write_text("body { color: #000; }\n", encoding="utf-8")
    (custom / "weekly.html.j2").write_text(
        '{% extends "default/weekly.html.j2" %}\n'
        '{% block spikes %}<section id="spikes"><h2>Spikes</h2><p>{{ spikes|length }} spikes: see the '
        'dashboard.</p></section>{% endblock %}\n', encoding="utf-8")
    out = tmp_path / "site"
    render_site(make_entries(), out, SITE, template_dir=custom)
    page = (out / "entries/nim-101-lighter-backpack-frame.html").read_text(encoding="utf-8")
    assert '<p class="custom">Questions? Reply to any of our emails.</p>' in page
    assert "Quotes come from customer feedback" in page  # super(): the default footer is kept
    assert "heavier than expected" in page  # the rest of the default page is there
    assert "Questions?" not in (out / "index.html").read_text(encoding="utf-8")  # only the overridden template
    assert (out / "style.css").read_text(encoding="utf-8") == "body { color: #000; }\n"
    report = render_weekly(make_weekly(), tmp_path / "weekly", template_dir=[custom])["html"]
    html = report.read_text(encoding="utf-8")
    assert "1 spikes: see the dashboard." in html and "Weeks that left their usual range" not in html
    assert "Top topics" in html
    with pytest.raises(ConfigError, match="does not exist"):
        render_site(make_entries(), out, SITE, template_dir=tmp_path / "missing")


# ---- weekly report -----------------------------------------------------------------------------

def test_weekly_report_html_has_every_section_with_charts_and_tables(tmp_path):
    paths = render_weekly(make_weekly(), tmp_path)
    assert {k: p.name for k, p in paths.items()} == {
        "html": "weekly-2026-W38.html", "md": "weekly-2026-W38.md", "latest_html": "latest.html",
        "latest_md": "latest.md"}
    assert paths["latest_html"].read_bytes() == paths["html"].read_bytes()
    html = paths["html"].read_text(encoding="utf-8")
    assert_no_external_resources(paths["html"], allowed="https://tracker.example/")
    assert "<title>Voice of the customer: Week 38, 2026 · Nimbus Gear</title>" in html
    assert "September 14 – 20, 2026" in html
    for text in ("412", "+32", "+19", "32.0", "+3.5", "81.0%", "+2.0 pp", "42.0%", "120 of 286 feedback with a complaint", "42",
                 "Weight", "Delivery delays", "product_weight", "heavier than expected", "생각보다 무겁다",
                 "NIM-101", "Lighter frame", "27.2", "Drafts awaiting approval (1)", "Approved (2)",
                 "Unapproved draft title", "×2.4", "+3.0 pp", "generated September 21, 2026"):
        assert text in html, text
    assert '<a href="https://tracker.example/NIM-101">NIM-101</a>' in html
    assert "NIM-160" in html and 'href="javascript' not in html
    p = parse(paths["html"])
    svgs = [a for t, a in p.tags if t == "svg"]
    charts = [a for a in svgs if "chart" in a["class"]]
    assert len(charts) == 1 + 1 + 3  # volume, sentiment, one per topic
    assert all(a["role"] == "img" and a["aria-labelledby"] for a in svgs)
    assert html.count("<details>") == 4  # table fallbacks: volume + one per topic with a series
    assert "<style>" in html and "<link" not in html
    # The current week's bar is highlighted in the volume chart.
    volume_svg = re.search(r'<svg class="chart"[^>]*aria-labelledby="chart-volume-t.*?</svg>', html, re.S).group(0)
    assert volume_svg.count('fill="#12335f"') == 1 and "<polyline" in volume_svg
    # Rising: topics that grew or are new, phrases trending up, biggest first.
    rising = html[html.index('id="h-rising"'):html.index('id="h-phrases"')]
    assert rising.index("Weight") < rising.index("Strap buckle") and "Delivery delays" not in rising
    assert rising.index("생각보다 무겁다") < rising.index("heavier than expected") and "late delivery" not in rising
    nav = [a["href"] for t, a in p.tags if t == "a" and a.get("href", "").startswith("#") and a["href"] != "#main"]
    ids = {a.get("id") for _, a in p.tags}
    assert all(h[1:] in ids for h in nav) and "#loop" in nav and "#entries" in nav


def test_weekly_report_markdown(tmp_path):
    md = render_weekly(make_weekly(), tmp_path)["md"].read_text(encoding="utf-8")
    assert md.startswith("# Voice of the customer: Week 38, 2026\n")
    assert "| Feedback | 412 | +32 |" in md
    assert "| Loop closed | 42.0% | 120 of 286 feedback with a complaint |" in md
    assert "| heavier than expected | en | 49 | 61 | ×1.8 |" in md
    assert "[NIM-101](https://tracker.example/NIM-101)" in md and "javascript" not in md
    assert "`▂▃▅▅▅▅▅█`" in md  # the Weight topic's weekly block sparkline
    assert "> Way heavier than expected." in md
    assert "\n## Spikes\n" in md and "| Weight (topic) | 2026-W38 | 49 | 27.2 | spike |" in md


def test_weekly_report_in_korean(tmp_path):
    paths = render_weekly(make_weekly(lang="ko"), tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert '<html lang="ko">' in html and "고객의 소리: 2026년 38주차" in html
    assert "2026년 9월 14일 – 9월 20일" in html and "불만이 있는 피드백 286건 중 120건" in html and "+2.0%p" in html
    assert "고객의 소리: 2026년 38주차" in paths["md"].read_text(encoding="utf-8")


def test_weekly_latest_follows_the_newest_week(tmp_path):
    render_weekly(make_weekly(week="2026-W38"), tmp_path)
    older = render_weekly(make_weekly(week="2026-W37"), tmp_path)
    assert "latest_html" not in older and (tmp_path / "weekly-2026-W37.html").is_file()
    assert "Week 38, 2026" in (tmp_path / "latest.html").read_text(encoding="utf-8")


def test_weekly_report_with_little_data(tmp_path):
    paths = render_weekly({"week": "2026-W01", "totals": {"feedback": 0, "complaints": 0}}, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert "December 29, 2025 – January 4, 2026" in html or "Dec 29 – Jan 4" in html
    assert "No spikes this week." in html and "<svg" not in html
    assert 'id="loop"' not in html and 'id="topics"' not in html and 'href="#loop"' not in html
    assert "No spikes this week." in paths["md"].read_text(encoding="utf-8")


# ---- messages ----------------------------------------------------------------------------------

def test_message_tells_one_customer_what_changed(tmp_path):
    entry = make_entries()[0]
    customer = {"name": "Mina", "said": "Too heavy <b>for</b> hiking " + SCRIPT, "feedback_at": "2026-08-12T09:00:00Z",
                "contact": "mina@example.org"}
    msg = render_message(entry, customer, "en", site=SITE)
    assert msg["subject"] == "What we changed after your feedback: A lighter backpack frame"
    body = msg["body_text"]
    assert body.startswith("Hi Mina,\n")
    assert "On August 12, 2026 you told us:" in body and "Too heavy <b>for</b> hiking" in body
    assert "In release 2.4.0 (September 23, 2026) we did this:" in body
    assert "We switched the frame to aluminium: 28% lighter." in body
    assert BASE + "entries/nim-101-lighter-backpack-frame.html" in body
    for other in ("49", "Way heavier than expected", "mina@example.org", "생각보다"):
        assert other not in body and other not in msg["body_html"], other
    html = msg["body_html"]
    assert '<html lang="en">' in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "Too heavy &lt;b&gt;for&lt;/b&gt; hiking" in html

    ko = render_message(entry, {"said": "", "feedback_at": None}, "ko", site=SITE)
    assert ko["subject"] == "보내 주신 의견을 반영했습니다: 더 가벼워진 백팩 프레임"
    assert ko["body_text"].startswith("안녕하세요.\n")
    assert '"생각보다 무겁다"라는 의견을 보내 주셨습니다.' in ko["body_text"]
    assert "2.4.0 버전(2026년 9월 23일)에서 이렇게 바꿨습니다." in ko["body_text"]
    assert BASE + "ko/entries/nim-101-lighter-backpack-frame.html" in ko["body_text"]
    assert '<html lang="ko">' in ko["body_html"] and "27" not in ko["body_text"]
    with pytest.raises(ConfigError, match=r"no message template for language 'ja' \(notify_ja.txt.j2\)"):
        render_message(entry, customer, "ja")


# ---- Markdown changelog, publishers, errors, charts --------------------------------------------

def test_markdown_changelog_and_publishers(tmp_path):
    paths = MarkdownPublisher(SITE).publish(make_entries(), tmp_path)
    assert [p.name for p in paths] == ["CHANGELOG.md", "CHANGELOG.ko.md"]
    en = paths[0].read_text(encoding="utf-8")
    assert en.startswith("# Nimbus Gear: you said, we did\n")
    assert "## [A lighter backpack frame](https://example.com/changes/entries/nim-101-lighter-backpack-frame.html)" in en
    assert ("**You said:** 32 customers have said “heavier than expected” since August 5, 2026; "
            "49 in all told us about weight &amp; build.") in en
    assert "Unapproved draft" not in en
    assert "고객 27명이" not in en and "더 가벼워진 백팩 프레임" in paths[1].read_text(encoding="utf-8")
    reworded = render_changelog(make_entries(), tmp_path / "reworded",
                                {**SITE, "strings": {"en": {"we_did": "Fixed:"}}}, languages=("en",))
    assert "**Fixed:** We switched the frame" in reworded[0].read_text(encoding="utf-8")
    site = SitePublisher(SITE, languages=("ko", "en"))
    assert isinstance(site, Publisher) and isinstance(MarkdownPublisher(SITE), Publisher)
    files = site.publish(make_entries(), tmp_path / "site")
    assert tmp_path / "site" / "en" / "index.html" in files
    assert '<html lang="ko">' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_bad_input_is_reported_clearly(tmp_path):
    entries = make_entries()
    with pytest.raises(ConfigError, match="base_url"):
        render_site(entries, tmp_path, {**SITE, "base_url": "example.com/changes"})
    with pytest.raises(ConfigError, match="unknown language 'jp'; available: en, ko"):
        render_site(entries, tmp_path, SITE, languages=("en", "jp"))
    dup = copy.deepcopy(entries)
    dup[1]["slug"] = dup[0]["slug"]
    with pytest.raises(ConfigError, match="used by two entries"):
        render_site(dup, tmp_path, SITE)
    bad = copy.deepcopy(entries)
    bad[0]["slug"] = "../../etc/passwd"
    with pytest.raises(ConfigError, match="slug"):
        render_site(bad, tmp_path, SITE)
    bad = copy.deepcopy(entries)
    bad[0]["shipped_at"] = "last tuesday"
    with pytest.raises(ConfigError, match="bad timestamp 'last tuesday'"):
        render_site(bad, tmp_path, SITE)
    bad = copy.deepcopy(entries)
    bad[0]["did"] = {"en": "", "ko": None}
    with pytest.raises(ConfigError, match="entry nim-101-lighter-backpack-frame: missing 'did'"):
        render_site(bad, tmp_path, SITE)
    with pytest.raises(ConfigError, match="bad ISO week '2026-38'"):
        render_weekly({"week": "2026-38"}, tmp_path)
    with pytest.raises(ConfigError, match=r"topics\[1\] has no 'label'"):
        render_weekly({"week": "2026-W38", "topics": [{"volume": 3}]}, tmp_path)


def test_charts_escape_text_and_are_deterministic():
    svg = bar_chart([1, None, 3], ["W1", "W2", "W3"], title=SCRIPT, desc="a < b", mark=1.5, mark_label="v1 & v2")
    assert "<script" not in svg and "&lt;script&gt;" in svg and "a &lt; b" in svg and "v1 &amp; v2" in svg
    assert svg.count("<rect") == 2 and svg == bar_chart([1, None, 3], ["W1", "W2", "W3"], title=SCRIPT,
                                                        desc="a < b", mark=1.5, mark_label="v1 & v2")
    assert 'xmlns="http' not in svg  # inline SVG in HTML needs no namespace URL


@pytest.mark.parametrize("raw, escaped", [
    ("![x](https://evil/p.png)", "!\\[x\\](https://evil/p.png)"),
    ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
    ("a | b\n# not a heading", "a \\| b # not a heading"),
    ("# heading", "\\# heading"),
    ("1. first", "1\\. first"),
    ("- item", "\\- item"),
    ("+12 more", "+12 more"),
    ("snake_case *stars*", "snake\\_case \\*stars\\*"),
])
def test_md_escape(raw, escaped):
    assert md_escape(raw) == escaped


def test_site_colours_have_enough_contrast():
    from vocmine.core.resources import data_path

    css = (data_path("reports") / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", css))

    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def ratio(a, b):
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for text in ("fg", "muted", "accent"):
        for background in ("bg", "soft"):
            assert ratio(colours[text], colours[background]) >= 4.5, (text, background)


# ---- in a real browser -------------------------------------------------------------------------

def _field(result, *names):
    for name in names:
        if isinstance(result, dict) and name in result:
            return result[name]
        if hasattr(result, name):
            return getattr(result, name)
    raise AssertionError(f"tests/browser.py result has none of {names}: {result!r}")


@pytest.mark.slow
def test_pages_load_in_a_browser_without_errors_or_requests(tmp_path):
    if not (Path(__file__).parent.parent / "browser.py").is_file():
        pytest.skip("tests/browser.py (headless Chromium helper) is not in this checkout yet")
    if not any(shutil.which(b) for b in ("chromium", "chromium-headless-shell", "/usr/bin/chromium")):
        pytest.skip("no Chromium: install the chromium package to run browser tests")
    browser = importlib.import_module("browser")
    open_page = next((getattr(browser, n) for n in ("open_page", "load_page", "visit") if hasattr(browser, n)), None)
    if open_page is None:
        pytest.skip("tests/browser.py has no open_page(url) returning console errors and network requests")
    render_site(make_entries(), tmp_path / "site", SITE)
    report = render_weekly(make_weekly(), tmp_path / "weekly")["html"]
    for page in (report, tmp_path / "site/index.html", tmp_path / "site/ko/entries/nim-101-lighter-backpack-frame.html"):
        result = open_page(page.resolve().as_uri())
        errors = _field(result, "console_errors", "errors", "console")
        requests = _field(result, "requests", "network_requests", "network")
        assert list(errors) == [], f"{page.name}: {errors}"
        # Loading the page itself and its local stylesheet is fine; anything else is a leak.
        others = [r for r in requests if not str(r.get("url", r) if isinstance(r, dict) else r).startswith("file://")]
        assert others == [], f"{page.name} fetched {others}"
