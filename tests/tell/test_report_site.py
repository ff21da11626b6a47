"""The demo ends with a weekly report and a changelog site; both are safe and work in a browser."""
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.jobs.demo_data import generate

ATOM = "{http://www.w3.org/2005/Atom}"


def _entry_page(root: Path, lang: str = "en") -> Path:
    base = root / "site" / ("" if lang == "en" else lang) / "entries"
    [page] = sorted(base.glob("nim-101-*.html"))
    return page


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_demo_ends_with_a_weekly_report_and_a_changelog_site(demo_dir):
    reports = demo_dir / "reports"
    assert {p.name for p in reports.iterdir()} >= {"latest.html", "latest.md"}
    assert list(reports.glob("weekly-2026-W*.html")) and list(reports.glob("weekly-2026-W*.md"))
    site = demo_dir / "site"
    for rel in ("index.html", "feed.xml", "style.css", "ko/index.html", "ko/feed.xml"):
        assert (site / rel).is_file(), rel
    # Only the approved entry (the weight fix) is public; the sizing fix is still a draft.
    assert [p.name[:7] for p in (site / "entries").glob("*.html")] == ["nim-101"]


def test_weight_fix_entry_shows_phrase_count_quotes_release_and_the_fall(demo_dir):
    with vocmine.open(demo_dir / "vocmine.db") as ws:
        [entry] = ws.entries("approved")
    en, ko = entry["said"]["en"], entry["said"]["ko"]
    before, after = entry["evidence"]["before"], entry["evidence"]["after"]
    assert before["rate"] > 5 * after["rate"]

    page = _text(_entry_page(demo_dir, "en").read_text(encoding="utf-8"))
    assert f"{en['phrase_customers']} customers have said “heavier than expected”" in page
    assert f"; {en['linked_customers']} in all told us about weight &amp; build." in page
    assert "2.4.0" in page and "A lighter Trailhead backpack frame" in page
    assert any(q in page for q in en["quotes"])
    assert f"{before['rate']:.1%}" in page and f"{after['rate']:.1%}" in page

    page_ko = _text(_entry_page(demo_dir, "ko").read_text(encoding="utf-8"))
    assert f"고객 {ko['phrase_customers']}명이 “생각보다 무겁다”라고 말씀하셨고" in page_ko
    assert f"모두 합쳐 고객 {ko['linked_customers']}명이 무게·구조에 대해" in page_ko
    assert "더 가벼워진 트레일헤드 백팩 프레임" in page_ko and "2.4.0" in page_ko
    assert any(q in page_ko for q in ko["quotes"])
    assert f"{before['rate']:.1%}" in page_ko and f"{after['rate']:.1%}" in page_ko


def test_feeds_are_atom_with_the_entry(demo_dir):
    for rel, title in (("feed.xml", "A lighter Trailhead backpack frame"), ("ko/feed.xml", "더 가벼워진 트레일헤드 백팩 프레임")):
        root = ET.parse(demo_dir / "site" / rel).getroot()
        assert root.tag == f"{ATOM}feed"
        entries = root.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == [title]
        assert entries[0].findtext(f"{ATOM}id").startswith("https://nimbus-gear.example/changes/")


def test_weekly_report_has_the_measures_a_team_reads(demo_dir):
    md = (demo_dir / "reports" / "latest.md").read_text(encoding="utf-8")
    for heading in ("## Summary", "## Top topics", "## Phrases customers use", "## Tickets", "## Closing the loop"):
        assert heading in md, heading
    assert "NPS" in md and "NIM-101" in md and "heavier than expected" in md
    assert re.search(r"\d+\.\d% of the feedback with a complaint up to this week \(\d+ of \d+\)", md)
    html = (demo_dir / "reports" / "latest.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_no_planted_personal_data_in_anything_published(demo_dir):
    data = generate(seed=7)
    planted = {p for item in data.reviews + data.survey for p in item.get("_pii_values", ())}
    assert len(planted) > 50
    published = "".join(p.read_text(encoding="utf-8") for folder in ("site", "reports")
                        for p in (demo_dir / folder).rglob("*") if p.is_file())
    leaked = sorted(p for p in planted if p in published)
    assert not leaked, leaked[:10]
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", published.replace("noreply@", "")), "an email address"


def test_customer_markup_is_shown_as_text(demo_dir, tmp_path):
    shutil.copy(demo_dir / "vocmine.db", tmp_path / "vocmine.db")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with vocmine.open(tmp_path / "vocmine.db") as ws:
        conn = ws.db.conn
        with conn:  # every complaint of the report's week, and the quotes of the weight fix
            conn.execute("update segments set text = ? || text where complaint = 1 and feedback_id in "
                         "(select id from feedback where created_at >= '2026-10-19')", (hostile,))
            conn.execute("update segments set text = ? || text where id in (select m.segment_id from phrase_mentions m "
                         "join phrases p on p.id = m.phrase_id where p.language = 'en')", (hostile,))
        ws.build_entries()
        report = ws.report(tmp_path / "reports")
        ws.publish(tmp_path / "site")
    for path in [report["html"], report["md"], *(tmp_path / "site").rglob("*.html"), *(tmp_path / "site").rglob("*.xml")]:
        text = Path(path).read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, path
    html = Path(report["html"]).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html
    assert "&lt;script&gt;alert(" in _entry_page(tmp_path, "en").read_text(encoding="utf-8")


def test_report_and_publish_commands_rerun_to_identical_files(demo_dir, tmp_path):
    shutil.copy(demo_dir / "vocmine.db", tmp_path / "vocmine.db")
    db = str(tmp_path / "vocmine.db")
    run = CliRunner().invoke
    outs = []
    for _ in range(2):
        r1 = run(cli, ["--db", db, "report", "--out", str(tmp_path / "reports"), "--week", "2026-W40"])
        r2 = run(cli, ["--db", db, "publish", "--out", str(tmp_path / "site")])
        assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
        outs.append({p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
                     if p.is_file() and p.suffix in (".html", ".md", ".xml", ".css")})
    assert outs[0] == outs[1] and len(outs[0]) > 8
    assert "published 1 approved entries" in r2.output
    md = (tmp_path / "reports" / "weekly-2026-W40.md").read_text(encoding="utf-8")
    assert "Week 40, 2026" in md
    bad = run(cli, ["--db", db, "report", "--week", "2026-40"])
    assert bad.exit_code == 1 and "2026-W38" in bad.output
    js = run(cli, ["--db", db, "report", "--json", "--week", "2026-W38"])
    assert js.exit_code == 0 and '"week": "2026-W38"' in js.output


@pytest.mark.slow
def test_report_and_changelog_pages_open_in_headless_chromium(demo_dir):
    import browser

    if not browser.chromium():
        pytest.skip("no Chromium: install the Debian 'chromium' package (see .ci/install-system-deps)")
    pages = [demo_dir / "reports" / "latest.html", demo_dir / "site" / "index.html",
             _entry_page(demo_dir, "en"), demo_dir / "site" / "ko" / "index.html", _entry_page(demo_dir, "ko")]
    with browser.Browser() as b:
        for page in pages:
            for width in (1200, 360):
                r = b.open(page.resolve().as_uri(), width=width)
                assert r["console_errors"] == [], (page, r["console_errors"])
                assert all(u.startswith("file://") for u in r["requests"]), (page, r["requests"])
                assert r["scripts"] == 0 and len(r["h1"]) == 1 and not r["overflowX"], (page, width, r)
        ko = b.open(_entry_page(demo_dir, "ko").resolve().as_uri())
        assert ko["lang"] == "ko" and "생각보다 무겁다" in ko["text"]
