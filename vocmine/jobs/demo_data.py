"""Seeded generator of realistic demo feedback for "Nimbus Gear", a fictional consumer-products company.

``generate()`` returns reviews, NPS survey answers, improvement tickets and the product catalogue for
12 weeks, in English and Korean. Texts are built compositionally from a small phrase grammar so that
the same complaint ("heavier than expected", "생각보다 무거워요") surfaces in many wordings, the way
real customers write. The story the later analysis should find is planted on purpose: the backpack
weight complaint rises from week 3, spikes in weeks 5-7 and falls away after the aluminium-frame
ticket ships in week 8, when "much lighter" praise appears.

Every item keeps its ground truth in keys starting with ``_`` (``_themes``, ``_week``, ``_pii``,
``_duplicate_of``); ingestion ignores such keys. The output depends only on the arguments.
"""
from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

log = logging.getLogger(__name__)

__all__ = ["DemoData", "generate", "weight_complaints_by_week", "COMPLAINT_THEMES", "PRAISE_THEMES"]


@dataclass
class DemoData:
    """The generated demo: reviews, survey answers, tickets and the product catalogue."""

    reviews: list[dict]
    survey: list[dict]
    tickets: list[dict]
    products: list[dict]
    start: str = "2026-08-03"
    weeks: int = 12


PRODUCTS = [
    {"id": "NG-BP28", "name_en": "Trailhead 28L Backpack", "name_ko": "트레일헤드 28L 백팩", "category": "bags"},
    {"id": "NG-BP18", "name_en": "Metro Slim Backpack", "name_ko": "메트로 슬림 백팩", "category": "bags"},
    {"id": "NG-SP01", "name_en": "Pulse Mini Speaker", "name_ko": "펄스 미니 스피커", "category": "audio"},
    {"id": "NG-PB20", "name_en": "Volt 20K Power Bank", "name_ko": "볼트 20K 보조배터리", "category": "power"},
    {"id": "NG-JK01", "name_en": "Stormshell Rain Jacket", "name_ko": "스톰쉘 방수 재킷", "category": "apparel"},
    {"id": "NG-JK02", "name_en": "Featherlite Down Jacket", "name_ko": "페더라이트 경량 패딩", "category": "apparel"},
    {"id": "NG-SH01", "name_en": "Ridge Trail Shoes", "name_ko": "릿지 트레일 러닝화", "category": "footwear"},
]
_PRODUCT_SHARE = [0.22, 0.12, 0.14, 0.14, 0.14, 0.10, 0.14]

COMPLAINT_THEMES = ["weight", "delivery", "battery", "sizing", "zipper", "support", "price"]
PRAISE_THEMES = ["praise_comfort", "praise_sound", "praise_looks", "praise_quality", "praise_delivery",
                 "praise_battery", "praise_fit", "praise_waterproof", "praise_lighter"]

# Per-product chance that a review raises each complaint (before the weekly weight curve), and
# which praise it can give. Weight belongs to the backpacks: their steel frame is what the
# NIM-101 ticket replaces.
_COMPLAINT_P = {
    "NG-BP28": {"weight": 0.24, "delivery": 0.08, "zipper": 0.06, "support": 0.03, "price": 0.04},
    "NG-BP18": {"weight": 0.12, "delivery": 0.08, "zipper": 0.07, "support": 0.03, "price": 0.04},
    "NG-SP01": {"battery": 0.14, "delivery": 0.08, "support": 0.04, "price": 0.05},
    "NG-PB20": {"battery": 0.26, "delivery": 0.08, "support": 0.04, "price": 0.03},
    "NG-JK01": {"sizing": 0.20, "delivery": 0.08, "zipper": 0.05, "support": 0.03, "price": 0.06},
    "NG-JK02": {"sizing": 0.18, "delivery": 0.08, "zipper": 0.04, "support": 0.03, "price": 0.05},
    "NG-SH01": {"sizing": 0.24, "delivery": 0.08, "support": 0.03, "price": 0.05},
}
_PRAISE = {
    "NG-BP28": ["praise_comfort", "praise_looks", "praise_quality", "praise_delivery"],
    "NG-BP18": ["praise_comfort", "praise_looks", "praise_quality", "praise_delivery"],
    "NG-SP01": ["praise_sound", "praise_sound", "praise_looks", "praise_battery", "praise_delivery"],
    "NG-PB20": ["praise_battery", "praise_quality", "praise_delivery", "praise_looks"],
    "NG-JK01": ["praise_waterproof", "praise_fit", "praise_looks", "praise_delivery"],
    "NG-JK02": ["praise_comfort", "praise_fit", "praise_looks", "praise_quality"],
    "NG-SH01": ["praise_comfort", "praise_fit", "praise_looks", "praise_delivery"],
}
# Survey answers are about the company, not one product: smaller chances, any product mentioned.
_SURVEY_COMPLAINT_P = {"weight": 0.07, "delivery": 0.10, "battery": 0.06, "sizing": 0.06,
                       "zipper": 0.02, "support": 0.05, "price": 0.05}

# Weight complaint multiplier for weeks 1..12; other lengths are stretched onto this curve.
# Week 8 is the shipping week (averaged: high before the new frame ships, low after).
_WEIGHT_CURVE = [1.0, 1.0, 1.45, 1.9, 3.0, 3.2, 2.9, 1.4, 0.3, 0.22, 0.18, 0.15]
_SHIP_WEEK = 7       # 0-based: week 8 of 12
_SIZING_WEEK = 10    # 0-based: week 11 of 12

# ---------------------------------------------------------------------------------------------
# Phrase grammar. "{slot}" expands to a random alternative of that slot; the product context
# adds {it}, {item}, {fit_area} and friends; "{it_runs}" conjugates to "it runs" / "they run".
# Several alternatives are listed more than once to make the common wordings ("heavier than expected", "생각보다 무거워요") common, as in real reviews.

