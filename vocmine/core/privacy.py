"""Redaction of personal data and keyed pseudonyms for authors.

Redaction runs on every text before it is analysed or published. It is deliberately greedy:
a false positive costs a few characters of a review, a false negative leaks a customer's
phone number onto a public page. Each kind of personal data gets its own placeholder
(``[PHONE]``, ``[RRN]``, ...), placeholders are never matched again, so ``redact`` is
idempotent: ``redact(redact(x)) == redact(x)``.

Numbers with check digits are confirmed with python-stdnum (Korean RRN, US SSN, IBAN) or Luhn
(cards); phone numbers with phonenumbers; the rest (addresses, names, accounts, passports) are
only recognisable by their shape and the words around them, see docs/privacy.md.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Callable

import phonenumbers
from stdnum import iban as _std_iban
from stdnum.kr import rrn as _std_rrn
from stdnum.us import ssn as _std_ssn

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
URL = "[URL]"
NAME = "[NAME]"
RRN = "[RRN]"
SSN = "[SSN]"
IBAN = "[IBAN]"
ACCOUNT = "[ACCOUNT]"
IP = "[IP]"
PASSPORT = "[PASSPORT]"
ADDRESS = "[ADDRESS]"
PLACEHOLDERS = (EMAIL, PHONE, CARD, URL, NAME, RRN, SSN, IBAN, ACCOUNT, IP, PASSPORT, ADDRESS)

Found = set[str]  # the kinds found while redacting one text ("phone", "name", ...)

# ---------------------------------------------------------------------------------------------
# URLs and emails
# ---------------------------------------------------------------------------------------------
_URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)]+", re.IGNORECASE)
# A query/fragment parameter whose name says it is a token, key, signature, password or session.
# Long words may be part of a longer name (access_token, api_key); short ones must be the name.
_SECRET_PARAM = (r"[?&#;](?:[\w.-]*?(?:token|key|secret|signature|password|passwd|session|auth|credential|"
                 r"ticket)[\w.-]*|pw|pwd|pass|passcode|pin|sid|sig|jwt|code|otp|hash)=")
_SECRET_PARAM_RE = re.compile(_SECRET_PARAM, re.IGNORECASE)
# Any run of non-space characters carrying such a parameter, with or without a scheme
# ("example.com/reset?token=..", "/verify?code=.."); trailing sentence punctuation stays.
_SECRET_URL_RE = re.compile(r"[^\s<>\"'()\[\]]*" + _SECRET_PARAM + r"[^\s<>\"'\[\]]*?(?=[.,;:!?)]*(?:\s|$))",
                            re.IGNORECASE)
_USERINFO_RE = re.compile(r"^[a-z]+://[^/@\s]+@", re.IGNORECASE)
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# Obfuscated emails: "minsu [at] example dot com", "john(at)gmail(dot)com", "jane at example dot org".
_AT = r"(?:\s*[\[({<]\s*(?:at|골뱅이)\s*[\])}>]\s*|\s+(?:at|골뱅이)\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[({<]\s*(?:dot|점)\s*[\])}>]\s*|\s+(?:dot|점)\s+|\.)"
_OBF_EMAIL_RE = re.compile(
    rf"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*){_AT}([A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*){_DOT}([A-Za-z]{{2,6}})\b",
    re.IGNORECASE,
)
_OBF_HINT_RE = re.compile(r"[\[({<] ?at")

# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
_DIGIT_RUN_RE = re.compile(r"\d[\d ().+-]{5,}\d")
# Korean resident (and foreigner) registration numbers: YYMMDD-GNNNNNN.
_RRN_RE = re.compile(r"(?<![\d-])(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\s?[-–]\s?|\s?)([1-8]\d{6})(?![\d-])")
_SSN_RE = re.compile(r"(?<![\d-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\d-])")
_SSN_CONTEXT_RE = re.compile(r"\bssn\b|social security|사회보장", re.IGNORECASE)
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_IBAN_HINT_RE = re.compile(r"[A-Z]{2}\d{2}")
# Card numbers: 13-19 digits, optionally grouped by spaces or dashes; confirmed with Luhn.
_CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Bank accounts and passports are just digits: only near words that say what they are.
_ACCOUNT_RE = re.compile(
    r"(?i:계좌|통장|입금|송금|예금주|환불|은행|account|acct|bank|sort code|routing)"
    r"[^\d\n]{0,25}?(?<![\d-])(\d{2,6}(?:[ -]\d{2,8}){1,4}|\d{8,16})(?![\d-])"
)
_PASSPORT_RE = re.compile(
    r"(?i:passport|여권)[^\n]{0,25}?(?<![A-Za-z0-9])([A-Z]{1,2}\d{6,8}|[A-Z]\d{3}[A-Z]\d{4}|\d{8,9})(?![A-Za-z0-9])"
)
_IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
_IPV4_HINT_RE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Phone numbers. Korean mobile/landline (010-1234-5678, 01012345678, 02-123-4567, +82 10 1234 5678),
# North American ((415) 555-0134, 415-555-0134, +1 415 555 0134) and generic international +CC forms;
# phonenumbers finds the other writings ("555 123 4567", "5551234567", "(02) 5478-6946").
_PHONE_RES = [
    re.compile(r"(?<![\w+])\+?82[ .-]?\(?0?1[016789]\)?[ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\w+])\+?82[ .-]?\(?0?[2-6]\d?\)?[ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\d-])01[016789][ .-]?\d{3,4}[ .-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\d-])0(?:2|[3-6][1-5])[ .-]\d{3,4}[ .-]\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])(?:\+?1[ .-]?)?\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?!\d)"),
    re.compile(r"(?<![\w+-])(?:\+?1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)"),
    # ten North American digits spaced or run together (555 123 4567, 5551234567), not in a URL or an id
    re.compile(r"(?<![\w+/=#&?.-])(?:\+?1[ .-]?)?[2-9]\d{2} \d{3} \d{4}(?![\d-])"),
    re.compile(r"(?<![\w+/=#&?.-])[2-9]\d{9}(?![\d-])"),
]
_SEVEN_DIGITS_RE = re.compile(r"(?:\d[ ().+-]*){7}")
_ANY_DIGIT_RE = re.compile(r"\d")
_DIGIT_GA_RE = re.compile(r"\d가")
_DATE_RE = re.compile(r"(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}")
# Dates and times as exports write them ("2026-01-01T10:00:00Z", "2026.08.05 14:03"): seven digits
# that are no phone number. Masked before deciding whether phonenumbers (slow) needs to look.
_DATETIME_RE = re.compile(r"(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                          r"(?:Z|[+-]\d{2}:?\d{2})?)?")

# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------
_EN_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|"
              r"Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Crescent|Close|Plaza)")
_EN_ADDRESS_RE = re.compile(
    r"(?<![\w-])\d{1,6}[A-Za-z]?(?:-\d{1,4})?\s+"
    r"(?:(?:[NSEW]\.?|[A-Z][a-z]+|\d{1,3}(?:st|nd|rd|th))\s+){1,3}" + _EN_SUFFIX + r"\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|#)\.?\s*#?[A-Za-z0-9-]{1,6}\b)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?(?:,\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?)?"
)
_EN_ADDRESS_HINT_RE = re.compile(r"\b" + _EN_SUFFIX + r"\b")
_HOUSE_NUMBER_RE = re.compile(r"\d[A-Za-z]?\s+[A-Z]")
_PO_BOX_RE = re.compile(r"\bP\.?\s?O\.?\s+Box\s+\d+\b", re.IGNORECASE)
_KO_REGION = (r"(?:[가-힣]{1,8}(?:특별시|광역시|특별자치시|특별자치도|도|시)\s+)?"
              r"(?:[가-힣]{1,8}(?:시|군|구)\s+){0,2}")
# Units and counters that follow a number after a particle: "택배로 2개", "원래대로 3일".
_KO_COUNTERS = (r"(?:개|일|시|분|초|번(?!지|길)|월|원|년|명|회|차|배|달|주|장|살|층|대|권|병|봉|팩|세트|인분|위|등|점|"
                r"퍼센트|프로|박|잔|통|줄|알|쪽|편|곡|키로|킬로|미터|센치|리터|인치|%|[A-Za-z])")
_KO_ROAD_RE = re.compile(
    r"(?<![가-힣A-Za-z0-9])" + _KO_REGION +
    r"([가-힣][가-힣A-Za-z·]{0,14}?(?:대로|로|길)(?:\s?\d{1,3}번?길)?)(\s*)(\d{1,4}(?:-\d{1,4})?)(?!\d)(?![.,]\d)"
    r"(?!\s*" + _KO_COUNTERS + ")"
    # what may follow the building number: a space, punctuation, the end or a particle
    r"(?=[\s,.)!?~/]|$|으로|(?:로|에|입니다|이에요|인데|이고|번지)(?![가-힣]))"
)
# Adverbs and particles that end like a road name (참고로 163, 그대로 10, 장면들로 2).
_KO_NOT_ROADS = ("으로", "들로", "참고로", "정도로", "그대로", "따로", "서로", "새로", "정말로", "진짜로", "최초로",
                 "실제로", "대체로", "주로", "스스로", "억지로", "때로", "날로", "별로", "절대로", "제대로", "멋대로",
                 "맘대로", "마음대로", "원래대로", "걸로", "것으로", "거로", "이걸로", "그걸로")
_KO_LOT_RE = re.compile(
    r"(?<![가-힣A-Za-z0-9])(" + _KO_REGION + r")([가-힣0-9]{1,10}(?:동|리)|[가-힣]{1,6}\d{1,2}가)\s*"
    r"(\d{1,5}(?:-\d{1,5})?)(번지)?(?![\d.,]\d)(?!\d)(?!\s*" + _KO_COUNTERS + ")"
)
_KO_UNIT_RE = re.compile(
    r"(?<![가-힣A-Za-z0-9])(?:[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|맨션|타워|하이츠|빌딩)\s*)?"
    r"\d{1,4}\s?동\s*\d{1,5}\s?호"
)

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
# A name is one to three Title-case words; all-caps and lower-case words are not names.
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof)\.?\s+)"
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_NAME = rf"{_TITLE}?{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}}"
# Words that introduce a name, searched in the lower-cased text (plain, fast patterns); what follows
# is checked against the original text, case-sensitively.
_EN_LEAD_RE = re.compile(r"\b(?:(my name is|my name's|name ?:|ordered by ?:|signed ?:|recipient ?:)|(i'm|i am|i’m)"
                         r"|(this is))[ \t]+")
_EN_NAME_AT_RE = re.compile(_NAME)
_GREETING_END_RE = re.compile(r"\b(?:hi|hello|hey|greetings|good (?:morning|afternoon|evening))[\s,!.-]*$")
_CLAUSE_END_RE = re.compile(r"\s*(?:[,.!;:)]|$|\s(?:and|from|here|speaking|by|btw|again|writing|with|who)\b)")
_INTRO_HINTS = ("my name", "name", "ordered by", "signed", "recipient", "i'm", "i am", "i’m", "this is")
_SIGNOFF = (r"(?:thanks(?:\s+again|\s+a\s+lot)?|many\s+thanks|thank\s+you|regards|best\s+regards|kind\s+regards|"
            r"warm\s+regards|best\s+wishes|best|cheers|sincerely|yours\s+truly|yours|respectfully|love|xoxo|"
            r"take\s+care)")
# "Thanks, John Smith!" / "Regards,\nJane" / "Best, Dr. Jane Doe" at the very end of the text.
_EN_SIGNOFF_RE = re.compile(
    # after a sentence, a line break or an emoji, not inside a sentence ("the industry's best, China Mist!")
    rf"(?:^|(?<=[^\w \t,;:'’-]))[ \t]*"
    rf"(?:(?i:{_SIGNOFF})(?:[,!.]+\s*|[ \t]*\n\s*)(?:[-–—~][ \t]*)?({_NAME})"
    # without a comma, "Thanks Amazon!" thanks someone: only a full name is taken
    rf"|(?i:thanks|thank\s+you)[ \t]+({_TITLE}?{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}}))"
    rf"(?=[ \t]*[.!]*[ \t]*(?:[:;]-?[)D(]|[~^]+)?\s*$)"
)
# "- John Smith" alone on the last line, or after the last sentence once line breaks are gone.
_EN_DASH_RE = re.compile(rf"(?:\n|(?<=[.!?])[ \t])[ \t]*[-–—~]+[ \t]*({_NAME})[ \t]*[.!]?\s*$")
_NOT_NAMES = {
    "not", "so", "very", "really", "a", "an", "the", "in", "on", "at", "happy", "glad", "sad", "disappointed",
    "satisfied", "sure", "writing", "going", "still", "just", "also", "here", "now", "from", "with", "about",
    "sorry", "impressed", "returning", "done", "pleased", "unhappy", "upset", "angry", "tired", "thankful",
    "grateful", "amazed", "surprised", "excited", "confused", "never", "always", "too", "quite", "pretty",
    "definitely", "totally", "absolutely", "usually", "normally", "kind", "looking", "loving", "using",
    "i", "you", "we", "they", "he", "she", "it", "this", "that", "all", "everyone", "everybody", "guys",
    "again", "much", "lot", "for", "and", "but", "or", "if", "no", "yes", "ok", "okay", "please", "hope",
    "love", "god", "lord", "jesus", "team", "folks", "everything", "anyway", "sir", "madam", "dear",
    "thanks", "thank", "best", "regards", "cheers", "one", "two", "three", "only", "even", "almost", "back",
    # organisations, not people
    "inc", "ltd", "llc", "corp", "co", "company", "team", "store", "shop", "hotel", "staff", "support", "service",
}
# Cheap pre-checks: every English name needs a Title-case word, a sign-off one of these words.
_TITLE_WORD_RE = re.compile(r"[A-Z][a-z]")
_SIGNOFF_HINTS = ("thank", "regards", "best", "cheers", "sincerely", "yours", "respectfully", "love", "xoxo", "care")
_TRAILING = " \t\r\n.!~^:;)(-"

_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
# Common Korean family names (about 98% of people); a bare "김민수입니다" needs one to count as a name.
_KO_SURNAMES = set(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 하 곽 성 "
    "차 주 우 구 민 진 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 석 선 설 길 연 위 표 명 반 왕 금 옥 육 맹 탁".split()
)
_KO_COMPOUND_SURNAMES = ("남궁", "제갈", "선우", "황보", "독고", "사공", "서문")
# Kinship, role and honorific words that take 님/씨 like a name does (부모님, 기사님, 고객님).
_KO_ROLES = (
    "고객", "구매자", "판매자", "사장", "사모", "기사", "직원", "점장", "매니저", "상담원", "상담사", "선생", "선배",
    "후배", "교수", "박사", "원장", "실장", "팀장", "부장", "과장", "차장", "대리", "주임", "대표", "회장", "작가",
    "감독", "피디", "배우", "가수", "주인", "부모", "어머", "아버", "어머니", "아버지", "할머", "할아버", "할머니",
    "할아버지", "이모", "고모", "삼촌", "형", "형님", "누나", "누님", "언니", "오빠", "동생", "친구", "남편", "아내",
    "와이프", "장모", "장인", "시어머", "시아버", "며느", "사위", "조카", "손자", "손녀", "아드", "따", "아들", "딸",
    "자녀", "아기", "애기", "아이", "부인", "어르신", "손님", "회원", "관리자", "담당자", "스님", "신부", "목사",
    "수녀", "의사", "간호사", "약사", "아저", "아가", "아줌", "당신", "여러분", "사원", "알바", "알바생", "기장",
    "승무원", "반장", "이장", "택배", "배송", "배달", "설치", "수리", "도련", "서방", "임금", "공주", "왕자",
    # stems that make ordinary words with 씨: 날씨, 솜씨, 말씨, 글씨, 마음씨, 불씨, 꽃씨
    "날", "솜", "말", "글", "마음", "맘", "불", "꽃", "볍", "홀", "맵",
    # ...사 is a profession (선교사, 변호사, 간호사), not a given name
    "사",
)
# Endings after a name: copula, quotative and common particles (김민수입니다, 정하늘이라고 합니다).
_KO_NAME_ENDINGS = ("이라고", "이구요", "입니다", "이에요", "예요", "이고", "이며", "라고", "이요", "임", "고")  # longest first
_KO_LABEL_RE = re.compile(
    r"(?:이름|성함|성명|예금주|받는\s?분|받는\s?사람|보내는\s?분|보내는\s?사람|주문자명?|수령인|수취인|구매자명)"
    r"\s*(?:은|는)?\s*[:：]\s*([가-힣]{2,5})"
)
_KO_MYNAME_RE = re.compile(r"(?:제|내|저의|나의)\s?이름은\s*([가-힣]{2,8})")
# A bare "김민수입니다" is a self-introduction at the start of a sentence, after a greeting or 저는.
_KO_INTRO_RE = re.compile(r"(?<![가-힣])([가-힣]{2,4})(?=입니다|이에요|예요)")
_KO_INTRO_BEFORE = ("안녕하세요", "반갑습니다", "저는", "전", "주문자", "구매자", "고객", "수령인")
_KO_SAYS_RE = re.compile(r"(?<![가-힣])([가-힣]{2,4}?)(?:이라고|라고)\s*(?:합니다|해요|하구요|하고요|함)")
# A name is only taken before 님/씨 when the context says a person is meant: a role word next to it
# ("김민지 고객님", "상담원 박철수님이") or a dative ("김민수님께"). Bare "이승기씨가" (an actor, usually)
# is left alone.
_KO_ROLE_NEXT = r"(?:고객|기사|상담원|상담사|매니저|팀장|과장|대리|주임|실장|사장|직원|선생|담당자?|배송기사|택배기사|점장|원장)"
_KO_HONORIFIC_RES = [
    re.compile(r"(?<![가-힣])([가-힣]{2,4})(?=\s?" + _KO_ROLE_NEXT + r"(?:님|씨)?)"),
    re.compile(_KO_ROLE_NEXT + r"(?:님)?\s?([가-힣]{2,4})(?=\s?(?:님|씨))"),
    re.compile(r"(?<![가-힣])([가-힣]{2,4})(?=\s?님\s?(?:께|에게|한테))"),
]


def luhn_ok(digits: str) -> bool:
    """Return whether a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _sub(rx: re.Pattern, text: str, found: Found, kind: str, placeholder: str,
         accept: Callable[[re.Match], bool] | None = None, group: int = 0) -> str:
    """Replace matches of ``rx`` (or their ``group``; -1: the last group matched) that ``accept``; note ``kind``."""
    def repl(m: re.Match) -> str:
        if accept is not None and not accept(m):
            return m.group(0)
        found.add(kind)
        if not group:
            return placeholder
        g = m.lastindex if group < 0 else group
        assert g is not None  # a pattern replaced by its last group has groups
        s, e = m.start(g) - m.start(0), m.end(g) - m.start(0)
        whole = m.group(0)
        return whole[:s] + placeholder + whole[e:]
    return rx.sub(repl, text)


