"""Korean complaint-phrase patterns over Kiwi morphemes.

A predicate (adjective or verb stem, or noun + 하다/나다/되다) is the anchor. What surrounds it
decides the phrase: "생각보다 / 사진보다" makes an expectation gap, a subject noun with 이/가/은/는
makes a thing and its complaint ("배송이 늦다"), 너무 alone makes an excess ("너무 무겁다"), and
안/못 or -지 않다 a lack or failure ("충전이 안 되다"). Endings are dropped through the lemma, so
"무겁네요 / 무거워요 / 무거웠어요" all read 무겁다.
"""
from __future__ import annotations

from typing import NamedTuple

PRED_TAGS = frozenset(("VA", "VA-I", "VA-R", "VV", "VV-I", "VV-R"))
NOUN_TAGS = frozenset(("NNG", "NNP", "SL", "SH", "XR"))
SUBJECT_PARTICLES = frozenset(("이", "가", "은", "는", "도", "께서"))

# Where "…보다" points at an expectation and what the canonical phrase calls it.
REFERENCES = {
    "생각": "생각", "예상": "생각", "기대": "생각", "상상": "생각", "예측": "생각",
    "사진": "사진", "이미지": "사진", "화면": "사진", "상세": "사진", "상세페이지": "사진", "모델": "사진",
    "설명": "설명", "광고": "설명", "후기": "후기", "리뷰": "후기",
}
INTENSIFIERS = frozenset(
    "너무 넘 너무너무 진짜 정말 엄청 완전 되게 매우 아주 많이 좀 조금 약간 훨씬 꽤 굉장히 상당히 살짝 "
    "참 제일 가장 더 덜 심하게 정말로 진짜로 엄청나게 생각보다 은근 은근히 그냥 잘 좀더".split())
EXCESS_ADVERBS = frozenset(("너무", "넘", "너무너무", "지나치게"))
# Adverbs that carry the complaint and stay in the canonical phrase: "배터리가 빨리 닳다".
MANNER = frozenset(("빨리", "금방", "쉽게", "자주", "오래", "늦게", "계속", "바로"))
NEGATORS = frozenset(("안", "못"))

# Nouns that only name the product or point at it: dropped, never a phrase of their own.
PRODUCT_NOUNS = frozenset(
    "제품 상품 물건 이거 이것 그거 그것 저거 얘 거 것 건 이건 그건 옷 구매 주문 영화 가격대 전체 아무것 뭐".split())
# Predicates too weak to be a complaint by themselves.
WEAK = frozenset(("있다", "하다", "되다", "같다", "보다", "않다", "이다", "오다", "가다", "싶다", "주다", "알다",
                  "받다", "사다", "쓰다", "들다", "나다", "말다", "그렇다", "이렇다", "어떻다", "아니다", "시키다",
                  "생각하다", "만들다", "모르다", "놓다", "두다", "버리다", "입다", "신다", "보이다"))
POSITIVE = frozenset(
    "좋다 예쁘다 이쁘다 귀엽다 만족하다 만족스럽다 편하다 편안하다 감사하다 재밌다 재미있다 맛있다 훌륭하다 "
    "괜찮다 멋지다 깔끔하다 튼튼하다 고맙다 사랑스럽다 마음에들다 최고다 행복하다 즐겁다 아름답다 착하다 "
    "빠르다 저렴하다 싸다 가볍다 따뜻하다 부드럽다 감동적이다 추천하다 신나다 대박이다 완벽하다 "
    "뛰어나다 유용하다 든든하다 친절하다 시원하다".split())
# Predicates that name a breakdown; bare ones ("고장나다") are phrases on their own.
FAILURE = frozenset(
    "고장나다 망가지다 부러지다 찢어지다 터지다 깨지다 끊기다 끊어지다 꺼지다 멈추다 새다 닳다 "
    "벗겨지다 뜯어지다 풀리다 빠지다 늘어나다 줄어들다 녹슬다 고장이다 불량이다 방전되다 먹통이다 튿어지다 "
    "헤지다 변색되다 휘다 갈라지다 파손되다 불량이다 고장이다".split())
