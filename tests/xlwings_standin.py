"""An in-memory stand-in for the few xlwings objects arbook's Excel port uses.

Not xlwings and not Excel: a grid of cells per sheet, tables as rectangles, an app that records
status bar texts and message boxes, and (``StandInFileDialog``) Excel's open-file dialog
answering what a test prepared. It copies the Excel behaviour the port must respect: text
starting with '=' becomes a formula, a leading apostrophe marks text, number-like text becomes a
number, and dates are read back as datetimes. Loaded from a real .xlsx with openpyxl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904


@dataclass(frozen=True)
class Formula:
    text: str


def _as_excel_stores(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if value.startswith("="):
            return Formula(value)
        try:
            return float(value)
        except ValueError:
            return value or None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


class StandInFileDialog:
    """``app.api`` with only ``GetOpenFilename``: returns the prepared answer (False: the user
    cancelled; a tuple with MultiSelect, as COM gives it) and records what it was asked."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple] = []

    def GetOpenFilename(self, *args: Any) -> Any:  # noqa: N802 (Excel's name)
        self.asked.append(args)
        return self.answer


class StandInApp:
    def __init__(self) -> None:
        self.api: StandInFileDialog | None = None
        self.status_bar: str | bool = False
        self.status_log: list[str] = []
        self.screen_updating = True
        self.alerts: list[tuple[str, str, str]] = []
        self.answer = "ok"

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and isinstance(value, str):
            self.status_log.append(value)
        super().__setattr__(name, value)

    def alert(self, prompt: str, title: str = "", buttons: str = "ok", **_: Any) -> str:
        self.alerts.append((title, prompt, buttons))
        return self.answer if buttons != "ok" else "ok"


class StandInRange:
    def __init__(self, sheet: StandInSheet, first: tuple[int, int], last: tuple[int, int]):
        self.sheet, (self.row, self.column), (self.last_row, self.last_column) = sheet, first, last

    @property
    def shape(self) -> tuple[int, int]:
        return self.last_row - self.row + 1, self.last_column - self.column + 1

    def options(self, ndim: int | None = None, **_: Any) -> StandInRange:
        assert ndim == 2, "the port reads 2-D lists only"
        return self

    @property
    def value(self) -> list[list[Any]]:
        return [[self.sheet.cells.get((r, c)) for c in range(self.column, self.last_column + 1)]
                for r in range(self.row, self.last_row + 1)]

    @value.setter
    def value(self, rows: list[list[Any]]) -> None:
        assert len(rows) == self.shape[0] and all(len(r) == self.shape[1] for r in rows), \
            "the port writes a block of exactly the range's shape"
        for i, line in enumerate(rows):
            for j, v in enumerate(line):
                stored = _as_excel_stores(v)
                key = (self.row + i, self.column + j)
                if stored is None:
                    self.sheet.cells.pop(key, None)
                else:
                    self.sheet.cells[key] = stored


@dataclass
class StandInTable:
    name: str
    sheet: StandInSheet
    bounds: list[int]  # first col, first row, last col, last row
    show_totals: bool = False

    @property
    def range(self) -> StandInRange:
        c1, r1, c2, r2 = self.bounds
        return StandInRange(self.sheet, (r1, c1), (r2, c2))

    def resize(self, rng: StandInRange) -> None:
        self.bounds = [rng.column, rng.row, rng.last_column, rng.last_row]


@dataclass
class StandInSheet:
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    tables: list[StandInTable] = field(default_factory=list)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None
              ) -> StandInRange:
        return StandInRange(self, first, last or first)


@dataclass
class StandInBookApi:
    """``book.api``: only Excel's ``Workbook.Date1904``."""

    Date1904: bool = False  # noqa: N815 (Excel's name)


@dataclass
class StandInBook:
    name: str
    fullname: str
    sheets: list[StandInSheet]
    app: StandInApp = field(default_factory=StandInApp)
    saves: int = 0  # times the book was saved (Ctrl+S, or ``book.save()``)
    api: StandInBookApi = field(default_factory=StandInBookApi)
    selection: StandInRange | None = None  # the active cell (``book.selection``)

    def select(self, sheet_name: str, row: int, column: int = 1) -> None:
        """The user clicks a cell."""
        sheet = next(s for s in self.sheets if s.name == sheet_name)
        self.selection = StandInRange(sheet, (row, column), (row, column))

    def save(self) -> None:
        self.saves += 1

    @classmethod
    def from_xlsx(cls, path: Path) -> StandInBook:
        wb = load_workbook(path)
        sheets = []
        for ws in wb.worksheets:
            sheet = StandInSheet(ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        sheet.cells[(cell.row, cell.column)] = cell.value
            for table in ws.tables.values():
                sheet.tables.append(StandInTable(table.name, sheet,
                                                 list(range_boundaries(table.ref)),
                                                 bool(table.totalsRowCount)))
            sheets.append(sheet)
        return cls(Path(path).name, str(path), sheets,
                   api=StandInBookApi(wb.epoch == CALENDAR_MAC_1904))

    def formulas(self) -> list[Formula]:
        return [v for s in self.sheets for v in s.cells.values() if isinstance(v, Formula)]
