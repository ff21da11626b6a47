"""Sentiment and complaints per segment, English and Korean, offline by default.

``LexiconSentiment`` scores English with VADER's general lexicon (emoji valued by the words of
VADER's emoji descriptions), filling its gaps with the negative adjectives of pattern's general
lexicon that TextBlob ships ("the soup was cold", "the bread was stale"; read as predicates only,
see ``pattern_negatives``), and Korean with our own lexicon of Kiwi lemmas
(``lexicons/ko_polarity.tsv``). Both read the tokens that ``segment`` produced and handle
negation ("not bad", "안 좋다", "-지 않다", "문제 없다"), intensifiers, contrast inside a segment
and the complaint shapes that carry no negative word: expectation gaps ("heavier than expected",
"생각보다 무거워요"), excess or lack ("too small", "not warm enough", "너무 커요", "안 돼요") and,
in English, reported failure events ("my flight was delayed 2 hours", "they lost my bag", "on hold
for 45 minutes", "never arrived"). In social text @handles, #hashtags, URLs and "RT" carry no sentiment.
``TransformersSentiment`` runs a local text-classification model instead.

The item's rating, when given, is a prior: it tilts neutral segments, never flips a clear one;
in an item rated 1-2 of 5 every segment that leans negative by its own words is a complaint.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Sequence

from vocmine.core.errors import ModelError
from vocmine.understand.segment import Segment
from vocmine.understand.sentiment.base import (  # noqa: F401 - the public names of the stage
    CLEAR, COMPLAINT_AT, CONCEDED, LOW_PRIOR, NEGATIVE_AT, POSITIVE_AT, RATING_WEIGHT, Judgement, Sentiment,
    _concede, decide, rating_prior,
)
from vocmine.understand.sentiment.english import (  # noqa: F401
    _EN_FUNCTION, _EN_PRED_FILL, _EN_SOFTENERS, _EN_SPECIAL, HEDGED, score_english,
)
from vocmine.understand.sentiment.korean import score_korean
from vocmine.understand.sentiment.lexicons import (  # noqa: F401
    PATTERN_SCALE, english_lexicon, korean_lexicon, pattern_negatives,
)

log = logging.getLogger(__name__)

# -- implementations -----------------------------------------------------------------------------

class LexiconSentiment:
    """Offline sentiment: VADER's lexicon for English, vocmine's Kiwi-lemma lexicon for Korean."""

    name = "lexicon"

    def __init__(self, learned: dict[str, float] | None = None) -> None:
        self.learned: dict[str, float] = {}
        self._lexicon: dict[str, float] | None = None
        if learned:
            self.learn(learned)

    def learn(self, words: dict[str, float]) -> None:
        """Add English words with their valences (learned from a workspace's ratings) to VADER's."""
        self.learned = dict(words)
        self._lexicon = {**english_lexicon()[0], **self.learned} if self.learned else None

    def known_words(self) -> frozenset[str]:
        """The English words the lexicons already rate, and the function words: never learned."""
        lex, negate, boosters = english_lexicon()
        return frozenset(lex) | frozenset(pattern_negatives()) | negate | frozenset(boosters) | _EN_FUNCTION \
            | _EN_PRED_FILL | _EN_SPECIAL | _EN_SOFTENERS

    def score(self, segment: Segment) -> float:
        """Return the raw polarity of one segment in -1..1 (no rating involved)."""
        if segment.lang == "ko":
            return score_korean(segment.tokens)
        return score_english(segment.tokens, self._lexicon)

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]:
        """Return one judgement per segment of one feedback item, using its rating as a prior."""
        prior = rating_prior(rating, rating_scale)
        return [decide(s, prior) for s in _concede([self.score(s) for s in segments], segments)]


class TransformersSentiment:
    """Sentiment from a local transformers text-classification model directory.

    Labels are mapped to polarity by name ("negative", "neutral", "positive", "1 star" ..
    "5 stars") or, for unnamed labels (LABEL_0, LABEL_1, ...), by position: two labels are
    negative/positive, three negative/neutral/positive, five are star ratings.
    """

    name = "transformers"

    def __init__(self, path: str, device: str = "cpu", batch_size: int = 32) -> None:
        self.path = path
        self.device = device
        self.batch_size = batch_size
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise ModelError("TransformersSentiment needs transformers and torch; "
                             "pip install transformers torch==2.13.0") from exc
        if not os.path.isdir(path):
            raise ModelError(f"sentiment model directory {path!r} does not exist")
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model_ = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load a text-classification model from {path!r}: {exc}") from exc
        self.model_.to(device)
        self.model_.eval()
        log.info("loaded sentiment model %s (%d labels) on %s", path, self.model_.config.num_labels, device)
        self.polarity_ = label_polarities(self.model_.config.id2label)

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Return a polarity in -1..1 per text: the expected label polarity under the model."""
        import torch

        out: list[float] = []
        weights = torch.tensor(self.polarity_, dtype=torch.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i:i + self.batch_size])
            enc = self.tokenizer_(batch, padding=True, truncation=True, max_length=256, return_tensors="pt")
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.no_grad():
                probs = self.model_(**enc).logits.float().softmax(-1).cpu()
            out.extend((probs * weights).sum(-1).tolist())
        return out

    def judge(self, segments: Sequence[Segment], rating: float | None = None,
              rating_scale: float = 5) -> list[Judgement]:
        """Return one judgement per segment of one feedback item, using its rating as a prior."""
        if not segments:
            return []
        prior = rating_prior(rating, rating_scale)
        scores = _concede(self.scores([seg.text for seg in segments]), segments)
        return [decide(s, prior) for s in scores]


_NAMED = (("neg", -1.0), ("bad", -1.0), ("neu", 0.0), ("pos", 1.0), ("good", 1.0))


def label_polarities(id2label: dict) -> list[float]:
    """Return the polarity (-1..1) of each label index of a classifier's ``id2label``."""
    labels = [str(id2label[i]).lower() for i in sorted(id2label, key=int)]
    pols: list[float | None] = []
    for lab in labels:
        star = re.match(r"(\d)\s*star", lab)
        if star:
            pols.append((int(star.group(1)) - 3) / 2)
            continue
        pols.append(next((p for key, p in _NAMED if key in lab), None))
    if all(p is not None for p in pols):
        return [float(p) for p in pols if p is not None]  # (all are: the filter narrows the type)
    by_count = {2: [-1.0, 1.0], 3: [-1.0, 0.0, 1.0], 5: [-1.0, -0.5, 0.0, 0.5, 1.0]}
    if len(labels) in by_count:
        return by_count[len(labels)]
    raise ModelError(f"cannot map labels {labels} to sentiment; name them negative/neutral/positive "
                     "or use a model with 2, 3 or 5 labels")


def get_sentiment(name_or_path: str | None = None):
    """Return a sentiment judge: "lexicon" (default) or a local transformers model directory."""
    if name_or_path is None or name_or_path == "lexicon":
        return LexiconSentiment()
    if os.path.isdir(name_or_path):
        return TransformersSentiment(name_or_path)
    raise ModelError(f"unknown sentiment model {name_or_path!r}; available: lexicon, "
                     "or the path of a local transformers text-classification model directory")
