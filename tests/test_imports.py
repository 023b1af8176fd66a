"""import-invoices and import-bank end to end: real workbooks, real files, a real journal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from arbook import imports
from arbook.cli import main
from arbook.core.problems import ArbookError
from arbook.core.schema import CUSTOMERS, INVOICES
from tests.bank_extdata import folder
from tests.helpers import new_book, put_rows

AS_OF = date(2026, 11, 26)


def table_rows(path: Path, name: str) -> list[dict]:
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    table = book.get_table_by_name(name)
    return [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]


def ledger(path: Path) -> dict[str, dict]:
    return {r["Rechnungsnr."]: r for r in table_rows(path, "tblInvoices") if r["Rechnungsnr."]}


@pytest.fixture
def book(tmp_path):
    path = new_book(tmp_path / "OP.xlsx")
    put_rows(path, CUSTOMERS, [
        {"customer_id": "K1", "name": "Müller GmbH", "terms_days": 30,
         "iban": "DE89370400440532013000", "skonto_pct": 0.02, "skonto_days": 10},
        {"customer_id": "K2", "name": "Weiß & Co", "terms_days": 14},
    ])
    put_rows(path, INVOICES, [
        {"invoice_no": "00042", "customer_id": "K1", "invoice_date": date(2026, 9, 1),
         "due_date": date(2026, 10, 1), "currency": "EUR", "amount": 1190.0,
         "note": "ruft zurück", "disputed": True},
        {"invoice_no": "RE-100", "customer_id": "K2", "invoice_date": date(2026, 10, 1),
         "due_date": date(2026, 10, 15), "currency": "EUR", "amount": 500.0},
        {"invoice_no": "RE-101", "customer_id": "K1", "invoice_date": date(2026, 11, 20),
         "due_date": date(2026, 12, 20), "currency": "EUR", "amount": 1000.0},
    ])
    return path


ERP_CSV = (
    "Offene Posten per 26.11.2026\n\n"
    "Belegnummer;Debitor;Name;Belegdatum;Fälligkeit;Betrag;Offen;WKZ\n"
    "00042;K1;Müller GmbH;01.09.2026;15.10.2026;1.190,00;1.000,00;EUR\n"
    "RE-200;K3;=HYPERLINK(\"http://x\");05.11.2026;05.12.2026;2.500,50;2.500,50;EUR\n"
    "Summe;;;;;3.690,50;3.500,50;\n"
)


def write_erp(tmp_path: Path, text: str = ERP_CSV, encoding: str = "cp1252") -> Path:
    path = tmp_path / "OP-Liste.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_upsert_updates_imported_columns_appends_new_rows_and_keeps_user_cells(book, tmp_path):
    result = imports.import_invoices(book, write_erp(tmp_path), as_of=AS_OF)
    assert (result.added, result.updated, result.customers_added) == (1, 1, 1)
    rows = ledger(book)
    known = rows["00042"]
    assert known["Fällig am"] == date(2026, 10, 15)  # updated from the export
    assert known["Bezahlt"] == pytest.approx(190.0)  # amount - open
    assert known["Notiz"] == "ruft zurück" and known["Strittig"] is True  # the user's, kept
    new = rows["RE-200"]
    assert new["Betrag"] == pytest.approx(2500.50) and new["Fällig am"] == date(2026, 12, 5)
    assert new["Offen"] == pytest.approx(2500.50)  # the refresh ran
    assert "RE-100" in rows  # not in the export, not --full: left alone
    customers = {r["Kundennr."]: r for r in table_rows(book, "tblCustomers")}
    # a formula-like name arrives as text, never as a formula
    assert customers["K3"]["Name"] == '=HYPERLINK("http://x")'
    wb = load_workbook(book)
    ws = wb["Kunden"]
    cell = next(c for c in ws["B"] if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"


def test_second_import_of_the_same_export_changes_nothing(book, tmp_path):
    export = write_erp(tmp_path)
    imports.import_invoices(book, export, as_of=AS_OF)
    before = ledger(book)
    again = imports.import_invoices(book, export, as_of=AS_OF)
    assert (again.added, again.updated) == (0, 0) and again.already_imported
    assert ledger(book) == before


def test_full_marks_missing_invoices_settled_not_deleted(book, tmp_path):
    imports.import_invoices(book, write_erp(tmp_path), full=True, as_of=AS_OF)
    rows = ledger(book)
    assert rows["RE-100"]["Bezahlt"] == pytest.approx(500.0)
    assert rows["RE-100"]["Status"] == "bezahlt"


def test_unreadable_export_leaves_the_workbook_as_it_was(book, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02 not a table at all \xff\xfe" * 50)
    before = book.read_bytes()
    with pytest.raises(ArbookError, match="junk.csv"):
        imports.import_invoices(book, junk, as_of=AS_OF)
    assert book.read_bytes() == before


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-25T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-2026-11-25</Id><CreDtTm>2026-11-25T18:00:00</CreDtTm>
<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-25</Dt></Dt></Bal>
{entries}
</Stmt></BkToCstmrStmt></Document>
"""
ENTRY = """<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Sts>BOOK</Sts><BookgDt><Dt>2026-11-25</Dt></BookgDt><ValDt><Dt>2026-11-25</Dt></ValDt>
<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr>
<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


def write_camt(tmp_path: Path, entries: list[dict], name: str = "auszug.xml") -> Path:
    body = "".join(ENTRY.format(**e) for e in entries)
    closing = 1000 + sum(float(e["amount"]) for e in entries)
    path = tmp_path / name
    path.write_text(CAMT.format(closing=f"{closing:.2f}", entries=body), encoding="utf-8")
    return path


PAY_RE100 = {"ref": "B1", "amount": "500.00", "name": "Weiss und Co",
             "iban": "DE44500105175407324931", "text": "Rechnung RE-100 vielen Dank"}
UNKNOWN = {"ref": "B2", "amount": "77.70", "name": "Unbekannt",
           "iban": "DE75512108001245126199", "text": "Spende"}


def test_bank_payment_matched_by_invoice_number_and_never_applied_twice(book, tmp_path):
    statement = write_camt(tmp_path, [PAY_RE100, UNKNOWN])
    result = imports.import_bank(book, [statement], as_of=AS_OF)
    assert [m.key.split("|")[1] for m in result.applied()] == ["B1"]
    assert len(result.queued()) == 1
    payments = table_rows(book, "tblPayments")
    assert [(p["Rechnungsnr."], p["Betrag"]) for p in payments if p["Rechnungsnr."]] == \
        [("RE-100", 500.0)]
    assert ledger(book)["RE-100"]["Status"] == "bezahlt"
    queue = table_rows(book, "tblBankQueue")
    assert [q["Betrag"] for q in queue] == [pytest.approx(77.70)]
    # the same file, and an overlapping statement under another name: nothing twice
    again = imports.import_bank(book, [statement], as_of=AS_OF)
    assert again.files[0].imported_before and again.applied() == []
    overlap = write_camt(tmp_path, [PAY_RE100], name="auszug-kopie.xml")
    third = imports.import_bank(book, [overlap], as_of=AS_OF)
    assert third.files[0].already == 1 and third.applied() == []
    assert len([p for p in table_rows(book, "tblPayments") if p["Rechnungsnr."]]) == 1


def test_user_assignment_on_the_queue_sheet_is_applied_next_time(book, tmp_path):
    imports.import_bank(book, [write_camt(tmp_path, [UNKNOWN])], as_of=AS_OF)
    wb = load_workbook(book)
    ws = wb["Zuordnen"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("Rechnungen zuordnen") + 1, value="RE-101")
    wb.save(book)
    result = imports.import_bank(book, [], as_of=AS_OF)
    (applied,) = result.applied()
    assert applied.allocations[0].invoice_no == "RE-101"
    assert table_rows(book, "tblBankQueue")[0]["Betrag"] in (None, "")  # queue emptied
    assert ledger(book)["RE-101"]["Offen"] == pytest.approx(1000.0 - 77.70)


def test_a_crash_after_saving_before_the_journal_applies_nothing_twice(book, tmp_path,
                                                                      monkeypatch):
    from arbook.io import import_log

    def crash(*_args, **_kwargs):
        raise RuntimeError("killed")
    monkeypatch.setattr(import_log.ImportLog, "record_entries", crash)
    statement = write_camt(tmp_path, [PAY_RE100])
    with pytest.raises(RuntimeError):
        imports.import_bank(book, [statement], as_of=AS_OF)
    monkeypatch.undo()
    result = imports.import_bank(book, [statement], as_of=AS_OF)
    assert result.reconciled == 1 and result.applied() == []
    assert len([p for p in table_rows(book, "tblPayments") if p["Rechnungsnr."]]) == 1


def test_balance_mismatch_in_a_real_statement_is_reported(book):
    camt = folder("oca-bank-statement-import") / "camt" / "test-camt053"
    result = imports.import_bank(book, [camt], as_of=AS_OF)
    assert any("434" in p.message or "Saldo" in p.message for p in result.problems)
    problems = table_rows(book, "tblProblems")
    assert any("test-camt053" in str(p["Datei"]) or "Saldo" in str(p["Meldung"])
               for p in problems)


def test_junk_bank_file_is_a_clear_problem_and_leaves_the_workbook_as_it_was(book, tmp_path):
    junk = tmp_path / "auszug.xml"
    junk.write_text("<Document><BkToCstmrStmt><Stmt>", encoding="utf-8")
    before = book.read_bytes()
    result = imports.import_bank(book, [junk], as_of=AS_OF)
    assert result.applied() == [] and result.problems
    assert "auszug.xml" in str(result.problems[0])
    assert book.read_bytes() == before  # nothing to apply: the workbook is untouched


def test_cli_help_and_run(book, tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["import-bank", str(book), str(write_camt(tmp_path, [PAY_RE100])),
                               "--as-of", "2026-11-26"])
    assert out.exit_code == 0, out.output
    assert "1 payments applied" in out.output
    out = runner.invoke(main, ["import-invoices", str(book), str(write_erp(tmp_path)),
                               "--as-of", "2026-11-26"])
    assert out.exit_code == 0, out.output
    assert "1 added" in out.output
