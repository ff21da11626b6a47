"""Keep credentials out of messages, stored errors and logs.

``register(value)`` remembers a credential in use (the trackers register their tokens when they
are built); ``scrub(text)`` returns ``text`` with every registered value and anything shaped like
a credential replaced by ``[secret]``: ``Bearer`` / ``Basic`` / ``token`` values, GitHub
(``ghp_``, ``gho_``, ``github_pat_``...), Linear (``lin_api_``, ``lin_oauth_``), Slack
(``xox*-``), Atlassian (``ATATT``) tokens, JWTs, AWS access keys, ``password=`` / ``token=`` /
``api_key:`` pairs, long hex or base64 values right after "token", "key" or "secret", and the
``user:password@`` part of URLs.

``SecretFilter`` is a logging filter that scrubs a record's message and traceback; vocmine
attaches it to the handlers it configures (the CLI's and the weekly file log).
"""
from __future__ import annotations

import logging
import re
import threading
import traceback

MASK = "[secret]"
_MIN_LEN = 6  # shorter values would scrub ordinary words
_lock = threading.Lock()
_values: set[str] = set()

_NAMES = (r"password|passwd|pwd|pw|passphrase|secret|client_secret|token|access_token|refresh_token|id_token|"
          r"auth_token|api[_-]?key|apikey|private[_-]?key|aws_secret_access_key|session[_-]?token|auth")
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization-style values: "Bearer abc", "Basic dXNlcjpwYXNz", "token ghp_..." (GitHub's scheme).
    # (a value with a digit, or a long one: "token expired" stays as it is).
    (re.compile(r"\b(Bearer|Basic|Token|Digest)(\s+)(?:(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}|"
                r"[A-Za-z0-9._~+/=-]{20,})", re.IGNORECASE), r"\1\2" + MASK),
    # Vendors' token shapes.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,})"), MASK),
    (re.compile(r"\blin_(?:api|oauth)_[A-Za-z0-9]{8,}"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"), MASK),
    (re.compile(r"\bATATT[A-Za-z0-9_=-]{10,}"), MASK),
    (re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{10,}"), MASK),
    # JSON Web Tokens: three base64url parts, the first a JSON header ("eyJ").
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), MASK),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), MASK),
    # name=value and "name": "value" pairs (query strings, config dumps, JSON bodies).
    (re.compile(r"(?<![A-Za-z0-9])(" + _NAMES + r")([\"']?\s*[=:]\s*[\"']?)(?!\[secret\])[^\s\"'&,;<>)\]}]+",
                re.IGNORECASE), r"\1\2" + MASK),
    # A long hex or base64 value right after "token", "key" or "secret" ("token 'a1b2...'", "key: ...").
    (re.compile(r"\b(token|key|secret)(s?\W{0,3})(?!\[secret\])(?=[A-Za-z_+=-]*\d)([A-Za-z0-9_+=-]{20,})",
                re.IGNORECASE), r"\1\2" + MASK),
    # user:password@ in URLs.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.IGNORECASE), r"\1" + MASK + "@"),
]


def register(*values: str | None) -> None:
    """Remember credentials in use so that ``scrub`` removes them wherever they appear."""
    with _lock:
        for v in values:
            v = str(v or "").strip()
            if len(v) >= _MIN_LEN:
                _values.add(v)


def registered() -> int:
    """Return how many credential values are registered (never the values)."""
    return len(_values)


def scrub(text: object) -> str:
    """Return ``text`` as a string with registered credentials and credential-shaped values masked."""
    s = "" if text is None else str(text)
    if not s:
        return s
    with _lock:
        values = sorted(_values, key=len, reverse=True)  # longest first: a token inside a Basic value
    for v in values:
        if v in s:
            s = s.replace(v, MASK)
    for pattern, repl in _PATTERNS:
        s = pattern.sub(repl, s)
    return s


class SecretFilter(logging.Filter):
    """A logging filter that scrubs the message, its arguments and any traceback of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record`` in place; always return True (nothing is dropped)."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still gets logged, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


FILTER = SecretFilter()


def protect(handler: logging.Handler) -> logging.Handler:
    """Attach the scrubbing filter to ``handler`` (once) and return it."""
    if not any(isinstance(f, SecretFilter) for f in handler.filters):
        handler.addFilter(FILTER)
    return handler


__all__ = ["register", "scrub", "SecretFilter", "protect", "MASK", "registered"]
