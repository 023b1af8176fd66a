"""Sending over a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS + AUTH, implicit TLS."""

from __future__ import annotations

import email
import logging
import socket
import ssl
import sys
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from arbook.core.problems import ArbookError
from arbook.mail.message import build_message, make_message_id
from arbook.mail.outbox import write_draft
from arbook.mail.render import render
from arbook.mail.smtp import SmtpConfig, SmtpProblem, password_for, send
from tests.mail_fixtures import AS_OF, letter_context

# Clear-text LOGIN is what the leak test needs (only to 127.0.0.1); aiosmtpd rightly warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SECRET = "Pl4nted-S3cret-xyz"  # the password planted for the leak tests
USER = "mahnwesen@nordlicht.example"


class Inbox:
    """aiosmtpd handler: keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == USER and auth_data.password.decode() == SECRET
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def smtp_server():
    """Start a server with the given options; stopped after the test."""
    started = []

    def start(**kwargs):
        inbox = Inbox()
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


def _letters(n: int = 2):
    messages = []
    for i in range(n):
        ctx = letter_context()
        ctx["customer"]["id"] = f"K-{i + 1}"
        letter = render("final", "de", ctx)
        messages.append(build_message(
            letter, sender=("Nordlicht Großhandel GmbH", "forderungen@nordlicht.example"),
            reply_to=None, to=[(f"Kunde {i + 1} Müller", f"kunde{i + 1}@example.com")],
            cc=["eskalation@nordlicht.example"], date=datetime(2026, 11, 26, 8, tzinfo=UTC),
            message_id=make_message_id(f"K-{i + 1}|final|2026-11-26", "nordlicht.example"),
            customer=f"K-{i + 1}"))
    return messages


def test_plain_localhost_receives_exactly_the_sent_messages(smtp_server):
    inbox, port = smtp_server()
    messages = _letters(2)
    config = SmtpConfig.from_settings("127.0.0.1", port, "none", env={})
    results = send(config, messages, env={})
    assert [r.ok for r in results] == [True, True]
    assert [r.message_id for r in results] == [m["Message-ID"] for m in messages]
    assert len(inbox.envelopes) == 2
    for sent, envelope in zip(messages, inbox.envelopes, strict=True):
        assert envelope.mail_from == "forderungen@nordlicht.example"
        assert sorted(envelope.rcpt_tos) == sorted(
            [sent["To"].addresses[0].addr_spec, "eskalation@nordlicht.example"])
        back = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert back["Subject"] == sent["Subject"] and back["Message-ID"] == sent["Message-ID"]
        assert back["Cc"] == "eskalation@nordlicht.example" and "Bcc" not in back
        plain, html = back.get_body(("plain",)), back.get_body(("html",))
        assert (sent.get_body(("plain",)).get_content().replace("\r\n", "\n")
                == plain.get_content().replace("\r\n", "\n"))
        assert "gerichtliche Mahnverfahren" in plain.get_content()
        assert "<table" in html.get_content() and "Kunde" in html.get_content()


def test_a_refused_recipient_is_a_result_not_an_exception(smtp_server):
    inbox, port = smtp_server()
    good, bad = _letters(2)
    del bad["To"]
    bad["To"] = "unknown@example.com"
    del bad["Cc"]
    results = send(SmtpConfig("127.0.0.1", port, "none"), [bad, good], env={})
    assert not results[0].ok and "unknown@example.com" in results[0].error
    assert "550" in results[0].error and results[1].ok
    assert len(inbox.envelopes) == 1


def test_no_encryption_is_refused_for_other_hosts():
    with pytest.raises(ArbookError, match="clear text"):
        SmtpConfig.from_settings("smtp.example.com", 25, "none", env={})


def test_unreachable_server_is_one_problem_in_plain_words():
    config = SmtpConfig("127.0.0.1", _free_port(), "none", timeout=5)
    with pytest.raises(SmtpProblem, match="connection refused.*Nothing was sent"):
        send(config, _letters(1), env={})


def _certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, made here (cryptography is a test extra)."""
    x509 = pytest.importorskip("cryptography.x509")
    from ipaddress import ip_address

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arbook test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    return cert_path, server_context


