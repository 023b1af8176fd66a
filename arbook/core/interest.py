"""German default interest (§§ 286, 288 BGB) and its EU variant, to the cent.

Conventions, chosen to match the published worked examples and to never claim too much:

- Interest runs from the first day of default (inclusive) to the end date (exclusive):
  2023-01-01 to 2023-07-01 is 181 days.
- Day count: actual days / 365, in leap years too. § 288 BGB sets an annual rate and no day
  count; actual/365 is what the published worked examples use (in a leap year it gives 366/365
  of what actual/366 would).
- The period is split at every half-year start (Jan 1, Jul 1: the base rate changes then,
  § 247 BGB) and at every payment date. A payment lowers the principal from its date on; the
  principal never drops below zero, so an overpayment ends the interest.
- The rate is the table's rate plus the margin, but never below zero.
- Each period's interest is kept exact; the total is the exact sum, rounded half-up to whole
  cents once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from arbook.core.problems import ArbookError, Problem

CONSUMER_MARGIN = Decimal(5)  # § 288 (1) BGB: base rate + 5 percentage points
BUSINESS_MARGIN = Decimal(9)  # § 288 (2) BGB: no consumer involved: base rate + 9 points
EU_MARGIN = Decimal(8)  # Directive 2011/7/EU, art. 2(6): ECB reference rate + 8 points
FLAT_FEE_CENTS = 4000  # § 288 (5) BGB: EUR 40 once per claim, businesses only

BASE_RATE_NAME = "Basiszinssatz (Deutsche Bundesbank)"
ECB_RATE_NAME = "ECB main refinancing rate"
DAYS_PER_YEAR = 365
CONVENTION = (
    "actual days / 365, first day of default inclusive, end date exclusive; split at each "
    "half-year and payment; exact sum rounded half-up to cents once / "
    "Tage taggenau / 365, erster Verzugstag inklusive, Enddatum exklusive; exakte Summe einmal "
    "kaufmännisch auf Cent gerundet"
)
_PRECISION = 60  # digits: principal x rate x days fits many times over, so sums stay exact


def half_year_start(day: date) -> date:
    """The Jan 1 or Jul 1 on or before ``day``: the half-year the rate of ``day`` belongs to."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(start: date) -> date:
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


class RateMissing(ArbookError):
    """A day's half-year is not in the rate table: the user adds one row and reruns."""

    def __init__(self, half_year: date, table_name: str = BASE_RATE_NAME):
        self.half_year = half_year
        self.table_name = table_name
        super().__init__(_missing_message(half_year, table_name))


def _missing_message(half_year: date, table_name: str) -> str:
    n = 1 if half_year.month == 1 else 2
    if table_name == ECB_RATE_NAME:
        what, table, who = ("ECB reference rate", "ECB rate table",
                            "the ECB rate in force on 1 January / 1 July")
        was, tabelle = "EZB-Referenzzinssatz", "EZB-Zinstabelle"
    else:
        what, table, who = ("base rate", "base-rate table",
                            "Bundesbank announces it each January and July")
        was, tabelle = "Basiszinssatz", "Basiszins-Tabelle"
    return (
        f"no {what} for the half-year from {half_year:%Y-%m-%d} ({n}. Halbjahr {half_year.year}); "
        f"add it to the {table} on the Settings sheet ({who}) / "
        f"kein {was} für das Halbjahr ab {half_year:%d.%m.%Y}: bitte in der {tabelle} auf dem "
        "Blatt Einstellungen ergänzen"
    )


@dataclass(frozen=True)
class RateTable:
    """Rates in percent per half-year; each entry is a Jan 1 or Jul 1 and holds for six months.

    Every half-year is listed explicitly. A half-year absent from ``points`` (before the first,
    after the last, or a hole) is not covered: ``rate_on`` refuses it with ``RateMissing``.
    """

    name: str
    points: tuple[tuple[date, Decimal], ...]
    source: str = ""
    updated: str = ""
    _by_start: dict[date, Decimal] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [start for start, _rate in self.points]
        if any(half_year_start(s) != s for s in starts) or starts != sorted(set(starts)):
            raise ValueError("rate table points must be distinct, ascending Jan 1 / Jul 1 dates")
        object.__setattr__(self, "_by_start", dict(self.points))

    @property
    def first(self) -> date | None:
        return self.points[0][0] if self.points else None

    @property
    def end(self) -> date | None:
        """The first day after the last half-year listed."""
        return next_half_year(self.points[-1][0]) if self.points else None

    def rate_on(self, day: date) -> Decimal:
        start = half_year_start(day)
        try:
            return self._by_start[start]
        except KeyError:
            raise RateMissing(start, self.name) from None


