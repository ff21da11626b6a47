"""Trends, link suggestions, entries: on a copy of the demo workspace (real SQLite, real analysis)."""
import json
import shutil

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.decide.topic_stage import categorize_segments


@pytest.fixture
def demo_ws(demo_dir, tmp_path):
    shutil.copy(demo_dir / "vocmine.db", tmp_path / "vocmine.db")
    ws = vocmine.open(tmp_path / "vocmine.db")
    # The demo plays the team and decides links; these tests start from before those decisions.
    with ws.db.conn:
        for table in ("notifications", "changes", "links"):
            ws.db.conn.execute(f"delete from {table}")
    categorize_segments(ws)
    yield ws
    ws.close()


def test_weight_spike_is_flagged_and_its_fall_shows(demo_ws):
    df = demo_ws.trends("category")
    weight = df[df["key"] == "weight_build"].set_index("week")
    assert "up" in set(weight["spike"])
    spike_week = weight.index[weight["spike"] == "up"][0]
    ship_week = "2026-W39"  # NIM-101 shipped 2026-09-23
    assert spike_week < ship_week
    before = weight.loc[:"2026-W38", "volume"].tail(4).mean()
    after = weight.loc["2026-W40":, "volume"].head(4).mean()
    assert after < before / 4, (before, after)
    assert weight["name"].iloc[0] == "Weight & build"


def test_impact_says_weight_complaints_pull_nps_down(demo_ws):
    imp = demo_ws.impact("category").set_index("key")
    w = imp.loc["weight_build"]
    assert w["nps_with"] < w["nps_without"] and w["nps_impact"] < 0
    assert w["rating_with"] < w["rating_without"]


def test_suggestions_rank_quoted_phrases_first_and_rejections_stick(demo_ws):
    rows = demo_ws.suggest_links()
    nim101 = [r for r in rows if r["ticket"] == "NIM-101"]
    top = {r["target"] for r in nim101 if r["score"] >= 0.9}
    assert {"heavier than expected", "생각보다 무겁다"} <= top
    assert any("quotes customers" in e for r in nim101 for e in r["evidence"])
    assert not any(r["target"] == "배송이 늦다" for r in nim101)
    demo_ws.reject_link("NIM-101", "heavier than described")
    again = demo_ws.suggest_links()
    assert not any(r["ticket"] == "NIM-101" and r["target_type"] == "phrase" and r["target"] == "heavier than described"
                   for r in again)
    assert (demo_ws.links("rejected")["target"] == "heavier than described").any()


def test_entry_for_the_weight_fix_shows_phrase_count_quotes_and_the_fall(demo_ws):
    for phrase in ("heavier than expected", "too heavy", "생각보다 무겁다", "너무 무겁다"):
        demo_ws.accept_link("NIM-101", phrase)
    [entry] = demo_ws.build_entries()
    assert entry["ticket"] == "NIM-101" and entry["release"] == "2.4.0" and entry["status"] == "draft"
    en, ko = entry["said"]["en"], entry["said"]["ko"]
    assert en["phrase"] == "heavier than expected" and ko["phrase"] == "생각보다 무겁다"
    # Word for word vs anything linked: both counted, apart (the older "customers" repeats the latter).
    for said in (en, ko):
        assert 0 < said["phrase_customers"] < said["linked_customers"] == said["customers"]
    assert en["linked_topic"] == ko["linked_topic"] == {"en": "Weight & build", "ko": "무게·구조"}
    assert 1 <= len(en["quotes"]) <= 3 and all("heavier" in q.lower() for q in en["quotes"])
    before, after = entry["evidence"]["before"], entry["evidence"]["after"]
    assert before["rate"] > 5 * after["rate"]
    assert sum(w["complaints"] for w in entry["evidence"]["weekly"]) >= before["complaints"] + after["complaints"]
    # edited wording survives a rebuild; approval publishes
    demo_ws.edit_entry("NIM-101", did_en="A 28% lighter aluminium frame.", title_ko="더 가벼워진 백팩")
    [again] = demo_ws.build_entries()
    assert again["did"]["en"] == "A 28% lighter aluminium frame." and again["title"]["ko"] == "더 가벼워진 백팩"
    assert demo_ws.entries("approved") == []
    demo_ws.edit_entry(entry["slug"], approve=True)
    assert [e["id"] for e in demo_ws.entries("approved")] == [entry["id"]]


def test_cli_link_entries_and_trends(demo_ws):
    db = str(demo_ws.path)
    run = CliRunner().invoke
    res = run(cli, ["--db", db, "link", "suggest", "--json"])
    assert res.exit_code == 0, res.output
    assert any(r["ticket"] == "NIM-102" and r["target"] == "배송이 늦다" for r in json.loads(res.output))
    assert run(cli, ["--db", db, "link", "accept", "NIM-101", "heavier than expected"]).exit_code == 0
    bad = run(cli, ["--db", db, "link", "accept", "NIM-999", "heavier than expected"])
    assert bad.exit_code == 1 and "unknown ticket 'NIM-999'; known: NIM-101" in bad.output
    bad = run(cli, ["--db", db, "link", "accept", "NIM-101", "lighter than a feather"])
    assert bad.exit_code == 1 and "unknown phrase 'lighter than a feather'" in bad.output
    out = run(cli, ["--db", db, "entries", "build"]).output
    assert "NIM-101" in out and "heavier than expected" in out and "after" in out
    assert "approved entry" in run(cli, ["--db", db, "entries", "approve", "NIM-101"]).output
    tr = run(cli, ["--db", db, "trends", "--by", "category"])
    assert tr.exit_code == 0 and "Weight & build" in tr.output and "▲" in tr.output
    data = json.loads(run(cli, ["--db", db, "trends", "--by", "phrase", "--json"]).output)
    assert {"key", "name", "week", "volume", "spike", "new"} <= set(data[0])


def test_word_for_word_allows_an_inflected_last_word_only():
    from vocmine.act.loop import word_for_word

    assert word_for_word("heavier than expected", "Heavier than expected")
    assert word_for_word("생각보다 무겁다", "생각보다 무거워요")
    assert not word_for_word("heavier than expected", "heavier than I expected")
    assert not word_for_word("생각보다 무겁다", "생각보다 엄청 무거워요")
    assert not word_for_word("생각보다 무겁다", "예상보다 무겁다")
    assert not word_for_word("too heavy", "")


def test_entry_with_only_topic_links_counts_no_one_word_for_word(demo_ws):
    conn = demo_ws.db.conn
    topic = conn.execute("select st.topic_id from segment_topics st join segments s on s.id = st.segment_id "
                         "where s.language = 'en' group by 1 order by count(*) desc limit 1").fetchone()[0]
    demo_ws.accept_link("NIM-101", f"topic:{topic}")
    [entry] = demo_ws.build_entries()
    en = entry["said"]["en"]
    assert en["phrase_customers"] is None and en["linked_customers"] > 0
