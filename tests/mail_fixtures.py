"""Realistic letter contexts for the mail tests: umlauts, two currencies, business and consumer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

AS_OF = date(2026, 11, 26)
DEADLINE = date(2026, 12, 10)


def letter_context(business: bool = True, name: str = "Müller & Söhne GmbH",
                   with_stage: bool = True) -> dict:
    items = [
        {"invoice_no": "RE-2026-0815", "invoice_date": date(2026, 9, 1),
         "due_date": date(2026, 10, 1), "currency": "EUR", "open": Decimal("1234.56"),
         "days_overdue": 56, "stage_name": "1. Mahnung", "interest": Decimal("17.94"),
         "flat_fee": Decimal("40.00") if business else Decimal("0")},
        {"invoice_no": "RE-2026-0902", "invoice_date": date(2026, 10, 5),
         "due_date": date(2026, 11, 4), "currency": "EUR", "open": Decimal("89.90"),
         "days_overdue": 22, "stage_name": "Zahlungserinnerung", "interest": Decimal("0"),
         "flat_fee": Decimal("40.00") if business else Decimal("0")},
        {"invoice_no": "INV-US-77", "invoice_date": None, "due_date": date(2026, 10, 20),
         "currency": "USD", "open": Decimal("2500.00"), "days_overdue": 37,
         "stage_name": "1. Mahnung", "interest": Decimal("21.37"), "flat_fee": Decimal("0")},
    ]
    fees = [{"label": "Mahngebühr 1. Mahnung", "amount": Decimal("5.00"), "currency": "EUR"}]
    if business:
        fees.append({"label": "Verzugspauschalen (2 Rechnungen)",
                     "amount": Decimal("80.00"), "currency": "EUR"})
    eur_fees = sum((f["amount"] for f in fees), Decimal("0"))
    context = {
        "company": {"name": "Nordlicht Großhandel GmbH", "address": "Hafenstraße 7, 20457 Hamburg",
                    "email": "forderungen@nordlicht.example", "phone": "+49 40 1234567",
                    "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
                    "bank": "Commerzbank Hamburg"},
        "customer": {"id": "K-10042", "name": name, "address": "Lindenallee 3, 50667 Köln",
                     "email": "buchhaltung@mueller-soehne.example", "business": business},
        "items": items,
        "totals": [
            {"currency": "EUR", "open": Decimal("1324.46"), "interest": Decimal("17.94"),
             "fees": eur_fees, "total": Decimal("1342.40") + eur_fees},
            {"currency": "USD", "open": Decimal("2500.00"), "interest": Decimal("21.37"),
             "fees": Decimal("0"), "total": Decimal("2521.37")},
        ],
        "fees": fees,
        "interest_note": ("Verzugszinsen nach § 288 BGB: Basiszinssatz + "
                          f"{9 if business else 5} Prozentpunkte"),
        "as_of": AS_OF,
        "reference": "K-10042 RE-2026-0815",
    }
    if with_stage:
        context["stage"] = {"key": "dunning1", "number": 2, "name": "1. Mahnung",
                            "tone": "firm", "deadline": DEADLINE}
    return context
