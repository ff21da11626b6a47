"""The aspect view on domains the demo does not have, with no taxonomy: restaurants (en), a delivery app (ko)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli
from vocmine.core.errors import ConfigError

from conftest import FIXTURES


def _analysed(tmp_path_factory, fixture: str, lang: str, source: str):
    ws = vocmine.open(tmp_path_factory.mktemp(source) / "w.db")
    ws.ingest(FIXTURES / fixture, text="text", id="id", rating="rating", created_at="created_at",
              source=source, lang=lang)
    ws.analyze()
    return ws


@pytest.fixture(scope="module")
def restaurant(tmp_path_factory):
    ws = _analysed(tmp_path_factory, "restaurant_reviews.csv", "en", "reviews")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    ws = _analysed(tmp_path_factory, "delivery_app_ko.csv", "ko", "app")
    yield ws
    ws.close()


def _needs_parser():
    from vocmine.understand.phrases import english_parser

    if english_parser() is None:
        pytest.skip("no English tagger and parser installed (the fallback names fewer aspects)")


def test_restaurant_aspects_come_from_the_data(restaurant):
    _needs_parser()
    df = restaurant.aspects(min_customers=2)
    names = set(df["aspect"])
    # nothing in vocmine's code or the (absent) taxonomy names these: they come from the reviews' grammar
    assert {"waiter", "food", "soup"} <= names, names
    # the restaurant itself is mostly praised: its score says so, and min_score leaves it out
    scores = df.set_index("aspect")["score"]
    assert scores["restaurant"] < 0 < scores["waiter"]
    assert "restaurant" not in set(restaurant.aspects(min_customers=2, min_score=0)["aspect"])
    waiter = df[df["aspect"] == "waiter"].iloc[0]
    assert waiter["customers"] >= 5
    opinions = dict(waiter["opinions"])
    assert any("rude" in o for o in opinions), opinions
    assert 0 < waiter["complaint_share"] <= 1
    assert waiter["rating_impact"] < 0


def test_restaurant_phrases_carry_aspect_and_opinion(restaurant):
    _needs_parser()
    df = restaurant.phrases(limit=None)
    assert {"aspect", "opinion"} <= set(df.columns)
    row = df[df["phrase"].str.contains("food") & df["phrase"].str.contains("cold")]
    assert len(row) == 1, df["phrase"].tolist()
    assert row.iloc[0]["aspect"] == "food"
    about_waiter = restaurant.phrases(aspect="waiter", limit=None)
    assert len(about_waiter) >= 2
    assert all(a == "waiter" for a in about_waiter["aspect"])


def test_aspect_detail_has_quotes_and_every_opinion(restaurant):
    _needs_parser()
    row = restaurant.aspect("Waiter")
    assert row["aspect"] == "waiter"
    assert row["quotes"] and all("waiter" in q["quote"].lower() for q in row["quotes"])
    assert sum(n for _, n in row["opinions"]) >= row["customers"]
    with pytest.raises(ConfigError, match="no complaint names the aspect 'submarine'"):
        restaurant.aspect("submarine")


def test_korean_aspects_without_taxonomy(delivery):
    df = delivery.aspects(min_customers=2)
    names = set(df["aspect"])
    assert {"앱", "배달"} <= names, names
    app = df[df["aspect"] == "앱"].iloc[0]
    assert app["customers"] >= 4
    assert app["opinions"], app


def test_aspects_cli_json_and_show(restaurant):
    _needs_parser()
    runner = CliRunner()
    db = str(restaurant.path)
    res = runner.invoke(cli, ["--db", db, "aspects", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert any(r["aspect"] == "waiter" for r in rows)
    res = runner.invoke(cli, ["--db", db, "aspects"])
    assert res.exit_code == 0 and "waiter" in res.output
    res = runner.invoke(cli, ["--db", db, "aspects", "show", "waiter", "--quotes", "2"])
    assert res.exit_code == 0, res.output
    assert "opinions:" in res.output and res.output.count('  "') == 2
    res = runner.invoke(cli, ["--db", db, "aspects", "show", "waiter", "--json"])
    assert json.loads(res.output)["aspect"] == "waiter"
    res = runner.invoke(cli, ["--db", db, "aspects", "show", "submarine"])
    assert res.exit_code != 0 and "no complaint names the aspect" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["--db", db, "phrases", "--aspect", "waiter", "--json"])
    assert res.exit_code == 0 and all(r["aspect"] == "waiter" for r in json.loads(res.output))


def test_aspect_statistics_are_stored_and_rerun_is_stable(restaurant):
    _needs_parser()
    rows = restaurant.db.conn.execute(
        "select aspect, sampled_complaints, sampled_others, score from aspect_stats where language = 'en'").fetchall()
    stats = {a: (c, o, s) for a, c, o, s in rows}
    assert stats["waiter"][0] > stats["waiter"][1] and stats["waiter"][2] > 0
    before = restaurant.phrases(limit=None)["phrase"].tolist()
    assert restaurant.analyze().feedback == 0
    assert restaurant.phrases(limit=None)["phrase"].tolist() == before


def test_taxonomy_still_adds_domain_words(restaurant, tmp_path):
    """A user's taxonomy names categories in their words; aspects need none of it, but use it."""
    _needs_parser()
    tax = tmp_path / "tax.yaml"
    tax.write_text(
        "name: restaurants\nversion: 1\ncategories:\n"
        "  - id: service\n    label: {en: Service}\n    keywords: {en: [waiter, service]}\n"
        "  - id: venue\n    label: {en: Venue}\n    keywords: {en: [restaurant]}\n", encoding="utf-8")
    df = restaurant.aspects(min_customers=1, taxonomy=str(tax))
    by = df.set_index("aspect")["category"]
    assert by["waiter"] == "service"
    without = restaurant.aspects(min_customers=1)
    assert not isinstance(without.set_index("aspect")["category"].get("waiter"), str)
    # vocmine's default taxonomy (consumer products) has a price category, and says so
    assert without.set_index("aspect")["category"].get("price") == "price_value"


def test_groups_merge_by_meaning_with_the_packaged_embedder(tmp_path):
    _needs_parser()
    from vocmine.understand.analyze import merge_by_meaning
    from vocmine.decide.embed import get_embedder

    path = tmp_path / "m.csv"
    rows = ["The fabric is thin.", "The fabric was thin.", "The material is thin.", "The material was thin.",
            "It runs too small.", "Way too small.", "It is too big.", "Far too big."]
    path.write_text("id,text,rating\n" + "".join(f"m{i},\"{t}\",1\n" for i, t in enumerate(rows)), encoding="utf-8")
    ws = vocmine.open(tmp_path / "m.db")
    try:
        ws.ingest(path, text="text", id="id", rating="rating", lang="en")
        ws.analyze()
        before = set(ws.phrases(limit=None)["phrase"])
        assert {"fabric thin", "material thin"} <= before
        n = merge_by_meaning(ws, get_embedder(None, "en"))
        assert n >= 1
        after = ws.phrases(limit=None)
        thin = after[after["phrase"].isin(["fabric thin", "material thin"])]
        assert len(thin) == 1 and thin.iloc[0]["customers"] == 4
        assert {"too small", "too big"} <= set(after["phrase"])  # opposites never merge
        # the merge is kept: a later analyze (no model loaded) groups the same way
        ws.analyze(reanalyze=True)
        assert set(ws.phrases(limit=None)["phrase"]) == set(after["phrase"])
    finally:
        ws.close()