_EN = {
    # --- weight
    "weight": [
        "{be_it} {much}heavier than {expected}",
        "{be_it} {much}heavier than {expected}",
        "{be_it} {much}heavier than {expected}",
        "{be_it} heavier than expected",
        "{be_it} much heavier than I expected",
        "{much}heavier than I expected tbh",
        "{be_it} way heavier than it looks in the pictures",
        "{be_it} too heavy to carry all day",
        "{be_it} just too heavy to carry all day",
        "{be_it} {much}heavier than {expected}, even empty",
        "{be_it} {much}heavier than {expected} once it's packed",
        "{be_it} heavy. like really heavy",
        "my shoulders hurt after an hour, {it_s} way too heavy",
        "the frame alone weighs a ton",
        "{be_it} surprisingly heavy for a {size} pack",
        "{be_it} {much}heavier than my old one",
        "the weight is a real problem on longer {outings}",
        "{be_it} heavier than expected and i {feel_it}",
        "too heavy for {use}",
        "did not expect it to be this heavy",
        "i didn't expect {item} to be so heavy",
        "the weight kills it for me",
        "heavier than the listing makes it look",
    ],
    "much": ["", "", "much ", "way ", "a lot ", "so much ", "quite a bit ", "noticeably ", "a bit ", "waaay "],
    "expected": ["expected", "expected", "expected", "expected", "I expected", "I expected", "I thought", "I'd expected", "I was expecting",
                 "it looks in the photos", "the description suggests", "I imagined"],
    "size": ["28L", "28 liter", "daypack-sized", "small"],
    "outings": ["hikes", "walks", "days out", "trips", "commutes"],
    "feel_it": ["feel it by the end of the day", "feel it in my back", "notice it on the stairs",
                "regret not checking the specs"],
    "use": ["a daily commute", "my kid to carry to school", "travel", "anything more than a short walk",
            "airport runs", "a full day in the city"],
    # --- delivery
    "delivery": [
        "delivery was {very}late",
        "delivery was {very}late",
        "{it_took} {long} to arrive",
        "shipping took forever",
        "shipping took forever",
        "shipping was {very}slow",
        "it arrived {n_days} days late",
        "the package showed up {n_days} days after the promised date",
        "i was still waiting on my order after {n_days} days",
        "tracking didn't update for days",
        "the courier sat on it for a week",
        "delivery took {long}",
        "{it_took} {long} to get here, which is ridiculous",
        "the delivery estimate was way off",
    ],
    "it_took": ["it took", "took", "it took almost", "it literally took"],
    "long": ["two weeks", "two weeks", "over a week", "10 days", "nearly three weeks", "forever", "ages"],
    "n_days": ["4", "5", "6", "8", "9", "10", "12"],
    # --- battery
    "battery": [
        "the battery dies fast",
        "the battery dies {very}fast",
        "battery dies fast",
        "the battery drains overnight",
        "it drains overnight even when i don't use it",
        "it doesn't hold a charge",
        "doesn't hold a charge anymore",
        "it won't hold a charge for more than a day",
        "the battery only lasts {few_hours}",
        "battery life is nowhere near what's advertised",
        "it loses like 30% sitting in a drawer",
        "it stops charging at around 80%",
        "the battery went from full to dead in {few_hours}",
        "charging is {very}slow and it dies fast",
    ],
    "few_hours": ["a couple of hours", "2-3 hours", "half a day", "an afternoon", "about 3 hours"],
    # --- sizing
    "sizing": [
        "{it_runs} small",
        "{it_runs} {very}small",
        "runs small, order a size up",
        "{be_it} too tight in the {fit_area}",
        "{be_it} {very}tight in the {fit_area}",
        "you should order a size up",
        "order a size up!!",
        "definitely order a size up",
        "the sizing chart is way off",
        "i had to exchange it for a bigger size",
        "my usual size was too tight",
        "sizing is all over the place",
        "{it_runs} at least half a size small",
    ],
    # --- noise themes
    "zipper": [
        "the zipper broke after {n_weeks}",
        "the zipper keeps getting stuck",
        "zipper broke within {n_weeks}",
        "one of the zippers already came off",
        "the main zip is flimsy and snagged on day one",
    ],
    "n_weeks": ["two weeks", "a week", "a month", "3 weeks", "a few uses"],
    "support": [
        "customer support took {n_days} days to reply",
        "customer service never answered my email",
        "couldn't reach customer support at all",
        "support was useless",
        "the support chat just keeps saying someone will get back to me",
    ],
    "price": [
        "{be_it} a bit overpriced for what it is",
        "{be_it} too expensive",
        "not worth the price",
        "way overpriced tbh",
        "kind of pricey for what you get",
    ],
    "very": ["", "", "very ", "really ", "super ", "so ", "pretty "],
    # --- praise
    "praise_comfort": ["{be_it} {very}comfortable", "super comfortable", "{be_it} comfortable even on long days",
                       "the straps are really comfy", "so comfy", "comfortable right out of the box"],
    "praise_sound": ["great sound for the size", "the sound is {very}good", "the bass is surprisingly good",
                     "sound quality is amazing", "it's loud and clear", "great sound"],
    "praise_looks": ["{it_looks} great", "love the color", "{it_looks} even better in person", "looks great",
                     "the design is really nice", "{it_looks} {very}sleek"],
    "praise_quality": ["{it_feels} well made", "solid build quality", "{it_feels} {very}sturdy",
                       "the materials feel premium", "good quality overall"],
    "praise_delivery": ["it arrived in two days", "fast shipping", "shipping was quick",
                        "delivery was fast", "got it the next day"],
    "praise_battery": ["the battery lasts forever", "charges my phone like 4 times",
                       "battery life is {very}good", "battery easily lasts a whole weekend"],
    "praise_fit": ["fits perfectly", "true to size for me", "the fit is {very}good", "fits great"],
    "praise_waterproof": ["kept me dry in a downpour", "{be_it} properly waterproof", "totally waterproof",
                          "survived a full day of rain"],
    "praise_lighter": ["{be_it} much lighter than my old one", "the new version is way lighter",
                       "{be_it} noticeably lighter than the first batch", "so much lighter than the old model",
                       "the new aluminium frame makes a huge difference, {it_s} so much lighter",
                       "finally a version that isn't heavy", "{be_it} a lot lighter than expected"],
    # --- framing
    "opener": ["Bought this for my commute.", "Got it as a gift for my {who}.", "Second one I've bought.",
               "Used it on a {n_day_trip} day trip.", "Been using it for about a month now.",
               "Ok so,", "Honestly,", "Update:", "So,", "First impressions:", "Bought it on sale.",
               "My {who} recommended it.", "Ordered this after reading the reviews.", "Quick review:",
               "Had it for {n_weeks} now."],
    "who": ["husband", "wife", "son", "daughter", "dad", "mom", "girlfriend", "boyfriend", "brother", "friend"],
    "n_day_trip": ["2", "3", "4", "5"],
    "hedge": ["honestly", "honestly,", "tbh", "tbh,", "ngl", "imo"],
    "closer_neg": ["Would not recommend.", "Returning it.", "Really disappointed.", "Not buying again.",
                   "Very disappointed.", "Expected better from Nimbus.", "Hope they fix this.",
                   "Sending it back.", "2 stars for now.", "Meh."],
    "closer_mixed": ["Still keeping it though.", "Otherwise fine.", "3 stars for now.", "Hope they fix this.",
                     "Otherwise it's a good product.", "Might keep it, not sure yet.", "It's ok overall.",
                     "Almost perfect."],
    "closer_pos": ["Overall happy with it.", "Would buy again!", "Love it.", "Highly recommend!",
                   "10/10", "Very happy.", "No complaints.", "Great purchase.", "Recommend it to everyone."],
    "generic": ["it's ok", "does the job", "Works as described.", "it's fine I guess", "Exactly what I needed",
                "pretty good", "Good", "no issues so far", "Nothing special but it works.", "as expected",
                "decent for the price", "All good"],
}

