"""ISO 20022 camt.052 / camt.053 / camt.054 (versions .001.01 to .001.08) into Statements.

The versions differ little for what we read (Dbtr/Nm became Dbtr/Pty/Nm, Sts became Sts/Cd), so
one reader walks elements by local name and ignores the namespace's version. XML is parsed with
defusedxml: DTDs, entities and external references are refused, never expanded.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for the Element type and ParseError
from dataclasses import replace
from datetime import date
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from arbook.core.bank import BankEntry, Statement, number_duplicates, stable_ref
from arbook.core.problems import Problem
from arbook.io.bank.values import ValueProblem, decimal_to_cents, tidy

NAMESPACE_RE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234]\.001\.0\d)")
RECORD_TAGS = ("Stmt", "Rpt", "Ntfctn")


def camt_version(head: bytes) -> str | None:
    """'camt.053.001.02' when the XML's namespace names a camt message, else None."""
    match = NAMESPACE_RE.search(head[:4096].decode("latin-1"))
    return match.group(1) if match else None


_LOCAL: dict[str, str] = {}  # a statement has a few dozen tags, looked up 60 times per entry


def local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL) < 4096:  # tags come from the file: the cache stays small regardless
            _LOCAL[tag] = name
    return name


def child(elem: ET.Element | None, *path: str) -> ET.Element | None:
    """Follow local names down the tree; None when any step is missing."""
    for name in path:
        if elem is None:
            return None
        for candidate in elem:
            if local(candidate.tag) == name:
                elem = candidate
                break
        else:
            return None
    return elem


def children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if elem is None else [c for c in elem if local(c.tag) == name]


def text(elem: ET.Element | None, *path: str) -> str:
    """The element's text on one line (control characters and line breaks become spaces)."""
    found = child(elem, *path)
    return tidy(found.text or "") if found is not None else ""


def signed_cents(amt: ET.Element | None, indicator: str) -> tuple[int, str]:
    """(cents, currency) of an <Amt Ccy=..>; DBIT makes it negative."""
    if amt is None or not (amt.text or "").strip():
        raise ValueProblem("amount missing / Betrag fehlt")
    raw = amt.text.strip()
    try:
        cents = decimal_to_cents(Decimal(raw), raw)
    except ArithmeticError:
        raise ValueProblem(f"'{raw}' is not an amount / kein Betrag") from None
    return (-cents if indicator == "DBIT" else cents), amt.get("Ccy", "")


def date_of(elem: ET.Element | None) -> date | None:
    """<Dt> or <DtTm>: the calendar date the bank wrote (time and zone dropped)."""
    value = text(elem, "Dt") or text(elem, "DtTm")
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueProblem(f"'{value}' is not a date / kein Datum") from None


def party(related: ET.Element | None, role: str) -> tuple[str, str]:
    """(name, IBAN) of Dbtr or Cdtr; name directly, under Pty (v8) or of a bank (Agt, v8)."""
    who = child(related, role)
    name = (text(who, "Nm") or text(who, "Pty", "Nm")
            or text(who, "Agt", "FinInstnId", "Nm"))
    account = child(related, role + "Acct", "Id")
    iban = text(account, "IBAN") or text(account, "Othr", "Id")
    return name, iban


def tx_code(elem: ET.Element | None) -> str:
    code = child(elem, "BkTxCd")
    domain = child(code, "Domn")
    if domain is not None:
        parts = [text(domain, "Cd"), text(domain, "Fmly", "Cd"), text(domain, "Fmly", "SubFmlyCd")]
        return "-".join(p for p in parts if p)
    return text(code, "Prtry", "Cd")


def read_camt(data: bytes, file: str) -> tuple[list[Statement], list[Problem]]:
    """All statements / reports / notifications in one camt XML document."""
    version = camt_version(data) or "camt"
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        return [], [Problem(f"XML with a DTD or entities is refused ({type(exc).__name__}) / "
                            "XML mit DTD oder Entities wird abgelehnt", file=file)]
    except ET.ParseError as exc:
        return [], [Problem(f"broken XML: {exc} (truncated or not XML?) / XML defekt",
                            file=file, row=exc.position[0] if exc.position else None)]
    except (LookupError, ValueError) as exc:  # e.g. an unknown encoding in the declaration
        return [], [Problem(f"unreadable XML: {exc} / XML nicht lesbar", file=file)]
    message = next(iter(root), None)
    records = [r for r in (message if message is not None else []) if local(r.tag) in RECORD_TAGS]
    if not records:
        return [], [Problem(f"{version} without any statement (Stmt/Rpt/Ntfctn) / "
                            "keine Kontoauszüge in der Datei", file=file)]
    statements, problems = [], []
    for record in records:
        statement, found = read_record(record, file, version)
        statements.append(statement)
        problems.extend(found)
    return statements, problems


def balances(record: ET.Element, file: str, sid: str) -> tuple[dict[str, tuple], list[Problem]]:
    """{'OPBD': (cents, date), ...}; the first of each type wins."""
    found: dict[str, tuple] = {}
    problems = []
    for bal in children(record, "Bal"):
        kind = text(bal, "Tp", "CdOrPrtry", "Cd") or text(bal, "Tp", "CdOrPrtry", "Prtry")
        try:
            cents, currency = signed_cents(child(bal, "Amt"), text(bal, "CdtDbtInd"))
            found.setdefault(kind, (cents, date_of(child(bal, "Dt")), currency))
        except ValueProblem as exc:
            problems.append(Problem(f"statement {sid}, balance {kind}: {exc}", file=file))
    return found, problems


