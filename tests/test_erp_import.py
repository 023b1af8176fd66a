"""Reading ERP open-item exports: real CSV and XLSX files written in tmp_path."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook

from arbook.core.importing import (
    ImportProfile,
    customer_rows,
    decode_text,
    find_header,
    header_token,
    looks_like_formula,
    neutralise_formula,
    profile_from_rows,
    sniff_delimiter,
)
from arbook.core.problems import ArbookError, Severity
from arbook.io.erp_import import read_export

GERMAN_CSV = """Offene Posten Debitoren;;;;;
Stichtag: 26.11.2026;;;;;

Beleg-Nr.;Debitor;Kundenname;Belegdatum;Fällig am;Betrag;Offen
000815;10001;Müller & Söhne GmbH;13.10.2026;12.11.2026;1.234,56;1.234,56
000816;10002;Bäckerei Groß;03.11.2026;03.12.2026;500,00;200,00
000817;10001;Müller & Söhne GmbH;05.11.2026;05.12.2026;100,00-;100,00-

Summe;;;;;1.634,56;1.334,56
"""


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def day(value) -> date:
    return value.date()


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8", "latin-1"])
def test_german_csv_in_each_encoding(tmp_path, encoding):
    path = write(tmp_path, "op.csv", GERMAN_CSV.encode(encoding))
    ledger = read_export(path)
    frame = ledger.frame
    assert ledger.delimiter == ";" and ledger.header_row == 4
    assert ledger.encoding == {"latin-1": "cp1252"}.get(encoding, encoding)  # same bytes here
    assert frame["invoice_no"].tolist() == ["000815", "000816", "000817"]
    assert frame["row"].tolist() == [5, 6, 7]
    assert frame["name"].tolist()[1] == "Bäckerei Groß"
    assert frame["amount_cents"].tolist() == [123456, 50000, -10000]
    assert frame["paid_cents"].tolist() == [0, 30000, 0]
    assert day(frame["invoice_date"].iloc[0]) == date(2026, 10, 13)
    skipped = {p.row: p.message for p in ledger.info() if p.message.startswith("skipped")}
    assert set(skipped) == {8, 9} and "totals" in skipped[9]
    assert ledger.errors() == []


def test_cp1252_bytes_that_are_not_utf8_are_read_as_cp1252():
    text, encoding = decode_text("Fällig am;Betrag €\n".encode("cp1252"))
    assert encoding == "cp1252" and text == "Fällig am;Betrag €\n"
    # 0x81 is undefined in cp1252: latin-1 would take it, but it is a control character there
    with pytest.raises(ArbookError):
        decode_text(b"Betrag\x81\n")


def test_binary_junk_is_refused_with_a_clear_message(tmp_path):
    path = write(tmp_path, "junk.csv", bytes(range(256)) * 4)
    with pytest.raises(ArbookError, match="binary"):
        read_export(path)


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters(delimiter):
    amount = '"1.234,56"' if delimiter == "," else "1.234,56"
    lines = ["Report", delimiter.join(["Invoice No", "Customer", "Amount"]),
             delimiter.join(["A1", "C1", amount]), delimiter.join(["A2", "C2", "7,00"])]
    assert sniff_delimiter("\n".join(lines)) == delimiter


def test_english_csv_with_comma_and_us_dates(tmp_path):
    text = ('Invoice No,Customer,Invoice date,Due date,Amount,Open amount,Currency,Reference\n'
            '42,C-1,11/26/2026,12/26/2026,"1,234.56","1,000.00",USD,PO 7\n'
            '43,C-2,01/02/2026,02/01/2026,99.5,0,USD,"=cmd|\' /C calc\'!A0"\n'
            'Total,,,,"1,334.06",,,\n')
    ledger = read_export(write(tmp_path, "ar.csv", text.encode()))
    frame = ledger.frame
    assert ledger.delimiter == ","
    assert frame["amount_cents"].tolist() == [123456, 9950]
    assert frame["paid_cents"].tolist() == [23456, 9950]
    assert day(frame["invoice_date"].iloc[0]) == date(2026, 11, 26)
    assert day(frame["due_date"].iloc[1]) == date(2026, 2, 1)  # MDY settled by 11/26 and 12/26
    warned = [p for p in ledger.problems if p.severity == Severity.WARNING]
    assert [(p.row, p.column) for p in warned] == [(3, "Reference")]
    assert frame["reference"].iloc[1].startswith("=cmd")  # kept exactly; flagged for the writer


def test_contradicting_date_column_is_reported_with_rows(tmp_path):
    text = ("Rechnungsnr;Kunde;Datum;Betrag\n"
            "1;K;13.04.2026;1,00\n2;K;04/14/2026;1,00\n3;K;05.06.2026;1,00\n")
    ledger = read_export(write(tmp_path, "x.csv", text.encode()))
    errors = ledger.errors()
    assert len(errors) == 1 and errors[0].column == "Datum" and "rows 2, 3" in errors[0].message
    assert ledger.frame["invoice_date"].isna().all()


def test_duplicates_and_missing_invoice_numbers_are_problems(tmp_path):
    text = "RE-Nr;Kunde;Betrag\n7;K;1,00\n7;K;2,00\n;K;3,00\n"
    ledger = read_export(write(tmp_path, "d.csv", text.encode()))
    assert ledger.frame["invoice_no"].tolist() == ["7"]
    assert sorted(p.row for p in ledger.errors()) == [3, 4]


def test_no_header_is_an_error_the_user_can_fix(tmp_path):
    with pytest.raises(ArbookError, match="Settings"):
        read_export(write(tmp_path, "n.csv", b"a;b;c\n1;2;3\n"))


def test_xlsx_with_title_preamble_typed_cells_and_totals(tmp_path):
    wb = Workbook()
    first = wb.active
    first.title = "Info"
    first["A1"] = "Export vom 26.11.2026"  # a first sheet without a ledger is passed over
    ws = wb.create_sheet("OP-Liste")
    ws["B2"] = "Offene Posten"
    ws.merge_cells("B2:F2")
    ws.append([])
    ws["B4"], ws["C4"], ws["D4"], ws["E4"], ws["F4"] = (
        "Belegnummer", "Kunden-Nr", "Belegdatum", "Nettofälligkeit", "Betrag (EUR)")
    ws["B5"], ws["C5"], ws["D5"], ws["E5"], ws["F5"] = 42, 10001, 46322, date(2026, 11, 26), 12.5
    ws["B6"], ws["C6"], ws["D6"], ws["E6"], ws["F6"] = (
        "00043", "10002", date(2026, 11, 1), "01.12.2026", "1.000,00")
    ws["B8"], ws["F8"] = "Gesamt", 1012.5
    path = tmp_path / "op.xlsx"
    wb.save(path)
    ledger = read_export(path)
    frame = ledger.frame
    assert ledger.sheet == "OP-Liste" and ledger.header_row == 4
    assert frame["invoice_no"].tolist() == ["42", "00043"]
    assert frame["customer_id"].tolist() == ["10001", "10002"]
    assert frame["row"].tolist() == [5, 6]
    assert [day(v) for v in frame["invoice_date"]] == [date(2026, 10, 27), date(2026, 11, 1)]
    assert [day(v) for v in frame["due_date"]] == [date(2026, 11, 26), date(2026, 12, 1)]
    assert frame["amount_cents"].tolist() == [1250, 100000]
    assert all(p.sheet == "OP-Liste" and p.file == "op.xlsx" for p in ledger.problems)
    assert any(p.row == 8 and "totals" in p.message for p in ledger.info())


def test_profile_maps_odd_headers_and_picks_the_sheet(tmp_path):
    profiles = profile_from_rows([
        ("SAP", "invoice_no", "Zuordnung"), ("SAP", "amount", "Betrag in HW"),
        ("SAP", "invoice_date", "Bel.dat."), ("SAP", "date_order", "mdy"),
        ("SAP", "sheet", "Data"), (None, None, None), ("Other", "decimal_comma", "ja"),
    ])
    assert profiles["Other"].decimal_comma is True
    sap = profiles["SAP"]
    assert sap.sheet == "Data" and sap.date_order == "MDY"
    wb = Workbook()
    wb.active.title = "Cover"
    ws = wb.create_sheet("Data")
    ws.append(["Zuordnung", "Bel.dat.", "Betrag in HW"])
    ws.append(["X-1", "03/04/2026", 10])
    wb.save(tmp_path / "sap.xlsx")
    ledger = read_export(tmp_path / "sap.xlsx", sap)
    assert ledger.frame["invoice_no"].tolist() == ["X-1"]
    assert day(ledger.frame["invoice_date"].iloc[0]) == date(2026, 3, 4)
    with pytest.raises(ArbookError, match="Blatt"):
        read_export(tmp_path / "sap.xlsx", ImportProfile(sheet="Nope"))


def test_profile_rows_with_unknown_keys_raise():
    with pytest.raises(ArbookError, match="row 1"):
        profile_from_rows([("P", "betrag", "Amount")])


def test_header_tokens_and_detection_ignore_case_punctuation_and_newlines():
    assert header_token("Beleg-\nNr.") == header_token("belegnr") == "belegnr"
    rows = [["Kunde"], ["Fälligkeit", "RE-Nr", "Restbetrag"]]
    assert find_header(rows) == (1, {0: "due_date", 1: "invoice_no", 2: "open"})


@pytest.mark.parametrize(
    ("text", "formula"),
    [("=1+1", True), ("+49 30 123", True), ("-5", True), ("@SUM(A1)", True),
     ("  =A1", True), ("\t=A1", True), ("\rx", True), ("\nx", True), ("RE 42", False),
     ("a=b", False), ("", False)],
)
def test_formula_text_is_recognised_and_neutralised(text, formula):
    assert looks_like_formula(text) is formula
    safe = neutralise_formula(text)
    assert not looks_like_formula(safe)
    assert (safe == text) is (not formula)
    assert "'" not in safe and safe.replace("\u200b", "").strip() == text.strip()


def test_paid_and_open_that_disagree_are_warned_and_unknown_columns_listed(tmp_path):
    text = "RE-Nr;Betrag;Bezahlt;Offen;Kostenstelle\n1;10,00;4,00;6,00;A\n2;10,00;4,00;5,00;B\n"
    ledger = read_export(write(tmp_path, "p.csv", text.encode()))
    assert ledger.frame["paid_cents"].tolist() == [400, 400]
    warned = [p for p in ledger.problems if p.severity == Severity.WARNING]
    assert [(p.row, p.column) for p in warned] == [(3, "Offen")]
    assert any("Kostenstelle" in p.message for p in ledger.info())


def test_a_customer_called_total_is_not_a_totals_row(tmp_path):
    text = ("Kunde;Kundenname;RE-Nr;Betrag\nK1;Total Energies GmbH;5;10,00\n"
            "Gesamt;;;10,00\n")
    ledger = read_export(write(tmp_path, "t.csv", text.encode()))
    assert ledger.frame["invoice_no"].tolist() == ["5"]
    assert [p.row for p in ledger.info() if "totals" in p.message] == [3]


def test_customer_rows_take_the_first_value_and_warn_about_others(tmp_path):
    text = ("RE-Nr;Kunde;Name;E-Mail;Betrag\n1;K2;Beta AG;;1,00\n2;K1;Alpha;a@x.de;1,00\n"
            "3;K1;Alpha GmbH;;1,00\n4;;;;1,00\n")
    ledger = read_export(write(tmp_path, "c.csv", text.encode()))
    rows, problems = customer_rows(ledger)
    assert rows.to_dict("records") == [
        {"customer_id": "K1", "name": "Alpha", "email": "a@x.de"},
        {"customer_id": "K2", "name": "Beta AG", "email": None}]
    assert [(p.row, p.column) for p in problems] == [(4, "Name")]


def test_a_header_repeated_on_each_printed_page_is_skipped(tmp_path):
    text = "RE-Nr;Betrag\n1;1,00\n\n RE-Nr ;Betrag\n2;2,00\n"
    ledger = read_export(write(tmp_path, "r.csv", text.encode()))
    assert ledger.frame["row"].tolist() == [2, 5]
    assert [p.row for p in ledger.info() if "repeated header" in p.message] == [4]


def test_a_file_mixing_cp1252_and_utf8_lines_is_read_and_warned(tmp_path):
    data = ("RE-Nr;Name;Betrag\n1;Müller;1,00\n".encode("cp1252")
            + "2;Bäcker;2,00\n".encode())
    ledger = read_export(write(tmp_path, "m.csv", data))
    assert ledger.encoding == "cp1252" and ledger.frame["name"].iloc[0] == "Müller"
    warned = [p for p in ledger.problems if p.severity == Severity.WARNING]
    assert len(warned) == 1 and "lines 3 " in warned[0].message