# --- accept functions ------------------------------------------------------------------------

def _secret_url(m: re.Match) -> bool:
    url = m.group(0)
    return bool(_USERINFO_RE.match(url) or _SECRET_PARAM_RE.search(url))


def _obf_email(m: re.Match) -> bool:
    whole = m.group(0)
    bracketed_at = re.search(r"[\[({<]\s*(?:at|골뱅이)\s*[\])}>]|@", whole, re.IGNORECASE)
    spelled_dot = re.search(r"(?:^|[\s\[({<])(?:dot|점)(?:$|[\s\])}>])", whole, re.IGNORECASE)
    # "meet at 5. Great" is not an address: a plain " at " needs a spelled-out "dot" too.
    return bool(bracketed_at or spelled_dot)


def _rrn(m: re.Match) -> bool:
    # Numbers issued since October 2020 carry no check digit, so a valid birth date (python-stdnum)
    # and sex digit are enough; the check digit is not required.
    number = m.group(1) + m.group(3)
    try:
        _std_rrn.get_birth_date(number)
    except ValueError:
        return False
    return True


def _ssn(m: re.Match) -> bool:
    ctx = m.string[max(0, m.start() - 40):m.start()]
    if _SSN_CONTEXT_RE.search(ctx):
        return True  # said to be an SSN: removed even when the number is one the SSA never issues
    number = m.group(1) + m.group(3) + m.group(4)
    return m.group(2) == "-" and _std_ssn.is_valid(number)


