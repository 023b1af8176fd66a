"""German bank CSV exports and the English sheet layout, checked against the files themselves.

The expected values are read by the test with the csv module and plain string handling (an
independent path), not copied from what the code printed.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from arbook.core.bank import check_balance
from arbook.io.bank import CsvProfile, read_bytes, read_statements
from arbook.io.bank.values import (
    ValueProblem,
    amount_cents,
    guess_date_order,
    guess_decimal_mark,
    parse_date,
    sepa_fields,
)
from tests.bank_extdata import folder

DE = "german-bank-csv-rechnungspilot"
SHEET = "oca-bank-statement-import/sheet"


def german_cents(text: str) -> int:
    return int(Decimal(text.replace(".", "").replace(",", ".")) * 100)


def rows(name: str, encoding: str = "utf-8-sig", skip: int = 0, delimiter: str = ";"):
    text = (folder(DE) / name).read_text(encoding=encoding)
    lines = text.splitlines()[skip:]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter))


@pytest.mark.parametrize("name", ["sparda-bank-west.csv", "gls-bank.csv",
                                  "vr-teilhaberbank.csv"])
def test_atruvia_running_balance_holds_and_entries_match(name):
    expected = rows(name)
    statements, problems = read_statements(folder(DE) / name)
    assert problems == []
    (statement,) = statements
    assert [e.amount_cents for e in statement.entries] == [german_cents(r["Betrag"])
                                                           for r in expected]
    # newest row first: its "Saldo nach Buchung" is the closing balance
    assert statement.closing_cents == german_cents(expected[0]["Saldo nach Buchung"])
    assert statement.opening_cents == (german_cents(expected[-1]["Saldo nach Buchung"])
                                       - german_cents(expected[-1]["Betrag"]))
    assert check_balance(statement) is None
    assert statement.account_iban == expected[0]["IBAN Auftragskonto"]
    assert statement.format == "csv:atruvia"


def test_a_broken_running_balance_names_its_row():
    path = folder(DE) / "gls-bank.csv"
    data = path.read_bytes().replace(b";-39,2;EUR;", b";-39,3;EUR;", 1)
    _, problems = read_bytes(data, path.name)
    breaks = [p for p in problems if "running balance" in p.message]
    assert len(breaks) == 1
    # the changed row is data row 3 (line 4); reading oldest first, the break shows there
    assert breaks[0].row == 4 and breaks[0].file == "gls-bank.csv"


def test_sparkasse_pending_rows_and_references():
    expected = rows("sparkasse-lzo-camt-v2.csv")
    (statement,), problems = read_statements(folder(DE) / "sparkasse-lzo-camt-v2.csv")
    assert problems == []
    assert [e.booked for e in statement.entries] == ["vorgemerkt" not in r["Info"]
                                                     for r in expected]
    assert [e.end_to_end_id for e in statement.entries] == [r["Kundenreferenz (End-to-End)"]
                                                            for r in expected]
    assert [e.booking_date for e in statement.entries][0] == date(2025, 12, 5)  # "05.12.25"


def test_sparkasse_mt940_style_csv_gives_the_references_of_the_camt_style_csv():
    """The same account exported twice: SEPA tags in the purpose vs. separate columns."""
    (camt,), _ = read_statements(folder(DE) / "sparkasse-lzo-camt-v2.csv")
    (mt,), _ = read_statements(folder(DE) / "sparkasse-lzo-mt940.csv")
    assert [e.amount_cents for e in mt.entries] == [e.amount_cents for e in camt.entries]
    pairs = list(zip(mt.entries, camt.entries, strict=True))
    rechnung = [(m, c) for m, c in pairs if "Rechnung 11063225" in c.remittance]
    assert rechnung
    for m, c in rechnung:
        assert (m.end_to_end_id, m.mandate_ref) == (c.end_to_end_id, c.mandate_ref)


def test_commerzbank_references_inside_the_booking_text():
    (statement,), _ = read_statements(folder(DE) / "commerzbank.csv")
    gmx = next(e for e in statement.entries if "GMX" in e.remittance)
    assert (gmx.end_to_end_id, gmx.mandate_ref, gmx.creditor_id) == (
        "009876584321", "009876584321", "DE012345678")
    assert statement.account_iban == "DE79500400000123456700"


def test_dkb_preamble_balance_and_payer_or_payee():
    (statement,), _ = read_statements(folder(DE) / "dkb.csv")
    assert statement.account_iban == "DE42120300001033738756"
    assert statement.closing_cents == german_cents("4.093,32")
    assert statement.closing_date == date(2025, 12, 9)
    first = statement.entries[0]
    assert first.amount_cents == 20000
    assert statement.entries[1].amount_cents == -6230  # "-62,3"
    assert statement.entries[1].counterparty_name == "Firma"  # payee of money out


def test_ing_latin1_with_preamble():
    (statement,), problems = read_statements(folder(DE) / "ing-mit-saldo.csv")
    assert statement.account_iban == "DE89370400440532013000"
    assert statement.closing_cents == german_cents("66.331,90")
    expected = rows("ing-mit-saldo.csv", encoding="latin-1", skip=13)
    amounts = [german_cents(r["Betrag"]) for r in expected if r["Währung"] == "EUR"]
    assert [e.amount_cents for e in statement.entries] == amounts
    # one row of the real export lacks a field: reported with its line, not guessed
    short = [r for r in expected if r["Währung"] != "EUR"]
    assert len(short) == 1 and len(problems) == 1 and problems[0].row is not None
    assert "6 fields, the header 7" in problems[0].message
    lines = (folder(DE) / "ing-mit-saldo.csv").read_text(encoding="latin-1").splitlines()
    assert lines[problems[0].row - 1].count(";") == 5
    # the header "Auftraggeber/Empfänger" is only recognised when latin-1 was decoded right
    assert statement.format == "csv:ing"


def test_targobank_decimal_comma_and_point_variants_agree():
    comma_statements, _ = read_statements(folder(DE) / "targobank-duesseldorf.csv")
    point_statements, _ = read_statements(folder(DE) / "targobank-duesseldorf-variation.csv")

    def by_line(statements):
        return sorted((e for s in statements for e in s.entries), key=lambda e: e.position)

    comma, point = by_line(comma_statements), by_line(point_statements)
    assert [e.amount_cents for e in comma] == [e.amount_cents for e in point]
    assert comma[0].amount_cents == -500
    assert any(e.amount_cents == 8316 for e in comma)  # the credit column
    # the account is in every row; rows naming another account form their own statement
    accounts = {line.rsplit(";", 1)[-1].strip().strip("'") for line in (
        folder(DE) / "targobank-duesseldorf.csv").read_text(encoding="utf-8").splitlines()
        if line.strip()}
    assert {s.account_iban for s in comma_statements} == accounts


def test_paypal_uses_the_transaction_code_as_reference():
    expected = list(csv.DictReader(io.StringIO(
        (folder(DE) / "paypal.csv").read_text(encoding="utf-8-sig"))))
    (statement,), _ = read_statements(folder(DE) / "paypal.csv")
    assert [e.entry_ref for e in statement.entries] == [r["Transaktionscode"] for r in expected]
    assert [e.amount_cents for e in statement.entries] == [german_cents(r["Netto"])
                                                           for r in expected]


def test_sheet_layouts_with_thousands_and_split_columns_agree():
    (balance,), p1 = read_statements(folder(SHEET) / "balance.csv")
    (debit_credit,), p2 = read_statements(folder(SHEET) / "debit_credit.csv")
    assert p1 == [] and p2 == []
    assert [e.amount_cents for e in balance.entries] == [-3350, 153350]
    assert [e.amount_cents for e in debit_credit.entries] == [-3350, 153350]
    assert balance.entries[0].booking_date == date(2018, 12, 15)  # 12/15/2018: month first


def test_sheet_with_preamble_and_trailer_reports_its_two_cent_gap():
    statements, problems = read_statements(folder(SHEET) / "meta_data_separated_credit_debit.csv")
    (statement,) = statements
    assert statement.opening_cents == german_cents("30000,77")
    assert statement.closing_cents == german_cents("31070,11")
    assert sum(e.amount_cents for e in statement.entries) == german_cents("1069,32")
    gap = check_balance(statement)
    assert gap is not None and "gap -0.02" in gap.message and gap in problems


def test_empty_lines_are_skipped_and_an_empty_statement_is_said():
    (statement,), problems = read_statements(folder(SHEET) / "empty_lines_statement.csv")
    assert len(statement.entries) == 3 and problems == []
    statements, problems = read_statements(folder(SHEET) / "empty_statement_en.csv")
    assert statements == [] and "no bank entries" in problems[0].message


def test_csv_statement_id_is_account_and_date_range_and_stable():
    path = folder(DE) / "gls-bank.csv"
    (one,), _ = read_statements(path)
    (two,), _ = read_statements(path)
    assert one.id.startswith("csv:DE89370400440532013000:")
    assert one == two
    dates = sorted(e.booking_date for e in one.entries)
    assert one.id.endswith(f"{dates[0].isoformat()}..{dates[-1].isoformat()}")
    assert len({e.entry_ref for e in one.entries}) == len(one.entries)


def test_generic_mapping_for_an_unknown_bank(tmp_path):
    path = tmp_path / "hausbank.csv"
    path.write_text("Konto: DE02120300000000202051\n\nTag;Zweck;Summe;Partner\n"
                    "26.11.2026;RE 2026-0042;1.234,56;Muster GmbH\n"
                    "27.11.2026;Gebühr;12,00-;Bank\n", encoding="cp1252")
    profile = CsvProfile(name="hausbank", booking_date=("Tag",), amount=("Summe",),
                         remittance=("Zweck",), name_col=("Partner",))
    (statement,), problems = read_statements(path, csv_profile=profile)
    assert problems == []
    assert [e.amount_cents for e in statement.entries] == [123456, -1200]
    assert statement.entries[1].remittance == "Gebühr"
    assert statement.account_iban == "DE02120300000000202051"
    statements, problems = read_statements(path)  # without the mapping: said, not guessed
    assert statements == [] and "layout" in problems[0].message


@pytest.mark.parametrize(("text", "mark", "cents"), [
    ("1.234,56", ",", 123456), ("-1.234,56", ",", -123456), ("1.234,56-", ",", -123456),
    ("+31070,11", ",", 3107011), ("1,533.50", ".", 153350), ("-62,3", ",", -6230),
    ("4.093,32\u00a0€", ",", 409332), ("0", ",", 0),
])
def test_amount_formats(text, mark, cents):
    assert amount_cents(text, mark) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,2,3x", "12,345", "--5"])
def test_amounts_that_are_not_amounts(text):
    with pytest.raises(ValueProblem):
        amount_cents(text, ",")


def test_imported_text_is_kept_on_one_line_and_as_written(tmp_path):
    """Line breaks and control characters go; a formula-like text stays text (the workbook
    writer escapes it), and nothing is evaluated here."""
    path = tmp_path / "x.csv"
    path.write_text('Date,Label,Amount\n12/15/2018,"=HYPERLINK(""http://x"")\nRE 42\x07",1.00\n',
                    encoding="utf-8")
    (statement,), problems = read_statements(path)
    assert problems == []
    assert statement.entries[0].remittance == '=HYPERLINK("http://x") RE 42'


def test_one_statement_per_account_and_currency():
    expected = list(csv.DictReader(io.StringIO(
        (folder(SHEET) / "multi_currency.csv").read_text(encoding="utf-8"))))
    statements, problems = read_statements(folder(SHEET) / "multi_currency.csv")
    assert problems == []
    assert sorted(s.currency for s in statements) == sorted({r["Currency"] for r in expected})
    assert all({e.currency for e in s.entries} == {s.currency} for s in statements)
    assert len({s.id for s in statements}) == len(statements)


@pytest.mark.parametrize(("text", "expected"), [
    ("EREF+11063225-1MREF+41310-1CRED+DE11ZZZ00000000003SVWZ+Rechnung 11063225",
     {"EREF": "11063225-1", "MREF": "41310-1", "CRED": "DE11ZZZ00000000003",
      "SVWZ": "Rechnung 11063225"}),
    ("Servicepauschale EREF: N0003--0149 MREF: MLREF309677 CRED: DE80ZZZ00000030151 "
     "IBAN: DE89370400440532013000 BIC: RZOODE77",
     {"EREF": "N0003--0149", "MREF": "MLREF309677", "CRED": "DE80ZZZ00000030151",
      "IBAN": "DE89370400440532013000", "BIC": "RZOODE77"}),
    ("End-to-End-Ref.: 0098 Mandatsref: 0099 Gläubiger-ID: DE0123 SEPA-BASISLASTSCHRIFT",
     {"EREF": "0098", "MREF": "0099", "CRED": "DE0123"}),
    ("EREF+NOTPROVIDED SVWZ+RE 4711", {"SVWZ": "RE 4711"}),
    ("Rechnung 4711 ohne Schlüsselwörter", {}),
])
def test_sepa_keywords_in_purpose_text(text, expected):
    assert sepa_fields(text) == expected


@pytest.mark.parametrize(("text", "order", "expected"), [
    ("26.11.2026", "dmy", date(2026, 11, 26)), ("05.12.25", "dmy", date(2025, 12, 5)),
    ("2026-11-26", "dmy", date(2026, 11, 26)), ("2014-12-31T13:15:00+01:00", "dmy",
                                                date(2014, 12, 31)),
    ("12/15/2018", "mdy", date(2018, 12, 15)), ("01/04/20", "dmy", date(2020, 4, 1)),
])
def test_dates(text, order, expected):
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(("column", "order", "ambiguous"), [
    (["12/15/2018", "01/02/2018"], "mdy", False), (["15/12/2018", "01/02/2018"], "dmy", False),
    (["01/04/20", "02/04/20"], "dmy", True), (["26.11.2026"], "dmy", False),
])
def test_date_order_is_decided_by_the_whole_column(column, order, ambiguous):
    assert guess_date_order(column) == (order, ambiguous)


@pytest.mark.parametrize(("column", "mark"), [
    (["1.234", "5"], ","), (["1,234"], "."), (["1,533.50", "-33.50"], "."),
    (["-62,3", "200"], ","), (["1,234", "12,50"], ","), (["-5.00", "-24.00"], "."),
])
def test_decimal_mark_is_decided_by_the_whole_column(column, mark):
    assert guess_decimal_mark(column) == mark
