"""Korean segment scores over Kiwi morphemes: the Kiwi-lemma lexicon, negation (안, 못, -지 않다),
intensifiers, contrast endings, expectation gaps (생각보다) and excess or lack."""
from __future__ import annotations

from typing import Sequence

from vocmine.understand.segment import Token
from vocmine.understand.sentiment.base import _normalize
from vocmine.understand.sentiment.lexicons import korean_lexicon


# -- Korean --------------------------------------------------------------------------------------

_KO_PRED = ("VA", "VV", "VX", "XSA", "XSV", "VCN")
_KO_NOUNISH = ("NNG", "NNP", "XR", "SL", "NNB")
_KO_INTENSIFIERS = {"너무": 1.4, "진짜": 1.4, "완전": 1.4, "정말": 1.4, "아주": 1.3, "엄청": 1.4, "매우": 1.3,
                    "넘": 1.3, "되게": 1.3, "참": 1.2, "꽤": 1.1, "많이": 1.2, "굉장히": 1.4, "무척": 1.3, "제일": 1.3,
                    "개": 1.4, "존나": 1.5, "졸라": 1.5, "진심": 1.3, "레알": 1.3}
_KO_EXCESS = frozenset(("너무", "넘", "지나치게", "과하게", "심하게"))
# Bases of "X보다" that make an expectation gap: 생각보다, 사진보다, 기대보다, 예상보다 ...
_KO_EXPECT = frozenset(("생각", "사진", "기대", "예상", "상상", "화면", "상세", "설명", "후기", "리뷰", "광고", "모델", "평소"))
# Gradable adjectives that are neutral alone but a complaint with 너무 or after 생각보다.
_KO_GRADABLE = frozenset(("크다", "작다", "길다", "짧다", "두껍다", "얇다", "무겁다", "넓다", "좁다", "높다", "낮다",
                          "진하다", "연하다", "밝다", "어둡다", "딱딱하다", "세다", "약하다", "많다", "적다", "뜨겁다",
                          "차갑다", "달다", "짜다", "맵다", "늦다", "느리다", "빡빡하다", "헐렁하다", "타이트하다",
                          "크게", "작게", "비싸다", "뻣뻣하다", "미끄럽다", "시끄럽다", "흐리다"))
_KO_SIZE_ADJ = frozenset(("크다", "작다", "길다", "짧다", "넓다", "좁다", "끼다", "헐렁하다", "타이트하다"))
_KO_FIT_NOUNS = frozenset(("사이즈", "품", "기장", "소매", "허리", "핏", "치수", "총장", "어깨", "팔", "바지", "신발", "발볼"))
# Neutral verbs whose negation ("안 돼요", "안 와요", "안 켜져요") reports a failure.
_KO_FAIL_VERBS = frozenset(("되다", "오다", "맞다", "열리다", "닫히다", "켜지다", "꺼지다", "작동하다", "작동되다",
                            "움직이다", "나오다", "들어가다", "붙다", "잠기다", "충전되다", "연결되다", "인식되다",
                            "돌아가다", "들리다", "보이다", "먹히다", "빠지다", "가다", "도착하다", "잡히다", "맞추다"))
_KO_CONTRAST_EC = frozenset(("지만", "는데", "ᆫ데", "은데", "던데", "으나"))
_KO_NEG_VX = frozenset(("않다", "못하다"))


def _ko_units(tokens: Sequence[Token]) -> list[tuple[str, str, bool]]:
    """Return (lemma, kind, contrast-after) units: content morphemes with particles dropped.

    kind is "pred" (verb/adjective), "neg_vx" (-지 않다/못하다), "noun", "adv", "emo" or
    "other"; noun + 하다/스럽다 written together becomes one predicate ("불편하다").
    """
    units: list[tuple[str, str, bool]] = []
    prev_tag = ""
    for t in tokens:
        tag = t.pos
        turn = tag == "EC" and t.text in _KO_CONTRAST_EC or (tag == "NNB" and t.text == "데" and prev_tag == "ETM")
        prev_tag = tag
        if turn:  # "-지만", "-는데", and "-는 데" as Kiwi sometimes splits it ("빨았는데")
            if units:
                units[-1] = (units[-1][0], units[-1][1], True)
        elif units and units[-1][1] == "prefix" and tag.startswith("NN"):
            units[-1] = (units[-1][0] + t.text, "noun", False)  # "재구매", "불만족"
        elif tag.startswith(("XSA", "XSV")) and units and units[-1][1] == "noun":
            base = units.pop()[0]
            units.append((base + (t.lemma if t.lemma.endswith("다") else t.lemma + "다"), "pred", False))
        elif tag == "VX" and t.lemma in _KO_NEG_VX:
            units.append((t.lemma, "neg_vx", False))
        elif tag.startswith(_KO_PRED) or tag == "VCN":
            units.append((t.lemma, "pred", False))
        elif tag == "NNB" and t.text == "점" and units and units[-1][1] == "num":
            units[-1] = ("점수" + units[-1][0], "score", False)
        elif tag == "SN":
            units.append((t.text, "num", False))
        elif tag.startswith(_KO_NOUNISH) or tag == "IC":
            units.append((t.text, "noun", False))
        elif tag.startswith("MA"):
            units.append((t.text, "adv", False))
        elif tag in ("SW", "W_EMOJI") or (tag.startswith("S") and t.text in ("^^", "ㅡㅡ", "-_-")):
            units.append((_emo(t.text), "emo", False))
        elif tag == "XPN" and t.text in ("재", "비", "불", "무", "노"):
            units.append((t.text, "prefix", False))
        elif tag == "JKB" and t.text == "보다" and units and units[-1][0] in _KO_EXPECT:
            units[-1] = ("생각보다", "expect", False)
    return units