_KO = {
    # --- weight
    "weight": [
        "생각보다 {ko_much}{heavy}",
        "생각보다 {ko_much}{heavy}",
        "생각보다 {ko_much}{heavy}",
        "생각보다 {ko_much}{heavy}",
        "생각보다 {heavy}",
        "생각보다 {heavy}",
        "{item_topic} 생각보다 {ko_much}{heavy}",
        "사진보다 훨씬 {heavy}",
        "사진으로 볼 때보다 훨씬 {heavy}",
        "너무 무거워서 {heavy_result}",
        "무게가 생각보다 많이 나가요",
        "빈 가방인데도 {heavy}",
        "받아보고 깜짝 놀랐어요 너무 무거워서",
        "하루 종일 메고 다니기엔 너무 {heavy}",
        "예상보다 {ko_much}{heavy}",
        "생각보다 무겁다. 진짜 무겁다",
        "들어보자마자 무겁다는 생각이 들었어요",
        "무게 때문에 {heavy_result}",
        "생각보다 무거워서 {heavy_result}",
    ],
    "heavy": ["무거워요", "무거워요", "무겁네요", "무겁네요", "무거웠어요", "무겁다", "무겁습니다",
              "무겁더라구요", "무거워요ㅠㅠ", "무겁네여", "무거운 편이에요"],
    "ko_much": ["", "", "좀 ", "많이 ", "꽤 ", "너무 ", "엄청 ", "훨씬 "],
    "heavy_result": ["오래 메고 다니기 힘들어요", "어깨가 아파요", "출퇴근용으로는 못 쓰겠어요",
                     "결국 반품했어요", "잘 안 들고 다니게 돼요", "등산할 때는 못 쓰겠네요",
                     "아이가 메기엔 무리예요"],
    # --- delivery
    "delivery": [
        "배송이 {ko_very}늦어요",
        "배송이 늦어요",
        "배송이 너무 느려요",
        "배송이 {ko_very}느리네요",
        "받는 데 일주일 넘게 걸렸어요",
        "일주일 넘게 걸렸어요",
        "주문하고 {ko_days}일 만에 받았어요",
        "배송 조회가 며칠째 안 바뀌어요",
        "택배가 너무 늦게 왔어요",
        "배송이 늦어서 여행 갈 때 못 썼어요",
        "배송 기간이 너무 길어요",
        "배송 예정일보다 {ko_days}일이나 늦게 왔어요",
    ],
    "ko_days": ["5", "6", "8", "9", "10", "12"],
    # --- battery
    "battery": [
        "배터리가 빨리 닳아요",
        "배터리가 {ko_very}빨리 닳아요",
        "배터리가 금방 닳네요",
        "충전이 잘 안 돼요",
        "충전이 잘 안 되네요",
        "하룻밤 사이에 배터리가 다 나가요",
        "완충해도 반나절을 못 가요",
        "광고랑 다르게 배터리가 금방 없어져요",
        "가만히 둬도 배터리가 줄어들어요",
        "80%에서 충전이 멈춰요",
        "배터리 수명이 너무 짧아요",
    ],
    # --- sizing
    "sizing": [
        "사이즈가 작아요",
        "사이즈가 {ko_very}작아요",
        "사이즈가 작게 나왔어요",
        "한 치수 크게 주문하세요",
        "한 치수 크게 시키세요",
        "정사이즈보다 작아요",
        "생각보다 작게 나왔어요",
        "{fit_area_ko} 너무 끼어요",
        "평소 사이즈로 샀는데 꽉 껴요",
        "사이즈표가 실제랑 달라요",
        "결국 큰 사이즈로 교환했어요",
    ],
    # --- noise themes
    "zipper": ["지퍼가 고장났어요", "지퍼가 자꾸 걸려요", "한 달 만에 지퍼가 망가졌어요",
               "지퍼 손잡이가 떨어졌어요", "지퍼가 뻑뻑해요"],
    "support": ["고객센터 연결이 안 돼요", "고객센터 연결이 너무 안 돼요", "문의 남겼는데 답이 없어요",
                "고객센터 답변이 {ko_days}일 걸렸어요", "상담원 연결이 안 되네요"],
    "price": ["가격이 좀 비싸요", "가격 대비 별로예요", "가격이 너무 비싸요", "이 가격이면 좀 아쉬워요",
              "가성비는 별로네요"],
    "ko_very": ["", "", "너무 ", "진짜 ", "엄청 ", "좀 "],
    # --- praise (final form)
    "ko_good": ["", "", "정말 ", "진짜 ", "엄청 ", "너무 "],
    "praise_comfort": ["착용감이 좋아요", "{ko_good}편해요", "오래 메도 편해요", "어깨가 편해요", "착용감 최고예요"],
    "praise_sound": ["소리가 정말 좋아요", "음질이 {ko_good}좋아요", "크기에 비해 소리가 빵빵해요",
                     "베이스가 생각보다 좋아요"],
    "praise_looks": ["디자인이 예뻐요", "디자인이 {ko_good}예뻐요", "색상이 예뻐요", "실물이 더 예뻐요",
                     "가볍고 예뻐요", "깔끔하고 예뻐요"],
    "praise_quality": ["마감이 좋아요", "튼튼해요", "품질이 좋아요", "재질이 고급스러워요"],
    "praise_delivery": ["배송 빨라요", "배송이 빨라요", "배송 빠르고 좋아요", "다음 날 바로 왔어요",
                        "배송이 {ko_good}빨랐어요"],
    "praise_battery": ["배터리가 오래가요", "폰 네 번은 충전돼요", "배터리 용량 넉넉해요"],
    "praise_fit": ["사이즈 딱 맞아요", "정사이즈로 잘 맞아요", "핏이 예뻐요"],
    "praise_waterproof": ["방수 잘 돼요", "비 오는 날에도 하나도 안 젖었어요", "방수가 확실해요"],
    "praise_lighter": ["새 버전은 가벼워졌네요", "예전 거보다 훨씬 가벼워요", "새로 나온 건 확실히 가볍네요",
                       "알루미늄 프레임으로 바뀌고 훨씬 가벼워졌어요", "생각보다 가벼워요",
                       "전에 쓰던 것보다 많이 가벼워요"],
    # --- praise (connective form, for "praise, but complaint")
    "conn_praise": ["다 좋은데", "다 좋지만", "다른 건 다 괜찮은데", "기능은 좋은데"],
    "conn_praise_comfort": ["착용감은 좋은데", "편하긴 한데", "착용감은 좋지만"],
    "conn_praise_sound": ["소리는 좋은데", "음질은 좋지만", "소리는 정말 좋은데"],
    "conn_praise_looks": ["디자인은 예쁜데", "디자인은 예쁘지만", "디자인은 마음에 드는데", "색깔은 예쁜데",
                          "예쁘긴 한데"],
    "conn_praise_quality": ["튼튼하긴 한데", "품질은 좋은데", "마감은 좋지만"],
    "conn_praise_delivery": ["배송은 빨랐는데", "배송은 빠른데", "배송은 빨랐지만"],
    "conn_praise_battery": ["배터리는 오래가는데", "용량은 넉넉한데"],
    "conn_praise_fit": ["사이즈는 잘 맞는데", "핏은 예쁜데"],
    "conn_praise_waterproof": ["방수는 잘 되는데", "방수는 확실한데"],
    "conn_praise_lighter": ["새 버전은 가벼워졌는데", "예전보다 가벼워지긴 했는데"],
    # --- complaint (connective form, for "complaint, but praise")
    "conn_weight": ["생각보다 무겁긴 한데", "좀 무겁지만", "생각보다 무겁지만", "무게가 좀 있는데"],
    "conn_delivery": ["배송은 좀 늦었지만", "배송이 느리긴 했는데", "배송은 오래 걸렸지만"],
    "conn_battery": ["배터리가 빨리 닳긴 하지만", "충전이 좀 느리긴 한데"],
    "conn_sizing": ["사이즈가 좀 작긴 한데", "한 치수 작게 나왔지만", "사이즈가 작게 나왔는데"],
    "conn_zipper": ["지퍼가 좀 뻑뻑하지만", "지퍼가 좀 걸리긴 하는데"],
    "conn_support": ["고객센터는 별로였지만", "고객센터 연결은 힘들었는데"],
    "conn_price": ["가격이 좀 비싸긴 한데", "비싸긴 하지만"],
    # --- framing
    "opener": ["출퇴근용으로 샀어요.", "선물용으로 구매했어요.", "두 번째 구매입니다.", "여행 가려고 샀는데",
               "한 달 정도 써봤어요.", "솔직히", "솔직 후기:", "{ko_who} 선물로 샀어요.", "리뷰 보고 샀는데",
               "세일할 때 샀어요.", "일주일 써본 후기입니다.", "등산용으로 샀어요."],
    "ko_who": ["남편", "아내", "아들", "딸", "아빠", "엄마", "여자친구", "남자친구", "동생", "친구"],
    "hedge": ["솔직히", "근데", "진짜", "음..", "개인적으로는", "아무튼"],
    "closer_neg": ["재구매 의사 없어요", "반품하려고요", "실망이에요", "돈 아까워요", "개선됐으면 좋겠어요",
                   "비추합니다", "다시는 안 살 것 같아요", "별로예요"],
    "closer_mixed": ["그래도 쓸만해요", "그거 빼고는 괜찮아요", "나머지는 만족해요", "개선되면 좋겠네요",
                     "그냥저냥 써요", "나쁘진 않아요"],
    "closer_pos": ["만족합니다", "추천해요!", "재구매 의사 있어요", "강추합니다", "잘 쓸게요",
                   "완전 만족이에요", "또 살게요"],
    "generic": ["괜찮아요", "그냥 무난해요", "쓸만해요", "보통이에요", "좋아요", "나쁘지 않네요",
                "가격 생각하면 괜찮아요", "잘 받았습니다", "아직 써보진 않았어요", "무난합니다"],
}

