"""arbook remind end to end: real workbooks, a real journal, real .eml files, a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import python_calamine
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from openpyxl import load_workbook

from arbook import remind as job
from arbook.cli import main
from arbook.core.problems import ArbookError
from arbook.core.schema import CUSTOMERS, INVOICES
from arbook.io.journal import Journal, State, journal_path
from tests.helpers import new_book, put_rows

# Inside the half-years the packaged base-rate table covers (last: 2026-01-01, 1.27 %).
AS_OF = date(2026, 6, 15)


def set_settings(path: Path, values: dict[str, str]) -> None:
    wb = load_workbook(path)
    ws = wb["Einstellungen"]
    found = set()
    for row in ws.iter_rows(min_row=2, max_col=2):
        key = row[0].value
        if key in values:
            row[1].value = values[key]
            found.add(key)
    assert found == set(values), f"unknown settings {set(values) - found}"
    wb.save(path)


def sheet_rows(path: Path, table_name: str) -> list[dict]:
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    table = book.get_table_by_name(table_name)
    return [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]


CUSTOMER_ROWS = [
    {"customer_id": "K1", "name": "Müller <b>GmbH</b>", "email": "buha@mueller.example",
     "customer_type": "Unternehmen", "terms_days": 30, "language": "de",
     "escalation_contact": "chef@ihre-firma.example"},
    {"customer_id": "K2", "name": "Erika Weiß", "email": "erika@example.org",
     "customer_type": "Verbraucher", "terms_days": 14, "language": "de"},
    {"customer_id": "K3", "name": "Smith Ltd", "email": "ap@smith.example",
     "customer_type": "Unternehmen", "terms_days": 30, "language": "en"},
    {"customer_id": "K4", "name": "Gesperrt AG", "email": "x@gesperrt.example",
     "customer_type": "Unternehmen", "terms_days": 30, "dunning_block": True},
]
INVOICE_ROWS = [
    # K1: business, 1,000.00 due 2026-04-30, 46 days overdue on AS_OF
    {"invoice_no": "RE-1", "customer_id": "K1", "invoice_date": date(2026, 3, 31),
     "due_date": date(2026, 4, 30), "currency": "EUR", "amount": 1000.0},
    # K1: disputed, never in a reminder
    {"invoice_no": "RE-2", "customer_id": "K1", "invoice_date": date(2026, 3, 1),
     "due_date": date(2026, 3, 31), "currency": "EUR", "amount": 500.0, "disputed": True},
    # K2: consumer without the § 286 notice, 20 days overdue
    {"invoice_no": "RE-3", "customer_id": "K2", "invoice_date": date(2026, 5, 12),
     "due_date": date(2026, 5, 26), "currency": "EUR", "amount": 250.0},
    # K3: English business customer
    {"invoice_no": "INV-4", "customer_id": "K3", "invoice_date": date(2026, 4, 1),
     "due_date": date(2026, 5, 1), "currency": "EUR", "amount": 300.0},
    # K4: blocked
    {"invoice_no": "RE-5", "customer_id": "K4", "invoice_date": date(2026, 3, 1),
     "due_date": date(2026, 3, 31), "currency": "EUR", "amount": 900.0},
]


@pytest.fixture
def book(tmp_path):
    path = new_book(tmp_path / "Offene Posten.xlsx")
    put_rows(path, CUSTOMERS, CUSTOMER_ROWS)
    put_rows(path, INVOICES, INVOICE_ROWS)
    set_settings(path, {"company_name": "Ihre Firma GmbH",
                        "sender_email": "buchhaltung@ihre-firma.example",
                        "sender_name": "Ihre Firma Buchhaltung", "iban": "DE02120300000000202051"})
    return path


def issued_before(book: Path, days: list[date]) -> None:
    """K1 received stage 1, 2, ... of RE-1 on these days (sent, in the journal)."""
    with Journal.for_book(book) as journal:
        for stage, day in enumerate(days, start=1):
            record = journal.intend(day=day, customer_id="K1", stage_no=stage,
                                    stage_name=f"S{stage}", invoice_nos=["RE-1"],
                                    totals={"EUR": 100000}, interest={}, fees={},
                                    channel="email")
            journal.mark(record, State.SENT)


class Inbox:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def smtp_server(book: Path) -> Iterator[Inbox]:
    """A real SMTP server on a free port of 127.0.0.1, entered in the book's Settings."""
    inbox = Inbox()
    with socket.socket() as probe:  # a free port for this test's server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        set_settings(book, {"smtp_host": "127.0.0.1", "smtp_port": str(port),
                            "smtp_security": "none", "smtp_user": ""})
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(book):
    with smtp_server(book) as inbox:
        yield inbox


