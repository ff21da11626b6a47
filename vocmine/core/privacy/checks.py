"""The checks that accept a pattern's match as personal data (check digits, context words, phone
number validity) and the substitution that records what was found."""
from __future__ import annotations

import ipaddress
import re
from typing import Callable
import phonenumbers
from stdnum import iban as _std_iban
from stdnum.kr import rrn as _std_rrn
from stdnum.us import ssn as _std_ssn

from vocmine.core.privacy.patterns import (
    Found, IBAN, PHONE, _DATE_RE, _IBAN_RE, _KO_NOT_ROADS, _SECRET_PARAM_RE, _SSN_CONTEXT_RE,
    _USERINFO_RE,
)


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
