"""Korean complaint phrases over Kiwi morphemes: what a complaint is about and what is wrong with it.

A predicate (adjective or verb stem, noun + 하다/나다/되다, or a verdict noun + 이다) is the anchor.
What surrounds it decides the phrase:

* a subject noun with 이/가/은/는/도 makes an aspect and its opinion ("배송이 늦다": aspect 배송,
  opinion 늦다); up to three nouns in a row are one aspect ("배터리 수명이 짧다" -> "배터리 수명");
* an object noun with 을/를 before a breaking verb or a negated verb is a failure ("액정을
  깨뜨리다", "전화를 안 받다");
* "생각보다 / 예상보다 / 사진보다" makes an expectation gap ("생각보다 무겁다");
* 너무 alone makes an excess ("너무 무겁다"); 안/못 or -지 않다/-지 못하다 a lack or failure
  ("작동이 안 되다", "맞지 않다" -> opinion "안 맞다");
* a breakdown verb stands alone ("고장나다").

Endings are dropped through the lemma, so "무겁네요 / 무거워요 / 무거웠어요" all read 무겁다. No list
here names a product, an aspect or a domain: every noun in subject position is a candidate aspect,
and which of them is the product itself is decided later by statistics over the workspace. The
word lists are grammar (particles, negators, intensifiers, light verbs, pronouns), general
breakdown verbs, and the polarity lexicon ``lexicons/ko_polarity.tsv``.
"""
from __future__ import annotations

from importlib import resources
from typing import NamedTuple

PRED_TAGS = frozenset(("VA", "VA-I", "VA-R", "VV", "VV-I", "VV-R"))
NOUN_TAGS = frozenset(("NNG", "NNP", "SL", "SH", "XR"))
_COMPOUND_TAGS = frozenset(("NNG", "NNP", "SL", "SH"))
SUBJECT_PARTICLES = frozenset(("이", "가", "은", "는", "도", "께서"))
_SUBJECT_TAGS = frozenset(("JKS", "JX", "JKC"))
OBJECT_PARTICLES = frozenset(("을", "를", "ㄹ"))
_STOP_TAGS = frozenset(("SF", "SP", "SS"))

# Where "…보다" points at an expectation and what the canonical phrase calls it.
REFERENCES = {
    "생각": "생각", "예상": "생각", "기대": "생각", "상상": "생각", "예측": "생각",
    "사진": "사진", "이미지": "사진", "화면": "사진", "상세": "사진", "상세페이지": "사진", "모델": "사진",
    "설명": "설명", "광고": "설명", "후기": "후기", "리뷰": "후기",
}
INTENSIFIERS = frozenset(
    "너무 넘 너무너무 진짜 정말 엄청 완전 되게 매우 아주 많이 좀 조금 약간 훨씬 꽤 굉장히 상당히 살짝 "
    "참 제일 가장 더 덜 심하게 정말로 진짜로 엄청나게 생각보다 은근 은근히 그냥 잘 좀더 "
    "별로 그다지 전혀 딱히 하나도 제대로 도무지 영 아직 아직도 여전히 또 다시 결국 이제 벌써".split())
EXCESS_ADVERBS = frozenset(("너무", "넘", "너무너무", "지나치게"))
# Adverbs that carry the complaint and stay in the phrase: "배터리가 빨리 닳다", "앱이 자꾸 튕기다".
MANNER = frozenset(("빨리", "금방", "쉽게", "자주", "오래", "늦게", "계속", "바로", "자꾸"))
NEGATORS = frozenset(("안", "못"))

# Pronouns and pointing words: never an aspect of their own ("이거 너무 작아요" is an excess).
PRONOUNS = frozenset(
    "이거 이것 그거 그것 저거 저것 요거 요것 얘 쟤 걔 거 것 건 게 이건 그건 저건 요건 아무것 뭐 무엇 "
    "전체 전부 모두 여기 거기 저기 이곳 그곳".split())
