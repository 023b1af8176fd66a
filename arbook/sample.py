"""Deterministic, realistic demo data of a German SME (the same seed and day give the same book)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

_COMPANIES = [
    ("Müller Maschinenbau GmbH", "Industriestraße 12, 70565 Stuttgart"),
    ("Bäckerei Schäfer e.K.", "Hauptstraße 3, 97070 Würzburg"),
    ("Köhler & Söhne KG", "Am Hafen 8, 28217 Bremen"),
    ("Größer Logistik AG", "Lagerweg 41, 04129 Leipzig"),
    ("Weiß Elektrotechnik GmbH", "Lötstraße 5, 90429 Nürnberg"),
    ("Brückner Gartenbau", "Feldweg 2, 01099 Dresden"),
    ("Schröder IT-Service GmbH", "Königsallee 60, 40212 Düsseldorf"),
    ("Zürcher Präzisionsteile AG", "Seestrasse 15, 8002 Zürich"),
    ("Fuchs Büroausstattung OHG", "Marktplatz 9, 79098 Freiburg"),
    ("Hölzl Bau GmbH & Co. KG", "Alpenstraße 22, 83022 Rosenheim"),
    ("Jäger Druck & Medien", "Papierweg 7, 50667 Köln"),
    ("Lüdtke Kältetechnik GmbH", "Eisweg 1, 24103 Kiel"),
]
_PEOPLE = [
    ("Jürgen Weiß", "Lindenstraße 4, 10969 Berlin"),
    ("Sabine Müller-Lüdenscheidt", "Rosenweg 11, 80331 München"),
    ("Özlem Yılmaz", "Bahnhofstraße 19, 60329 Frankfurt am Main"),
    ("Thomas Groß", "Schloßallee 2, 30159 Hannover"),
    ("Anna Schäfer", "Gartenstraße 5, 69117 Heidelberg"),
]
_REASONS = ["Ware beschädigt", "Menge falsch berechnet", "Leistung nicht erbracht",
            "Preis weicht vom Angebot ab"]
_OWNERS = ["MK", "SB", "TL"]


@dataclass
class SampleData:
    customers: list[dict]
    invoices: list[dict]
    payments: list[dict]
    contacts: list[dict]
    settings: dict[str, str]  # Settings sheet values for the demo (example.com addresses)


SAMPLE_SETTINGS = {
    "company_name": "Beispiel Handels GmbH",
    "sender_email": "forderungen@example.com",
    "sender_name": "Beispiel Handels GmbH – Buchhaltung",
    "reply_to": "buchhaltung@example.com",
    "company_address": "Musterstraße 1, 12345 Musterstadt",
    "company_phone": "+49 30 1234567-0",
    "iban": "DE02120300000000202051",
    "bic": "BYLADEM1001",
    "bank_name": "Deutsche Kreditbank Berlin",
    "management_email": "geschaeftsfuehrung@example.com",
    "smtp_host": "smtp.example.com",
    "smtp_user": "forderungen@example.com",
}


def _slug(name: str) -> str:
    keep = "".join(ch for ch in name.lower() if ch.isalnum())
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        keep = keep.replace(a, b)
    return keep[:18]


def make_sample(n_invoices: int, seed: int, today: date) -> SampleData:
    rnd = random.Random(seed)
    n_customers = max(len(_COMPANIES) + len(_PEOPLE), n_invoices // 25)
    customers = []
    for i in range(n_customers):
        consumer = i % 6 == 5
        pool = _PEOPLE if consumer else _COMPANIES
        name, address = pool[i % len(pool)]
        if i >= len(_COMPANIES) + len(_PEOPLE):
            name = f"{name} ({i // len(pool) + 1})"
        swiss = "Zürich" in address
        customers.append({
            "customer_id": f"K{10001 + i}",
            "name": name,
            "address": address,
            "email": f"buchhaltung@{_slug(name)}.example" if not consumer
            else f"{_slug(name)}@mail.example",
            "language": "en" if swiss and i % 2 else "de",
            "customer_type": "consumer" if consumer else "business",
            "terms_days": None if i == 4 else rnd.choice([14, 30, 30, 30, 45, 60]),
            "skonto_pct": 0.02 if i % 4 == 0 else None,
            "skonto_days": 10 if i % 4 == 0 else None,
            "dunning_block": i == 7,
            "escalation_contact": "" if consumer else f"geschaeftsfuehrung@{_slug(name)}.example",
            # consumers: only some invoices carried the §286 (3) notice
            "consumer_notice": (i % 12 == 5) if consumer else None,
            "dunning_schedule": "10, 20, 30, 40" if i == 2 else None,
            "currency": "CHF" if swiss else "EUR",
        })
    invoices, payments, contacts = [], [], []
    for i in range(n_invoices):
        cust = customers[rnd.randrange(len(customers))]
        issued = today - timedelta(days=rnd.randint(-5, 160))
        terms = cust["terms_days"] or 30
        due = issued + timedelta(days=terms)
        amount = rnd.randint(4_900, 1_250_000) if cust["customer_type"] == "business" \
            else rnd.randint(1_990, 89_000)
        paid = 0
        roll = rnd.random()
        if roll < 0.18:
            paid = amount  # settled in the ERP
        elif roll < 0.26:
            paid = amount * rnd.choice([25, 40, 50]) // 100  # partial payment
        row = {
            "invoice_no": f"RE-2026-{i + 1:05d}",
            "customer_id": cust["customer_id"],
            "invoice_date": issued,
            "due_date": due,
            "currency": cust["currency"],
            "amount_cents": amount,
            "paid_cents": paid,
            "credit_for": None,
            "reference": f"Bestellung {rnd.randint(4500, 9999)}",
        }
        if i % 37 == 11:
            row["due_date"] = None  # derived from the customer's payment terms
        if i == 11:  # ... unless the customer has none: a problem the demo shows on purpose
            row["customer_id"] = customers[4]["customer_id"]
        if i % 29 == 3 and paid < amount:
            row["disputed"] = True
            row["dispute_reason"] = rnd.choice(_REASONS)
            contacts.append({"date": issued + timedelta(days=terms + 3),
                             "customer_id": cust["customer_id"], "invoice_no": row["invoice_no"],
                             "contact_type": "dispute", "by": rnd.choice(_OWNERS),
                             "note": row["dispute_reason"]})
        elif i % 23 == 7 and paid < amount:
            promise = today + timedelta(days=rnd.randint(-10, 14))
            row["promised_date"] = promise
            row["promised_amount_cents"] = amount - paid
            contacts.append({"date": today - timedelta(days=rnd.randint(1, 20)),
                             "customer_id": cust["customer_id"], "invoice_no": row["invoice_no"],
                             "contact_type": "promise", "promised_date": promise,
                             "promised_amount_cents": amount - paid, "by": rnd.choice(_OWNERS),
                             "note": "Zahlung telefonisch zugesagt"})
        elif i % 41 == 9:
            row["hold_until"] = today + timedelta(days=rnd.randint(3, 30))
            row["note"] = "Rückfrage Einkauf läuft"
        if i % 5 == 0:
            row["owner"] = rnd.choice(_OWNERS)
        invoices.append(row)
        if i % 13 == 5 and paid < amount:
            part = (amount - paid) // 2
            payments.append({"date": today - timedelta(days=rnd.randint(1, 15)),
                             "customer_id": cust["customer_id"], "invoice_no": row["invoice_no"],
                             "amount_cents": part, "currency": cust["currency"],
                             "reference": f"{row['invoice_no']} Teilzahlung",
                             "source": "Kontoauszug"})
        if i % 31 == 17:
            credit = -(amount // 10)
            invoices.append({
                "invoice_no": f"GS-2026-{i + 1:05d}", "customer_id": cust["customer_id"],
                "invoice_date": issued + timedelta(days=5), "due_date": issued + timedelta(days=5),
                "currency": cust["currency"], "amount_cents": credit, "paid_cents": 0,
                "credit_for": row["invoice_no"] if i % 2 else None,
                "reference": "Gutschrift Preisnachlass",
            })
    return SampleData(customers, invoices, payments, contacts, dict(SAMPLE_SETTINGS))
