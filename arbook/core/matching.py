"""Matching bank entries to open invoices: who paid what, with a reason and a confidence.

Pure and deterministic: the same entries, invoices, customers and assignments always give the
same result, whatever order the entries come in (they are processed by date, then key). Each
entry's cents are conserved exactly: the allocations plus the unapplied rest equal the amount
received. An invoice never gets more than its open amount; money beyond that becomes a credit
on the customer (kind ``credit``) or stays unapplied when no customer is known.

The rules, first hit wins:

0. the user's assignment from the queue sheet (invoice numbers, a customer, or "ignore");
1. money out, pending entries and entries in a currency without open items go to the queue;
2. invoice numbers found in the remittance text (see ``remittance``): settled in full, with
   Skonto, short (Skonto late or too much: flagged, the rest stays open), partial, or overpaid;
3. the customer known by IBAN (or exact name): one open item of exactly that amount (or that
   amount less Skonto in time), else a small set of its items adding up to it (bounded search);
4. otherwise: queue.

Entries whose confidence is below ``threshold`` go to the queue with their allocations moved to
``suggested``: nothing of a queued entry is applied until the user says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import pandas as pd

from arbook.core.open_items import Item, OpenItems, age, text
from arbook.core.remittance import candidate_keys, invoice_key, invoices_named

PAYMENT, SKONTO, CREDIT = "payment", "skonto", "credit"
THRESHOLD = 0.8
SUBSET_ITEMS = 12  # oldest open items of a customer searched for a sum
SUBSET_SIZE = 4  # largest set of invoices one payment is assumed to cover without naming them
FLAG_SHORT = "short_payment"
FLAG_SKONTO_LATE = "skonto_late"
FLAG_SKONTO_TOO_MUCH = "skonto_too_much"
FLAG_OVERPAID = "overpaid"
FLAG_PARTIAL = "partial"


class PaymentEntry(Protocol):
    """What matching needs of a bank entry (``arbook.core.bank.BankEntry`` has it all)."""

    statement_id: str
    entry_ref: str
    booking_date: date | None
    value_date: date | None
    amount_cents: int
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str


def match_key(entry: PaymentEntry) -> str:
    """The entry's key in the queue sheet: statement id, reference, date and amount (the same
    fields that make ``bank.entry_key``), joined to one text a user can copy."""
    when = entry.booking_date or entry.value_date
    return "|".join((entry.statement_id, entry.entry_ref, when.isoformat() if when else "",
                     str(entry.amount_cents)))


@dataclass(frozen=True)
class Assignment:
    """A user's decision for one entry: these invoices, this customer, or ignore it."""

    invoice_nos: tuple[str, ...] = ()
    customer_id: str | None = None
    ignore: bool = False

    @classmethod
    def from_cells(cls, invoices: object = None, customer: object = None,
                   ignore: object = None) -> Assignment:
        """From queue-sheet cells: invoice numbers separated by comma, semicolon or space."""
        numbers = tuple(n for n in re.split(r"[,;\s]+", str(invoices or "").strip()) if n)
        flag = str(ignore or "").strip().casefold() in {"x", "ja", "yes", "true", "1", "ignore",
                                                        "ignorieren"}
        return cls(numbers, str(customer).strip() if customer else None, flag)


@dataclass(frozen=True)
class Allocation:
    invoice_no: str  # "" for a credit on the customer
    cents: int
    kind: str  # payment | skonto | credit


@dataclass(frozen=True)
class EntryMatch:
    key: str
    amount_cents: int
    customer_id: str | None
    allocations: tuple[Allocation, ...]
    unapplied_cents: int
    rule: str
    reason_de: str
    reason_en: str
    confidence: float
    queued: bool
    flags: tuple[str, ...] = ()
    suggested: tuple[Allocation, ...] = ()  # what a queued entry would have been

    def reason(self, lang: str) -> str:
        return self.reason_de if lang == "de" else self.reason_en

    @property
    def received_cents(self) -> int:
        """Money received: what the allocations and the rest add up to (the invariant)."""
        return sum(a.cents for a in self.allocations if a.kind != SKONTO) + self.unapplied_cents


