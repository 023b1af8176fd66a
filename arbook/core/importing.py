"""ERP open-item exports, from rows of cells to a typed ledger frame (pure: no files here).

The adapter (``arbook.io.erp_import``) turns a CSV or a spreadsheet into rows of Python values;
everything after that lives here: which text encoding and delimiter a CSV uses, where the header
row is, which column means what (German and English synonyms, or a profile from Settings), which
rows are preamble, blank or totals, and how each column's amounts and dates are read.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from arbook.core.colparse import ColumnResult, parse_amount_column, parse_date_column
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.schema import CUSTOMERS, INVOICES

HEADER_SCAN_ROWS = 30

# Ledger keys an export may fill. amount/open/paid are money; the customer_* ones feed Customers.
TEXT_KEYS = ("invoice_no", "customer_id", "currency", "credit_for", "reference")
CUSTOMER_KEYS = ("name", "address", "email", "iban")
DATE_KEYS = ("invoice_date", "due_date")
MONEY_KEYS = ("amount", "open", "paid")
LEDGER_KEYS = (*TEXT_KEYS, *DATE_KEYS, *MONEY_KEYS, *CUSTOMER_KEYS)
PROFILE_OPTIONS = ("sheet", "date_order", "decimal_comma")


def header_token(text: object) -> str:
    """A header reduced to what identifies it: 'Beleg-Nr.' -> 'belegnr', 'Fällig am' ->
    'faelligam'. Newlines, punctuation and case never decide a match."""
    folded = str(text).casefold().replace("ß", "ss")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        folded = folded.replace(umlaut, plain)
    folded = unicodedata.normalize("NFKD", folded)
    return re.sub(r"[^a-z0-9]", "", folded)


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "invoice_no": ("Belegnummer", "Beleg-Nr.", "Belegnr", "Beleg", "Rechnungsnr", "Rechnungsnummer",
                   "Rechnung", "RE-Nr", "RG-Nr", "Rechnungs-Nr.", "OP-Nr", "Invoice No",
                   "Invoice number", "Invoice", "Invoice id", "Document number", "Document no",
                   "Doc no"),
    "customer_id": ("Debitor", "Debitor-Nr", "Debitorennummer", "Kunden-Nr", "Kundennummer",
                    "Kunde", "Kontonummer", "Konto", "Customer", "Customer no", "Customer number",
                    "Customer id", "Account", "Account no", "Debtor", "Debtor no"),
    "invoice_date": ("Belegdatum", "Rechnungsdatum", "RE-Datum", "Datum", "Invoice date",
                     "Document date", "Date"),
    "due_date": ("Fälligkeit", "Fällig am", "Fällig", "Nettofälligkeit", "Fälligkeitsdatum",
                 "Netto fällig", "Due date", "Due", "Net due date"),
    "amount": ("Betrag", "Brutto", "Bruttobetrag", "Rechnungsbetrag", "Soll", "Amount",
               "Gross amount", "Invoice amount", "Original amount"),
    "open": ("Offen", "Offener Betrag", "Restbetrag", "OP-Betrag", "Offener Posten",
             "Open amount", "Open", "Outstanding", "Amount open", "Remaining amount"),
    # not "Haben": in open-item lists it holds credit notes as often as payments
    "paid": ("Bezahlt", "Gezahlt", "Zahlungen", "Paid", "Paid amount", "Payments"),
    "currency": ("Währung", "WKZ", "Währungskennzeichen", "Currency", "Curr", "CCY"),
    "credit_for": ("Gutschrift zu", "Bezugsbeleg", "Credit for", "Original invoice"),
    "reference": ("Buchungstext", "Referenz", "Text", "Belegtext", "Bemerkung", "Reference",
                  "Description", "Memo"),
    "name": ("Name", "Kundenname", "Debitorname", "Firma", "Name 1", "Customer name",
             "Company", "Debtor name"),
    "address": ("Anschrift", "Adresse", "Address"),
    "email": ("E-Mail", "Email", "Mail", "E-Mail-Adresse", "Email address"),
    "iban": ("IBAN", "Kunden-IBAN", "Customer IBAN"),
}


def _synonym_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in (INVOICES, CUSTOMERS):  # the workbook's own headers, both languages
        for column in spec.columns:
            if column.key in LEDGER_KEYS:
                for label in (column.de, column.en, column.key):
                    table.setdefault(header_token(label), column.key)
    for key, names in _SYNONYMS.items():
        for name in names:
            table.setdefault(header_token(name), key)
    return table


SYNONYMS = _synonym_table()
_CURRENCY_SUFFIX = re.compile(r"(eur|euro|usd|chf|gbp|inwaehrung|incurrency)$")


@dataclass(frozen=True)
class ImportProfile:
    """How to read one ERP's export when the synonyms do not fit (a Settings mapping table)."""

    name: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # ledger key -> header in the file
    sheet: str | None = None
    date_order: str | None = None  # 'DMY' or 'MDY' for columns whose dates do not tell
    decimal_comma: bool | None = None  # for amount columns whose values do not tell

    def key_for(self, header: object) -> str | None:
        token = header_token(header)
        for key, name in self.columns.items():
            if header_token(name) == token:
                return key
        return None


