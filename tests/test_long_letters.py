"""Long reminder letters: the text lists the first letter_max_items invoices, the full list
goes along as a CSV for Excel. Real workbooks, real drafts, a real SMTP server, LibreOffice."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import shutil
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine
from openpyxl import load_workbook

from arbook import remind as job
from arbook.core.schema import CUSTOMERS, INVOICES
from arbook.core.settings import letter_max_items, settings_from_pairs
from tests.helpers import new_book, put_rows
from tests.test_remind import (
    set_settings,
    smtp,  # noqa: F401  (the fixture: a real SMTP server)
)

AS_OF = date(2026, 6, 15)  # inside the packaged base-rate table: interest is computed
CAP = 10
HOSTILE = '=HYPERLINK("http://evil.example","klick")'
SOFFICE = shutil.which("soffice")


def invoice_rows(customer: str, n: int, prefix: str, usd_every: int = 0) -> list[dict]:
    """n overdue invoices with distinct amounts; every usd_every-th one in USD."""
    rows = []
    for i in range(n):
        due = date(2026, 3, 1) + timedelta(days=2 * i)
        rows.append({"invoice_no": f"{prefix}-{i + 1:04d}", "customer_id": customer,
                     "invoice_date": due - timedelta(days=30), "due_date": due,
                     "currency": "USD" if usd_every and i % usd_every == usd_every - 1
                     else "EUR", "amount": float(Decimal(100 + 37 * i) + Decimal("0.07"))})
    return rows


def expected_open(rows: list[dict], numbers: set[str] | None = None) -> dict[str, Decimal]:
    """Open amount per currency, worked out from the rows typed into the ledger."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if numbers is None or row["invoice_no"] in numbers:
            out[row["currency"]] += Decimal(str(row["amount"]))
    return dict(out)


K1_ROWS = invoice_rows("K1", 34, "RE-2026", usd_every=5)
K1_ROWS[30]["invoice_no"] = HOSTILE  # past the cap: only in the attachment
K3_ROWS = invoice_rows("K3", CAP + 1, "INV-2026")
K5_ROWS = invoice_rows("K5", CAP, "AB-2026")


@pytest.fixture
def book(tmp_path):
    path = new_book(tmp_path / "Offene Posten.xlsx")
    put_rows(path, CUSTOMERS, [
        {"customer_id": "K1", "name": "Großhandel Nord GmbH", "email": "ap@nord.example",
         "customer_type": "Unternehmen", "terms_days": 30, "language": "de"},
        {"customer_id": "K3", "name": "Smith Ltd", "email": "ap@smith.example",
         "customer_type": "Unternehmen", "terms_days": 30, "language": "en"},
        {"customer_id": "K5", "name": "Genau Zehn AG", "email": "ap@zehn.example",
         "customer_type": "Unternehmen", "terms_days": 30, "language": "de"},
    ])
    put_rows(path, INVOICES, K1_ROWS[::-1] + K3_ROWS + K5_ROWS)  # K1: newest first
    formula_text_as_text(path)
    set_settings(path, {"company_name": "Ihre Firma GmbH",
                        "sender_email": "buchhaltung@ihre-firma.example",
                        "letter_max_items": str(CAP)})
    return path


def formula_text_as_text(path: Path) -> None:
    """openpyxl writes '=...' as a formula; an ERP import writes it as text, as here."""
    wb = load_workbook(path)
    for row in wb[INVOICES.sheet("de")].iter_rows():
        for cell in row:
            if cell.value == HOSTILE:
                cell.data_type = "s"
    wb.save(path)


def drafted(result: job.RemindResult) -> dict[str, email.message.EmailMessage]:
    out = {}
    for p in result.reminders:
        assert p.outcome == "drafted", p.detail
        data = Path(p.detail).read_bytes()
        out[p.customer.id] = email.message_from_bytes(data, policy=email.policy.default)
    return out


