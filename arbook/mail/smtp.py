"""Send messages over one SMTP connection (STARTTLS or SSL); per-message results in plain words.

Credentials never come from the workbook (it is mailed around and stored on shares): the user
name comes from Settings or ``ARBOOK_SMTP_USER``, the password only from ``ARBOOK_SMTP_PASSWORD``
or the OS keyring (service "arbook", optional ``keyring`` package). The password is never logged
and never part of an exception text: server replies are scrubbed of it before they are shown.

``security="none"`` (no encryption) is allowed only for a server on this machine: elsewhere the
password and the letters, which carry personal and financial data, would cross the network in
clear text. Local relays and test servers are the one legitimate use.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from arbook.core.problems import ArbookError

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
USER_VAR, PASSWORD_VAR = "ARBOOK_SMTP_USER", "ARBOOK_SMTP_PASSWORD"
KEYRING_SERVICE = "arbook"


class SmtpProblem(ArbookError):
    """The SMTP server could not be reached or refused the login: nothing was sent."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: Security = "starttls"
    user: str = ""
    timeout: float = 30.0
    cafile: Path | None = None  # a company CA for the server certificate; system CAs otherwise

    @classmethod
    def from_settings(cls, host: str, port: int | None = None, security: str = "starttls",
                      user: str = "", env: Mapping[str, str] | None = None,
                      cafile: Path | None = None) -> SmtpConfig:
        """Settings values, with the user name from ARBOOK_SMTP_USER taking precedence."""
        env = os.environ if env is None else env
        if security not in ("starttls", "ssl", "none"):
            raise ArbookError(f"SMTP security '{security}' is unknown; use starttls, ssl or none")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        config = cls(host=host.strip(), port=int(port or default_port),
                     security=security,  # type: ignore[arg-type]
                     user=env.get(USER_VAR, "") or user, cafile=cafile)
        config.check()
        return config

    def check(self) -> None:
        if not self.host:
            raise ArbookError("no SMTP server set; fill in the SMTP host in Settings")
        if self.security == "none" and self.host.lower() not in LOCAL_HOSTS:
            raise ArbookError(f"SMTP without encryption is only allowed to this machine, not to "
                              f"{self.host}: password and letters would travel in clear text. "
                              "Use starttls (port 587) or ssl (port 465).")


@dataclass(frozen=True)
class SendResult:
    message_id: str
    ok: bool
    error: str = ""  # plain words for the Reminders sheet and the journal


def password_for(config: SmtpConfig, env: Mapping[str, str] | None = None) -> str | None:
    """From ARBOOK_SMTP_PASSWORD, else the OS keyring; None when neither has one."""
    env = os.environ if env is None else env
    if env.get(PASSWORD_VAR):
        return env[PASSWORD_VAR]
    if not config.user:
        return None
    try:
        import keyring  # optional: pip install arbook[keyring]
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, config.user)
    except Exception:  # a locked or absent keyring backend is the same as no entry
        return None


def send(config: SmtpConfig, messages: Iterable[EmailMessage],
         env: Mapping[str, str] | None = None) -> list[SendResult]:
    """Send all messages over one connection; SmtpProblem if none could be sent at all."""
    config.check()
    password = password_for(config, env)
    scrub = _scrubber(password)
    messages = list(messages)
    if not messages:
        return []
    if config.user and password is None:
        raise SmtpProblem(f"no SMTP password for user {config.user}: set {PASSWORD_VAR} or "
                          f"store it in the OS keyring (service '{KEYRING_SERVICE}'). "
                          "Nothing was sent.")
    try:
        server = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpProblem(f"cannot reach the SMTP server {config.host}:{config.port} "
                          f"({config.security}): {scrub(_plain(exc))}. Nothing was sent.") from None
    try:
        _login(server, config, password, scrub)
        return [_send_one(server, msg, scrub) for msg in messages]
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=str(config.cafile) if config.cafile else None)
    if config.security == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                context=context)
    server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    if config.security == "starttls":
        server.ehlo()
        server.starttls(context=context)
        server.ehlo()
    return server


def _login(server: smtplib.SMTP, config: SmtpConfig, password: str | None, scrub) -> None:
    if not config.user or password is None:
        return
    try:
        server.login(config.user, password)
    except smtplib.SMTPAuthenticationError:
        raise SmtpProblem(f"the SMTP server {config.host} refused the login of user "
                          f"{config.user}; check the password in {PASSWORD_VAR} or the keyring. "
                          "Nothing was sent.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpProblem(f"login to {config.host} failed: {scrub(_plain(exc))}. "
                          "Nothing was sent.") from None


def _send_one(server: smtplib.SMTP, msg: EmailMessage, scrub) -> SendResult:
    message_id = str(msg.get("Message-ID", ""))
    try:
        refused = server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("not sent %s: %s", message_id, scrub(_plain(exc)))
        return SendResult(message_id, False, scrub(_plain(exc)))
    if refused:
        text = "; ".join(f"{addr} refused ({code} {_decode(reply)})"
                         for addr, (code, reply) in refused.items())
        log.warning("partly sent %s: %s", message_id, scrub(text))
        return SendResult(message_id, False, scrub(f"sent, but {text}"))
    log.info("sent %s", message_id)
    return SendResult(message_id, True)


def _plain(exc: BaseException) -> str:
    """An smtplib/socket exception in words a clerk can act on."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "all recipients refused: " + ", ".join(
            f"{addr} ({code} {_decode(reply)})" for addr, (code, reply) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({exc.smtp_code} {_decode(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server answered {exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    for kind, words in _WORDS:
        if isinstance(exc, kind):
            return words
    return str(exc) or type(exc).__name__


_WORDS = (
    (smtplib.SMTPServerDisconnected, "the server closed the connection"),
    (smtplib.SMTPNotSupportedError, "the server does not support this (STARTTLS or AUTH?)"),
    (socket.gaierror, "host name not found"),
    (TimeoutError, "no answer (timeout)"),
    (ConnectionRefusedError, "connection refused (wrong host or port?)"),
)


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _scrubber(password: str | None):
    """Remove the password (and its base64 form) from any text we show."""
    secrets: list[str] = []
    if password:
        secrets.append(password)
        raw = password.encode("utf-8")
        secrets.append(base64.b64encode(raw).decode("ascii"))  # AUTH LOGIN sends it so

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return scrub
