"""What a reminder letter says: the template context for one planned reminder, and the
attachment that carries the full list when the letter's text lists only the first invoices.

The keys are documented for template authors in mailtemplates/README.md. A customer with
thousands of open invoices gets a readable letter: its text lists the first
``letter_max_items`` (Settings; 25 by default) and says how many more there are and what they
add up to; the complete list goes with it as a CSV for Excel. The totals (open amount,
interest, fees, the amount to pay) are always those of all items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

from arbook.core.claims import ItemClaim
from arbook.core.dunning import DunningItem
from arbook.core.dunning_reasons import format_date
from arbook.core.settings import Settings, letter_max_items
from arbook.io.excel_csv import csv_bytes, decimal_text, neutralise
from arbook.mail.outbox import safe_name

if TYPE_CHECKING:  # the job module imports this one
    from arbook.remind import PlannedReminder

Attachment = tuple[str, bytes, str]  # file name, content, MIME type ("text/csv")
CSV_NAMES = {"de": "offene-posten", "en": "open-items"}
CSV_HEADERS = {
    "de": ("Rechnungsnr.", "Rechnungsdatum", "Fällig am", "Tage überfällig", "Währung",
           "Offener Betrag", "Mahnstufe", "Verzugszinsen"),
    "en": ("Invoice no.", "Invoice date", "Due date", "Days overdue", "Currency", "Amount open",
           "Dunning stage", "Default interest"),
}


@dataclass(frozen=True)
class Letter:
    """A letter's template context and its attachments (none for a short letter)."""

    context: dict
    attachments: tuple[Attachment, ...] = ()


def letter_context(p: PlannedReminder, settings: Settings, as_of: date) -> dict:
    """The template context (documented in mailtemplates/README.md)."""
    return compose(p, settings, as_of).context


def compose(p: PlannedReminder, settings: Settings, as_of: date) -> Letter:
    """The letter for ``p``: all items in the text, or the first ``letter_max_items`` and the
    full list attached as CSV."""
    extra = settings.extra
    claims = {c.invoice_no: c for c in p.claims.items}
    stage = p.decision.stage
    cap = letter_max_items(settings)
    decided = list(p.decision.items)
    if len(decided) > cap:  # the text shows the longest overdue; the list has them all
        decided = longest_overdue_first(decided)
    items = [{
        "invoice_no": item.invoice_no, "invoice_date": item.invoice_date,
        "due_date": item.due, "currency": item.currency,
        "open": to_units(item.open_cents), "days_overdue": int(item.days_overdue),
        "stage_name": item.stage_no and stage.name,
        "interest": to_units(claims[item.invoice_no].interest_cents),
        "flat_fee": to_units(claims[item.invoice_no].flat_fee_cents),
    } for item in decided[:cap]]
    more, attachments = None, ()
    if len(decided) > cap:
        attachment = items_csv(p, claims, as_of, decided)
        more = rest_summary(decided[cap:], claims, attachment[0])
        attachments = (attachment,)
    context = {
        "company": {"name": settings.company_name, "address": extra.get("company_address", ""),
                    "email": extra.get("sender_email", ""),
                    "phone": extra.get("company_phone", ""), "iban": extra.get("iban", ""),
                    "bic": extra.get("bic", ""), "bank": extra.get("bank_name", "")},
        "customer": {"id": p.customer.id, "name": p.customer.name,
                     "address": p.customer.address,
                     "email": ", ".join(p.customer.emails), "business": p.customer.business},
        "stage": {"key": stage.template, "number": stage.number, "name": stage.name,
                  "tone": stage.tone, "deadline": as_of + timedelta(days=stage.deadline_days)},
        "items": items,
        "totals": _totals(p),
        "fees": _fee_lines(p),
        "interest_note": _interest_note(p),
        "as_of": as_of,
        # a bank transfer carries 140 characters: a long letter's reference names the list
        "reference": (f"{p.customer.id} " + ", ".join(i.invoice_no for i in decided)
                      if more is None else f"{p.customer.id} {format_date(as_of, p.lang)}"),
    }
    if more is not None:  # short letters' context stays as it was (templates test 'defined')
        context["more"] = more
    return Letter(context, attachments)


def longest_overdue_first(items: Sequence[DunningItem]) -> list[DunningItem]:
    """Most days overdue first, then by invoice number: what a long letter lists in its text.

    Two sorts on plain attributes (the second keeps the first's order among equals): a letter
    may list twenty thousand items."""
    ordered = sorted(items, key=attrgetter("invoice_no"))
    ordered.sort(key=attrgetter("days_overdue"), reverse=True)
    return ordered


