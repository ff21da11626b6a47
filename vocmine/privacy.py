"""Redaction of personal data and keyed pseudonyms for authors.

Redaction runs on every text before it is analysed or published. It is deliberately greedy:
a false positive costs a few characters of a review, a false negative leaks a customer's
phone number onto a public page.
"""
from __future__ import annotations

import hashlib
import hmac
import re

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
URL = "[URL]"
NAME = "[NAME]"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# URLs that carry secrets: credentials in the authority, or a query/fragment parameter whose
# name says it is a token, key, signature, password or session.
_URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)]+", re.IGNORECASE)
_SECRET_PARAM_RE = re.compile(
    r"[?&#;](?:[\w.-]*?(?:token|key|secret|sig|signature|password|passwd|pwd|session|sessionid|"
    r"auth|code|credential|ticket|otp))=",
    re.IGNORECASE,
)
_USERINFO_RE = re.compile(r"^[a-z]+://[^/@\s]+@", re.IGNORECASE)

# Card numbers: 13-19 digits, optionally grouped by spaces or dashes; confirmed with Luhn.
_CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Phone numbers. Korean mobile/landline (010-1234-5678, 01012345678, 02-123-4567, +82 10 1234 5678),
# North American ((415) 555-0134, 415-555-0134, +1 415 555 0134) and generic international +CC forms.
_PHONE_RES = [
    re.compile(r"(?<![\w+])\+?82[ .-]?\(?0?1[016789]\)?[ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\w+])\+?82[ .-]?\(?0?[2-6]\d?\)?[ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\d-])01[016789][ .-]?\d{3,4}[ .-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\d-])0(?:2|[3-6][1-5])[ .-]\d{3,4}[ .-]\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])(?:\+?1[ .-]?)?\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?!\d)"),
    re.compile(r"(?<![\w+-])(?:\+?1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)"),
]
# Self-introductions and sign-offs that carry a name. Names are only detectable in context.
_EN_NAME_RES = [
    re.compile(r"\b((?:my name is|my name's|this is|i am|i'm)\s+)([A-Z][a-z]+(?:\s+[A-Z][a-z]*\.?){0,2})",
               re.IGNORECASE),
    re.compile(r"((?:^|\n|[^\w\s]\s*)(?:thanks|thank you|(?:best |kind |warm )?regards|best|cheers|sincerely)[,!]?\s+-?\s*)"
               r"([A-Z][a-z]+(?:\s+[A-Z][a-z]*\.?)?)\s*$", re.IGNORECASE),
]
_NOT_NAMES = {
    "not", "so", "very", "really", "a", "an", "the", "in", "on", "at", "happy", "glad", "sad", "disappointed",
    "satisfied", "sure", "writing", "going", "still", "just", "also", "here", "now", "from", "with", "about",
    "sorry", "impressed", "returning", "done", "pleased", "unhappy", "upset", "angry", "tired", "thankful",
    "grateful", "amazed", "surprised", "excited", "confused", "never", "always", "too", "quite", "pretty",
    "definitely", "totally", "absolutely", "usually", "normally", "kind", "looking", "loving", "using",
}
_KO_NAME_RES = [
    # 저는 김민지입니다 / 제 이름은 김민지이고 / 김민지 고객입니다
    re.compile(r"((?:저는|제 이름은|이름은)\s*)([가-힣]{2,4})(?=\s*(?:입니다|이에요|예요|이고|이라고|라고|고객))"),
    re.compile(r"([가-힣]{2,4})(?=\s*(?:고객님|님께|님이|님은|씨가|씨는))"),
]
_DIGIT_RUN_RE = re.compile(r"\d[\d ().+-]{5,}\d")
_SIGNOFFS = ("thanks", "thank you", "regards", "best", "cheers", "sincerely")
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
_KO_NOT_NAMES = {"고객", "판매자", "기사", "배송기사", "상담원", "사장", "직원", "택배", "관리자", "저희", "제가"}


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


def _card(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
        return CARD
    return m.group(0)


def _url(m: re.Match) -> str:
    url = m.group(0)
    if _USERINFO_RE.match(url) or _SECRET_PARAM_RE.search(url):
        return URL
    return url


def _en_name(m: re.Match) -> str:
    lead, name = m.group(1), m.group(2)
    words = name.split()
    if not words or words[0].lower().rstrip(".") in _NOT_NAMES or not words[0][0].isupper():
        return m.group(0)
    # Keep only capitalised words as the name; what follows stays.
    kept = []
    for w in words:
        if w[0].isupper() and w.lower().rstrip(".") not in _NOT_NAMES:
            kept.append(w)
        else:
            break
    rest = name[len(" ".join(kept)):]
    return f"{lead}{NAME}{rest}"


def _ko_name(m: re.Match) -> str:
    if m.lastindex == 2:
        lead, name = m.group(1), m.group(2)
    else:
        lead, name = "", m.group(1)
    if name in _KO_NOT_NAMES:
        return m.group(0)
    return f"{lead}{NAME}"


def redact(text: str, names: tuple[str, ...] = ()) -> str:
    """Return ``text`` with emails, phone numbers, card numbers, secret-bearing URLs and names replaced.

    ``names`` are known names to remove wherever they occur (for example the review's author).
    """
    if not text:
        return text
    out = _URL_RE.sub(_url, text) if "://" in text else text
    if "@" in out:
        out = _EMAIL_RE.sub(EMAIL, out)
    # Cheap pre-checks keep the common case (no personal data) fast: most reviews have no run
    # of seven digits, no self-introduction and no sign-off.
    if _DIGIT_RUN_RE.search(out):
        out = _CARD_RE.sub(_card, out)
        for rx in _PHONE_RES:
            out = rx.sub(PHONE, out)
    low = out.lower()
    if "name" in low or "i am " in low or "i'm " in low or "this is " in low:
        out = _EN_NAME_RES[0].sub(_en_name, out)
    tail = low[-60:]
    if any(w in tail for w in _SIGNOFFS):
        out = _EN_NAME_RES[1].sub(_en_name, out)
    if _HANGUL_RE.search(out):
        for rx in _KO_NAME_RES:
            out = rx.sub(_ko_name, out)
    for name in names:
        name = (name or "").strip()
        # Substring test first: compiling a pattern per author would dominate large ingests.
        if len(name) >= 2 and not name.isdigit() and name.casefold() in out.casefold():
            out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME, out, flags=re.IGNORECASE)
    return out


def pseudonym(value: str, key: bytes) -> str:
    """Return a stable, keyed pseudonym ("c_" + 16 hex digits) for an author identity."""
    norm = " ".join(str(value).split()).casefold()
    return "c_" + hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
