"""The words of the review (Review sheet, summary email, CLI) in German and English.

One place for labels and the formula printed beside each KPI, so the sheet and the email say
the same thing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

KPI_ROWS = ("receivables", "credit_sales", "overdue_share", "over_last_share", "dso",
            "dso_countback", "best_dso", "add", "cei")

WORDS = {
    "de": {
        "title": "Review", "as_of": "Stichtag", "period": "Zeitraum",
        "week": "Woche", "month": "Monat", "kpi_currency": "Währung der Kennzahlen",
        "buckets": "Offene Posten nach Altersklasse", "bucket": "Altersklasse",
        "total": "Summe", "kpis": "Kennzahlen", "kpi": "Kennzahl", "value": "Wert",
        "formula": "Formel / Hinweis", "target": "Ziel", "verdict": "Ziel erreicht?",
        "met": "✓ erreicht", "missed": "✗ verfehlt",
        "receivables": "Forderungen am Stichtag", "credit_sales": "Umsatz auf Ziel im Zeitraum",
        "overdue_share": "Anteil überfällig %", "over_last_share": "Anteil über {n} Tage %",
        "dso": "DSO (Standard), Tage", "dso_countback": "DSO (Countback), Tage",
        "best_dso": "Bestmöglicher DSO, Tage", "add": "ADD (Tage Verzug im Schnitt)",
        "cei": "CEI %",
        "promises": "Zahlungszusagen", "made": "gegeben", "kept": "eingehalten",
        "broken": "gebrochen", "pending": "noch offen",
        "disputes": "Offene Reklamationen", "count": "Anzahl", "amount": "Betrag",
        "avg_days": "Alter im Schnitt (Tage)", "max_days": "älteste (Tage)",
        "reminders": "Mahnungen der letzten 90 Tage", "stage": "Stufe", "sent": "versendet",
        "judged": "14 Tage vergangen", "paid14": "binnen 14 Tagen bezahlt",
        "top": "Top 10 überfällige Kunden", "customer": "Kunde", "name": "Name",
        "currency": "Währung", "overdue": "überfällig",
        "escalations": "Eskalationsliste", "kind": "Grund", "invoice": "Rechnung",
        "open": "offen", "since": "seit", "days": "Tage",
        "dispute": "Reklamation ohne Eskalation", "promise_broken": "Zusage gebrochen",
        "last_stage": "letzte Mahnstufe erreicht", "court": "Kandidat Mahnbescheid",
        "radar": "Verjährungsradar (Ende 31.12. dieses Jahres, §§ 195, 199 BGB)",
        "due": "fällig", "ends": "verjährt mit Ablauf",
        "checklist": "Checkliste", "step": "Schritt", "done": "erledigt", "of": "von",
        "progress": "Fortschritt %", "overall": "Gesamt", "late_items": "Überfällige Punkte",
        "item": "Punkt", "owner": "Verantwortlich", "none": "keine", "more": "… und {n} weitere",
        "no_sales": "kein Umsatz auf Ziel im Zeitraum: nicht berechenbar",
        "no_countback": "das Ledger reicht nicht weit genug zurück: nicht berechenbar",
        "no_history": "braucht die Forderungen der vorigen Review: ab der nächsten Review",
        "nothing_collectable": "nichts einziehbar im Zeitraum: nicht berechenbar",
        "journey": "Customer Journey", "when": "Datum", "gap": "Tage seit vorher",
        "event": "Ereignis", "detail": "Detail",
    },
    "en": {
        "title": "Review", "as_of": "As of", "period": "Period",
        "week": "week", "month": "month", "kpi_currency": "KPI currency",
        "buckets": "Open items by ageing bucket", "bucket": "Bucket",
        "total": "Total", "kpis": "KPIs", "kpi": "KPI", "value": "Value",
        "formula": "Formula / note", "target": "Target", "verdict": "Target met?",
        "met": "✓ met", "missed": "✗ missed",
        "receivables": "Receivables at period end", "credit_sales": "Credit sales in period",
        "overdue_share": "Overdue share %", "over_last_share": "Share over {n} days %",
        "dso": "DSO (standard), days", "dso_countback": "DSO (countback), days",
        "best_dso": "Best possible DSO, days", "add": "ADD (average days delinquent)",
        "cei": "CEI %",
        "promises": "Promises to pay", "made": "made", "kept": "kept", "broken": "broken",
        "pending": "pending",
        "disputes": "Open disputes", "count": "Count", "amount": "Amount",
        "avg_days": "Average age (days)", "max_days": "Oldest (days)",
        "reminders": "Reminders of the last 90 days", "stage": "Stage", "sent": "sent",
        "judged": "14 days passed", "paid14": "paid within 14 days",
        "top": "Top 10 overdue customers", "customer": "Customer", "name": "Name",
        "currency": "Currency", "overdue": "overdue",
        "escalations": "Escalation list", "kind": "Reason", "invoice": "Invoice",
        "open": "open", "since": "since", "days": "days",
        "dispute": "dispute without escalation", "promise_broken": "promise broken",
        "last_stage": "final stage reached", "court": "court dunning candidate",
        "radar": "Limitation radar (ends 31 Dec this year, §§ 195, 199 BGB)",
        "due": "due", "ends": "time-barred after",
        "checklist": "Checklist", "step": "Step", "done": "done", "of": "of",
        "progress": "Progress %", "overall": "Overall", "late_items": "Overdue items",
        "item": "Item", "owner": "Owner", "none": "none", "more": "… and {n} more",
        "no_sales": "no credit sales in the period: cannot be computed",
        "no_countback": "the ledger does not reach back far enough: cannot be computed",
        "no_history": "needs the receivables of the previous review: from the next review on",
        "nothing_collectable": "nothing collectable in the period: cannot be computed",
        "journey": "Customer journey", "when": "Date", "gap": "Days since previous",
        "event": "Event", "detail": "Detail",
    },
}

FORMULAS = {
    "de": {
        "receivables": "Summe aller offenen Beträge (Gutschriften negativ), Hauswährung",
        "credit_sales": "Rechnungen mit Datum im Zeitraum, Gutschriften negativ",
        "overdue_share": "überfällige Beträge / offene Beträge × 100",
        "over_last_share": "Beträge der letzten Altersklasse / offene Beträge × 100",
        "dso": "Forderungen am Stichtag / Umsatz auf Ziel im Zeitraum × Tage des Zeitraums",
        "dso_countback": "Monate rückwärts: Monatsumsätze von den Forderungen abziehen und "
                         "Tage zählen; der letzte Monat anteilig (Tage × Rest / Umsatz)",
        "best_dso": "nicht fällige Forderungen / Umsatz auf Ziel × Tage des Zeitraums",
        "add": "DSO − bestmöglicher DSO",
        "cei": "(Anfangsforderungen + Umsatz − Endforderungen) / (Anfangsforderungen + Umsatz "
               "− nicht fällige Endforderungen) × 100",
    },
    "en": {
        "receivables": "sum of all open amounts (credits negative), home currency",
        "credit_sales": "invoices dated in the period, credit notes negative",
        "overdue_share": "overdue amounts / open amounts × 100",
        "over_last_share": "amounts in the last bucket / open amounts × 100",
        "dso": "receivables at period end / credit sales of the period × days in period",
        "dso_countback": "walk back month by month taking each month's credit sales off the "
                         "receivables and counting its days; the last month pro rata "
                         "(days × rest / sales)",
        "best_dso": "current (not yet due) receivables / credit sales × days in period",
        "add": "DSO − best possible DSO",
        "cei": "(beginning receivables + credit sales − ending total receivables) / "
               "(beginning receivables + credit sales − ending current receivables) × 100",
    },
}


def money(cents: int, lang: str) -> str:
    """1.234,56 (de) or 1,234.56 (en), exact (Decimal)."""
    text = f"{Decimal(int(cents)) / 100:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


def number(value: Decimal | None, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text


def day(value: date | None, lang: str) -> str:
    if value is None:
        return ""
    return f"{value:%d.%m.%Y}" if lang == "de" else f"{value:%Y-%m-%d}"
