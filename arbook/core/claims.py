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
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from arbook.core.interest import (
    BUSINESS_MARGIN,
    CONSUMER_MARGIN,
    DAYS_PER_YEAR,
    EU_MARGIN,
    FLAT_FEE_CENTS,
    RateMissing,
    RateTable,
    default_interest,
    default_start,
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
    """Interest and fees of one reminder (see the module docstring for the rules)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown interest variant {variant!r}")
    if variant == "eu":
        margin = EU_MARGIN if business else None
    else:
        margin = BUSINESS_MARGIN if business else CONSUMER_MARGIN
    problems: list[Problem] = []
    claimed: list[ItemClaim] = []
    missing_reported: set[date] = set()
    weights: dict[date, int | RateMissing] = {}  # rate x days per start of default
    for item in items:
        start = default_start(item.due, item.invoice_date, business, consumer_notice,
                              item.first_reminder)
        in_default = start is not None and start <= as_of
        interest, known = 0, True
        if in_default and margin is not None and start < as_of and item.open_cents > 0:
            try:
                if item.payments:
                    paid = sum(cents for _day, cents in item.payments)
                    interest = default_interest(item.open_cents + paid, start, as_of, margin,
                                                table, [p for p in item.payments if p[1] > 0]
                                                ).total_cents
                else:  # the same cents, without Decimal arithmetic per item (long letters)
                    if start not in weights:
                        try:
                            weights[start] = _rate_days(start, as_of, int(margin * 100), table)
                        except RateMissing as exc:
                            weights[start] = exc  # the next item with this start: no retry
                    if isinstance(weights[start], RateMissing):
                        raise weights[start]
                    interest = _round_interest(item.open_cents * weights[start])
            except RateMissing as exc:
                known = False
                if exc.half_year not in missing_reported:
                    missing_reported.add(exc.half_year)
                    problems.append(Problem(
                        f"interest left out of the reminder. {exc}",
                        sheet="Settings", severity=Severity.WARNING))
        flat = FLAT_FEE_CENTS if business and in_default else 0
        claimed.append(ItemClaim(item.invoice_no, item.currency, item.open_cents,
                                 start if in_default else None, interest, flat, known))
    consumer_in_default = not business and any(c.default_from for c in claimed)
    return Claims(
        items=tuple(claimed),
        stage_fee_cents=stage_fee_cents if consumer_in_default else 0,
        fee_currency=fee_currency,
        margin="" if margin is None else str(margin),
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
    n = len(open_cents)
    day = np.datetime64(as_of, "D")
    start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    agreed = business | consumer_notice  # § 286 (2)/(3): due date or 30 days, see default_start
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
    if variant == "eu":
        margin = np.where(business, int(EU_MARGIN * 100), -1)
    else:
        margin = np.where(business, int(BUSINESS_MARGIN * 100), int(CONSUMER_MARGIN * 100))
    live = ~np.isnat(start) & (start < day) & (open_cents > 0) & (margin >= 0)
    weight = np.zeros(n, dtype=np.int64)
    missing: set[date] = set()
    pairs = pd.DataFrame({"start": start[live], "margin": margin[live]}).drop_duplicates()
    lookup: dict[tuple, int] = {}
    for first, points in zip(pairs["start"], pairs["margin"], strict=True):
        try:
            lookup[(first, points)] = _rate_days(pd.Timestamp(first).date(), as_of,
                                                 int(points), table)
        except RateMissing as exc:
            missing.add(exc.half_year)
            lookup[(first, points)] = -1
    if lookup:
        keys = pd.MultiIndex.from_arrays([pd.DatetimeIndex(start[live]), margin[live]])
        table_index = pd.MultiIndex.from_tuples(list(lookup), names=None)
        values = np.array(list(lookup.values()), dtype=np.int64)
        weight[live] = values[table_index.get_indexer(keys)]
    known = weight >= 0
    numerator = np.where(known, open_cents, 0) * np.maximum(weight, 0)  # cents x rate% x 100 x days
    return _round_interest(numerator).astype(np.int64), missing


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
