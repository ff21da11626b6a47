"""Slices by product and source, and trends per day, week and month, on a real workspace with two
products over ten days (issue 17)."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from vocmine.cli import cli

DAYS = [f"2026-03-{d:02d}" for d in range(2, 12)]  # ten days, Monday 2 March to Wednesday 11 March


def _rows(gamma: bool = False) -> list[list[str]]:
    """Alpha: one battery complaint a day from a different customer; Beta: a strap complaint on
    the first four days only, and praise; with ``gamma``, Gamma: a zipper complaint on the first
    six days (a cause of its own, for the topics)."""
    # different openings and endings, so that no two are near-duplicates of each other
    opening = ["Bought it for my son.", "Second one I own.", "Got it as a gift.", "Used it on a hike.",
               "Ordered in January.", "My wife picked it.", "Replaced my old one.", "Came in a nice box.",
               "Delivery was quick.", "Setup took a minute."]
    ending = ["Not happy.", "Sending it back.", "Expected better.", "What a shame.", "Two stars at most.",
              "Would not buy again.", "Annoying.", "Support did not help.", "Really frustrating.", "Sad."]
    praise = ["Great watch, I love it.", "Lovely design and comfy.", "Perfect for running.", "Very happy so far.",
              "Looks stylish at work.", "Nice screen, easy to read.", "Fits well, great buy.",
              "Excellent value for money.", "My favourite gadget now.", "Works great every day."]
    rows = [["id", "author", "product", "created", "text", "rating"]]
    for i, day in enumerate(DAYS):
        rows.append([f"a{i}", f"alice{i}", "alpha", day, f"{opening[i]} The battery drains too fast. {ending[i]}", "1"])
        if i < 4:
            rows.append([f"b{i}", f"bob{i}", "beta", day,
                         f"{ending[9 - i]} The strap broke quickly. {opening[9 - i]}", "2"])
        rows.append([f"p{i}", f"pat{i}", "beta", day, praise[i], "5"])
        if gamma and i < 6:
            rows.append([f"g{i}", f"gus{i}", "gamma", day,
                         f"The zipper broke on day one, useless and disappointing. {ending[i]}", "1"])
    return rows


@pytest.fixture
def sliced(ws, write_csv):
    """Two products over ten days, analysed (see ``_rows``)."""
    ws.ingest(write_csv("fb.csv", _rows()), source="shop", created="created", author="author")
    ws.analyze()
    return ws


@pytest.fixture(scope="module")
def topical(tmp_path_factory):
    """Three products over ten days, analysed and with topics (built once: topics take a while).
    The tf-idf embedder keeps it quick; slicing does not depend on the embedder. Tests must not
    change it."""
    import csv

    import vocmine

    root = tmp_path_factory.mktemp("topical")
    with open(root / "fb.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(_rows(gamma=True))
    ws = vocmine.open(root / "voc.db")
    ws.ingest(root / "fb.csv", source="shop", created="created", author="author")
    ws.analyze()
    ws.update_topics(embedder="kiwi-lsa")
    yield ws
    ws.close()


def _db(ws) -> str:
    return ws.db.conn.execute("pragma database_list").fetchone()[2]


def _texts(ws, phrase_df):
    return " ".join(" ".join(map(str, r)) for r in phrase_df["examples"])


def test_feedback_and_stats_slice_by_product(sliced):
    assert set(sliced.feedback()["product"]) == {"alpha", "beta"}
    assert len(sliced.feedback(product="alpha")) == 10
    assert len(sliced.feedback(product=["alpha", "beta"])) == 24
    s = sliced.stats(product="beta")
    assert s["feedback"] == 14
    assert s["by_product"] == {"beta": 14}
    assert sliced.stats()["by_product"] == {"alpha": 10, "beta": 14}
    assert sliced.stats(product="gamma")["feedback"] == 0
    assert sliced.stats(source="shop", product="alpha")["feedback"] == 10


def test_phrases_count_only_the_products_customers(sliced):
    alpha = sliced.phrases(product="alpha")
    beta = sliced.phrases(product="beta")
    assert len(alpha) and len(beta)
    assert alpha["customers"].max() == 10
    assert beta["customers"].max() == 4
    assert "strap" not in _texts(sliced, alpha) and "battery" not in _texts(sliced, beta)
    assert sliced.phrases(product="gamma").empty
    # nine days of data are too few to compare four weeks with the four before
    assert all(math.isnan(t) for t in sliced.phrases()["trend"])


def test_cli_phrases_product_json_and_unknown_product(sliced):
    runner = CliRunner()
    db = sliced.db.conn.execute("pragma database_list").fetchone()[2]
    r = runner.invoke(cli, ["--db", db, "phrases", "--product", "alpha", "--min-customers", "1", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows and max(x["customers"] for x in rows) == 10
    assert all(x["trend"] is None for x in rows)
    assert not any("strap" in " ".join(x["examples"]) for x in rows)
    r = runner.invoke(cli, ["--db", db, "phrases", "--product", "gamma"])
    assert r.exit_code == 0
    assert "no feedback for product gamma (known: alpha, beta)" in r.output
    r = runner.invoke(cli, ["--db", db, "trends", "--by", "phrase", "--period", "day", "--product", "alpha",
                            "--weeks", "10"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == [d[-2:] for d in DAYS]
    assert lines[1].split()[-10:] == ["1"] * 10 and "▲" not in r.output.split("\n▲")[0]
    r = runner.invoke(cli, ["--db", db, "stats", "--product", "beta", "--json"])
    assert json.loads(r.output)["feedback"] == 14
    r = runner.invoke(cli, ["--db", db, "stats", "--product", "beta"])
    assert r.output.startswith("feedback: 14 (") and "rejected rows have no product" in r.output


def test_trends_per_day_week_and_month(sliced):
    day = sliced.trends("phrase", period="day", product="alpha")
    assert len(day)
    for _key, g in day.groupby("key"):
        assert sorted(g["period"]) == DAYS
    top = day.groupby("key")["volume"].sum().idxmax()
    assert day[day["key"] == top]["volume"].tolist() == [1] * 10
    assert "week" not in day
    assert not (day["spike"] != "").any()
    beta = sliced.trends("phrase", period="day", product="beta")
    strap = beta.groupby("key")["volume"].sum().idxmax()
    assert beta[beta["key"] == strap].sort_values("period")["volume"].tolist() == [1] * 4 + [0] * 6
    week = sliced.trends("phrase", product="alpha")
    assert set(week["week"]) == {"2026-W10", "2026-W11"} and (week["week"] == week["period"]).all()
    assert week[week["key"] == top].sort_values("week")["volume"].tolist() == [7, 3]
    assert not (week["spike"] != "").any()
    month = sliced.trends("phrase", period="month", product="alpha")
    assert month[month["key"] == top]["volume"].tolist() == [10]
    assert sliced.trends("phrase", product="gamma").empty


def test_aspects_slice_by_product(sliced):
    alpha = sliced.aspects(product="alpha", min_customers=1)
    beta = sliced.aspects(product="beta", min_customers=1)
    assert not alpha.empty
    assert alpha["customers"].max() == 10 and (beta.empty or beta["customers"].max() <= 4)
    assert all(math.isnan(t) for t in alpha["trend"])
    runner = CliRunner()
    db = sliced.db.conn.execute("pragma database_list").fetchone()[2]
    r = runner.invoke(cli, ["--db", db, "aspects", "--product", "alpha", "--min-customers", "1"])
    assert r.exit_code == 0, r.output
    assert "10 customers" in r.output and "steady" not in r.output


# -- topics, the weekly report and search, sliced -------------------------------------------------------------

def _members(ws, product):
    """Per topic, (segments, customers) of ``product``'s feedback: counted here, apart from vocmine."""
    return {tid: (n, c) for tid, n, c in ws.db.conn.execute(
        "select coalesce(t.merged_into, st.topic_id), count(*), count(distinct f.author) from segment_topics st "
        "join topics t on t.id = st.topic_id join segments s on s.id = st.segment_id "
        "join feedback f on f.id = s.feedback_id where f.product = ? and t.status = 'active' group by 1", (product,))}


