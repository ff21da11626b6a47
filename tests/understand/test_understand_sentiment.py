"""Sentiment and complaints per segment: negation, contrast, comparatives, rating prior, models."""
import os

import pytest

from vocmine.core.errors import ModelError
from vocmine.understand.segment import segment
from vocmine.understand.sentiment import (
    Judgement, LexiconSentiment, TransformersSentiment, decide, get_sentiment, label_polarities, rating_prior,
)

MODEL = LexiconSentiment()


def judge(text, lang, rating=None, scale=5):
    segs = segment(text, lang)
    return [(s.text, j) for s, j in zip(segs, MODEL.judge(segs, rating=rating, rating_scale=scale))]


def complaint(text, lang):
    """Whether any segment of ``text`` is judged a complaint (no rating)."""
    return any(j.complaint for _, j in judge(text, lang))


@pytest.mark.parametrize("text", [
    "No complaints.", "Not bad at all.", "I couldn't be happier with it!", "You can't go wrong with this coat.",
    "The photos don't do it justice.", "Not too clingy.", "Better than expected!", "Softer than I thought.",
    "Love this dress, it is gorgeous.", "I wore it to a wedding.",
])
def test_english_not_complaints(text):
    assert not complaint(text, "en"), judge(text, "en")


@pytest.mark.parametrize("text", [
    "It's heavier than expected.", "It runs small.", "Way too tight in the chest.", "The fabric is not comfortable.",
    "Not warm enough for winter.", "I wanted to love this dress.", "Sadly I returned it.", "The zipper broke.",
    "Much shorter than pictured.", "Not worth the money.",
])
def test_english_complaints(text):
    assert complaint(text, "en"), judge(text, "en")


@pytest.mark.parametrize("text", [
    "좋아요", "문제없이 잘 써요", "후회 안 해요", "생각보다 가볍고 좋아요", "마음에 들어요", "너무 예뻐요 ㅎㅎ", "배송이 빨라요",
    "넘 조아요", "이뻐용", "재구매 의사 있어요", "연기 너무 자연스러웠다", "말이 돼요",
])
def test_korean_not_complaints(text):
    assert not complaint(text, "ko"), judge(text, "ko")


@pytest.mark.parametrize("text", [
    "배송이 늦어요", "배송이너무늦어요", "생각보다 무거워요", "사진보다 어두워요", "사이즈가 작아요", "너무 커요",
    "충전이 안 돼요", "좋지 않아요", "별로예요", "재미없어요", "기대 이하예요", "작동이 잘 안돼요", "재구매 의사 없어요",
    "색상이 사진이랑 달라요", "배송이 좀 늦어요", "말도 안 되는 가격",
])
def test_korean_complaints(text):
    assert complaint(text, "ko"), judge(text, "ko")


def test_negation_flips_polarity():
    (_, good), = judge("It is comfortable.", "en")
    (_, not_good), = judge("It is not comfortable.", "en")
    assert good.label == "positive" and not_good.label == "negative"
    (_, ko_good), = judge("좋아요", "ko")
    (_, ko_not), = judge("안 좋아요", "ko")
    assert ko_good.score > 0 > ko_not.score


def test_contrast_clauses_judged_apart():
    (first, a), (second, b) = judge("love the colour but it's heavier than expected", "en")
    assert (a.label, a.complaint) == ("positive", False)
    assert b.complaint
    (_, c), (_, d) = judge("디자인은 예쁜데 생각보다 무거워요", "ko")
    assert c.label == "positive" and not c.complaint
    assert d.complaint


def test_conceded_clause_weighs_less():
    alone = judge("The material is a bit cheap.", "en")[0][1].score
    conceded = judge("The material is a bit cheap but I love it anyway.", "en")[0][1].score
    assert alone < conceded < 0


def test_rating_prior_tilts_neutral_segments_only():
    neutral = "I wore it to work."
    assert judge(neutral, "en")[0][1].label == "neutral"
    low = judge(neutral, "en", rating=1)[0][1]
    high = judge(neutral, "en", rating=5)[0][1]
    assert low.score < 0 < high.score and low.label == "negative" and high.label == "positive"
    # a clearly positive clause stays positive in a 2-star review; the complaint stays a complaint
    (_, praise), (_, gripe) = judge("Love the color but the zipper broke.", "en", rating=2)
    assert praise.label == "positive" and not praise.complaint
    assert gripe.complaint
    # a 5-star rating does not rescue a clear complaint
    assert judge("It runs small.", "en", rating=5)[0][1].complaint
    # 10-point scale: 10 is the top
    assert rating_prior(10, 10) == 1.0 and rating_prior(1, 10) == -1.0 and rating_prior(None) == 0.0


