"""refresh on real workbook files: values written, problems with their place, --strict."""

from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest
import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from arbook import jobs
from arbook.cli import main
from arbook.core.schema import CUSTOMERS, INVOICES, PROBLEMS
from arbook.io.xlsx.book import Book
from arbook.io.xlsx.package import Package
from tests.helpers import AS_OF, new_book, put_rows, small_ledger


def table_rows(path, name: str) -> list[dict]:
    """The table's rows as python-calamine (an independent reader) sees them."""
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    table = book.get_table_by_name(name)
    return [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]


@pytest.fixture
def book(tmp_path):
    return small_ledger(tmp_path / "Offene Posten.xlsx")


def test_refresh_writes_computed_columns_by_invoice_number(book):
    result = jobs.refresh(book, AS_OF)
    assert result.written and result.problems == []
    rows = {r["Rechnungsnr."]: r for r in table_rows(book, "tblInvoices")}
    assert rows["0042"]["Offen"] == 900.0  # 1190 - 190 paid - 100 on the Payments sheet
    assert rows["0042"]["Tage überfällig"] == 56
    assert rows["0042"]["Altersklasse"] == "31-60 Tage"
    assert rows["0042"]["Status"] == "überfällig"
    assert rows["0043"]["Tage überfällig"] == 11  # due 15.11. from 14 days' terms
    assert rows["0043"]["Hinweis"] == "Fälligkeit aus Zahlungsziel"
    assert rows["0043"]["Notiz"] == "ruft zurück"
    assert rows["0044"]["Status"] == "strittig"
    assert rows["0044"]["Zuständig"] == "MK"


def test_values_follow_invoices_after_the_user_sorts_the_table(book):
    jobs.refresh(book, AS_OF)
    wb = load_workbook(book)  # the user sorts descending by invoice number in Excel
    ws = wb["Rechnungen"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=4)]
    for target, source in zip(range(2, 5), reversed(values), strict=True):
        for j, value in enumerate(source, start=1):
            ws.cell(row=target, column=j).value = value
    ws["R2"] = ws["S2"] = ws["T2"] = None  # and even clears some computed cells
    wb.save(book)
    jobs.refresh(book, date(2026, 11, 27))
    rows = table_rows(book, "tblInvoices")
    assert [r["Rechnungsnr."] for r in rows] == ["0044", "0043", "0042"]
    by_no = {r["Rechnungsnr."]: r for r in rows}
    assert by_no["0042"]["Tage überfällig"] == 57
    assert by_no["0044"]["Offen"] == 80.5 and by_no["0044"]["Status"] == "strittig"


def test_problems_have_a_place_and_good_rows_are_still_processed(book):
    put_rows(book, INVOICES, [
        {"invoice_no": "A1", "customer_id": "K1", "due_date": date(2026, 11, 1), "amount": 10.0},
        {"invoice_no": "A1", "customer_id": "K1", "due_date": date(2026, 11, 1), "amount": 20.0},
        {"customer_id": "K1", "due_date": date(2026, 11, 1), "amount": 30.0},
        {"invoice_no": "B1", "customer_id": "K9", "due_date": date(2026, 11, 1), "amount": 40.0},
        {"invoice_no": "B2", "customer_id": "K1", "due_date": "31.02.2026", "amount": 50.0},
        {"invoice_no": "B3", "customer_id": "K1", "due_date": date(2026, 11, 1), "amount": "zwölf"},
        {"invoice_no": "B4", "customer_id": "K1", "due_date": "01.11.2026", "amount": "1.234,56"},
    ])
    result = jobs.refresh(book, AS_OF)
    found = {(p.sheet, p.row, p.column) for p in result.problems}
    assert ("Rechnungen", 2, "Rechnungsnr.") in found and ("Rechnungen", 3, "Rechnungsnr.") in found
    assert ("Rechnungen", 4, "Rechnungsnr.") in found  # missing number
    assert ("Rechnungen", 5, "Kundennr.") in found  # unknown customer K9
    assert ("Rechnungen", 6, "Fällig am") in found  # 31.02. does not exist
    assert ("Rechnungen", 7, "Betrag") in found
    assert all(p.file == "Offene Posten.xlsx" for p in result.problems)
    rows = {r["Rechnungsnr."]: r for r in table_rows(book, "tblInvoices")}
    assert rows["B4"]["Offen"] == 1234.56  # German amount text and date text are understood
    assert rows["B1"]["Offen"] == 40.0  # unknown customer: reported, still aged
    sheet = table_rows(book, "tblProblems")
    assert len(sheet) == len(result.problems)
    assert {(r["Blatt"], int(r["Zeile"]), r["Spalte"]) for r in sheet} == found


def test_strict_makes_problems_fatal_and_writes_nothing(book, tmp_path):
    put_rows(book, INVOICES, [{"invoice_no": "X", "customer_id": "K9", "amount": 1.0,
                               "due_date": date(2026, 1, 1)}])
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", "2026-11-26", "--strict"])
    assert result.exit_code == 1, result.output
    assert "K9" in result.output
    assert book.read_bytes() == before
    ok = CliRunner().invoke(main, ["refresh", str(book), "--as-of", "26.11.2026"])
    assert ok.exit_code == 0, ok.output
    assert book.read_bytes() != before