def test_starttls_with_login_from_the_environment(smtp_server, tmp_path, caplog):
    cafile, server_context = _certificate(tmp_path)
    inbox, port = smtp_server(tls_context=server_context, require_starttls=True,
                              authenticator=_check_login, auth_required=True)
    env = {"ARBOOK_SMTP_USER": USER, "ARBOOK_SMTP_PASSWORD": SECRET}
    config = SmtpConfig.from_settings("127.0.0.1", port, "starttls", user="ignored", env=env,
                                      cafile=cafile)
    assert config.user == USER  # the environment wins over Settings
    with caplog.at_level(logging.DEBUG):
        results = send(config, _letters(2), env=env)
    assert all(r.ok for r in results) and len(inbox.envelopes) == 2
    assert SECRET not in caplog.text and SECRET not in repr(config)
    for envelope in inbox.envelopes:
        assert SECRET.encode() not in envelope.original_content


def test_implicit_tls(smtp_server, tmp_path):
    cafile, server_context = _certificate(tmp_path)
    inbox, port = smtp_server(ssl_context=server_context)
    results = send(SmtpConfig("127.0.0.1", port, "ssl", cafile=cafile), _letters(1), env={})
    assert results[0].ok and len(inbox.envelopes) == 1


def test_untrusted_certificate_is_refused(smtp_server, tmp_path):
    _cafile, server_context = _certificate(tmp_path)
    _inbox, port = smtp_server(tls_context=server_context, require_starttls=True)
    with pytest.raises(SmtpProblem, match="certificate is not trusted"):
        send(SmtpConfig("127.0.0.1", port, "starttls"), _letters(1), env={})


def test_planted_password_leaks_nowhere(smtp_server, tmp_path, caplog, monkeypatch, capsys):
    inbox, port = smtp_server(authenticator=_check_login, auth_required=True,
                              auth_require_tls=False)  # LOGIN in clear text: localhost only
    monkeypatch.setenv("ARBOOK_SMTP_USER", USER)
    monkeypatch.setenv("ARBOOK_SMTP_PASSWORD", SECRET)
    config = SmtpConfig.from_settings("127.0.0.1", port, "none")
    messages = _letters(1)
    with caplog.at_level(logging.DEBUG):
        assert send(config, messages)[0].ok
        draft = write_draft(messages[0], tmp_path / "outbox", AS_OF, "K-1 final")
        monkeypatch.setenv("ARBOOK_SMTP_PASSWORD", SECRET + "-wrong")
        with pytest.raises(SmtpProblem) as info:
            send(config, messages)
    assert "refused the login" in str(info.value)
    leaks = [str(info.value), repr(info.value), caplog.text, draft.read_text("latin-1"),
             *capsys.readouterr(), inbox.envelopes[0].original_content.decode("latin-1")]
    assert not [text for text in leaks if SECRET in text]


def test_missing_password_is_said_before_connecting(smtp_server):
    _inbox, port = smtp_server(authenticator=_check_login, auth_required=True,
                               auth_require_tls=False)
    config = SmtpConfig("127.0.0.1", port, "none", user=USER)
    with pytest.raises(SmtpProblem, match="ARBOOK_SMTP_PASSWORD"):
        send(config, _letters(1), env={})


def test_password_from_the_os_keyring_when_the_environment_has_none(monkeypatch):
    asked = []

    class FakeKeyring:  # keyring is optional and absent here; its API is one call
        @staticmethod
        def get_password(service, username):
            asked.append((service, username))
            return SECRET

    monkeypatch.setitem(sys.modules, "keyring", FakeKeyring)
    config = SmtpConfig("smtp.example.com", user=USER)
    assert password_for(config, env={}) == SECRET and asked == [("arbook", USER)]
    assert password_for(config, env={"ARBOOK_SMTP_PASSWORD": "from-env"}) == "from-env"
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed: no password, no crash
    assert password_for(config, env={}) is None
