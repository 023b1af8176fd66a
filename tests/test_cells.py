"""Cell conversion at the edge: money to cents, dates, and values back to text."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from arbook.core.cells import (
    ColumnValues,
    RawColumn,
    RawTable,
    parse_money_text,
    to_cents,
    to_ints,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456), ("-1.234,56", -123456), ("1.234,56-", -123456),
        ("1234.56", 123456), ("1,234.56", 123456), ("0,5", 50), ("12", 1200),
        ("1.234.567", 123456700), ("1 234,56 €", 123456), ("EUR 99,99", 9999), (",99", 99),
        ("12,345", None), ("abc", None), ("1,2,3", None), ("", None),
    ],
)
def test_money_text(text, cents):
    assert parse_money_text(text) == cents


def test_float_amounts_are_quantised_once_and_odd_decimals_reported():
    raw = RawTable("Invoices", np.array([2, 3, 4]), {})
    column = RawColumn.from_values([2994.26, 0.1 + 0.2, 10.005, -10.005])
    raw.rows = np.array([2, 3, 4, 5])
    problems: list = []
    cents, present = to_cents(column, raw, "Amount", problems)
    # 0.1 + 0.2 is 0.30000000000000004 in binary: that is 30 cents, nothing to report;
    # 10.005 has three decimals: rounded commercially (half away from zero) and reported.
    assert cents.tolist() == [299426, 30, 1001, -1001] and present.all()
    assert [p.row for p in problems] == [4, 5]


def test_dates_from_python_values_become_excel_serials():
    column = RawColumn.from_values([date(2026, 11, 26), None, "x"])
    assert column.numbers[0] == 46352 and np.isnan(column.numbers[1])
    assert column.texts[2] == "x"


def test_column_values_format_exactly_and_take_by_position():
    money = ColumnValues.scaled([-123456, 5, 0, 99999999999], 2, [False, False, True, False])
    assert money.formatted() == ["-1234.56", "0.05", None, "999999999.99"]
    picked = money.take(np.array([1, -1, 0]))
    assert picked.formatted() == ["0.05", None, "-1234.56"]
    texts = ColumnValues.texts(["a", None, "b", "a"])
    assert texts.formatted() == ["a", None, "b", "a"]
    assert texts.take(np.array([2, -1]), fill="x").formatted() == ["b", "x"]


@pytest.mark.parametrize("value", [1e300, float("inf"), -float("inf"), "9" * 40, 10.0**13])
def test_absurdly_large_numbers_are_problems_not_wrapped_cents(value):
    """Found by fuzzing: 1e300 became -92233720368547758.08 EUR, '9'*40 raised OverflowError."""
    col = RawColumn.from_values([value, 5])
    raw = RawTable("Rechnungen", np.arange(2, 4), {"amount": col})
    problems: list = []
    cents, present = to_cents(col, raw, "Betrag", problems)
    assert list(present) == [False, True] and cents[1] == 500
    assert [(p.row, "too large" in p.message) for p in problems] == [(2, True)]
    problems = []
    ints = to_ints(col, raw, "Tage", problems)
    assert ints.isna().tolist() == [True, False] and [p.row for p in problems] == [2]
