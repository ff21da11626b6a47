"""The built-in notifier: email over SMTP (STARTTLS on 587, or SSL), its settings from the
arguments and ``VOCMINE_SMTP_*`` (the password only from the environment), and the claim that
marks a message "sending" right before its DATA, so a message is never sent twice.
"""
from __future__ import annotations

import email.policy
import email.utils
import os
import smtplib
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

from vocmine.core.errors import ConfigError


DEFAULT_FROM = "vocmine@localhost"


def _sender(smtp: Mapping[str, Any] | None) -> str:
    return str((smtp or {}).get("from") or os.environ.get("VOCMINE_SMTP_FROM") or DEFAULT_FROM)


def _smtp_settings(smtp: Mapping[str, Any] | None) -> dict[str, Any]:
    s = dict(smtp or {})
    env = os.environ
    tls = s.get("tls")
    ssl = bool(s.get("ssl"))
    port = s.get("port") or env.get("VOCMINE_SMTP_PORT")
    return {
        "host": s.get("host") or env.get("VOCMINE_SMTP_HOST") or "localhost",
        "port": int(port) if port else (465 if ssl else 587 if tls is not False else 25),
        "user": s.get("user") or env.get("VOCMINE_SMTP_USER") or None,
        "password": s.get("password") or env.get("VOCMINE_SMTP_PASSWORD") or None,
        "tls": True if tls is None and not ssl else bool(tls),
        "ssl": ssl,
        "timeout": float(s.get("timeout") or 30),
        "from": _sender(s),
    }


class _Claimed(Exception):
    """Another run claimed (or cancelled) the message first: this run must not send it."""


class _IntentBeforeData:
    """An SMTP client that calls ``before_data()`` just before DATA, when the server could first
    receive the message: the intent is recorded there, and nothing earlier can deliver anything."""

    before_data: Callable[[], None] | None = None

    def data(self, msg):  # noqa: D102 - smtplib's own
        if self.before_data is not None:
            self.before_data()
        return super().data(msg)  # type: ignore[misc]  # a mixin: smtplib.SMTP follows it in the MRO


class _SMTP(_IntentBeforeData, smtplib.SMTP):
    pass


class _SMTPSSL(_IntentBeforeData, smtplib.SMTP_SSL):
    pass


def _connect(cfg: Mapping[str, Any]) -> _SMTP | _SMTPSSL:
    where = f"{cfg['host']}:{cfg['port']}"
    try:
        if cfg["ssl"]:
            server: _SMTP | _SMTPSSL = _SMTPSSL(cfg["host"], cfg["port"], timeout=cfg["timeout"])
        else:
            server = _SMTP(cfg["host"], cfg["port"], timeout=cfg["timeout"])
        server.ehlo()
        if cfg["tls"] and not cfg["ssl"]:
            if not server.has_extn("starttls"):
                server.quit()
                raise ConfigError(f"SMTP server {where} does not offer STARTTLS; use --no-smtp-tls for a server "
                                  "on a trusted network, or --smtp-port 465 with ssl")
            server.starttls()
            server.ehlo()
        if cfg["user"]:
            if not cfg["password"]:
                server.quit()
                raise ConfigError(f"SMTP user {cfg['user']!r} given without a password; set VOCMINE_SMTP_PASSWORD")
            server.login(cfg["user"], cfg["password"])
    except smtplib.SMTPAuthenticationError:
        raise ConfigError(f"SMTP server {where} refused the login of user {cfg['user']!r}; check "
                          "VOCMINE_SMTP_USER and VOCMINE_SMTP_PASSWORD") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ConfigError(f"could not talk to the SMTP server {where}: {exc or type(exc).__name__}; check "
                          "--smtp-host and --smtp-port") from None
    return server


class Refused(Exception):
    """The mail service refused one message (recipient, sender or content): retried on the next run."""


class SmtpNotifier:
    """The ``smtp`` notifier: delivers over SMTP (STARTTLS by default, or implicit TLS).

    Built from the ``smtp`` settings of ``notify`` (host, port, user, password, tls, ssl, timeout,
    from; missing ones from $VOCMINE_SMTP_*). ``claim`` runs just before DATA, the first moment
    the server can have the message.
    """

    type = "smtp"

    def __init__(self, smtp: Mapping[str, Any] | None = None) -> None:
        self.cfg = _smtp_settings(smtp)
        self._server: _SMTP | _SMTPSSL | None = None

    def __repr__(self) -> str:  # no password: this may be logged
        return f"SmtpNotifier({self.cfg['host']}:{self.cfg['port']})"

    def open(self) -> None:
        """Connect (and log in); ConfigError says why it cannot."""
        self._server = _connect(self.cfg)

    def send(self, message: EmailMessage, to: str, claim: Callable[[], None]) -> None:
        """Send ``message`` to ``to``; ``claim()`` runs just before DATA (if it raises, nothing is sent)."""
        if self._server is None:
            self.open()
        server = self._server
        assert server is not None
        server.before_data = claim
        try:
            server.send_message(message, from_addr=email.utils.parseaddr(self.cfg["from"])[1], to_addrs=[to])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            raise Refused(f"{type(exc).__name__}: {exc}") from exc
        except (OSError, smtplib.SMTPException):
            raise
        except Exception:
            server.rset()  # claim said no before DATA: nothing went out
            raise

    def close(self) -> None:
        """Say goodbye to the server (a broken connection is simply dropped)."""
        if self._server is None:
            return
        try:
            self._server.quit()
        except (OSError, smtplib.SMTPException):
            pass
        self._server = None


def get_notifier(name: str | Any = "smtp", smtp: Mapping[str, Any] | None = None) -> Any:
    """Return the notifier registered as ``name`` built from ``smtp`` (or ``name`` itself, an object)."""
    from vocmine.core import plugins

    if not isinstance(name, str):
        return name
    cls = plugins.load("vocmine.notifiers", name)
    return cls(smtp)