# The ones that are a complaint even without a subject; "빠지다" or "터지다" alone mean too many other things.
BARE_FAILURE = frozenset(
    "고장나다 망가지다 부러지다 찢어지다 깨지다 방전되다 먹통이다 뜯어지다 불량이다 튿어지다 파손되다 고장이다".split())


# Nouns that never start a compound subject ("가격 대비 품질이" is about 품질).
NOT_COMPOUND = frozenset("대비 정도 때문 이후 이번 다음 진짜 정말 완전 요즘 처음 전부".split())
# Nouns and adverbs that are a verdict with 이다: "품질이 별로다", "포장이 엉망이다".
VERDICTS = frozenset("별로 엉망 최악 꽝 불량 실망 엉터리 쓰레기 비추 고장".split())


class Morph(NamedTuple):
    form: str
    tag: str
    start: int
    end: int


class Match(NamedTuple):
    canonical: str
    kind: str
    start: int   # character offsets (absolute)
    end: int


def has_batchim(word: str) -> bool:
    """Return whether the last syllable of ``word`` ends in a consonant (picks 이 over 가)."""
    if not word:
        return False
    c = ord(word[-1])
    if 0xAC00 <= c <= 0xD7A3:
        return (c - 0xAC00) % 28 != 0
    return word[-1].isdigit() or word[-1].isalpha() and word[-1].lower() in "bcdfgklmnpqrstvxz"


def subject(noun: str) -> str:
    """Return ``noun`` with the subject particle it takes: "배송이", "배터리가"."""
    return noun + ("이" if has_batchim(noun) else "가")


def morphs_from_text(text: str, offset: int = 0) -> list[Morph]:
    """Return Kiwi morphemes of ``text`` with absolute character offsets."""
    from .nlp import get_kiwi

    return [Morph(t.form, t.tag, offset + t.start, offset + t.start + t.len) for t in get_kiwi().tokenize(text)]


def morphs_from_segment(tokens) -> list[Morph]:
    """Return morphemes from Segment tokens (Kiwi tag in ``pos``; the stem recovered from ``lemma``)."""
    out = []
    for t in tokens:
        form = t.text
        if t.pos in PRED_TAGS or t.pos in ("XSA", "XSV", "VX", "VCP"):
            lem = t.lemma or ""
            if lem.endswith("다") and len(lem) > 1:
                form = lem[:-1]
        out.append(Morph(form, t.pos, t.start, t.end))
    return out


def _predicate(ms: list[Morph], p: int) -> tuple[str, int, int, bool] | None:
    """Read the predicate anchored at ``p``: (lemma, first index, last index, is_adjective)."""
    m = ms[p]
    n = len(ms)
    if m.tag in PRED_TAGS:
        first, stem = p, m.form
        adjective = m.tag.startswith("VA")
        # noun + 나다/되다/하다 written as one word: "고장나다", "작동되다"
        if m.form in ("나", "되", "하") and p > 0 and ms[p - 1].tag == "NNG" and ms[p - 1].end == m.start:
            first, stem = p - 1, ms[p - 1].form + m.form
        last = p
        # "-어지다" passive: "켜지다", "찢어지다"
        if p + 2 < n and ms[p + 1].tag == "EC" and ms[p + 1].form in ("어", "아") and ms[p + 2].tag == "VX" \
                and ms[p + 2].form == "지":
            stem, last = stem + ("어지" if not stem.endswith(("켜", "꺼")) else "지"), p + 2
        return stem + "다", first, last, adjective
    if m.tag in ("XSA", "XSV") and p > 0 and ms[p - 1].tag in ("XR", "NNG") and ms[p - 1].end == m.start:
        return ms[p - 1].form + m.form + "다", p - 1, p, m.tag == "XSA"
    # verdict nouns with 이다: "별로예요", "엉망이었어요" -> "별로다", "엉망이다"
    if m.tag == "VCP" and p > 0 and ms[p - 1].form in VERDICTS and ms[p - 1].end == m.start:
        word = ms[p - 1].form
        return word + ("이다" if has_batchim(word) else "다"), p - 1, p, True
    return None


