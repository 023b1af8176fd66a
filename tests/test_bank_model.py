"""The pure bank model: the balance check, the "never twice" key and stable references."""

from __future__ import annotations

from datetime import date

from arbook.core.bank import (
    BankEntry,
    Statement,
    check_balance,
    entry_key,
    number_duplicates,
    stable_ref,
)


def entry(cents: int, ref: str = "r", booked: bool = True) -> BankEntry:
    return BankEntry(statement_id="S1", entry_ref=ref, booking_date=date(2026, 11, 26),
                     value_date=date(2026, 11, 27), amount_cents=cents, currency="EUR",
                     booked=booked)


def statement(opening, closing, *entries: BankEntry) -> Statement:
    return Statement(id="S1", account_iban="DE02120300000000202051", currency="EUR",
                     opening_cents=opening, closing_cents=closing, opening_date=None,
                     closing_date=None, entries=entries, file="auszug.xml", format="test")


def test_balance_that_adds_up_has_no_problem():
    assert check_balance(statement(1000, 1250, entry(500), entry(-250))) is None


def test_a_gap_of_one_cent_is_reported_with_file_and_statement():
    problem = check_balance(statement(1000, 1251, entry(500), entry(-250)))
    assert problem is not None
    assert problem.file == "auszug.xml" and "S1" in problem.message
    assert "gap -0.01" in problem.message


def test_pending_entries_are_not_in_the_booked_balance():
    assert check_balance(statement(1000, 1500, entry(500), entry(99, booked=False))) is None


def test_missing_balances_have_nothing_to_check():
    assert check_balance(statement(None, 1500, entry(500))) is None
    assert check_balance(statement(1000, None, entry(500))) is None


def test_entry_key_separates_what_differs_and_joins_what_is_equal():
    assert entry_key(entry(500)) == entry_key(entry(500))
    assert entry_key(entry(500)) != entry_key(entry(501))
    assert entry_key(entry(500, "a")) != entry_key(entry(500, "b"))
    assert entry_key(entry(500)) == ("S1", "r", "2026-11-26", 500)


def test_stable_refs_and_numbered_duplicates():
    a = stable_ref("DE02", date(2026, 11, 26), -350, "Kaffee")
    assert a == stable_ref("DE02", date(2026, 11, 26), -350, "Kaffee")
    assert a != stable_ref("DE02", date(2026, 11, 26), -351, "Kaffee")
    assert number_duplicates([a, a, "x", a]) == [a, f"{a}#2", "x", f"{a}#3"]
