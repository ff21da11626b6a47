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
import re

from vocmine.core.privacy.patterns import (
    ACCOUNT, ADDRESS, CARD, EMAIL, Found, IP, NAME, PASSPORT, PHONE, RRN, SSN, URL, _ACCOUNT_RE,
    _ANY_DIGIT_RE, _CARD_RE, _DATETIME_RE, _DIGIT_GA_RE, _DIGIT_RUN_RE, _EMAIL_RE,
    _EN_ADDRESS_HINT_RE, _EN_ADDRESS_RE, _HANGUL_RE, _HOUSE_NUMBER_RE, _IBAN_HINT_RE, _IPV4_HINT_RE,
    _IPV4_RE, _IPV6_RE, _KO_LOT_RE, _KO_ROAD_RE, _KO_UNIT_RE, _OBF_EMAIL_RE, _OBF_HINT_RE,
    _PASSPORT_RE, _PHONE_RES, _PO_BOX_RE, _RRN_RE, _SECRET_URL_RE, _SEVEN_DIGITS_RE, _SSN_RE,
    _URL_RE,
)
from vocmine.core.privacy.checks import (
    _account, _card, _iban, _ipv4, _ipv6, _ko_lot, _ko_road, _obf_email, _phones_lib, _rrn,
    _secret_url, _ssn, _sub,
)
from vocmine.core.privacy.names import _en_names, _ko_names
from vocmine.core.privacy.checks import luhn_ok  # noqa: F401 - public
from vocmine.core.privacy.patterns import IBAN, PLACEHOLDERS  # noqa: F401 - public

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
