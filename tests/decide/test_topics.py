"""Topics on a copy of the demo workspace: causes and labels, stable ids, refits, edits, taxonomy, CLI."""
import csv
import json
import re
import shutil

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli

HANGUL = re.compile(r"[가-힣]")


@pytest.fixture
def demo_ws(demo_dir, tmp_path):
    shutil.copy(demo_dir / "vocmine.db", tmp_path / "vocmine.db")
    ws = vocmine.open(tmp_path / "vocmine.db")
    if not ws.db.conn.execute("select count(*) from topics where status = 'active'").fetchone()[0]:
        ws.update_topics()
    yield ws
    ws.close()


def snapshot(ws):
    conn = ws.db.conn
    return (dict(conn.execute("select segment_id, topic_id from segment_topics")),
            dict(conn.execute("select id, status from topics where status != 'parent'")))


def test_demo_complaints_cluster_by_cause_with_labels_in_their_language(demo_ws):
    ko = demo_ws.topics(lang="ko")
    en = demo_ws.topics(lang="en")
    assert len(ko) >= 4 and len(en) >= 4
    assert ko["label"].map(lambda s: bool(HANGUL.search(s or ""))).mean() >= 0.8
    assert not any(re.match(r"^-?\d+_", str(s)) for s in list(ko["label"]) + list(en["label"]))
    # The causes the demo plants come out as topics in each language, under their categories.
    for df, words in ((ko, {"weight_build": "무겁", "delivery": "배송", "size_fit": "작"}),
                      (en, {"weight_build": "heav", "battery_power": "battery", "size_fit": "small|tight"})):
        for cat, pattern in words.items():
            hits = df[(df["category"] == cat) & df["label"].str.contains(pattern)]
            assert len(hits), (cat, pattern, df[["label", "category"]].to_string())
    # Each weight topic is mostly weight complaints: the clusters follow the cause, not the wording.
    top = demo_ws.topic(int(ko[ko["category"] == "weight_build"].iloc[0]["id"]))
    quotes = top.examples(3)
    assert len(quotes) == 3 and all(re.search("무거|무겁|무게", q) for q in quotes), quotes
    assert re.search("무거|무겁|무게", top._repr_html_())
    # trend() is the documented method, not the trend number of the topic table.
    weeks = top.trend()
    assert len(weeks) and set(weeks["key"]) == {top.id} and weeks["volume"].sum() > 0


def test_rerun_on_unchanged_data_changes_no_id(demo_ws):
    before = snapshot(demo_ws)
    r = demo_ws.update_topics()
    assert r["embedded"] == 0 and r["new_topics"] == 0
    assert snapshot(demo_ws) == before
    assert r["outlier_share"] < 0.1


