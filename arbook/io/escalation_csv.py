"""The escalation list as CSV: what a German court dunning application (Mahnantrag) or a
collection agency needs, one row per invoice, ready for Excel in either language.

Customer data is hostile input: a cell that Excel would read as a formula is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from arbook.core.dunning import Escalation
from arbook.core.dunning_reasons import format_date

HEADERS = {
    "de": ("Kundennr.", "Schuldner", "Anschrift", "Rechnungsnr.", "Rechnungsdatum", "Fällig am",
           "Hauptforderung", "Währung", "Zinsen ab", "Mahnkosten", "Letzte Mahnung", "Grund"),
    "en": ("Customer id", "Debtor", "Address", "Invoice no.", "Invoice date", "Due date",
           "Claim", "Currency", "Interest from", "Dunning costs", "Last reminder", "Reason"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """One line (line breaks become ', '); text Excel would run as a formula gets a leading
    apostrophe, so it stays text."""
    text = ", ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return "'" + text if text.startswith(_FORMULA_START) else text


def decimal_text(cents: int, lang: str) -> str:
    """Exact cents as '1234,56' (de) or '1234.56' (en), no thousands separator."""
    whole, frac = divmod(abs(int(cents)), 100)
    sep = "," if lang == "de" else "."
    return f"{'-' if cents < 0 else ''}{whole}{sep}{frac:02d}"


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
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";" if lang == "de" else ",",
                            quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerows(escalation_rows(escalations, lang, interest_from))
    return path