def test_decide_thresholds():
    assert decide(0.0) == Judgement(0.0, "neutral", False)
    assert decide(-0.9).complaint and decide(-0.9).label == "negative"
    assert decide(0.9, prior=-1.0).label == "positive"


def test_get_sentiment_names_and_errors(tmp_path):
    assert isinstance(get_sentiment(), LexiconSentiment)
    assert get_sentiment("lexicon").name == "lexicon"
    with pytest.raises(ModelError, match="unknown sentiment model 'vadr'; available: lexicon"):
        get_sentiment("vadr")
    with pytest.raises(ModelError, match="cannot load a text-classification model"):
        get_sentiment(str(tmp_path))  # an existing but empty directory


def test_label_polarities():
    assert label_polarities({0: "NEGATIVE", 1: "POSITIVE"}) == [-1.0, 1.0]
    assert label_polarities({0: "1 star", 1: "3 stars", 2: "5 stars"}) == [-1.0, 0.0, 1.0]
    assert label_polarities({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == [-1.0, 0.0, 1.0]
    with pytest.raises(ModelError, match="cannot map labels"):
        label_polarities({0: "a", 1: "b", 2: "c", 3: "d"})


def _tiny_model(path, bias):
    """Save a tiny BERT classifier whose classifier bias decides the answer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "zip", "broke", "love", "it", "좋", "##아요", "."]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = BertTokenizer(str(path / "vocab.txt"))
    config = BertConfig(vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=64, num_labels=2,
                        id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1})
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_transformers_sentiment_loads_a_local_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    pytest.importorskip("torch", reason="TransformersSentiment needs torch")
    pytest.importorskip("transformers", reason="TransformersSentiment needs transformers")
    pos_dir = _tiny_model(tmp_path / "pos", [-4.0, 4.0])
    neg_dir = _tiny_model(tmp_path / "neg", [4.0, -4.0])
    assert os.path.exists(pos_dir / "config.json")

    model = get_sentiment(str(pos_dir))
    assert isinstance(model, TransformersSentiment) and model.name == "transformers"
    segs = segment("love it. the zip broke.", "en")
    out = model.judge(segs)
    assert len(out) == 2 and all(j.label == "positive" and not j.complaint and j.score > 0.9 for j in out)

    neg = TransformersSentiment(str(neg_dir))
    out = neg.judge(segment("좋아요", "ko"), rating=5)
    assert out[0].label == "negative" and out[0].complaint  # a clear model verdict beats the rating
    assert neg.judge([]) == []


@pytest.mark.parametrize("text", [
    "The food was cold when it finally came.", "The soup was cold and the bread was stale.", "The room was expensive.",
])
def test_pattern_adjectives_fill_vader_gaps(text):
    assert complaint(text, "en"), judge(text, "en")


def test_pattern_adjectives_count_as_predicates_only():
    from vocmine.understand.sentiment import english_lexicon, pattern_negatives

    lex = pattern_negatives()
    assert lex["cold"] < -1.5 and lex["stale"] < -1.5
    # negative in some senses only, or positive: left to "too small", "runs small"
    assert not {"small", "tight", "short", "cheap", "huge", "warm"} & set(lex)
    assert "cold" not in english_lexicon()[0]  # VADER's lexicon stays as it is; VADER comes first
    for text in ("Works with chicken and rice.", "I ordered this based on the reviews.", "Served cold it is lovely."):
        assert not complaint(text, "en"), judge(text, "en")


def test_pattern_lexicon_is_read_without_importing_textblob():
    import subprocess
    import sys

    code = ("import sys; from vocmine.understand.sentiment import pattern_negatives; assert pattern_negatives(); "
            "assert 'textblob' not in sys.modules and 'nltk' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_pattern_lexicon_is_a_model_error(monkeypatch):
    import importlib.util

    from vocmine.understand import sentiment

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "textblob" else real(name, *a))
    sentiment.pattern_negatives.cache_clear()
    try:
        with pytest.raises(ModelError, match="pip install textblob"):
            sentiment.pattern_negatives()
    finally:
        monkeypatch.undo()
        sentiment.pattern_negatives.cache_clear()
    assert sentiment.pattern_negatives()


def test_negative_segment_of_a_low_rated_review_is_a_complaint():
    text = "The fabric is thin."
    assert judge(text, "en")[0][1].label == "negative" and not complaint(text, "en")
    assert judge(text, "en", rating=1)[0][1].complaint and judge(text, "en", rating=2)[0][1].complaint
    assert not judge(text, "en", rating=3)[0][1].complaint and not judge(text, "en", rating=5)[0][1].complaint
    # a segment with no negative word stays no complaint, whatever the rating
    assert not judge("I wore it to work.", "en", rating=1)[0][1].complaint
    assert judge("The fabric is thin.", "en", rating=2, scale=10)[0][1].complaint
