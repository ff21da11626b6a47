"""Korean aspects and opinions from Kiwi's tags: what a complaint is about and what is wrong with it.

The sentences come from several domains (shopping, electronics, delivery, restaurants, movies,
apps, banking, and an airline the code has never been told about): nothing in ``phrases_ko``
names a product or an aspect, so every domain must work the same way.
"""
from __future__ import annotations

import time

import pytest

from vocmine.understand import phrases_ko
from vocmine.understand.phrases_ko import Match, find, morphs_from_text


def matches(text: str) -> list[Match]:
    return find(morphs_from_text(text))


# text, aspect, opinion, canonical, kind, variant (the text the offsets point at)
CASES = [
    # shopping / clothing
    ("사이즈가 작아요", "사이즈", "작다", "사이즈가 작다", "aspect", "사이즈가 작아요"),
    ("사이즈가 맞지 않아요", "사이즈", "안 맞다", "사이즈가 맞지 않다", "failure", "사이즈가 맞지 않아요"),
    ("옷 사이즈가 안 맞아요", "옷 사이즈", "안 맞다", "옷 사이즈가 안 맞다", "failure", "옷 사이즈가 안 맞아요"),
    ("바지 길이가 너무 짧아요", "바지 길이", "짧다", "바지 길이가 짧다", "aspect", "바지 길이가 너무 짧아요"),
    ("품질이 별로예요", "품질", "별로다", "품질이 별로다", "aspect", "품질이 별로예요"),
    ("사이즈가 생각보다 작아요", "사이즈", "생각보다 작다", "생각보다 작다", "expectation", "생각보다 작아요"),
    ("생각보다 무거워요", None, "생각보다 무겁다", "생각보다 무겁다", "expectation", "생각보다 무거워요"),
    ("재구매 의사 없어요", "재구매 의사", "없다", "재구매 의사가 없다", "aspect", "재구매 의사 없어요"),
    # electronics
    ("배터리 수명이 짧아요", "배터리 수명", "짧다", "배터리 수명이 짧다", "aspect", "배터리 수명이 짧아요"),
    ("배터리가 빨리 닳아요", "배터리", "빨리 닳다", "배터리가 빨리 닳다", "failure", "배터리가 빨리 닳아요"),
    ("충전이 잘 안 돼요", "충전", "안 되다", "충전이 안 되다", "failure", "충전이 잘 안 돼요"),
    ("작동이 안 돼요", "작동", "안 되다", "작동이 안 되다", "failure", "작동이 안 돼요"),
    ("화면이 자꾸 꺼져요", "화면", "자꾸 꺼지다", "화면이 자꾸 꺼지다", "failure", "화면이 자꾸 꺼져요"),
    ("한 달 만에 고장났어요", None, "고장나다", "고장나다", "failure", "고장났어요"),
    ("액정을 깨뜨렸어요", "액정", "깨뜨리다", "액정을 깨뜨리다", "failure", "액정을 깨뜨렸어요"),
    # delivery
    ("배송이 너무 늦어요", "배송", "늦다", "배송이 늦다", "aspect", "배송이 너무 늦어요"),
    ("배송이 일주일이나 걸렸어요", "배송", "오래 걸리다", "배송이 오래 걸리다", "aspect", "배송이 일주일이나 걸렸어요"),
    ("택배 상자가 찌그러져서 왔어요", "택배 상자", "찌그러지다", "택배 상자가 찌그러지다", "failure", "택배 상자가 찌그러져서"),
    # restaurants
    ("국물이 너무 짜요", "국물", "짜다", "국물이 짜다", "aspect", "국물이 너무 짜요"),
    ("음식이 너무 늦게 나왔어요", "음식", "늦다", "음식이 늦다", "aspect", "음식이 너무 늦게 나왔어요"),
    ("직원분이 불친절했어요", "직원분", "불친절하다", "직원분이 불친절하다", "aspect", "직원분이 불친절했어요"),
    # movies
    ("스토리가 너무 뻔해요", "스토리", "뻔하다", "스토리가 뻔하다", "aspect", "스토리가 너무 뻔해요"),
    ("연기를 너무 못해요", "연기", "못하다", "연기를 못하다", "failure", "연기를 너무 못해요"),
    ("너무 재미없어요", "재미", "없다", "재미가 없다", "aspect", "너무 재미없어요"),
    ("시간이 아까워요", "시간", "아깝다", "시간이 아깝다", "aspect", "시간이 아까워요"),
    # apps
    ("앱이 자꾸 튕겨요", "앱", "자꾸 튕기다", "앱이 자꾸 튕기다", "failure", "앱이 자꾸 튕겨요"),
    ("업데이트 후 로그인이 안 돼요", "로그인", "안 되다", "로그인이 안 되다", "failure", "로그인이 안 돼요"),
    ("업데이트 후 속도가 느려졌어요", "속도", "느려지다", "속도가 느려지다", "failure", "속도가 느려졌어요"),
    # banking / customer service
    ("이체 수수료가 비싸요", "이체 수수료", "비싸다", "이체 수수료가 비싸다", "aspect", "이체 수수료가 비싸요"),
    ("대출 금리가 너무 높아요", "대출 금리", "높다", "대출 금리가 높다", "aspect", "대출 금리가 너무 높아요"),
    ("고객센터 연결이 안 돼요", "고객 센터 연결", "안 되다", "고객센터 연결이 안 되다", "failure",
     "고객센터 연결이 안 돼요"),
    ("고객 센터가 불친절해요", "고객 센터", "불친절하다", "고객 센터가 불친절하다", "aspect", "고객 센터가 불친절해요"),
    ("상담원이 전화를 안 받아요", "전화", "안 받다", "전화를 안 받다", "failure", "전화를 안 받아요"),
    # a domain nothing was written for: an airline and a hotel
    ("비행기가 3시간 지연됐어요", "비행기", "지연되다", "비행기가 지연되다", "failure", "비행기가 3시간 지연됐어요"),
    ("수하물이 분실됐어요", "수하물", "분실되다", "수하물이 분실되다", "failure", "수하물이 분실됐어요"),
    ("좌석이 좁고 불편했어요", "좌석", "좁다", "좌석이 좁다", "aspect", "좌석이 좁고"),
    ("객실이 지저분해요", "객실", "지저분하다", "객실이 지저분하다", "aspect", "객실이 지저분해요"),
]


