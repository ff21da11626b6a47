"""Tests for the seeded demo data generator."""
from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from vocmine.jobs.demo_data import COMPLAINT_THEMES, PRAISE_THEMES, generate, weight_complaints_by_week

START = datetime(2026, 8, 3, tzinfo=timezone.utc)
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def data():
    return generate()


def _week(ts: str) -> int:
    return (datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) - START).days // 7


def _texts(data) -> list[tuple[dict, str]]:
    return [(r, r["text"]) for r in data.reviews] + [(s, s["comment"]) for s in data.survey]


def test_same_seed_same_output_and_different_seed_differs(data):
    again = generate()
    assert again == data
    other = generate(seed=8)
    assert [r["text"] for r in other.reviews] != [r["text"] for r in data.reviews]


def test_generation_is_fast():
    t = time.perf_counter()
    generate(seed=123)
    assert time.perf_counter() - t < 2.0


def test_counts_ids_fields_and_languages(data):
    assert len(data.reviews) == 2400 and len(data.survey) == 600
    assert [r["review_id"] for r in data.reviews] == [f"R{i:05d}" for i in range(1, 2401)]
    assert [s["response_id"] for s in data.survey] == [f"S{i:05d}" for i in range(1, 601)]
    product_ids = {p["id"] for p in data.products}
    assert 6 <= len(data.products) <= 8
    assert all(p["name_en"] and re.search("[가-힣]", p["name_ko"]) and p["category"] for p in data.products)
    for r in data.reviews:
        assert r["product_id"] in product_ids
        assert isinstance(r["rating"], int) and 1 <= r["rating"] <= 5
        assert ISO_RE.match(r["created"]) and 0 <= _week(r["created"]) < 12
        assert r["lang"] in ("en", "ko") and r["marketing_ok"] in ("yes", "no")
        assert r["text"].strip() and r["author"]
        assert set(r["_themes"]) <= set(COMPLAINT_THEMES + PRAISE_THEMES)
    for s in data.survey:
        assert isinstance(s["nps"], int) and 0 <= s["nps"] <= 10
        assert ISO_RE.match(s["submitted_at"]) and 0 <= _week(s["submitted_at"]) < 12
        assert isinstance(s["contact_consent"], bool)
    # Korean texts are written in Hangul, English ones are not.
    for item, text in _texts(data):
        if text:
            assert bool(re.search("[가-힣]", text)) == (item["lang"] == "ko"), text
    langs = Counter(i["lang"] for i in data.reviews + data.survey)
    assert 0.55 < langs["en"] / 3000 < 0.65
    blanks = sum(not s["comment"] for s in data.survey)
    assert 0.05 < blanks / 600 < 0.15
    emails = sum(bool(r["email"]) for r in data.reviews)
    assert 0.10 < emails / 2400 < 0.20
    assert all(r["email"].endswith(("@example.com", "@example.org")) for r in data.reviews if r["email"])


def test_every_week_has_items_spread_over_days(data):
    weeks = Counter(_week(r["created"]) for r in data.reviews)
    assert sorted(weeks) == list(range(12)) and min(weeks.values()) > 150
    days = Counter(datetime.strptime(r["created"], "%Y-%m-%dT%H:%M:%SZ").weekday() for r in data.reviews)
    assert len(days) == 7 and min(days.values()) > 250
    assert len({r["created"][11:13] for r in data.reviews}) == 24


def test_texts_are_varied(data):
    texts = [r["text"] for r in data.reviews]
    assert len(set(texts)) / len(texts) >= 0.7
    for lang in ("en", "ko"):
        weight = [r["text"] for r in data.reviews if r["lang"] == lang and "weight" in r["_themes"]]
        assert len(set(weight)) / len(weight) > 0.8


