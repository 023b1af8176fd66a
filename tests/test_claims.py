"""Interest and fees a reminder claims, worked by hand from the published rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.core.claims import ClaimItem, accrued_interest, claims_for, is_business
from arbook.core.interest import RateMissing, RateTable, default_interest, default_start
from arbook.io.lawdata import load_rate_table

# Basiszinssatz (Deutsche Bundesbank): 2023-01-01 1.62 %, 2023-07-01 3.12 %.
TABLE = RateTable("Basiszinssatz", ((date(2023, 1, 1), Decimal("1.62")),
                                    (date(2023, 7, 1), Decimal("3.12"))))
ECB = RateTable("ECB", ((date(2023, 1, 1), Decimal("2.50")),))
AS_OF = date(2023, 7, 1)


def item(open_cents=1_000_000, due=date(2022, 12, 31), payments=(), first_reminder=None,
         invoice_date=date(2022, 12, 1), currency="EUR"):
    return ClaimItem("R1", currency, open_cents, due, invoice_date, payments, first_reminder)


def claims(items, business=True, notice=False, variant="de", fee=250, table=TABLE,
           as_of=AS_OF):
    return claims_for(items, business=business, consumer_notice=notice, variant=variant,
                      table=table, stage_fee_cents=fee, fee_currency="EUR", as_of=as_of)


@pytest.mark.parametrize("business, notice, interest, flat, stage_fee", [
    # 10,000.00 from 2023-01-01 to 2023-07-01 (181 days): (1.62 + 9) % -> 526.64
    (True, False, 52664, 4000, 0),
    # consumer with the § 286 (3) notice: (1.62 + 5) % -> 328.28, stage fee instead of flat fee
    (False, True, 32828, 0, 250),
    # consumer without the notice and no reminder yet: not in default, nothing claimed
    (False, False, 0, 0, 0),
])
def test_interest_and_fees_by_customer_kind(business, notice, interest, flat, stage_fee):
    result = claims([item()], business=business, notice=notice)
    (claim,) = result.items
    assert claim.interest_cents == interest
    assert claim.flat_fee_cents == flat
    assert result.stage_fee_cents == stage_fee
    assert result.interest_by_currency() == ({"EUR": interest} if interest else {})


def test_consumer_without_notice_is_in_default_from_the_day_after_the_first_reminder():
    result = claims([item(first_reminder=date(2023, 3, 31))], business=False)
    (claim,) = result.items
    assert claim.default_from == date(2023, 4, 1)
    # 10,000.00 x 6.62 % x 91 days (2023-04-01 .. 2023-06-30) / 365 = 165.0466 -> 165.05
    assert claim.interest_cents == 16505


def test_a_partial_payment_lowers_the_principal_from_its_date():
    # open now 7,000.00 after 3,000.00 paid on 2023-04-01; consumer with notice:
    # 10,000 x 6.62 % x 90 / 365 = 163.2329 plus 7,000 x 6.62 % x 91 / 365 = 115.5326 -> 278.77
    result = claims([item(open_cents=700_000, payments=[(date(2023, 4, 1), 300_000)])],
                    business=False, notice=True)
    assert result.items[0].interest_cents == 27877


def test_flat_fee_once_per_invoice_in_euro_and_no_stage_fee_for_businesses():
    two = [item(), ClaimItem("R2", "CHF", 50_000, date(2023, 6, 1), None)]
    result = claims(two)
    assert [c.flat_fee_cents for c in result.items] == [4000, 4000]
    assert result.fees_by_currency() == {"EUR": 8000}


def test_not_yet_in_default_on_the_due_date_itself():
    result = claims([item(due=date(2023, 7, 1))], as_of=date(2023, 7, 1))
    assert result.items[0].default_from is None and result.items[0].flat_fee_cents == 0


def test_uncovered_half_year_leaves_interest_out_and_names_it():
    result = claims([item(), item()], as_of=date(2024, 2, 1))
    assert all(not c.interest_known and c.interest_cents == 0 for c in result.items)
    assert result.interest_missing
    (problem,) = result.problems  # reported once, not per item
    assert "2024-01-01" in problem.message


def test_eu_variant_ecb_plus_eight_for_businesses_none_for_consumers():
    business = claims([item(due=date(2022, 12, 31))], variant="eu", table=ECB)
    # 10,000 x (2.50 + 8) % x 181 / 365 = 520.68
    assert business.items[0].interest_cents == 52068 and business.margin == "8"
    consumer = claims([item()], business=False, notice=True, variant="eu", table=ECB)
    assert consumer.items[0].interest_cents == 0 and consumer.margin == ""


@pytest.mark.parametrize("text, expected", [
    ("Unternehmen", True), ("Business", True), (" business ", True), ("Verbraucher", False),
    ("Consumer", False), ("", False), (None, False)])
def test_customer_kind_from_the_sheet(text, expected):
    assert is_business(text) is expected


def _d64(value):
    return np.datetime64("NaT") if value is None else np.datetime64(value, "D")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(
    st.integers(1, 10**9),  # open cents
    st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2026, 6, 29))),  # due
    st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2026, 6, 29))),  # invoice date
    st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2026, 6, 29))),  # first reminder
    st.booleans(), st.booleans()), min_size=1, max_size=12),
    st.sampled_from(["de", "eu"]), st.dates(date(2016, 1, 1), date(2026, 6, 30)))
def test_whole_ledger_interest_equals_the_per_item_claims(rows, variant, as_of):
    """The vectorised path gives exactly the cents the letters show (claims_for)."""
    table = load_rate_table(variant)
    cents, missing = accrued_interest(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([_d64(r[1]) for r in rows], dtype="datetime64[D]"),
        np.array([_d64(r[2]) for r in rows], dtype="datetime64[D]"),
        np.array([_d64(r[3]) for r in rows], dtype="datetime64[D]"),
        np.array([r[4] for r in rows]), np.array([r[5] for r in rows]),
        variant=variant, table=table, as_of=as_of)
    for (open_cents, due, issued, reminded, business, notice), got in zip(rows, cents,
                                                                          strict=True):
        one = claims_for([ClaimItem("X", "EUR", open_cents, due, issued, (), reminded)],
                         business=business, consumer_notice=notice, variant=variant,
                         table=table, stage_fee_cents=0, fee_currency="EUR", as_of=as_of)
        assert one.items[0].interest_cents == got
        if not one.items[0].interest_known:
            assert missing
        start = one.items[0].default_from
        if start and start < as_of and one.items[0].interest_known and one.margin:
            # independently of both fast paths: the Decimal calculation of core.interest
            exact = default_interest(open_cents, start, as_of, Decimal(one.margin), table)
            assert exact.total_cents == got


def _reference(rows, business, notice, variant, table, as_of):
    """claims_for's items and problems worked out item by item with the scalar functions of
    core.interest (default_start, default_interest): the reference for the array path."""
    margin = (Decimal("8") if business else None) if variant == "eu" else (
        Decimal("9") if business else Decimal("5"))
    out, gaps = [], []
    for open_cents, due, issued, reminded, payments in rows:
        start = default_start(due, issued, business, notice, reminded)
        in_default = start is not None and start <= as_of
        interest, known = 0, True
        if in_default and margin is not None and start < as_of and open_cents > 0:
            try:
                interest = default_interest(open_cents + sum(c for _d, c in payments), start,
                                            as_of, margin, table, payments).total_cents
            except RateMissing as exc:
                known = False
                gaps.append(exc.half_year) if exc.half_year not in gaps else None
        out.append((start if in_default else None, interest,
                    4000 if business and in_default else 0, known))
    return out, gaps


_DAYS = st.dates(date(2022, 1, 1), date(2024, 12, 30))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(
    st.integers(-10**6, 10**9), st.one_of(st.none(), _DAYS), st.one_of(st.none(), _DAYS),
    st.one_of(st.none(), _DAYS),
    st.lists(st.tuples(_DAYS, st.integers(1, 10**6)), max_size=2)), max_size=25),
    st.booleans(), st.booleans(), st.sampled_from(["de", "eu"]),
    st.dates(date(2022, 6, 1), date(2025, 1, 1)), st.sets(st.integers(0, 5), max_size=3))
def test_a_long_letters_claims_equal_the_item_by_item_reference(rows, business, notice,
                                                                 variant, as_of, holes):
    """The array path of claims_for (all items at once) against the scalar rules, including
    items with payments, negative amounts and a rate table with holes (rate missing)."""
    halves = [date(2022 + k // 2, 1 + 6 * (k % 2), 1) for k in range(6)]
    table = RateTable("Basiszinssatz", tuple((d, Decimal("1.5") + k) for k, d in
                                             enumerate(halves) if k not in holes))
    items = [ClaimItem(f"R{k}", "EUR", o, due, issued, tuple(pay), reminded)
             for k, (o, due, issued, reminded, pay) in enumerate(rows)]
    got = claims_for(items, business=business, consumer_notice=notice, variant=variant,
                     table=table, stage_fee_cents=500, fee_currency="EUR", as_of=as_of)
    wanted, gaps = _reference(rows, business, notice, variant, table, as_of)
    assert [(c.default_from, c.interest_cents, c.flat_fee_cents, c.interest_known)
            for c in got.items] == wanted
    assert [c.invoice_no for c in got.items] == [i.invoice_no for i in items]
    assert [p.message for p in got.problems] == [
        f"interest left out of the reminder. {RateMissing(h, 'Basiszinssatz')}" for h in gaps]
    in_default = any(w[0] for w in wanted)
    assert got.stage_fee_cents == (500 if not business and in_default else 0)