@pytest.mark.parametrize("text, aspect, opinion, canonical, kind, variant", CASES, ids=[c[0] for c in CASES])
def test_aspect_and_opinion(text, aspect, opinion, canonical, kind, variant):
    found = matches(text)
    assert len(found) >= 1, found
    m = found[0]
    assert (m.aspect, m.opinion, m.canonical, m.kind) == (aspect, opinion, canonical, kind), found
    assert text[m.start:m.end] == variant


def test_enough_sentences_from_enough_domains():
    assert len(CASES) >= 25


@pytest.mark.parametrize("text", [
    "너무 좋아요 배송도 빨라요",
    "직원분들이 친절해요",
    "앱이 편리하고 빨라요",
    "배우들 연기가 훌륭해요",
    "사이즈가 딱 맞아요",
    "음식이 맛있어요",
    "배터리가 오래가서 만족스러워요",
    "고객센터 상담원이 친절하게 안내해 주셨어요",
])
def test_praise_gives_nothing(text):
    assert matches(text) == []


def test_match_keeps_its_positional_fields():
    m = Match("배송이 늦다", "aspect", 0, 7)
    canonical, kind, start, end = m[:4]
    assert (canonical, kind, start, end) == ("배송이 늦다", "aspect", 0, 7)
    assert m.aspect is None and m.opinion == ""
    assert Match._fields[-2:] == ("aspect", "opinion")


