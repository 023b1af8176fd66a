"""One contract for the workbook port, run against the file port and the xlwings port.

The xlwings port runs on an in-memory stand-in for the few xlwings objects it uses
(tests/xlwings_standin.py), loaded from the same real .xlsx the file port opens. Each port is
read back through itself after saving, so a test passes only if writes land where reads find
them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH

from arbook import jobs
from arbook import remind as remind_job
from arbook import review as review_job
from arbook.core.cells import ColumnValues, to_text
from arbook.core.problems import ArbookError, Problem
from arbook.core.schema import (
    CHECKLIST,
    HISTORY,
    INVOICES,
    JOURNEY,
    PROBLEMS,
    REMINDERS,
    SETTINGS,
)
from arbook.excel import entry
from arbook.excel.xlwings_port import XlwingsWorkbook
from arbook.io.workbook_file import WorkbookFile
from tests.helpers import AS_OF, small_ledger
from tests.test_remind import set_settings
from tests.xlwings_standin import StandInBook


class FilePort:
    """Opens the file afresh for every session, saving at the end of each."""

    kind = "file"

    def __init__(self, path):
        self.path = path

    def session(self):
        return WorkbookFile(self.path)

    def end(self, book):
        book.save()
        book.package.close()


class StandInPort:
    kind = "xlwings stand-in"

    def __init__(self, path):
        self.path = path
        self.standin = StandInBook.from_xlsx(path)

    def session(self):
        return XlwingsWorkbook(self.standin)

    def end(self, book):
        book.save()


@pytest.fixture(params=[FilePort, StandInPort], ids=["file", "xlwings-standin"])
def port(request, tmp_path):
    return request.param(small_ledger(tmp_path / "Offene Posten.xlsx"))


def _sort_descending(path):
    """The user sorts the ledger descending by invoice number (rows 2-4 reversed)."""
    wb = load_workbook(path)
    ws = wb["Rechnungen"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=4)]
    for target, source in zip(range(2, 5), reversed(values), strict=True):
        for j, value in enumerate(source, start=1):
            ws.cell(row=target, column=j).value = value
    wb.save(path)


def _column(book, key):
    raw = book.read_table(INVOICES, keys=("invoice_no", key))
    return dict(zip(to_text(raw.columns["invoice_no"]), to_text(raw.columns[key]), strict=True))


def test_read_table_gives_rows_keys_and_typed_cells(port):
    book = port.session()
    raw = book.read_table(INVOICES)
    assert to_text(raw.columns["invoice_no"]).tolist() == ["0042", "0043", "0044"]
    assert raw.rows.tolist() == [2, 3, 4]
    assert raw.columns["amount"].numbers.tolist() == [1190.0, 500.0, 80.5]
    serial = (date(2026, 9, 1) - date(1899, 12, 30)).days
    assert raw.columns["invoice_date"].numbers[0] == serial
    assert raw.headers["invoice_no"] == "Rechnungsnr."


def test_read_pairs_reads_settings_with_their_rows(port):
    pairs = port.session().read_pairs(SETTINGS, "setting", "value")
    value, row = pairs["language"]
    assert value == "de" and row > 1


def test_computed_values_land_on_their_invoice_after_the_user_sorted(port):
    _sort_descending(port.path)
    if isinstance(port, StandInPort):
        port.standin = StandInBook.from_xlsx(port.path)
    book = port.session()
    book.read_table(INVOICES, write_keys=("days_overdue",), keys=("invoice_no",))
    keys = np.array(["0042", "0043", "0044"], dtype=object)
    written = book.write_computed(INVOICES, keys,
                                  {"days_overdue": ColumnValues.scaled(np.array([7, 8, 9]), 0)},
                                  {})
    assert written == 3
    port.end(book)
    assert _column(port.session(), "days_overdue") == {"0042": "7", "0043": "8", "0044": "9"}


def test_replacing_an_owned_table_resizes_it_and_keeps_hostile_text_as_text(port):
    book = port.session()
    hostile = '=HYPERLINK("http://evil.example","click")'
    book.write_problems([Problem(f"m{i}", sheet="S", row=i) for i in range(5)], "de")
    port.end(book)
    book = port.session()
    book.write_problems([Problem(hostile, sheet="S", row=9)], "de")
    port.end(book)
    raw = port.session().read_table(PROBLEMS)
    assert to_text(raw.columns["message"]).tolist() == [hostile]
    if isinstance(port, StandInPort):
        assert port.standin.formulas() == []


def test_refresh_through_the_port_writes_the_cli_result(port, tmp_path):
    oracle = small_ledger(tmp_path / "oracle.xlsx")
    jobs.refresh(oracle, AS_OF)  # the CLI's path on a closed file
    book = port.session()
    result = jobs.refresh_book(book, port.path, AS_OF)
    port.end(book)
    assert result.written and result.rows == 3
    for key in jobs.REFRESH_COLUMNS:
        with WorkbookFile(oracle) as expected:
            assert _column(port.session(), key) == _column(expected, key), key


def test_remind_preview_through_the_port_plans_what_the_cli_plans(port):
    cli = remind_job.remind(port.path, AS_OF, dry_run=True)
    result = remind_job.remind_book(port.session(), port.path, AS_OF, dry_run=True)
    assert [(p.customer.id, p.stage_no) for p in result.reminders] == \
        [(p.customer.id, p.stage_no) for p in cli.reminders]
    assert result.reminders, "the ledger has an invoice 56 days overdue"


def test_ribbon_refresh_uses_status_bar_and_message_box(tmp_path):
    path = small_ledger(tmp_path / "b.xlsx")
    standin = StandInBook.from_xlsx(path)
    result = entry.refresh(XlwingsWorkbook(standin))
    assert result is not None and result.written
    assert any("ledger" in text for text in standin.app.status_log)
    assert standin.app.status_bar is False and standin.app.screen_updating is True
    (title, text, _buttons), = standin.app.alerts
    assert "3 Rechnungen aktualisiert" in text


def test_ribbon_send_asks_first_and_sends_nothing_when_cancelled(tmp_path):
    path = small_ledger(tmp_path / "b.xlsx")
    standin = StandInBook.from_xlsx(path)
    standin.app.answer = "cancel"
    assert entry.remind_send(XlwingsWorkbook(standin)) is None
    asked, told = standin.app.alerts
    assert asked[2] == "ok_cancel" and "senden" in asked[1]
    assert "Nicht gesendet" in told[1]
    assert not (tmp_path / "outbox").exists()


def test_a_user_error_becomes_a_message_box(tmp_path):
    path = small_ledger(tmp_path / "b.xlsx")
    standin = StandInBook.from_xlsx(path)
    for sheet in standin.sheets:
        sheet.tables = [t for t in sheet.tables if t.name != INVOICES.name]
    assert entry.refresh(XlwingsWorkbook(standin)) is None
    (_title, text, _buttons), = standin.app.alerts
    assert "tblInvoices" in text


def test_drafts_from_the_open_book_land_in_the_outbox_and_the_reminders_table(tmp_path):
    path = small_ledger(tmp_path / "b.xlsx")
    set_settings(path, {"sender_email": "buchhaltung@ihre-firma.example"})
    standin = StandInBook.from_xlsx(path)
    with XlwingsWorkbook(standin) as book:
        result = remind_job.remind_book(book, path, AS_OF)
    assert result.count("drafted") == len(result.reminders) == 2
    drafts = sorted((tmp_path / "outbox").rglob("*.eml"))
    assert len(drafts) == 2
    raw = XlwingsWorkbook(standin).read_table(REMINDERS)
    assert sorted(to_text(raw.columns["customer_id"]).tolist()) == ["K1", "K2"]
    assert "2 als Entwurf" in entry.remind_summary(result)


def test_from_the_addin_the_port_takes_the_active_book(monkeypatch, tmp_path):
    import xlwings

    addin = StandInBook("arbook.xlam", str(tmp_path / "arbook.xlam"), [])
    user = StandInBook.from_xlsx(small_ledger(tmp_path / "b.xlsx"))
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: addin))
    monkeypatch.setattr(xlwings, "books", type("Books", (), {"active": user})())
    assert XlwingsWorkbook.active().book is user
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: user))
    assert XlwingsWorkbook.active().book is user


def test_an_unsaved_or_online_book_is_refused_before_reminders(tmp_path):
    standin = StandInBook.from_xlsx(small_ledger(tmp_path / "b.xlsx"))
    for fullname in ("Mappe1", "https://contoso.sharepoint.com/Offene%20Posten.xlsx"):
        standin.fullname = fullname
        assert entry.remind_draft(XlwingsWorkbook(standin)) is None
        assert "save it" in standin.app.alerts[-1][1]
    assert not (tmp_path / "outbox").exists()


def test_a_totals_row_is_not_read_as_an_invoice(tmp_path):
    standin = StandInBook.from_xlsx(small_ledger(tmp_path / "b.xlsx"))
    table = next(t for s in standin.sheets for t in s.tables if t.name == INVOICES.name)
    table.bounds[3] += 1  # the user switches on the totals row below the last invoice
    table.show_totals = True
    sheet = table.sheet
    sheet.cells[(table.bounds[3], table.bounds[0])] = "Summe"
    raw = XlwingsWorkbook(standin).read_table(INVOICES)
    assert to_text(raw.columns["invoice_no"]).tolist() == ["0042", "0043", "0044"]


# -- what the imports need: appending rows, writing only the rows an export has -------------

NEW_ROWS = [
    {"invoice_no": "0045", "customer_id": "K2", "invoice_date": date(2026, 11, 25),
     "currency": "EUR", "amount": Decimal("2500.50")},
    {"invoice_no": "RE-9", "customer_id": '=HYPERLINK("http://evil.example")', "amount": 7},
]


def test_appended_rows_are_read_back_in_the_same_session_and_after_saving(port):
    book = port.session()
    first = book.append_rows(INVOICES, NEW_ROWS)
    assert first == 5  # after the three invoices in rows 2-4
    # the same session sees the grown table (the file port must not keep the old range)
    assert to_text(book.read_table(INVOICES).columns["invoice_no"]).tolist() == \
        ["0042", "0043", "0044", "0045", "RE-9"]
    port.end(book)
    raw = port.session().read_table(INVOICES)
    assert raw.rows.tolist() == [2, 3, 4, 5, 6]
    customers = to_text(raw.columns["customer_id"]).tolist()
    assert customers[3:] == ["K2", NEW_ROWS[1]["customer_id"]]  # the formula stayed text
    assert raw.columns["amount"].numbers.tolist()[3:] == [2500.5, 7.0]
    serial = (date(2026, 11, 25) - date(1899, 12, 30)).days
    assert raw.columns["invoice_date"].numbers[3] == serial
    if isinstance(port, StandInPort):
        assert port.standin.formulas() == []


def test_appending_is_refused_when_something_stands_below_the_table(port):
    wb = load_workbook(port.path)
    wb["Rechnungen"].cell(row=5, column=1, value="Notiz unter der Tabelle")
    wb.save(port.path)
    if isinstance(port, StandInPort):
        port.standin = StandInBook.from_xlsx(port.path)
    book = port.session()
    with pytest.raises(ArbookError, match="row 5 below table"):
        book.append_rows(INVOICES, NEW_ROWS[:1])
    port.end(book)
    assert len(port.session().read_table(INVOICES).rows) == 3


def test_keep_unkeyed_writes_only_the_rows_given(port):
    book = port.session()
    book.read_table(INVOICES, write_keys=("amount", "currency", "due_date"),
                    keys=("invoice_no",))
    due = (date(2027, 1, 31) - date(1899, 12, 30)).days
    written = book.write_computed(
        INVOICES, np.array(["0043", "9999"], dtype=object),
        {"amount": ColumnValues.scaled(np.array([77700, 100]), 2),
         "currency": ColumnValues.texts(np.array(["USD", "EUR"], dtype=object)),
         "due_date": ColumnValues.scaled(np.array([due, 0]), 0)},
        {}, keep_unkeyed=True)
    assert written == 1
    port.end(book)
    assert _column(port.session(), "amount") == {"0042": "1190", "0043": "777", "0044": "80.5"}
    assert _column(port.session(), "currency") == {"0042": "EUR", "0043": "USD", "0044": "CHF"}
    dues = port.session().read_table(INVOICES, keys=("invoice_no", "due_date"))
    assert dues.columns["due_date"].numbers[1] == due  # a date, where the invoice is
    kept = (date(2026, 12, 20) - date(1899, 12, 30)).days
    assert dues.columns["due_date"].numbers[2] == kept  # 0044's date as it was


def test_a_replaced_table_is_read_with_its_new_range_in_the_same_session(port):
    book = port.session()
    book.write_problems([Problem(f"m{i}", sheet="S", row=i) for i in range(4)], "de")
    assert to_text(book.read_table(PROBLEMS).columns["message"]).tolist() == \
        ["m0", "m1", "m2", "m3"]


def test_table_sheet_names_the_sheet_holding_the_table(port):
    book = port.session()
    assert book.table_sheet(INVOICES.name) == "Rechnungen"
    assert book.table_sheet(JOURNEY.name) == "Journey"
    with pytest.raises(ArbookError):
        book.table_sheet("tblNothing")


@pytest.mark.parametrize("epoch", [WINDOWS_EPOCH, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_the_date_system_is_the_books(tmp_path, epoch):
    path = small_ledger(tmp_path / "Offene Posten.xlsx")
    wb = load_workbook(path)
    wb.epoch = epoch
    wb.save(path)
    for kind in (FilePort, StandInPort):
        assert kind(path).session().date1904 is (epoch == CALENDAR_MAC_1904), kind.kind


def test_review_through_the_port_gives_the_cli_figures_and_history(port, tmp_path):
    oracle = _oracle(tmp_path)
    cli = review_job.review(oracle, AS_OF)
    book = port.session()
    result = review_job.review_book(book, port.path, AS_OF)
    port.end(book)
    assert result.figures == cli.figures
    assert {k: e.ok for k, e in result.evidence.items()} == \
        {k: e.ok for k, e in cli.evidence.items()}
    history = port.session().read_table(HISTORY, keys=("date", "receivables"))
    assert history.columns["date"].numbers.tolist() == [(AS_OF - date(1899, 12, 30)).days]
    assert history.columns["receivables"].numbers.tolist() == [cli.figures.receivables / 100]


def test_checklist_check_through_the_port_writes_the_review_evidence(port, tmp_path):
    oracle = _oracle(tmp_path)
    cli = review_job.review(oracle, AS_OF)
    book = port.session()
    result = review_job.check_checklist_book(book, port.path, AS_OF)
    port.end(book)
    assert result.progress == cli.progress
    with WorkbookFile(oracle) as expected:
        assert _checks(port.session()) == _checks(expected)
    assert port.session().read_table(HISTORY).rows.size == 0  # the review's parts stay


def _checks(book) -> dict:
    raw = book.read_table(CHECKLIST, keys=("item_id", "arbook_check"))
    return dict(zip(to_text(raw.columns["item_id"]), to_text(raw.columns["arbook_check"]),
                    strict=True))


def test_journey_through_the_port_lists_what_the_cli_lists(port, tmp_path):
    oracle = _oracle(tmp_path)
    cli = review_job.journey_of(oracle, "K1", AS_OF)
    book = port.session()
    result = review_job.journey_book(book, port.path, "K1", AS_OF)
    port.end(book)
    assert result.events == cli.events and result.events
    with pytest.raises(ArbookError, match="K9"):
        review_job.journey_book(port.session(), port.path, "K9", AS_OF)


def _oracle(tmp_path):
    """The same ledger in a folder of its own (its own journal), for the CLI's run."""
    (tmp_path / "oracle").mkdir()
    return small_ledger(tmp_path / "oracle" / "Offene Posten.xlsx")
