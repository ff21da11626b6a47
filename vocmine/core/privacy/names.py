"""Names where they are detectable: English names after an introduction or a title, Korean names
by surname and context (님, 고객, 씨), never a role word."""
from __future__ import annotations

import re

from vocmine.core.privacy.patterns import (
    Found, NAME, _CLAUSE_END_RE, _EN_DASH_RE, _EN_LEAD_RE, _EN_NAME_AT_RE, _EN_SIGNOFF_RE,
    _GREETING_END_RE, _INTRO_HINTS, _KO_COMPOUND_SURNAMES, _KO_HONORIFIC_RES, _KO_INTRO_BEFORE,
    _KO_INTRO_RE, _KO_LABEL_RE, _KO_MYNAME_RE, _KO_NAME_ENDINGS, _KO_ROLES, _KO_SAYS_RE,
    _KO_SURNAMES, _NOT_NAMES, _SIGNOFF_HINTS, _TITLE_WORD_RE, _TRAILING,
)
from vocmine.core.privacy.checks import _sub


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