# Product context for the grammar: what customers call the product in each language.
_CTX_EN = {
    "bags": {"it": ["it", "the bag", "this backpack", "the backpack", "this pack"],
             "item": ["the backpack", "this bag", "the pack"],
             "fit_area": ["shoulders"]},
    "audio": {"it": ["it", "the speaker", "this speaker"], "item": ["the speaker", "a speaker this size"],
              "fit_area": ["shoulders"]},
    "power": {"it": ["it", "the power bank", "this power bank", "this thing"],
              "item": ["the power bank", "a power bank"], "fit_area": ["shoulders"]},
    "apparel": {"it": ["it", "the jacket", "this jacket"], "item": ["the jacket", "this jacket"],
                "fit_area": ["shoulders", "chest", "arms", "waist"]},
    "footwear": {"it": ["they", "the shoes", "these"], "item": ["the shoes", "these shoes"],
                 "fit_area": ["toe box", "heel", "front", "width"]},
}
_CTX_KO = {
    "bags": {"item_topic": ["가방이", "백팩이", "이 가방", "가방 자체가"], "fit_area_ko": ["어깨끈이"]},
    "audio": {"item_topic": ["스피커가", "본체가"], "fit_area_ko": ["어깨가"]},
    "power": {"item_topic": ["보조배터리가", "본체가"], "fit_area_ko": ["어깨가"]},
    "apparel": {"item_topic": ["옷이", "재킷이"], "fit_area_ko": ["어깨가", "팔이", "가슴 쪽이", "허리가"]},
    "footwear": {"item_topic": ["신발이", "운동화가"], "fit_area_ko": ["발볼이", "발등이", "앞코가"]},
}

_TITLES_EN = {
    "weight": ["Too heavy", "Heavier than expected", "Heavy!", "Way too heavy", "Heavy bag", "Nice but heavy"],
    "delivery": ["Late delivery", "Slow shipping", "Took forever", "Shipping issues"],
    "battery": ["Battery issues", "Battery dies fast", "Bad battery", "Doesn't hold charge"],
    "sizing": ["Runs small", "Size up!", "Too tight", "Sizing is off"],
    "zipper": ["Zipper broke", "Broken zipper"],
    "support": ["Terrible support", "No reply from support"],
    "price": ["Overpriced", "Too expensive"],
    "praise_lighter": ["So much lighter!", "New version is great", "Lighter now"],
    "praise": ["Love it", "Great product", "Excellent", "Five stars", "Awesome", "Very happy", "Great!",
               "Perfect", "Good buy"],
    "mixed": ["Good but...", "Almost perfect", "Mixed feelings", "Decent", "OK"],
    "generic": ["OK", "Fine", "Decent", "It works"],
}
_TITLES_KO = {
    "weight": ["무거워요", "생각보다 무거움", "너무 무거워요", "무게가..."],
    "delivery": ["배송 느림", "배송이 늦어요", "배송 너무 오래 걸림"],
    "battery": ["배터리 문제", "배터리 빨리 닳음"],
    "sizing": ["사이즈 작아요", "한 치수 크게"],
    "zipper": ["지퍼 고장"],
    "support": ["고객센터 불만"],
    "price": ["비싸요"],
    "praise_lighter": ["가벼워졌어요", "새 버전 만족"],
    "praise": ["만족", "좋아요", "강추", "최고예요", "만족합니다"],
    "mixed": ["아쉬워요", "좋은데 아쉬움", "그럭저럭"],
    "generic": ["보통", "무난해요"],
}

_FIRST_EN = ["Jenny", "Mike", "Sarah", "David", "Emily", "Chris", "Jessica", "Ryan", "Ashley", "Kevin", "Laura",
             "Daniel", "Megan", "Brian", "Rachel", "Jason", "Olivia", "Tom", "Hannah", "Matt", "Nicole", "Alex",
             "Sam", "Priya", "Carlos", "Aisha", "Ben", "Grace", "Luis", "Kate", "Josh", "Mia", "Eric", "Zoe"]
_LAST_EN = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Lopez", "Taylor", "Moore",
            "Clark", "Lewis", "Walker", "Young", "Hall", "Allen", "King", "Wright", "Scott", "Green", "Patel",
            "Nguyen", "Kim", "Park"]
_SURNAMES_KO = [("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"), ("강", "kang"),
                ("조", "cho"), ("윤", "yoon"), ("장", "jang"), ("임", "lim"), ("한", "han"), ("오", "oh"),
                ("서", "seo"), ("신", "shin"), ("권", "kwon")]
_GIVEN_KO = [("민지", "minji"), ("지훈", "jihoon"), ("서연", "seoyeon"), ("민준", "minjun"), ("지은", "jieun"),
             ("현우", "hyunwoo"), ("수빈", "subin"), ("예은", "yeeun"), ("도윤", "doyun"), ("하은", "haeun"),
             ("준서", "junseo"), ("유진", "yujin"), ("성민", "sungmin"), ("혜진", "hyejin"), ("재원", "jaewon"),
             ("소영", "soyoung"), ("태현", "taehyun"), ("은지", "eunji"), ("동현", "donghyun"), ("나연", "nayeon")]
