"""A planted SMTP password appears in no output: workbook parts, journal, .eml, logs, CSV,
stdout or stderr, neither as it is nor base64-encoded (as AUTH PLAIN/LOGIN would carry it).

The commands run as real subprocesses against a real SMTP server with AUTH on 127.0.0.1.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from arbook.core.schema import CUSTOMERS, INVOICES
from tests.helpers import AS_OF, new_book, put_rows
from tests.test_remind import CUSTOMER_ROWS, INVOICE_ROWS, Inbox, set_settings
from tests.test_smtp import SECRET, USER, _check_login, _free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
WRONG = SECRET + "-Wr0ng"


def needles(secret: str) -> list[bytes]:
    """The secret as bytes, in UTF-16, and base64 at each alignment inside a longer stream,
    including the AUTH PLAIN blob."""
    raw = secret.encode()
    found = [raw, secret.encode("utf-16-le"),
             base64.b64encode(f"\0{USER}\0{secret}".encode())]
    for shift in range(3):
        encoded = base64.b64encode(b"x" * shift + raw)
        found.append(encoded[4 if shift else 0:-4])  # the part that does not depend on context
    return found


def leaks(root: Path, texts: list[str], secret: str) -> list[str]:
    """Every place (file, zip member or output stream) that holds the secret in some form."""
    places: list[tuple[str, bytes]] = [(f"output {i}", t.encode()) for i, t in enumerate(texts)]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        places.append((str(path), data))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as package:
                places += [(f"{path}!{n}", package.read(n)) for n in package.namelist()]
    return [name for name, data in places if any(n in data for n in needles(secret))]


def arbook(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arbook", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.fixture
def smtp_auth():
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_check_login,
                            auth_required=True, auth_require_tls=False)  # localhost only
    controller.start()
    yield inbox, port
    controller.stop()


def test_planted_password_leaks_into_no_output_of_remind_nightly_and_demo(tmp_path, smtp_auth):
    inbox, port = smtp_auth
    book = new_book(tmp_path / "Offene Posten.xlsx")
    put_rows(book, CUSTOMERS, CUSTOMER_ROWS)
    put_rows(book, INVOICES, INVOICE_ROWS)
    set_settings(book, {"company_name": "Ihre Firma GmbH", "iban": "DE02120300000000202051",
                        "sender_email": "buchhaltung@ihre-firma.example",
                        "smtp_host": "127.0.0.1", "smtp_port": str(port),
                        "smtp_security": "none"})
    env = {**os.environ, "ARBOOK_SMTP_USER": USER, "ARBOOK_SMTP_PASSWORD": SECRET}
    day = AS_OF.isoformat()
    runs = [arbook("remind", str(book), "--as-of", day, "--send", env=env)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert len(inbox.messages) == 3  # the login with the planted password worked
    # nightly: an ERP export in the inbox, reminders sent; then a refused login
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "export.csv").write_text(
        "Belegnummer;Debitor;Betrag;Fälligkeit\nRE-77;K3;99,00;01.05.2026\n", encoding="utf-8")
    runs.append(arbook("nightly", str(book), "--as-of", "2026-12-20", "--send", "--json",
                       env={**env, "ARBOOK_SMTP_PASSWORD": SECRET}))
    sent = len(inbox.messages)
    assert sent > 3, runs[-1].stdout + runs[-1].stderr
    runs.append(arbook("nightly", str(book), "--as-of", "2027-01-20", "--send", env={
        **env, "ARBOOK_SMTP_PASSWORD": WRONG}))
    assert runs[-1].returncode != 0 and len(inbox.messages) == sent  # refused, nothing sent
    assert "refused the login" in runs[-1].stdout + runs[-1].stderr
    runs.append(arbook("demo", str(tmp_path / "demo"), env=env))
    assert runs[-1].returncode == 0, runs[-1].stderr
    texts = [t for r in runs for t in (r.stdout, r.stderr)]
    for secret in (SECRET, WRONG):
        assert leaks(tmp_path, texts, secret) == []
    kinds = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert {".xlsx", ".eml", ".log", ".db", ".csv", ".xml"} <= kinds  # all kinds were scanned


def test_the_scan_finds_a_planted_secret_in_every_form(tmp_path):
    """The scanner must be able to fail: raw, in a zip member, base64 at any offset."""
    with zipfile.ZipFile(tmp_path / "a.xlsx", "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet1.xml", f"<v>{SECRET}</v>")
    for shift in range(3):
        (tmp_path / f"b{shift}.log").write_bytes(
            b"AUTH LOGIN " + base64.b64encode(b"p" * shift + SECRET.encode() + b"q"))
    found = leaks(tmp_path, [f"stderr: {SECRET}"], SECRET)
    assert found == ["output 0", str(tmp_path / "a.xlsx") + "!xl/worksheets/sheet1.xml",
                     *(str(tmp_path / f"b{s}.log") for s in range(3))]