@dataclass(frozen=True)
class InterestPeriod:
    start: date
    end: date  # exclusive
    days: int
    principal_cents: int
    base_rate: Decimal  # percent, from the table
    rate: Decimal  # percent: base + margin, never below zero
    interest: Decimal  # EUR, unrounded

    @property
    def interest_cents(self) -> int:
        return _round_cents(self.interest * 100)


@dataclass(frozen=True)
class InterestCalc:
    periods: tuple[InterestPeriod, ...]
    total_cents: int  # the exact sum of the periods, rounded half-up once
    table_name: str = ""

    @property
    def exact(self) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return sum((p.interest for p in self.periods), Decimal(0))


def statutory_margin(business: bool, variant: str = "de") -> Decimal:
    """Points over the reference rate: § 288 (1)/(2) BGB, or Directive 2011/7/EU art. 2(6)."""
    if variant == "eu":
        if not business:
            raise ArbookError("the EU late-payment directive (2011/7/EU) covers transactions "
                              "between businesses only; use the German variant for consumers")
        return EU_MARGIN
    return BUSINESS_MARGIN if business else CONSUMER_MARGIN


def _round_cents(cents: Decimal) -> int:
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def default_interest(
    principal_cents: int,
    start: date,
    end: date,
    margin_points: Decimal,
    table: RateTable,
    payments: Sequence[tuple[date, int]] = (),
) -> InterestCalc:
    """Default interest on ``principal_cents`` from ``start`` (inclusive) to ``end`` (exclusive).

    ``payments`` are (date, cents) received; one on or before ``start`` lowers the principal
    from the start, one on or after ``end`` does not matter. Raises ``RateMissing`` naming the
    first half-year the table does not cover.
    """
    if principal_cents < 0:
        raise ArbookError(f"the amount must not be negative (got {principal_cents / 100:.2f})")
    if end < start:
        raise ArbookError(f"the end date {end:%Y-%m-%d} lies before the start {start:%Y-%m-%d}")
    for day, cents in payments:
        if cents <= 0:
            raise ArbookError(f"the payment on {day:%Y-%m-%d} must be a positive amount")
    cuts = {start, end}
    cuts.update(day for day, _cents in payments if start < day < end)
    boundary = next_half_year(half_year_start(start))
    while boundary < end:
        cuts.add(boundary)
        boundary = next_half_year(boundary)
    edges = sorted(cuts)
    periods = []
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for a, b in zip(edges, edges[1:], strict=False):
            paid = sum(cents for day, cents in payments if day <= a)
            principal = max(principal_cents - paid, 0)
            if principal == 0:
                break  # paid in full (or more): no interest from here on
            base = table.rate_on(a)
            rate = max(base + margin_points, Decimal(0))
            days = (b - a).days
            interest = Decimal(principal) * rate * days / (100 * DAYS_PER_YEAR * 100)
            periods.append(InterestPeriod(a, b, days, principal, base, rate, interest))
        numerator = sum((Decimal(p.principal_cents) * p.rate * p.days for p in periods),
                        Decimal(0))
        whole, rest = divmod(numerator, Decimal(100 * DAYS_PER_YEAR))  # cents, exactly
        total = int(whole) + (1 if 2 * rest >= 100 * DAYS_PER_YEAR else 0)
    return InterestCalc(tuple(periods), total, table.name)


def default_start(
    due_date: date | None,
    invoice_date: date | None,
    business: bool,
    consumer_notice: bool,
    first_reminder: date | None,
) -> date | None:
    """The first day of default (the first day interest runs), or None if not in default yet.

    The earliest of these, each only where the law allows it (§ 286 BGB), kept conservative:

    - Due date (§ 286 (2) no. 1): the day after the due date (§ 187 (1): the event's day does
      not count), for businesses, and for consumers only if the invoice carried the § 286 (3)
      notice (a due date the creditor typed on the invoice alone may not be an agreed one).
    - No due date (§ 286 (3)): 30 days after the invoice, i.e. from day 31; receipt of the
      invoice is assumed on the invoice date. Consumers only with the notice on the invoice.
    - Reminder (Mahnung, § 286 (1)): the day after the first reminder sent after the claim was
      due (after the due date, or on/after the invoice date without one); for everyone, and the
      only way a consumer without the notice gets into default.
    """
    candidates = []
    if business or consumer_notice:
        if due_date is not None:
            candidates.append(due_date + timedelta(days=1))
        elif invoice_date is not None:
            candidates.append(invoice_date + timedelta(days=31))
    if first_reminder is not None:
        if due_date is not None:
            valid = first_reminder > due_date
        else:
            valid = invoice_date is None or first_reminder >= invoice_date
        if valid:
            candidates.append(first_reminder + timedelta(days=1))
    return min(candidates, default=None)


