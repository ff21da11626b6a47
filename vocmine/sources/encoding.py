"""Detecting the text encoding of an export: UTF-8 (with or without BOM), UTF-16, CP949/EUC-KR."""
from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import SourceError

_SAMPLE = 8 << 20  # 8 MiB: whole files for typical exports, a large prefix for big ones


def _decodes(data: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        dec.decode(data, final=False)  # a sample may end inside a multi-byte character
        return True
    except UnicodeDecodeError:
        return False


def detect_encoding(path: Path) -> str:
    """Return the Python codec name that reads ``path``.

    Korean spreadsheets saved as CSV by Excel are CP949 (a superset of EUC-KR); everything
    else we meet is UTF-8, sometimes with a BOM. charset-normalizer decides the rest.
    """
    with open(path, "rb") as f:
        data = f.read(_SAMPLE)
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _decodes(data, "cp949"):
        return "cp949"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a core dependency
        best = None
    else:
        best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise SourceError(
            f"{path}: cannot tell the text encoding (not UTF-8 or CP949/EUC-KR); "
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
