"""Taxonomy placement of segments: patterns, lemma keywords (en + ko), similarity to examples."""
import numpy as np

import vocmine
from vocmine.decide.categorize import Categorizer, label

TAXONOMY = vocmine.load_taxonomy()


def test_default_taxonomy_places_english_and_korean_complaints_by_cause():
    cases = {
        "but it's heavier than expected": "weight_build", "생각보다 무거워요": "weight_build",
        "delivery was very late": "delivery", "택배가 너무 늦게 왔어요": "delivery",
        "the battery dies fast": "battery_power", "충전이 잘 안 돼요": "battery_power",
        "runs small": "size_fit", "사이즈가 작아요": "size_fit",
        "still waiting for my refund": "returns_refunds", "환불이 아직 안 됐어요": "returns_refunds",
    }
    texts = list(cases)
    langs = ["ko" if any("\uac00" <= ch <= "\ud7a3" for ch in t) else "en" for t in texts]
    placed = Categorizer(TAXONOMY).fit().place(texts, langs)
    assert {t: p.category for t, p in zip(texts, placed)} == cases
    assert all(p.method == "keyword" for p in placed)


def test_patterns_win_and_unknown_text_stays_uncategorised():
    tax = {"name": "t", "version": 1, "categories": [
        {"id": "delivery", "label": {"en": "Delivery", "ko": "배송"}, "keywords": {"en": ["delivery"]},
         "patterns": {"en": [r"took \w+ (days|weeks) to (arrive|come)"]}},
        {"id": "other", "label": {"en": "Other"}, "keywords": {"en": ["weeks"]}},
    ]}
    placed = Categorizer(tax).fit().place(["it took three weeks to arrive", "the moon is pretty"], ["en", "en"])
    assert (placed[0].category, placed[0].method) == ("delivery", "pattern")
    assert (placed[1].category, placed[1].method) == (None, "none")
    assert label(tax, "delivery", "ko") == "배송" and label(tax, "other", "ko") == "Other"


class _Embedder:
    """Bag-of-letters vectors: enough to make similarity to examples a real computation."""

    name = "letters"

    def embed(self, texts):
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_similarity_to_examples_places_what_keywords_miss():
    tax = {"name": "t", "version": 1, "categories": [
        {"id": "zip", "label": {"en": "Zips"}, "examples": {"en": ["zzz zip zap"]}},
        {"id": "bolt", "label": {"en": "Bolts"}, "examples": {"en": ["bolt tool"]}},
    ]}
    emb = _Embedder()
    texts = ["zazzy zip", "qqq"]
    placed = Categorizer(tax, embedder=emb, threshold=0.6).fit().place(texts, ["en", "en"], emb.embed(texts))
    assert (placed[0].category, placed[0].method) == ("zip", "similarity")
    assert placed[1].category is None
