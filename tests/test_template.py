"""arbook init: the front-end workbook has the sheets, tables and Excel conventions promised."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from arbook import jobs
from arbook.core.dunning import parse_schedule
from arbook.core.schema import CUSTOMERS, INVOICES, TABLES, Owner
from tests.helpers import AS_OF


@pytest.mark.parametrize("lang", ["de", "en"])
def test_sheets_tables_and_headers(tmp_path, lang):
    path = tmp_path / "b.xlsx"
    jobs.init_book(path, lang=lang, sample=80, seed=3, today=AS_OF)
    wb = load_workbook(path)
    sheets = list(dict.fromkeys(spec.sheet(lang) for spec in TABLES))  # some tables share one
    assert wb.sheetnames == ["Start", "Review", *sheets, "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    for spec in TABLES:
        ws = wb[spec.sheet(lang)]
        assert spec.name in ws.tables
        headers = [c.value for c in ws[ws.tables[spec.name].ref][0]]  # the table's first row
        assert headers == [c.label(lang) for c in spec.columns]
        assert ws.freeze_panes in ("A2", "B2")
        assert ws.print_title_rows == "$1:$1" or ws.print_title_rows == "1:1"
    inv = wb[INVOICES.sheet(lang)]
    fills = {c.owner: inv.cell(1, i + 1).fill.fgColor.rgb
             for i, c in enumerate(INVOICES.columns)}
    assert len({fills[Owner.IMPORTED], fills[Owner.USER], fills[Owner.COMPUTED]}) == 3
    date_col = INVOICES.keys().index("invoice_date") + 1
    expected_format = "DD.MM.YYYY" if lang == "de" else "YYYY-MM-DD"
    assert inv.cell(2, date_col).number_format == expected_format
    assert inv.cell(2, INVOICES.keys().index("amount") + 1).number_format == "#,##0.00"
    assert len(inv.data_validations.dataValidation) >= 3
    assert sum(len(cf.rules) for cf in inv.conditional_formatting) >= 8
    assert inv.cell(2, 1).data_type == "s"  # invoice numbers are text


def test_sample_is_deterministic_and_realistic(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    jobs.init_book(a, sample=300, seed=5, today=AS_OF)
    jobs.init_book(b, sample=300, seed=5, today=AS_OF)
    rows_a = list(load_workbook(a)["Rechnungen"].iter_rows(values_only=True))
    rows_b = list(load_workbook(b)["Rechnungen"].iter_rows(values_only=True))
    assert rows_a == rows_b
    keys = INVOICES.keys()
    col = {k: keys.index(k) for k in keys}
    data = rows_a[1:]
    assert any(r[col["amount"]] < 0 for r in data)  # credit notes
    assert any(0 < r[col["paid"]] < r[col["amount"]] for r in data)  # partial payments
    assert any(r[col["disputed"]] == "Ja" for r in data)
    assert any(r[col["promised_date"]] for r in data)
    assert any(r[col["due_date"]] is None for r in data)
    assert any(r[col["due_date"]] and r[col["due_date"]].date() > AS_OF for r in data)
    assert {r[col["currency"]] for r in data} == {"EUR", "CHF"}
    customers = list(load_workbook(a)["Kunden"].iter_rows(values_only=True))[1:]
    assert any("ü" in r[1] or "ä" in r[1] or "ö" in r[1] for r in customers)
    ckeys = CUSTOMERS.keys()
    ccol = {k: ckeys.index(k) for k in ckeys}
    assert {r[ccol["customer_type"]] for r in customers} == {"Unternehmen", "Verbraucher"}
    consumers = [r for r in customers if r[ccol["customer_type"]] == "Verbraucher"]
    assert {r[ccol["consumer_notice"]] for r in consumers} == {"Ja", "Nein"}
    assert [r[ccol["dunning_block"]] for r in customers].count("Ja") == 1
    schedules = [r[ccol["dunning_schedule"]] for r in customers if r[ccol["dunning_schedule"]]]
    assert len(schedules) == 1 and parse_schedule(schedules[0], 4) is not None