def _card(m: re.Match) -> bool:
    digits = re.sub(r"\D", "", m.group(0))
    return 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1


def _account(m: re.Match) -> bool:
    return 8 <= sum(ch.isdigit() for ch in m.group(1)) <= 16


def _ipv4(m: re.Match) -> bool:
    try:
        ipaddress.IPv4Address(m.group(0))
    except ValueError:
        return False
    return True


def _ipv6(m: re.Match) -> bool:
    s = m.group(0)
    if sum(1 for g in s.split(":") if g) < 3:
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


def _iban(text: str, found: Found) -> str:
    def repl(m: re.Match) -> str:
        cand = m.group(0)
        # The pattern may run into a following word ("... DE89 3704 0044 0532 0130 00 OK"): try shorter.
        for end in range(len(cand), 14, -1):
            if (end == len(cand) or cand[end] == " ") and _std_iban.is_valid(cand[:end]):
                found.add("iban")
                return IBAN + cand[end:]
        ctx = m.string[max(0, m.start() - 20):m.start()]
        if "iban" in ctx.lower():
            found.add("iban")
            return IBAN
        return cand
    return _IBAN_RE.sub(repl, text)


_PHONE_MAX_TRIES = 200


def _phones_lib(text: str, found: Found) -> str:
    """Replace phone numbers that phonenumbers finds and the regexes missed."""
    spans = []
    for region, leniency in (("KR", phonenumbers.Leniency.VALID), ("US", phonenumbers.Leniency.POSSIBLE)):
        # max_tries bounds the work on a text that is mostly numbers (a price list, a pasted table).
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency, max_tries=_PHONE_MAX_TRIES):
            raw = m.raw_string
            ndigits = sum(ch.isdigit() for ch in raw)
            before = text[m.start - 1] if m.start else " "
            # Digits inside a URL path or an id ("/gp/product/1845979125"), and dates, are not phones.
            if ndigits < 7 or before.isalnum() or before in "/=#&?_." or _DATE_RE.match(raw):
                continue
            if region == "US" and not (raw.startswith("+") and ndigits >= 8):
                national = str(m.number.national_number)
                # North American numbers: ten digits, the area code does not start with 0 or 1.
                if m.number.country_code != 1 or len(national) != 10 or national[0] in "01":
                    continue
            spans.append((m.start, m.end))
    if not spans:
        return text
    spans.sort()
    out, last = [], 0
    for s, e in spans:
        if s < last:
            continue
        out.append(text[last:s])
        out.append(PHONE)
        last = e
    out.append(text[last:])
    found.add("phone")
    return "".join(out)


