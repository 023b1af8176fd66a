"""Amount and date columns decided as a whole: separators, signs, orders, contradictions."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from arbook.core.colparse import parse_amount_column, parse_date_column


def cents_of(values, decimal_comma=None):
    result = parse_amount_column(values, decimal_comma)
    return [int(c) if p else None for c, p in zip(result.values, result.present, strict=True)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1.234,56"], [123456]),
        (["-1.234,56"], [-123456]),
        (["1.234,56-"], [-123456]),
        (["(1.234,56)"], [-123456]),
        (["1,234.56"], [123456]),
        (["EUR 1.234,56", "1.234,56 €", "12,50 EUR"], [123456, 123456, 1250]),
        (["$1,234.56", "USD 7.5"], [123456, 750]),
        (["+12,00"], [1200]),
        (["1.234.567,00"], [123456700]),
        (["1,234,567.00"], [123456700]),
        ([1234.56, 42.0, -0.3, 0.1 + 0.2, 2994.26], [123456, 4200, -30, 30, 299426]),
        (["", None, "7"], [None, None, 700]),
    ],
)
def test_amounts(values, expected):
    assert cents_of(values) == expected


def test_the_decimal_mark_is_decided_by_the_column_not_the_cell():
    # '1,234' alone is ambiguous; its neighbour '5,678.90' shows a decimal point in this file.
    assert cents_of(["1,234", "5,678.90"]) == [123400, 567890]
    # In a German file the same text means one euro and 23.4 cents: 1.234 with a comma.
    assert cents_of(["1,234", "12,50"]) == [None, 1250]


def test_an_ambiguous_column_follows_the_profile_then_the_comma_and_says_so():
    default = parse_amount_column(["1.234", "2.000"])
    assert default.values.tolist() == [123400, 200000] and default.notes
    english = parse_amount_column(["1,234", "2,000"], decimal_comma=False)
    assert english.values.tolist() == [123400, 200000]
    german = parse_amount_column(["1,234"], decimal_comma=True)
    assert german.cell_errors and not german.present.any()  # 1,234 has three decimals


def test_more_than_two_decimals_and_junk_are_cell_errors():
    # the column's '1,50' makes the comma the decimal mark: '12,345' then has three decimals
    result = parse_amount_column(["12,345", "abc", "1,50", 10.005, "12-3", "1.2.3,4,5"])
    assert sorted(i for i, _ in result.cell_errors) == [0, 1, 3, 4, 5]
    assert result.present.tolist() == [False, False, True, False, False, False]


def test_mixed_decimal_marks_are_a_column_error_naming_the_rows():
    result = parse_amount_column(["1.234,56", "2.000,00", "3,456.78"])
    assert result.column_errors and result.column_errors[0][1] == [2]
    assert result.present.tolist() == [True, True, False]


def days(result):
    return [None if np.isnat(v) else v.astype(object) for v in result.values]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["26.11.2026"], [date(2026, 11, 26)]),
        (["26.11.26"], [date(2026, 11, 26)]),
        (["2026-11-26"], [date(2026, 11, 26)]),
        (["11/26/2026"], [date(2026, 11, 26)]),
        (["26/11/2026"], [date(2026, 11, 26)]),
        ([46352.0, 46352], [date(2026, 11, 26)] * 2),
        ([datetime(2026, 11, 26, 13, 5), date(2026, 1, 2)], [date(2026, 11, 26), date(2026, 1, 2)]),
        (["26.11.2026 00:00:00"], [date(2026, 11, 26)]),
        # one cell decides the column: 13 can only be a day, so 03.04 is the 3rd of April
        (["03.04.2026", "13.04.2026"], [date(2026, 4, 3), date(2026, 4, 13)]),
        (["03/04/2026", "04/13/2026"], [date(2026, 3, 4), date(2026, 4, 13)]),
    ],
)
def test_dates(values, expected):
    result = parse_date_column(values)
    assert days(result) == expected
    assert not result.column_errors and not result.cell_errors


def test_an_ambiguous_column_uses_the_profile_else_the_separator_and_says_so():
    dotted = parse_date_column(["03.04.2026"])
    assert days(dotted) == [date(2026, 4, 3)] and "DMY" in dotted.notes[0][0]
    slashed = parse_date_column(["03/04/2026"])
    assert days(slashed) == [date(2026, 3, 4)] and "MDY" in slashed.notes[0][0]
    profiled = parse_date_column(["03/04/2026"], date_order="DMY")
    assert days(profiled) == [date(2026, 4, 3)] and "profile" in profiled.notes[0][0]


def test_contradicting_orders_are_a_column_error_not_guessed_per_cell():
    values = ["13.04.2026", "04/13/2026", "05.06.2026", "2026-01-31"]
    result = parse_date_column(values)
    assert len(result.column_errors) == 1
    message, positions = result.column_errors[0]
    assert positions == [0, 1] and "contradict" in message
    # nothing ambiguous was guessed; the unambiguous ISO date stays
    assert days(result) == [None, None, None, date(2026, 1, 31)]


def test_dates_mixed_with_text_are_a_column_error_with_the_rows():
    result = parse_date_column(["26.11.2026", "sofort", "", "31.02.2026"])
    assert len(result.column_errors) == 1
    message, positions = result.column_errors[0]
    assert positions == [1, 3] and "rest of the column holds dates" in message
    assert days(result)[0] == date(2026, 11, 26)