def test_offsets_are_absolute_with_an_offset():
    text = "색은 예뻐요. 그런데 배송이 늦었어요"
    start = text.index("배송")
    [m] = find(morphs_from_text(text[start:], start))
    assert text[m.start:m.end] == "배송이 늦었어요"
    assert (m.aspect, m.opinion) == ("배송", "늦다")


def test_one_segment_with_several_complaints():
    text = "디자인은 예쁜데 생각보다 무겁고 배터리가 빨리 닳아요"
    found = matches(text)
    assert [(m.canonical, m.aspect, m.opinion) for m in found] == [
        ("생각보다 무겁다", None, "생각보다 무겁다"), ("배터리가 빨리 닳다", "배터리", "빨리 닳다")]
    for m in found:
        assert text[m.start:m.end] in text


def test_long_and_short_negation_share_an_opinion():
    short, long_ = matches("사이즈가 안 맞아요")[0], matches("사이즈가 맞지 않아요")[0]
    assert short.opinion == long_.opinion == "안 맞다"
    assert short.aspect == long_.aspect == "사이즈"
    [lack] = matches("화질이 안 좋아요")
    assert (lack.canonical, lack.kind, lack.aspect, lack.opinion) == ("화질이 좋지 않다", "lack", "화질", "안 좋다")
    [bare] = matches("제대로 작동하지 못해요")
    assert (bare.kind, bare.aspect, bare.opinion) == ("failure", None, "안 작동하다")


def test_expectation_names_its_aspect_without_changing_the_phrase():
    [m] = matches("배터리가 생각보다 빨리 닳아요")
    assert (m.canonical, m.kind, m.aspect, m.opinion) == ("생각보다 빨리 닳다", "expectation", "배터리", "생각보다 빨리 닳다")
    [m] = matches("예상보다 무거웠습니다")
    assert (m.canonical, m.aspect) == ("생각보다 무겁다", None)


def test_object_and_topic_with_negated_verbs():
    [m] = matches("환불을 안 해줘요")
    assert (m.canonical, m.aspect, m.opinion, m.kind) == ("환불을 안 하다", "환불", "안 하다", "failure")
    [m] = matches("재구매는 안 할 것 같아요")
    assert (m.canonical, m.aspect) == ("재구매를 안 하다", "재구매")
    # denying the cause of a breakage is not a complaint about it
    assert [x.canonical for x in matches("액정을 떨어뜨리지도 않았는데 깨졌어요")] == ["깨지다"]


def test_pronouns_are_never_aspects():
    [m] = matches("이거 너무 작아요")
    assert (m.canonical, m.kind, m.aspect, m.opinion) == ("너무 작다", "excess", None, "너무 작다")


def test_product_nouns_are_aspects_like_any_other_noun():
    # no list says which noun is the product; the workspace statistics decide later
    [m] = matches("제품이 불량이에요")
    assert (m.aspect, m.opinion, m.kind) == ("제품", "불량이다", "failure")
    [m] = matches("영화가 재미없어요")
    assert (m.aspect, m.opinion) == ("영화", "재미없다")


def test_no_closed_domain_lists_in_the_module():
    assert not hasattr(phrases_ko, "PRODUCT_NOUNS")
    words = set()
    for name in dir(phrases_ko):
        value = getattr(phrases_ko, name)
        if isinstance(value, (frozenset, set, dict)):
            words |= {w for w in value if isinstance(w, str)}
    for domain_word in ("옷", "영화", "가격대", "구매", "주문", "제품", "상품", "물건", "배송", "배터리", "사이즈"):
        assert domain_word not in words, domain_word


def test_find_is_fast():
    texts = [c[0] for c in CASES] * 40
    seqs = [morphs_from_text(t) for t in texts]
    t0 = time.perf_counter()
    for ms in seqs:
        find(ms)
    rate = len(seqs) / (time.perf_counter() - t0)
    assert rate > 3000, rate  # segments per second; analyze needs well over 1,000 reviews/s
