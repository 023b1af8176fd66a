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

from arbook.core.interest import (
    BUSINESS_MARGIN,
    CONSUMER_MARGIN,
    EU_MARGIN,
    FLAT_FEE_CENTS,
    RateMissing,
    RateTable,
    default_interest,
    default_start,
)
from arbook.core.problems import Problem, Severity

VARIANTS = ("de", "eu")
BUSINESS_WORDS = {"business", "unternehmen", "firma", "b2b", "company", "gewerbe", "unternehmer"}


def is_business(customer_type: object) -> bool:
    """Whether the Customers sheet calls the customer a business; unknown counts as consumer
    (the lower rate and no flat fee: the safe side)."""
    return str(customer_type or "").strip().casefold() in BUSINESS_WORDS


@dataclass(frozen=True)
class ItemClaim:
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


@dataclass(frozen=True)
class ClaimItem:
    """What claims need to know of one overdue item."""

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
    for item in items:
        start = default_start(item.due, item.invoice_date, business, consumer_notice,
                              item.first_reminder)
        in_default = start is not None and start <= as_of
        interest, known = 0, True
        if in_default and margin is not None and start < as_of and item.open_cents > 0:
            paid = sum(cents for _day, cents in item.payments)
            try:
                interest = default_interest(item.open_cents + paid, start, as_of, margin, table,
                                            [p for p in item.payments if p[1] > 0]).total_cents
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