def _word_end(ms: list[Morph], k: int) -> int:
    """Return the character end of the written word (어절) containing morpheme ``k``."""
    end = ms[k].end
    k += 1
    while k < len(ms) and ms[k].start <= end and ms[k].tag not in ("SF", "SP", "SS"):
        end = max(end, ms[k].end)
        k += 1
    return end


def _word_start(ms: list[Morph], k: int) -> int:
    start = ms[k].start
    while k > 0 and ms[k - 1].end >= start and ms[k - 1].tag not in ("SF", "SP", "SS"):
        k -= 1
        start = ms[k].start
    return start


def _compound(ms: list[Morph], i: int) -> tuple[str, int]:
    """Return the noun ending at ``i`` with up to two nouns before it ("고객센터 연결", "재구매 의사")
    and the index it starts at; "가격 대비" keeps its 대비."""
    noun = ms[i].form
    if noun == "대비":
        if i >= 1 and ms[i - 1].tag in ("NNG", "NNP"):
            gap = " " if ms[i - 1].end < ms[i].start else ""
            return ms[i - 1].form + gap + noun, i - 1
        return noun, i
    for _ in range(2):
        if i >= 2 and ms[i - 1].form == "구매" and ms[i - 2].form == "재" and ms[i - 2].tag == "XPN":
            gap = " " if ms[i - 1].end < ms[i].start else ""
            noun, i = "재구매" + gap + noun, i - 2
        elif i >= 1 and ms[i - 1].tag == "NNG" and ms[i - 1].form not in PRODUCT_NOUNS \
                and ms[i - 1].form not in NOT_COMPOUND:
            gap = " " if ms[i - 1].end < ms[i].start else ""
            noun, i = ms[i - 1].form + gap + noun, i - 1
        else:
            break
    return noun, i


