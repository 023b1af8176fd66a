"""Building small test workbooks: a real `arbook init` book with rows typed in via openpyxl.

openpyxl load+save is fine here: it prepares the input before arbook touches it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from arbook import jobs
from arbook.core.schema import CUSTOMERS, INVOICES, PAYMENTS, TableSpec

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


def small_ledger(path: Path) -> Path:
    """Two customers, three invoices in two currencies, one payment (the refresh tests' book)."""
    new_book(path)
    put_rows(path, CUSTOMERS, [
        {"customer_id": "K1", "name": "Müller GmbH", "terms_days": 30,
         "email": "buchhaltung@mueller.example"},
        {"customer_id": "K2", "name": "<b>Weiß</b> & Co", "terms_days": 14,
         "email": "info@weiss.example"},
    ])
    put_rows(path, INVOICES, [
        {"invoice_no": "0042", "customer_id": "K1", "invoice_date": date(2026, 9, 1),
         "due_date": date(2026, 10, 1), "currency": "EUR", "amount": 1190.0, "paid": 190.0},
        {"invoice_no": "0043", "customer_id": "K2", "invoice_date": date(2026, 11, 1),
         "currency": "EUR", "amount": 500.0, "note": "ruft zurück"},
        {"invoice_no": "0044", "customer_id": "K1", "invoice_date": date(2026, 11, 20),
         "due_date": date(2026, 12, 20), "currency": "CHF", "amount": 80.5,
         "disputed": "Ja", "owner": "MK"},
    ])
    put_rows(path, PAYMENTS, [{"date": date(2026, 11, 2), "invoice_no": "0042", "amount": 100.0}])
    return path
