"""What a reminder letter says: the template context for one planned reminder.

The keys are documented for template authors in mailtemplates/README.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from arbook.core.settings import Settings

if TYPE_CHECKING:  # the job module imports this one
    from arbook.remind import PlannedReminder


def letter_context(p: PlannedReminder, settings: Settings, as_of: date) -> dict:
    """The template context (documented in mailtemplates/README.md)."""
    extra = settings.extra
    claims = {c.invoice_no: c for c in p.claims.items}
    items = []
    for item in p.decision.items:
        claim = claims[item.invoice_no]
        items.append({
            "invoice_no": item.invoice_no, "invoice_date": p.invoice_dates.get(item.invoice_no),
            "due_date": item.due, "currency": item.currency,
            "open": to_units(item.open_cents), "days_overdue": int(item.days_overdue),
            "stage_name": item.stage_no and p.decision.stage.name,
            "interest": to_units(claim.interest_cents), "flat_fee": to_units(claim.flat_fee_cents),
        })
    interest = p.claims.interest_by_currency()
    fees = p.claims.fees_by_currency()
    totals = []
    for currency, open_cents in p.open_by_currency().items():
        i, f = interest.get(currency, 0), fees.get(currency, 0)
        totals.append({"currency": currency, "open": to_units(open_cents), "interest": to_units(i),
                       "fees": to_units(f), "total": to_units(open_cents + i + f)})
    for currency, f in fees.items():  # fees in a currency without open items (EUR flat fees)
        if currency not in p.open_by_currency():
            totals.append({"currency": currency, "open": to_units(0), "interest": to_units(0),
                           "fees": to_units(f), "total": to_units(f)})
    fee_lines = []
    flat = sum(c.flat_fee_cents for c in p.claims.items)
    if flat:
        fee_lines.append({"label": _FEE_LABELS[p.lang]["flat"], "amount": to_units(flat),
                          "currency": "EUR"})
    if p.claims.stage_fee_cents:
        fee_lines.append({"label": _FEE_LABELS[p.lang]["stage"],
                          "amount": to_units(p.claims.stage_fee_cents),
                          "currency": p.claims.fee_currency})
    stage = p.decision.stage
    return {
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
        "totals": totals,
        "fees": fee_lines,
        "interest_note": _interest_note(p),
        "as_of": as_of,
        "reference": f"{p.customer.id} " + ", ".join(i.invoice_no for i in p.decision.items),
    }


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
