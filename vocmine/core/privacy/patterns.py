"""The placeholders and the patterns of personal data, English and Korean forms: URLs with secrets,
emails (also written "at" / "골뱅이"), national ids, cards, accounts, IBANs, passports, phones,
addresses and the words around names."""
from __future__ import annotations

import re


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
