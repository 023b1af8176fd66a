"""Building small test workbooks: a real `arbook init` book with rows typed in via openpyxl.

openpyxl load+save is fine here: it prepares the input before arbook touches it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from arbook import jobs
from arbook.core.schema import TableSpec

AS_OF = date(2026, 11, 26)


def new_book(path: Path, lang: str = "de") -> Path:
    jobs.init_book(path, lang=lang, today=AS_OF)
    return path


def put_rows(path: Path, spec: TableSpec, rows: list[dict], lang: str = "de") -> None:
    """Replace a table's data rows by ``rows`` (dicts keyed by column key) and resize it."""
    wb = load_workbook(path)
    ws = wb[spec.sheet(lang)]
    table = ws.tables[spec.name]
    keys = spec.keys()
    for r in range(2, ws.max_row + 1):
        for c in range(1, len(keys) + 1):
            ws.cell(row=r, column=c).value = None
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=i, column=keys.index(key) + 1, value=value)
    last_col = ws.cell(row=1, column=len(keys)).column_letter
    table.ref = f"A1:{last_col}{max(len(rows), 1) + 1}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref
    wb.save(path)