def _emo(text: str) -> str:
    s = set(text)
    if s <= {"ㅠ", "ㅜ"}:
        return "ㅠㅠ"
    if s <= {"ㅋ"}:
        return "ㅋㅋ"
    if s <= {"ㅎ"}:
        return "ㅎㅎ"
    if s <= {"ㅡ"}:
        return "ㅡㅡ"
    return text


def score_korean(tokens: Sequence[Token]) -> float:
    """Return the polarity of one Korean segment in -1..1."""
    single, pairs = korean_lexicon()
    units = _ko_units(tokens)
    n = len(units)
    vals = [0.0] * n
    contrast_at = None
    for i, (lemma, kind, turn) in enumerate(units):
        if turn and contrast_at is None and i < n - 1:
            contrast_at = i
        v = single.get(lemma, 0.0)
        # phrases: "배송 늦다", "기대 이하", "노 잼" (Kiwi splits 노잼), also across one adverb
        # ("배송이 좀 늦어요"), and three units ("재구매 의사 없다")
        paired = False
        triple = pairs.get(f"{units[i - 2][0]} {units[i - 1][0]} {lemma}") if i >= 2 else None
        if triple is not None:  # "말 안 되다", "재구매 의사 없다"
            vals[i - 2] = vals[i - 1] = 0.0
            v, paired = triple, True
        for back in (1, 2):
            if paired:
                break
            if i >= back and (back == 1 or units[i - 1][1] == "adv"):
                pair = pairs.get(units[i - back][0] + " " + lemma)
                if pair is not None:
                    vals[i - back], v, paired = 0.0, pair, True
        if paired:  # the phrase already says it all ("말도 안 되다", "배송 늦다")
            vals[i] = v
            continue
        if kind == "score":
            # "1점", "10점": a grade out of 10 written in the text
            points = float(lemma[2:]) if lemma[2:].isdigit() else 5.0
            vals[i] = -2.0 if points <= 3 else (1.5 if 8 <= points <= 10 else 0.0)
            continue
        if kind == "emo" or kind == "expect":
            vals[i] = v
            continue
        if kind == "neg_vx":
            # "-지 않다"/"-지 못하다" negates the predicate before it; a neutral one fails ("작동하지 않아요")
            if i > 0:
                prev_v = vals[i - 1]
                vals[i - 1] = (-0.9 if prev_v > 0 else -0.8) * prev_v if prev_v else -1.0
            continue
        if lemma in ("없다", "없이") and i > 0 and units[i - 1][1] == "noun":
            base = single.get(units[i - 1][0], 0.0)
            vals[i - 1] = 0.0
            vals[i] = -base  # "문제 없다" is praise, "재미 없다" a complaint
            continue
        if kind == "pred" and lemma == "있다" and i > 0 and units[i - 1][1] == "noun":
            continue  # "재미 있다", "문제 있다": the noun already carries it
        if kind == "pred" and lemma in _KO_SIZE_ADJ and any(u[0] in _KO_FIT_NOUNS for u in units[max(0, i - 3):i]):
            vals[i] = -1.8  # "사이즈가 작아요", "기장이 길어요": a fit complaint without a negative word
            continue
        if kind == "pred":
            before = [u[0] for u in units[max(0, i - 2):i] if u[1] == "adv"]
            if "안" in before or "못" in before:
                for k in range(max(0, i - 2), i):
                    if units[k][0] == "잘":
                        vals[k] = 0.0  # "잘 안 돼요": "well" is negated too
                if not v and lemma in ("하다", "되다") and i > 1 and units[i - 2][1] == "noun" \
                        and single.get(units[i - 2][0]):
                    # "후회 안 해요": the noun's polarity is what is negated
                    vals[i - 2] = -0.8 * vals[i - 2]
                    continue
                # "안 좋다" flips; "안 돼요", "안 와요": a device or delivery that fails
                v = -0.9 * v if v > 0 else -0.8 * v if v else (-1.8 if lemma in _KO_FAIL_VERBS else 0.0)
            elif i > 0 and units[i - 1][1] == "expect":
                # "생각보다 무거워요" is a complaint unless the adjective is a good one
                v = v * 1.2 if v > 0.5 else -1.8
            elif any(b in _KO_EXCESS for b in before) and (lemma in _KO_GRADABLE or v < 0):
                v = min(-1.8, v * 1.5)  # "너무 커요": excess
            elif any(b in _KO_INTENSIFIERS for b in before):
                v *= max(_KO_INTENSIFIERS.get(b, 1.0) for b in before)
        elif kind in ("noun", "adv") and v:
            if i > 0 and units[i - 1][0] in _KO_INTENSIFIERS:
                v *= _KO_INTENSIFIERS[units[i - 1][0]]
        vals[i] = v
    if contrast_at is not None:  # "-지만"/"-는데" inside one segment: the clause after dominates
        for k in range(contrast_at + 1):
            vals[k] *= 0.5
        for k in range(contrast_at + 1, n):
            vals[k] *= 1.5
    return _normalize(sum(vals))
