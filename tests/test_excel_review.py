"""The ribbon's Review buttons on the book open in Excel, through the xlwings stand-in.

Each button runs on an in-memory book loaded from the review tests' workbook; the same job runs
on a copy of the file through the file port, and the open book must show what the file shows.
The buttons take today's date, as in Excel, so both runs use ``date.today()``.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from openpyxl import load_workbook

from arbook import review as job
from arbook.core.cells import to_text
from arbook.core.schema import CHECKLIST, HISTORY, REVIEW_SHEET, START_SHEET
from arbook.excel import entry
from arbook.excel.xlwings_port import XlwingsWorkbook
from arbook.io.journal import Journal, ReviewLog, journal_path
from arbook.io.start_layout import (
    JOURNEY_BLOCK_TOP,
    REVIEW_BLOCK_HEIGHT,
    REVIEW_BLOCK_TOP,
    REVIEW_BLOCK_WIDTH,
    START_PROGRESS_TOP,
)
from tests import test_review
from tests.test_review import review_sheet, table
from tests.xlwings_standin import StandInBook

book = test_review.book  # customers K1, K2; invoices A-E on K1/K2, OLD in CHF on K2


@pytest.fixture
def copy(book, tmp_path):
    """The same workbook in another folder (its own journal), for the file port's run."""
    (tmp_path / "file").mkdir()
    return shutil.copy(book, tmp_path / "file" / book.name)


def sheet_rows(standin: StandInBook, name: str, top: int, height: int, width: int) -> list:
    sheet = next(s for s in standin.sheets if s.name == name)
    return [[sheet.cells.get((r, c)) for c in range(1, width + 1)]
            for r in range(top, top + height)]


def file_rows(path, name: str, top: int, height: int, width: int) -> list:
    rows = test_review.python_calamine.CalamineWorkbook.from_path(str(path)) \
        .get_sheet_by_name(name).to_python()
    lines = rows[top - 1:top - 1 + height]
    lines += [[]] * (height - len(lines))
    return [[(line[c] if c < len(line) and line[c] != "" else None) for c in range(width)]
            for line in lines]


def test_review_summary_writes_what_the_command_line_writes(book, copy):
    standin = StandInBook.from_xlsx(book)
    result = entry.review_summary(XlwingsWorkbook(standin))
    assert result is not None
    on_file = job.review(copy)
    assert result.figures == on_file.figures and result.as_of == date.today()
    shape = (REVIEW_BLOCK_TOP, REVIEW_BLOCK_HEIGHT, REVIEW_BLOCK_WIDTH)
    assert sheet_rows(standin, REVIEW_SHEET["de"], *shape) == \
        file_rows(copy, REVIEW_SHEET["de"], *shape)
    dso = next(r for r in review_sheet(copy) if r and r[0] == "DSO (Standard), Tage")
    assert dso[1] not in ("", "–")  # the compared block holds real figures
    history = XlwingsWorkbook(standin).read_table(HISTORY)
    assert len(history.rows) == 1 == len(table(copy, "tblHistory"))
    with Journal(journal_path(book)) as journal:  # the journal beside the open book's file
        assert [s.day for s in ReviewLog(journal).snapshots()] == [date.today()]
    (_title, text, _buttons), = standin.app.alerts
    assert "Review zum" in text and "DSO (Standard), Tage" in text and "nicht gespeichert" in text
    assert any("computing the figures" in s for s in standin.app.status_log)
    assert result.outbox_file is not None and result.outbox_file.exists()
    assert str(result.outbox_file) in text  # the summary email's draft, beside the book
    assert standin.saves == 0 and standin.app.status_bar is False


