"""Bank CSV exports into one Statement per file: encoding, delimiter, header, preamble, trailer.

CSV files carry no statement id; we derive a stable one from the account and the date range
(`csv:<account>:<first date>..<last date>`). Entry references are the bank's row id where the
file has one (PayPal), else a hash of the row's fields without the statement id, so the same row
in two overlapping exports gets the same reference.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date

from arbook.core.bank import BankEntry, Statement, format_cents, number_duplicates, stable_ref
from arbook.core.problems import Problem, Severity
from arbook.io.bank.csv_profiles import TARGOBANK, CsvProfile, match_profile, norm
from arbook.io.bank.values import (
    ValueProblem,
    amount_cents,
    decode_text,
    guess_date_order,
    guess_decimal_mark,
    parse_date,
    sepa_fields,
    tidy,
)

DELIMITERS = ";,\t|"
HEADER_SEARCH_ROWS = 40
IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{11,30})\b")
DATE_RE = re.compile(r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}$|^\d{4}-\d{2}-\d{2}")
PENDING_WORDS = ("vorgemerkt", "pending", "ausstehend")
Balance = tuple[int, date | None]  # cents and, where the file says it, the date



@dataclass
class Layout:
    profile: CsvProfile
    delimiter: str
    header_index: int | None  # index into rows; None for headerless files
    columns: dict[str, int]  # normalised header -> column index


def rows_of(text: str, delimiter: str) -> tuple[list[tuple[int, list[str]]], Problem | None]:
    """(line number, cells) for every row up to the first unreadable one, and its Problem."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        return out, Problem(f"CSV unreadable from here on ({exc}); the rest is ignored / "
                            "CSV ab hier nicht lesbar", row=start)
    return out, None


def find_layout(text: str, profile: CsvProfile | None
                ) -> tuple[Layout | None, list, Problem | None]:
    """Try the sniffed delimiter first, then the usual ones; the first with a known header wins."""
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ";"
    for delimiter in dict.fromkeys(sniffed + DELIMITERS):
        rows, broken = rows_of(text, delimiter)
        for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
            found = match_profile(cells, (profile,)) if profile else match_profile(cells)
            if found:
                columns = {}
                for i, cell in enumerate(cells):
                    columns.setdefault(norm(cell), i)
                return Layout(found, delimiter, index, columns), rows, broken
        if profile is None and looks_like_targobank(rows):
            columns = {name: i for i, name in enumerate(TARGOBANK.headerless)}
            return Layout(TARGOBANK, delimiter, None, columns), rows, broken
    return None, [], None


def looks_like_targobank(rows: list[tuple[int, list[str]]]) -> bool:
    cells = next((c for _, c in rows if any(x.strip() for x in c)), [])
    return (len(cells) == 7 and bool(DATE_RE.match(cells[0].strip()))
            and cells[6].strip().startswith("'"))