# Relational and time nouns that stand where a subject would but name no aspect ("쓸 때가 불편하다").
_FUNCTION_NOUNS = frozenset("때 정도 경우 중 후 전 뒤 동안 이후 이전 대신 자체 적 번 다음 이번 처음".split())
NOT_ASPECT = PRONOUNS | _FUNCTION_NOUNS
# Predicates too weak to be a complaint by themselves.
WEAK = frozenset(("있다", "하다", "되다", "같다", "보다", "않다", "이다", "오다", "가다", "싶다", "주다", "알다",
                  "받다", "사다", "쓰다", "들다", "나다", "말다", "그렇다", "이렇다", "어떻다", "아니다", "시키다",
                  "생각하다", "만들다", "모르다", "놓다", "두다", "버리다", "입다", "신다", "보이다", "나오다",
                  "먹다", "사용하다", "도착하다", "드리다", "만나다", "생각나다", "믿다", "어쩌다", "잇다", "오르다",
                  "느끼다", "느끼어지다", "들어가다", "들어오다", "출연하다", "보내다", "기다리다", "지나다"))
# Weak verbs that are a complaint once negated about a noun: "소리가 안 나다", "전화를 안 받다".
NEG_WEAK_OK = frozenset(("되다", "하다", "나다", "오다", "가다", "들다", "주다", "받다", "보이다", "켜지다", "나오다",
                         "먹다", "들어가다", "들어오다", "보내다", "도착하다"))
# Of those, the ones that take an object: "반품은 안 하다" reads "반품을 안 하다".
_OBJECT_VERBS = frozenset(("하다", "받다", "주다", "보내다"))
_POSITIVE_CORE = frozenset(
    "좋다 예쁘다 이쁘다 귀엽다 만족하다 만족스럽다 편하다 편안하다 감사하다 재밌다 재미있다 맛있다 훌륭하다 "
    "괜찮다 멋지다 깔끔하다 튼튼하다 고맙다 사랑스럽다 마음에들다 최고다 행복하다 즐겁다 아름답다 착하다 "
    "빠르다 저렴하다 싸다 가볍다 따뜻하다 부드럽다 감동적이다 추천하다 신나다 대박이다 완벽하다 "
    "뛰어나다 유용하다 든든하다 친절하다 시원하다 좋아하다 맞다 잘맞다 잘되다".split())
# Predicates that name a breakdown; bare ones ("고장나다") are phrases on their own.
FAILURE = frozenset(
    "고장나다 망가지다 부러지다 찢어지다 터지다 깨지다 끊기다 끊어지다 꺼지다 멈추다 새다 닳다 "
    "벗겨지다 뜯어지다 풀리다 빠지다 늘어나다 줄어들다 녹슬다 고장이다 불량이다 방전되다 먹통이다 튿어지다 "
    "헤지다 변색되다 휘다 갈라지다 파손되다 찌그러지다 지연되다 분실되다 누락되다 취소되다 오류나다 "
    "에러나다 먹통되다 튕기다 느려지다 끊겨지다 손상되다 훼손되다 오작동하다 멈춰지다".split())
# The ones that are a complaint even without a subject; "빠지다" or "터지다" alone mean too many other things.
BARE_FAILURE = frozenset(
    "고장나다 망가지다 부러지다 찢어지다 깨지다 방전되다 먹통이다 뜯어지다 불량이다 튿어지다 파손되다 고장이다 "
    "지연되다 분실되다 누락되다 오류나다 에러나다 먹통되다 튕기다 손상되다 훼손되다 오작동하다".split())
# Verbs that break or lose their object: "액정을 깨뜨리다", "짐을 분실하다".
TRANSITIVE_FAILURE = frozenset(
    "깨뜨리다 깨트리다 망가뜨리다 망가트리다 부러뜨리다 찢다 분실하다 파손하다 잃어버리다 누락하다 빠뜨리다 "
    "고장내다 떨어뜨리다 훼손하다 손상하다".split())

# Nouns that never start a compound subject ("가격 대비 품질이" is about 품질, "업데이트 후 로그인이"
# about 로그인): relational and time nouns.
NOT_COMPOUND = frozenset(
    "대비 정도 때문 이후 이전 이번 다음 진짜 정말 완전 요즘 처음 전부 후 전 중 뒤 때 동안 만 이상 이하 대신 "
    "오늘 어제 내일 그날 당일 첫날 하루 이틀 나중 매번 항상 지금 방금 최근 저번 지난번 요번 "
    "자체 관련 포함 제외 기준 경우".split())