def money_de(text: str) -> list[tuple[Decimal, str]]:
    """'1.234,56 €' / '2.500,00 $' in a German line -> [(Decimal, currency)]."""
    found = re.findall(r"(-?[\d.]+,\d\d)\s(€|\$)", text)
    return [(Decimal(n.replace(".", "").replace(",", ".")), {"€": "EUR", "$": "USD"}[s])
            for n, s in found]


def attachment(msg: email.message.EmailMessage) -> tuple[str, bytes]:
    (part,) = list(msg.iter_attachments())
    assert part.get_content_type() == "text/csv"
    return part.get_filename(), part.get_payload(decode=True)


def csv_rows(data: bytes, sep: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, or Excel guesses the encoding"
    assert data.count(b"\r\n") == data.count(b"\n"), "CRLF line ends"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=sep))


def test_long_letter_lists_the_cap_and_attaches_every_item(book):
    result = job.remind(book, AS_OF)
    planned = {p.customer.id: p for p in result.reminders}
    assert sorted(i.invoice_no for i in planned["K1"].decision.items) == \
        sorted(r["invoice_no"] for r in K1_ROWS)
    # the longest overdue first (whatever the ledger's order), ties by number
    order = [r["invoice_no"] for r in sorted(K1_ROWS, key=lambda r: (r["due_date"],
                                                                       r["invoice_no"]))]
    msg = drafted(result)["K1"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()

    listed = [line.split()[0] for line in text.splitlines()
              if line.split() and line.split()[0] in order]
    assert listed == order[:CAP]  # the N longest overdue
    for number in order[CAP:]:
        assert number not in text and number not in html.replace("&#34;", '"')

    (remark,) = [line for line in text.splitlines() if line.startswith("… und ")]
    rest = set(order[CAP:])
    count = int(re.match(r"… und (\d+) weitere Rechnungen über zusammen", remark).group(1))
    assert count == len(rest) == 24
    assert dict((c, a) for a, c in money_de(remark.split(" – ")[0])) == \
        expected_open(K1_ROWS, rest)
    name = re.search(r"\(([^()]+\.csv)\)\.$", remark).group(1)
    assert name == "offene-posten-K1-2026-06-15.csv"
    assert f"{count} weitere Rechnungen" in html and name in html

    # the totals are those of ALL items: open amounts from the ledger, interest from the CSV
    filename, data = attachment(msg)
    assert filename == name
    header, *rows = csv_rows(data, ";")
    assert header == ["Rechnungsnr.", "Rechnungsdatum", "Fällig am", "Tage überfällig",
                      "Währung", "Offener Betrag", "Mahnstufe", "Verzugszinsen"]
    assert len(rows) == len(order)
    assert [r[0] for r in rows] == [n if n != HOSTILE else "'" + HOSTILE for n in order]
    csv_open: dict[str, Decimal] = defaultdict(Decimal)
    csv_interest: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        csv_open[row[4]] += Decimal(row[5].replace(",", "."))
        csv_interest[row[4]] += Decimal(row[7].replace(",", "."))
    assert dict(csv_open) == expected_open(K1_ROWS)
    assert all(v > 0 for v in csv_interest.values())  # business, months overdue
    first = next(r for r in K1_ROWS if r["invoice_no"] == rows[0][0])
    assert rows[0][1:3] == [f"{first['invoice_date']:%d.%m.%Y}", f"{first['due_date']:%d.%m.%Y}"]
    assert rows[0][3] == str((AS_OF - first["due_date"]).days)
    assert rows[0][6] == planned["K1"].decision.stage.name
    for currency in ("EUR", "USD"):
        (line,) = [x for x in text.splitlines() if x.startswith(f"Gesamt {currency}:")]
        detail = text.splitlines()[text.splitlines().index(line) + 1]
        (total,), (open_, interest, fees) = [
            [a for a, _c in money_de(x)] for x in (line, detail)]
        assert open_ == expected_open(K1_ROWS)[currency]
        assert interest == csv_interest[currency]
        assert total == open_ + interest + fees
    # the separate claims: interest of the listed items one by one, the rest in one line
    shown = sum((a for line in text.splitlines() if "Verzugszinsen zu Rechnung" in line
                 for a, c in money_de(line) if c == "EUR"), Decimal(0))
    (rest_line,) = [x for x in text.splitlines() if "zu den weiteren Rechnungen in EUR" in x]
    assert shown + money_de(rest_line)[0][0] == csv_interest["EUR"]


def test_every_text_cell_of_the_attachment_is_safe_for_excel(book):
    msg = drafted(job.remind(book, AS_OF))["K1"]
    _name, data = attachment(msg)
    rows = csv_rows(data, ";")
    assert ["'" + HOSTILE] in [r[:1] for r in rows]
    for row in rows:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), row