class RowReader:
    """Reads one field of a row by the profile's alternatives."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def index(self, names: tuple[str, ...]) -> int | None:
        columns = self.layout.columns
        return next((columns[norm(n)] for n in names if norm(n) in columns), None)

    def get(self, cells: list[str], names: tuple[str, ...]) -> str:
        i = self.index(names)
        return tidy(cells[i]) if i is not None and i < len(cells) else ""

    def joined(self, cells: list[str], names: tuple[str, ...]) -> str:
        return " ".join(p for p in (self.get(cells, (n,)) for n in names) if p)


def read_bank_csv(data: bytes, file: str, profile: CsvProfile | None = None
                  ) -> tuple[list[Statement], list[Problem]]:
    text = decode_text(data)
    layout, rows, broken = find_layout(text, profile)
    if layout is None:
        return [], [Problem("no known bank CSV layout found (header not recognised); pass a "
                            "column mapping for this bank / CSV-Format unbekannt", file=file)]
    statements, problems = Parser(layout, rows, file).parse()
    return statements, problems + ([broken.at_file(file)] if broken else [])


class Parser:
    """One pass over the rows: preamble facts, entries, trailer balances, then the checks."""

    def __init__(self, layout: Layout, rows: list[tuple[int, list[str]]], file: str):
        self.layout, self.file = layout, file
        self.p = layout.profile
        self.col = RowReader(layout)
        start = 0 if layout.header_index is None else layout.header_index + 1
        self.preamble = rows[:layout.header_index or 0]
        self.body = [(n, c) for n, c in rows[start:] if any(x.strip() for x in c)]
        self.problems: list[Problem] = []
        self.account = ""
        self.opening: Balance | None = None  # stated in a preamble or trailer row
        self.closing: Balance | None = None

    def problem(self, message: str, line: int | None, column: str = "",
                severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(message, row=line, column=column, file=self.file,
                                     severity=severity))

    def column_values(self, names: tuple[str, ...], rows: list) -> list[str]:
        return [v for _, c in rows if (v := self.col.get(c, names))]

    def parse(self) -> tuple[list[Statement], list[Problem]]:
        self.read_preamble()
        data_rows = self.data_rows()
        marks = {k: guess_decimal_mark(self.column_values(k, data_rows))
                 for k in (self.p.amount, self.p.debit, self.p.credit, self.p.running_balance)}
        order, ambiguous = guess_date_order(self.column_values(self.p.booking_date, data_rows))
        if ambiguous:
            self.problem("dates like 01/04/20 could be day or month first; read as day first "
                         "(Tag.Monat) / Datumsreihenfolge nicht eindeutig", None,
                         severity=Severity.WARNING)
        groups: dict[tuple[str, str], list[tuple[BankEntry, int | None]]] = {}
        for line, cells in data_rows:
            try:
                entry, account = self.entry(cells, line, marks, order)
            except ValueProblem as exc:
                width = max(self.layout.columns.values()) + 1
                short = (f" (the row has {len(cells)} fields, the header {width})"
                         if len(cells) != width and self.layout.header_index is not None else "")
                self.problem(f"{exc}{short}; row skipped / Zeile übersprungen", line)
                continue
            balance = self.running_balance(cells, line, marks)
            groups.setdefault((account, entry.currency), []).append((entry, balance))
        if not groups:
            self.problem("no bank entries in the file / keine Umsätze gefunden", None,
                         severity=Severity.WARNING)
            return [], self.problems
        if len(groups) > 1 and (self.opening or self.closing):
            self.problem("the file has several accounts or currencies; its stated balance is "
                         "not checked / mehrere Konten oder Währungen", None,
                         severity=Severity.WARNING)
        statements = []
        for (account, _), rows in groups.items():
            entries = [e for e, _ in rows]
            found = self.check_running_balance(entries, [b for _, b in rows])
            stated = (self.opening, self.closing) if len(groups) == 1 else (None, None)
            opening, closing = found or stated
            statements.append(self.statement(account, entries, opening, closing))
        return statements, self.problems

    def running_balance(self, cells: list[str], line: int, marks: dict) -> int | None:
        raw = self.col.get(cells, self.p.running_balance)
        try:
            return amount_cents(raw, marks[self.p.running_balance]) if raw else None
        except ValueProblem as exc:
            self.problem(f"running balance: {exc}", line, column="Saldo nach Buchung")
            return None

    def read_preamble(self) -> None:
        """Account IBAN, 'Kontostand vom ...', 'Saldo;...', 'Balance at end of period'."""
        for line, cells in self.preamble:
            self.balance_row(cells, line)
            for cell in cells:
                match = IBAN_RE.search(cell.replace(" ", ""))
                if match and not self.account:
                    self.account = match.group(1)

    def balance_row(self, cells: list[str], line: int) -> bool:
        """A row stating a balance (before the header or after the data); True when it did."""
        label = norm(cells[0]) if cells else ""
        values = [c for c in cells[1:] if c.strip()]
        if not values:
            return False
        kind = ("closing" if label.startswith(("kontostand", "saldo", "balance at end"))
                else "opening" if label.startswith("balance at start") else None)
        if kind is None:
            return False
        found = re.search(r"\d{1,2}\.\d{1,2}\.\d{2,4}", cells[0])
        try:
            cents = amount_cents(values[0], guess_decimal_mark([values[0]]))
            when = parse_date(found.group(0)) if found else None
        except ValueProblem as exc:
            self.problem(f"balance row: {exc}", line)
            return True
        setattr(self, kind, (cents, when))
        return True

    def data_rows(self) -> list[tuple[int, list[str]]]:
        """Rows with a date; balance rows and other trailers are taken apart from them."""
        rows = []
        for line, cells in self.body:
            if DATE_RE.match(self.col.get(cells, self.p.booking_date)):
                rows.append((line, cells))
            elif not self.balance_row(cells, line):
                self.problem("row without a booking date skipped / Zeile ohne Buchungsdatum "
                             "übersprungen", line, severity=Severity.WARNING)
        return rows

    def amount(self, cells: list[str], marks: dict) -> int:
        p, col = self.p, self.col
        raw = col.get(cells, p.amount)
        if raw:
            cents = amount_cents(raw, marks[p.amount])
            mark = col.get(cells, p.debit_credit_mark).upper()
            return -abs(cents) if mark in ("D", "S", "DBIT") else (
                abs(cents) if mark in ("C", "H", "CRDT") else cents)
        debit, credit = col.get(cells, p.debit), col.get(cells, p.credit)
        if not debit and not credit:
            raise ValueProblem("no amount / kein Betrag")
        cents = amount_cents(credit, marks[p.credit]) if credit else 0
        return cents - abs(amount_cents(debit, marks[p.debit])) if debit else cents

    def entry(self, cells: list[str], line: int, marks: dict, order: str
              ) -> tuple[BankEntry, str]:
        """The row's entry and the account it is booked on."""
        p, col = self.p, self.col
        cents = self.amount(cells, marks)
        booking = parse_date(col.get(cells, p.booking_date), order)
        value_text = col.get(cells, p.value_date)
        value = parse_date(value_text, order) if value_text else None
        remittance = col.joined(cells, p.remittance)
        sepa = sepa_fields(remittance)
        name = col.get(cells, p.name_col) or col.get(
            cells, p.name_when_in if cents >= 0 else p.name_when_out)
        iban = col.get(cells, p.iban).replace(" ", "") or sepa.get("IBAN", "")
        account = col.get(cells, p.account).strip("'") or self.account
        e2e = col.get(cells, p.end_to_end_id) or sepa.get("EREF", "")
        status = col.get(cells, p.status).lower()
        ref = col.get(cells, p.reference) or stable_ref(
            account, booking, value, cents, name, iban, remittance, e2e)
        return BankEntry(
            statement_id="", entry_ref=ref, booking_date=booking, value_date=value,
            amount_cents=cents, currency=col.get(cells, p.currency) or "EUR",
            counterparty_name=name, counterparty_iban=iban, remittance=remittance,
            end_to_end_id="" if e2e == "NOTPROVIDED" else e2e,
            mandate_ref=col.get(cells, p.mandate_ref) or sepa.get("MREF", ""),
            creditor_id=col.get(cells, p.creditor_id) or sepa.get("CRED", ""),
            bank_tx_code=col.get(cells, p.bank_tx_code),
            booked=not any(w in status for w in PENDING_WORDS),
            file=self.file, position=line,
        ), account

    def check_running_balance(self, entries: list[BankEntry], balances: list[int | None]
                              ) -> tuple[Balance, Balance] | None:
        """Each row's 'Saldo nach Buchung' = previous row's + this amount; the first break.

        Returns the (opening, closing) balances the column implies, or None without the column.
        """
        if not balances or any(b is None for b in balances):
            return None
        descending = entries[0].booking_date > entries[-1].booking_date
        order = list(range(len(entries)))[::-1] if descending else list(range(len(entries)))
        for prev, cur in zip(order, order[1:], strict=False):
            if balances[prev] + entries[cur].amount_cents != balances[cur]:
                self.problem(
                    f"running balance breaks: {format_cents(balances[prev])} + "
                    f"{format_cents(entries[cur].amount_cents)} != "
                    f"{format_cents(balances[cur])} / Saldo nach Buchung passt nicht",
                    entries[cur].position, column="Saldo nach Buchung")
                break
        first, last = order[0], order[-1]
        return ((balances[first] - entries[first].amount_cents, None),
                (balances[last], entries[last].booking_date))

    def statement(self, account: str, entries: list[BankEntry], opening: Balance | None,
                  closing: Balance | None) -> Statement:
        dates = [e.booking_date for e in entries if e.booking_date]
        start, end = min(dates), max(dates)
        sid = f"csv:{account or 'unknown-account'}:{start.isoformat()}..{end.isoformat()}"
        if len({e.currency for e in entries}) == 1 and entries[0].currency != "EUR":
            sid += f":{entries[0].currency}"
        refs = number_duplicates([e.entry_ref for e in entries])
        return Statement(
            id=sid, account_iban=account, currency=entries[0].currency,
            opening_cents=opening[0] if opening else None,
            closing_cents=closing[0] if closing else None,
            opening_date=(opening[1] or start) if opening else None,
            closing_date=(closing[1] or end) if closing else None,
            entries=tuple(replace(e, statement_id=sid, entry_ref=r)
                          for e, r in zip(entries, refs, strict=True)),
            file=self.file, format=f"csv:{self.p.name}",
        )
