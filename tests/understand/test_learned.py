"""Complaint adjectives learned from a workspace's own ratings (vocmine/understand/learned.py)."""
from __future__ import annotations

import csv
import json
import random

import pytest

import vocmine
from vocmine.understand import learned
from vocmine.understand import phrases as ph
from vocmine.understand.sentiment import LexiconSentiment
from vocmine.understand.segment import segment

LOW = [
    "The handle is flimsy and the lid wobbles.",
    "Arrived with a flimsy strap. The warranty card was missing.",
    "Feels flimsy. I called about the warranty.",
    "Such a flimsy frame for the price.",
    "The zipper broke within a week and the warranty does not cover it.",
    "I sent it back.",
]
HIGH = [
    "Love it, the strap is comfortable and sturdy.",
    "Great bag, holds everything.",
    "The zipper is smooth and the colour is lovely.",
    "Works as described, happy with it.",
    "Perfect size for my laptop.",
]


def _rows(n_low: int = 60, n_high: int = 90, seed: int = 3) -> list[tuple[str, float, float]]:
    rnd = random.Random(seed)
    rows = [(" ".join(rnd.sample(LOW, 2)), float(rnd.choice((1, 2))), 5.0) for _ in range(n_low)]
    rows += [(" ".join(rnd.sample(HIGH, 2)), float(rnd.choice((4, 5))), 5.0) for _ in range(n_high)]
    rows += [("Flimsy at first glance, but it held up fine.", 5.0, 5.0)] * 2
    return rows


def test_side_uses_the_scale():
    assert learned.side(1, 5) == -1 and learned.side(2, 5) == -1 and learned.side(3, 5) == 0
    assert learned.side(5, 5) == 1 and learned.side(3, 10) == -1 and learned.side(9, 10) == 1
    assert learned.side(None, 5) == 0 and learned.side(4, None) == 0


def test_candidates_are_words_low_ratings_overuse():
    known = LexiconSentiment().known_words()
    words = {c["word"]: c for c in learned.candidates(_rows(), known)}
    assert "flimsy" in words and words["flimsy"]["z"] >= learned.MIN_Z
    assert words["flimsy"]["low"] >= learned.MIN_LOW and words["flimsy"]["ratio"] >= learned.MIN_RATIO
    assert "love" not in words and "the" not in words  # known to the lexicon / a function word
    assert "strap" not in words  # both sides use it


def test_no_ratings_or_one_side_learns_nothing():
    assert learned.candidates([("flimsy thing", None, None)] * 50) == []
    assert learned.candidates([("flimsy thing", 1.0, 5.0)] * 50) == []  # no high-rated side


@pytest.fixture(scope="module")
def parser():
    nlp = ph.english_parser()
    if nlp is None:
        pytest.skip("no English parser installed")
    return nlp


def test_only_adjectives_are_learned(parser):
    known = LexiconSentiment().known_words()
    cands = {c["word"] for c in learned.candidates(_rows(), known)}
    assert {"flimsy", "warranty"} <= cands  # over-used by low ratings, adjective or not
    words = {w["word"] for w in learned.learn(_rows(), parser, known)}
    assert "flimsy" in words
    assert "warranty" not in words  # what they talk about is not how it is


def test_learned_word_makes_a_low_rated_segment_a_complaint():
    seg = segment("The handle is flimsy.", "en")
    plain = LexiconSentiment()
    assert not plain.judge(seg, rating=2)[0].complaint
    taught = LexiconSentiment({"flimsy": learned.VALENCE})
    j = taught.judge(seg, rating=2)[0]
    assert j.complaint and j.score < plain.judge(seg, rating=2)[0].score
    # negation still applies to a learned word, and praise stays praise
    assert not taught.judge(segment("Not flimsy at all, love it.", "en"), rating=5)[0].complaint


def _workspace(tmp_path, rows):
    path = tmp_path / "fb.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "rating", "language"])
        for i, (text, rating, _scale) in enumerate(rows):
            w.writerow([f"r{i}", text, rating, "en"])
    ws = vocmine.open(tmp_path / "w.db")
    ws.ingest(path)
    return ws


def test_analyze_learns_stores_and_reuses(tmp_path, parser, monkeypatch):
    ws = _workspace(tmp_path, _rows())
    ws.analyze()
    kept = json.loads(ws.setting("sentiment.learned.en"))
    assert kept["rated"] == len(_rows()) and "flimsy" in [w["word"] for w in kept["words"]]
    flimsy = ws.db.conn.execute(
        "select count(*), sum(s.complaint) from segments s join feedback f on f.id = s.feedback_id "
        "where s.text like '%flimsy%' and f.rating <= 2").fetchone()
    assert flimsy[0] and flimsy[0] == flimsy[1]  # every low-rated "flimsy" segment is a complaint

    def boom(*a, **k):
        raise AssertionError("relearned although the rated reviews did not change")

    monkeypatch.setattr(learned, "learn", boom)
    ws.analyze(reanalyze=True)  # same reviews: the kept words are used
    assert json.loads(ws.setting("sentiment.learned.en"))["words"] == kept["words"]


def test_small_workspace_learns_nothing(tmp_path):
    ws = _workspace(tmp_path, _rows(n_low=20, n_high=30))
    ws.analyze()
    kept = json.loads(ws.setting("sentiment.learned.en"))
    assert kept["words"] == [] and kept["rated"] < learned.MIN_RATED
