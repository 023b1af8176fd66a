"""MT940 against the `mt-940` package's own expected results and the balance facts of SOURCE.md."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from arbook.core.bank import check_balance
from arbook.io.bank import read_statements
from tests.bank_extdata import files, folder

WOLPH = "mt940-wolph-tests"
# SOURCE.md: these reconcile (:60F: + sum(:61:) = :62F:) in every statement
RECONCILE = ["ASNB/0708271685_09022020_164516.940.txt", "betterplace/sepa_mt9401.sta",
             "cmxl/mt940.sta", "jejik/generic.sta", "jejik/rabobank-iban.sta", "jejik/sns.sta",
             "mBank/mt940.sta", "sberbank/171011_01234945.sta", "self-provided/february_30.sta",
             "self-provided/long_statement_number.sta",
             "self-provided/transaction_details_wrapped.sta",
             "self-provided/wrapped_timestamp.sta", "betterplace/with_binary_character.sta"]
# SOURCE.md: trimmed samples whose balances do not add up; the gap must be reported
MISMATCH = ["jejik/abnamro.sta", "jejik/ing.sta", "jejik/triodos.sta", "jejik/knab.sta",
            "jejik/postfinance.sta", "jejik/rabobank.sta", "mBank/with_newline_in_tnr.sta",
            "self-provided/details_60-63.sta", "self-provided/malformed_details.sta",
            "self-provided/overly_long_details.sta", "self-provided/whitespace.sta",
            "self-provided/raiffeisen-cmi.sta", "betterplace/sepa_snippet.sta",
            "betterplace/sepa_snippet_broken.sta"]


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def with_statements() -> list[Path]:
    """Oracle files whose input is a whole statement (the others are single-tag fragments)."""
    out = []
    for path in files(WOLPH, "*/*.sta"):
        text = path.read_bytes()
        if path.with_suffix(".expected.json").exists() and b":60F:" in text:
            out.append(path)
    return out


@pytest.mark.parametrize("path", with_statements(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_transactions_match_the_packages_expected_output(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    statements, _ = read_statements(path)
    ours = [e for s in statements for e in s.entries]
    theirs = [t["data"] for t in expected["transactions"]]
    raw = path.read_text(encoding="latin-1").replace("\r", "").replace("\n", "")
    assert len(ours) == len(theirs)
    for entry, tx in zip(ours, theirs, strict=True):
        assert entry.amount_cents == cents(tx["amount"]["amount"]) * (
            -1 if tx["status"] == "RC" else 1)  # reversal of a credit is money out
        assert str(entry.value_date) == tx["date"]
        if tx.get("entry_date"):
            assert str(entry.booking_date) == tx["entry_date"]
        e2e = " ".join((tx.get("end_to_end_reference") or "").split())
        if e2e in ("", "NONREF", "NOTPROVIDED"):  # the package reads no Dutch /EREF/; we do
            assert not entry.end_to_end_id or f"/EREF/{entry.end_to_end_id}/" in raw
        else:
            assert entry.end_to_end_id == e2e
        if tx.get("applicant_iban"):
            assert entry.counterparty_iban == tx["applicant_iban"]
        if tx.get("applicant_name"):
            assert entry.counterparty_name == " ".join(tx["applicant_name"].split())
        if tx.get("purpose"):
            assert entry.remittance.startswith(" ".join(tx["purpose"].split()))
    last = expected["data"]  # the last :62F: in the file (a later :62M: does not replace it)
    if statements and last.get("final_closing_balance"):
        closing = last["final_closing_balance"]["amount"]["amount"]
        assert cents(closing) in [s.closing_cents for s in statements]


@pytest.mark.parametrize("name", RECONCILE)
def test_balances_reconcile_where_source_says_so(name):
    statements, problems = read_statements(folder(WOLPH) / name)
    assert statements
    assert [check_balance(s) for s in statements] == [None] * len(statements)
    assert problems == []


@pytest.mark.parametrize("name", MISMATCH)
def test_a_balance_gap_is_reported_where_source_says_so(name):
    statements, problems = read_statements(folder(WOLPH) / name)
    gaps = []
    for s in statements:
        if s.opening_cents is not None and s.closing_cents is not None:
            gap = s.opening_cents + sum(e.amount_cents for e in s.entries) - s.closing_cents
            if gap:
                gaps.append(f"gap {Decimal(gap) / 100:.2f}")
    assert gaps
    assert all(any(g in p.message for p in problems) for g in gaps)


def test_german_structured_86_fields():
    statements, _ = read_statements(folder(WOLPH) / "betterplace/sepa_mt9401.sta")
    entries = [e for s in statements for e in s.entries]
    assert len(entries) == 97
    assert any(e.end_to_end_id for e in entries)
    assert all(not e.counterparty_iban or e.counterparty_iban[:2].isalpha() for e in entries)


def test_volksbank_mt940_agrees_with_the_same_banks_csv():
    """Two exports of one account by one bank: MT940 and CSV must give the same entries."""
    base = folder("german-bank-csv-rechnungspilot")
    mt, _ = read_statements(base / "vr-teilhaberbank.mta")
    csv, _ = read_statements(base / "vr-teilhaberbank.csv")
    from_mt = sorted((e.booking_date, e.amount_cents, e.mandate_ref, e.end_to_end_id)
                     for s in mt for e in s.entries)
    from_csv = sorted((e.booking_date, e.amount_cents, e.mandate_ref, e.end_to_end_id)
                      for s in csv for e in s.entries)
    assert [e[:3] for e in from_mt] == [e[:3] for e in from_csv]
    # the CSV tags EREF only in some purposes; where it does, MT940's ?20 EREF+ agrees
    assert all(c[3] == m[3] for m, c in zip(from_mt, from_csv, strict=True) if c[3])
    assert any(c[3] for c in from_csv) and any(e[2] for e in from_mt)


def test_fragments_without_a_statement_are_a_clear_problem():
    statements, problems = read_statements(folder(WOLPH) / "self-provided/sparkassen.sta")
    assert statements == []
    assert "no MT940 statement" in problems[0].message


def test_dutch_structured_86_and_hard_wrapped_ing_lines():
    path = folder("oca-bank-statement-import/mt940") / "test-ing.940"
    statements, problems = read_statements(path)
    assert problems == [] and [check_balance(s) for s in statements] == [None]
    flat = path.read_text(encoding="latin-1").replace("\n", "")
    erefs = [e.end_to_end_id for e in statements[0].entries if e.end_to_end_id]
    assert erefs and all(f"/EREF/{r}/" in flat for r in erefs)
    named = [e for e in statements[0].entries if e.counterparty_name]
    assert named and all(f"/CNTP/{e.counterparty_iban}/" in flat and e.counterparty_name in flat
                         for e in named)
    sixty_ones = flat.count(":61:")
    assert len(statements[0].entries) == sixty_ones