def test_dry_run_shows_the_plan_and_changes_nothing(book):
    before = book.read_bytes()
    result = job.remind(book, AS_OF, dry_run=True)
    assert {p.customer.id for p in result.reminders} == {"K1", "K2", "K3"}
    k1 = next(p for p in result.reminders if p.customer.id == "K1")
    assert [i.invoice_no for i in k1.decision.items] == ["RE-1"]  # the disputed one is not
    skipped = {s.customer_id for s in result.plan.skipped}
    assert {"K1", "K4"} <= skipped  # K1's disputed invoice, K4 blocked
    assert book.read_bytes() == before
    assert not journal_path(book).exists()
    assert not (book.parent / "outbox").exists()


def test_business_interest_and_flat_fee_to_the_cent(book):
    result = job.remind(book, AS_OF, dry_run=True)
    k1 = next(p for p in result.reminders if p.customer.id == "K1")
    # 1,000.00 from 2026-05-01 to 2026-06-14 (45 days) at 1.27 + 9 = 10.27 %:
    # 1000 x 10.27 x 45 / 36500 = 12.6616 -> 12.66
    assert k1.claims.interest_by_currency() == {"EUR": 1266}
    assert k1.claims.fees_by_currency() == {"EUR": 4000}


def test_consumer_without_notice_pays_no_interest_before_a_reminder(book):
    first = job.remind(book, AS_OF)
    k2 = next(p for p in first.reminders if p.customer.id == "K2")
    assert k2.claims.interest_by_currency() == {} and k2.outcome == "drafted"
    # Five weeks later the next stage is due; interest runs from the day after the reminder.
    later = job.remind(book, date(2026, 6, 30), dry_run=True, customer="K2")
    (again,) = later.reminders
    (claim,) = again.claims.items
    assert claim.default_from == date(2026, 6, 16)


def test_drafts_journal_sheet_and_ledger_then_nothing_twice(book):
    result = job.remind(book, AS_OF)
    drafted = [p for p in result.reminders if p.outcome == "drafted"]
    assert len(drafted) == 3
    folder = book.parent / "outbox" / AS_OF.isoformat()
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 3
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["X-Unsent"] == "1"
    with Journal.for_book(book) as journal:
        records = journal.reminders()
    assert sorted(r.customer_id for r in records) == ["K1", "K2", "K3"]
    assert all(r.state == State.DRAFTED for r in records)
    sheet = sheet_rows(book, "tblReminders")
    assert sorted(r["Kundennr."] for r in sheet) == ["K1", "K2", "K3"]
    ledger = {r["Rechnungsnr."]: r for r in sheet_rows(book, "tblInvoices")}
    assert ledger["RE-1"]["Mahnstufe"] == "Zahlungserinnerung"
    assert ledger["RE-1"]["Letzte Mahnung"] == AS_OF
    assert ledger["RE-1"]["Verzugszinsen"] == pytest.approx(12.66)
    assert ledger["RE-2"]["Mahnstufe"] in ("", None)  # disputed: never reminded
    # Same day again: nothing new, no new file.
    again = job.remind(book, AS_OF)
    assert again.reminders == []  # the journal says they were reminded today
    assert {s.customer_id for s in again.plan.skipped} >= {"K1", "K2", "K3"}
    assert sorted(folder.glob("*.eml")) == files


def test_html_in_customer_data_is_escaped_in_the_draft(book):
    job.remind(book, AS_OF, customer="K1")
    (draft,) = (book.parent / "outbox" / AS_OF.isoformat()).glob("*.eml")
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "Müller &lt;b&gt;GmbH&lt;/b&gt;" in html and "<b>GmbH</b>" not in html


def test_send_delivers_exactly_the_expected_messages_once(book, smtp):
    result = job.remind(book, AS_OF, send_mail=True)
    assert sorted(p.outcome for p in result.reminders) == ["sent"] * 3
    received = {tuple(sorted(rcpts)): msg for rcpts, msg in smtp.messages}
    assert set(received) == {("buha@mueller.example",), ("erika@example.org",),
                             ("ap@smith.example",)}
    en = received[("ap@smith.example",)]
    assert "INV-4" in en.get_body(("plain",)).get_content()
    assert en["From"].addresses[0].addr_spec == "buchhaltung@ihre-firma.example"
    job.remind(book, AS_OF, send_mail=True)  # a rerun sends nothing
    assert len(smtp.messages) == 3
    with Journal.for_book(book) as journal:
        assert {r.state for r in journal.reminders()} == {State.SENT}


def test_last_stage_goes_in_cc_to_the_escalation_contact(book, smtp):
    issued_before(book, [date(2026, 5, 8), date(2026, 5, 22), date(2026, 6, 5)])  # stages 1-3
    result = job.remind(book, date(2026, 6, 20), send_mail=True, customer="K1")
    (p,) = result.reminders
    assert p.stage_no == 4 and p.outcome == "sent"
    ((rcpts, message),) = smtp.messages
    assert sorted(rcpts) == ["buha@mueller.example", "chef@ihre-firma.example"]
    assert "chef@ihre-firma.example" in str(message["Cc"])