def test_english_long_letter_and_list(book):
    msg = drafted(job.remind(book, AS_OF))["K3"]
    text = msg.get_body(("plain",)).get_content()
    (remark,) = [line for line in text.splitlines() if line.startswith("… and ")]
    assert remark.startswith("… and 1 more invoice of €")
    last = K3_ROWS[-1]
    assert f"€{Decimal(str(last['amount'])):,.2f}" in remark
    assert remark.endswith("– the full list is attached (open-items-K3-2026-06-15.csv).")
    name, data = attachment(msg)
    header, *rows = csv_rows(data, ",")
    assert name == "open-items-K3-2026-06-15.csv"
    assert header[:3] == ["Invoice no.", "Invoice date", "Due date"]
    assert len(rows) == len(K3_ROWS)
    assert rows[-1][2] == last["due_date"].isoformat()
    assert sum(Decimal(r[5]) for r in rows) == expected_open(K3_ROWS)["EUR"]


def test_a_letter_at_the_cap_lists_everything_and_has_no_attachment(book):
    result = job.remind(book, AS_OF)
    msg = drafted(result)["K5"]
    assert msg.get_content_type() == "multipart/alternative"
    assert list(msg.iter_attachments()) == []
    text = msg.get_body(("plain",)).get_content()
    assert all(r["invoice_no"] in text for r in K5_ROWS)
    assert "… und" not in text and "Anhang" not in text
    (reference,) = [x for x in text.splitlines() if "Verwendungszweck" in x]
    assert all(r["invoice_no"] in reference for r in K5_ROWS)


def test_the_sent_message_carries_the_attachment(book, smtp):  # noqa: F811 (the fixture)
    job.remind(book, AS_OF, send_mail=True)
    received = {tuple(rcpts): msg for rcpts, msg in smtp.messages}
    msg = received[("ap@nord.example",)]
    name, data = attachment(msg)
    assert name == "offene-posten-K1-2026-06-15.csv"
    assert len(csv_rows(data, ";")) == 1 + len(K1_ROWS)
    assert list(received[("ap@zehn.example",)].iter_attachments()) == []


def test_attachment_name_from_a_hostile_customer_id_stays_a_plain_name(tmp_path):
    path = new_book(tmp_path / "b.xlsx")
    put_rows(path, CUSTOMERS, [{"customer_id": "../..\\K/1:*?", "name": "X",
                                "email": "x@x.example", "customer_type": "Unternehmen"}])
    put_rows(path, INVOICES, invoice_rows("../..\\K/1:*?", CAP + 2, "RE"))
    set_settings(path, {"sender_email": "a@b.example", "letter_max_items": str(CAP)})
    result = job.remind(path, AS_OF)
    (p,) = result.reminders
    assert Path(p.detail).parent == tmp_path / "outbox" / AS_OF.isoformat()
    name, _data = attachment(drafted(result)[p.customer.id])
    assert re.fullmatch(r"offene-posten-[\w.-]+-2026-06-15\.csv", name), name
    assert ".." not in name


