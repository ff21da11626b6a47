"""What every sentiment model shares: the score thresholds, the judgement of a segment (its rating
as a prior, a conceded clause softened) and the ``Sentiment`` protocol."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

from vocmine.understand.segment import Segment


# Score thresholds on the -1..1 scale.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
COMPLAINT_AT = -0.38
# How far a rating can move a segment's score (a 1-star rating adds -RATING_WEIGHT).
RATING_WEIGHT = 0.3
# A prior at most this (a rating of 1-2 of 5, 1-3 of 10) makes any negative segment a complaint.
LOW_PRIOR = -0.5
# Weight of a negative clause that a contrast clause follows ("X but Y": X is conceded).
CONCEDED = 0.6
# A segment this clearly positive stays positive whatever the rating.
CLEAR = 0.35


@dataclass
class Judgement:
    """Sentiment of one segment: score in -1..1, its label, and whether it is a complaint."""

    score: float
    label: str
    complaint: bool


class Sentiment(Protocol):
    """Role: judge the segments of one feedback item."""

    name: str

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]: ...


def rating_prior(rating: float | None, rating_scale: float = 5) -> float:
    """Return the rating as a prior in -1..1 (1 star -> -1, top -> 1; 0 when there is none).

    A scale of 5 means ratings 1..5; a scale of 10 means 1..10.
    """
    if rating is None or rating_scale <= 1 or (isinstance(rating, float) and math.isnan(rating)):
        return 0.0
    p = (float(rating) - 1) / (rating_scale - 1)
    return max(-1.0, min(1.0, 2 * p - 1))


def decide(score: float, prior: float = 0.0) -> Judgement:
    """Return the judgement for a raw segment score and a rating prior (see ``rating_prior``)."""
    combined = score
    if prior and abs(score) < CLEAR:
        # a neutral or lukewarm segment leans the way the rating does
        combined = max(-1.0, min(1.0, score + RATING_WEIGHT * prior))
    if combined >= POSITIVE_AT:
        label = "positive"
    elif combined <= NEGATIVE_AT:
        label = "negative"
    else:
        label = "neutral"
    # in a review rated 1-2 of 5 a segment that leans negative by its own words is one of its complaints
    low = prior <= LOW_PRIOR and score <= NEGATIVE_AT
    return Judgement(round(combined, 4), label, combined <= COMPLAINT_AT or low)


def _concede(scores: Sequence[float], segments: Sequence[Segment]) -> list[float]:
    """Return the scores with conceded complaints softened.

    In "runs small but I love it" / "비싸지만 좋아요" the clause after the turn dominates, so the
    negative clause before it counts less.
    """
    out = list(scores)
    for k in range(len(out) - 1):
        if out[k] < 0 and segments[k + 1].joined_by:
            out[k] = scores[k] * CONCEDED
    return out


def _normalize(total: float) -> float:
    # VADER's normalisation: maps an unbounded sum of valences into -1..1
    return total / math.sqrt(total * total + 15) if total else 0.0