def test_recurring_phrases_have_many_surface_variants(data):
    en = [r["text"].lower() for r in data.reviews if r["lang"] == "en" and "weight" in r["_themes"]]
    ko = [r["text"] for r in data.reviews if r["lang"] == "ko" and "weight" in r["_themes"]]
    # The canonical phrase recurs, and so do its variants.
    assert sum("heavier than expected" in t for t in en) >= 10
    assert sum("heavier than i expected" in t for t in en) >= 5
    assert sum("too heavy" in t for t in en) >= 5
    endings = {m.group(1) for t in ko for m in [re.search(r"생각보다 (?:\S+ )?(무[겁거]\w*)", t)] if m}
    assert len(endings) >= 5
    assert any("사진보다 훨씬" in t for t in ko)
    # Complaint themes appear in both languages.
    for theme in ("weight", "delivery", "battery", "sizing", "zipper", "support", "price"):
        langs = {r["lang"] for r in data.reviews if theme in r["_themes"]}
        assert langs == {"en", "ko"}, theme
    # Praise and complaint in one sentence joined by a contrast.
    mixed = [r["text"] for r in data.reviews if any(t in COMPLAINT_THEMES for t in r["_themes"])
             and any(t in PRAISE_THEMES for t in r["_themes"])]
    assert sum(" but " in t.lower() or "though" in t for t in mixed) >= 50
    assert sum("지만" in t or "는데" in t for t in mixed) >= 50


def test_weight_complaints_spike_then_fall_after_the_fix(data):
    w = weight_complaints_by_week(data)
    assert len(w) == 12
    early, spike, late = sum(w[0:2]) / 2, sum(w[4:7]) / 3, sum(w[8:12]) / 4
    assert spike > 2 * early
    assert late < 0.5 * early
    assert w[2] > early  # already rising in week 3
    # The planted ground truth matches the theme tags on the items themselves.
    assert sum(w) == sum("weight" in i["_themes"] for i in data.reviews + data.survey if "_duplicate_of" not in i)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_weight_spike_holds_for_other_seeds(seed):
    w = weight_complaints_by_week(generate(seed=seed))
    assert sum(w[4:7]) / 3 > 1.8 * sum(w[0:2]) / 2
    assert sum(w[8:12]) / 4 < 0.5 * sum(w[0:2]) / 2


def test_other_complaints_stay_roughly_steady(data):
    for theme in ("delivery", "battery"):
        per_week = Counter(_week(r["created"]) for r in data.reviews if theme in r["_themes"])
        first, second = sum(per_week[w] for w in range(6)), sum(per_week[w] for w in range(6, 12))
        assert 0.6 < first / second < 1.6, theme


def test_lighter_praise_only_after_the_weight_fix_ships(data):
    ticket = next(t for t in data.tickets if "weight" in t["labels"])
    lighter = [r for r in data.reviews + data.survey if "praise_lighter" in r["_themes"]]
    assert len(lighter) >= 30
    assert all((r.get("created") or r.get("submitted_at")) > ticket["done_at"] for r in lighter)
    texts = " ".join(r["text"] for r in data.reviews if "praise_lighter" in r["_themes"])
    assert "lighter than my old one" in texts and "가벼워졌네요" in texts


def test_tickets(data):
    keys = [t["key"] for t in data.tickets]
    assert 5 <= len(keys) <= 6 and len(set(keys)) == len(keys)
    assert all(re.match(r"^NIM-\d+$", k) for k in keys)
    for t in data.tickets:
        assert t["status"] in ("done", "in_progress", "open")
        assert ISO_RE.match(t["created_at"]) and t["public_note_en"] and re.search("[가-힣]", t["public_note_ko"])
        assert (t["done_at"] is not None) == (t["status"] == "done")
    weight = next(t for t in data.tickets if "weight" in t["labels"])
    assert weight["status"] == "done" and weight["release"] == "2.4.0"
    assert "28%" in weight["title"] and "aluminium" in weight["title"]
    assert _week(weight["done_at"]) == 7  # week 8 of 12
    assert _week(weight["created_at"]) < 7
    statuses = {t["status"] for t in data.tickets}
    assert statuses == {"done", "in_progress", "open"}


