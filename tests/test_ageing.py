"""Ageing edge cases, table-driven, and the bucket invariant on random ledgers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.core.ageing import (
    OUTSTANDING_INPUTS,
    ageing_summary,
    compute_ageing,
    flag_list,
    outstanding,
)
from arbook.core.cells import RawColumn, RawTable, typed_frame
from arbook.core.schema import CUSTOMERS, INVOICES, PAYMENTS, TableSpec
from arbook.core.settings import Settings

AS_OF = date(2026, 11, 26)


def frame(spec: TableSpec, rows: list[dict]):
    """A typed table from Python values, through the same converters a workbook read uses."""
    columns = {}
    for column in spec.columns:
        values = [row.get(column.key) for row in rows]
        columns[column.key] = RawColumn.from_values(values)
    raw = RawTable(spec.sheet("en"), np.arange(2, len(rows) + 2), columns)
    typed, problems = typed_frame(raw, spec)
    assert problems == []
    return typed


def vals(series) -> list:
    return [None if pd.isna(x) else x for x in series]


def age(invoices, customers=None, payments=None, as_of=AS_OF, edges=(30, 60, 90)):
    customers = customers if customers is not None else [
        {"customer_id": "K1", "terms_days": 30},
        {"customer_id": "K2", "terms_days": None},
    ]
    return compute_ageing(
        frame(INVOICES, invoices), frame(CUSTOMERS, customers), frame(PAYMENTS, payments or []),
        Settings(bucket_edges=edges), as_of,
    )


def inv(no="R1", due=None, amount=1000.0, **extra):
    row = {"invoice_no": no, "customer_id": "K1", "invoice_date": date(2026, 9, 1),
           "due_date": due, "currency": "EUR", "amount": amount}
    row.update(extra)
    return row


@pytest.mark.parametrize(
    ("case", "due", "as_of", "days", "bucket", "status"),
    [
        ("due today is not overdue", date(2026, 11, 26), AS_OF, 0, "not_due", "open"),
        ("due yesterday", date(2026, 11, 25), AS_OF, 1, "1-30", "overdue"),
        ("30 days is still 1-30", date(2026, 10, 27), AS_OF, 30, "1-30", "overdue"),
        ("31 days", date(2026, 10, 26), AS_OF, 31, "31-60", "overdue"),
        ("90 days", date(2026, 8, 28), AS_OF, 90, "61-90", "overdue"),
        ("91 days", date(2026, 8, 27), AS_OF, 91, ">90", "overdue"),
        ("future due", date(2026, 12, 31), AS_OF, 0, "not_due", "open"),
        ("leap day counted", date(2024, 2, 28), date(2024, 3, 1), 2, "1-30", "overdue"),
        ("across a leap year", date(2024, 2, 29), date(2025, 2, 28), 365, ">90", "overdue"),
        ("month end to month end", date(2026, 1, 31), date(2026, 2, 28), 28, "1-30", "overdue"),
        ("year end", date(2025, 12, 31), date(2026, 1, 1), 1, "1-30", "overdue"),
    ],
)
def test_days_and_buckets(case, due, as_of, days, bucket, status):
    items = age([inv(due=due)], as_of=as_of).items
    assert items["days_overdue"][0] == days, case
    assert items["bucket"][0] == bucket, case
    assert items["status"][0] == status, case


def test_missing_due_date_derived_from_terms_across_a_short_february():
    # 31 Jan + 30 days = 2 March in 2026 (February has 28 days).
    on_due = age([inv(invoice_date=date(2026, 1, 31))], as_of=date(2026, 3, 2)).items
    assert on_due["due"][0] == np.datetime64("2026-03-02")
    assert on_due["days_overdue"][0] == 0
    assert "due_from_terms" in flag_list(on_due["flag_bits"][0])
    day_after = age([inv(invoice_date=date(2026, 1, 31))], as_of=date(2026, 3, 3)).items
    assert day_after["days_overdue"][0] == 1


def test_missing_due_date_without_terms_is_reported_and_kept_in_its_own_bucket():
    result = age([inv(customer_id="K2")])
    assert result.items["bucket"][0] == "undated"
    assert result.items["open_cents"][0] == 100000
    [problem] = result.problems
    assert problem.row == 2 and problem.column == "due_date"
    assert "payment terms" in problem.message


def test_as_of_before_invoice_date_is_not_due_and_flagged():
    items = age([inv(invoice_date=date(2026, 12, 10), due=date(2027, 1, 9))]).items
    assert items["bucket"][0] == "not_due"
    assert "future_invoice" in flag_list(items["flag_bits"][0])


def test_partial_payment_ages_what_remains():
    items = age([inv(due=date(2026, 10, 1), amount=1000.0, paid=400.0)]).items
    assert items["open_cents"][0] == 60000
    assert items["bucket"][0] == "31-60"


def test_payments_sheet_reduces_outstanding_and_unknown_invoice_is_reported():
    payments = [
        {"date": date(2026, 11, 1), "invoice_no": "R1", "amount": 250.0},
        {"date": date(2026, 11, 2), "invoice_no": "R1", "amount": 250.10},
        {"date": date(2026, 11, 3), "invoice_no": "R9", "amount": 5.0},
    ]
    result = age([inv(due=date(2026, 11, 1))], payments=payments)
    assert result.items["open_cents"][0] == 49990
    assert [p.message for p in result.problems] == [
        "payment for invoice R9 which is not in the ledger; not applied"
    ]


def test_fully_paid_is_not_aged():
    items = age([inv(due=date(2026, 1, 1), paid=1000.0)]).items
    assert items["open_cents"][0] == 0
    assert vals(items["bucket"]) == [None]
    assert items["status"][0] == "paid"


def test_credit_note_applied_to_its_invoice():
    items = age([
        inv("R1", due=date(2026, 11, 1), amount=1000.0),
        inv("G1", due=date(2026, 11, 5), amount=-300.0, credit_for="R1"),
    ]).items
    assert list(items["open_cents"]) == [70000, 0]


def test_credit_note_larger_than_invoice_leaves_unapplied_credit():
    items = age([
        inv("R1", due=date(2026, 11, 1), amount=200.0),
        inv("G1", due=date(2026, 11, 5), amount=-300.0, credit_for="R1"),
        inv("G2", due=date(2026, 11, 5), amount=-50.0),  # not linked: unapplied credit
    ]).items
    assert list(items["open_cents"]) == [0, -10000, -5000]
    assert vals(items["bucket"]) == [None, "credit", "credit"]
    assert list(items["status"]) == ["paid", "credit", "credit"]


def test_two_credit_notes_for_one_invoice_are_applied_in_order():
    items = age([
        inv("R1", due=date(2026, 11, 1), amount=500.0),
        inv("G1", amount=-300.0, credit_for="R1", due=date(2026, 11, 2)),
        inv("G2", amount=-300.0, credit_for="R1", due=date(2026, 11, 3)),
    ]).items
    assert list(items["open_cents"]) == [0, 0, -10000]


def test_overpaid_invoice_is_a_credit_and_flagged():
    items = age([inv(due=date(2026, 11, 1), amount=100.0, paid=150.0)]).items
    assert items["open_cents"][0] == -5000
    assert items["bucket"][0] == "credit"
    assert "overpaid" in flag_list(items["flag_bits"][0])


@pytest.mark.parametrize(
    ("extra", "status", "flag"),
    [
        ({"disputed": "Ja"}, "disputed", None),
        ({"hold_until": date(2026, 11, 26)}, "on_hold", None),
        ({"hold_until": date(2026, 11, 25)}, "overdue", None),
        ({"promised_date": date(2026, 12, 1)}, "promised", None),
        ({"promised_date": date(2026, 11, 20)}, "overdue", "promise_broken"),
        ({"disputed": "yes", "promised_date": date(2026, 12, 1)}, "disputed", None),
    ],
)
def test_status_precedence(extra, status, flag):
    items = age([inv(due=date(2026, 11, 1), **extra)]).items
    assert items["status"][0] == status
    flags = flag_list(items["flag_bits"][0])
    assert (flag in flags) if flag else "promise_broken" not in flags


def test_multiple_currencies_are_summed_separately():
    result = age([
        inv("R1", due=date(2026, 11, 1), amount=100.0, currency="EUR"),
        inv("R2", due=date(2026, 11, 1), amount=200.0, currency="CHF"),
        inv("R3", due=date(2026, 12, 1), amount=300.0, currency="CHF"),
    ])
    totals = ageing_summary(result, ["currency"])
    assert totals.loc["CHF", "total"] == 50000
    assert totals.loc["CHF", "1-30"] == 20000
    assert totals.loc["CHF", "not_due"] == 30000
    assert totals.loc["EUR", "total"] == 10000


def test_custom_bucket_edges():
    result = age([inv(due=date(2026, 10, 1))], edges=(15, 45))  # 56 days
    assert result.items["bucket"][0] == ">45"
    assert result.bucket_order == ["credit", "undated", "not_due", "1-15", "16-45", ">45"]


def test_duplicate_and_missing_numbers_are_skipped_not_aged():
    result = age([inv("R1"), inv("R1"), inv(None), inv("R2", due=date(2026, 11, 1))])
    assert list(result.items["skipped"]) == [True, True, True, False]
    assert sorted(p.row for p in result.problems) == [2, 3, 4]
    assert ageing_summary(result, [])["total"].iloc[0] == 100000



def test_a_ledger_without_any_invoice_number_is_skipped_not_a_crash():
    result = age([inv(None), inv(None, amount=5.0)])
    assert list(result.items["skipped"]) == [True, True]
    assert [p.row for p in result.problems] == [2, 3]

ledger_rows = st.lists(
    st.tuples(
        st.sampled_from(["K1", "K2", "K3"]),
        st.sampled_from(["EUR", "CHF"]),
        st.integers(-50_000, 500_000),  # amount in cents, negatives are credit notes
        st.integers(0, 500_000),  # paid in cents
        st.one_of(st.none(), st.integers(-200, 200)),  # due offset in days, None = missing
        st.booleans(),  # credit note linked to the previous row
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(ledger_rows)
def test_buckets_sum_to_outstanding_per_customer_currency_and_total(rows):
    invoices = []
    for i, (cust, cur, amount, paid, offset, linked) in enumerate(rows):
        invoices.append({
            "invoice_no": f"R{i}", "customer_id": cust, "currency": cur,
            "invoice_date": AS_OF - timedelta(days=60),
            "due_date": None if offset is None else AS_OF + timedelta(days=offset),
            "amount": amount / 100, "paid": min(paid, max(amount, 0)) / 100,
            "credit_for": f"R{i - 1}" if amount < 0 and linked and i else None,
        })
    customers = [{"customer_id": "K1", "terms_days": 14}, {"customer_id": "K2",
                 "terms_days": None}, {"customer_id": "K3", "terms_days": 30}]
    result = age(invoices, customers=customers)
    # Independent bookkeeping: what is owed in total per customer and currency does not
    # depend on how credit notes are spread over invoices.
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for row in invoices:
        expected[(row["customer_id"], row["currency"])] += round(row["amount"] * 100) - round(
            row["paid"] * 100)
    by_group = ageing_summary(result, ["customer_id", "currency"])
    order = result.bucket_order
    for key, total in expected.items():
        got = by_group.loc[key] if key in by_group.index else None
        if got is None:
            assert total == 0
            continue
        assert int(got[order].sum()) == int(got["total"]) == total
    grand = ageing_summary(result, [])
    assert int(grand[order].sum(axis=1).iloc[0]) == sum(expected.values())


@settings(max_examples=40, deadline=None)
@given(ledger_rows, st.lists(st.sampled_from(["R0", "R1", "R2", "R9", None]), max_size=4),
       st.lists(st.integers(0, 39), max_size=3))
def test_outstanding_alone_is_what_the_ageing_computes(rows, paying, blanked):
    """Bank matching reads only OUTSTANDING_INPUTS and asks ``outstanding``; it must see the
    open amounts, skipped rows and due dates of the full ageing (payments, credit notes,
    duplicate and missing numbers, due dates from terms included)."""
    invoices = []
    for i, (cust, cur, amount, paid, offset, linked) in enumerate(rows):
        invoices.append({
            "invoice_no": None if i in blanked else f"R{i % 7}", "customer_id": cust,
            "currency": cur if i % 5 else None, "invoice_date": AS_OF - timedelta(days=60),
            "due_date": None if offset is None else AS_OF + timedelta(days=offset),
            "amount": amount / 100, "paid": min(paid, max(amount, 0)) / 100,
            "credit_for": f"R{(i - 1) % 7}" if amount < 0 and linked and i else None,
            "disputed": "ja" if i % 3 == 0 else None, "promised_date": AS_OF,
        })
    customers = frame(CUSTOMERS, [{"customer_id": "K1", "terms_days": 14},
                                  {"customer_id": "K3", "terms_days": 30}])
    payments = frame(PAYMENTS, [{"date": AS_OF, "invoice_no": n, "amount": 12.5}
                                for n in paying])
    full = frame(INVOICES, invoices)
    aged = compute_ageing(full, customers, payments, Settings(), AS_OF).items
    found = outstanding(full[["row", *(c for c in full.columns if c.startswith(
        OUTSTANDING_INPUTS))]], customers, payments, Settings())
    assert found.open_cents.tolist() == aged["open_cents"].tolist()
    assert found.skipped.tolist() == aged["skipped"].tolist()
    assert found.due.tolist() == aged["due"].to_numpy(dtype="datetime64[D]").tolist()
    assert found.currency.tolist() == aged["currency"].tolist()
