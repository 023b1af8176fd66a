"""SWIFT MT940 (and MT942) into Statements, through the `mt-940` package (wolph).

Why the package: BSD-3, mature (since 2013, releases in 2026), no dependencies, and it already
knows the German structured `:86:` (?00 posting text, ?20-?29 purpose with EREF+/MREF+/CRED+/SVWZ+,
?30 BIC, ?31 IBAN, ?32/?33 name) and a long list of bank quirks. This module only decodes the
bytes, splits statements, and maps its objects onto the model. It is the only importer of `mt940`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import mt940
import mt940.tags

from arbook.core.bank import BankEntry, Statement, number_duplicates, stable_ref
from arbook.core.problems import Problem
from arbook.io.bank.values import ValueProblem, decimal_to_cents, decode_text, tidy

OPTIONS = mt940.Options.all()  # the fixes the next major release makes default (IBAN in ?31 ...)
IBAN_RE = re.compile(r"^([A-Z]{2}\d{2}[A-Z0-9]{8,30}?)(?:[A-Z]{3})?$")


SWIFT_TAG_RE = re.compile(rb"^(\{1:|:(20|25|28C?|60[FM]|61|62[FM]|86|NS):)", re.M)
logging.getLogger("mt940").addHandler(logging.NullHandler())  # its errors become our Problems


class LooseStatementNumber(mt940.tags.StatementNumber):
    """`:28C:` wrapped over two lines (ING NL hard-wraps every field): `0000` / `0`."""

    pattern = r"(?P<statement_number>\d{1,5})\s*(?:/?(?P<sequence_number>\d{1,5}))?$"


class LooseStatement(mt940.tags.Statement):
    """`:61:` whose reference and supplementary details wrap over several lines (ING NL)."""

    pattern = mt940.tags.Statement.pattern.replace(
        "(\\n?(?P<extra_details>.*))?", "(\\n?(?P<extra_details>(?:.|\\n)*))?")


FALLBACK_TAGS = (
    {mt940.tags.StatementASNB.id: mt940.tags.StatementASNB()},  # IBAN as :61: reference
    {LooseStatementNumber.id: LooseStatementNumber(), LooseStatement.id: LooseStatement()},
)
# Dutch banks' structured :86: (`/EREF/x//CNTP/iban/bic/name//REMI/USTD//text/`)
NL_TAG_RE = re.compile(r"/(EREF|CNTP|REMI|ORDP|BENM|MARF|CSID|PREF|RTRN|ISDT|NAME|ADDR|IBAN|"
                       r"BIC|TRCD|PURP|ULTD|ULTC|BUSP|SVCL)/")


def looks_like_mt940(data: bytes) -> bool:
    """SWIFT tags at line starts (or a {1: block header) in the first 64 KB."""
    return SWIFT_TAG_RE.search(data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")) is not None



def parse_blocks(text: str) -> list[mt940.models.Transactions]:
    """The package's statements; known bank quirks retried with a looser tag pattern."""
    try:
        return mt940.parse_statements(text, options=OPTIONS)
    except RuntimeError as exc:
        error = exc
    for tags in FALLBACK_TAGS:
        try:
            return mt940.parse_statements(text, options=OPTIONS, tags=tags)
        except RuntimeError:
            continue
    raise error


def read_mt940(data: bytes, file: str) -> tuple[list[Statement], list[Problem]]:
    text = decode_text(data)
    try:
        blocks = parse_blocks(text)
    except (RuntimeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
        message = str(exc.args[0] if exc.args else exc).splitlines()[0][:200]
        return [], [Problem(f"MT940 could not be read: {message} / MT940 nicht lesbar",
                            file=file)]
    statements, problems = [], []
    for number, block in enumerate(blocks, start=1):
        if not block.data.get("transaction_reference") and not len(block):
            continue
        try:
            statements.append(to_statement(block, file, number))
        except ValueProblem as exc:
            problems.append(Problem(f"statement {number}: {exc}", file=file))
    if not statements:
        problems.append(Problem("no MT940 statement found (:20: ... :62F:) / "
                                "kein MT940-Auszug gefunden", file=file))
    return statements, problems


def balance(value: object) -> tuple[int | None, object, str]:
    """(cents, date, currency) of an mt940 Balance, or Nones."""
    if value is None:
        return None, None, ""
    amount = value.amount
    return decimal_to_cents(Decimal(amount.amount)), plain_date(value.date), amount.currency or ""


def to_statement(block: mt940.models.Transactions, file: str, number: int) -> Statement:
    data = block.data
    account = (data.get("account_identification") or "").strip()
    opening, opening_date, currency = balance(data.get("final_opening_balance")
                                              or data.get("intermediate_opening_balance"))
    closing, closing_date, closing_currency = balance(data.get("final_closing_balance")
                                                      or data.get("intermediate_closing_balance"))
    currency = currency or closing_currency or (data.get("currency") or "")
    sid = ":".join(p for p in (account, data.get("transaction_reference") or "",
                               str(data.get("statement_number") or ""),
                               str(data.get("sequence_number") or "")) if p) or f"#{number}"
    entries = [to_entry(t.data, sid, account, currency, file, position)
               for position, t in enumerate(block, start=1)]
    refs = number_duplicates([e.entry_ref for e in entries])
    return Statement(
        id=sid, account_iban=iban_of(account), currency=currency, opening_cents=opening,
        closing_cents=closing,
        opening_date=opening_date, closing_date=closing_date,
        entries=tuple(replace(e, entry_ref=r) for e, r in zip(entries, refs, strict=True)),
        file=file, format="mt940",
    )


def iban_of(account: str) -> str:
    """`NL77INGB0574908765EUR` -> the IBAN; a legacy `BLZ/Konto` stays as written."""
    match = IBAN_RE.match(account.replace(" ", ""))
    return match.group(1) if match else account


def plain_date(value: object) -> date | None:
    """The package's Date subclass as a plain `datetime.date`."""
    return date(value.year, value.month, value.day) if value else None


def clean(value: object) -> str:
    return tidy(value) if value not in (None, "NONREF") else ""


def dutch_86(details: str) -> dict[str, str]:
    """{'EREF': .., 'NAME': .., 'IBAN': .., 'REMI': ..} from a Dutch structured :86:, else {}.

    These banks hard-wrap the field at 65 characters, so lines are joined without a space.
    """
    flat = details.replace("\r", "").replace("\n", "")
    if not NL_TAG_RE.match(flat):
        return {}
    parts = NL_TAG_RE.split(flat)
    raw: dict[str, str] = {}
    for tag, value in zip(parts[1::2], parts[2::2], strict=True):
        raw.setdefault(tag, value)
    cntp = raw.get("CNTP", "").split("/")
    remi = re.sub(r"^(USTD|STRD/CUR)//?", "", raw.get("REMI", "")).strip("/ ")
    return {
        "EREF": raw.get("EREF", "").strip("/ "),
        "IBAN": cntp[0] if cntp[0] else raw.get("IBAN", "").strip("/ "),
        "NAME": (cntp[2] if len(cntp) > 2 else "") or raw.get("NAME", "").strip("/ "),
        "REMI": remi,
    }


def to_entry(t: dict, sid: str, account: str, currency: str, file: str,
             position: int) -> BankEntry:
    cents = decimal_to_cents(Decimal(t["amount"].amount))
    purpose = " ".join(clean(t.get(k)) for k in ("purpose", "additional_purpose") if t.get(k))
    dutch = {} if purpose else dutch_86(t.get("transaction_details") or "")
    remittance = (purpose or clean(dutch.get("REMI")) or clean(t.get("transaction_details"))
                  or clean(t.get("extra_details")))
    e2e = clean(t.get("end_to_end_reference")) or clean(dutch.get("EREF"))
    name = clean(t.get("applicant_name")) or clean(dutch.get("NAME"))
    iban = clean(t.get("applicant_iban")) or clean(dutch.get("IBAN"))
    bank_ref = clean(t.get("bank_reference"))
    # customer/bank references repeat across entries in many files; only a hash is stable
    ref = stable_ref(account, t.get("entry_date"), t.get("date"), cents, e2e, remittance, name,
                     iban, bank_ref, t.get("customer_reference"))
    return BankEntry(
        statement_id=sid, entry_ref=ref,
        booking_date=plain_date(t.get("entry_date") or t.get("date")),
        value_date=plain_date(t.get("date")), amount_cents=cents,
        currency=(t["amount"].currency or currency), counterparty_name=name,
        counterparty_iban=iban, remittance=remittance, end_to_end_id=e2e,
        mandate_ref=clean(t.get("additional_position_reference")),
        creditor_id=clean(t.get("applicant_creditor_id")),
        bank_tx_code=clean(t.get("transaction_code") or t.get("id")),
        file=file, position=position,
    )