# Nouns and adverbs that are a verdict with 이다: "품질이 별로다", "포장이 엉망이다" (plus the
# strongly negative nouns of the polarity lexicon).
_VERDICT_CORE = frozenset("별로 엉망 최악 꽝 불량 실망 엉터리 쓰레기 비추 고장".split())


def _lexicon() -> tuple[dict[str, float], set[str]]:
    """Return (single-unit valences, two-unit phrases) of ``lexicons/ko_polarity.tsv``."""
    single: dict[str, float] = {}
    pairs: set[str] = set()
    try:
        text = resources.files(__package__).joinpath("lexicons").joinpath("ko_polarity.tsv").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):  # pragma: no cover - the lexicon ships with the package
        return single, pairs
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        term, value = line.rsplit("\t", 1)
        term = term.strip()
        try:
            v = float(value)
        except ValueError:
            continue
        if " " in term:
            if v < 0:
                pairs.add(term)
        else:
            single[term] = v
    return single, pairs


_LEX, _NEG_PAIRS = _lexicon()
POSITIVE = _POSITIVE_CORE | frozenset(t for t, v in _LEX.items() if v > 0 and t.endswith("다") and len(t) > 1)
VERDICTS = _VERDICT_CORE | frozenset(t for t, v in _LEX.items() if v <= -2 and not t.endswith("다")
                                     and t.isalpha() and len(t) > 1)
# "재미없다", "맛없다", "성의없다": a noun fused with 없다 reads as that noun lacking ("재미가 없다")
# when the noun is good to have (positive in the lexicon) or "noun 없다" is a negative phrase there.
_FUSED_LACK_CACHE: dict[str, str | None] = {}


class Morph(NamedTuple):
    form: str
    tag: str
    start: int
    end: int


class Match(NamedTuple):
    canonical: str   # the phrase shown to users: "배송이 늦다", "생각보다 무겁다"
    kind: str
    start: int   # character offsets (absolute)
    end: int
    aspect: str | None = None   # what it is about, nouns joined by a space: "배터리 수명"; None when no noun
    opinion: str = ""           # what is wrong, canonical predicate: "빨리 닳다", "안 맞다", "생각보다 무겁다"


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


def _object(noun: str) -> str:
    return noun + ("을" if has_batchim(noun) else "를")


def morphs_from_text(text: str, offset: int = 0) -> list[Morph]:
    """Return Kiwi morphemes of ``text`` with absolute character offsets."""
    from vocmine.understand.nlp import get_kiwi

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


def _fused_lack(lemma: str) -> str | None:
    """Return the noun of a fused "X없다" adjective that reads "X가 없다" ("재미없다" -> "재미")."""
    if lemma in _FUSED_LACK_CACHE:
        return _FUSED_LACK_CACHE[lemma]
    noun = None
    if lemma.endswith("없다") and len(lemma) > 2:
        x = lemma[:-2]
        if _LEX.get(x, 0) > 0 or f"{x} 없다" in _NEG_PAIRS:
            noun = x
    _FUSED_LACK_CACHE[lemma] = noun
    return noun