def _ko_road(m: re.Match) -> bool:
    name = m.group(1)
    has_region = m.start(1) > m.start(0)
    if has_region:
        return len(name) >= 2
    # Without a city or district before it, a road needs a space before its number ("테헤란로 123")
    # and must not be an adverb or a particle ("참고로 163에", "택배로 2개" is refused by the pattern).
    return bool(m.group(2)) and len(name) >= 3 and not name.endswith(_KO_NOT_ROADS)


def _ko_lot(m: re.Match) -> bool:
    # "역삼동 123-45", "역삼동 123번지", or any lot number after a city/district.
    return bool(m.group(1).strip()) or "-" in m.group(3) or bool(m.group(4))


# --- names -----------------------------------------------------------------------------------

def _has_any(text: str, words: tuple[str, ...]) -> bool:
    for w in words:
        if w in text:
            return True
    return False


def _en_name_ok(name: str) -> bool:
    words = [w.rstrip(".") for w in name.split()]
    words = [w for w in words if w.lower() not in ("dr", "mr", "mrs", "ms", "mx", "miss", "prof")]
    if not words:
        return False
    return all(w.lower() not in _NOT_NAMES for w in words)


def _en_intros(text: str, low: str, found: Found) -> str:
    """Replace names after "my name is", "Name:", "I'm", "Hi, this is" (see docs/privacy.md)."""
    spans = []
    starts = set()
    for hint in _INTRO_HINTS:
        pos = low.find(hint)
        while pos >= 0:
            starts.add(pos)
            pos = low.find(hint, pos + 1)
    for pos in sorted(starts):
        m = _EN_LEAD_RE.match(low, pos)
        if not m:
            continue
        n = _EN_NAME_AT_RE.match(text, m.end())
        if not n or not _en_name_ok(n.group(0)):
            continue
        if not m.group(1):  # I'm / this is: a greeting before it, or a full name that ends the clause
            greeted = bool(_GREETING_END_RE.search(low, max(0, m.start() - 30), m.start()))
            if not greeted:
                before = low[:m.start()].rstrip()
                # "this is" starts a sentence (after . ! ? or an emoji), not "this is Paris after all"
                mid_sentence = before and (before[-1].isalnum() or before[-1] in ",;:'’-")
                if (m.group(3) and mid_sentence) or len(n.group(0).split()) < 2:
                    continue
                if not _CLAUSE_END_RE.match(text, n.end()):
                    continue
        spans.append((n.start(), n.end()))
    for start, end in reversed(spans):
        text = text[:start] + NAME + text[end:]
        found.add("name")
    return text