# --- building a table from a Settings table ------------------------------------------------

_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_DE = re.compile(r"^(\d{1,2})\.(\d{4})$")


def parse_half_year(value: object) -> date | None:
    """A date from a cell: a date, '2026-07-01', '01.07.2026', '2026-07' or '07.2026'."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    for pattern, year_group, month_group in ((_ISO_MONTH, 1, 2), (_MONTH_DE, 2, 1)):
        match = pattern.match(text)
        if match and 1 <= int(match.group(month_group)) <= 12:
            return date(int(match.group(year_group)), int(match.group(month_group)), 1)
    return None


def parse_rate(value: object) -> Decimal | None:
    """A rate in percent: '1,27', '1.27', '-0,88 %', −0.88 or a number; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        rate = Decimal(value)
    elif isinstance(value, float):
        rate = Decimal(repr(value))  # the shortest text that gives this float: 1.27, not 1.2699…
    elif isinstance(value, str):
        text = value.strip().removesuffix("%").strip().replace("\u2212", "-").replace(",", ".")
        try:
            rate = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return rate if rate.is_finite() else None


def rate_table_from_rows(
    rows: list[tuple[object, object, int]],
    name: str,
    source: str,
    sheet: str,
    columns: tuple[str, str] = ("from", "rate %"),
    updated: str = "",
) -> tuple[RateTable, list[Problem]]:
    """Build a table from (half-year start, rate in percent, Excel row) rows.

    Bad rows are left out and reported with their row and column; holes between half-years are
    reported too (a calculation touching one is refused). Blank rows are skipped.
    """
    start_col, rate_col = columns
    problems: list[Problem] = []
    good: dict[date, tuple[Decimal, int]] = {}

    def problem(message: str, row: int, column: str) -> None:
        problems.append(Problem(message, sheet=sheet, row=row, column=column))

    for raw_start, raw_rate, row in rows:
        if _blank(raw_start) and _blank(raw_rate):
            continue
        start, rate = parse_half_year(raw_start), parse_rate(raw_rate)
        if start is None:
            problem(f"{_shown(raw_start)} is not a date; type the half-year start as 2026-07-01 "
                    "or 01.07.2026", row, start_col)
        elif half_year_start(start) != start:
            problem(f"{start:%Y-%m-%d} is not the start of a half-year; rates change on "
                    "1 January and 1 July", row, start_col)
            start = None
        elif start in good:
            problem(f"the half-year from {start:%Y-%m-%d} is listed twice (also in row "
                    f"{good[start][1]}); keep one", row, start_col)
            start = None
        if rate is None:
            problem(f"{_shown(raw_rate)} is not a rate; type it in percent, e.g. 1,27", row,
                    rate_col)
        elif not Decimal(-20) < rate < Decimal(50) or rate != rate.quantize(Decimal("0.01")):
            problem(f"{_shown(raw_rate)} does not look like a rate in percent with at most two "
                    "decimals; type 1,27 for 1.27 % (a cell formatted as % holds 0,0127)",
                    row, rate_col)
            rate = None
        if start is not None and rate is not None:
            good[start] = (rate, row)
    starts = sorted(good)
    for before, after in zip(starts, starts[1:], strict=False):
        if next_half_year(before) != after:
            problem(f"no rate for the half-year(s) from {next_half_year(before):%Y-%m-%d} until "
                    f"{after - timedelta(days=1):%Y-%m-%d}; add one row per half-year",
                    good[after][1], start_col)
    if not good:
        problems.append(Problem(f"the {name} table has no usable rows", sheet=sheet))
    points = tuple((start, good[start][0]) for start in starts)
    return RateTable(name, points, source=source, updated=updated), problems


def _shown(value: object) -> str:
    """A cell's value for a message: quoted, on one line, cut short (imported text is hostile)."""
    if _blank(value):
        return "an empty cell"
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
