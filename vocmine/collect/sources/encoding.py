"""Text encodings of exports: judged per file, checked for mojibake, with a per-line fallback.

A file is read in the encoding most of its lines decode in (UTF-8 with or without BOM, UTF-16,
CP949/EUC-KR, Windows-1252, or what charset-normalizer finds). A line that does not decode in it
is tried in the other common encodings, each accepted only when the result reads as text in that
script (Hangul for CP949, Latin words for Windows-1252); a line that decodes in none is reported.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from vocmine.core.errors import SourceError

_SAMPLE = 8 << 20  # 8 MiB: whole files for typical exports, a large prefix for big ones
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_WORD_RE = re.compile(r"\w+")
_FALLBACKS = ("utf-8", "cp949", "cp1252")

# Encoding names as the user and the messages see them.
LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp949": "CP949/EUC-KR", "cp1252": "Windows-1252/Latin-1"}


def _decodes(data: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        dec.decode(data, final=False)  # a sample may end inside a multi-byte character
        return True
    except UnicodeDecodeError:
        return False


def reads_as(text: str, encoding: str) -> bool:
    """Return whether ``text`` (decoded with ``encoding``) reads as that encoding's script, not mojibake.

    CP949 decodes many byte pairs that were never Korean, and Windows-1252 decodes every byte:
    the decoded text must look like Hangul, or like Latin words with an accent here and there.
    """
    text = text[:200_000]  # a large sample is as good as the whole, and bounded in time
    non_ascii = _NON_ASCII_RE.findall(text)
    if not non_ascii:
        return True
    if encoding == "cp949":
        # UTF-8 Korean read as CP949 also gives Hangul, but mostly rare syllables outside the 2,350
        # of KS X 1001 (EUC-KR) that real Korean text is written in.
        common = 0
        for ch in _HANGUL_RE.findall(text):
            try:
                ch.encode("euc_kr")
                common += 1
            except UnicodeEncodeError:
                pass
        return common >= 0.6 * len(non_ascii)
    if encoding == "cp1252":
        # Western European words carry an accented letter or two among plain ones; Cyrillic, Greek
        # or Korean bytes read as Windows-1252 give words made of accented letters only.
        words = [w for w in _WORD_RE.findall(text) if _NON_ASCII_RE.search(w)]
        if not words:
            return all(c in "€‚„…†‡‰‹›‘’“”•–—™·°±§©®«»¿¡£¥¢" for c in non_ascii)
        latin = sum(1 for w in words if len(_NON_ASCII_RE.findall(w)) * 2 <= len(w))
        return latin >= 0.8 * len(words)
    return True


def decode_line(line: bytes, encoding: str) -> tuple[str, str | None]:
    """Return (text, encoding used): ``encoding`` first, then a fallback that reads as text.

    The encoding is None when no encoding decodes the line cleanly; the text then has U+FFFD
    in place of the bad bytes and the caller rejects it.
    """
    if encoding not in ("utf-8", "utf-8-sig") and not line.isascii():
        # Valid UTF-8 with non-ASCII bytes is next to never an accident of another encoding, while
        # CP949 and Windows-1252 decode UTF-8 bytes into mojibake without an error.
        try:
            return line.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return line.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    for enc in _FALLBACKS:
        if enc == encoding or (enc == "utf-8" and encoding == "utf-8-sig"):
            continue
        try:
            text = line.decode(enc)
        except UnicodeDecodeError:
            continue
        if reads_as(text, enc):
            return text, enc
    return line.decode(encoding, errors="replace"), None


def _judge(data: bytes) -> str | None:
    """Return the encoding most non-ASCII lines of ``data`` decode in, None when no line votes."""
    ok_utf8 = bad_utf8 = ascii_lines = 0
    for line in data.split(b"\n")[:-1] if len(data) >= _SAMPLE else data.split(b"\n"):
        if line.isascii():
            ascii_lines += 1
            continue
        try:
            line.decode("utf-8")
            ok_utf8 += 1
        except UnicodeDecodeError:
            bad_utf8 += 1
    if ok_utf8 and ok_utf8 >= bad_utf8:
        return "utf-8"  # the other lines go through decode_line's fallback
    for enc in ("cp949", "cp1252"):
        try:
            text = data.decode(enc, errors="strict") if len(data) < _SAMPLE else codecs.getincrementaldecoder(enc)(
                "strict").decode(data, final=False)
        except UnicodeDecodeError:
            # A few bad lines must not decide the file: vote line by line.
            lines = [ln for ln in data.split(b"\n") if not ln.isascii()]
            good = 0
            for ln in lines:
                try:
                    good += reads_as(ln.decode(enc), enc)
                except UnicodeDecodeError:
                    pass
            if lines and good >= 0.5 * len(lines):
                return enc
            continue
        if reads_as(text, enc):
            return enc
    if bad_utf8 * 4 <= ascii_lines:
        return "utf-8"  # plain ASCII with a few broken lines: those lines are reported, not the file
    return None


def detect_encoding(path: Path) -> str:
    """Return the Python codec name that reads ``path``.

    Korean spreadsheets saved as CSV by Excel are CP949 (a superset of EUC-KR), Western European
    ones Windows-1252; everything else we meet is UTF-8, sometimes with a BOM. charset-normalizer
    decides the rest, and its answer is checked for mojibake.
    """
    with open(path, "rb") as f:
        data = f.read(_SAMPLE)
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(data, "utf-8"):
        return "utf-8"
    judged = _judge(data)
    if judged:
        return judged
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a core dependency
        best = None
    else:
        best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise SourceError(
            f"{path}: cannot tell the text encoding (not UTF-8, CP949/EUC-KR or Windows-1252); "
            f"name it with --encoding (for example --encoding latin-1)"
        )
    return best.encoding


def check_encoding(name: str) -> str:
    """Return ``name`` if Python knows the codec, else raise a ConfigError-style SourceError."""
    try:
        codecs.lookup(name)
    except LookupError:
        raise SourceError(f"unknown encoding {name!r}; try utf-8, utf-8-sig, cp949, euc-kr or latin-1") from None
    return name
