"""The ribbon's import buttons on the book open in Excel, through the xlwings stand-in.

Excel's file dialog is a stand-in too (``StandInFileDialog``): it answers with files the test
wrote. The ERP export and the camt.053 statement are those of tests/test_imports.py, imported
into the in-memory book; the file on disk stays as it was, the journal beside it records.
"""

from __future__ import annotations

import pytest

from arbook.core.cells import to_text
from arbook.core.schema import BANK_QUEUE, CUSTOMERS, INVOICES, PAYMENTS
from arbook.excel import entry
from arbook.excel.xlwings_port import XlwingsWorkbook
from tests import test_imports
from tests.test_imports import PAY_RE100, UNKNOWN, write_camt, write_erp
from tests.xlwings_standin import StandInBook, StandInFileDialog

book = test_imports.book  # the import tests' workbook fixture: customers K1, K2, three invoices


def rows(standin: StandInBook, spec, key: str) -> dict[str, dict]:
    """A table of the open book by its ``key`` column, as texts."""
    raw = XlwingsWorkbook(standin).read_table(spec)
    texts = {k: to_text(c).tolist() for k, c in raw.columns.items()}
    return {line[key]: line for line in (dict(zip(texts, v, strict=True))
                                         for v in zip(*texts.values(), strict=True))}


def opened(path, answer) -> StandInBook:
    standin = StandInBook.from_xlsx(path)
    standin.app.api = StandInFileDialog(answer)
    return standin


def test_import_invoices_from_the_ribbon_updates_the_open_book(book, tmp_path):
    export = write_erp(tmp_path)
    on_disk = book.read_bytes()
    standin = opened(book, str(export))
    result = entry.import_invoices(XlwingsWorkbook(standin))
    assert result is not None and (result.added, result.updated) == (1, 1)
    (file_filter, _index, title, _button, multiple), = standin.app.api.asked
    assert multiple is False and "*.csv" in file_filter and "ERP" in title
    ledger = rows(standin, INVOICES, "invoice_no")
    assert ledger["RE-200"]["amount"] == "2500.5"
    assert ledger["00042"]["paid"] == "190" and ledger["00042"]["note"] == "ruft zurück"
    assert ledger["RE-200"]["open"] == "2500.5"  # the refresh ran on the same (open) book
    customers = rows(standin, CUSTOMERS, "customer_id")
    assert customers["K3"]["name"] == '=HYPERLINK("http://x")' and standin.formulas() == []
    (_title, text, _buttons), = standin.app.alerts
    assert "1 Rechnung(en) neu, 1 aktualisiert" in text
    assert book.read_bytes() == on_disk and standin.saves == 0  # the user saves, as ever
    assert any("ledger" in s for s in standin.app.status_log)


def test_import_bank_from_the_ribbon_books_queues_and_saves(book, tmp_path):
    statement = write_camt(tmp_path, [PAY_RE100, UNKNOWN])
    standin = opened(book, (str(statement),))  # MultiSelect: COM answers with a tuple
    result = entry.import_bank(XlwingsWorkbook(standin))
    assert result is not None and len(result.applied()) == 1
    assert standin.app.api.asked[0][4] is True
    payments = [p for p in rows(standin, PAYMENTS, "source").values() if p["invoice_no"]]
    assert [(p["invoice_no"], p["amount"]) for p in payments] == [("RE-100", "500")]
    assert rows(standin, INVOICES, "invoice_no")["RE-100"]["status"] == "bezahlt"
    queue = rows(standin, BANK_QUEUE, "key")
    assert [q["amount"] for q in queue.values()] == ["77.7"]
    assert standin.saves == 1  # saved before the journal marked the payment applied
    assert "1 Zahlung(en) gebucht, 1 auf Blatt Zuordnen" in standin.app.alerts[-1][1]
    # the same statement again: the journal beside the file knows it, nothing is booked twice
    again = entry.import_bank(XlwingsWorkbook(standin))
    assert again is not None and again.files[0].imported_before and again.applied() == []
    assert len([p for p in rows(standin, PAYMENTS, "source").values() if p["invoice_no"]]) == 1


def test_cancelling_the_dialog_changes_nothing(book):
    standin = opened(book, False)
    before = {s.name: dict(s.cells) for s in standin.sheets}
    assert entry.import_invoices(XlwingsWorkbook(standin)) is None
    assert entry.import_bank(XlwingsWorkbook(standin)) is None
    assert standin.app.alerts == [] and standin.saves == 0
    assert {s.name: s.cells for s in standin.sheets} == before


@pytest.mark.parametrize("button", [entry.import_invoices, entry.import_bank])
def test_on_the_mac_the_button_points_to_the_cli(book, monkeypatch, button):
    monkeypatch.setattr(entry, "current_platform", lambda: "macos")
    standin = opened(book, False)
    assert button(XlwingsWorkbook(standin)) is None
    assert standin.app.api.asked == [] and "arbook import-" in standin.app.alerts[-1][1]


def test_an_unsaved_book_is_refused_before_the_dialog(book):
    standin = opened(book, False)
    standin.fullname = "Mappe1"
    assert entry.import_bank(XlwingsWorkbook(standin)) is None
    assert standin.app.api.asked == [] and "save it" in standin.app.alerts[-1][1]
