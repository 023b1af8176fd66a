"""Receivables KPIs: DSO (standard and countback), best possible DSO, ADD, CEI, shares.

Pure arithmetic on integer cents; every ratio is computed exactly (``Fraction``) and rounded
once, at the end, to one decimal place (``Decimal``). A KPI that cannot be computed honestly
(no credit sales in the period, not enough history) is ``None``, and the caller says why on the
sheet instead of printing a number that would mislead.

Definitions used throughout (the Review sheet prints them beside each figure):

- *Receivables* at a date: the sum of all open amounts (invoices minus payments and credits,
  open credit notes negative) in the home currency, as of that date.
- *Current receivables*: the part that is not yet due.
- *Credit sales* of a period: the amounts of invoices dated in the period; credit notes count
  negative.
- A *period* is ``[start, end]``, both days included; its days are ``end - start + 1``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    """A reporting period, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the target month's last day (31 Mar - 1 = 28/29
    Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_ending(as_of: date, kind: str) -> Period:
    """The period that ends on ``as_of``: ``week`` = the 7 days up to it; ``month`` = from the
    day after the same date one month earlier (27 Oct - 26 Nov)."""
    if kind == "week":
        return Period(as_of - timedelta(days=6), as_of)
    if kind == "month":
        return Period(shift_months(as_of, -1) + timedelta(days=1), as_of)
    raise ValueError(f"period must be 'week' or 'month', not {kind!r}")


def credit_sales(invoice_dates: np.ndarray, amounts_cents: np.ndarray, period: Period) -> int:
    """Credit sales of ``period``: sum of amounts of invoices dated in it (credit notes negative).

    ``invoice_dates`` is ``datetime64[D]`` (NaT for undated rows, which never count).
    """
    days = np.asarray(invoice_dates, dtype="datetime64[D]")
    inside = (days >= np.datetime64(period.start, "D")) & (days <= np.datetime64(period.end, "D"))
    return int(np.asarray(amounts_cents, dtype=np.int64)[inside].sum())


def _days(value: Fraction) -> Decimal:
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    return quotient.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def dso_standard(receivables_cents: int, sales_cents: int, days: int) -> Decimal | None:
    """DSO (standard) = receivables at period end / credit sales of the period x days in period.

    None without positive credit sales (the ratio means nothing then).
    """
    if sales_cents <= 0:
        return None
    return _days(Fraction(receivables_cents, sales_cents) * days)


def best_possible_dso(current_cents: int, sales_cents: int, days: int) -> Decimal | None:
    """Best possible DSO = current (not yet due) receivables / credit sales x days in period.

    What DSO would be if every customer paid exactly on the due date.
    """
    return dso_standard(current_cents, sales_cents, days)


def average_days_delinquent(dso: Decimal | None, best: Decimal | None) -> Decimal | None:
    """ADD = DSO - best possible DSO: the days by which customers pay late on average."""
    if dso is None or best is None:
        return None
    return dso - best


@dataclass(frozen=True)
class MonthSales:
    """Credit sales of one calendar month (or of its part up to the as-of date)."""

    start: date
    end: date
    sales_cents: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def months_back(as_of: date, count: int) -> list[Period]:
    """The calendar months walked back from ``as_of``, newest first: first the current month up
    to ``as_of`` (1 Nov - 26 Nov), then whole months (Oct, Sep, ...)."""
    periods = [Period(as_of.replace(day=1), as_of)]
    for _ in range(count - 1):
        end = periods[-1].start - timedelta(days=1)
        periods.append(Period(end.replace(day=1), end))
    return periods


def dso_countback(receivables_cents: int, months: Sequence[MonthSales]) -> Decimal | None:
    """DSO (countback): walk back month by month, newest first, taking each month's credit sales
    out of the receivables and counting its days, until the receivables are used up; the month
    in which they run out counts pro rata: its actual day count x remaining / its sales.

    ``months`` newest first. None if the months given do not cover the receivables (the ledger
    does not reach back far enough). 0 when there is nothing to collect.
    """
    remaining = Fraction(receivables_cents)
    total = Fraction(0)
    if remaining <= 0:
        return Decimal("0.0")
    for month in months:
        if month.sales_cents <= 0 or remaining >= month.sales_cents:
            total += month.days
            remaining -= month.sales_cents
            if remaining <= 0:
                return _days(total)
            continue
        total += Fraction(month.days) * remaining / month.sales_cents
        return _days(total)
    return None


def cei(beginning_cents: int | None, sales_cents: int, ending_total_cents: int,
        ending_current_cents: int) -> Decimal | None:
    """CEI (collection effectiveness index), in percent:

    (beginning receivables + credit sales - ending total receivables) /
    (beginning receivables + credit sales - ending current receivables) x 100.

    None without the beginning receivables (they come from the previous review's snapshot) or
    when the denominator is not positive (nothing was collectable).
    """
    if beginning_cents is None:
        return None
    collectable = beginning_cents + sales_cents - ending_current_cents
    if collectable <= 0:
        return None
    collected = beginning_cents + sales_cents - ending_total_cents
    return _days(Fraction(collected * 100, collectable))


def share(part_cents: int, whole_cents: int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` (one decimal); None if ``whole`` is not positive."""
    if whole_cents <= 0:
        return None
    return _days(Fraction(part_cents * 100, whole_cents))


def limitation_end(arose: date) -> date:
    """Last day of the regular limitation period (§§ 195, 199 (1) BGB): three years, counted from
    the end of the year in which the claim arose (here: its due date), so 31 December of
    ``arose.year + 3``."""
    return date(arose.year + 3, 12, 31)


def limitation_radar(due: np.ndarray, open_cents: np.ndarray, as_of: date) -> np.ndarray:
    """Mask of open claims whose limitation period ends on the coming 31 December.

    ``due`` is ``datetime64[D]``: the claim arose (became due) in ``as_of.year - 3``.
    """
    days = np.asarray(due, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return ~np.isnat(days) & (years == as_of.year - 3) & (np.asarray(open_cents) > 0)