@dataclass
class MatchResult:
    matches: list[EntryMatch]

    def queue(self) -> list[EntryMatch]:
        return [m for m in self.matches if m.queued]

    def applied_by_invoice(self) -> dict[str, int]:
        """Cents settled per invoice (payments and Skonto), for the ledger's paid column."""
        totals: dict[str, int] = {}
        for match in self.matches:
            for a in match.allocations:
                if a.invoice_no and a.kind in (PAYMENT, SKONTO):
                    totals[a.invoice_no] = totals.get(a.invoice_no, 0) + a.cents
        return totals


@dataclass
class _Customer:
    customer_id: str
    name: str = ""
    skonto_pct: Decimal = Decimal(0)
    skonto_days: int | None = None
    ibans: set[str] = field(default_factory=set)


def _iban(text: object) -> str:
    return re.sub(r"\s+", "", str(text or "")).upper()


def _name(text: object) -> str:
    return re.sub(r"[^a-z0-9äöüß]+", " ", str(text or "").casefold()).strip()


def _text(row: Mapping, key: str) -> str:
    return text(row.get(key))


def _customers(frame: pd.DataFrame) -> dict[str, _Customer]:
    out: dict[str, _Customer] = {}
    for row in frame.to_dict("records"):
        cid = _text(row, "customer_id").strip()
        if not cid:
            continue
        pct = row.get("skonto_pct")
        days = row.get("skonto_days")
        out[cid] = _Customer(
            customer_id=cid,
            name=_name(row.get("name")),
            skonto_pct=Decimal(0) if pct is None or pd.isna(pct) else Decimal(str(round(pct, 6))),
            skonto_days=None if days is None or pd.isna(days) else int(days),
            ibans={_iban(t) for t in re.split(r"[,;\n]+", _text(row, "iban")) if _iban(t)},
        )
    return out


