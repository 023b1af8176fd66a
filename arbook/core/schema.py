"""The workbook's tables: which columns exist, who owns each one, and what they are called.

Code refers to columns by their stable ``key``; the header a user sees is the label in the
workbook's language. Reading accepts either language's header, so a German book keeps working
when an English colleague adds rows, and the table names (``tblInvoices``) never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Owner(StrEnum):
    """Who may write a column (DESIGN decision 2)."""

    IMPORTED = "imported"  # replaced by an ERP import
    USER = "user"  # typed by people; arbook never writes it
    COMPUTED = "computed"  # rewritten by arbook on every refresh


class Kind(StrEnum):
    """How a cell's value is read and checked."""

    TEXT = "text"
    DATE = "date"
    MONEY = "money"  # integer cents inside arbook
    INT = "int"
    BOOL = "bool"  # "Ja"/"Nein", "yes"/"no", TRUE/FALSE
    PERCENT = "percent"


@dataclass(frozen=True)
class Column:
    key: str
    de: str
    en: str
    owner: Owner
    kind: Kind = Kind.TEXT
    width: float = 14

    def label(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


@dataclass(frozen=True)
class TableSpec:
    name: str  # the Excel table name code relies on
    sheet_de: str
    sheet_en: str
    columns: tuple[Column, ...]
    key: str | None = None  # column whose value identifies a row

    def sheet(self, lang: str) -> str:
        return self.sheet_de if lang == "de" else self.sheet_en

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def keys(self, owner: Owner | None = None) -> list[str]:
        return [c.key for c in self.columns if owner is None or c.owner == owner]

    def header_to_key(self) -> dict[str, str]:
        """Both languages' headers (case-insensitive) to the column key."""
        mapping: dict[str, str] = {}
        for col in self.columns:
            mapping[col.de.casefold()] = col.key
            mapping[col.en.casefold()] = col.key
            mapping[col.key.casefold()] = col.key
        return mapping


IMP, U, C = Owner.IMPORTED, Owner.USER, Owner.COMPUTED

INVOICES = TableSpec(
    name="tblInvoices",
    sheet_de="Rechnungen",
    sheet_en="Invoices",
    key="invoice_no",
    columns=(
        Column("invoice_no", "Rechnungsnr.", "Invoice no.", IMP, Kind.TEXT, 14),
        Column("customer_id", "Kundennr.", "Customer id", IMP, Kind.TEXT, 11),
        Column("invoice_date", "Rechnungsdatum", "Invoice date", IMP, Kind.DATE, 13),
        Column("due_date", "Fällig am", "Due date", IMP, Kind.DATE, 12),
        Column("currency", "Währung", "Currency", IMP, Kind.TEXT, 9),
        Column("amount", "Betrag", "Amount", IMP, Kind.MONEY, 13),
        Column("paid", "Bezahlt", "Paid", IMP, Kind.MONEY, 13),
        Column("credit_for", "Gutschrift zu", "Credit for", IMP, Kind.TEXT, 13),
        Column("reference", "Referenz", "Reference", IMP, Kind.TEXT, 16),
        Column("disputed", "Strittig", "Disputed", U, Kind.BOOL, 9),
        Column("dispute_reason", "Grund Streit", "Dispute reason", U, Kind.TEXT, 18),
        Column("hold_until", "Zurückgestellt bis", "On hold until", U, Kind.DATE, 13),
        Column("promised_date", "Zahlung zugesagt am", "Promised date", U, Kind.DATE, 13),
        Column("promised_amount", "Zugesagter Betrag", "Promised amount", U, Kind.MONEY, 13),
        Column("owner", "Zuständig", "Owner", U, Kind.TEXT, 11),
        Column("note", "Notiz", "Note", U, Kind.TEXT, 24),
        Column("next_action", "Nächster Schritt", "Next action", U, Kind.TEXT, 18),
        Column("open", "Offen", "Open", C, Kind.MONEY, 13),
        Column("days_overdue", "Tage überfällig", "Days overdue", C, Kind.INT, 10),
        Column("bucket", "Altersklasse", "Ageing bucket", C, Kind.TEXT, 13),
        Column("status", "Status", "Status", C, Kind.TEXT, 12),
        Column("flag", "Hinweis", "Flag", C, Kind.TEXT, 26),
        Column("dunning_stage", "Mahnstufe", "Dunning stage", C, Kind.TEXT, 12),
        Column("last_reminder", "Letzte Mahnung", "Last reminder", C, Kind.DATE, 13),
        Column("interest", "Verzugszinsen", "Interest", C, Kind.MONEY, 12),
    ),
)

CUSTOMERS = TableSpec(
    name="tblCustomers",
    sheet_de="Kunden",
    sheet_en="Customers",
    key="customer_id",
    columns=(
        Column("customer_id", "Kundennr.", "Customer id", IMP, Kind.TEXT, 11),
        Column("name", "Name", "Name", IMP, Kind.TEXT, 28),
        Column("address", "Anschrift", "Address", IMP, Kind.TEXT, 34),
        Column("email", "E-Mail", "Email", U, Kind.TEXT, 28),
        Column("iban", "IBAN", "IBAN", U, Kind.TEXT, 26),
        Column("language", "Sprache", "Language", U, Kind.TEXT, 9),
        Column("customer_type", "Kundenart", "Customer type", U, Kind.TEXT, 13),
        Column("terms_days", "Zahlungsziel (Tage)", "Payment terms (days)", U, Kind.INT, 12),
        Column("skonto_pct", "Skonto %", "Discount %", U, Kind.PERCENT, 10),
        Column("skonto_days", "Skonto-Tage", "Discount days", U, Kind.INT, 10),
        Column("dunning_block", "Mahnsperre", "Dunning block", U, Kind.BOOL, 11),
        Column("escalation_contact", "Eskalation an", "Escalation contact", U, Kind.TEXT, 24),
        Column("consumer_notice", "§286-Hinweis auf Rechnung", "§286 notice on invoice", U,
               Kind.BOOL, 13),
        Column("dunning_schedule", "Eigener Mahnplan", "Own schedule", U, Kind.TEXT, 16),
    ),
)

CONTACTS = TableSpec(
    name="tblContacts",
    sheet_de="Kontakte",
    sheet_en="Contacts",
    columns=(
        Column("date", "Datum", "Date", U, Kind.DATE, 12),
        Column("customer_id", "Kundennr.", "Customer id", U, Kind.TEXT, 11),
        Column("invoice_no", "Rechnungsnr.", "Invoice no.", U, Kind.TEXT, 14),
        Column("contact_type", "Art", "Type", U, Kind.TEXT, 16),
        Column("promised_date", "Zahlung zugesagt am", "Promised date", U, Kind.DATE, 13),
        Column("promised_amount", "Zugesagter Betrag", "Promised amount", U, Kind.MONEY, 13),
        Column("by", "Von", "By", U, Kind.TEXT, 10),
        Column("note", "Notiz", "Note", U, Kind.TEXT, 40),
    ),
)

PAYMENTS = TableSpec(
    name="tblPayments",
    sheet_de="Zahlungen",
    sheet_en="Payments",
    columns=(
        Column("date", "Datum", "Date", IMP, Kind.DATE, 12),
        Column("customer_id", "Kundennr.", "Customer id", IMP, Kind.TEXT, 11),
        Column("invoice_no", "Rechnungsnr.", "Invoice no.", IMP, Kind.TEXT, 14),
        Column("amount", "Betrag", "Amount", IMP, Kind.MONEY, 13),
        Column("currency", "Währung", "Currency", IMP, Kind.TEXT, 9),
        Column("reference", "Verwendungszweck", "Remittance info", IMP, Kind.TEXT, 34),
        Column("source", "Quelle", "Source", IMP, Kind.TEXT, 14),
    ),
)

REMINDERS = TableSpec(
    name="tblReminders",
    sheet_de="Mahnungen",
    sheet_en="Reminders",
    columns=(
        Column("date", "Datum", "Date", C, Kind.DATE, 12),
        Column("customer_id", "Kundennr.", "Customer id", C, Kind.TEXT, 11),
        Column("name", "Name", "Name", C, Kind.TEXT, 24),
        Column("stage", "Mahnstufe", "Stage", C, Kind.TEXT, 16),
        Column("invoices", "Rechnungen", "Invoices", C, Kind.TEXT, 30),
        Column("currency", "Währung", "Currency", C, Kind.TEXT, 9),
        Column("amount", "Offen", "Open", C, Kind.MONEY, 13),
        Column("interest", "Zinsen", "Interest", C, Kind.MONEY, 11),
        Column("fees", "Gebühren", "Fees", C, Kind.MONEY, 11),
        Column("channel", "Weg", "Channel", C, Kind.TEXT, 10),
        Column("state", "Stand", "State", C, Kind.TEXT, 12),
        Column("file", "Datei / Nachricht", "File / message", C, Kind.TEXT, 36),
        Column("note", "Hinweis", "Note", C, Kind.TEXT, 30),
    ),
)

SETTINGS = TableSpec(
    name="tblSettings",
    sheet_de="Einstellungen",
    sheet_en="Settings",
    key="setting",
    columns=(
        Column("setting", "Schlüssel", "Key", U, Kind.TEXT, 24),
        Column("value", "Wert", "Value", U, Kind.TEXT, 22),
        Column("description", "Beschreibung", "Description", U, Kind.TEXT, 70),
    ),
)

# The dunning policy: one row per stage, on the Settings sheet beside tblSettings.
DUNNING = TableSpec(
    name="tblDunning",
    sheet_de="Einstellungen",
    sheet_en="Settings",
    key="stage",
    columns=(
        Column("stage", "Stufe", "Stage", U, Kind.INT, 7),
        Column("name", "Bezeichnung", "Name", U, Kind.TEXT, 20),
        Column("days_after_due", "Tage nach Fälligkeit", "Days after due date", U, Kind.INT, 11),
        Column("min_days_since_last", "Mindestabstand (Tage)", "Min. days since last reminder",
               U, Kind.INT, 12),
        Column("min_amount", "Mindestbetrag", "Minimum amount", U, Kind.MONEY, 12),
        Column("fee", "Gebühr", "Fee", U, Kind.MONEY, 10),
        Column("deadline_days", "Zahlungsfrist (Tage)", "Payment deadline (days)", U, Kind.INT,
               11),
        Column("tone", "Ton", "Tone", U, Kind.TEXT, 11),
        Column("template", "Vorlage", "Template", U, Kind.TEXT, 11),
    ),
)
# Where tblDunning starts on the Settings sheet: right of tblSettings, one empty column between.
DUNNING_FIRST_COLUMN = len(SETTINGS.columns) + 2

# The rate tables for default interest (§ 288 BGB base rate; ECB rate for the EU variant), one
# row per half-year, right of tblDunning. Users add each new half-year when it is announced.
BASE_RATES = TableSpec(
    name="tblBaseRates",
    sheet_de="Einstellungen",
    sheet_en="Settings",
    key="half_year",
    columns=(
        Column("half_year", "Halbjahr ab", "Half-year from", U, Kind.DATE, 12),
        Column("base_rate", "Basiszinssatz %", "Base rate %", U, Kind.TEXT, 12),
        Column("ecb_rate", "EZB-Satz %", "ECB rate %", U, Kind.TEXT, 11),
        Column("source", "Quelle", "Source", U, Kind.TEXT, 40),
    ),
)
BASE_RATES_FIRST_COLUMN = DUNNING_FIRST_COLUMN + len(DUNNING.columns) + 1

# Column mappings for ERP exports whose headers arbook does not know: one row per profile and
# ledger field (or the options sheet, date_order, decimal_comma), right of tblBaseRates.
IMPORT_MAP = TableSpec(
    name="tblImportMap",
    sheet_de="Einstellungen",
    sheet_en="Settings",
    columns=(
        Column("profile", "Importprofil", "Import profile", U, Kind.TEXT, 14),
        Column("field", "Feld", "Field", U, Kind.TEXT, 14),
        Column("header", "Spalte in der Datei", "Column in the file", U, Kind.TEXT, 22),
    ),
)
IMPORT_MAP_FIRST_COLUMN = BASE_RATES_FIRST_COLUMN + len(BASE_RATES.columns) + 1

# Bank entries arbook could not match with confidence: the user assigns them (yellow columns)
# and the next import honours that.
BANK_QUEUE = TableSpec(
    name="tblBankQueue",
    sheet_de="Zuordnen",
    sheet_en="Assign",
    key="key",
    columns=(
        Column("date", "Datum", "Date", C, Kind.DATE, 12),
        Column("amount", "Betrag", "Amount", C, Kind.MONEY, 13),
        Column("currency", "Währung", "Currency", C, Kind.TEXT, 9),
        Column("payer", "Auftraggeber", "Payer", C, Kind.TEXT, 24),
        Column("payer_iban", "IBAN Auftraggeber", "Payer IBAN", C, Kind.TEXT, 24),
        Column("remittance", "Verwendungszweck", "Remittance info", C, Kind.TEXT, 40),
        Column("reason", "Grund", "Reason", C, Kind.TEXT, 36),
        Column("suggestion", "Vorschlag", "Suggestion", C, Kind.TEXT, 24),
        Column("assign_invoices", "Rechnungen zuordnen", "Assign to invoices", U, Kind.TEXT, 20),
        Column("assign_customer", "Kunde zuordnen", "Assign to customer", U, Kind.TEXT, 14),
        Column("ignore", "Ignorieren", "Ignore", U, Kind.BOOL, 10),
        Column("key", "Buchungsschlüssel", "Entry key", C, Kind.TEXT, 40),
    ),
)

PROBLEMS = TableSpec(
    name="tblProblems",
    sheet_de="Probleme",
    sheet_en="Problems",
    columns=(
        Column("severity", "Schwere", "Severity", C, Kind.TEXT, 10),
        Column("file", "Datei", "File", C, Kind.TEXT, 22),
        Column("sheet", "Blatt", "Sheet", C, Kind.TEXT, 14),
        Column("row", "Zeile", "Row", C, Kind.INT, 8),
        Column("column", "Spalte", "Column", C, Kind.TEXT, 18),
        Column("message", "Meldung", "Message", C, Kind.TEXT, 80),
    ),
)

# Review: one row per review run (arbook writes it from the journal); the charts read it.
HISTORY = TableSpec(
    name="tblHistory",
    sheet_de="Historie",
    sheet_en="History",
    key="date",
    columns=(
        Column("date", "Stichtag", "As of", C, Kind.DATE, 12),
        Column("period", "Zeitraum", "Period", C, Kind.TEXT, 10),
        Column("receivables", "Forderungen", "Receivables", C, Kind.MONEY, 14),
        Column("current", "Nicht fällig", "Not yet due", C, Kind.MONEY, 14),
        Column("overdue", "Überfällig", "Overdue", C, Kind.MONEY, 14),
        Column("over_90", "Über 90 Tage", "Over 90 days", C, Kind.MONEY, 14),
        Column("credit_sales", "Umsatz auf Ziel", "Credit sales", C, Kind.MONEY, 14),
        Column("dso", "DSO", "DSO", C, Kind.TEXT, 9),
        Column("dso_countback", "DSO Countback", "DSO countback", C, Kind.TEXT, 10),
        Column("best_dso", "Bestmöglicher DSO", "Best possible DSO", C, Kind.TEXT, 10),
        Column("add", "ADD", "ADD", C, Kind.TEXT, 9),
        Column("cei", "CEI %", "CEI %", C, Kind.TEXT, 9),
        Column("overdue_share", "Überfällig %", "Overdue %", C, Kind.TEXT, 10),
        Column("over90_share", "Über 90 %", "Over 90 %", C, Kind.TEXT, 10),
    ),
)


def _checklist(name: str, sheet_de: str, sheet_en: str) -> TableSpec:
    """A checklist table: arbook provides the items (grey), people own the yellow columns, and
    arbook's automatic evidence goes into its own (blue) columns only."""
    return TableSpec(
        name=name, sheet_de=sheet_de, sheet_en=sheet_en, key="item_id",
        columns=(
            Column("step", "Schritt", "Step", IMP, Kind.TEXT, 24),
            Column("item_id", "Nr.", "No.", IMP, Kind.TEXT, 6),
            Column("item", "Punkt", "Item", IMP, Kind.TEXT, 60),
            Column("owner", "Verantwortlich", "Owner", U, Kind.TEXT, 14),
            Column("due", "Fällig am", "Due date", U, Kind.DATE, 12),
            Column("status", "Status", "Status", U, Kind.TEXT, 12),
            Column("evidence", "Nachweis / Link", "Evidence / link", U, Kind.TEXT, 30),
            Column("last_reviewed", "Zuletzt geprüft", "Last reviewed", U, Kind.DATE, 12),
            Column("arbook_check", "arbook-Prüfung", "arbook check", C, Kind.TEXT, 44),
            Column("arbook_checked", "Geprüft am", "Checked on", C, Kind.DATE, 12),
        ),
    )


CHECKLIST = _checklist("tblChecklist", "Checkliste", "Checklist")
CHECKLIST_SHORT = _checklist("tblChecklistShort", "Kurzcheckliste", "Short checklist")

# The Journey sheet: the customer id typed into this one-cell table picks whose touchpoints
# arbook lists below it.
JOURNEY = TableSpec(
    name="tblJourney",
    sheet_de="Journey",
    sheet_en="Journey",
    columns=(Column("customer_id", "Kundennr.", "Customer id", U, Kind.TEXT, 16),),
)
REVIEW_SHEET = {"de": "Review", "en": "Review"}

TABLES: tuple[TableSpec, ...] = (
    INVOICES,
    CUSTOMERS,
    CONTACTS,
    PAYMENTS,
    REMINDERS,
    SETTINGS,
    DUNNING,  # shares the Settings sheet
    BANK_QUEUE,
    PROBLEMS,
    HISTORY,
    CHECKLIST,
    CHECKLIST_SHORT,
    JOURNEY,
)

START_SHEET = {"de": "Start", "en": "Start"}
LISTS_SHEET = "Lists"

# Values offered in dropdowns, per language. The first entry of BOOL lists means "true".
YES_NO = {"de": ("Ja", "Nein"), "en": ("Yes", "No")}
CUSTOMER_TYPES = {"de": ("Unternehmen", "Verbraucher"), "en": ("Business", "Consumer")}
CONTACT_TYPES = {
    "de": ("Anruf", "E-Mail", "Brief", "Zahlungszusage", "Reklamation", "Besuch"),
    "en": ("Call", "Email", "Letter", "Promise to pay", "Dispute", "Visit"),
}
LANGUAGES = ("de", "en")
# Dunning tones: key -> the word shown in the dropdown, per language.
TONES = {
    "de": {"friendly": "freundlich", "firm": "bestimmt", "final": "letztmalig"},
    "en": {"friendly": "friendly", "firm": "firm", "final": "final"},
}
TEMPLATE_KINDS = ("reminder", "dunning1", "dunning2", "final")
