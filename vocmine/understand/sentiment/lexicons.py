"""The polarity lexicons, read as data from installed packages and our own Korean TSV: VADER's
general lexicon, pattern's negative adjectives (TextBlob's en-sentiment.xml), Kiwi-lemma Korean."""
from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources

from vocmine.core.errors import ModelError


# -- lexicons ------------------------------------------------------------------------------------

def _read_tsv(name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    text = resources.files("vocmine.understand").joinpath("lexicons").joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, value = line.rsplit("\t", 1)
        out[term.strip()] = float(value)
    return out


@lru_cache(maxsize=None)
def english_lexicon() -> tuple[dict[str, float], frozenset[str], dict[str, float]]:
    """Return (word valences, negation words, booster increments) for English."""
    try:
        from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer
    except ImportError as exc:  # pragma: no cover - vaderSentiment is a core dependency
        raise ModelError("English sentiment needs VADER; pip install vaderSentiment") from exc
    analyzer = SentimentIntensityAnalyzer()
    lexicon = dict(analyzer.lexicon)
    # emoji: the valence of the words of VADER's own description ("thumbs down", "crying face")
    for emoji, description in getattr(analyzer, "emojis", {}).items():
        v = sum(lexicon.get(word, 0.0) for word in description.lower().split())
        if v:
            lexicon.setdefault(emoji, max(-3.0, min(3.0, v)))
    negate = frozenset(NEGATE) | {"n't", "not", "no", "never", "without", "nothing", "none", "hardly", "barely"}
    boosters = {k: v for k, v in BOOSTER_DICT.items() if " " not in k}
    for w in ("too", "enough", "more", "less", "kind", "sort"):  # handled as patterns, not boosters
        boosters.pop(w, None)
    return lexicon, negate, boosters


# Pattern's polarity (-1..1) times this is VADER's valence: the median ratio over the 217 words
# both lexicons hold whose every pattern sense is negative (VADER agrees on the sign of 95% of them).
PATTERN_SCALE = 3.5


def _pattern_xml() -> str:
    """Return the text of TextBlob's ``en/en-sentiment.xml`` without importing textblob (and nltk)."""
    import importlib.util

    spec = importlib.util.find_spec("textblob")
    where = list(spec.submodule_search_locations or ()) if spec else []
    for folder in where:
        path = os.path.join(folder, "en", "en-sentiment.xml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                return fh.read()
    raise ModelError("English sentiment needs the pattern polarity lexicon that ships in textblob "
                     "(textblob/en/en-sentiment.xml); pip install textblob")


@lru_cache(maxsize=None)
def pattern_negatives() -> dict[str, float]:
    """Return {adjective: VADER-scale valence} for the words pattern's lexicon marks negative in every sense.

    Pattern (De Smedt & Daelemans; shipped in TextBlob) rates adjectives per WordNet sense. A word
    counts only when all its senses are negative: "cold" and "stale" do, "small" and "tight"
    (negative in some senses, neutral in others) do not; their complaints are "too small", "runs small".
    """
    import xml.etree.ElementTree as ET

    senses: dict[str, list[float]] = {}
    for el in ET.fromstring(_pattern_xml()).iter("word"):
        form = (el.get("form") or "").strip().lower()
        if form and " " not in form:
            senses.setdefault(form, []).append(float(el.get("polarity") or 0.0))
    return {w: round(PATTERN_SCALE * sum(ps) / len(ps), 3) for w, ps in senses.items() if max(ps) < 0}


@lru_cache(maxsize=None)
def korean_lexicon() -> tuple[dict[str, float], dict[str, float]]:
    """Return (single-unit valences, phrase valences keyed "a b" or "a b c") for Korean."""
    single: dict[str, float] = {}
    pairs: dict[str, float] = {}
    for term, value in _read_tsv("ko_polarity.tsv").items():
        (pairs if " " in term else single)[term] = value
    return single, pairs
