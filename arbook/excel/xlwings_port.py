"""The workbook port for the book open in Excel, through xlwings' open-source API.

Uses only: ``book.name``, ``book.fullname``, ``book.save()``, ``book.sheets`` (``sheet.name``,
``sheet.tables`` with ``table.name``, ``table.range``, ``table.show_totals``, ``table.resize``),
``sheet.range((row, col), (row, col))`` with ``.options(ndim=2).value`` and ``.value =``, and
``book.app`` (``status_bar``, ``screen_updating``, ``alert``; the ribbon's file dialog also
``app.api.GetOpenFilename``), ``book.selection`` (``.sheet.name``, ``.row``: the customer
journey's row) and ``book.api.Date1904`` (Windows). The tests run the same contract against
an in-memory stand-in for exactly these objects.

Rows are matched by the table's key (invoice number) as Excel shows them now, so sorting and
filtering by the user do not matter; whole columns are written in one call each (an import's
updates, which leave other rows alone, in one call per run of adjacent rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from arbook.core.cells import ColumnValues, RawColumn, RawTable, to_text
from arbook.core.problems import ArbookError, Problem
from arbook.core.schema import PROBLEMS, TableSpec
from arbook.io.port import (
    Block,
    CellValue,
    header_columns,
    pairs_of,
    positions_of,
    problem_lines,
    required_keys,
    wanted_keys,
)

FORMULA_START = ("=", "+", "-", "@")
# Text Excel would turn into a number, date or boolean when typed: "0042", "1-30", "(5)", "TRUE"
TYPED_START = (*FORMULA_START, ".", ",", "(", "€", "$", "%")
BOOLEANS = {"TRUE", "FALSE", "WAHR", "FALSCH"}
MAX_MESSAGE = 1000  # Excel's message box shows about this much


def cell_value(value: CellValue | float | bool) -> Any:
    """A value as xlwings writes it; text that Excel would take for a formula, a number, a
    date or a boolean gets the apostrophe that keeps it text (invoice number 0042 stays 0042)."""
    if isinstance(value, str):
        head = value.lstrip()
        typed = head.startswith(TYPED_START) or head[:1].isdigit() or \
            head.upper() in BOOLEANS
        return "'" + value if typed or value.startswith(FORMULA_START) else value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _block_value(text: str | None, numeric: bool) -> Any:
    if text is None:
        return None
    if numeric:
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return cell_value(text)


def python_values(values: ColumnValues) -> list[Any]:
    """Computed values as Python numbers and texts (money: float of exact cents)."""
    if not values.numeric:
        labels = np.array([*(cell_value(t) for t in values.labels), None], dtype=object)
        return labels[values.codes].tolist()
    unit = 10**values.scale
    out = [int(n) if unit == 1 else int(n) / unit for n in values.numbers.tolist()]
    return [None if blank else v for v, blank in zip(out, values.blank.tolist(), strict=True)]


def _excel_values(spec: TableSpec, key: str, values: list[Any]) -> list[Any]:
    """Date columns' serials as dates, so Excel formats them as dates (and 1904 books work)."""
    if spec.column(key).kind.value != "date":
        return values
    epoch = date(1899, 12, 30)
    return [epoch + timedelta(days=v) if isinstance(v, int) else v for v in values]


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted positions as (first, last) runs of consecutive ones: one write per run."""
    runs: list[tuple[int, int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


@dataclass
class _Read:
    sheet: Any
    top: int  # row of the first data row
    key_to_col: dict[str, int]  # sheet column number
    height: int  # rows in the table body
    data: np.ndarray  # body positions of data rows
    stale: np.ndarray  # body positions with computed values but no data any more
    found: np.ndarray  # key text of each data row


class XlwingsWorkbook:
    """A book open in Excel. Use as a context manager: screen updating is paused meanwhile
    and the status bar given back at the end."""

    def __init__(self, book: Any, save_book: bool = False):
        self.book = book
        self.save_book = save_book  # whether ``save`` saves the open book (see ``save``)
        self._read: dict[str, _Read] = {}

    @classmethod
    def active(cls) -> XlwingsWorkbook:
        """The book the user works in. From the add-in, xlwings' caller is the add-in itself."""
        import xlwings as xw

        book = xw.Book.caller()
        if book.name.lower().endswith(".xlam"):
            book = xw.books.active
        return cls(book)

    def __enter__(self) -> XlwingsWorkbook:
        self.book.app.screen_updating = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.app.screen_updating = True
        self.book.app.status_bar = False  # Excel shows its own status again

    @property
    def name(self) -> str:
        return self.book.name

    @property
    def path(self) -> Path:
        """Where the book is saved; the reminder journal and outbox go beside it."""
        path = Path(self.book.fullname)
        if not path.is_absolute() or "://" in self.book.fullname:
            raise ArbookError(f"{self.name} is not saved in a folder on this computer: save it "
                              "there first (the reminder journal and drafts go beside it).")
        return path

    # -- finding -------------------------------------------------------------------------

    def _table(self, name: str) -> tuple[Any, Any]:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if table.name.casefold() == name.casefold():
                    return sheet, table
        raise ArbookError(f"{self.name}: no table named '{name}'. A workbook made by 'arbook "
                          "init' has it; rename the table back (Table Design > Table Name).")

    def has_table(self, name: str) -> bool:
        return any(t.name.casefold() == name.casefold()
                   for sheet in self.book.sheets for t in sheet.tables)

    def has_sheet(self, name: str) -> bool:
        return any(sheet.name == name for sheet in self.book.sheets)

    def table_sheet(self, name: str) -> str:
        return self._table(name)[0].name

    @property
    def date1904(self) -> bool:
        """Excel's "use 1904 date system" (``Workbook.Date1904``; Windows). Where the book's
        object model is not reachable that way (the Mac), the 1900 system, Excel's default."""
        try:
            return bool(self.book.api.Date1904)
        except AttributeError:
            return False

    def selected_row(self) -> tuple[str, int] | None:
        """The sheet and row of the active cell (``book.selection``), None if nothing is."""
        selection = self.book.selection
        if selection is None:
            return None
        return selection.sheet.name, int(selection.row)

    # -- reading -------------------------------------------------------------------------

    def read_table(self, spec: TableSpec, write_keys: tuple[str, ...] = (),
                   keys: tuple[str, ...] | None = None) -> RawTable:
        sheet, table = self._table(spec.name)
        rng = table.range
        values = rng.options(ndim=2).value
        headers = ["" if h is None else str(h) for h in values[0]]
        body = values[1:-1] if table.show_totals else values[1:]  # a totals row is no data
        index_of, found_headers = header_columns(
            spec, headers, wanted_keys(spec, write_keys, keys), required_keys(spec, write_keys),
            f"{self.name}, sheet {sheet.name}")
        read_cols = [i for k, i in index_of.items() if k not in write_keys]
        filled = np.array([any(row[i] not in (None, "") for i in read_cols) for row in body],
                          dtype=bool).reshape(len(body))
        computed = np.array([any(row[index_of[k]] not in (None, "") for k in write_keys)
                             for row in body], dtype=bool).reshape(len(body))
        data = np.flatnonzero(filled)
        columns = {k: RawColumn.from_values([body[p][i] for p in data])
                   for k, i in index_of.items() if k not in write_keys}
        top = rng.row + 1
        if write_keys:
            key_col = columns.get(spec.key) if spec.key else None
            found = to_text(key_col) if key_col is not None else np.full(len(data), None)
            self._read[spec.name] = _Read(
                sheet, top, {k: rng.column + i for k, i in index_of.items()}, len(body), data,
                np.flatnonzero(computed & ~filled), found)
        return RawTable(sheet=sheet.name, rows=top + data.astype(np.int64), columns=columns,
                        headers=found_headers)

    def read_pairs(self, spec: TableSpec, key: str, value: str) -> dict[str, tuple[str, int]]:
        return pairs_of(self.read_table(spec), key, value)

    # -- writing -------------------------------------------------------------------------

    def write_computed(self, spec: TableSpec, keys: np.ndarray,
                       columns: dict[str, ColumnValues], unkeyed: dict[str, str | None],
                       keep_unkeyed: bool = False) -> int:
        read = self._read.pop(spec.name, None)
        if read is None:
            raise RuntimeError(f"read_table({spec.name}) must come before write_computed")
        positions = positions_of(read.found, keys)
        if keep_unkeyed:  # only the rows in ``keys`` are written, run by run
            known = positions >= 0
            data, positions = read.data[known], positions[known]
            runs = _runs(data.tolist())
        else:  # the whole column at once; stale and empty rows become blank
            data, runs = read.data, [(0, read.height - 1)] if read.height else []
        for key, values in columns.items():
            column: list[Any] = [None] * read.height
            taken = python_values(values.take(positions, unkeyed.get(key)))
            for p, value in zip(data.tolist(), _excel_values(spec, key, taken), strict=True):
                column[p] = value
            col = read.key_to_col[key]
            for first, last in runs:
                read.sheet.range((read.top + first, col), (read.top + last, col)).value = \
                    [[v] for v in column[first:last + 1]]
        return len(data)

    def write_rows(self, spec: TableSpec, lines: list[list[CellValue]]) -> None:
        sheet, table = self._table(spec.name)
        rng = table.range
        top, left = rng.row, rng.column
        height, width = rng.shape
        lines = lines or [[None] * width]
        last = top + len(lines)
        table.resize(sheet.range((top, left), (last, left + width - 1)))
        if height - 1 > len(lines):  # rows the table no longer covers
            sheet.range((last + 1, left), (top + height - 1, left + width - 1)).value = \
                [[None] * width for _ in range(height - 1 - len(lines))]
        sheet.range((top + 1, left), (last, left + width - 1)).value = [
            [cell_value(v) for v in line] + [None] * (width - len(line)) for line in lines]

    def append_rows(self, spec: TableSpec, rows: list[dict[str, CellValue]]) -> int:
        """Add rows after the table's last filled row, growing the table (``table.resize``).

        Only columns the rows have values for are written, so formulas Excel fills into new
        table rows stay. Refused, with nothing written, when the table has a totals row or the
        cells the new rows need below the table are not empty.
        """
        sheet, table = self._table(spec.name)
        if table.show_totals:
            raise ArbookError(
                f"{self.name}, sheet {sheet.name}: table {table.name} has a totals row; switch "
                "it off (Table Design > Total Row) so arbook can add rows.")
        rng = table.range
        values = rng.options(ndim=2).value
        header_row, left = rng.row, rng.column
        width = len(values[0])
        filled = [i for i, line in enumerate(values[1:]) if any(v not in (None, "")
                                                               for v in line)]
        top = header_row + 1 + (filled[-1] + 1 if filled else 0)
        if not rows:
            return top
        last = top + len(rows) - 1
        old_last = header_row + len(values) - 1
        if last > old_last:
            below = sheet.range((old_last + 1, left), (last, left + width - 1))
            taken = [(old_last + 1 + i, v) for i, line in enumerate(below.options(ndim=2).value)
                     for v in line if v not in (None, "")]
            if taken:
                raise ArbookError(
                    f"{self.name}, sheet {sheet.name}: row {taken[0][0]} below table "
                    f"{table.name} is not empty; move it away so arbook can add rows to the "
                    "table.")
            table.resize(sheet.range((header_row, left), (last, left + width - 1)))
        mapping = spec.header_to_key()
        positions = {key: j for j, header in enumerate(values[0])
                     if (key := mapping.get(str(header or "").strip().casefold()))}
        for key, j in positions.items():
            column = [row.get(key) for row in rows]
            if any(v is not None for v in column):
                sheet.range((top, left + j), (last, left + j)).value = \
                    [[cell_value(v)] for v in column]
        return top

    def write_problems(self, problems: list[Problem], lang: str) -> None:
        self.write_rows(PROBLEMS, problem_lines(problems, lang))

    def write_block(self, sheet_name: str, top: int, left: int, cells: Block,
                    width: int) -> None:
        sheet = next((s for s in self.book.sheets if s.name == sheet_name), None)
        if sheet is None:
            raise ArbookError(f"{self.name} has no sheet '{sheet_name}'")
        rows = [[_block_value(*line[j]) if j < len(line) else None for j in range(width)]
                for line in cells]
        sheet.range((top, left), (top + len(rows) - 1, left + width - 1)).value = rows

    def cell_text(self, sheet_name: str, row: int, col: int) -> str | None:
        sheet = next((s for s in self.book.sheets if s.name == sheet_name), None)
        if sheet is None:
            return None
        value = sheet.range((row, col)).options(ndim=2).value[0][0]
        return None if value is None or value == "" else str(value)

    def request_recalculation(self) -> None:
        """Excel recalculates the open book by itself."""

    def save(self) -> None:
        """The open book is left for the user to save (Ctrl+S), as after any edit; unless
        ``save_book``: a bank import saves it before its journal marks entries applied, so
        closing Excel without saving cannot lose payments the journal would never re-apply."""
        if self.save_book:
            self.book.save()

    # -- talking to the user ---------------------------------------------------------------

    def progress(self, message: str) -> None:
        self.book.app.status_bar = f"arbook: {message} ..."

    def message(self, text: str, title: str = "arbook") -> None:
        if len(text) > MAX_MESSAGE:
            text = text[: MAX_MESSAGE - 3] + "..."
        self.book.app.alert(text, title=title)

    def ask_open_files(self, file_filter: str, title: str, multiple: bool) -> list[Path]:
        """Excel's own open-file dialog (``Application.GetOpenFilename``); [] when cancelled.

        Windows only: on the Mac xlwings reaches Excel through AppleScript, which has no such
        dialog, so the caller says to use the command line there.
        """
        answer = self.book.app.api.GetOpenFilename(file_filter, 1, title, "", multiple)
        if answer is False or answer == "False":  # Cancel
            return []
        names = answer if isinstance(answer, tuple | list) else [answer]
        return [Path(str(name)) for name in names]

    def confirm(self, text: str, title: str = "arbook") -> bool:
        """Ask before something that cannot be undone (sending mail)."""
        return self.book.app.alert(text, title=title, buttons="ok_cancel") == "ok"