def _en_names(text: str, found: Found) -> str:
    def accept(m: re.Match) -> bool:
        assert m.lastindex is not None  # every English name pattern captures the name
        return _en_name_ok(m.group(m.lastindex))
    # Every English name pattern needs a Title-case word.
    if not _TITLE_WORD_RE.search(text):
        return text
    low = text.lower()
    if len(low) != len(text):  # "İ".lower() is two characters: keep positions aligned
        low = "".join(ch.lower()[:1] for ch in text)
    if _has_any(low, _INTRO_HINTS):
        text = _en_intros(text, low, found)
    # Sign-offs end the text with a Title-case word: look no further unless it does.
    last = text.rstrip(_TRAILING).rsplit(None, 1)[-1:] or [""]
    if not (last[0][:1].isupper() and last[0][1:].islower()):
        return text
    cut = max(0, len(text) - 80)
    tail = text[cut:]
    if _has_any(tail.lower(), _SIGNOFF_HINTS):
        tail = _sub(_EN_SIGNOFF_RE, tail, found, "name", NAME, accept, group=-1)
    if "-" in tail or "–" in tail or "—" in tail or "~" in tail:
        tail = _sub(_EN_DASH_RE, tail, found, "name", NAME, accept, group=1)
    return text[:cut] + tail


