"""Bank statements as plain data: entries in integer cents, one balance check, one dedupe key.

The readers in `arbook.io.bank` fill this model from camt, MT940 and bank CSV; matching and the
journal only ever see these types. Pure: no files, no XML, no CSV here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from arbook.core.problems import Problem, Severity


@dataclass(frozen=True)
class BankEntry:
    """One booked (or pending) movement on the account; + is money in, - is money out."""

    statement_id: str
    entry_ref: str  # the bank's reference, or a stable hash of the entry's fields (see docs)
    booking_date: date | None
    value_date: date | None
    amount_cents: int
    currency: str
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""  # purpose text (Verwendungszweck), lines joined with a space
    end_to_end_id: str = ""
    mandate_ref: str = ""
    creditor_id: str = ""  # SEPA Gläubiger-ID of a direct debit
    creditor_ref: str = ""  # structured creditor reference (RF..., ISO 11649)
    bank_tx_code: str = ""
    booked: bool = True  # False for pending ("vorgemerkt", camt PDNG): never applied
    file: str = ""
    position: int | None = None  # entry number in the statement, or the file's line


@dataclass(frozen=True)
class Statement:
    """One statement (or report / notification) for one account and currency."""

    id: str
    account_iban: str
    currency: str
    opening_cents: int | None
    closing_cents: int | None
    opening_date: date | None
    closing_date: date | None
    entries: tuple[BankEntry, ...] = field(default_factory=tuple)
    file: str = ""
    format: str = ""  # e.g. "camt.053.001.02", "mt940", "csv:sparkasse"


def check_balance(statement: Statement) -> Problem | None:
    """Opening + booked entries must equal closing; a gap is a Problem, never hidden.

    Statements without both balances (camt.054, most CSV exports) have nothing to check: None.
    """
    if statement.opening_cents is None or statement.closing_cents is None:
        return None
    foreign = sorted({e.currency for e in statement.entries if e.booked} - {statement.currency})
    if foreign:
        return Problem(f"statement {statement.id}: entries in {', '.join(foreign)} on a "
                       f"{statement.currency} statement; the balance cannot be checked / "
                       "Umsätze in fremder Währung, Saldo nicht prüfbar", file=statement.file)
    moved = sum(e.amount_cents for e in statement.entries if e.booked)
    gap = statement.opening_cents + moved - statement.closing_cents
    if gap == 0:
        return None
    return Problem(
        f"statement {statement.id}: opening {format_cents(statement.opening_cents)} "
        f"+ entries {format_cents(moved)} = {format_cents(statement.opening_cents + moved)}, "
        f"but the closing balance is {format_cents(statement.closing_cents)} "
        f"(gap {format_cents(gap)} {statement.currency}) / Saldo stimmt nicht: "
        f"Anfangssaldo + Umsätze weicht um {format_cents(gap)} vom Endsaldo ab",
        file=statement.file,
        severity=Severity.ERROR,
    )


def entry_key(entry: BankEntry) -> tuple[str, str, str, int]:
    """What makes an entry "already applied": statement id, reference, date, amount."""
    when = entry.booking_date or entry.value_date
    return (entry.statement_id, entry.entry_ref, when.isoformat() if when else "",
            entry.amount_cents)


def stable_ref(*parts: object) -> str:
    """A reference for entries the bank gave none: the same fields give the same text."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "h:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def number_duplicates(refs: list[str]) -> list[str]:
    """Make repeated references unique by occurrence (two equal coffees on one day stay two)."""
    seen: dict[str, int] = {}
    out = []
    for ref in refs:
        n = seen.get(ref, 0)
        seen[ref] = n + 1
        out.append(ref if n == 0 else f"{ref}#{n + 1}")
    return out


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