_TRUE = {"ja", "yes", "true", "1", "x", "wahr"}


def profile_from_rows(rows: Iterable[Sequence[object]]) -> dict[str, ImportProfile]:
    """Profiles from a (profile name, ledger key, header in the file) table.

    The option keys ``sheet``, ``date_order`` (DMY/MDY) and ``decimal_comma`` (yes/no) take
    their value from the third cell. Blank rows are skipped; an unknown key is an error the user
    can fix, so it raises with the row and the keys that exist."""
    found: dict[str, dict[str, object]] = {}
    for number, row in enumerate(rows, start=1):
        cells = [None if c is None else str(c).strip() for c in list(row)[:3]] + [None] * 3
        name, key, value = cells[:3]
        if not name and not key:
            continue
        key = (key or "").casefold()
        if not name or not value or key not in (*LEDGER_KEYS, *PROFILE_OPTIONS):
            raise ArbookError(
                f"Import mapping row {number}: need a profile name, one of the keys "
                f"{', '.join(LEDGER_KEYS + PROFILE_OPTIONS)} and a header; got {row!r} / "
                f"Importzuordnung Zeile {number}: Profilname, Schlüssel und Spaltenkopf angeben")
        entry = found.setdefault(name, {"columns": {}})
        if key == "date_order":
            if value.upper() not in ("DMY", "MDY"):
                raise ArbookError(f"Import mapping row {number}: date_order is DMY or MDY, "
                                  f"not {value!r} / Datumsreihenfolge ist DMY oder MDY")
            entry["date_order"] = value.upper()
        elif key == "decimal_comma":
            entry["decimal_comma"] = value.casefold() in _TRUE
        elif key == "sheet":
            entry["sheet"] = value
        else:
            entry["columns"][key] = value
    return {name: ImportProfile(name=name, **entry) for name, entry in found.items()}


# ------------------------------------------------------------------------------- CSV text

_ENCODINGS = ("utf-8", "cp1252", "latin-1")
_C1_OR_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 with BOM, UTF-8, cp1252, latin-1.

    An encoding is taken only if the bytes decode strictly and the text looks like text (no
    control characters, no C1 codes that cp1252 would have mapped to letters). Binary data is
    refused with a message, not turned into garbage rows."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if b"\x00" in data[:4096]:
        raise ArbookError("This file is not a text (CSV) file: it contains binary data. "
                          "Export the open items as CSV or XLSX / Keine CSV-Datei (Binärdaten)")
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding, errors="strict")
        except UnicodeDecodeError:
            continue
        if not _C1_OR_CONTROL.search(text):
            return text, encoding
    raise ArbookError("This file's text encoding is not UTF-8, Windows-1252 or Latin-1; "
                      "export it as UTF-8 / Zeichenkodierung nicht erkannt, als UTF-8 exportieren")


def utf8_lines(data: bytes) -> list[int]:
    """Line numbers (1-based) that are valid UTF-8 with non-ASCII characters: in a file read
    as Windows-1252 they show where someone appended UTF-8 text (umlauts garbled there)."""
    found = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            continue
        found.append(number)
    return found


DELIMITERS = (";", ",", "\t", "|")


