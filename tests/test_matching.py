"""Payment matching: each rule, Skonto cases, several invoices, credits, assignments, and
property tests for conservation of cents, open-amount limits and determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.core.matching import (
    CREDIT,
    FLAG_OVERPAID,
    FLAG_SKONTO_LATE,
    FLAG_SKONTO_TOO_MUCH,
    PAYMENT,
    SKONTO,
    Allocation,
    Assignment,
    match_key,
    match_payments,
)
from arbook.core.remittance import build_index, candidate_keys, find_invoices, invoice_key
from tests.matching_scenarios import Entry

AS_OF = date(2026, 11, 26)
IBAN_A = "DE89 3704 0044 0532 0130 00"
IBAN_B = "DE02120300000000202051"


def invoices(*rows):
    """rows: (invoice_no, customer_id, open_cents, invoice_date[, currency])."""
    data = [{"invoice_no": r[0], "customer_id": r[1], "open_cents": r[2], "amount_cents": r[2],
             "invoice_date": r[3], "due_date": r[3] + timedelta(days=30),
             "currency": r[4] if len(r) > 4 else "EUR"} for r in rows]
    return pd.DataFrame(data)


CUSTOMERS = pd.DataFrame([
    {"customer_id": "K1", "name": "Müller GmbH", "iban": f"{IBAN_A}; DE11", "skonto_pct": 0.02,
     "skonto_days": 10},
    {"customer_id": "K2", "name": "Schmidt KG", "iban": IBAN_B, "skonto_pct": None,
     "skonto_days": None},
])

LEDGER = invoices(
    ("RE-000815", "K1", 100000, date(2026, 11, 20)),
    ("RE-000816", "K1", 50000, date(2026, 11, 1)),
    ("RE-000817", "K1", 25000, date(2026, 10, 1)),
    ("2026", "K2", 7700, date(2026, 9, 1)),
    ("4711", "K2", 12345, date(2026, 9, 2)),
)


def one(entry, ledger=LEDGER, assignments=None, **kw):
    result = match_payments([entry], ledger, CUSTOMERS, AS_OF, assignments, **kw)
    (match,) = result.matches
    assert sum(a.cents for a in match.allocations if a.kind != SKONTO) \
        + match.unapplied_cents == entry.amount_cents
    return match


def settled(match):
    return {(a.invoice_no, a.kind): a.cents for a in match.allocations}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("RE-000815", "RE-000815"), ("Rechnung 815", "RE-000815"), ("RE815", "RE-000815"),
     ("Inv. 0000815 vom 20.11.2026", "RE-000815"), ("Rechnungsnr.:815 Danke", "RE-000815"),
     ("re 4711", "4711"), ("4711 Kd 10001", "4711")],
)
def test_invoice_number_in_the_text_with_or_without_prefix_and_zeros(text, expected):
    amount = {"RE-000815": 100000, "4711": 12345}[expected]
    match = one(Entry(amount, text))
    assert not match.queued and match.rule == "text_full"
    assert settled(match) == {(expected, PAYMENT): amount}


@pytest.mark.parametrize(
    "text",
    ["IBAN DE89370400440532012026", "vom 01.09.2026", "2026-11-26", "Kd 12026 Nr 20261"],
)
def test_numbers_inside_ibans_dates_and_longer_numbers_are_not_invoice_numbers(text):
    match = one(Entry(7700, text))
    assert match.queued and match.allocations == ()


def test_remittance_keys():
    assert invoice_key("RE-000815") == invoice_key("re 815") == "815"
    assert [k for k, _, _ in candidate_keys("2 Stück, Rg 12, 26.11.2026")] == ["12"]
    index = build_index(["816", "RE-000815"])
    assert find_invoices("RE 815/816", index) == [("RE-000815", True), ("816", True)]


def test_exact_amount_of_the_known_customers_item_when_the_text_names_none():
    match = one(Entry(50000, "Zahlung", IBAN_A.replace(" ", "").lower()))
    assert match.rule == "amount" and not match.queued and match.customer_id == "K1"
    assert settled(match) == {("RE-000816", PAYMENT): 50000}


def test_known_customer_by_exact_name_is_less_sure_than_by_iban():
    by_name = one(Entry(50000, "", counterparty_name="MÜLLER GMBH"))
    by_iban = one(Entry(50000, "", IBAN_A))
    assert by_name.customer_id == "K1" and by_name.confidence < by_iban.confidence


def test_one_payment_named_for_several_invoices():
    match = one(Entry(150000, "RE 815 und RE 816"))
    assert settled(match) == {("RE-000815", PAYMENT): 100000, ("RE-000816", PAYMENT): 50000}
    assert not match.queued


def test_one_payment_equal_to_a_sum_of_open_items_found_by_bounded_search():
    match = one(Entry(75000, "Sammelzahlung", IBAN_A))
    assert match.rule == "amount_sum" and not match.queued
    assert settled(match) == {("RE-000816", PAYMENT): 50000, ("RE-000817", PAYMENT): 25000}


def test_skonto_in_time_settles_with_the_discount_recorded():
    match = one(Entry(98000, "RE 815", booking_date=date(2026, 11, 30)))  # day 10
    assert match.rule == "text_skonto" and not match.queued and not match.flags
    assert settled(match) == {("RE-000815", PAYMENT): 98000, ("RE-000815", SKONTO): 2000}


def test_skonto_taken_late_is_flagged_and_the_rest_stays_open():
    match = one(Entry(98000, "RE 815", booking_date=date(2026, 12, 1)))  # day 11
    assert FLAG_SKONTO_LATE in match.flags
    assert settled(match) == {("RE-000815", PAYMENT): 98000}
    assert match.unapplied_cents == 0


def test_too_much_skonto_is_flagged_and_the_rest_stays_open():
    match = one(Entry(97000, "RE 815", booking_date=date(2026, 11, 25)))
    assert FLAG_SKONTO_TOO_MUCH in match.flags
    assert settled(match) == {("RE-000815", PAYMENT): 97000}


def test_skonto_by_amount_for_a_known_customer():
    match = one(Entry(49000, "", IBAN_A, booking_date=date(2026, 11, 5)))
    assert match.rule == "amount_skonto"
    assert settled(match) == {("RE-000816", PAYMENT): 49000, ("RE-000816", SKONTO): 1000}


def test_partial_payment_leaves_the_rest_open_for_the_next_entry():
    first = Entry(30000, "RE 816", entry_ref="1", booking_date=date(2026, 11, 20))
    second = Entry(20000, "RE 816", entry_ref="2", booking_date=date(2026, 11, 21))
    result = match_payments([second, first], LEDGER, CUSTOMERS, AS_OF)
    assert [m.key for m in result.matches] == [match_key(first), match_key(second)]
    assert result.applied_by_invoice() == {"RE-000816": 50000}
    assert result.matches[0].rule == "text_partial" and result.matches[1].rule == "text_full"


def test_overpayment_becomes_credit_on_the_customer():
    match = one(Entry(26000, "RE 817"))
    assert FLAG_OVERPAID in match.flags and match.customer_id == "K1"
    assert settled(match) == {("RE-000817", PAYMENT): 25000, ("", CREDIT): 1000}


@pytest.mark.parametrize(
    ("entry", "rule"),
    [(Entry(-5000, "RE 815"), "money_out"), (Entry(100000, "RE 815", currency="USD"), "currency"),
     (Entry(100000, "RE 815", booked=False), "pending"), (Entry(1234, "Spende"), "unmatched"),
     (Entry(99, "", IBAN_B), "customer_only")],
)
def test_what_is_never_matched_goes_to_the_queue_with_a_reason(entry, rule):
    match = one(entry)
    assert match.rule == rule and match.queued and match.allocations == ()
    assert match.unapplied_cents == entry.amount_cents and match.reason("de") != match.reason("en")


def test_low_confidence_goes_to_the_queue_with_a_suggestion():
    ledger = invoices(("A1", "K2", 500, date(2026, 9, 1)), ("A2", "K2", 500, date(2026, 9, 5)))
    match = one(Entry(500, "", IBAN_B), ledger)  # two items of exactly that amount
    assert match.queued and match.allocations == () and match.unapplied_cents == 500
    assert match.suggested == (Allocation("A1", 500, PAYMENT),)


def test_manual_assignment_is_honoured_first():
    entry = Entry(20000, "RE 815")  # the text alone would pick 815
    assigned = {match_key(entry): Assignment.from_cells("RE-000817; 2026")}
    match = one(entry, assignments=assigned)
    assert match.rule == "assigned" and not match.queued
    # spread oldest due first: '2026' is due 2026-10-01, RE-000817 on 2026-10-31
    assert settled(match) == {("2026", PAYMENT): 7700, ("RE-000817", PAYMENT): 12300}
    ignored = one(entry, assignments={match_key(entry): Assignment.from_cells(ignore="x")})
    assert ignored.rule == "ignored" and not ignored.queued and ignored.allocations == ()
    to_customer = one(Entry(7700), assignments={match_key(Entry(7700)): Assignment(
        customer_id="K2")})
    assert settled(to_customer) == {("2026", PAYMENT): 7700}


# ----------------------------------------------------------------------------- properties

NUMBERS = ["RE-0001", "RE-0002", "1003", "A-7", "00042", "2026", "5555"]


@st.composite
def scenario(draw):
    n = draw(st.integers(1, len(NUMBERS)))
    rows = [(NUMBERS[i], draw(st.sampled_from(["K1", "K2"])),
             draw(st.integers(1, 200_000)), AS_OF - timedelta(days=draw(st.integers(0, 60))),
             draw(st.sampled_from(["EUR", "EUR", "USD"]))) for i in range(n)]
    words = st.sampled_from(["RE", "Rechnung", "Inv", "Danke", "vom 01.02.2026",
                             "DE89370400440532013000", *NUMBERS, "0001", "42"])
    entries = []
    for k in range(draw(st.integers(1, 6))):
        opens = [r[2] for r in rows]
        amount = draw(st.one_of(st.integers(-50_000, 300_000), st.sampled_from(opens),
                                st.sampled_from([o - round(o * 0.02) for o in opens])))
        entries.append(Entry(
            amount, " ".join(draw(st.lists(words, max_size=5))),
            draw(st.sampled_from(["", IBAN_A, IBAN_B])), currency=draw(st.sampled_from(
                ["EUR", "EUR", "USD", "GBP"])),
            booking_date=AS_OF - timedelta(days=draw(st.integers(0, 30))), entry_ref=str(k)))
    return invoices(*rows), entries


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_cents_are_conserved_no_invoice_is_overpaid_and_results_are_deterministic(data):
    ledger, entries = data
    result = match_payments(entries, ledger, CUSTOMERS, AS_OF)
    by_key = {match_key(e): e for e in entries}
    for match in result.matches:
        received = sum(a.cents for a in match.allocations if a.kind != SKONTO)
        assert received + match.unapplied_cents == by_key[match.key].amount_cents
        assert all(a.cents > 0 for a in match.allocations)
        assert all(a.invoice_no == "" for a in match.allocations if a.kind == CREDIT)
    opens = dict(zip(ledger["invoice_no"], ledger["open_cents"], strict=True))
    for number, cents in result.applied_by_invoice().items():
        assert cents <= opens[number]
    again = match_payments(list(reversed(entries)), ledger, CUSTOMERS, AS_OF)
    assert again.matches == result.matches
    # the same entry twice in one run: the second finds nothing left that the first took
    twice = match_payments([*entries, *[replace(e, entry_ref=e.entry_ref + "b")
                                       for e in entries]], ledger, CUSTOMERS, AS_OF)
    for number, cents in twice.applied_by_invoice().items():
        assert cents <= opens[number]


def test_invoice_number_in_the_end_to_end_id_counts_and_notprovided_does_not():
    match = one(Entry(50000, "Danke", end_to_end_id="RE-000816"))
    assert settled(match) == {("RE-000816", PAYMENT): 50000}
    assert one(Entry(50000, "Danke", end_to_end_id="NOTPROVIDED")).queued


def test_payer_whose_iban_belongs_to_another_customer_is_queued_for_review():
    match = one(Entry(100000, "RE 815", IBAN_B))
    assert match.queued and match.suggested == (Allocation("RE-000815", 100000, PAYMENT),)


def test_a_number_that_fits_two_invoices_is_queued():
    ledger = invoices(("RE-815", "K1", 500, date(2026, 9, 1)), ("815", "K1", 700, date(2026, 9, 1)))
    match = one(Entry(1200, "Rechnung 815"), ledger)
    assert match.queued and {a.invoice_no for a in match.suggested} == {"RE-815", "815"}