def test_topics_count_only_the_slice(topical):
    whole = topical.topics()
    assert len(whole) >= 2
    total = dict.fromkeys(whole["id"], 0)
    for product in ("alpha", "beta", "gamma"):
        df = topical.topics(product=product)
        expected = _members(topical, product)
        assert len(df) and {r.id: (r.size, r.customers) for r in df.itertuples()} == expected, product
        assert list(df["size"]) == sorted(df["size"], reverse=True)
        for r in df.itertuples():
            total[r.id] += r.size
    # every row has a product, so the products' sizes add up to the whole topic's
    assert total == dict(zip(whole["id"], whole["size"]))
    # a topic none of alpha's customers is in is not listed for alpha (gamma's zipper)
    alpha = topical.topics(product="alpha")
    assert set(alpha["id"]) < set(whole["id"])
    both = topical.topics(product=["alpha", "beta"])
    assert dict(zip(both["id"], both["size"])) == {
        t: n for t in whole["id"] if (n := _members(topical, "alpha").get(t, (0,))[0]
                                      + _members(topical, "beta").get(t, (0,))[0])}
    mixed = next(t for t in whole["id"] if len({p for p in ("alpha", "beta", "gamma") if t in _members(topical, p)}) > 1)
    for product in ("alpha", "beta", "gamma"):
        quotes = topical.topic(int(mixed)).examples(20, product=product)
        assert set(quotes) <= _texts_of(topical, product) and bool(quotes) == (mixed in _members(topical, product))
    assert topical.topics(product="delta").empty
    assert len(topical.topics(source="shop")) == len(whole)
    assert topical.topics(source="elsewhere").empty