def _write_week(path):
    rows = [["review_id", "rating", "text", "created"]]
    ko = ["생각보다 너무 무거워요", "가방이 생각보다 무겁네요", "무게가 생각보다 많이 나가요", "배송이 너무 늦어요",
          "배송이 일주일 넘게 걸렸어요", "사이즈가 작아요"]
    en = ["way heavier than I expected", "the backpack is heavier than expected", "too heavy to carry all day",
          "delivery was really slow", "battery dies fast"]
    # A problem the demo never had: the same app crash, told by many customers.
    crash = ["the app crashes every time I open the cart", "app keeps crashing when I open my cart",
             "the app crashes whenever I open the cart page", "crashes every time I try to open the cart in the app"]
    n = 0
    for i in range(3):
        for t in ko + en:
            n += 1
            rows.append([f"w13-{n}", 2, t if i == 0 else f"{t}{'.' * i}", f"2026-10-2{6 + i}T10:00:00Z"])
    for i in range(4):
        for t in crash:
            n += 1
            rows.append([f"w13-{n}", 1, f"{t}{' ' + '!' * i if i else ''}", f"2026-10-2{6 + i % 3}T11:00:00Z"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def test_a_new_week_keeps_old_ids_and_places_new_segments(demo_ws, tmp_path):
    seg_before, topics_before = snapshot(demo_ws)
    _write_week(tmp_path / "week13.csv")
    demo_ws.ingest(tmp_path / "week13.csv", source="week13", text="text", rating="rating", id="review_id",
                   created="created")
    demo_ws.analyze()
    r = demo_ws.update_topics()
    seg_after, topics_after = snapshot(demo_ws)
    assert r["embedded"] > 0 and r["assigned"] > 0
    new_ids = set(topics_after) - set(topics_before)
    for sid, tid in seg_before.items():
        if tid is None:  # an outlier is reconsidered each run: it may now join an active topic
            assert seg_after[sid] is None or topics_after.get(seg_after[sid]) == "active"
        else:
            assert seg_after[sid] == tid  # nothing already placed moves
    for tid, status in topics_before.items():
        assert topics_after[tid] == status
    conn = demo_ws.db.conn
    placed = conn.execute(
        "select s.text, t.category, st.method from segment_topics st join segments s on s.id = st.segment_id "
        "join feedback f on f.id = s.feedback_id join topics t on t.id = st.topic_id "
        "where f.source = 'week13' and (s.text like '%무거%' or s.text like '%무겁%' or s.text like '%heavier%')"
    ).fetchall()
    assert placed and all(cat == "weight_build" for _t, cat, _m in placed), placed
    # The crash complaints are new: they start a topic of their own rather than join an old one.
    crash_topics = {t for (t,) in conn.execute(
        "select st.topic_id from segment_topics st join segments s on s.id = st.segment_id "
        "join feedback f on f.id = s.feedback_id where f.source = 'week13' and s.text like '%crash%'")}
    assert crash_topics and crash_topics.isdisjoint(topics_before), crash_topics
    assert r["new_topics"] >= 1
    # And running again changes nothing.
    assert demo_ws.update_topics()["new_topics"] == 0
    assert snapshot(demo_ws) == (seg_after, topics_after)


def test_refit_keeps_matched_ids_and_records_lineage(demo_ws):
    active = set(demo_ws.topics()["id"])
    r = demo_ws.update_topics(refit=True)
    run = int(demo_ws.runs("topics").iloc[0]["id"])
    lineage = demo_ws.db.conn.execute(
        "select old_id, new_id, reason from topic_lineage where run_id = ?", (run,)).fetchall()
    assert r["refit"] is True
    assert {old for old, _new, _r in lineage} >= active  # every old topic says where it went
    kept = {old for old, new, reason in lineage if reason == "refit" and old == new}
    assert len(kept) >= 0.7 * len(active), (len(kept), len(active))
    after = set(demo_ws.topics()["id"])
    assert kept <= after
    assert demo_ws.update_topics()["new_topics"] == 0


def test_edits_survive_later_runs_and_refits(demo_ws):
    ko = demo_ws.topics(lang="ko")
    weight = ko[ko["category"] == "weight_build"]["id"].tolist()
    delivery = int(ko[ko["category"] == "delivery"].iloc[0]["id"])
    en_big = int(demo_ws.topics(lang="en").iloc[0]["id"])
    demo_ws.rename_topic(delivery, "배송 지연")
    demo_ws.rename_topic(delivery, "Late delivery", lang="en")
    if len(weight) < 2:
        weight.append(int(ko[~ko["id"].isin(weight + [delivery])].iloc[0]["id"]))
    merged = demo_ws.merge_topics(weight[0], *weight[1:])
    parts = demo_ws.split_topic(en_big, parts=2)
    assert len(parts) == 2 and parts[0]["id"] == en_big
    split_off = parts[1]["id"]
    assert merged["size"] > 0
    edits = [a for (a,) in demo_ws.db.conn.execute("select action from topic_edits order by id")]
    assert edits == ["rename", "rename", "merge", "split"]

    def check():
        t = demo_ws.topic(delivery)
        assert t.label == "배송 지연" and t.labels == {"en": "Late delivery"}
        df = demo_ws.topics(include_merged=True).set_index("id")
        for w in weight[1:]:
            assert df.loc[w, "status"] == "merged" and df.loc[w, "merged_into"] == weight[0]
        assert df.loc[en_big, "status"] == "active" and df.loc[split_off, "status"] == "active"
        # Trends count merged topics under their target.
        trend_keys = set(demo_ws.trends("topic")["key"])
        assert weight[0] in trend_keys and not (set(weight[1:]) & trend_keys)

    check()
    demo_ws.update_topics()
    check()
    demo_ws.update_topics(refit=True)
    check()


def test_taxonomy_suggest_and_accept_write_a_valid_yaml(demo_ws, tmp_path):
    props = demo_ws.suggest_taxonomy()
    assert props, "the demo has complaints no category takes (e.g. 'disappointed', 재구매 의사)"
    p = props[0]
    assert {"id", "topic", "language", "action", "category", "keywords", "examples"} <= set(p)
    out = tmp_path / "mine.yaml"
    r = demo_ws.accept_taxonomy(p["id"], file=out)
    tax = vocmine.load_taxonomy(out)
    default = vocmine.load_taxonomy()
    assert tax["version"] == default["version"] + 1
    cat = next(c for c in tax["categories"] if c["id"] == p["category"])
    assert set(p["keywords"]) <= set(cat["keywords"][p["language"]])
    assert demo_ws.setting("taxonomy_path") == str(out.resolve()) and r["file"] == str(out)
    with pytest.raises(vocmine.ConfigError, match="no taxonomy suggestion for topic"):
        demo_ws.accept_taxonomy(999999, file=out)
    # The next run re-categorises with the new version.
    demo_ws.update_topics()
    tag = demo_ws.db.conn.execute("select distinct taxonomy from segment_categories").fetchall()
    assert tag == [(f"{tax['name']}@{tax['version']}",)]


def test_cli_topics_json_show_rename_and_taxonomy(demo_ws, tmp_path):
    db = str(demo_ws.path)
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", db, "topics", "--json", "--limit", "3"])
    assert r.exit_code == 0, r.output
    items = json.loads(r.output)
    assert len(items) == 3
    for it in items:
        assert {"id", "label", "language", "category", "size", "examples"} <= set(it)
        assert it["examples"] and it["size"] >= len(it["examples"])
    tid = items[0]["id"]
    r = runner.invoke(cli, ["--db", db, "topics", "rename", str(tid), "Too heavy"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["--db", db, "topics", "show", str(tid), "--json"])
    assert json.loads(r.output)["label"] == "Too heavy"
    r = runner.invoke(cli, ["--db", db, "topics", "update", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["new_topics"] == 0
    r = runner.invoke(cli, ["--db", db, "topics", "update", "--embedder", "intfloat/e5-small"])
    assert r.exit_code == 1 and "unknown embedder 'intfloat/e5-small'" in r.output and "never downloads" in r.output
    r = runner.invoke(cli, ["--db", db, "topics", "show", "999999"])
    assert r.exit_code == 1 and "unknown topic 999999" in r.output
    r = runner.invoke(cli, ["--db", db, "taxonomy", "suggest", "--json"])
    assert r.exit_code == 0 and isinstance(json.loads(r.output), list)


def test_weight_family_spikes_before_the_fix_and_falls_after_it(demo_ws):
    # One family holds the English and the Korean topics of the cause (its taxonomy category);
    # each language's complaints spike before the fix and fall after it.
    conn = demo_ws.db.conn
    fams = conn.execute("select id, language, label from topics where status = 'parent' and category = 'weight_build'"
                        ).fetchall()
    assert len(fams) == 1 and fams[0][1] == "mixed" and fams[0][2] == "Weight & build / 무게·구조", fams
    for lang, name in (("en", "Weight & build"), ("ko", "무게·구조")):
        df = demo_ws.trends("parent", lang=lang)
        fam = df[df["key"] == fams[0][0]].set_index("week")
        assert len(fam), (lang, sorted(set(df["name"])))
        spikes = list(fam.index[fam["spike"] == "up"])
        assert spikes and all(w < "2026-W39" for w in spikes), (name, spikes)  # NIM-101 shipped in W39
        before = fam.loc["2026-W35":"2026-W38", "volume"].mean()
        after = fam.loc["2026-W40":, "volume"].mean()
        assert after < before / 4, (name, before, after)


def test_undated_feedback_is_in_no_trend_period(ws):
    """A topic whose feedback is mostly undated is not "rising": undated rows are in no period."""
    from vocmine.decide.topics import _trends

    conn = ws.db.conn
    with conn:
        conn.execute("insert into topics (id, language, label, status) values (1, 'en', 'straps', 'active')")
        rows = [(1, "2026-09-01T10:00:00Z"), (2, "2026-09-02T10:00:00Z"), (3, "2026-10-20T10:00:00Z")]
        rows += [(10 + i, None) for i in range(5)]  # undated, ingested "now"
        for fid, created in rows:
            conn.execute("insert into feedback (id, source, external_id, text, created_at, ingested_at) "
                         "values (?, 's', ?, 'the strap broke', ?, '2026-10-21T00:00:00Z')", (fid, str(fid), created))
            conn.execute("insert into segments (id, feedback_id, idx, text, complaint) values (?, ?, 0, 'x', 1)",
                         (fid, fid))
            conn.execute("insert into segment_topics (segment_id, topic_id, method) values (?, 1, 'fit')", (fid,))
    # Latest dated feedback 2026-10-20: one recent, two 4-8 weeks before; the five undated count nowhere.
    assert _trends(conn) == {1: 0.5}
