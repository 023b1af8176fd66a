"""What a reminder letter says: the template context for one planned reminder, and the
attachment that carries the full list when the letter's text lists only the first invoices.

The keys are documented for template authors in mailtemplates/README.md. A customer with
thousands of open invoices gets a readable letter: its text lists the first
``letter_max_items`` (Settings; 25 by default) and says how many more there are and what they
add up to; the complete list goes with it as a CSV for Excel. The totals (open amount,
interest, fees, the amount to pay) are always those of all items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arbook.core.claims import ItemClaim
from arbook.core.dunning import DunningItem
from arbook.core.dunning_reasons import format_date
from arbook.core.settings import Settings, letter_max_items
from arbook.io.excel_csv import csv_columns_bytes, decimal_texts, neutralise
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
    decided, claimed = p.decision.items, p.claims.items  # claims_for keeps the items' order
    stage = p.decision.stage
    cap = letter_max_items(settings)
    capped = len(decided) > cap
    columns = item_columns(p) if capped else {}
    order = longest_overdue_order(columns) if capped else list(range(len(decided)))
    items = [_item(decided[k], claimed[k], stage.name) for k in order[:cap]]
    more, attachments = None, ()
    if capped:  # the text shows the longest overdue; the attached list has them all
        attachment = items_csv(p, as_of, columns, order)
        more = rest_summary(columns, order[cap:], attachment[0])
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


def _item(item: DunningItem, claim: ItemClaim, stage_name: str) -> dict:
    """One invoice as the template lists it."""
    return {"invoice_no": item.invoice_no, "invoice_date": item.invoice_date,
            "due_date": item.due, "currency": item.currency, "open": to_units(item.open_cents),
            "days_overdue": int(item.days_overdue), "stage_name": item.stage_no and stage_name,
            "interest": to_units(claim.interest_cents), "flat_fee": to_units(claim.flat_fee_cents)}


def item_columns(p: PlannedReminder) -> dict[str, np.ndarray]:
    """The reminder's items (``DunningItem`` fields) and their interest as columns, transposed
    once for the list, its order and the remark: a letter may carry twenty thousand items."""
    fields = zip(*p.decision.items, strict=True) if p.decision.items else \
        [()] * len(DunningItem._fields)
    columns = {name: np.array(values, dtype=object)
               for name, values in zip(DunningItem._fields, fields, strict=True)}
    for name in ("open_cents", "days_overdue", "stage_no"):
        columns[name] = columns[name].astype(np.int64)
    columns["interest_cents"] = np.fromiter((c.interest_cents for c in p.claims.items),
                                            np.int64, len(p.claims.items))
    return columns


def longest_overdue_order(columns: dict[str, np.ndarray]) -> list[int]:
    """Positions of the items, most days overdue first, then by invoice number: what a long
    letter lists in its text. Two sorts of positions on plain lists (the second keeps the
    first's order among equals)."""
    numbers = columns["invoice_no"].tolist()
    days = columns["days_overdue"].tolist()
    order = sorted(range(len(numbers)), key=numbers.__getitem__)
    order.sort(key=days.__getitem__, reverse=True)
    return order


def rest_summary(columns: dict[str, np.ndarray], left_out: Sequence[int],
                 file_name: str) -> dict:
    """What the text says about the items it leaves out (positions in the reminder): how
    many, their sums per currency."""
    at = np.asarray(left_out, dtype=np.intp)
    frame = pd.DataFrame({name: columns[name][at]
                          for name in ("currency", "open_cents", "interest_cents")})
    sums = frame.groupby("currency", sort=False).agg(
        count=("open_cents", "size"), open=("open_cents", "sum"),
        interest=("interest_cents", "sum"))
    return {"count": len(at), "attachment": file_name,
            "totals": [{"currency": currency, "count": int(n), "open": to_units(o),
                        "interest": to_units(i)}
                       for currency, n, o, i in sums.itertuples(name=None)]}


def items_csv(p: PlannedReminder, as_of: date, columns: dict[str, np.ndarray],
              order: Sequence[int]) -> Attachment:
    """All items of the reminder (``item_columns``) as a CSV for Excel (see
    arbook.io.excel_csv), in ``order`` (positions), named after the customer and the day.
    Built column by column from the exact cents; dates, currencies and stages repeat, so each
    distinct one is formatted once (a list has thousands of rows)."""
    lang = p.lang
    at = np.asarray(order, dtype=np.intp)
    c = {name: values[at] for name, values in columns.items()}
    invoice_dates, dues = c["invoice_date"].tolist(), c["due"].tolist()
    day = {d: format_date(d, lang) for d in {*invoice_dates, *dues} if d is not None}
    day[None] = ""
    name = neutralise(p.decision.stage.name)
    stage = {n: name if n else "" for n in set(c["stage_no"].tolist())}  # 0: no stage yet
    currency = {x: neutralise(x) for x in set(c["currency"].tolist())}
    overdue = c["days_overdue"]
    table = (
        list(map(neutralise, c["invoice_no"].tolist())),
        list(map(day.__getitem__, invoice_dates)),
        list(map(day.__getitem__, dues)),
        np.where(overdue > 0, overdue.astype(str).astype(object), "").tolist(),
        list(map(currency.__getitem__, c["currency"].tolist())),
        decimal_texts(c["open_cents"], lang),
        list(map(stage.__getitem__, c["stage_no"].tolist())),
        decimal_texts(c["interest_cents"], lang),
    )
    file_name = safe_name(f"{CSV_NAMES[lang]}-{p.customer.id}-{as_of.isoformat()}") + ".csv"
    return file_name, csv_columns_bytes(CSV_HEADERS[lang], table, lang), "text/csv"


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