def rest_summary(left_out: Sequence[DunningItem], claims: Mapping[str, ItemClaim],
                 file_name: str) -> dict:
    """What the text says about the items it leaves out: how many, their sums per currency."""
    sums: dict[str, list[int]] = {}
    for item in left_out:
        cents = sums.setdefault(item.currency, [0, 0, 0])
        cents[0] += 1
        cents[1] += int(item.open_cents)
        cents[2] += int(claims[item.invoice_no].interest_cents)
    return {"count": len(left_out), "attachment": file_name,
            "totals": [{"currency": currency, "count": n, "open": to_units(open_cents),
                        "interest": to_units(interest)}
                       for currency, (n, open_cents, interest) in sums.items()]}


def items_csv(p: PlannedReminder, claims: Mapping[str, ItemClaim], as_of: date,
              ordered: Sequence[DunningItem] | None = None) -> Attachment:
    """All items of the reminder as a CSV for Excel (see arbook.io.excel_csv), named after
    the customer and the day. Built column by column from the exact cents; dates, currencies
    and stages repeat, so each distinct one is formatted once (a list has thousands of rows)."""
    lang = p.lang
    decided = longest_overdue_first(p.decision.items) if ordered is None else ordered
    invoice_dates = [i.invoice_date for i in decided]
    dues = [i.due for i in decided]
    day = {d: format_date(d, lang) for d in {*invoice_dates, *dues} if d is not None}
    day[None] = ""
    name = neutralise(p.decision.stage.name)
    stage = {n: name if n else "" for n in {i.stage_no for i in decided}}  # 0: no stage yet
    currency = {c: neutralise(c) for c in {i.currency for i in decided}}
    columns = (
        [neutralise(i.invoice_no) for i in decided],
        [day[d] for d in invoice_dates],
        [day[d] for d in dues],
        [str(int(i.days_overdue)) if i.days_overdue > 0 else "" for i in decided],
        [currency[i.currency] for i in decided],
        [decimal_text(i.open_cents, lang) for i in decided],
        [stage[i.stage_no] for i in decided],
        [decimal_text(claims[i.invoice_no].interest_cents, lang) for i in decided],
    )
    rows = [CSV_HEADERS[lang], *zip(*columns, strict=True)]
    file_name = safe_name(f"{CSV_NAMES[lang]}-{p.customer.id}-{as_of.isoformat()}") + ".csv"
    return file_name, csv_bytes(rows, lang), "text/csv"


def _totals(p: PlannedReminder) -> list[dict]:
    """One row per currency: open amount, interest, fees and what to pay, over ALL items."""
    interest = p.claims.interest_by_currency()
    fees = p.claims.fees_by_currency()
    open_by_currency = p.open_by_currency()
    totals = []
    for currency, open_cents in open_by_currency.items():
        i, f = interest.get(currency, 0), fees.get(currency, 0)
        totals.append({"currency": currency, "open": to_units(open_cents), "interest": to_units(i),
                       "fees": to_units(f), "total": to_units(open_cents + i + f)})
    for currency, f in fees.items():  # fees in a currency without open items (EUR flat fees)
        if currency not in open_by_currency:
            totals.append({"currency": currency, "open": to_units(0), "interest": to_units(0),
                           "fees": to_units(f), "total": to_units(f)})
    return totals


def _fee_lines(p: PlannedReminder) -> list[dict]:
    fee_lines = []
    flat = sum(c.flat_fee_cents for c in p.claims.items)
    if flat:
        fee_lines.append({"label": _FEE_LABELS[p.lang]["flat"], "amount": to_units(flat),
                          "currency": "EUR"})
    if p.claims.stage_fee_cents:
        fee_lines.append({"label": _FEE_LABELS[p.lang]["stage"],
                          "amount": to_units(p.claims.stage_fee_cents),
                          "currency": p.claims.fee_currency})
    return fee_lines


_FEE_LABELS = {
    "de": {"flat": "Verzugspauschale nach § 288 Abs. 5 BGB (40 EUR je Rechnung)",
           "stage": "Mahngebühr"},
    "en": {"flat": "Late payment compensation (EUR 40 per invoice)", "stage": "Reminder fee"},
}


def _interest_note(p: PlannedReminder) -> str:
    if p.claims.interest_missing:
        return ("Verzugszinsen werden gesondert berechnet." if p.lang == "de"
                else "Interest on late payment will be charged separately.")
    if not p.claims.interest_by_currency():
        return ""
    margin = p.claims.margin
    if margin == "8":
        return ("Verzugszinsen: EZB-Referenzzinssatz + 8 Prozentpunkte (Richtlinie 2011/7/EU)"
                if p.lang == "de" else
                "Interest on late payment: ECB reference rate + 8 percentage points "
                "(Directive 2011/7/EU)")
    return (f"Verzugszinsen nach § 288 BGB: Basiszinssatz + {margin} Prozentpunkte"
            if p.lang == "de" else
            f"Default interest under § 288 German Civil Code: base rate + {margin} "
            "percentage points")


def to_units(cents: int) -> Decimal:
    """Integer cents as an exact amount in currency units (1234 -> Decimal("12.34"))."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