def test_cli_topics_product_json(topical):
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", _db(topical), "topics", "--product", "gamma", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {x["id"]: x["size"] for x in rows} == {t: n for t, (n, _c) in _members(topical, "gamma").items()}
    quotes = [q for x in rows for q in x["examples"]]
    assert quotes and all("battery" not in q and "strap" not in q for q in quotes)
    r = runner.invoke(cli, ["--db", _db(topical), "topics", "--product", "alpha"])
    assert r.exit_code == 0 and "zipper" not in r.output and " nan " not in r.output
    assert [line.split()[0] for line in r.output.splitlines()[1:]] == \
        [str(t) for t in topical.topics(product="alpha")["id"]]
    r = runner.invoke(cli, ["--db", _db(topical), "topics", "--product", "delta"])
    assert r.exit_code == 0
    assert "no feedback for product delta (known: alpha, beta, gamma)" in r.output


def _texts_of(ws, product):
    return {t for (t,) in ws.db.conn.execute(
        "select s.text from segments s join feedback f on f.id = s.feedback_id where f.product = ?", (product,))}


def test_report_of_one_product(topical, tmp_path):
    runner = CliRunner()
    db, out = _db(topical), tmp_path / "reports"
    whole = json.loads(runner.invoke(cli, ["--db", db, "report", "--week", "2026-W10", "--json"]).output)
    r = runner.invoke(cli, ["--db", db, "report", "--week", "2026-W10", "--product", "alpha", "--json"])
    assert r.exit_code == 0, r.output
    alpha = json.loads(r.output)
    assert alpha["slice"] == {"product": ["alpha"]} and "slice" not in whole
    # Monday 2 to Sunday 8 March: 7 of alpha's rows, 24 in all
    assert alpha["totals"]["feedback"] == alpha["totals"]["complaints"] == alpha["totals"]["customers"] == 7
    assert whole["totals"]["feedback"] == 24
    assert [s["feedback"] for s in alpha["sources"]] == [7]
    mine = _texts_of(topical, "alpha")
    quotes = [q["text"] for t in alpha["topics"] for q in t["quotes"]] + \
        [q for p in alpha["phrases"] for q in p["examples"]]
    assert quotes and set(quotes) <= mine
    assert sum(t["volume"] for t in alpha["topics"]) >= 7 and alpha["entries"] == []
    assert any("zipper" in q["text"] for t in whole["topics"] for q in t["quotes"]) or \
        any("zipper" in p["phrase"] for p in whole["phrases"])

    r = runner.invoke(cli, ["--db", db, "report", "--week", "2026-W10", "--product", "alpha", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert f"wrote {out / 'product-alpha' / 'weekly-2026-W10.html'}" in r.output
    md = (out / "product-alpha" / "weekly-2026-W10.md").read_text("utf-8")
    html = (out / "product-alpha" / "latest.html").read_text("utf-8")
    assert md.startswith("# Voice of the customer: Week 10, 2026 · Product: alpha\n")
    assert "**Product: alpha**. Every figure, topic, phrase and quote in this report counts only this feedback." in md
    assert "<title>Voice of the customer: Week 10, 2026 · Product: alpha</title>" in html
    for text in (md, html):
        assert "battery" in text and "zipper" not in text and "strap" not in text
    # the whole workspace's report goes beside it, not over it
    r = runner.invoke(cli, ["--db", db, "report", "--week", "2026-W10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "zipper" in (out / "weekly-2026-W10.md").read_text("utf-8")
    assert (out / "product-alpha" / "weekly-2026-W10.md").read_text("utf-8") == md
    assert "Product:" not in (out / "latest.md").read_text("utf-8")
    paths = topical.report(out, "2026-W10", lang="ko", product="gamma")
    ko = paths["md"].read_text("utf-8")
    assert paths["md"] == out / "product-gamma" / "weekly-2026-W10.md"
    assert "제품: gamma" in ko and "zipper" in ko and "battery" not in ko
    r = runner.invoke(cli, ["--db", db, "report", "--product", "delta", "--out", str(out)])
    assert r.exit_code == 1
    assert "no feedback for product delta (known: alpha, beta, gamma)" in r.output


def test_sliced_report_names_its_slice_once_escaped(sliced, tmp_path):
    with sliced.db.conn:
        sliced.db.conn.execute("update feedback set product = 'Pro_2 *new*' where product = 'alpha'")
    paths = sliced.report(tmp_path / "reports", product="Pro_2 *new*", source="shop")
    assert paths["md"] == tmp_path / "reports" / "product-pro_2-new_source-shop" / "weekly-2026-W11.md"
    md = paths["md"].read_text("utf-8")
    assert md.startswith("# Voice of the customer: Week 11, 2026 · Product: Pro\\_2 \\*new\\* · Source: shop\n")
    html = paths["html"].read_text("utf-8")
    assert "<strong>Product: Pro_2 *new* · Source: shop</strong>" in html
    assert "strap" not in md and "battery" in md
    assert sliced.runs("report").iloc[0]["params"].count("Pro_2") == 1
    # a folder vocmine did not write is refused for a slice's report as for the whole one
    from vocmine.tell.publish.files import OutputError

    with pytest.raises(OutputError, match="is not empty"):
        sliced.report(tmp_path, product="beta")
    assert not (tmp_path / "product-beta").exists()


def test_search_one_product(sliced):
    assert set(sliced.search("broke")["product"]) == {"beta"}
    assert len(sliced.search("battery")) == 10
    assert len(sliced.search("battery", product="alpha")) == 10
    assert sliced.search("battery", product="beta").empty
    assert len(sliced.search("great", product=["alpha", "beta"], limit=50)) == len(sliced.search("great", limit=50))
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", _db(sliced), "search", "it", "--product", "alpha", "--limit", "50", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows and {x["product"] for x in rows} == {"alpha"}
    whole = sliced.search("it", limit=50)
    assert {x["id"] for x in rows} == set(whole[whole["product"] == "alpha"]["id"])
    r = runner.invoke(cli, ["--db", _db(sliced), "search", "battery", "--product", "beta"])
    assert r.exit_code == 0 and r.output == "no matches\n"
    r = runner.invoke(cli, ["--db", _db(sliced), "search", "battery", "--product", "gamma"])
    assert r.exit_code == 0 and "no feedback for product gamma (known: alpha, beta)" in r.output
