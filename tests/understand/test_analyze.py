"""The understand stage through the workspace and the CLI: incremental, grouped, quoted, redacted."""
import json

from click.testing import CliRunner

import vocmine
from vocmine.cli.main import cli

from conftest import count


def _phrase(df, phrase):
    rows = df[df["phrase"] == phrase]
    assert len(rows) == 1, f"{phrase!r} not one row in {list(df['phrase'])}"
    return rows.iloc[0]


def test_analyze_is_incremental_and_rerun_does_nothing(ws, write_csv):
    path = write_csv("r.csv", [
        ["id", "text", "rating"],
        ["1", "Love the colour but it's heavier than expected.", "3"],
        ["2", "디자인은 예쁜데 생각보다 무거워요", "3"],
        ["3", "Great fit, arrived fast.", "5"],
    ])
    ws.ingest(path)
    first = ws.analyze()
    assert first.feedback == 3 and first.complaints >= 2
    n_segments = count(ws, "segments")
    again = ws.analyze()
    assert again.as_dict() == {"feedback": 0, "segments": 0, "complaints": 0, "mentions": 0, "phrases": 0}
    assert count(ws, "segments") == n_segments
    runs = ws.runs("analyze")
    assert list(runs["status"]) == ["ok", "ok"]
    # a changed row is analysed again, and only that row
    path = write_csv("r.csv", [
        ["id", "text", "rating"],
        ["1", "Love the colour but it's heavier than expected.", "3"],
        ["2", "디자인은 예쁜데 생각보다 무거워요", "3"],
        ["3", "Great fit, but the zipper broke after a week.", "2"],
    ])
    ws.ingest(path)
    third = ws.analyze()
    assert third.feedback == 1
    segs = ws.segments(feedback_id=int(ws.feedback().set_index("external_id").loc["3", "id"]))
    assert segs["complaint"].tolist() == [0, 1]


def test_contrast_splits_praise_from_complaint(ws, write_csv):
    ws.ingest(write_csv("r.csv", [["text"], ["love the colour but it's heavier than expected"],
                                  ["디자인은 예쁜데 생각보다 무거워요"]]))
    ws.analyze()
    segs = ws.segments()
    assert segs["text"].tolist() == ["love the colour", "but it's heavier than expected",
                                     "디자인은 예쁜데", "생각보다 무거워요"]
    assert segs["complaint"].tolist() == [0, 1, 0, 1]
    phrases = set(ws.phrases(min_customers=1)["phrase"])
    assert {"heavier than expected", "생각보다 무겁다"} <= phrases


def test_demo_weight_phrase_is_one_phrase_with_its_inflections(demo_dir):
    ws = vocmine.open(demo_dir / "vocmine.db")
    ko = ws.phrases(lang="ko", limit=None)
    row = _phrase(ko, "생각보다 무겁다")
    variants = set(row["variants"])
    assert {"생각보다 무거워요", "생각보다 무겁네요"} & variants and len(variants) >= 4
    assert not any(p.startswith("생각보다 무거") for p in ko["phrase"] if p != "생각보다 무겁다")
    assert row["customers"] >= 15 and 1 <= len(row["examples"]) <= 3
    en = ws.phrases(lang="en", limit=None)
    heavy = _phrase(en, "heavier than expected")
    assert {"heavier than i expected", "heavier than i thought"} <= set(heavy["variants"])
    assert heavy["trend"] < 1  # the fix shipped in week 8: the phrase is falling


def test_demo_delivery_complaints_group_together(demo_dir):
    ws = vocmine.open(demo_dir / "vocmine.db")
    ko = ws.phrases(lang="ko", limit=None)
    late = _phrase(ko, "배송이 늦다")
    assert {"배송이 늦어요", "배송이 너무 느려요"} <= set(late["variants"])
    assert any(v.startswith("택배가") for v in late["variants"])
    en = ws.phrases(lang="en", limit=None)
    heads = [p for p in en["phrase"] if any(w in p for w in ("shipping", "delivery"))]
    assert len(heads) == 1, heads
    variants = set(_phrase(en, heads[0])["variants"])
    assert any("delivery" in v for v in variants) and any("shipping" in v for v in variants)


def test_phrases_cli_json_and_filters(demo_dir):
    db = str(demo_dir / "vocmine.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "phrases", "--json", "--limit", "10"])
    assert res.exit_code == 0, res.output
    items = json.loads(res.output)
    assert len(items) == 10
    for key in ("phrase", "customers", "mentions", "variants", "examples"):
        assert key in items[0]
    assert items == sorted(items, key=lambda i: -i["customers"])
    ko = json.loads(runner.invoke(cli, ["--db", db, "phrases", "--json", "--lang", "ko", "--limit", "0"]).output)
    assert ko and all(i["language"] == "ko" for i in ko)
    many = json.loads(runner.invoke(cli, ["--db", db, "phrases", "--json", "--min-customers", "20"]).output)
    assert many and all(i["customers"] >= 20 for i in many)
    late = json.loads(runner.invoke(cli, ["--db", db, "phrases", "--json", "--since", "2026-10-01"]).output)
    early = {i["phrase"]: i["customers"] for i in items}
    assert all(i["customers"] <= early.get(i["phrase"], 10**9) for i in late)
    text = runner.invoke(cli, ["--db", db, "phrases", "--limit", "3"])
    assert text.exit_code == 0 and "customers" in text.output
    rerun = runner.invoke(cli, ["--db", db, "analyze"])
    assert rerun.exit_code == 0 and "nothing new to analyse" in rerun.output


def test_analyze_on_a_missing_workspace_is_one_clear_line(tmp_path):
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "nope.db"), "analyze"])
    assert res.exit_code == 1
    assert "nope.db" in res.output and "Traceback" not in res.output
