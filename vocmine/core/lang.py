"""Language of a feedback text, decided by script and function words (fast, offline).

Product feedback is short: "배송 느림", "runs small". Statistical detectors need more text than
that, but the script alone separates Korean from English reliably, and English function words
separate English from the other Latin-script languages we may meet.
"""
from __future__ import annotations

import re

_WORD_RE = re.compile(r"[a-zà-öø-ÿ']+")
_EN = frozenset(
    "the a an and or but is are was were be been it its this that these those i me my we our you your he she they "
    "them their to of in on for with at by from as not no very too so just than then have has had do does did "
    "can could would should will wont don't doesn't didn't isn't wasn't it's i'm im love like good great bad "
    "small large big size fit nice really much more after before when what which who".split()
)
_OTHER = {
    "es": frozenset("el la los las de que y en un una es por con para muy pero se lo del al".split()),
    "fr": frozenset("le la les de des et est un une pour avec très mais pas que qui dans du au".split()),
    "de": frozenset("der die das und ist nicht ein eine mit für sehr aber auch zu den dem ich".split()),
}


_HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _script_counts(text: str) -> tuple[int, int, int, int, int]:
    letters = len(_LETTER_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if latin == letters:  # the common case: plain Latin-script text
        return 0, latin, 0, 0, 0
    hangul = len(_HANGUL_RE.findall(text))
    kana = len(_KANA_RE.findall(text))
    han = len(_HAN_RE.findall(text))
    return hangul, latin, kana, han, max(0, letters - hangul - latin - kana - han)


def detect(text: str) -> str:
    """Return the language code of ``text``: "en", "ko", another ISO 639-1 code, or "und".

    Mixed Korean/English text is "ko" when Hangul carries at least a quarter of the letters
    (Korean reviews often quote English product words), else "en".
    """
    if not text:
        return "und"
    text = text[:600]  # the opening is enough, and long texts stay cheap
    if not text.isascii():
        hangul, latin, kana, han, other = _script_counts(text)
        letters = hangul + latin + kana + han + other
        if letters == 0:
            return "und"
        if hangul and hangul * 4 >= letters - han:
            return "ko"
        if kana and kana * 5 >= letters:
            return "ja"
        if han and han * 2 >= letters:
            return "zh"
        if other * 2 > letters:
            return "und"
    words = _WORD_RE.findall(text.lower())
    if not words:
        return "und"
    en = sum(w in _EN for w in words)
    if en >= 3 and en * 5 >= len(words):
        return "en"
    best, best_n = "en", en
    for code, vocab in _OTHER.items():
        n = sum(w in vocab for w in words)
        if n > best_n:
            best, best_n = code, n
    if best != "en" and best_n >= 2:
        return best
    return "en"
