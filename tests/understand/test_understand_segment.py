"""Segmentation into sentences and contrast clauses, English and Korean, with exact offsets."""
import pytest

from vocmine.understand.segment import Segment, Token, segment, segment_many


def texts(segs):
    return [s.text for s in segs]


def assert_offsets(original, segs):
    for k, s in enumerate(segs):
        assert s.index == k
        assert s.text == original[s.start:s.end]
        assert s.tokens, s
        for t in s.tokens:
            assert s.start <= t.start < t.end <= s.end


def test_english_clause_split_on_but():
    text = "love the colour but it's heavier than expected"
    segs = segment(text, "en")
    assert texts(segs) == ["love the colour", "but it's heavier than expected"]
    assert [s.joined_by for s in segs] == [None, "but"]
    assert all(s.lang == "en" for s in segs)
    assert_offsets(text, segs)


def test_english_sentences_lemmas_and_token_offsets():
    text = "Loved the dress. The straps broke after two washes!"
    segs = segment(text, "en")
    assert texts(segs) == ["Loved the dress.", "The straps broke after two washes!"]
    first = segs[0].tokens[0]
    assert isinstance(first, Token)
    assert (first.text, first.lemma, first.start, first.end) == ("Loved", "love", 0, 5)
    assert [t.lemma for t in segs[1].tokens if t.text == "straps"] == ["strap"]
    assert segs[1].tokens[-1].pos == "PUNCT"
    assert_offsets(text, segs)


def test_english_concessive_opener_splits_at_comma():
    text = "Although it is pretty, it runs small."
    segs = segment(text, "en")
    assert texts(segs) == ["Although it is pretty", "it runs small."]
    assert segs[1].joined_by == "although"


def test_english_no_split_without_a_turn():
    assert len(segment("Nothing but praise for this coat.", "en")) == 1
    assert len(segment("It runs small though.", "en")) == 1  # "though" closes the clause
    assert len(segment("Not yet worn.", "en")) == 1


def test_emoji_offsets_and_emoji_stays_with_its_sentence():
    text = "Cute!! 😍😍 But the zip 🤐 broke. 👍"
    segs = segment(text, "en")
    assert_offsets(text, segs)
    assert segs[0].text == "Cute!! 😍😍"
    assert segs[-1].text.endswith("👍")
    assert segs[1].joined_by == "but"


def test_korean_clause_split_on_neunde():
    text = "디자인은 예쁜데 생각보다 무거워요"
    segs = segment(text, "ko")
    assert texts(segs) == ["디자인은 예쁜데", "생각보다 무거워요"]
    assert [s.joined_by for s in segs] == [None, "는데"]
    assert_offsets(text, segs)
    lemmas = [t.lemma for t in segs[1].tokens]
    assert "무겁다" in lemmas


def test_korean_jiman_and_sentence_adverb():
    text = "가격은 비싸지만 품질이 좋아요. 근데 배송이 느려요"
    segs = segment(text, "ko")
    assert texts(segs) == ["가격은 비싸지만", "품질이 좋아요.", "근데 배송이 느려요"]
    assert [s.joined_by for s in segs] == [None, "지만", "근데"]
    assert_offsets(text, segs)


def test_korean_neunde_split_by_kiwi_as_noun():
    # Kiwi reads "빨았는데" as 빨 + 았 + 는(ETM) + 데(NNB); it is still a turn
    text = "한 번 빨았는데 보풀이 생겼어요"
    segs = segment(text, "ko")
    assert texts(segs) == ["한 번 빨았는데", "보풀이 생겼어요"]
    assert segs[1].joined_by == "는데"


def test_korean_missing_spaces_and_trailing_emoticons():
    text = "배송이너무늦어요ㅠㅠ 옷은좋아요😊"
    segs = segment(text, "ko")
    assert_offsets(text, segs)
    assert segs[0].text == "배송이너무늦어요ㅠㅠ"
    lemmas = [t.lemma for s in segs for t in s.tokens]
    assert "배송" in lemmas and "늦다" in lemmas and "좋다" in lemmas
    assert segs[-1].text.endswith("😊")


def test_mixed_language_chooses_per_sentence():
    text = "Great fit. 사이즈가 작아요. It runs small."
    segs = segment(text, "mixed")
    assert [s.lang for s in segs] == ["en", "ko", "en"]
    assert_offsets(text, segs)
    assert segs[2].tokens[1].lemma == "run"


def test_segment_many_matches_segment_and_handles_empty():
    items = ["Love it but small", "", "   ", "좋아요 근데 비싸요", "Fine."]
    langs = ["en", "en", "ko", "ko", "und"]
    many = segment_many(items, langs, batch_size=2)
    assert len(many) == len(items)
    assert many[1] == [] and many[2] == []
    for text, lang, segs in zip(items, langs, many):
        assert texts(segs) == texts(segment(text, lang))
    assert isinstance(many[0][0], Segment)


def test_segment_many_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 texts but 1 languages"):
        segment_many(["a", "b"], ["en"])


def test_kiwi_takes_omp_num_threads_threads_and_the_same_tokens(monkeypatch):
    """A Ray actor sets OMP_NUM_THREADS to its CPUs: Kiwi must keep to that many threads (else two
    actors on two cores each run two threads) and tokenize exactly as with its default threads."""
    from vocmine.understand.nlp import get_kiwi

    texts = ["배송은 빨랐는데 생각보다 무겁고 마감이 별로예요", "사이즈가 작아요. 교환하고 싶어요"] * 20
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    one = get_kiwi.__wrapped__()
    assert one.num_workers == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    default = get_kiwi.__wrapped__()
    assert default.num_workers >= 1
    assert [[(t.form, t.tag, t.start) for t in ts] for ts in one.tokenize(texts)] == \
        [[(t.form, t.tag, t.start) for t in ts] for ts in default.tokenize(texts)]