def test_start_sheet_totals_and_stamp(book):
    jobs.refresh(book, AS_OF)
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(
        "Start").to_python(skip_empty_area=False)
    assert "Stichtag 26.11.2026" in rows[8][1]
    table = {r[0]: r[1:] for r in rows[11:27] if r and r[0]}
    header = list(table["Altersklasse"])
    eur, chf = header.index("EUR"), header.index("CHF")
    assert table["Summe offen"][eur] == 1400.0 and table["Summe offen"][chf] == 80.5
    assert table["31-60 Tage"][eur] == 900.0 and table["1-30 Tage"][eur] == 500.0
    assert table["davon überfällig"][eur] == 1400.0


def test_english_book(tmp_path):
    path = new_book(tmp_path / "ar.xlsx", lang="en")
    put_rows(path, CUSTOMERS, [{"customer_id": "C1", "terms_days": 30}], lang="en")
    put_rows(path, INVOICES, [{"invoice_no": "INV-1", "customer_id": "C1", "amount": 99.99,
                               "invoice_date": date(2026, 8, 1)}], lang="en")
    jobs.refresh(path, AS_OF)
    [row] = table_rows(path, "tblInvoices")
    assert row["Ageing bucket"] == "61-90 days" and row["Status"] == "overdue"
    assert row["Days overdue"] == 87


def test_only_owned_parts_change(book):
    with zipfile.ZipFile(book) as z:
        before = {n: z.read(n) for n in z.namelist()}
    jobs.refresh(book, AS_OF)
    with zipfile.ZipFile(book) as z:
        after = {n: z.read(n) for n in z.namelist()}
        assert z.testzip() is None
    changed = {n for n in before if before[n] != after[n]}
    # openpyxl writes text inline; arbook adds the shared-string table Excel itself would use
    assert set(after) - set(before) == {"xl/sharedStrings.xml"}
    with Package(book) as package:  # the parts refresh owns, found by name
        structure = Book(package)
        owned = {structure.sheets["Start"], structure.table(INVOICES.name).sheet_part,
                 structure.table(PROBLEMS.name).sheet_part, structure.table(PROBLEMS.name).part}
    assert changed <= owned | {"xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                               "[Content_Types].xml"}
    assert b"sharedStrings" in after["[Content_Types].xml"]
    jobs.refresh(book, AS_OF)  # the second time the table exists and nothing is added
    with zipfile.ZipFile(book) as z:
        again = {n: z.read(n) for n in z.namelist()}
    assert again["xl/sharedStrings.xml"] == after["xl/sharedStrings.xml"]
    assert again["[Content_Types].xml"] == after["[Content_Types].xml"]


def test_every_command_has_help_with_an_example():
    paths = [[name] for name in main.commands]
    paths += [[name, sub] for name, command in main.commands.items()
              for sub in getattr(command, "commands", {})]  # e.g. addin build, templates export
    for path in paths:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output and f"arbook {' '.join(path)}" in result.output, path


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"mine")
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert path.read_bytes() == b"mine"


def _drop_cells(path, part: str, pattern: bytes) -> None:
    """Remove cells from a worksheet part, as Excel does when a user clears them."""
    import re

    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, re.sub(pattern, b"", data) if info.filename == part else data)


def test_new_cells_in_an_empty_computed_column_take_the_column_style(book):
    _drop_cells(book, "xl/worksheets/sheet3.xml", rb'<c r="[R-V]\d+"[^>]*/>')
    jobs.refresh(book, AS_OF)
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/worksheets/sheet3.xml")
    col_style = re.search(rb'<col [^>]*style="(\d+)"[^>]*min="18"', xml)
    assert col_style, "init gives the Open column a style of its own"
    assert re.search(rb'<c r="R2" s="%s"><v>900.00?</v>' % col_style.group(1), xml) or \
        re.search(rb'<c r="R2" s="%s"><v>900</v>' % col_style.group(1), xml)


def test_a_row_the_user_cleared_loses_its_computed_values(book):
    jobs.refresh(book, AS_OF)
    _drop_cells(book, "xl/worksheets/sheet3.xml", rb'<c r="[A-Q]3"[^>]*?(?:/>|>.*?</c>)')
    jobs.refresh(book, AS_OF)
    rows = table_rows(book, "tblInvoices")
    cleared = rows[1]
    assert cleared["Rechnungsnr."] == "" and cleared["Offen"] == "" and cleared["Status"] == ""
    assert rows[0]["Offen"] == 900.0


def test_only_rows_whose_values_change_are_rewritten(book):
    first = jobs.refresh(book, AS_OF)
    assert first.rows_changed == 3
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet3.xml")
    again = jobs.refresh(book, AS_OF)  # same day: nothing to change in the ledger
    assert again.rows_changed == 0
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/worksheets/sheet3.xml") == sheet
    next_day = jobs.refresh(book, date(2026, 11, 27))
    assert next_day.rows_changed == 2  # the two overdue invoices; the disputed one is not due
    rows = {r["Rechnungsnr."]: r for r in table_rows(book, "tblInvoices")}
    assert rows["0042"]["Tage überfällig"] == 57 and rows["0043"]["Tage überfällig"] == 12
