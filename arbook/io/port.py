"""The workbook port: what the jobs need from a workbook, closed on disk or open in Excel.

Two implementations: ``arbook.io.workbook_file.WorkbookFile`` (a closed .xlsx, patched in
place) and ``arbook.excel.xlwings_port.XlwingsWorkbook`` (the book open in Excel). The
protocol lives here, below the jobs, because the jobs are written against it; the helpers are
the parts both implementations share, so they read and match rows the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from arbook.core.cells import ColumnValues, RawTable, to_text
from arbook.core.problems import ArbookError, Problem
from arbook.core.schema import TableSpec

CellValue = str | int | Decimal | date | None
Block = list[list[tuple[str | None, bool]]]  # (value as text, is a number) per cell
MAX_PROBLEM_ROWS = 10_000


class WorkbookPort(Protocol):
    """A workbook as the jobs see it: tables by name, arbook's own cells written by key."""

    @property
    def name(self) -> str:
        """The file name, for problem messages."""

    def has_table(self, name: str) -> bool: ...

    def has_sheet(self, name: str) -> bool: ...

    def table_sheet(self, name: str) -> str:
        """The name of the sheet that holds table ``name`` (users may rename sheets)."""

    @property
    def date1904(self) -> bool:
        """Whether the book counts dates from 1904 (``write_block`` takes date serials)."""

    def read_table(self, spec: TableSpec, write_keys: tuple[str, ...] = (),
                   keys: tuple[str, ...] | None = None) -> RawTable:
        """A table's columns by key; ``write_keys`` are located for ``write_computed``."""

    def read_pairs(self, spec: TableSpec, key: str, value: str) -> dict[str, tuple[str, int]]:
        """A key/value table (Settings) as ``{key: (value text, row)}``."""

    def write_computed(self, spec: TableSpec, keys: np.ndarray,
                       columns: dict[str, ColumnValues], unkeyed: dict[str, str | None],
                       keep_unkeyed: bool = False) -> int:
        """Computed columns matched to rows by the table's key, wherever users moved them.

        Rows whose key is not in ``keys`` get ``unkeyed``, or with ``keep_unkeyed`` stay as
        they are (an import updates only the rows it has). Returns the rows written.
        """

    def write_rows(self, spec: TableSpec, lines: list[list[CellValue]]) -> None:
        """Replace all rows of a table arbook owns (Problems, Reminders)."""

    def append_rows(self, spec: TableSpec, rows: list[dict[str, CellValue]]) -> int:
        """Add rows (values by column key) after the table's last filled row and grow the
        table; text that looks like a formula stays text. Returns the first new row."""

    def cell_text(self, sheet_name: str, row: int, col: int) -> str | None:
        """What one cell shows as text (None: empty), e.g. to check a block is still arbook's."""
        ...

    def write_problems(self, problems: list[Problem], lang: str) -> None: ...

    def write_block(self, sheet_name: str, top: int, left: int, cells: Block,
                    width: int) -> None:
        """A rectangle of cells at (top, left), ``width`` columns wide."""

    def request_recalculation(self) -> None: ...

    def save(self) -> None: ...

    def progress(self, message: str) -> None:
        """Show what is being done (status bar, spinner)."""

    def message(self, text: str, title: str = "arbook") -> None:
        """Tell the user the result (message box, console)."""


def header_columns(spec: TableSpec, headers: Sequence[str], wanted: set[str] | None,
                   required: Sequence[str], where: str) -> tuple[dict[str, int], dict[str, str]]:
    """Map a table's headers to column keys: ``{key: index in headers}`` and the header found.

    A ``required`` key without its column is an error the user fixes by renaming it back.
    """
    mapping = spec.header_to_key()
    key_to_index: dict[str, int] = {}
    found: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = mapping.get(str(header or "").strip().casefold())
        if key is not None and key not in key_to_index and (wanted is None or key in wanted):
            key_to_index[key] = i
            found[key] = header
    missing = [k for k in required if k not in key_to_index]
    if missing:
        labels = ", ".join(f"'{spec.column(k).label('de')}' / '{spec.column(k).en}'"
                           for k in missing)
        raise ArbookError(f"{where}: table {spec.name} has no column {labels}. Rename the "
                          "column back or add it to the table.")
    return key_to_index, found


def wanted_keys(spec: TableSpec, write_keys: tuple[str, ...],
                keys: tuple[str, ...] | None) -> set[str] | None:
    """The keys a read needs: those asked for, the ones to write and the table's key."""
    return None if keys is None else {*keys, *write_keys, *((spec.key,) if spec.key else ())}


def required_keys(spec: TableSpec, write_keys: tuple[str, ...]) -> tuple[str, ...]:
    return ((spec.key,) if spec.key else ()) + write_keys


def pairs_of(raw: RawTable, key: str, value: str) -> dict[str, tuple[str, int]]:
    """``{key: (value text, row)}`` from a two-column table; rows without a key are skipped."""
    keys, values = raw.columns.get(key), raw.columns.get(value)
    if keys is None or values is None:
        return {}
    out = {}
    for k, v, row in zip(to_text(keys), to_text(values), raw.rows.tolist(), strict=True):
        if k:
            out[k.strip()] = (v or "", row)
    return out


def problem_lines(problems: list[Problem], lang: str) -> list[list[CellValue]]:
    """The Problems table's rows: at most MAX_PROBLEM_ROWS, then a line saying how many more."""
    shown = problems[:MAX_PROBLEM_ROWS]
    lines: list[list[CellValue]] = [
        [p.severity.value, p.file, p.sheet, p.row, p.column, p.message] for p in shown]
    if len(problems) > MAX_PROBLEM_ROWS:
        more = len(problems) - MAX_PROBLEM_ROWS
        lines.append(["", "", "", None, "", f"... and {more} more (see the command output)"])
    if not lines:
        lines = [["", "", "", None, "", "keine Probleme" if lang == "de" else "no problems"]]
    return lines


def positions_of(found: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each row read (its key text in ``found``), the position of its key in ``keys``.

    -1 where the row has no key or its key is not unique in the table. In a refresh both come
    from the same read, in the same order; that case is checked element by element and needs
    no hashing of a million keys (``keys`` are unique, so equal arrays without blanks are
    unique too).
    """
    keys = np.asarray(keys, dtype=object)
    present = ~pd.isna(found)
    if len(found) == len(keys) and bool(np.all(found == keys)) and present.all():
        return np.arange(len(found))
    unique = present & ~pd.Series(found).duplicated(keep=False).to_numpy()
    if len(found) == len(keys) and bool(np.all((found == keys) | ~unique)):
        return np.where(unique, np.arange(len(found)), -1)
    positions = pd.Index(keys).get_indexer(np.where(unique, found, None))
    return np.where(unique, positions, -1)