_NICK_KO = ["등산러버", "캠핑하는곰", "출근길", "{g}맘", "여행가자", "걷는사람", "{g}아빠", "조용한하루", "빵순이",
            "아웃도어초보"]

_TYPOS_EN = {"really": "realy", "definitely": "definately", "because": "becuase", "though": "tho",
             "the ": "teh ", "with": "wiht", "you": "u", "received": "recieved", "pretty": "prety",
             "disappointed": "dissapointed", "recommend": "reccomend", "comfortable": "comfortalbe"}
_EMOJI_NEG = ["😅", "😞", "🙄", "😩", "😕", "👎"]
_EMOJI_POS = ["😍", "👍", "🙌", "😊", "❤️", "💯"]
_KO_TAIL_NEG = ["ㅠㅠ", "ㅠㅠㅠ", "ㅜㅜ", "..", "...", "😅", "ㅡㅡ"]
_KO_TAIL_POS = ["ㅎㅎ", "ㅋㅋ", "ㅋㅋㅋ", "~", "👍", "😊", "^^"]

_SLOT_RE = re.compile(r"\{(\w+)\}")


class _Writer:
    """Expands the phrase grammar into review texts for one language, drawing from ``rng``."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.g = _EN if lang == "en" else _KO

    def expand(self, slot: str, ctx: dict[str, list[str]]) -> str:
        options = ctx.get(slot) or self.g[slot]
        text = self.rng.choice(options)
        # A few slots need agreement with the product noun ("it's" / "they're").
        return _SLOT_RE.sub(lambda m: self._fill(m.group(1), ctx), text)

    def _fill(self, name: str, ctx: dict[str, list[str]]) -> str:
        if name in ("be_it", "it_s"):
            it = self.expand("it", ctx)
            plural = it in ("they", "the shoes", "these")
            if name == "it_s":
                return "they're" if plural else "it's"
            if it == "it":
                return self.rng.choice(["it's", "it is", "it's"])
            return f"{it} {'are' if plural else 'is'}"
        if name.startswith("it_") and name not in self.g:
            # "{it_runs}" -> "it runs" / "they run"
            it, verb = self.expand("it", ctx), name[3:]
            plural = it in ("they", "the shoes", "these")
            return f"{it} {verb[:-1] if plural else verb}"
        return self.expand(name, ctx)

    # -- sentences --------------------------------------------------------------------------
    def clause(self, theme: str, ctx: dict[str, list[str]]) -> str:
        return self.expand(theme, ctx)

    def review(self, complaints: list[str], praises: list[str], ctx: dict[str, list[str]]) -> str:
        """Return one review text for the given complaint and praise themes."""
        rng = self.rng
        parts: list[str] = []
        if complaints and praises:
            kind = "mixed"
        elif complaints:
            kind = "neg"
        elif praises:
            kind = "pos"
        else:
            kind = "generic"
        if kind != "generic" and rng.random() < 0.28:
            parts.append(self.expand("opener", ctx))
        if kind == "generic":
            parts.append(self.expand("generic", ctx))
        elif kind == "mixed":
            parts.append(self._mixed(complaints[0], praises[0], ctx))
            for theme in complaints[1:]:
                parts.append(self._sentence(self.clause(theme, ctx)))
        else:
            themes = complaints or praises
            for i, theme in enumerate(themes):
                c = self.clause(theme, ctx)
                if i == 0 and rng.random() < 0.15:
                    c = f"{self.expand('hedge', ctx)} {c}"
                parts.append(self._sentence(c))
            if kind == "pos" and len(praises) == 1 and rng.random() < 0.35:
                # A second praise point makes the five-star reviews less uniform.
                other = [p for p in _PRAISE_EXTRA if p != praises[0]]
                parts.append(self._sentence(self.clause(rng.choice(other), ctx)))
        if kind != "generic" and rng.random() < 0.45:
            parts.append(self.expand({"neg": "closer_neg", "mixed": "closer_mixed", "pos": "closer_pos"}[kind], ctx))
        text = self._join(parts)
        return self._noise(text, kind)

    def _mixed(self, complaint: str, praise: str, ctx: dict[str, list[str]]) -> str:
        rng = self.rng
        if self.lang == "ko":
            if rng.random() < 0.65:
                # Mostly the praise itself ("디자인은 예쁜데"), sometimes a blanket "다 좋은데".
                conn = "conn_" + praise if rng.random() < 0.8 else "conn_praise"
                return self._sentence(f"{self.expand(conn, ctx)} {self.clause(complaint, ctx)}")
            return self._sentence(f"{self.expand('conn_' + complaint, ctx)} {self.clause(praise, ctx)}")
        p, c = self.clause(praise, ctx), self.clause(complaint, ctx)
        form = rng.randrange(6)
        if form == 0:
            return self._sentence(f"{p} but {c}")
        if form == 1:
            return self._sentence(f"{p}, but {c}")
        if form == 2:
            return self._sentence(f"{c}, though {p}")
        if form == 3:
            return f"{self._sentence(p)} But {c}."
        if form == 4:
            return f"{self._sentence(p)} Only problem: {c}."
        return self._sentence(f"{c} but {p}")

    def _sentence(self, clause: str) -> str:
        clause = clause.strip()
        if self.lang == "en" and clause[:1].islower():
            clause = clause[0].upper() + clause[1:]
        if clause and clause[-1] not in ".!?~ㅠㅜㅋㅎ":
            clause += self.rng.choice([".", ".", ".", "!", ""] if self.lang == "en" else [".", "", "", "!", ".."])
        return clause

    def _join(self, parts: list[str]) -> str:
        out = ""
        for p in parts:
            if not out:
                out = p
            elif out[-1] == ",":
                # "Honestly, the battery ..." continues the sentence the opener started.
                out += " " + p[0].lower() + p[1:]
            elif out[-1] in ".!?:~ㅠㅜㅋㅎ" or self.lang == "ko":
                out += " " + p
            else:
                out += ". " + p
        return out

    def _noise(self, text: str, kind: str) -> str:
        """Return ``text`` with the sloppiness of real reviews: case, punctuation, typos, emoji."""
        rng = self.rng
        pos = kind in ("pos", "generic")
        if self.lang == "en":
            if rng.random() < 0.06:
                for right, wrong in _TYPOS_EN.items():
                    if right in text:
                        text = text.replace(right, wrong, 1)
                        break
            if rng.random() < 0.16:
                text = text.lower()
            if rng.random() < 0.18:
                text = text.rstrip(".")
            if rng.random() < 0.03:
                text = text.replace(". ", "  ", 1)
            if rng.random() < 0.09:
                text += " " + rng.choice(_EMOJI_POS if pos else _EMOJI_NEG)
            elif rng.random() < 0.04:
                text = text.rstrip(".!") + "!!!"
        else:
            if rng.random() < 0.05:
                # Korean reviewers often drop word spacing in short phrases.
                text = text.replace(" ", "", 1 + rng.randrange(2))
            if rng.random() < 0.22:
                text = text.rstrip(".!") + " " + rng.choice(_KO_TAIL_POS if pos else _KO_TAIL_NEG)
            elif rng.random() < 0.08:
                text = text.rstrip(".") + rng.choice(["~~", "!!", ".."])
        return text


_PRAISE_EXTRA = ["praise_looks", "praise_quality", "praise_delivery"]


def _week_multiplier(week: int, weeks: int) -> float:
    """Return the weight-complaint rate multiplier for a 0-based week, stretched onto the 12-week curve."""
    pos = min(len(_WEIGHT_CURVE) - 1, int(week * len(_WEIGHT_CURVE) / weeks))
    return _WEIGHT_CURVE[pos]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _People:
    """Makes author display names and their email addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def en(self) -> tuple[str, str, str]:
        """Return (display name, full name, email) for an English-speaking customer."""
        rng = self.rng
        first, last = rng.choice(_FIRST_EN), rng.choice(_LAST_EN)
        display = rng.choice([f"{first} {last[0]}.", f"{first} {last[0]}.", first, f"{first.lower()}{rng.randrange(10, 99)}",
                              f"{first} {last}"])
        email = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randrange(1, 99)}",
                            f"{first}_{last[0]}"]).lower() + "@" + rng.choice(["example.com", "example.org"])
        return display, f"{first} {last}", email

    def ko(self) -> tuple[str, str, str]:
        """Return (display name, full name, email) for a Korean-speaking customer."""
        rng = self.rng
        (sur, sur_r), (given, given_r) = rng.choice(_SURNAMES_KO), rng.choice(_GIVEN_KO)
        full = sur + given
        r = rng.random()
        if r < 0.5:
            display = full
        elif r < 0.75:
            display = sur + "*" + given[-1]
        else:
            display = rng.choice(_NICK_KO).replace("{g}", given)
        email = rng.choice([f"{given_r}.{sur_r}", f"{sur_r}{given_r}{rng.randrange(70, 99)}", f"{given_r}{sur_r}"]) \
            + "@" + rng.choice(["example.com", "example.org"])
        return display, full, email