def _split_ko_name(word: str) -> tuple[str, str]:
    """Return (name, ending) for a Hangul run like 김민수입니다 -> (김민수, 입니다)."""
    for end in _KO_NAME_ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 2:
            return word[: -len(end)], word[-len(end):]
    return word, ""


# A letter's sign-off at the very end: "박지성 드림", "김민수 올림.", "이영희 배상"
_KO_SIGNOFF_RE = re.compile(r"(?<![가-힣])([가-힣]{2,4})\s*(?:드림|올림|배상)(?=[\s.!~^]*$)")


def _ko_is_role(name: str) -> bool:
    return any(name.endswith(r) for r in _KO_ROLES)


def _ko_full_name(name: str) -> bool:
    """Return whether ``name`` looks like a Korean full name: a common family name and 1-2 more syllables."""
    if name.startswith(_KO_COMPOUND_SURNAMES):
        return len(name) in (3, 4) and not _ko_is_role(name)
    return len(name) == 3 and name[0] in _KO_SURNAMES and not _ko_is_role(name)


def _ko_names(text: str, found: Found) -> str:
    def labelled(m: re.Match) -> str:
        name, ending = _split_ko_name(m.group(1))
        if not 2 <= len(name) <= 4 or _ko_is_role(name):
            return m.group(0)
        found.add("name")
        return m.group(0)[: m.start(1) - m.start(0)] + NAME + ending

    def myname(m: re.Match) -> str:
        return labelled(m) if _split_ko_name(m.group(1))[1] else m.group(0)

    def intro(m: re.Match) -> str:
        name = m.group(1)
        # 최악이예요 is 최악 + 이예요, not a name ending in 이.
        if not _ko_full_name(name) or (name.endswith("이") and m.string.startswith("예요", m.end())):
            return m.group(0)
        before = m.string[max(0, m.start() - 12):m.start()].rstrip(" \t")
        if before and before[-1] not in ".,!?~\n" and not before.endswith(_KO_INTRO_BEFORE):
            return m.group(0)
        found.add("name")
        return NAME

    def says(m: re.Match) -> str:
        name = m.group(1)
        if not _ko_full_name(name):
            return m.group(0)
        found.add("name")
        return NAME + m.group(0)[len(name):]

    def honorific(m: re.Match) -> str:
        name = m.group(1)
        if not _ko_full_name(name):
            return m.group(0)
        found.add("name")
        return m.group(0)[: m.start(1) - m.start(0)] + NAME

    def signoff(m: re.Match) -> str:
        # "감사합니다. 박지성 드림" ends a message; "선물로 드림" (gave it as a gift) is no sign-off.
        name = m.group(1)
        before = m.string[:m.start()].rstrip(" \t")
        if not before or before[-1] not in ".!?~\n" or name[-1] in "로에께게도를을만랑" or not _ko_full_name(name):
            return m.group(0)
        found.add("name")
        return NAME + m.group(0)[len(name):]

    if "이름" in text or ":" in text or "：" in text:
        text = _KO_LABEL_RE.sub(labelled, text)
        text = _KO_MYNAME_RE.sub(myname, text)
    if "라고" in text:
        text = _KO_SAYS_RE.sub(says, text)
    if "입니다" in text or "이에요" in text or "예요" in text:
        text = _KO_INTRO_RE.sub(intro, text)
    if "님" in text or "씨" in text:
        for rx in _KO_HONORIFIC_RES:
            text = rx.sub(honorific, text)
    if "드림" in text or "올림" in text or "배상" in text:
        text = _KO_SIGNOFF_RE.sub(signoff, text)
    return text