def sniff_delimiter(text: str, sample_lines: int = 60) -> str:
    """The delimiter that splits the most lines into the same number (>1) of fields.

    Counting per line (not per file) keeps preamble lines and German decimal commas from
    winning: '1.234,56' adds commas to some lines, never the same number to all of them."""
    lines = [line for line in text.splitlines() if line.strip()][:sample_lines]
    best, best_score = ";", (0, 0)
    for delimiter in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        widths = [c for c in counts if c > 1]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        score = (widths.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_rows(text: str, delimiter: str) -> list[list[str]]:
    return [list(row) for row in csv.reader(text.splitlines(), delimiter=delimiter)]


# --------------------------------------------------------------------------- the ledger


_FORMULA_START = re.compile(r"^[\s\x00-\x1f]*[=+\-@]|^[\t\r\n]")


def looks_like_formula(text: object) -> bool:
    """Would Excel (or a CSV opened in it) run this text as a formula? Leading '=', '+', '-',
    '@', also after whitespace, or a leading tab / carriage return."""
    return isinstance(text, str) and bool(_FORMULA_START.match(text))


def neutralise_formula(text: str) -> str:
    """A safe form of ``text`` for places where text may be re-read as input (a CSV export, a
    cell the user edits and confirms): leading control characters dropped and a zero-width
    space (U+200B) put before a formula sign, so nothing visible changes and no apostrophe lands
    in the data.

    The workbook writer does not need this for its own cells: it must write imported text as a
    text cell (``t="s"`` shared string or ``t="inlineStr"``) and never as ``<f>``. In OOXML only
    the ``<f>`` element is a formula; a string cell's value is shown as it is and never
    evaluated, whatever it starts with, so that alone makes the file safe to open."""
    if not looks_like_formula(text):
        return text
    stripped = text.lstrip("\t\r\n\x00")
    if stripped.lstrip()[:1] in ("=", "+", "-", "@"):
        return "\u200b" + stripped
    return stripped


@dataclass
class ImportedLedger:
    """An export as a typed frame: one row per invoice, with the row number users see."""

    frame: pd.DataFrame  # ledger keys (money as <key>_cents int64) and 'row'
    problems: list[Problem]
    headers: dict[str, str]  # ledger key -> header as found in the file
    file: str = ""
    sheet: str = ""
    header_row: int = 0
    encoding: str = ""
    delimiter: str = ""

    @property
    def rows(self) -> np.ndarray:
        return self.frame["row"].to_numpy()

    def info(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.INFO]

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]


def _map_header(row: Sequence[object], profile: ImportProfile | None) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for index, cell in enumerate(row):
        if not isinstance(cell, str) or not cell.strip():
            continue
        key = profile.key_for(cell) if profile else None
        if key is None:
            token = header_token(cell)
            key = SYNONYMS.get(token) or SYNONYMS.get(_CURRENCY_SUFFIX.sub("", token))
        if key and key not in mapping.values():
            mapping[index] = key
    return mapping


def find_header(rows: Sequence[Sequence[object]],
                profile: ImportProfile | None = None) -> tuple[int, dict[int, str]] | None:
    """Index of the header row among the first rows, and column index -> ledger key.

    The header is the row naming the most ledger columns that has an invoice number and an
    amount (or open amount); title rows, merged title cells and preambles name fewer."""
    best: tuple[int, dict[int, str]] | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping = _map_header(row, profile)
        keys = set(mapping.values())
        if "invoice_no" not in keys or not keys & {"amount", "open"}:
            continue
        if best is None or len(mapping) > len(best[1]):
            best = (index, mapping)
    return best


_TOTALS = re.compile(r"^\s*(summe|gesamt|total|totals|saldo|sum|endsumme|zwischensumme)\b",
                     re.IGNORECASE)