def _phone(rng: random.Random, lang: str) -> str:
    if lang == "ko" or rng.random() < 0.25:
        a, b = rng.randrange(1000, 9999), rng.randrange(1000, 9999)
        return rng.choice([f"010-{a}-{b}", f"010 {a} {b}", f"+82 10-{a}-{b}", f"010{a}{b}", f"010-{a}-{b}"])
    # 555-01xx numbers are reserved for fiction in North America.
    area, line = rng.choice(["415", "212", "646", "312", "206"]), rng.randrange(100, 199)
    return rng.choice([f"({area}) 555-0{line}", f"{area}-555-0{line}", f"+1 {area} 555 0{line}"])


_CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444"]  # test numbers that pass Luhn


def _pii_sentence(rng: random.Random, lang: str, kind: str, people: _People, card: str = "") -> tuple[str, str]:
    """Return a sentence that plants one kind of personal data ("email", "phone", "name", "card"), and the datum."""
    name_en = people.en()
    name_ko = people.ko()
    phone = _phone(rng, lang)
    value = {"email": name_en[2] if lang == "en" else name_ko[2], "phone": phone,
             "name": name_en[1] if lang == "en" else name_ko[1]}.get(kind, card)
    return _pii_template(rng, lang, kind, name_en, name_ko, phone, card), value


def _pii_template(rng: random.Random, lang: str, kind: str, name_en, name_ko, phone: str, card: str) -> str:
    if lang == "en":
        if kind == "email":
            return rng.choice(["Contact me at {x} if you want details.", "contact me at {x}",
                               "Please email me at {x} about a replacement.", "my email is {x}, happy to help"]
                              ).format(x=name_en[2])
        if kind == "phone":
            return rng.choice(["You can reach me at {x}.", "call me on {x} if you need the order number",
                               "Please call {x}, nobody answered my emails."]).format(x=phone)
        if kind == "name":
            return rng.choice(["My name is {x}, order #NG-{n}.", "This is {x} btw, order NG-{n}.",
                               "Thanks, {x}"]).format(x=name_en[1], n=rng.randrange(10000, 99999))
        return rng.choice(["I paid with my card {x} and got charged twice.",
                           "Charged twice on card {x}, please refund!"]).format(x=card)
    if kind == "email":
        return rng.choice(["답변은 {x} 로 부탁드려요.", "이메일 {x} 로 연락 주세요", "{x} 여기로 연락주세요"]).format(x=name_ko[2])
    if kind == "phone":
        return rng.choice(["연락 주세요 {x}", "제 번호는 {x}입니다.", "{x} 로 전화 부탁드립니다"]).format(x=phone)
    if kind == "name":
        return rng.choice(["저는 {x}입니다.", "제 이름은 {x}이고 주문번호는 NG-{n}이에요.", "저는 {x}입니다 교환 부탁드려요"]
                          ).format(x=name_ko[1], n=rng.randrange(10000, 99999))
    return rng.choice(["카드번호 {x} 로 결제했는데 두 번 빠졌어요.", "{x} 카드로 이중 결제됐어요"]).format(x=card)


def _rating(rng: random.Random, complaints: list[str], praises: list[str]) -> int:
    if complaints and praises:
        return rng.choices([2, 3, 4], [0.15, 0.5, 0.35])[0]
    if complaints:
        return rng.choices([1, 2, 3, 4], [0.38, 0.34, 0.24, 0.04])[0]
    if praises:
        return rng.choices([4, 5], [0.35, 0.65])[0]
    return rng.choices([3, 4, 5], [0.45, 0.4, 0.15])[0]


def _nps(rng: random.Random, complaints: list[str], praises: list[str]) -> int:
    if complaints and praises:
        return rng.choices([5, 6, 7, 8], [0.15, 0.3, 0.35, 0.2])[0]
    if complaints:
        return rng.choices(range(0, 7), [0.06, 0.06, 0.1, 0.14, 0.18, 0.22, 0.24])[0]
    if praises:
        return rng.choices([8, 9, 10], [0.15, 0.4, 0.45])[0]
    return rng.choices([6, 7, 8, 9], [0.15, 0.35, 0.35, 0.15])[0]


def _draw_complaints(rng: random.Random, probs: dict[str, float], weight_mult: float,
                     sizing_fixed: bool) -> list[str]:
    """Return the complaint themes of one item (at most two), each drawn independently."""
    complaints = []
    for theme, p in probs.items():
        if theme == "weight":
            p = min(0.9, p * weight_mult)
        elif theme == "sizing" and sizing_fixed:
            p *= 0.75
        if rng.random() < p:
            complaints.append(theme)
    rng.shuffle(complaints)
    return complaints[:2]


# Praise that would contradict a complaint in the same review ("fast shipping but delivery was late").
_CONFLICTS = {"delivery": "praise_delivery", "battery": "praise_battery", "sizing": "praise_fit",
              "weight": "praise_lighter"}


def _draw_praise(rng: random.Random, pool: list[str], complaints: list[str], lighter_ok: bool) -> list[str]:
    """Return the praise themes of one item: most items without complaints praise, some with them do."""
    pool = pool + ["praise_lighter"] * 3 if lighter_ok else pool
    pool = [p for p in pool if p not in {_CONFLICTS.get(c) for c in complaints}]
    if pool and rng.random() < (0.38 if complaints else 0.9):
        return [rng.choice(pool)]
    return []