def find(ms: list[Morph]) -> list[Match]:
    """Return the complaint phrases in a morpheme sequence, one per predicate at most."""
    out: list[Match] = []
    n = len(ms)
    p = 0
    while p < n:
        pred = _predicate(ms, p)
        if pred is None:
            p += 1
            continue
        lemma, first, last, adjective = pred
        p = last + 1
        # "늦게 오다": the adjective is the complaint, the motion verb only carries it
        if adjective and last + 2 < n and ms[last + 1].form == "게":
            if ms[last + 2].tag in PRED_TAGS and ms[last + 2].form in ("오", "도착하", "가", "나오"):
                last += 2
                p = last + 1
            elif ms[last + 2].form == "도착" and last + 3 < n and ms[last + 3].tag == "XSV":
                last += 3
                p = last + 1
            elif ms[last + 2].tag in PRED_TAGS or ms[last + 2].tag in ("XR", "NNG"):
                continue  # "더럽게 없다": an adverb made from an adjective, the next predicate is the head
        # long negation after the stem: "-지 않다" / "-지 못하다"
        neg = ""
        if last + 2 < n and ms[last + 1].form == "지" and ms[last + 2].tag == "VX" and ms[last + 2].form in ("않", "못하"):
            neg, last, p = "long", last + 2, last + 3
        # look back over adverbs for 안/못, intensifiers, manner adverbs, a subject and a comparison
        k = first - 1
        excess, manner = False, []
        while k >= 0 and ms[k].tag in ("MAG", "MAJ", "EC") and first - k <= 5:
            f = ms[k].form
            if ms[k].tag == "EC":
                if f == "게" and k > 0 and ms[k - 1].tag.startswith("VA"):
                    k -= 2  # "더럽게", "엄청나게": adjective-made adverbs work as intensifiers
                    continue
                break
            if f in NEGATORS:
                neg = neg or ("cannot" if f == "못" else "short")
            elif f in EXCESS_ADVERBS:
                excess = True
            elif f in MANNER:
                manner.insert(0, f)
            elif f not in INTENSIFIERS:
                break
            k -= 1
        # "일주일이나 걸리다": a duration before 걸리다 means it took long
        if lemma == "걸리다" and k >= 1 and ms[k].tag == "JX" and ms[k].form in ("이나", "나", "씩") \
                and ms[k - 1].tag in ("NNG", "NNB", "NR"):
            manner.insert(0, "오래")
            k -= 2
            while k >= 0 and ms[k].tag in ("SN", "NR", "MM", "NNB"):
                k -= 1
        span_start = ms[first].start if k == first - 1 else ms[k + 1].start
        ref, noun = None, None
        # comparison: "생각보다", "생각했던 것보다", "사진보다"
        for b in range(k, max(-1, k - 7), -1):
            if ms[b].tag in PRED_TAGS or ms[b].tag in ("SF", "EF", "EC", "XSV", "XSA", "VCP"):
                break  # the comparison belongs to an earlier clause
            if ms[b].form == "보다" and ms[b].tag == "JKB":
                for r in range(b - 1, max(-1, b - 6), -1):
                    if ms[r].tag in ("NNG", "NNP") and ms[r].form in REFERENCES:
                        ref, span_start = REFERENCES[ms[r].form], _word_start(ms, r)
                        break
                    if ms[r].tag not in ("NNB", "XSV", "EP", "ETM", "VV", "XSA", "VX", "EC"):
                        break
                break
        if ref is None and k >= 1 and ms[k].tag in ("JKS", "JX") and ms[k].form in SUBJECT_PARTICLES \
                and ms[k - 1].tag in NOUN_TAGS:
            noun_i = k - 1
            noun = ms[noun_i].form
            noun, noun_i = _compound(ms, noun_i)
            if noun in PRODUCT_NOUNS:
                noun = None
            else:
                span_start = ms[noun_i].start
        elif ref is None and k >= 0 and ms[k].tag == "NNG" and ms[k].end < ms[k + 1].start \
                and (ms[k].form not in PRODUCT_NOUNS or ms[k].form == "대비") and ms[k].form not in REFERENCES \
                and (adjective or lemma in FAILURE or neg):
            # "배송 늦음", "재구매 의사 없어요": a bare noun (or compound) right before the predicate
            noun, noun_i = _compound(ms, k)
            span_start = ms[noun_i].start

        positive = lemma in POSITIVE
        if positive and not neg:
            continue
        if lemma in WEAK and not (neg and noun and lemma in ("되다", "하다")):
            continue
        pred_text = lemma
        if neg == "long" or (neg and adjective):
            pred_text = lemma[:-1] + "지 않다"
        elif neg == "cannot" and lemma == "하다":
            pred_text = "못하다"  # "연기를 못하다": bad at it, not "does not do it"
        elif neg:
            pred_text = "안 " + lemma
        if manner:
            pred_text = " ".join(manner) + " " + pred_text
        end = _word_end(ms, last)
        if ref:
            out.append(Match(f"{ref}보다 {pred_text}", "expectation", span_start, end))
        elif noun:
            kind = "failure" if lemma in FAILURE or (neg and not adjective) else ("lack" if neg else "aspect")
            head = noun if noun.endswith("대비") else subject(noun)  # "가격 대비 별로다"
            out.append(Match(f"{head} {pred_text}", kind, span_start, end))
        elif excess and not neg:
            out.append(Match(f"너무 {pred_text}", "excess", span_start, end))
        elif lemma in BARE_FAILURE:
            out.append(Match(pred_text, "failure", span_start, end))
        elif neg and adjective:
            out.append(Match(pred_text, "lack", span_start, end))
    return out
