"""Slices by product and source, and trends per day, week and month, on a real workspace with two
products over ten days (issue 17)."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from vocmine.cli import cli

DAYS = [f"2026-03-{d:02d}" for d in range(2, 12)]  # ten days, Monday 2 March to Wednesday 11 March


@pytest.fixture
def sliced(ws, write_csv):
    """Alpha: one battery complaint a day from a different customer; Beta: a strap complaint on
    the first four days only, and praise."""
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
    ws.ingest(write_csv("fb.csv", rows), source="shop", created="created", author="author")
    ws.analyze()
    return ws


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