def _title(rng: random.Random, lang: str, complaints: list[str], praises: list[str]) -> str:
    titles = _TITLES_EN if lang == "en" else _TITLES_KO
    if rng.random() < 0.4:
        return ""
    if complaints and praises:
        key = "mixed" if rng.random() < 0.6 else complaints[0]
    elif complaints:
        key = complaints[0]
    elif praises:
        key = "praise_lighter" if praises[0] == "praise_lighter" and rng.random() < 0.6 else "praise"
    else:
        key = "generic"
    return rng.choice(titles[key])


def _repost(rng: random.Random, text: str) -> str:
    """Return a near-duplicate of ``text``: same words, different case, spacing or punctuation."""
    form = rng.randrange(5)
    if form == 0:
        return text
    if form == 1:
        return text.lower() if text != text.lower() else text.upper()
    if form == 2:
        return "  ".join(text.split(" ")) + " "
    if form == 3:
        return text.rstrip(".!~ ") + "!!"
    # Sentence punctuation only: an email or phone number inside stays intact.
    return re.sub(r"[.,!]+(?=\s|$)", "", text)


def _tickets(start: datetime, weeks: int) -> list[dict]:
    """Return the improvement tickets, with shipping dates placed on the demo's timeline."""
    ship = start + timedelta(weeks=round(_SHIP_WEEK * weeks / 12), days=2, hours=1)
    sizing = start + timedelta(weeks=round(_SIZING_WEEK * weeks / 12), days=1, hours=6, minutes=30)

    def at(week: int, day: int, hour: int) -> str:
        return _iso(start + timedelta(weeks=round(week * weeks / 12), days=day, hours=hour))

    return [
        {"key": "NIM-101", "title": "Switch Trailhead backpack frame from steel to aluminium (28% lighter)",
         "body": "Reviews and NPS comments keep saying the Trailhead 28L is heavier than expected "
                 "(\"too heavy to carry all day\", \"생각보다 무거워요\"). Replace the steel frame with a 7075 "
                 "aluminium frame: the prototype is 28% lighter at the same load rating. Applies to the Metro "
                 "Slim as well.",
         "status": "done", "labels": ["weight", "backpack", "hardware"], "release": "2.4.0",
         "done_at": _iso(ship), "created_at": at(3, 1, 2),
         "public_note_en": "You told us the Trailhead backpack was heavier than expected. Its new aluminium "
                           "frame makes it 28% lighter, and every backpack we ship now has it.",
         "public_note_ko": "트레일헤드 백팩이 생각보다 무겁다는 의견을 많이 주셨습니다. 알루미늄 프레임으로 바꿔 "
                           "28% 가벼워졌고, 이제 모든 백팩이 새 프레임으로 배송됩니다.",
         "_themes": ["weight"]},
        {"key": "NIM-102", "title": "Move to a faster delivery partner",
         "body": "Delivery complaints are steady at roughly one in twelve reviews (\"took two weeks to arrive\", "
                 "\"배송이 너무 느려요\"). Trial the new courier in Seoul and on the US west coast first.",
         "status": "in_progress", "labels": ["delivery", "logistics"], "release": None, "done_at": None,
         "created_at": at(1, 3, 5),
         "public_note_en": "Many of you said delivery was too slow. We are moving to a faster delivery partner, "
                           "starting with Seoul and the US west coast.",
         "public_note_ko": "배송이 너무 느리다는 의견이 많았습니다. 더 빠른 배송사로 옮기는 중이며, 서울과 미국 "
                           "서부부터 시작합니다.",
         "_themes": ["delivery"]},
        {"key": "NIM-103", "title": "Volt 20K: firmware fix for standby battery drain",
         "body": "Power bank loses charge overnight in standby (\"battery drains overnight\", \"배터리가 빨리 "
                 "닳아요\"). Suspect the USB-C controller never enters deep sleep. Needs a firmware update.",
         "status": "open", "labels": ["battery", "firmware", "power-bank"], "release": None, "done_at": None,
         "created_at": at(2, 0, 8),
         "public_note_en": "We hear you: the Volt 20K loses charge while it sits unused. A firmware fix is planned.",
         "public_note_ko": "볼트 20K 배터리가 사용하지 않아도 빨리 닳는다는 의견을 확인했습니다. 펌웨어 개선을 준비하고 있습니다.",
         "_themes": ["battery"]},
        {"key": "NIM-104", "title": "Measured sizing chart for jackets and shoes",
         "body": "Jackets and Ridge shoes run small (\"order a size up\", \"한 치수 크게 주문하세요\"). Publish a "
                 "chart from measured garments and add a fit note on each product page.",
         "status": "done", "labels": ["sizing", "apparel", "footwear", "web"], "release": "2.5.0",
         "done_at": _iso(sizing), "created_at": at(4, 2, 3),
         "public_note_en": "You said our jackets and shoes run small. Product pages now have a sizing chart "
                           "measured from real garments, with a fit note for each model.",
         "public_note_ko": "재킷과 신발 사이즈가 작게 나온다는 의견을 반영해, 실측 사이즈표와 모델별 핏 안내를 "
                           "상품 페이지에 추가했습니다.",
         "_themes": ["sizing"]},
        {"key": "NIM-105", "title": "Stronger zipper pulls on backpacks and jackets",
         "body": "A few reports of zippers breaking or snagging within weeks (\"zipper broke\", \"지퍼가 "
                 "고장났어요\"). Evaluate YKK #8 pulls.",
         "status": "open", "labels": ["zipper", "backpack", "apparel"], "release": None, "done_at": None,
         "created_at": at(5, 4, 7),
         "public_note_en": "Some of you had zippers break or snag. We are testing stronger zipper pulls.",
         "public_note_ko": "지퍼가 고장 나거나 걸린다는 의견이 있었습니다. 더 튼튼한 지퍼를 테스트하고 있습니다.",
         "_themes": ["zipper"]},
        {"key": "NIM-106", "title": "Customer support: callback option in chat",
         "body": "Customers cannot get through to support (\"고객센터 연결이 안 돼요\", \"support took days to "
                 "reply\"). Add a callback request to the chat widget and staff the evening shift.",
         "status": "in_progress", "labels": ["support"], "release": None, "done_at": None,
         "created_at": at(6, 1, 4),
         "public_note_en": "You told us support was hard to reach. We are adding a callback option and longer hours.",
         "public_note_ko": "고객센터 연결이 어렵다는 의견을 반영해 콜백 요청 기능과 상담 시간 연장을 준비하고 있습니다.",
         "_themes": ["support"]},
    ]


def _timestamp(rng: random.Random, start: datetime, week: int, lang: str) -> datetime:
    """Return a time inside ``week``; local posting hours lean to evenings in the writer's time zone."""
    day = rng.randrange(7)
    local_hour = rng.choices(range(24), [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2, 2.5, 2.5, 2.8,
                                         3.2, 3, 2.8, 2.8, 3, 3.2, 3.6, 4, 4.4, 4.4, 3.6, 2])[0]
    offset = 9 if lang == "ko" else -7  # KST, US Pacific (daylight time)
    utc_hour = (local_hour - offset) % 24
    return start + timedelta(weeks=week, days=day, hours=utc_hour, minutes=rng.randrange(60),
                             seconds=rng.randrange(60))


