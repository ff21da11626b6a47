"""Segments into the categories of a taxonomy: patterns, then keywords, then similarity to examples.

A taxonomy (``taxonomy/default.yaml`` or the user's copy) names categories with bilingual
keywords, regular-expression patterns and example complaints. Each segment gets at most one
category: a pattern match wins; otherwise the category with the most keyword hits on the
segment's lemmas (English through spaCy's lookup lemmas, Korean through Kiwi: 무거워요 → 무겁다);
otherwise, when an embedder is given, the category whose examples are most similar, above a
threshold. What none of these places stays uncategorised, which ``vocmine taxonomy suggest``
turns into proposals.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

log = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Placement:
    """Where one segment was placed: ``category`` (None when nowhere), a score in 0..1, and how."""

    category: str | None
    score: float
    method: str  # "pattern", "keyword", "similarity" or "none"


def english_lemmas(texts: Sequence[str]) -> list[set[str]]:
    """Return, per text, its lowercase words and their lookup lemmas."""
    from vocmine.understand.nlp import get_english

    nlp = get_english()
    out = []
    for doc in nlp.pipe(texts, batch_size=512, disable=[p for p in nlp.pipe_names if p != "lemmatizer"]):
        words = {t.lower_ for t in doc if not t.is_punct}
        out.append(words | {t.lemma_.lower() for t in doc if t.lemma_})
    return out


def korean_lemmas(texts: Sequence[str]) -> list[set[str]]:
    """Return, per text, Kiwi's nouns and predicate lemmas (stem + 다: 무거워요 → 무겁다)."""
    from vocmine.understand.nlp import get_kiwi

    out = []
    for toks in get_kiwi().tokenize(list(texts)):
        lem: set[str] = set()
        for t in toks:
            if t.tag.startswith(("VV", "VA")):
                lem.add(t.form + "다")
            elif t.tag in ("NNG", "NNP", "SL", "XR", "MAG"):
                lem.add(t.form.lower())
        out.append(lem)
    return out


class Categorizer:
    """Place segments into taxonomy categories. ``fit()`` prepares matchers and example vectors."""

    def __init__(self, taxonomy: dict[str, Any], embedder: Any = None, threshold: float = 0.5):
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.threshold = threshold

    def fit(self) -> "Categorizer":
        self.ids_ = [str(c["id"]) for c in self.taxonomy["categories"]]
        self.keywords_: dict[str, dict[str, tuple[set[str], list[str]]]] = {}
        self.patterns_: dict[str, dict[str, list[re.Pattern]]] = {}
        for cat in self.taxonomy["categories"]:
            cid = str(cat["id"])
            for lang, words in (cat.get("keywords") or {}).items():
                single = {str(w).lower() for w in words if " " not in str(w)}
                multi = [str(w).lower() for w in words if " " in str(w)]
                self.keywords_.setdefault(lang, {})[cid] = (single, multi)
            for lang, pats in (cat.get("patterns") or {}).items():
                self.patterns_.setdefault(lang, {})[cid] = [re.compile(p, re.IGNORECASE) for p in pats]
        self.examples_: dict[str, tuple[list[str], np.ndarray]] = {}
        if self.embedder is not None:
            for lang in ("en", "ko"):
                cids, vecs = [], []
                for cat in self.taxonomy["categories"]:
                    ex = (cat.get("examples") or {}).get(lang) or []
                    if ex:
                        v = np.asarray(self.embedder.embed(list(ex)), dtype=np.float32).mean(axis=0)
                        cids.append(str(cat["id"]))
                        vecs.append(v / (np.linalg.norm(v) or 1.0))
                if cids:
                    self.examples_[lang] = (cids, np.vstack(vecs))
        return self

    def place(self, texts: Sequence[str], langs: Sequence[str],
              embeddings: np.ndarray | None = None) -> list[Placement]:
        """Return a Placement per text; ``embeddings`` (rows aligned with texts) enable similarity."""
        if not hasattr(self, "ids_"):
            self.fit()
        out: list[Placement | None] = [None] * len(texts)
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            by_lang.setdefault(lang if lang in ("en", "ko") else "en", []).append(i)
        for lang, idx in by_lang.items():
            lemmas = (korean_lemmas if lang == "ko" else english_lemmas)([texts[i] for i in idx])
            for i, lem in zip(idx, lemmas):
                out[i] = self._rules(texts[i], lang, lem)
        if embeddings is not None and self.examples_:
            for i, p in enumerate(out):
                if p is not None and p.category is None:
                    lang = langs[i] if langs[i] in self.examples_ else next(iter(self.examples_))
                    cids, mat = self.examples_[lang]
                    sims = mat @ embeddings[i]
                    j = int(np.argmax(sims))
                    if sims[j] >= self.threshold:
                        out[i] = Placement(cids[j], round(float(sims[j]), 4), "similarity")
        return [p or Placement(None, 0.0, "none") for p in out]

    def _rules(self, text: str, lang: str, lemmas: set[str]) -> Placement:
        for cid, pats in self.patterns_.get(lang, {}).items():
            if any(p.search(text) for p in pats):
                return Placement(cid, 1.0, "pattern")
        low = text.lower()
        best, hits = None, 0
        for cid in self.ids_:
            single, multi = self.keywords_.get(lang, {}).get(cid, (set(), []))
            n = len(single & lemmas) + sum(1 for m in multi if m in low)
            if n > hits:
                best, hits = cid, n
        if best:
            return Placement(best, round(min(1.0, 0.5 + 0.25 * hits), 4), "keyword")
        return Placement(None, 0.0, "none")


def label(taxonomy: dict[str, Any], category: str | None, lang: str = "en") -> str | None:
    """Return a category's label in ``lang`` (falling back to English, then the id)."""
    if category is None:
        return None
    for cat in taxonomy["categories"]:
        if str(cat["id"]) == category:
            labels = cat.get("label") or {}
            return labels.get(lang) or labels.get("en") or category
    return category