# --- the pass ----------------------------------------------------------------------------------

def _redact(text: str, names: tuple[str, ...], found: Found) -> str:
    out = text
    if "://" in out:
        out = _sub(_URL_RE, out, found, "url", URL, _secret_url)
    if "=" in out:
        out = _sub(_SECRET_URL_RE, out, found, "url", URL)
    if "@" in out:
        out = _sub(_EMAIL_RE, out, found, "email", EMAIL)
    low = out.lower()
    if ("dot" in low or "골뱅이" in out or (("[" in out or "(" in out or "{" in out or "<" in out)
                                          and _OBF_HINT_RE.search(low))):
        out = _sub(_OBF_EMAIL_RE, out, found, "email", EMAIL, _obf_email)
    has_hangul = bool(_HANGUL_RE.search(out))
    if _ANY_DIGIT_RE.search(out):
        if out.count(":") >= 2:
            out = _sub(_IPV6_RE, out, found, "ip", IP, _ipv6)
        if out.count(".") >= 3 and _IPV4_HINT_RE.search(out):
            out = _sub(_IPV4_RE, out, found, "ip", IP, _ipv4)
        # Cheap pre-check keeps the common case fast: most reviews have no run of seven digits.
        if _DIGIT_RUN_RE.search(out):
            if _IBAN_HINT_RE.search(out):
                out = _iban(out, found)
            out = _sub(_RRN_RE, out, found, "rrn", RRN, _rrn)
            out = _sub(_SSN_RE, out, found, "ssn", SSN, _ssn)
            out = _sub(_CARD_RE, out, found, "card", CARD, _card)
            for rx in _PHONE_RES:
                out = _sub(rx, out, found, "phone", PHONE)
            out = _sub(_ACCOUNT_RE, out, found, "account", ACCOUNT, _account, group=1)
            if _SEVEN_DIGITS_RE.search(_DATETIME_RE.sub(" ", out)):
                out = _phones_lib(out, found)
        if "passport" in low or "여권" in out:
            out = _sub(_PASSPORT_RE, out, found, "passport", PASSPORT, group=1)
        if "box" in low:
            out = _sub(_PO_BOX_RE, out, found, "address", ADDRESS)
        if _HOUSE_NUMBER_RE.search(out) and _EN_ADDRESS_HINT_RE.search(out):
            out = _sub(_EN_ADDRESS_RE, out, found, "address", ADDRESS)
        if has_hangul:
            if "동" in out and "호" in out:
                out = _sub(_KO_UNIT_RE, out, found, "address", ADDRESS)
            if "로" in out or "길" in out:
                out = _sub(_KO_ROAD_RE, out, found, "address", ADDRESS, _ko_road)
            if "동" in out or "리" in out or _DIGIT_GA_RE.search(out):
                out = _sub(_KO_LOT_RE, out, found, "address", ADDRESS, _ko_lot)
    out = _en_names(out, found)
    if has_hangul:
        out = _ko_names(out, found)
    for name in names:
        name = (name or "").strip()
        # Substring test first: compiling a pattern per author would dominate large ingests.
        if len(name) >= 2 and not name.isdigit() and name.casefold() in out.casefold():
            new = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME, out, flags=re.IGNORECASE)
            if new != out:
                found.add("name")
                out = new
    return out


def redact(text: str, names: tuple[str, ...] = ()) -> str:
    """Return ``text`` with personal data replaced by placeholders ([PHONE], [EMAIL], [RRN], [NAME], ...).

    ``names`` are known names to remove wherever they occur (for example the review's author).
    Idempotent: redacting redacted text changes nothing.
    """
    if not text:
        return text
    return _redact(text, tuple(names), set())


def kinds(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """Return the sorted kinds of personal data found in ``text`` ("phone", "name", ...); [] when clean.

    The kinds are the placeholder names in lower case: address, account, card, email, iban, ip, name,
    passport, phone, rrn, ssn, url.
    """
    found: Found = set()
    if text:
        _redact(text, tuple(names), found)
    return sorted(found)


def pseudonym(value: str, key: bytes) -> str:
    """Return a stable, keyed pseudonym ("c_" + 16 hex digits) for an author identity."""
    norm = " ".join(str(value).split()).casefold()
    return "c_" + hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