def generate(seed: int = 7, n_reviews: int = 2400, n_survey: int = 600, start: str = "2026-08-03",
             weeks: int = 12) -> DemoData:
    """Return a deterministic demo data set: ``n_reviews`` reviews and ``n_survey`` NPS answers over ``weeks``.

    ``start`` is the first day (ideally a Monday) as ``YYYY-MM-DD``; all times are UTC.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    rng = random.Random(seed)
    t0 = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    tickets = _tickets(t0, weeks)
    weight_ship = datetime.strptime(tickets[0]["done_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    sizing_ship = datetime.strptime(tickets[3]["done_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    # New-frame backpacks reach customers a couple of days after the change ships.
    lighter_from = weight_ship + timedelta(days=2)
    people = _People(rng)
    writers = {"en": _Writer(rng, "en"), "ko": _Writer(rng, "ko")}
    by_id = {p["id"]: p for p in PRODUCTS}

    def spread(n: int) -> list[int]:
        # Equal volume per week (shuffled), so the weekly theme counts show the planted rates, not volume noise.
        ws = [i % weeks for i in range(n)]
        rng.shuffle(ws)
        return ws

    def one(kind: str, week: int) -> dict:
        lang = "en" if rng.random() < 0.6 else "ko"
        t = _timestamp(rng, t0, week, lang)
        mult = _week_multiplier(week, weeks)
        if week == round(_SHIP_WEEK * weeks / 12) and weeks >= 4:
            # The shipping week: spike level before the new frame, low after.
            mult = 2.4 if t < weight_ship else 0.5
        if kind == "review":
            pid = rng.choices([p["id"] for p in PRODUCTS], _PRODUCT_SHARE)[0]
            complaints = _draw_complaints(rng, _COMPLAINT_P[pid], mult, t >= sizing_ship)
            pid_ctx = pid
        else:
            # Survey answers are about the company; the text still names the product a complaint is about.
            pid = ""
            complaints = _draw_complaints(rng, _SURVEY_COMPLAINT_P, mult, t >= sizing_ship)
            fits = [p for p, pr in _COMPLAINT_P.items() if complaints and complaints[0] in pr]
            pid_ctx = rng.choice(fits) if fits else rng.choices([p["id"] for p in PRODUCTS], _PRODUCT_SHARE)[0]
            complaints = [c for c in complaints if c in _COMPLAINT_P[pid_ctx]]
        praises = _draw_praise(rng, _PRAISE[pid_ctx], complaints,
                               lighter_ok=t >= lighter_from and pid_ctx.startswith("NG-BP"))
        category = by_id[pid_ctx]["category"]
        ctx = (_CTX_EN if lang == "en" else _CTX_KO)[category]
        text = writers[lang].review(complaints, praises, ctx)
        return {"lang": lang, "t": t, "week": week, "pid": pid, "complaints": complaints, "praises": praises,
                "text": text}

    n_dups = n_reviews // 100 if n_reviews >= 200 else 0
    raw_reviews = [one("review", w) for w in spread(n_reviews - n_dups)]
    raw_survey = [one("survey", w) for w in spread(n_survey)]

    reviews = []
    for r in raw_reviews:
        display, _full, email = people.en() if r["lang"] == "en" else people.ko()
        has_email = rng.random() < 0.15
        reviews.append({
            "review_id": "", "product_id": r["pid"], "rating": _rating(rng, r["complaints"], r["praises"]),
            "title": _title(rng, r["lang"], r["complaints"], r["praises"]), "text": r["text"], "author": display,
            "email": email if has_email else "", "created": _iso(r["t"]), "lang": r["lang"],
            "marketing_ok": "yes" if has_email and rng.random() < 0.45 else "no",
            "_themes": r["complaints"] + r["praises"], "_week": r["week"], "_pii": [],
        })
    survey = []
    for s in raw_survey:
        _display, _full, email = people.en() if s["lang"] == "en" else people.ko()
        has_email = rng.random() < 0.3
        blank = rng.random() < 0.1
        complaints, praises = ([], []) if blank else (s["complaints"], s["praises"])
        survey.append({
            "response_id": "", "submitted_at": _iso(s["t"]),
            "nps": _nps(rng, s["complaints"], s["praises"]) if not blank else rng.randrange(11),
            "comment": "" if blank else s["text"], "email": email if has_email else "",
            "contact_consent": has_email and rng.random() < 0.6, "lang": s["lang"],
            "_themes": complaints + praises, "_week": s["week"], "_pii": [],
        })

    _plant_pii(rng, reviews, survey, people)

    # Re-posts: the same review submitted again a little later, with cosmetic differences.
    for orig in rng.sample(reviews, n_dups) if n_dups else []:
        t = datetime.strptime(orig["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        later = t + timedelta(minutes=rng.randrange(3, 600))
        if int((later - t0).days // 7) != orig["_week"]:
            later = t + timedelta(minutes=rng.randrange(1, 5))
        dup = dict(orig, text=_repost(rng, orig["text"]), created=_iso(later), _themes=list(orig["_themes"]),
                   _pii=list(orig["_pii"]), _duplicate_of=orig)
        reviews.append(dup)

    reviews.sort(key=lambda r: r["created"])
    for i, r in enumerate(reviews, 1):
        r["review_id"] = f"R{i:05d}"
    for r in reviews:
        if "_duplicate_of" in r:
            r["_duplicate_of"] = r["_duplicate_of"]["review_id"]
    survey.sort(key=lambda s: s["submitted_at"])
    for i, s in enumerate(survey, 1):
        s["response_id"] = f"S{i:05d}"
    log.debug("generated %d reviews, %d survey answers, %d tickets", len(reviews), len(survey), len(tickets))
    return DemoData(reviews=reviews, survey=survey, tickets=tickets, products=[dict(p) for p in PRODUCTS],
                    start=start, weeks=weeks)


def _plant_pii(rng: random.Random, reviews: list[dict], survey: list[dict], people: _People) -> None:
    """Append personal data to a few percent of texts (and a Luhn-valid card number to two), recording it in ``_pii``."""
    items = [(r, "text") for r in reviews] + [(s, "comment") for s in survey if s["comment"]]
    if not items:
        return
    n = len(items)
    picks = rng.sample(range(n), min(n, max(2, round(n * 0.04))))
    kinds = ["email", "phone", "phone", "name", "email", "name"]
    for j, idx in enumerate(picks):
        item, key = items[idx]
        kind = "card" if j < min(2, len(picks)) else kinds[j % len(kinds)]
        sentence, value = _pii_sentence(rng, item["lang"], kind, people, card=_CARDS[j % 2])
        text = item[key].rstrip()
        sep = ". " if item["lang"] == "en" and text[-1:].isalnum() else " "
        item[key] = text + sep + sentence
        item["_pii"].append(kind)
        item.setdefault("_pii_values", []).append(value)


def weight_complaints_by_week(data: DemoData) -> list[int]:
    """Return the planted number of weight complaints per week, over reviews and survey answers.

    Re-posts (items with ``_duplicate_of``) are not counted: they repeat a complaint already counted.
    """
    counts = [0] * data.weeks
    for item in [*data.reviews, *data.survey]:
        if "weight" in item.get("_themes", ()) and "_duplicate_of" not in item:
            counts[item["_week"]] += 1
    return counts
