"""The escalation list as CSV: what a German court dunning application (Mahnantrag) or a
collection agency needs, one row per invoice, ready for Excel in either language.

Customer data is hostile input: a cell that Excel would read as a formula is neutralised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from arbook.core.dunning import Escalation
from arbook.core.dunning_reasons import format_date
from arbook.io.excel_csv import decimal_text, neutralise, write_csv

HEADERS = {
    "de": ("Kundennr.", "Schuldner", "Anschrift", "Rechnungsnr.", "Rechnungsdatum", "Fällig am",
           "Hauptforderung", "Währung", "Zinsen ab", "Mahnkosten", "Letzte Mahnung", "Grund"),
    "en": ("Customer id", "Debtor", "Address", "Invoice no.", "Invoice date", "Due date",
           "Claim", "Currency", "Interest from", "Dunning costs", "Last reminder", "Reason"),
}


def escalation_rows(escalations: Iterable[Escalation], lang: str,
                    interest_from: Mapping[str, date] | None = None) -> list[list[str]]:
    """The CSV's rows (headers first). Costs stand on each customer's first row only, since a
    Mahnantrag claims them once."""
    interest_from = interest_from or {}

    def day(value: date | None) -> str:
        return format_date(value, lang) if value else ""

    rows = [list(HEADERS[lang])]
    for esc in escalations:
        for i, item in enumerate(esc.items):
            rows.append([
                neutralise(esc.customer_id), neutralise(esc.name), neutralise(esc.address),
                neutralise(item.invoice_no), day(item.invoice_date), day(item.due),
                decimal_text(item.open_cents, lang), neutralise(item.currency),
                day(interest_from.get(item.invoice_no)),
                decimal_text(esc.fees_cents, lang) if i == 0 else "",
                day(esc.last_reminder_date), neutralise(esc.reason_text(lang)) if i == 0 else "",
            ])
    return rows


def write_escalations_csv(escalations: Iterable[Escalation], path: Path, lang: str = "de",
                          interest_from: Mapping[str, date] | None = None) -> Path:
    """Write the list as UTF-8 with BOM; ';' for German Excel, ',' for English."""
    return write_csv(escalation_rows(escalations, lang, interest_from), path, lang)