def test_planted_personal_data(data):
    texts = [t for _, t in _texts(data)]
    joined = "\n".join(texts)
    with_pii = [i for i, _ in _texts(data) if i["_pii"]]
    assert 0.02 < len(with_pii) / 3000 < 0.08
    assert re.search(r"[\w.]+@example\.(com|org)", joined)
    assert not re.search(r"@(?!example\.(com|org))[a-z]+\.", joined)
    assert re.search(r"\b010-\d{4}-\d{4}\b", joined)
    assert re.search(r"\b010 \d{4} \d{4}\b", joined)
    assert re.search(r"\+82 10-\d{4}-\d{4}", joined)
    assert re.search(r"\(\d{3}\) 555-01\d\d", joined)
    assert re.search(r"My name is [A-Z][a-z]+ [A-Z][a-z]+", joined)
    assert re.search(r"저는 [가-힣]{3}입니다", joined)
    cards = re.findall(r"\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}\b", joined)
    assert 1 <= len(cards) <= 2
    for card in cards:
        digits = [int(c) for c in re.sub(r"\D", "", card)][::-1]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        assert total % 10 == 0
    # The tags say which items carry what.
    kinds = Counter(k for i in with_pii for k in i["_pii"])
    assert kinds["card"] == len(cards) and kinds["email"] and kinds["phone"] and kinds["name"]


def test_near_duplicate_reposts(data):
    dups = [r for r in data.reviews if "_duplicate_of" in r]
    assert 0.005 < len(dups) / 2400 < 0.02
    by_id = {r["review_id"]: r for r in data.reviews}

    def norm(s: str) -> str:
        return re.sub(r"[\W_]+", "", s.lower())

    for d in dups:
        orig = by_id[d["_duplicate_of"]]
        assert d["review_id"] != orig["review_id"] and d["created"] > orig["created"]
        assert norm(d["text"]) == norm(orig["text"]) and d["product_id"] == orig["product_id"]
    assert any(d["text"] != by_id[d["_duplicate_of"]]["text"] for d in dups)


def test_ratings_and_nps_follow_content(data):
    def kind(item):
        c = any(t in COMPLAINT_THEMES for t in item["_themes"])
        p = any(t in PRAISE_THEMES for t in item["_themes"])
        return "mixed" if c and p else "complaint" if c else "praise" if p else "none"

    by_kind: dict[str, list[int]] = {}
    for r in data.reviews:
        by_kind.setdefault(kind(r), []).append(r["rating"])
    mean = {k: sum(v) / len(v) for k, v in by_kind.items()}
    assert mean["complaint"] < mean["mixed"] < mean["praise"]
    assert sum(x <= 3 for x in by_kind["complaint"]) / len(by_kind["complaint"]) > 0.9
    assert sum(x >= 4 for x in by_kind["praise"]) / len(by_kind["praise"]) > 0.95
    weight_ratings = [r["rating"] for r in data.reviews if r["_themes"] == ["weight"]]
    assert sum(weight_ratings) / len(weight_ratings) < 2.5

    answered = [s for s in data.survey if s["comment"]]
    detractors = [s for s in answered if s["nps"] <= 6]
    promoters = [s for s in answered if s["nps"] >= 9]
    assert sum(kind(s) in ("complaint", "mixed") for s in detractors) / len(detractors) > 0.8
    assert sum(kind(s) == "praise" for s in promoters) / len(promoters) > 0.8


def test_parameters_scale_and_start_is_honoured():
    small = generate(seed=3, n_reviews=120, n_survey=30, start="2027-01-04", weeks=4)
    assert len(small.reviews) == 120 and len(small.survey) == 30
    start = datetime(2027, 1, 4, tzinfo=timezone.utc)
    end = start + timedelta(weeks=4)
    for r in small.reviews:
        assert start <= datetime.strptime(r["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) < end
    assert len(weight_complaints_by_week(small)) == 4
    with pytest.raises(ValueError):
        generate(weeks=0)