def _join_eo(stem: str, ending: str) -> str:
    """Return ``stem`` + the connective 어/아 as written: "찢어", "느려", "커", "작아", "꺼"."""
    c = ord(stem[-1]) - 0xAC00 if stem else -1
    if not 0 <= c < 11172:
        return stem + ending
    lead, vowel, tail = c // 588, (c % 588) // 28, c % 28
    if tail:
        return stem + ending
    if stem.endswith("하"):
        return stem[:-1] + "해"
    # ㅣ->ㅕ, ㅗ->ㅘ, ㅜ->ㅝ, ㅡ->ㅓ; ㅏ ㅓ ㅐ ㅔ ㅕ absorb the ending
    contracted = {20: 6, 8: 9, 13: 14, 18: 4}.get(vowel)
    if contracted is None:
        return stem if vowel in (0, 4, 1, 5, 6) else stem + ending
    return stem[:-1] + chr(0xAC00 + lead * 588 + contracted * 28)


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
            stem, last = _join_eo(stem, ms[p + 1].form) + "지", p + 2
        # "-어 주다" / "-어 버리다" add nothing to the complaint: "안 해주다" reads 안 하다
        if last + 2 < n and ms[last + 1].tag == "EC" and ms[last + 1].form in ("어", "아") \
                and ms[last + 2].tag == "VX" and ms[last + 2].form in ("주", "버리"):
            last += 2
        return stem + "다", first, last, adjective
    if m.tag in ("XSA", "XSV") and p > 0 and ms[p - 1].tag in ("XR", "NNG") and ms[p - 1].end == m.start:
        first, stem = p - 1, ms[p - 1].form
        # "불친절하다", "비위생적이다": a prefix written onto the root
        if p > 1 and ms[p - 2].tag == "XPN" and ms[p - 2].end == ms[p - 1].start:
            first, stem = p - 2, ms[p - 2].form + stem
        return stem + m.form + "다", first, p, m.tag == "XSA"
    # verdict nouns with 이다: "별로예요", "엉망이었어요" -> "별로다", "엉망이다"
    if m.tag == "VCP" and p > 0 and ms[p - 1].form in VERDICTS and ms[p - 1].end == m.start:
        word = ms[p - 1].form
        return word + ("이다" if has_batchim(word) else "다"), p - 1, p, True
    return None


def _word_end(ms: list[Morph], k: int) -> int:
    """Return the character end of the written word (어절) containing morpheme ``k``."""
    end = ms[k].end
    k += 1
    while k < len(ms) and ms[k].start <= end and ms[k].tag not in _STOP_TAGS:
        end = max(end, ms[k].end)
        k += 1
    return end


def _word_start(ms: list[Morph], k: int) -> int:
    start = ms[k].start
    while k > 0 and ms[k - 1].end >= start and ms[k - 1].tag not in _STOP_TAGS:
        k -= 1
        start = ms[k].start
    return start


def _noun_head(ms: list[Morph], i: int) -> int:
    """Return the index of the noun that ``i`` belongs to, or -1: ``i`` itself, or the noun a suffix
    (XSN "님/들", an attached NNB "분") hangs on ("기사님이", "직원분이")."""
    t = ms[i].tag
    if t in NOUN_TAGS:
        return i
    if t in ("XSN", "NNB") and i >= 1 and ms[i - 1].tag in _COMPOUND_TAGS and ms[i - 1].end == ms[i].start:
        return i - 1
    return -1


def _unit(ms: list[Morph], i: int) -> tuple[str, int]:
    """Return a noun with a prefix written onto it ("재구매", "무반응") and where it starts."""
    if i >= 1 and ms[i - 1].tag == "XPN" and ms[i - 1].end == ms[i].start:
        return ms[i - 1].form + ms[i].form, i - 1
    return ms[i].form, i


def _compound(ms: list[Morph], i: int, last: int | None = None) -> tuple[str, str, int]:
    """Return the noun phrase ending at ``i`` (up to three nouns: "배터리 수명", "고객센터 연결") as
    written, as an aspect (morphemes joined by a space), and the index it starts at.

    ``last`` is the index of a suffix after the head noun ("직원분" -> 분). "가격 대비" keeps its 대비.
    """
    word, i0 = _unit(ms, i)
    if last is not None and last > i:
        word += "".join(ms[j].form for j in range(i + 1, last + 1))
    written, parts = word, [word]
    if ms[i].form == "대비":
        if i0 >= 1 and ms[i0 - 1].tag in ("NNG", "NNP"):
            gap = " " if ms[i0 - 1].end < ms[i0].start else ""
            return ms[i0 - 1].form + gap + written, ms[i0 - 1].form + " " + word, i0 - 1
        return written, word, i0
    for _ in range(2):
        j = i0 - 1
        if j >= 0 and ms[j].tag in _COMPOUND_TAGS and ms[j].form not in PRONOUNS and ms[j].form not in NOT_COMPOUND \
                and ms[j].form not in REFERENCES and ms[j].end + 1 >= ms[i0].start:
            gap = " " if ms[j].end < ms[i0].start else ""
            w, j0 = _unit(ms, j)
            written, i0 = w + gap + written, j0
            parts.insert(0, w)
        else:
            break
    return written, " ".join(parts), i0