KILL_WRAPPER = """
import os, signal, sys
from datetime import date
from arbook import remind
from arbook.io.journal import Journal
from arbook.io.workbook_file import WorkbookFile

where = sys.argv[2]
if where == "before-save":
    WorkbookFile.save = lambda self: os.kill(os.getpid(), signal.SIGKILL)
else:
    real_mark = Journal.mark
    def mark(self, record, state, **kw):
        os.kill(os.getpid(), signal.SIGKILL)
    Journal.mark = mark
remind.remind(sys.argv[1], date(2026, 6, 15), send_mail=True, customer="K3")
"""


@pytest.mark.parametrize("where", ["before-save", "before-mark"])
def test_a_process_killed_after_sending_never_sends_twice(book, smtp, where):
    before = book.read_bytes()
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(KILL_WRAPPER), str(book),
                           where], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert len(smtp.messages) == 1  # it was sent, then the process died
    assert book.read_bytes() == before  # the workbook was never half written
    result = job.remind(book, AS_OF, send_mail=True, customer="K3")
    assert len(smtp.messages) == 1  # the next run does not send it again
    with Journal.for_book(book) as journal:
        (record,) = journal.reminders()
    expected = State.SENT if where == "before-save" else State.UNCERTAIN
    assert record.state == expected
    assert len(result.uncertain) == (1 if where == "before-mark" else 0)
    sheet = sheet_rows(book, "tblReminders")  # the next run wrote what the journal holds
    assert [r["Kundennr."] for r in sheet] == ["K3"]


def test_open_workbook_refuses_before_sending_anything(book, smtp):
    lock = book.with_name("~$" + book.name)
    lock.write_text("x")
    with pytest.raises(ArbookError, match="open"):
        job.remind(book, AS_OF, send_mail=True)
    assert smtp.messages == []
    assert not journal_path(book).exists()


def test_a_broken_template_override_names_file_and_line_and_sends_nothing(book, smtp):
    folder = book.parent / "templates" / "de"
    folder.mkdir(parents=True)
    (folder / "reminder.txt.j2").write_text("Guten Tag,\n{{ customer.nmae }}\n")
    with pytest.raises(ArbookError, match=r"reminder\.txt\.j2.*line 2|line 2.*reminder\.txt\.j2"):
        job.remind(book, AS_OF, send_mail=True)
    assert smtp.messages == []
    if journal_path(book).exists():
        with Journal.for_book(book) as journal:
            assert journal.reminders() == []


def test_newline_in_an_email_address_is_refused_for_that_customer_only(book):
    wb = load_workbook(book)
    ws = wb["Kunden"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "K3":
            row[3].value = "ap@smith.example\nBcc: victim@example.net"
    wb.save(book)
    result = job.remind(book, AS_OF)
    outcomes = {p.customer.id: p.outcome for p in result.reminders}
    assert "K3" not in outcomes and outcomes["K1"] == "drafted"
    (k3,) = [s for s in result.plan.skipped if s.customer_id == "K3"]
    assert "mail" in k3.reason_text("en").lower()
    for draft in (book.parent / "outbox" / AS_OF.isoformat()).glob("*.eml"):
        assert b"victim@example.net" not in draft.read_bytes()


def test_cli_preview_and_help(book):
    runner = CliRunner()
    result = runner.invoke(main, ["remind", str(book), "--as-of", "2026-06-15", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "K1" in result.output and "Dry run" in result.output
    assert "Mahnsperre" in result.output or "blocked" in result.output.lower()
    help_text = runner.invoke(main, ["remind", "--help"]).output
    assert "Example" in help_text and "--send" in help_text


def test_after_the_last_stage_the_customer_is_escalated_with_a_csv(book):
    issued_before(book, [date(2026, 4, 5), date(2026, 4, 19), date(2026, 5, 3),
                         date(2026, 5, 10)])  # all four stages, the last on 2026-05-10
    result = job.remind(book, AS_OF, customer="K1")
    assert result.reminders == []
    (escalation,) = result.plan.escalations
    assert escalation.customer_id == "K1"
    text = result.escalation_csv.read_text(encoding="utf-8-sig")
    assert "RE-1" in text and "RE-2" not in text  # the disputed invoice is not claimed
    # interest runs from the day after the due date (business): 2026-05-01
    assert "01.05.2026" in text or "2026-05-01" in text


def test_a_missing_base_rate_is_named_for_the_ledgers_interest_column_too(book):
    """A half-year without a rate leaves the ledger's interest column at 0: the Problems
    sheet says which half-year to add, also for items no letter goes to (K4 is blocked)."""
    set_settings(book, {"sender_email": ""})  # no letter can be written ...
    put_rows(book, CUSTOMERS, [{**row, "dunning_block": True} for row in CUSTOMER_ROWS])
    later = date(2026, 8, 14)  # ... and 2026-07-01 is not in the packaged table
    result = job.remind(book, later)
    assert not result.reminders
    ledger = [p.message for p in result.problems if "ledger's interest column" in p.message]
    assert len(ledger) == 1 and "01.07.2026" in ledger[0]
    quiet = job.remind(book, AS_OF)  # inside the table: nothing to say
    assert not [p for p in quiet.problems if "ledger's interest column" in p.message]
