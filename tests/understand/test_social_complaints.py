"""Complaints in social text: failure events without angry words, and markup that carries no sentiment."""
from __future__ import annotations

import pytest

from vocmine.understand.segment import segment_many
from vocmine.understand.sentiment import get_sentiment, score_english


def complaint(text: str) -> bool:
    segs = segment_many([text], ["en"])[0]
    return any(j.complaint for j in get_sentiment().judge(segs))


@pytest.mark.parametrize("text", [
    "my flight was delayed 2 hours",
    "@united flight cancelled flightled",
    "they lost my bag",
    "my bag is lost",
    "been on hold for 45 minutes",
    "still waiting for my refund",
    "my card hasn't arrived",
    "charged twice",
    "never arrived",
    "stuck on the tarmac",
    "@united you lost my luggage again #travel http://t.co/abc123",
    "RT @AmericanAir: stranded overnight in Dallas",
    "@delta waited 3 hours at the gate",
    "@usairways been waiting on the phone for over an hour",
    "I haven't received my order yet",
    "@united I was charged again for a bag I checked",
    "We missed our connection because of you @SouthwestAir",
    "Package never came and nobody replies",
])
def test_failure_events_are_complaints(text):
    assert complaint(text), text


@pytest.mark.parametrize("text", [
    "no delays, great flight",
    "the flight wasn't delayed",
    "RT @JetBlue: Our fleet's on fleek. http://t.co/abc",
    "@VirginAmerica thanks for the great service! #happy",
    "@SouthwestAir love the new seats http://t.co/x",
    "the flight was on time and the crew was lovely",
    "@JetBlue wait is only 5 minutes, awesome",
    "It didn't come with instructions but works great",
    "arrived early and the staff were friendly",
])
def test_praise_and_negated_events_are_not_complaints(text):
    assert not complaint(text), text


def test_markup_carries_no_sentiment():
    # the handle, the hashtag word, the URL and RT are ignored: only "my seat" is left
    bare = segment_many(["my seat"], ["en"])[0][0]
    marked = segment_many(["RT @hatefulairline my seat #fail #awful https://t.co/bad"], ["en"])[0][0]
    assert score_english(marked.tokens) == score_english(bare.tokens) == 0.0


def test_hashtag_split_by_the_tokenizer_is_ignored():
    seg = segment_many(["#terrible #worst"], ["en"])[0]
    assert all(not j.complaint and j.score == 0.0 for j in get_sentiment().judge(seg))