def _subject_before(ms: list[Morph], k: int) -> int:
    """Return the index of the noun head before a subject particle at ``k``, or -1."""
    if k >= 1 and ms[k].tag in _SUBJECT_TAGS and ms[k].form in SUBJECT_PARTICLES:
        return k - 1 if _noun_head(ms, k - 1) >= 0 else -1
    return -1


def _quantity_start(ms: list[Morph], k: int) -> int:
    """Return where a quantity ending at ``k`` starts ("3시간", "이틀", "두 번"), or -1."""
    t = ms[k].tag
    if t in ("NNB", "NNG") and k >= 1 and ms[k - 1].tag in ("SN", "NR", "MM"):
        return k - 1
    if t == "NR":
        return k
    return -1


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
        # long negation after the stem: "-지 않다", "-지 못하다", "-지도 않다"
        neg = ""
        if last + 2 < n and ms[last + 1].form == "지" and ms[last + 1].tag == "EC":
            j = last + 2
            if j + 1 < n and ms[j].tag == "JX" and ms[j].form in ("도", "는", "가"):
                j += 1
            if ms[j].tag == "VX" and ms[j].form in ("않", "못하"):
                neg, last = "long", j
            elif ms[j].form == "못" and j + 1 < n and ms[j + 1].form == "하" and ms[j + 1].tag in ("VV", "VX"):
                neg, last = "long", j + 1
            p = last + 1
        # look back over adverbs for 안/못, intensifiers, manner adverbs, quantities, a subject and a comparison
        k = first - 1
        excess, duration = False, False
        manner: list[str] = []
        while k >= 0 and first - k <= 6:
            f, t = ms[k].form, ms[k].tag
            if t == "EC":
                if f == "게" and k > 0 and ms[k - 1].tag.startswith("VA"):
                    k -= 2  # "더럽게", "엄청나게": adjective-made adverbs work as intensifiers
                    continue
                break
            if t in ("MAG", "MAJ"):
                if f in NEGATORS:
                    neg = neg or ("cannot" if f == "못" else "short")
                elif f in EXCESS_ADVERBS:
                    excess = True
                elif f in MANNER:
                    manner.insert(0, f)
                elif f not in INTENSIFIERS:
                    break
                k -= 1
                continue
            # "3시간이나", "일주일이나", "이틀": how long it took
            if t == "JX" and f in ("이나", "나", "씩") and k >= 1:
                q = _quantity_start(ms, k - 1)
                if q < 0 and lemma == "걸리다" and ms[k - 1].tag in ("NNG", "NNB", "NR"):
                    q = k - 1
                if q >= 0:
                    duration, k = True, q - 1
                    continue
                break
            q = _quantity_start(ms, k)
            if q >= 0:
                duration, k = True, q - 1
                continue
            break
        if lemma == "걸리다" and duration:
            manner.insert(0, "오래")
        span_start = ms[first].start if k == first - 1 else ms[k + 1].start
        ref, noun, aspect, as_object = None, None, None, False
        # comparison: "생각보다", "생각했던 것보다", "사진보다"
        for b in range(k, max(-1, k - 7), -1):
            if ms[b].tag in PRED_TAGS or ms[b].tag in ("SF", "EF", "EC", "XSV", "XSA", "VCP"):
                break  # the comparison belongs to an earlier clause
            if ms[b].form == "보다" and ms[b].tag == "JKB":
                for r in range(b - 1, max(-1, b - 6), -1):
                    if ms[r].tag in ("NNG", "NNP") and ms[r].form in REFERENCES:
                        ref, span_start = REFERENCES[ms[r].form], _word_start(ms, r)
                        # "무게가 생각보다 무겁다": the subject names the aspect, the phrase stays the gap
                        h = _subject_before(ms, r - 1)
                        if h >= 0:
                            hi = _noun_head(ms, h)
                            if ms[hi].form not in NOT_ASPECT:
                                aspect = _compound(ms, hi, h)[1]
                        break
                    if ms[r].tag not in ("NNB", "XSV", "EP", "ETM", "VV", "XSA", "VX", "EC"):
                        break
                break
        if ref is None and k >= 1:
            h = _subject_before(ms, k)
            if h < 0 and ms[k].tag == "JKO" and ms[k].form in OBJECT_PARTICLES and not adjective \
                    and (lemma in TRANSITIVE_FAILURE or neg):
                h = k - 1 if _noun_head(ms, k - 1) >= 0 else -1
                as_object = h >= 0
            if h >= 0:
                hi = _noun_head(ms, h)
                if ms[hi].form not in NOT_ASPECT:
                    noun, aspect, noun_i = _compound(ms, hi, h)
                    span_start = ms[noun_i].start
                else:
                    as_object = False
        if ref is None and noun is None and k >= 0 and ms[k].tag == "NNG" and ms[k].end < ms[k + 1].start \
                and ms[k].form not in NOT_ASPECT and ms[k].form not in REFERENCES \
                and (ms[k].form == "대비" or ms[k].form not in NOT_COMPOUND) \
                and (adjective or lemma in FAILURE or neg):
            # "배송 늦음", "재구매 의사 없어요": a bare noun (or compound) right before the predicate
            noun, aspect, noun_i = _compound(ms, k)
            span_start = ms[noun_i].start

        # "재미없다", "맛없어요": the fused noun is the aspect when no subject names one
        fused = _fused_lack(lemma) if adjective and not neg else None
        if fused and noun is None and ref is None:
            noun = aspect = fused
            lemma = "없다"

        if lemma in POSITIVE and not neg:
            continue
        if neg and lemma in TRANSITIVE_FAILURE:
            continue  # "떨어뜨리지도 않았는데": denying the cause, not a complaint
        if lemma in WEAK and not (neg and noun and lemma in NEG_WEAK_OK) and not fused:
            continue
        cannot_do = neg == "cannot" and lemma == "하다"  # "연기를 못하다": bad at it, not "does not do it"
        pred_text = lemma
        if neg == "long" or (neg and adjective):
            pred_text = lemma[:-1] + "지 않다"
        elif cannot_do:
            pred_text = "못하다"
        elif neg:
            pred_text = "안 " + lemma
        opinion = "못하다" if cannot_do else ("안 " + lemma if neg else lemma)
        if manner:
            pred_text = " ".join(manner) + " " + pred_text
            opinion = " ".join(manner) + " " + opinion
        end = _word_end(ms, last)
        if ref:
            out.append(Match(f"{ref}보다 {pred_text}", "expectation", span_start, end, aspect, f"{ref}보다 {opinion}"))
        elif noun:
            kind = "failure" if lemma in FAILURE or as_object or (neg and not adjective) else (
                "lack" if neg else "aspect")
            if noun.endswith("대비"):
                head = noun  # "가격 대비 별로다"
            elif as_object or cannot_do or (neg and lemma in _OBJECT_VERBS
                                            and (lemma == "하다" or ms[k].form in ("은", "는", "도"))):
                head = _object(noun)  # "액정을 깨뜨리다", "연기를 못하다"
            else:
                head = subject(noun)
            out.append(Match(f"{head} {pred_text}", kind, span_start, end, aspect, opinion))
        elif excess and not neg:
            out.append(Match(f"너무 {pred_text}", "excess", span_start, end, None, f"너무 {opinion}"))
        elif lemma in BARE_FAILURE:
            out.append(Match(pred_text, "failure", span_start, end, None, opinion))
        elif neg and adjective:
            out.append(Match(pred_text, "lack", span_start, end, None, opinion))
        elif neg and not adjective and (ms[first].tag == "NNG" and len(lemma) > 2 or lemma in POSITIVE):
            # "제대로 작동하지 않아요", "충전 안 돼요" without a subject: a noun-made verb that fails
            out.append(Match(pred_text, "failure", span_start, end, None, opinion))
    return out
