"""Public numbers say exactly what they count (issue 13, point 5).

On the demo: the weight fix's page, feed and Markdown say how many customers wrote the phrase
word for word and, apart, how many said anything linked to the fix, both counted here with SQL;
the weekly report's feedback count is the one ``vocmine stats`` gives. On small workspaces built
here: a partial week is marked and compared per day, and undated feedback is counted in no week.
"""
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import timedelta

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.core.dates import week_monday
from vocmine.core.errors import VocmineError

ATOM = "{http://www.w3.org/2005/Atom}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def _same_phrase(phrase: str, variant: str) -> bool:
    """The phrase as written: same words in the same order, the last one in any inflected form."""
    want, got = phrase.lower().split(), variant.lower().split()
    return len(want) == len(got) and want[:-1] == got[:-1] and want[-1][:1] == got[-1][:1]


def _counts(db, ticket: str) -> dict[str, dict]:
    """Per language: the linked phrase most customers used, who wrote it as is, and everyone linked."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "select s.language, p.phrase, m.variant, coalesce(f.author, 'fb' || f.id) from links l "
        "join tickets t on t.id = l.ticket_id join phrases p on coalesce(p.group_id, p.id) = l.target_id "
        "join phrase_mentions m on m.phrase_id = p.id join segments s on s.id = m.segment_id "
        "join feedback f on f.id = m.feedback_id "
        "where t.key = ? and l.status = 'accepted' and l.target_type = 'phrase' and f.duplicate_of is null",
        (ticket,)).fetchall()
    assert not conn.execute("select count(*) from links l join tickets t on t.id = l.ticket_id where t.key = ? "
                            "and l.status = 'accepted' and l.target_type = 'topic'", (ticket,)).fetchone()[0]
    users, exact, linked = defaultdict(set), defaultdict(set), defaultdict(set)
    for lang, phrase, variant, who in rows:
        users[(lang, phrase)].add(who)
        linked[lang].add(who)
        if _same_phrase(phrase, variant):
            exact[(lang, phrase)].add(who)
    out = {}
    for lang in linked:
        phrase = max((p for (lg, p) in users if lg == lang), key=lambda p: (len(users[(lang, p)]), p))
        out[lang] = {"phrase": phrase, "exact": len(exact[(lang, phrase)]), "linked": len(linked[lang])}
    literal = conn.execute(
        "select count(distinct coalesce(f.author, 'fb' || f.id)) from phrase_mentions m join phrases p "
        "on p.id = m.phrase_id join feedback f on f.id = m.feedback_id where p.phrase = ? "
        "and lower(m.variant) = lower(p.phrase) and f.duplicate_of is null", (out["en"]["phrase"],)).fetchone()[0]
    assert out["en"]["exact"] == literal  # English: word for word is the phrase itself, letter for letter
    return out


@pytest.fixture(scope="module")
def published(demo_dir, tmp_path_factory):
    """The demo's site plus a Markdown changelog published from a copy of its workspace."""
    root = tmp_path_factory.mktemp("counts")
    shutil.copy(demo_dir / "vocmine.db", root / "vocmine.db")
    with vocmine.open(root / "vocmine.db") as ws:
        ws.publish(root / "md", formats=("markdown",))
    return root


def test_weight_fix_says_word_for_word_and_linked_counts_apart(demo_dir, published):
    c = _counts(demo_dir / "vocmine.db", "NIM-101")
    en, ko = c["en"], c["ko"]
    assert (en["phrase"], ko["phrase"]) == ("heavier than expected", "생각보다 무겁다")
    assert 0 < en["exact"] < en["linked"] and 0 < ko["exact"] < ko["linked"]

    [page_en] = (demo_dir / "site" / "entries").glob("nim-101-*.html")
    [page_ko] = (demo_dir / "site" / "ko" / "entries").glob("nim-101-*.html")
    text_en, text_ko = _text(page_en.read_text("utf-8")), _text(page_ko.read_text("utf-8"))
    en_line = (f"{en['exact']:,} customers have said “heavier than expected” since August 6, 2026; "
               f"{en['linked']:,} in all told us about weight & build.")
    assert en_line in text_en
    ko_line = (f"고객 {ko['exact']:,}명이 “생각보다 무겁다”라고 말씀하셨고, "
               f"모두 합쳐 고객 {ko['linked']:,}명이 무게·구조에 대해 말씀하셨습니다.")
    assert ko_line in text_ko
    # Each page also shows the other language's counts, named in the page's own words.
    assert f"{ko['exact']:,} customers have said “ 생각보다 무겁다 ”" in text_en
    assert f"{ko['linked']:,} in all told us about weight & build" in text_en
    assert f"모두 합쳐 고객 {en['linked']:,}명이 무게·구조에 대해" in text_ko
    # The one-number wording of old ("83 customers said ...") is gone everywhere.
    for text in (text_en, text_ko):
        assert f"{en['linked']:,} customers have said “heavier" not in text
        assert f"고객 {ko['linked']:,}명이 “생각보다" not in text

    index = _text((demo_dir / "site" / "index.html").read_text("utf-8"))
    assert f"{en['exact']:,} customers said “heavier than expected”; {en['linked']:,} in all told us about" in index

    for rel, want in (("feed.xml", f"{en['exact']:,} customers said “heavier than expected”; "
                                   f"{en['linked']:,} in all told us about weight & build."),
                      ("ko/feed.xml", ko_line.replace(" 2026", ""))):
        [entry] = ET.parse(demo_dir / "site" / rel).getroot().findall(f"{ATOM}entry")
        assert want in entry.findtext(f"{ATOM}summary"), rel
        assert want in _text(entry.findtext(f"{ATOM}content")), rel

    md_en = (published / "md" / "CHANGELOG.md").read_text("utf-8").replace("&amp;", "&")
    md_ko = (published / "md" / "CHANGELOG.ko.md").read_text("utf-8")
    assert en_line in md_en
    assert f"2026년 8월 4일부터 {ko_line}" in md_ko


