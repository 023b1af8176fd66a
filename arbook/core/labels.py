"""The words users read for computed values, in German and English."""

from __future__ import annotations

STATUS = {
    "de": {
        "paid": "bezahlt", "credit": "Guthaben", "disputed": "strittig",
        "on_hold": "zurückgestellt", "promised": "zugesagt", "overdue": "überfällig",
        "open": "offen",
    },
    "en": {
        "paid": "paid", "credit": "credit", "disputed": "disputed", "on_hold": "on hold",
        "promised": "promised", "overdue": "overdue", "open": "open",
    },
}

FLAGS = {
    "de": {
        "skipped": "nicht berechnet – siehe Probleme",
        "due_from_terms": "Fälligkeit aus Zahlungsziel",
        "promise_broken": "Zusage nicht eingehalten",
        "overpaid": "überzahlt",
        "future_invoice": "Rechnungsdatum nach Stichtag",
    },
    "en": {
        "skipped": "not computed – see Problems",
        "due_from_terms": "due date from payment terms",
        "promise_broken": "promise broken",
        "overpaid": "overpaid",
        "future_invoice": "invoice date after as-of date",
    },
}

_BUCKET_WORDS = {
    "de": {"credit": "Guthaben", "undated": "ohne Fälligkeit", "not_due": "nicht fällig",
           "over": "über {n} Tage", "range": "{a}-{b} Tage"},
    "en": {"credit": "credit", "undated": "no due date", "not_due": "not yet due",
           "over": "over {n} days", "range": "{a}-{b} days"},
}

START = {
    "de": {
        "title": "arbook – Offene Posten",
        "howto": "So geht's",
        "steps": (
            "1. Rechnungen im Blatt 'Rechnungen' erfassen oder importieren (graue Spalten).",
            "2. Eigene Notizen in die gelben Spalten schreiben – arbook ändert sie nie.",
            "3. 'arbook refresh' (oder Menüband: Aktualisieren) berechnet die blauen Spalten.",
            "4. Blatt 'Probleme' prüfen: dort steht jede Zeile, die nicht passt, mit Ort.",
        ),
        "refreshed": "Zuletzt aktualisiert",
        "as_of": "Stichtag",
        "totals": "Offene Posten nach Altersklasse",
        "bucket": "Altersklasse",
        "total": "Summe offen",
        "overdue": "davon überfällig",
        "items": "Offene Posten (Anzahl)",
        "problems": "Probleme",
        "never": "noch nie",
    },
    "en": {
        "title": "arbook – open invoices",
        "howto": "How it works",
        "steps": (
            "1. Enter or import invoices on the 'Invoices' sheet (grey columns).",
            "2. Write your own notes in the yellow columns – arbook never changes them.",
            "3. 'arbook refresh' (or the ribbon: Refresh) computes the blue columns.",
            "4. Check the 'Problems' sheet: every row that does not fit is listed with its place.",
        ),
        "refreshed": "Last refreshed",
        "as_of": "As of",
        "totals": "Open items by ageing bucket",
        "bucket": "Bucket",
        "total": "Total open",
        "overdue": "of which overdue",
        "items": "Open items (count)",
        "problems": "Problems",
        "never": "never",
    },
}


def bucket_label(key: str, lang: str) -> str:
    words = _BUCKET_WORDS[lang]
    if key in words:
        return words[key]
    if key.startswith(">"):
        return words["over"].format(n=key[1:])
    low, high = key.split("-")
    return words["range"].format(a=low, b=high)


def flags_text(keys: list[str] | tuple[str, ...], lang: str) -> str | None:
    return "; ".join(FLAGS[lang][k] for k in keys) or None