def _discount(item: Item, customer: _Customer | None) -> int:
    if customer is None or customer.skonto_pct <= 0 or item.open <= 0:
        return 0
    return int((item.open * customer.skonto_pct).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _skonto_in_time(item: Item, customer: _Customer | None, paid_on: date) -> bool:
    if customer is None or customer.skonto_days is None or item.invoice_date is None:
        return False
    return paid_on <= item.invoice_date + timedelta(days=customer.skonto_days)


def _skonto_ceiling(amount: int, customer: _Customer | None) -> int | None:
    """The largest open amount that ``amount`` can settle with the customer's Skonto (None:
    any). The discount is at most open * pct + 1/2, so open <= (amount + 1/2) / (1 - pct)."""
    if customer is None or customer.skonto_pct >= 1:
        return None
    return int((Decimal(amount) + Decimal("0.5")) / (1 - customer.skonto_pct)) + 1


class _Matcher:
    def __init__(self, invoices: pd.DataFrame, customers: pd.DataFrame, as_of: date,
                 home_currency: str):
        self.items = OpenItems(invoices, home_currency)
        self.customers = _customers(customers)
        self.as_of = as_of
        self.by_iban = {iban: c.customer_id for c in self.customers.values() for iban in c.ibans}
        names: dict[str, list[str]] = {}
        for c in self.customers.values():
            if c.name:
                names.setdefault(c.name, []).append(c.customer_id)
        self.by_name = {n: ids[0] for n, ids in names.items() if len(ids) == 1}

    # -- building results ------------------------------------------------------------------

    def result(self, entry: PaymentEntry, rule: str, de: str, en: str, confidence: float,
               allocations: list[Allocation] | None = None, customer: str | None = None,
               flags: tuple[str, ...] = ()) -> EntryMatch:
        allocations = [a for a in allocations or [] if a.cents]
        received = sum(a.cents for a in allocations if a.kind != SKONTO)
        rest = entry.amount_cents - received
        if rest > 0 and customer and entry.amount_cents > 0 and (allocations or rule == "assigned"):
            allocations.append(Allocation("", rest, CREDIT))
            flags = (*flags, FLAG_OVERPAID)
            rest = 0
        return EntryMatch(match_key(entry), entry.amount_cents, customer, tuple(allocations),
                          rest, rule, de, en, round(confidence, 2), False, flags)

    def apply(self, match: EntryMatch) -> None:
        for a in match.allocations:
            if a.invoice_no and a.kind in (PAYMENT, SKONTO):
                self.items.take(a.invoice_no, a.cents)

    # -- allocation primitives -------------------------------------------------------------

    def settle(self, items: list[Item], amount: int, paid_on: date,
               customer: _Customer | None) -> tuple[list[Allocation], tuple[str, ...], str]:
        """Spread ``amount`` over ``items``: in full, with Skonto, short, partial or overpaid.
        Returns the allocations, flags and a short English word for the case."""
        total = sum(i.open for i in items)
        if amount >= total:
            return [Allocation(i.invoice_no, i.open, PAYMENT) for i in items], (), "full"
        discounts = [_discount(i, customer) for i in items]
        expected = total - sum(discounts)
        in_time = all(_skonto_in_time(i, customer, paid_on) for i in items)
        if sum(discounts) and amount == expected and in_time:
            allocations = []
            for item, disc in zip(items, discounts, strict=True):
                allocations += [Allocation(item.invoice_no, item.open - disc, PAYMENT),
                                Allocation(item.invoice_no, disc, SKONTO)]
            return allocations, (), "skonto"
        allocations, left = [], amount
        for item in sorted(items, key=age):
            share = min(left, item.open)
            allocations.append(Allocation(item.invoice_no, share, PAYMENT))
            left -= share
        if sum(discounts) and amount >= expected and not in_time:
            return allocations, (FLAG_SHORT, FLAG_SKONTO_LATE), "skonto_late"
        if sum(discounts) and total - 2 * sum(discounts) <= amount < expected and in_time:
            return allocations, (FLAG_SHORT, FLAG_SKONTO_TOO_MUCH), "skonto_too_much"
        return allocations, (FLAG_PARTIAL,), "partial"

    def subset(self, pool: list[Item], amount: int) -> list[list[Item]]:
        """Sets of up to SUBSET_SIZE of ``pool`` (the oldest SUBSET_ITEMS open items) adding up
        to ``amount``, smallest sets first (bounded: at most 781 combinations)."""
        hits: list[list[Item]] = []
        for size in range(2, min(SUBSET_SIZE, len(pool)) + 1):
            for combo in itertools.combinations(pool, size):
                if sum(i.open for i in combo) == amount:
                    hits.append(list(combo))
                    if len(hits) > 1:
                        return hits
            if hits:
                return hits
        return hits

    # -- the rules -------------------------------------------------------------------------

    def match(self, entry: PaymentEntry, assignment: Assignment | None,
              candidates: list[tuple[str, list[str], bool]]) -> EntryMatch:
        """``candidates``: the ``candidate_keys`` of the entry's text (``_remittance``)."""
        amount = entry.amount_cents
        currency = (entry.currency or "").upper()
        if assignment is not None:
            return self.assigned(entry, assignment)
        if not getattr(entry, "booked", True):
            return self.result(entry, "pending", "Vorgemerkte Buchung, noch nicht gebucht",
                               "Pending entry, not booked yet", 0.0)
        if amount <= 0:
            return self.result(entry, "money_out", "Ausgang oder Nullbetrag: keine Zahlung "
                               "auf Rechnungen", "Money out or zero: not a payment of invoices",
                               0.0)
        if currency not in self.items.currencies:
            return self.result(entry, "currency", f"Währung {currency}: keine offenen Posten "
                               "in dieser Währung", f"Currency {currency}: no open items in "
                               "this currency", 0.0)
        paid_on = entry.value_date or entry.booking_date or self.as_of
        customer_id = self.by_iban.get(_iban(entry.counterparty_iban))
        via = "IBAN"
        if customer_id is None and _name(entry.counterparty_name) in self.by_name:
            customer_id, via = self.by_name[_name(entry.counterparty_name)], "Name"
        named = [(self.items.item(n), marked)
                 for n, marked in invoices_named(candidates, self.items.keys)]
        named = [(i, m) for i, m in named if i.open > 0 and i.currency == currency]
        if named:
            return self.by_text(entry, named, customer_id, paid_on)
        if customer_id is not None:
            return self.by_customer(entry, customer_id, via, paid_on, currency)
        return self.result(entry, "unmatched", "Keine Rechnungsnummer im Verwendungszweck und "
                           "Zahler unbekannt", "No invoice number in the remittance text and "
                           "the payer is unknown", 0.0)

    def assigned(self, entry: PaymentEntry, assignment: Assignment) -> EntryMatch:
        if assignment.ignore:
            return self.result(entry, "ignored", "Vom Benutzer ignoriert",
                               "Ignored by the user", 1.0)
        paid_on = entry.value_date or entry.booking_date or self.as_of
        items = [i for n in assignment.invoice_nos if (i := self.items.item(n)) and i.open > 0]
        customer_id = assignment.customer_id or (items[0].customer_id if items else None)
        if not items and customer_id:
            items = self.items.of_customer(customer_id)
        if entry.amount_cents <= 0:
            items = []
        allocations, flags, case = self.settle(items, entry.amount_cents, paid_on,
                                               self.customers.get(customer_id or "")) \
            if items else ([], (), "none")
        missing = [n for n in assignment.invoice_nos if self.items.item(n) is None]
        note_de = f"; nicht offen: {', '.join(missing)}" if missing else ""
        note_en = f"; not open: {', '.join(missing)}" if missing else ""
        return self.result(entry, "assigned", f"Vom Benutzer zugeordnet ({case}){note_de}",
                           f"Assigned by the user ({case}){note_en}", 1.0, allocations,
                           customer_id, flags)

    def by_text(self, entry: PaymentEntry, named: list[tuple[Item, bool]],
                customer_id: str | None, paid_on: date) -> EntryMatch:
        items = [i for i, _ in named]
        owners = {i.customer_id for i in items}
        confidence = 0.95 if all(m for _, m in named) else 0.85
        if len(owners) > 1 or any(len(self.items.numbers_with_key(invoice_key(i.invoice_no))) > 1
                                  for i in items):
            # several customers' invoices, or a number that fits two invoices ('815' and
            # 'RE-815'): let a person look
            confidence = 0.5
        elif customer_id is not None and customer_id not in owners:
            confidence -= 0.3  # the payer's IBAN belongs to someone else
        owner = customer_id if len(owners) > 1 else next(iter(owners))
        allocations, flags, case = self.settle(items, entry.amount_cents, paid_on,
                                               self.customers.get(owner or ""))
        if flags and FLAG_SHORT in flags:
            confidence = min(confidence, 0.85)
        numbers = ", ".join(i.invoice_no for i in items)
        return self.result(entry, f"text_{case}",
                           f"Rechnungsnummer im Verwendungszweck: {numbers} ({_DE[case]})",
                           f"Invoice number in the remittance text: {numbers} ({case})",
                           confidence, allocations, owner, flags)

    def by_customer(self, entry: PaymentEntry, customer_id: str, via: str, paid_on: date,
                    currency: str) -> EntryMatch:
        customer = self.customers.get(customer_id)
        amount = entry.amount_cents
        base = 0.85 if via == "IBAN" else 0.75
        exact = self.items.with_open(customer_id, currency, amount, amount)
        if exact:
            allocations, _, _ = self.settle(exact[:1], amount, paid_on, customer)
            sure = base if len(exact) == 1 else 0.5
            return self.result(entry, "amount", f"Kunde per {via}, Betrag = offener Posten "
                               f"{exact[0].invoice_no}", f"Customer by {via}, amount equals "
                               f"open item {exact[0].invoice_no}", sure, allocations,
                               customer_id)
        near = self.items.with_open(customer_id, currency, amount + 1,
                                    _skonto_ceiling(amount, customer)) \
            if customer is not None and customer.skonto_pct > 0 else []
        skonto = [i for i in near if _discount(i, customer)
                  and i.open - _discount(i, customer) == amount
                  and _skonto_in_time(i, customer, paid_on)]
        if skonto:
            allocations, _, _ = self.settle(skonto[:1], amount, paid_on, customer)
            sure = base - 0.05 if len(skonto) == 1 else 0.5
            return self.result(entry, "amount_skonto", f"Kunde per {via}, Betrag = "
                               f"{skonto[0].invoice_no} abzüglich Skonto", f"Customer by {via}, "
                               f"amount equals {skonto[0].invoice_no} less discount", sure,
                               allocations, customer_id)
        sets = self.subset(self.items.oldest(customer_id, currency, SUBSET_ITEMS), amount)
        if sets:
            chosen = sets[0]
            numbers = ", ".join(i.invoice_no for i in chosen)
            allocations = [Allocation(i.invoice_no, i.open, PAYMENT) for i in chosen]
            sure = base - 0.05 if len(sets) == 1 else 0.5
            return self.result(entry, "amount_sum", f"Kunde per {via}, Betrag = Summe von "
                               f"{numbers}", f"Customer by {via}, amount equals the sum of "
                               f"{numbers}", sure, allocations, customer_id)
        return self.result(entry, "customer_only", f"Kunde per {via} erkannt, aber kein Betrag "
                           "passt", f"Customer known by {via}, but no amount fits", 0.3,
                           customer=customer_id)


_DE = {"full": "vollständig", "skonto": "mit Skonto", "skonto_late": "Skonto verspätet gezogen",
       "skonto_too_much": "zu viel Skonto abgezogen", "partial": "Teilzahlung",
       "none": "ohne Posten"}


def _remittance(entry: PaymentEntry) -> str:
    """The text searched for invoice numbers: payers often put one in the end-to-end id."""
    return f"{entry.remittance} {getattr(entry, 'end_to_end_id', '')}".replace(
        "NOTPROVIDED", "")


def _queued(match: EntryMatch, threshold: float) -> EntryMatch:
    if match.rule == "ignored" or (match.confidence >= threshold and match.allocations):
        return match
    return EntryMatch(match.key, match.amount_cents, match.customer_id, (), match.amount_cents,
                      match.rule, match.reason_de, match.reason_en, match.confidence, True,
                      match.flags, match.allocations)


def match_payments(entries: Iterable[PaymentEntry], invoices: pd.DataFrame,
                   customers: pd.DataFrame, as_of: date,
                   assignments: Mapping[str, Assignment] | None = None,
                   threshold: float = THRESHOLD, home_currency: str = "EUR") -> MatchResult:
    """Match ``entries`` to the open items in ``invoices`` (invoice_no, customer_id, currency,
    open_cents, amount_cents, invoice_date, due_date) of ``customers`` (customer_id, name,
    iban: one or more separated by comma/semicolon/newline, skonto_pct as a fraction,
    skonto_days). ``assignments`` (by ``match_key``) come first. Entries are processed by
    date and key, each seeing the open amounts the earlier ones left."""
    matcher = _Matcher(invoices, customers, as_of, home_currency.upper())
    assignments = assignments or {}
    ordered = sorted(entries, key=lambda e: (e.booking_date or e.value_date or as_of,
                                             match_key(e)))
    found = [candidate_keys(_remittance(e)) for e in ordered]
    matcher.items.prepare_keys(key for keys in found for whole, parts, _ in keys
                               for key in (whole, *parts))
    matches = []
    for entry, candidates in zip(ordered, found, strict=True):
        match = _queued(matcher.match(entry, assignments.get(match_key(entry)), candidates),
                        threshold)
        matcher.apply(match)
        matches.append(match)
    return MatchResult(matches)