def test_entry_said_json_keeps_both_numbers(demo_dir):
    c = _counts(demo_dir / "vocmine.db", "NIM-101")
    with vocmine.open(demo_dir / "vocmine.db") as ws:
        [entry] = ws.entries("approved")
    for lang in ("en", "ko"):
        said = entry["said"][lang]
        assert (said["phrase"], said["phrase_customers"], said["linked_customers"]) == (
            c[lang]["phrase"], c[lang]["exact"], c[lang]["linked"])


def test_weekly_report_feedback_count_is_the_stats_count(demo_dir):
    md = (demo_dir / "reports" / "latest.md").read_text("utf-8")
    week = re.search(r"^# Voice of the customer: Week (\d+), (\d{4})$", md, re.M)
    key = f"{week.group(2)}-W{int(week.group(1)):02d}"
    with vocmine.open(demo_dir / "vocmine.db") as ws:
        stored = ws.stats()["by_week"][key]
        monday = week_monday(key)
        dups = ws.db.conn.execute(
            "select count(*) from feedback where duplicate_of is not null and created_at >= ? and created_at < ?",
            (monday.isoformat(), (monday + timedelta(days=7)).isoformat())).fetchone()[0]
    assert dups > 0  # the demo plants near-duplicates: the report must say it leaves them out
    assert re.search(rf"^\| Feedback \({dups} near-duplicates left out of the analysis\) \| {stored:,} \|", md, re.M)
    assert "every other number leaves near-duplicates out" in md


def _write(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_partial_week_is_marked_and_compared_per_day(tmp_path):
    # Nine days: Thursday 2026-09-10 to Friday 2026-09-18. W37 has 4 days of data, W38 5.
    rows = [["id", "text", "date"]]
    per_day = {"2026-09-10": 30, "2026-09-11": 30, "2026-09-12": 30, "2026-09-13": 30,
               "2026-09-14": 3, "2026-09-15": 4, "2026-09-16": 5, "2026-09-17": 6, "2026-09-18": 7}
    for day, n in per_day.items():
        rows += [[f"{day}-{i}", f"Order {day} number {i} was fine, thanks for item {i * 7 + len(day)}", f"{day}T10:{i % 60:02d}:00Z"]
                 for i in range(n)]
    with vocmine.open(tmp_path / "voc.db") as ws:
        ws.ingest(_write(tmp_path / "nine.csv", rows), text="text", id="id", created="date")
        stored = ws.stats()["by_week"]
        ctx = ws.weekly_data()
        paths = ws.report(tmp_path / "reports")
    assert ctx["week"] == "2026-W38" and ctx["period"]["partial"] and ctx["period"]["days"] == 5
    assert "previous" not in ctx  # no whole-week comparison
    this, before = stored["2026-W38"], stored["2026-W37"]
    assert ctx["totals"]["feedback"] == this
    md = paths["md"].read_text("utf-8")
    html = _text(paths["html"].read_text("utf-8"))
    assert "Partial week: the data covers 5 of its 7 days (September 14, 2026 to September 18, 2026)" in md
    assert f"Per day: {this / 5:.1f} feedback ({before / 4:.1f} the week before)" in md
    assert f"| Feedback | {this} | – |" in md  # no absolute change against a whole week
    assert "vs last week" not in html and f"−{before - this}" not in html and "Partial week" in html


def test_undated_feedback_is_in_no_week(tmp_path):
    with vocmine.open(tmp_path / "voc.db") as ws:
        ws.ingest(_write(tmp_path / "dated.csv", [["id", "text", "date"]] + [
            [f"d{i}", f"The strap of bag {i} is fine", f"2026-09-{14 + i % 7:02d}T09:00:00Z"] for i in range(14)]),
            text="text", id="id", created="date", source="dated")
        ws.ingest(_write(tmp_path / "undated.csv", [["id", "text"]] + [
            [f"u{i}", f"No date on note {i} about the lid"] for i in range(5)]), text="text", id="id", source="undated")
        ctx = ws.weekly_data()
        paths = ws.report(tmp_path / "reports")
        stats = ws.stats()
    assert stats["by_week"]["unknown"] == 5
    assert ctx["week"] == "2026-W38"  # the dated week, not the week the undated rows were ingested
    assert ctx["totals"]["feedback"] == stats["by_week"]["2026-W38"] == 14 and ctx["undated"] == 5
    assert all(v["feedback"] <= 14 for v in ctx["volume"]) and "undated" not in {s["source"] for s in ctx["sources"]}
    md = paths["md"].read_text("utf-8")
    assert "5 feedback have no date and are counted in no week; give dates with 'vocmine ingest FILE --created COLUMN'." in md


def test_workspace_without_dates_has_no_weekly_report(tmp_path):
    db = tmp_path / "voc.db"
    with vocmine.open(db) as ws:
        ws.ingest(_write(tmp_path / "undated.csv", [["id", "text"]] + [[f"u{i}", f"Note {i} on the lid"] for i in range(3)]),
                  text="text", id="id")
        with pytest.raises(VocmineError, match=r"none of the 3 feedback rows has a date"):
            ws.weekly_data()
    res = CliRunner().invoke(cli, ["--db", str(db), "report", "--out", str(tmp_path / "reports")])
    assert res.exit_code == 1
    assert "none of the 3 feedback rows has a date" in res.output and "--created COLUMN" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "reports").exists()