def test_check_checklist_writes_only_the_evidence_and_the_progress(book, copy):
    standin = StandInBook.from_xlsx(book)
    review_before = {k: v for s in standin.sheets if s.name == REVIEW_SHEET["de"]
                     for k, v in s.cells.items()}
    result = entry.check_checklist(XlwingsWorkbook(standin))
    assert result is not None
    on_file = job.review(copy)
    assert {k: e.ok for k, e in result.evidence.items()} == \
        {k: e.ok for k, e in on_file.evidence.items()}
    checks = XlwingsWorkbook(standin).read_table(CHECKLIST)  # arbook_check read as data
    got = dict(zip(to_text(checks.columns["item_id"]), to_text(checks.columns["arbook_check"]),
                   strict=True))
    expected = {r["Nr."]: r["arbook-Prüfung"] or None for r in table(copy, "tblChecklist")}
    assert got == expected
    marks = {v[0] for v in got.values() if v}
    assert marks == {"✓", "✗"}  # both outcomes occur, so the comparison means something
    start = sheet_rows(standin, START_SHEET["de"], START_PROGRESS_TOP, 3, 4)
    assert start == file_rows(copy, START_SHEET["de"], START_PROGRESS_TOP, 3, 4)
    assert start[0][0] == "Checkliste"
    review_after = {k: v for s in standin.sheets if s.name == REVIEW_SHEET["de"]
                    for k, v in s.cells.items()}
    assert review_after == review_before  # no Review sheet, no history, no snapshot
    assert XlwingsWorkbook(standin).read_table(HISTORY).rows.size == 0
    with Journal(journal_path(book)) as journal:
        assert ReviewLog(journal).snapshots() == []
    assert "automatischen Prüfungen" in standin.app.alerts[-1][1]


def journey_title(standin: StandInBook) -> str:
    return sheet_rows(standin, "Journey", JOURNEY_BLOCK_TOP, 1, 1)[0][0]


def test_journey_follows_the_active_row_on_the_invoices_sheet(book, copy):
    standin = StandInBook.from_xlsx(book)
    ledger = XlwingsWorkbook(standin).read_table(test_review.INVOICES)
    row_d = int(ledger.rows[to_text(ledger.columns["invoice_no"]).tolist().index("D")])
    standin.select("Rechnungen", row_d, 5)
    result = entry.customer_journey(XlwingsWorkbook(standin))
    assert result is not None and result.customer == "K2"
    on_file = job.journey_of(copy, "K2")
    assert result.events == on_file.events
    assert journey_title(standin).startswith("Customer Journey: K2")
    lines = sheet_rows(standin, "Journey", JOURNEY_BLOCK_TOP + 2, len(result.events), 7)
    serials = [(e.day - date(1899, 12, 30)).days for e in result.events]
    assert [line[0] for line in lines] == serials
    assert {line[3] for line in lines if line[3]} == {"D", "OLD"}
    assert "K2" in standin.app.alerts[-1][1]


def test_journey_dates_follow_a_1904_book(book):
    standin = StandInBook.from_xlsx(book)
    standin.api.Date1904 = True  # Excel's "use 1904 date system"
    standin.select("Kunden", 3)  # K2's row on the Customers sheet
    result = entry.customer_journey(XlwingsWorkbook(standin))
    assert result is not None and result.customer == "K2"
    lines = sheet_rows(standin, "Journey", JOURNEY_BLOCK_TOP + 2, len(result.events), 1)
    assert [line[0] for line in lines] == [(e.day - date(1904, 1, 1)).days
                                           for e in result.events]


def test_journey_takes_the_customer_typed_on_the_journey_sheet(book):
    wb = load_workbook(book)
    wb["Journey"]["A2"] = "K1"
    wb.save(book)
    standin = StandInBook.from_xlsx(book)
    standin.select("Review", 3)  # not a ledger row: the typed customer counts
    result = entry.customer_journey(XlwingsWorkbook(standin))
    assert result is not None and result.customer == "K1"
    assert journey_title(standin).startswith("Customer Journey: K1")


def test_journey_without_a_customer_says_how_to_pick_one(book):
    standin = StandInBook.from_xlsx(book)
    before = {s.name: dict(s.cells) for s in standin.sheets}
    assert entry.customer_journey(XlwingsWorkbook(standin)) is None
    assert "Journey in A2" in standin.app.alerts[-1][1]
    assert {s.name: s.cells for s in standin.sheets} == before


def test_english_book_gets_english_messages(tmp_path):
    path = test_review.new_book(tmp_path / "Receivables.xlsx", lang="en")
    standin = StandInBook.from_xlsx(path)
    assert entry.check_checklist(XlwingsWorkbook(standin)) is not None
    assert "automatic checks passed" in standin.app.alerts[-1][1]