def _skip_reason(row: Sequence[object], mapping: dict[int, str],
                 header_tokens: list[str], header_starts: str) -> str | None:
    cells = list(row)
    filled = [c for c in cells if c is not None and str(c).strip()]
    if not filled:
        return "empty line / Leerzeile"
    number = next((cells[i] for i, k in mapping.items() if k == "invoice_no"
                   and i < len(cells)), None)
    # 'Summe' leading the row or standing in the number column; a customer called
    # 'Total Energies' further right does not make a totals row
    if isinstance(filled[0], str) and _TOTALS.match(filled[0]) and (
            number is None or not str(number).strip() or _TOTALS.match(str(number))):
        return "totals row / Summenzeile"
    if len(filled) == len(header_tokens) and isinstance(filled[0], str) \
            and filled[0].strip()[:1].casefold() in header_starts \
            and [header_token(c) for c in filled] == header_tokens:
        return "repeated header / wiederholte Kopfzeile"
    ids = [cells[i] for i, k in mapping.items() if k in ("invoice_no", "customer_id")
           and i < len(cells)]
    if all(c is None or not str(c).strip() for c in ids):
        return "no invoice number or customer, only amounts (a totals row?) / keine Belegnummer"
    return None


def invoice_text(value: object) -> str | None:
    """An id cell as text exactly as exported; a number cell like 42.0 becomes '42'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def ledger_from_rows(rows: Sequence[Sequence[object]], profile: ImportProfile | None = None,
                     file: str = "", sheet: str = "", first_row: int = 1) -> ImportedLedger:
    """The typed ledger of one table of cells; ``first_row`` is the number users see for
    ``rows[0]``. Raises ArbookError when no header row can be found."""
    found = find_header(rows, profile)
    if found is None:
        raise ArbookError(
            f"{file or 'The export'}: no header row with an invoice number and an amount column "
            f"in the first {HEADER_SCAN_ROWS} rows; add the headers to the import mapping in "
            "Settings / keine Kopfzeile mit Belegnummer und Betrag gefunden; Zuordnung in den "
            "Einstellungen ergänzen")
    header_index, mapping = found
    header = rows[header_index]
    headers = {key: str(header[i]).strip() for i, key in mapping.items()}
    problems: list[Problem] = []

    def problem(message: str, row: int | None = None, key: str = "",
                severity: Severity = Severity.ERROR) -> None:
        problems.append(Problem(message, sheet=sheet, row=row, column=headers.get(key, key),
                                file=file, severity=severity))

    problem(f"header found in row {first_row + header_index}: "
            + ", ".join(f"{h} -> {k}" for k, h in headers.items()),
            row=first_row + header_index, severity=Severity.INFO)
    unused = [str(c).strip() for i, c in enumerate(header)
              if i not in mapping and c is not None and str(c).strip()]
    if unused:
        problem("columns not imported (no ledger column of that name; map them in Settings "
                "if needed): " + ", ".join(unused), row=first_row + header_index,
                severity=Severity.INFO)
    header_tokens = [header_token(c) for c in header if c is not None and str(c).strip()]
    header_starts = "".join({str(c).strip()[:1].casefold() for c in header if c is not None})
    kept: list[Sequence[object]] = []
    numbers: list[int] = []
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 1):
        reason = _skip_reason(row, mapping, header_tokens, header_starts)
        if reason:
            problem(f"skipped: {reason}", row=first_row + offset, severity=Severity.INFO)
            continue
        kept.append(row)
        numbers.append(first_row + offset)
    row_numbers = np.asarray(numbers, dtype=np.int64)

    def column(key: str) -> list[object]:
        index = next((i for i, k in mapping.items() if k == key), None)
        if index is None:
            return [None] * len(kept)
        return [row[index] if index < len(row) else None for row in kept]

    def report(key: str, result: ColumnResult) -> None:
        for i, message in result.cell_errors:
            problem(message, row=int(row_numbers[i]), key=key)
        for message, positions in result.column_errors:
            rows_text = ", ".join(str(row_numbers[i]) for i in positions[:20])
            more = " …" if len(positions) > 20 else ""
            problem(f"{message} (rows {rows_text}{more})", key=key)
        for message, _ in result.notes:
            problem(message, key=key, severity=Severity.INFO)

    data: dict[str, object] = {"row": row_numbers}
    for key in (*TEXT_KEYS, *CUSTOMER_KEYS):
        if key in headers or key in TEXT_KEYS:
            data[key] = np.array([invoice_text(v) for v in column(key)], dtype=object)
    for key in DATE_KEYS:
        result = parse_date_column(column(key), profile.date_order if profile else None)
        report(key, result)
        data[key] = result.values
    money: dict[str, ColumnResult] = {}
    for key in MONEY_KEYS:
        if key in headers:
            money[key] = parse_amount_column(column(key),
                                             profile.decimal_comma if profile else None)
            report(key, money[key])
    data["amount_cents"], data["paid_cents"] = _amount_and_paid(money, row_numbers, problem)
    frame = pd.DataFrame(data)
    for key in data:
        if key in TEXT_KEYS or key in CUSTOMER_KEYS:
            frame[key] = frame[key].astype(object)
    frame = _checked(frame, problem, headers)
    return ImportedLedger(frame=frame.reset_index(drop=True), problems=problems,
                          headers=headers, file=file, sheet=sheet,
                          header_row=first_row + header_index)


def _amount_and_paid(money: dict[str, ColumnResult], rows: np.ndarray, problem):
    """Amount and paid in cents; with only an open column, paid = amount - open."""
    zeros = np.zeros(len(rows), dtype=np.int64)
    amount = money.get("amount")
    if "paid" in money:
        paid = money["paid"].values
        if "open" in money and amount is not None:
            off = np.flatnonzero(amount.values - paid != money["open"].values)
            for i in off:
                problem("amount - paid differs from the open amount; paid is taken as "
                        "exported / Betrag - Bezahlt ungleich Offen", row=int(rows[i]),
                        key="open", severity=Severity.WARNING)
    elif "open" in money and amount is not None:
        paid = amount.values - money["open"].values
    else:
        paid = zeros
    if amount is None:  # only an open amount: that is what is owed
        problem("no amount column; the open amount is taken as the amount",
                key="open", severity=Severity.INFO)
        return money["open"].values.copy(), zeros.copy()
    return amount.values.copy(), np.asarray(paid, dtype=np.int64).copy()


def _checked(frame: pd.DataFrame, problem, headers: dict[str, str]) -> pd.DataFrame:
    """Rows without an invoice number and duplicate numbers are reported and left out; text
    that Excel would run as a formula is flagged (kept as exported, see neutralise_formula)."""
    missing = frame["invoice_no"].isna()
    for row in frame.loc[missing, "row"]:
        problem("no invoice number; row left out / keine Belegnummer", row=int(row),
                key="invoice_no")
    frame = frame[~missing]
    duplicate = frame["invoice_no"].duplicated(keep="first")
    for row, number in frame.loc[duplicate, ["row", "invoice_no"]].itertuples(index=False):
        first = int(frame.loc[frame["invoice_no"] == number, "row"].iloc[0])
        problem(f"invoice number {number} already in row {first}; this row is left out / "
                "doppelte Belegnummer", row=int(row), key="invoice_no")
    frame = frame[~duplicate]
    for key in headers:
        if key not in frame.columns or frame[key].dtype != object:
            continue
        flagged = frame[key].str.match(_FORMULA_START.pattern).fillna(False).astype(bool)
        for row, value in frame.loc[flagged, ["row", key]].itertuples(index=False):
            if looks_like_formula(value):
                problem(f"'{value}' starts like a formula; it is kept as text and must be "
                        "written as a text cell / beginnt wie eine Formel",
                        row=int(row), key=key, severity=Severity.WARNING)
    return frame


def customer_rows(ledger: ImportedLedger) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per customer id with the export's name / address / email / IBAN (the first
    non-blank value), for upserting the Customers sheet; differing values are warned."""
    keys = [k for k in CUSTOMER_KEYS if k in ledger.frame.columns]
    frame = ledger.frame[ledger.frame["customer_id"].notna()]
    problems: list[Problem] = []
    for key in keys:
        values = frame[["customer_id", key, "row"]].dropna(subset=[key])
        counts = values.groupby("customer_id")[key].nunique()
        for customer in counts[counts > 1].index:
            row = int(values.loc[values["customer_id"] == customer, "row"].iloc[1])
            problems.append(Problem(
                f"customer {customer} has more than one {key} in the export; the first is "
                "used / mehrere Werte für einen Kunden", sheet=ledger.sheet, row=row,
                column=ledger.headers.get(key, key), file=ledger.file,
                severity=Severity.WARNING))
    grouped = frame.groupby("customer_id", sort=True)[keys].first() if keys else \
        pd.DataFrame(index=pd.Index(sorted(frame["customer_id"].unique()), name="customer_id"))
    return grouped.reset_index(), problems