@pytest.mark.parametrize(("text", "cap", "problem"), [
    ("7", 7, False), ("0", 25, False), ("", 25, False), ("12.0", 12, False),
    ("zwanzig", 25, True), ("-5", 25, True), ("²", 25, True)])
def test_letter_max_items_setting(text, cap, problem):
    settings, problems = settings_from_pairs({"letter_max_items": (text, 17)})
    assert letter_max_items(settings) == cap
    assert [(p.sheet, p.row) for p in problems] == ([("Settings", 17)] if problem else [])


def test_new_workbooks_show_the_setting_with_its_description(tmp_path):
    for lang, sheet, words in (("de", "Einstellungen", "Rechnungen"), ("en", "Settings",
                                                                       "invoices")):
        path = new_book(tmp_path / f"{lang}.xlsx", lang)
        ws = load_workbook(path)[sheet]
        rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=2, max_col=3, values_only=True)}
        value, description = rows["letter_max_items"]
        assert str(value) == "25" and words in description


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice headless ('soffice') is not on PATH")
@pytest.mark.parametrize(("customer", "sep", "options"), [
    ("K1", ";", "59,34,76,1,,1031"),   # German Excel: ';', UTF-8, German locale
    ("K3", ",", "44,34,76,1,,2057")])  # English (UK)
def test_the_attachment_opens_in_a_spreadsheet_with_numbers_as_numbers(book, tmp_path, customer,
                                                                       sep, options):
    msg = drafted(job.remind(book, AS_OF))[customer]
    name, data = attachment(msg)
    source = tmp_path / name
    source.write_bytes(data)
    profile = tmp_path / "profile"
    run = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx", f"--infilter=CSV:{options}", "--outdir", str(tmp_path / "out"),
         str(source)], capture_output=True, text=True, timeout=180, check=False)
    converted = tmp_path / "out" / (source.stem + ".xlsx")
    assert converted.exists(), f"LibreOffice did not convert the CSV: {run.stdout}{run.stderr}"
    sheet = python_calamine.CalamineWorkbook.from_path(str(converted)).get_sheet_by_index(0)
    header, *cells = sheet.to_python()
    expected = csv_rows(data, sep)
    assert len(cells) == len(expected) - 1 and len(header) == 8
    for row in cells:
        assert isinstance(row[0], str)
        assert isinstance(row[2], date)  # due date
        assert isinstance(row[5], float) and isinstance(row[7], float)  # amount, interest
    total = sum(Decimal(str(row[5])) for row in cells if row[4] == "EUR")
    rows = K1_ROWS if customer == "K1" else K3_ROWS
    assert abs(total - expected_open(rows)["EUR"]) < Decimal("0.005")


def test_letters_composed_on_two_cores_are_the_letters_composed_on_one(book, tmp_path,
                                                                      monkeypatch):
    """The same book reminded twice, once with every letter built in this process and once
    with a worker building every other one: the drafts are the same (apart from the Date and
    the random MIME boundaries)."""
    other = tmp_path / "zwei" / book.name
    other.parent.mkdir()
    shutil.copyfile(book, other)
    monkeypatch.setattr(job, "PARALLEL_ITEMS", 10**9)
    one = job.remind(book, AS_OF)
    monkeypatch.setattr(job, "PARALLEL_ITEMS", 0)
    two = job.remind(other, AS_OF)
    assert [p.outcome for p in two.reminders] == [p.outcome for p in one.reminders]
    assert len(two.reminders) >= 3

    def without_date(p: job.PlannedReminder) -> bytes:
        data = re.sub(rb"\r\nDate: [^\r]*", b"", Path(p.detail).read_bytes())
        return re.sub(rb"=+\d+==", b"(boundary)", data)

    for a, b in zip(one.reminders, two.reminders, strict=True):
        assert without_date(a) == without_date(b)
