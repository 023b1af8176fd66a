"""KPIs against hand-computed cases; the arithmetic is written beside each expectation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from arbook.core import kpi
from arbook.core.kpi import MonthSales, Period


def months(as_of: date, sales_euros: list[int]) -> list[MonthSales]:
    return [MonthSales(p.start, p.end, euros * 100)
            for p, euros in zip(kpi.months_back(as_of, len(sales_euros)), sales_euros,
                                strict=True)]


def test_period_ending_week_and_month():
    assert kpi.period_ending(date(2026, 11, 26), "week") == Period(date(2026, 11, 20),
                                                                   date(2026, 11, 26))
    month = kpi.period_ending(date(2026, 11, 26), "month")
    assert month == Period(date(2026, 10, 27), date(2026, 11, 26)) and month.days == 31
    # 31 March 2024 - one month = 29 Feb (leap year, clamped) -> period 1 Mar - 31 Mar
    assert kpi.period_ending(date(2024, 3, 31), "month") == Period(date(2024, 3, 1),
                                                                   date(2024, 3, 31))
    with pytest.raises(ValueError):
        kpi.period_ending(date(2026, 1, 1), "year")


def test_credit_sales_counts_invoices_dated_in_the_period_and_credit_notes_negative():
    dates = np.array(["2026-10-26", "2026-10-27", "2026-11-26", "2026-11-27", "NaT",
                      "2026-11-01"], dtype="datetime64[D]")
    cents = np.array([100_00, 200_00, 300_00, 400_00, 500_00, -50_00])
    # inside 27 Oct - 26 Nov: 200 + 300 - 50 = 450.00 (26 Oct before, 27 Nov after, NaT never)
    assert kpi.credit_sales(dates, cents, Period(date(2026, 10, 27), date(2026, 11, 26))) \
        == 450_00


def test_dso_standard_best_possible_and_add():
    # receivables 30,000 / sales 45,000 x 30 days = 20.0 days
    dso = kpi.dso_standard(30_000_00, 45_000_00, 30)
    assert dso == Decimal("20.0")
    # current (not yet due) 12,000 / 45,000 x 30 = 8.0 days
    best = kpi.best_possible_dso(12_000_00, 45_000_00, 30)
    assert best == Decimal("8.0")
    # ADD = 20.0 - 8.0 = 12.0 days late on average
    assert kpi.average_days_delinquent(dso, best) == Decimal("12.0")
    # 10,000 / 30,000 x 31 = 10.333... -> 10.3
    assert kpi.dso_standard(10_000_00, 30_000_00, 31) == Decimal("10.3")
    assert kpi.dso_standard(1, 0, 30) is None  # no sales: no DSO
    assert kpi.average_days_delinquent(None, best) is None


def test_dso_countback_across_february_of_a_leap_year():
    # as of 31 Mar 2024; receivables 25,000; sales Mar 10,000, Feb 12,000, Jan 9,000
    # Mar: 25,000 - 10,000 = 15,000 left, 31 days
    # Feb: 15,000 - 12,000 = 3,000 left, + 29 days (2024 is a leap year) = 60
    # Jan: 3,000 / 9,000 x 31 days = 10.333 -> 70.333 -> 70.3
    assert kpi.dso_countback(25_000_00, months(date(2024, 3, 31), [10_000, 12_000, 9_000])) \
        == Decimal("70.3")
    # The same figures a year earlier: February has 28 days -> 31 + 28 + 10.333 = 69.3
    assert kpi.dso_countback(25_000_00, months(date(2023, 3, 31), [10_000, 12_000, 9_000])) \
        == Decimal("69.3")


def test_dso_countback_partial_current_month_and_pro_rata_february():
    # as of 15 Mar 2024: the current month counts its 15 days so far
    # Mar 1-15: 8,000 - 4,000 = 4,000 left, 15 days
    # Feb 2024: 4,000 / 10,000 x 29 = 11.6 -> 26.6
    got = kpi.dso_countback(8_000_00, months(date(2024, 3, 15), [4_000, 10_000]))
    assert got == Decimal("26.6")
    # exhausted exactly at a month's end: 15 + 29 = 44.0
    assert kpi.dso_countback(14_000_00, months(date(2024, 3, 15), [4_000, 10_000])) \
        == Decimal("44.0")


def test_dso_countback_without_enough_history_is_none():
    # 50,000 open but only 4,000 + 10,000 of sales on record: the ledger does not reach back
    assert kpi.dso_countback(50_000_00, months(date(2024, 3, 15), [4_000, 10_000])) is None
    assert kpi.dso_countback(0, []) == Decimal("0.0")


def test_cei_over_a_period():
    # begin 50,000 + sales 40,000 - end total 45,000 = 45,000 collected
    # begin 50,000 + sales 40,000 - end current 30,000 = 60,000 collectable
    # 45,000 / 60,000 x 100 = 75.0 %
    assert kpi.cei(50_000_00, 40_000_00, 45_000_00, 30_000_00) == Decimal("75.0")
    # everything collectable was collected: end total = end current = 20,000
    # (10,000 + 30,000 - 20,000) / (10,000 + 30,000 - 20,000) = 100.0 %
    assert kpi.cei(10_000_00, 30_000_00, 20_000_00, 20_000_00) == Decimal("100.0")
    assert kpi.cei(None, 40_000_00, 45_000_00, 30_000_00) is None  # no beginning yet


def test_shares():
    # 2,500 of 10,000 = 25.0 %; 1 of 3 = 33.333 -> 33.3 %
    assert kpi.share(2_500_00, 10_000_00) == Decimal("25.0")
    assert kpi.share(1, 3) == Decimal("33.3")
    assert kpi.share(5, 0) is None


def test_limitation_radar():
    # due 15 Mar 2023 -> three years from 31 Dec 2023 -> ends 31 Dec 2026
    assert kpi.limitation_end(date(2023, 3, 15)) == date(2026, 12, 31)
    due = np.array(["2023-01-01", "2023-12-31", "2022-12-31", "2024-01-01", "NaT",
                    "2023-06-01"], dtype="datetime64[D]")
    open_cents = np.array([1, 1, 1, 1, 1, 0])
    # as of 26 Nov 2026: claims due in 2023 that are still open
    assert kpi.limitation_radar(due, open_cents, date(2026, 11, 26)).tolist() == [
        True, True, False, False, False, False]
