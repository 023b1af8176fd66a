"""A customer's journey: every touchpoint in time order, with the days between them.

Invoices issued and due, reminders, contacts (calls, promises, disputes ...), promised dates and
payments, so long silences and late reactions show. Pure: frames and records in, events out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from arbook.core.review_figures import IssuedReminder

# Order of events on the same day: what happened first in the process comes first.
KINDS = ("issued", "due", "contact", "promise", "reminder", "payment", "promised_date")
WORDS = {
    "de": {"issued": "Rechnung gestellt", "due": "fällig", "contact": "Kontakt",
           "promise": "Zahlungszusage", "reminder": "Mahnung", "payment": "Zahlung",
           "promised_date": "zugesagter Zahltag"},
    "en": {"issued": "invoice issued", "due": "due", "contact": "contact",
           "promise": "promise to pay", "reminder": "reminder", "payment": "payment",
           "promised_date": "promised payment date"},
}


@dataclass(frozen=True)
class Event:
    day: date
    kind: str
    invoice_no: str
    amount_cents: int | None
    currency: str
    detail: str
    days_since_previous: int | None = None


def _day(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _rows(frame: pd.DataFrame, customer: str) -> pd.DataFrame:
    if frame.empty or "customer_id" not in frame:
        return frame.iloc[0:0]
    return frame[frame["customer_id"].astype(str) == customer]


def journey(customer: str, invoices: pd.DataFrame, payments: pd.DataFrame,
            contacts: pd.DataFrame, reminders: list[IssuedReminder], stage_names: dict[int, str],
            home_currency: str) -> list[Event]:
    """Every touchpoint of ``customer`` in time order (typed tables as read from the book)."""
    events: list[Event] = []
    for r in _rows(invoices, customer).to_dict("records"):
        number = str(r.get("invoice_no") or "")
        currency = str(r.get("currency") or home_currency)
        cents = int(r["amount_cents"]) if r.get("amount_present") else None
        if (day := _day(r.get("invoice_date"))) is not None:
            events.append(Event(day, "issued", number, cents, currency, ""))
        if (day := _day(r.get("due_date"))) is not None:
            events.append(Event(day, "due", number, None, currency, ""))
        if (day := _day(r.get("promised_date"))) is not None:
            events.append(Event(day, "promised_date", number, None, currency, ""))
    for p in _rows(payments, customer).to_dict("records"):
        if (day := _day(p.get("date"))) is not None:
            events.append(Event(day, "payment", str(p.get("invoice_no") or ""),
                                int(p["amount_cents"]) if p.get("amount_present") else None,
                                str(p.get("currency") or home_currency),
                                str(p.get("reference") or "")))
    for c in _rows(contacts, customer).to_dict("records"):
        if (day := _day(c.get("date"))) is None:
            continue
        promised = _day(c.get("promised_date"))
        kind = "promise" if promised else "contact"
        detail = " – ".join(str(x) for x in (c.get("contact_type"), c.get("note"),
                                             promised and promised.isoformat()) if x)
        events.append(Event(day, kind, str(c.get("invoice_no") or ""),
                            int(c["promised_amount_cents"]) if c.get("promised_amount_present")
                            else None, home_currency, detail))
    for r in reminders:
        if r.customer_id == customer:
            events.append(Event(r.day, "reminder", ", ".join(r.invoice_nos),
                                r.open_cents if r.currency else None, r.currency,
                                stage_names.get(r.stage_no, str(r.stage_no))))
    events.sort(key=lambda e: (e.day, KINDS.index(e.kind), e.invoice_no))
    out, previous = [], None
    for e in events:
        gap = None if previous is None else (e.day - previous).days
        out.append(Event(e.day, e.kind, e.invoice_no, e.amount_cents, e.currency, e.detail, gap))
        previous = e.day
    return out