def read_record(record: ET.Element, file: str, version: str) -> tuple[Statement, list[Problem]]:
    sid = text(record, "Id")
    account = child(record, "Acct")
    iban = text(account, "Id", "IBAN") or text(account, "Id", "Othr", "Id")
    found, problems = balances(record, file, sid)
    opening = found.get("OPBD") or found.get("PRCD") or found.get("ITBD")
    closing = found.get("CLBD") or (found.get("ITBD") if opening is not found.get("ITBD") else None)
    entries: list[BankEntry] = []
    for position, ntry in enumerate(children(record, "Ntry"), start=1):
        try:
            entries.extend(read_entry(ntry, sid, iban, file, position))
        except ValueProblem as exc:
            problems.append(Problem(f"statement {sid}, entry {position}: {exc}; entry skipped",
                                    file=file, row=position))
    refs = number_duplicates([e.entry_ref for e in entries])
    entries = [e if e.entry_ref == r else replace(e, entry_ref=r)  # frozen: no copy needed
               for e, r in zip(entries, refs, strict=True)]
    first_balance = child(record, "Bal", "Amt")
    currency = (text(account, "Ccy") or (first_balance.get("Ccy", "") if first_balance is not None
                else "") or (entries[0].currency if entries else ""))
    problems.extend(
        Problem(f"statement {sid}: {name} balance is in {b[2]}, the account in {currency}; "
                "the balance check compares different currencies / Saldo in anderer Währung",
                file=file)
        for name, b in (("opening", opening), ("closing", closing)) if b and b[2] != currency)
    return Statement(
        id=sid, account_iban=iban, currency=currency,
        opening_cents=opening[0] if opening else None,
        closing_cents=closing[0] if closing else None,
        opening_date=opening[1] if opening else None,
        closing_date=closing[1] if closing else None,
        entries=tuple(entries), file=file, format=version,
    ), problems


def read_entry(ntry: ET.Element, sid: str, account: str, file: str,
               position: int) -> list[BankEntry]:
    """One Ntry -> one BankEntry, or one per TxDtls when a batch's details add up exactly."""
    indicator = text(ntry, "CdtDbtInd")
    cents, currency = signed_cents(child(ntry, "Amt"), indicator)
    status = text(ntry, "Sts") or text(ntry, "Sts", "Cd")
    common = {
        "statement_id": sid, "booking_date": date_of(child(ntry, "BookgDt")),
        "value_date": date_of(child(ntry, "ValDt")), "currency": currency,
        "booked": status in ("BOOK", ""), "file": file, "position": position,
    }
    details = [d for block in children(ntry, "NtryDtls") for d in children(block, "TxDtls")]
    parts = split_amounts(details, cents, currency) if len(details) > 1 else None
    if parts is None:  # one detail, or details that do not add up: one entry, texts merged
        return [build(ntry, details, cents, indicator, common, account, None)]
    return [build(ntry, [d], part, indicator, common, account, i)
            for i, (d, part) in enumerate(zip(details, parts, strict=True), start=1)]


def split_amounts(details: list[ET.Element], cents: int, currency: str) -> list[int] | None:
    """Each TxDtls amount with the entry's sign, when all are there and sum to the entry."""
    sign = -1 if cents < 0 else 1
    parts = []
    for d in details:
        amt = child(d, "AmtDtls", "TxAmt", "Amt")
        amt = child(d, "Amt") if amt is None else amt
        if amt is None or amt.get("Ccy", currency) != currency:
            return None
        try:
            parts.append(sign * abs(signed_cents(amt, "CRDT")[0]))
        except ValueProblem:
            return None
    return parts if sum(parts) == cents else None


def build(ntry: ET.Element, details: list[ET.Element], cents: int, indicator: str,
          common: dict, account: str, index: int | None) -> BankEntry:
    """The BankEntry for an entry with its (zero, one or several merged) transaction details."""
    related = [child(d, "RltdPties") for d in details]
    role = "Dbtr" if indicator == "CRDT" else "Cdtr"
    name, iban = next(((n, i) for n, i in (party(r, role) for r in related) if n or i), ("", ""))
    ustrd = [tidy(u.text) for d in details for u in children(child(d, "RmtInf"), "Ustrd")
             if u.text and u.text.strip()]
    creditor_ref = next((text(d, "RmtInf", "Strd", "CdtrRefInf", "Ref") for d in details
                         if text(d, "RmtInf", "Strd", "CdtrRefInf", "Ref")), "")
    remittance = " ".join(ustrd) or creditor_ref or text(ntry, "AddtlNtryInf")
    e2e = first(details, "Refs", "EndToEndId")
    e2e = "" if e2e == "NOTPROVIDED" else e2e
    bank_ref = first(details, "Refs", "AcctSvcrRef") if index else ""
    entry_ref = bank_ref or text(ntry, "AcctSvcrRef") or text(ntry, "NtryRef")
    if entry_ref and index and not bank_ref:
        entry_ref = f"{entry_ref}/{index}"
    if not entry_ref:
        entry_ref = stable_ref(account, common["booking_date"], common["value_date"], cents,
                               e2e, remittance, name, iban)
    return BankEntry(
        entry_ref=entry_ref, amount_cents=cents, counterparty_name=name,
        counterparty_iban=iban, remittance=remittance, end_to_end_id=e2e,
        mandate_ref=first(details, "Refs", "MndtId"), creditor_ref=creditor_ref,
        bank_tx_code=tx_code(ntry) or (tx_code(details[0]) if details else ""), **common,
    )


def first(details: list[ET.Element], *path: str) -> str:
    return next((text(d, *path) for d in details if text(d, *path)), "")
