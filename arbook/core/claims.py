"""What a reminder claims besides the open invoices: default interest and fees.

Interest and fees are separate claims; the invoices' amounts are never changed. The rules,
kept on the safe side (a creditor who claims less is never wrong):

- Interest runs from the first day of default (``core.interest.default_start``, § 286 BGB) up
  to the day before the reminder's date (the as-of date is not counted): the principal is what
  was open at the start of default, lowered by each dated payment from its date on (§ 367 BGB
  order is not modelled: a payment reduces the invoice it was booked to).
- Variant "de" (§ 288 BGB): businesses base rate + 9 points, consumers + 5 points.
  Variant "eu" (Directive 2011/7/EU, for business customers outside Germany): ECB reference
  rate + 8 points for businesses; consumers are charged no interest in this variant, since
  their national rules differ.
- Businesses in default owe the EUR 40 flat fee once per invoice (§ 288 (5) BGB); it is listed
  with every reminder while the invoice is open, never added twice. Because § 288 (5) sentence 3
  counts the flat fee against the costs of pursuing the claim, businesses are charged no stage
  fee on top. Consumers pay the stage's fee (Mahngebühr), and only once they are in default
  (the reminder that puts them in default is free).
- A period the rate table does not cover is not guessed: the item's interest is left out and
  a problem names the half-year to add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np

from arbook.core.interest import (
    BUSINESS_MARGIN,
    CONSUMER_MARGIN,
    DAYS_PER_YEAR,
    EU_MARGIN,
    FLAT_FEE_CENTS,
    RateMissing,
    RateTable,
    default_interest,
    half_year_start,
    next_half_year,
)
from arbook.core.problems import Problem, Severity

VARIANTS = ("de", "eu")
BUSINESS_WORDS = {"business", "unternehmen", "firma", "b2b", "company", "gewerbe", "unternehmer"}


def is_business(customer_type: object) -> bool:
    """Whether the Customers sheet calls the customer a business; unknown counts as consumer
    (the lower rate and no flat fee: the safe side)."""
    return str(customer_type or "").strip().casefold() in BUSINESS_WORDS


class ItemClaim(NamedTuple):  # a tuple: a long letter makes tens of thousands of them
    invoice_no: str
    currency: str
    open_cents: int
    default_from: date | None  # first day of default; None: not in default yet
    interest_cents: int  # 0 when not in default or not computable
    flat_fee_cents: int  # EUR, § 288 (5) BGB
    interest_known: bool = True  # False: the rate table lacks a half-year


@dataclass(frozen=True)
class Claims:
    items: tuple[ItemClaim, ...]
    stage_fee_cents: int  # in the home currency
    fee_currency: str
    margin: str  # e.g. "9" (points over the reference rate); "" when no interest is claimed
    problems: tuple[Problem, ...] = field(default=())

    def interest_by_currency(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            if item.interest_cents:
                out[item.currency] = out.get(item.currency, 0) + item.interest_cents
        return out

    def fees_by_currency(self) -> dict[str, int]:
        out: dict[str, int] = {}
        flat = sum(item.flat_fee_cents for item in self.items)
        if flat:
            out["EUR"] = flat
        if self.stage_fee_cents:
            out[self.fee_currency] = out.get(self.fee_currency, 0) + self.stage_fee_cents
        return out

    @property
    def interest_missing(self) -> bool:
        return any(not item.interest_known for item in self.items)


class ClaimItem(NamedTuple):
    """What claims need to know of one overdue item (a tuple, cheap to make by the thousand)."""

    invoice_no: str
    currency: str
    open_cents: int
    due: date | None
    invoice_date: date | None
    payments: Sequence[tuple[date, int]] = ()  # dated payments booked to this invoice
    first_reminder: date | None = None  # first reminder it received (journal)


def claims_for(items: Sequence[ClaimItem], *, business: bool, consumer_notice: bool,
               variant: str, table: RateTable, stage_fee_cents: int, fee_currency: str,
               as_of: date) -> Claims:
    """Interest and fees of one reminder (see the module docstring for the rules).

    A long letter has tens of thousands of items: the start of default and the interest of
    items without dated payments are worked out as arrays (``accrued_interest``'s arithmetic);
    only items with payments take the exact Decimal path one by one.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown interest variant {variant!r}")
    if variant == "eu":
        margin = EU_MARGIN if business else None
    else:
        margin = BUSINESS_MARGIN if business else CONSUMER_MARGIN
    margin_text = "" if margin is None else str(margin)
    if not items:
        return Claims((), 0, fee_currency, margin_text)
    numbers, currencies, opens, dues, issued, payments, reminded = zip(*items, strict=True)
    open_cents = np.array(opens, dtype=np.int64)
    start = default_starts(day_array(dues), day_array(issued), day_array(reminded),
                           business, consumer_notice)
    day = np.datetime64(as_of, "D")
    in_default = ~np.isnat(start) & (start <= day)
    charged = in_default & (start < day) & (open_cents > 0) & (margin is not None)
    with_payments = np.fromiter(map(bool, payments), dtype=bool, count=len(items))
    bulk = charged & ~with_payments
    interest = np.zeros(len(items), dtype=np.int64)
    missing: list[RateMissing | None] = [None] * len(items)
    if bulk.any():
        assert margin is not None
        weight, gaps = _rate_days_of(start, np.full(len(items), int(margin * 100)), bulk,
                                     as_of, table)
        interest[bulk] = _interest_cents(open_cents[bulk], np.maximum(weight[bulk], 0))
        for i in np.flatnonzero(bulk & (weight < 0)).tolist():
            missing[i] = gaps[i]
    starts = start.astype(object)
    for i in np.flatnonzero(charged & with_payments).tolist():
        paid = sum(cents for _day, cents in payments[i])
        try:
            interest[i] = default_interest(int(opens[i]) + paid, starts[i], as_of, margin,
                                           table, [p for p in payments[i] if p[1] > 0]
                                           ).total_cents
        except RateMissing as exc:
            missing[i] = exc
    problems, reported = [], set()
    for exc in missing:
        if exc is not None and exc.half_year not in reported:
            reported.add(exc.half_year)
            problems.append(Problem(f"interest left out of the reminder. {exc}",
                                    sheet="Settings", severity=Severity.WARNING))
    default_from = np.where(in_default, starts, None).tolist()
    flat = np.where(in_default, FLAT_FEE_CENTS if business else 0, 0).tolist()
    known = [exc is None for exc in missing]
    claimed = tuple(map(ItemClaim._make, zip(numbers, currencies, opens, default_from,
                                             interest.tolist(), flat, known, strict=True)))
    return Claims(
        items=claimed,
        stage_fee_cents=stage_fee_cents if (not business and in_default.any()) else 0,
        fee_currency=fee_currency,
        margin=margin_text,
        problems=tuple(problems),
    )


def accrued_interest(open_cents: np.ndarray, due: np.ndarray, invoice_date: np.ndarray,
                     first_reminder: np.ndarray, business: np.ndarray,
                     consumer_notice: np.ndarray, *, variant: str, table: RateTable,
                     as_of: date) -> tuple[np.ndarray, set[date]]:
    """``claims_for``'s interest for a whole ledger at once, to the same cent.

    Dates are ``datetime64[D]`` arrays (NaT: none). Items with dated payments need the
    per-item path (``claims_for``); this one assumes the open amount was the principal
    throughout. Interest = principal x sum(rate x days) / 36,500, rounded half up once, where
    the sum depends only on the start of default and the margin, so it is worked out once per
    distinct start. Returns the cents and the half-years the table lacks (those items get 0).
    """
    start = default_starts(due, invoice_date, first_reminder, business, consumer_notice)
    if variant == "eu":
        margin = np.where(business, int(EU_MARGIN * 100), -1)
    else:
        margin = np.where(business, int(BUSINESS_MARGIN * 100), int(CONSUMER_MARGIN * 100))
    day = np.datetime64(as_of, "D")
    live = ~np.isnat(start) & (start < day) & (open_cents > 0) & (margin >= 0)
    weight, gaps = _rate_days_of(start, margin, live, as_of, table)
    known = weight >= 0
    cents = np.zeros(len(open_cents), dtype=np.int64)
    cents[live & known] = _interest_cents(open_cents[live & known], weight[live & known])
    return cents, {gaps[i].half_year for i in np.flatnonzero(live & ~known).tolist()}


def default_starts(due: np.ndarray, invoice_date: np.ndarray, first_reminder: np.ndarray,
                   business: np.ndarray | bool, consumer_notice: np.ndarray | bool
                   ) -> np.ndarray:
    """``interest.default_start`` for whole columns (``datetime64[D]``, NaT: none)."""
    start = np.full(len(due), np.datetime64("NaT"), dtype="datetime64[D]")
    agreed = np.logical_or(business, consumer_notice)  # § 286 (2)/(3): see default_start
    by_due = agreed & ~np.isnat(due)
    start[by_due] = due[by_due] + np.timedelta64(1, "D")
    by_invoice = agreed & np.isnat(due) & ~np.isnat(invoice_date)
    start[by_invoice] = invoice_date[by_invoice] + np.timedelta64(31, "D")
    reminded = ~np.isnat(first_reminder) & np.where(
        np.isnat(due), np.isnat(invoice_date) | (first_reminder >= invoice_date),
        first_reminder > due)
    after_reminder = first_reminder + np.timedelta64(1, "D")
    earlier = reminded & (np.isnat(start) | (after_reminder < start))
    start[earlier] = after_reminder[earlier]
    return start


def _rate_days_of(start: np.ndarray, margin: np.ndarray, live: np.ndarray, as_of: date,
                  table: RateTable) -> tuple[np.ndarray, dict[int, RateMissing]]:
    """``_rate_days`` of each live item, worked out once per distinct (start, margin); -1
    where the table lacks a half-year, with the ``RateMissing`` by item position."""
    weight = np.zeros(len(start), dtype=np.int64)
    gaps: dict[int, RateMissing] = {}
    at = np.flatnonzero(live)
    if not len(at):
        return weight, gaps
    keys = start[at].astype(np.int64) * 10_000 + margin[at]  # margins are under 100 points
    distinct, inverse = np.unique(keys, return_inverse=True)
    values = np.empty(len(distinct), dtype=np.int64)
    errors: dict[int, RateMissing] = {}
    for k, key in enumerate(distinct.tolist()):
        first = (_EPOCH + timedelta(days=key // 10_000))
        try:
            values[k] = _rate_days(first, as_of, key % 10_000, table)
        except RateMissing as exc:
            values[k], errors[k] = -1, exc
    weight[at] = values[inverse]
    if errors:
        gaps = {int(i): errors[k] for i, k in zip(at.tolist(), inverse.tolist(), strict=True)
                if k in errors}
    return weight, gaps


def _interest_cents(open_cents: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``_round_interest(open x weight)``; in Python integers where int64 could overflow."""
    if len(open_cents) and int(open_cents.max()) * int(weight.max()) >= 2**62:
        exact = [_round_interest(int(o) * int(w)) for o, w in
                 zip(open_cents.tolist(), weight.tolist(), strict=True)]
        return np.array(exact, dtype=object).astype(np.int64)
    return _round_interest(open_cents * weight).astype(np.int64)


_EPOCH = date(1970, 1, 1)


def day_array(values: Sequence[date | None]) -> np.ndarray:
    """Dates as ``datetime64[D]`` (None: NaT), by day number: numpy converts ``date`` objects
    one by one, ten times slower (35k reminder dates: 50 ms)."""
    epoch = _EPOCH.toordinal()
    days = np.fromiter((0 if v is None else v.toordinal() - epoch for v in values),
                       dtype=np.int64, count=len(values)).astype("datetime64[D]")
    days[np.fromiter((v is None for v in values), dtype=bool, count=len(values))] = \
        np.datetime64("NaT")
    return days


def _round_interest(numerator):
    """Cents from principal cents x (rate in hundredths of a point x days), half up, once."""
    denominator = 100 * 100 * DAYS_PER_YEAR
    return (2 * numerator + denominator) // (2 * denominator)


def _rate_days(start: date, end: date, margin_hundredths: int, table: RateTable) -> int:
    """Sum over the half-years of max(base + margin, 0) in hundredths of a point x days."""
    total, day = 0, start
    while day < end:
        boundary = next_half_year(half_year_start(day))
        upto = min(boundary, end)
        rate = max(int(table.rate_on(day) * 100) + margin_hundredths, 0)
        total += rate * (upto - day).days
        day = upto
    return total
