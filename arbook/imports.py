"""Money in: ERP open-item exports into the ledger, bank statements into payments.

``import_invoices`` upserts by invoice number: new invoices are appended, the imported (grey)
columns of known ones updated, the user's (yellow) columns never touched; with ``full`` an
invoice missing from the export is marked settled (paid = amount), never deleted.

``import_bank`` reads statements, matches their entries to open invoices and writes what was
matched to the Payments sheet; the rest waits on the queue sheet (Zuordnen / Assign) for the
user, whose assignment the next import honours. Never twice: every entry has a key (account,
bank reference, date, amount). A payment row carries that key in its *Source* cell, and the
workbook is saved before the journal records the entry as applied, so whichever of the two a
crash interrupts, the next run finds the key and applies nothing again.

Both end with a refresh on the same workbook port, so open amounts and statuses are current
in the closed file (CLI) and in the book open in Excel (ribbon) alike. ``import_invoices_book``
and ``import_bank_book`` do the work on any port; the path-level functions open the file. With
``save=False`` they leave saving to the caller (the nightly batch saves once for all its steps)
and return, in ``after_save``, the journal records that must follow that save.

A file that cannot be imported (unreadable, no invoice rows, unknown profile) raises
``FileRejected`` before anything is written, so a caller can set that file aside and go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from arbook import jobs
from arbook.core.ageing import OUTSTANDING_INPUTS, outstanding
from arbook.core.bank import BankEntry, Statement
from arbook.core.cells import EPOCH_1900, ColumnValues, to_text, typed_frame
from arbook.core.importing import ImportedLedger, ImportProfile, customer_rows, profile_from_rows
from arbook.core.matching import SKONTO, Assignment, EntryMatch, match_payments
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.schema import (
    BANK_QUEUE,
    CUSTOMERS,
    IMPORT_MAP,
    INVOICES,
    PAYMENTS,
    SETTINGS,
    YES_NO,
)
from arbook.core.settings import settings_from_pairs
from arbook.io.bank import read_statements
from arbook.io.erp_import import read_export
from arbook.io.import_log import APPLIED, IGNORED, QUEUED, ImportLog, file_hash
from arbook.io.journal import Journal, journal_path
from arbook.io.port import WorkbookPort
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.package import check_writable

Progress = Callable[[str], None]
AGEING_INPUTS = jobs.AGEING_INPUTS
# Imported ledger columns an export may carry, with the frame column that holds each.
UPDATABLE = {"customer_id": "customer_id", "invoice_date": "invoice_date",
             "due_date": "due_date", "currency": "currency", "amount": "amount_cents",
             "paid": "paid_cents", "credit_for": "credit_for", "reference": "reference"}
SOURCE_PREFIX = "Bank "
AfterSave = jobs.AfterSave
StatementReader = Callable[[Path], tuple[list[Statement], list[Problem]]]


class FileRejected(ArbookError):
    """An import file that cannot be read as what it claims to be; nothing was written."""


def _checked(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise ArbookError(f"{path}: file not found. Create one with 'arbook init {path.name}'.")
    check_writable(path)
    return path


# -- ERP exports -----------------------------------------------------------------------------


@dataclass
class InvoiceImportResult:
    path: Path
    file: Path
    rows: int  # invoice rows in the export
    added: int = 0
    updated: int = 0
    settled: int = 0
    customers_added: int = 0
    already_imported: str = ""  # when the same file was imported before
    problems: list[Problem] = field(default_factory=list)
    after_save: list[AfterSave] = field(default_factory=list)  # with save=False: run after it


def _profile(book: WorkbookPort, name: str | None) -> ImportProfile | None:
    if name is None:
        return None
    if not book.has_table(IMPORT_MAP.name):
        raise FileRejected(f"{book.name} has no import mapping table ({IMPORT_MAP.name} on "
                           "the Settings sheet); create the workbook with a current arbook.")
    raw = book.read_table(IMPORT_MAP)
    texts = [to_text(raw.columns[k]) if k in raw.columns else [None] * len(raw)
             for k in ("profile", "field", "header")]
    profiles = profile_from_rows(zip(*texts, strict=True))
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise FileRejected(f"no import profile '{name}' on the Settings sheet (known: {known}). "
                           f"Add rows to {IMPORT_MAP.name}: profile, field, column in the file.")
    return profiles[name]


def _column_values(frame: pd.DataFrame, key: str) -> ColumnValues:
    """Export values in the form the sheet writer takes: serials, cents or text."""
    column = frame[UPDATABLE[key]]
    kind = INVOICES.column(key).kind
    if kind.value == "date":
        days = column.to_numpy(dtype="datetime64[D]")
        blank = np.isnat(days)
        serial = np.where(blank, 0, (days - EPOCH_1900).astype(np.int64))
        return ColumnValues.scaled(serial.astype(np.int64), 0, blank)
    if kind.value == "money":
        return ColumnValues.scaled(column.to_numpy(dtype=np.int64), 2)
    return ColumnValues.texts(column.to_numpy(dtype=object))


def import_invoices(path: Path, file: Path, profile: str | None = None, full: bool = False,
                    as_of: date | None = None, progress: Progress | None = None,
                    refresh: bool = True) -> InvoiceImportResult:
    """Upsert an ERP open-item export (CSV, XLSX, XLS) into the ledger, then refresh
    (``refresh=False``: just save, for a caller that refreshes once after several imports)."""
    path = _checked(path)
    with WorkbookFile(path) as book:
        return import_invoices_book(book, path, file, profile, full, as_of,
                                    progress or (lambda _msg: None), refresh)


def import_invoices_book(book: WorkbookPort, path: Path, file: Path, profile: str | None = None,
                         full: bool = False, as_of: date | None = None,
                         progress: Progress | None = None, refresh: bool = True,
                         save: bool = True, ledger: ImportedLedger | None = None
                         ) -> InvoiceImportResult:
    """``import_invoices`` on any workbook port; ``path`` places the journal.

    The refresh runs on the same port, so the book open in Excel shows current values too;
    it ends with ``save`` (``save=False``: see the module docstring). ``progress`` defaults to
    the port's own (Excel's status bar). ``ledger``: ``file`` as already read (without a
    profile), so a caller that looked into the file first does not read it twice.
    """
    file = Path(file)
    step = progress or book.progress
    sha = file_hash(file) if file.is_file() else ""
    step(f"reading {file.name}")
    settings, _ = settings_from_pairs(book.read_pairs(SETTINGS, "setting", "value"))
    try:
        if ledger is None or profile is not None:
            ledger = read_export(file, _profile(book, profile))
    except ArbookError as exc:
        if file.name in str(exc):
            raise FileRejected(str(exc)) from exc
        raise FileRejected(f"{file.name}: {exc} Nothing was imported.") from exc
    result = InvoiceImportResult(path, file, len(ledger.frame),
                                 problems=[p for p in ledger.problems
                                           if p.severity != Severity.INFO])
    _refuse_unreadable(ledger, file)
    with Journal.for_book(path) as journal:
        seen = ImportLog(journal).file_seen(sha, "invoices")
    if seen:
        result.already_imported = seen[1]
    step("updating the ledger")
    current = book.read_table(INVOICES, keys=("invoice_no", "amount"))
    frame = ledger.frame
    exported = set(frame["invoice_no"].tolist())
    # the ledger's numbers that the export has: a million lookups in a small set are cheaper
    # than a set of a million numbers
    known = {n for n in to_text(current.columns["invoice_no"]).tolist() if n in exported}
    known.discard(None)
    is_new = np.array([n not in known for n in frame["invoice_no"].tolist()], dtype=bool)
    columns = [k for k in UPDATABLE if UPDATABLE[k] in frame.columns]
    updates = frame[~is_new]
    if len(updates):
        book.read_table(INVOICES, write_keys=tuple(columns), keys=("invoice_no",))
        result.updated = book.write_computed(
            INVOICES, updates["invoice_no"].to_numpy(dtype=object),
            {k: _column_values(updates, k) for k in columns}, {}, keep_unkeyed=True)
    new_rows = [_ledger_row(rec, columns) for rec in frame[is_new].to_dict("records")]
    if new_rows:
        book.append_rows(INVOICES, new_rows)
    result.added = len(new_rows)
    if full:
        result.settled = _settle_missing(book, current, exported)
    result.customers_added = _add_customers(book, ledger, settings.language, result)

    def record() -> None:  # after the save: a crash before it re-imports, harmlessly
        with Journal.for_book(path) as journal:
            ImportLog(journal).record_file(sha, "invoices", file.name,
                                           f"{result.added} added, {result.updated} updated, "
                                           f"{result.settled} settled")

    result.after_save = _finish(book, path, as_of, step, result.problems, refresh, save,
                                [record])
    return result


def _finish(book: WorkbookPort, path: Path, as_of: date | None, step: Progress,
            problems: list[Problem], refresh: bool, save: bool,
            after: list[AfterSave]) -> list[AfterSave]:
    """End an import: refresh on the same port, save, then the journal records (or, with
    ``save=False``, return those for the caller to run after its save)."""
    if refresh:
        jobs.refresh_book(book, path, as_of, progress=step, extra_problems=problems, save=False)
    return jobs.save_then(book, save, after)


def _refuse_unreadable(ledger: ImportedLedger, file: Path) -> None:
    """A file without a recognisable header or without invoice rows changes nothing."""
    if len(ledger.frame) and "invoice_no" in ledger.frame.columns:
        return
    reasons = "; ".join(p.message for p in ledger.errors()[:3]) or "no invoice rows found"
    raise FileRejected(
        f"{file.name}: {reasons}. Nothing was imported. The file needs a header row with at "
        "least the invoice number (e.g. 'Rechnungsnr.' or 'Belegnummer'); for other headers "
        f"add an import profile ({IMPORT_MAP.name} on the Settings sheet) and use --profile.")


def _ledger_row(rec: dict, columns: list[str]) -> dict:
    row: dict[str, object] = {"invoice_no": rec["invoice_no"]}
    for key in columns:
        value = rec[UPDATABLE[key]]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if key in ("amount", "paid"):
            row[key] = Decimal(int(value)) / 100
        elif key in ("invoice_date", "due_date"):
            row[key] = pd.Timestamp(value).date()
        else:
            row[key] = str(value)
    return row


def _settle_missing(book: WorkbookPort, current, exported: set[str]) -> int:
    """--full: invoices the export no longer lists are paid (paid = amount), never deleted."""
    numbers = to_text(current.columns["invoice_no"])
    amounts = current.columns["amount"].numbers
    missing = [(n, a) for n, a in zip(numbers, amounts, strict=True)
               if n and n not in exported and not np.isnan(a)]
    if not missing:
        return 0
    book.read_table(INVOICES, write_keys=("paid",), keys=("invoice_no",))
    cents = np.array([round(a * 100) for _n, a in missing], dtype=np.int64)
    return book.write_computed(INVOICES, np.array([n for n, _a in missing], dtype=object),
                               {"paid": ColumnValues.scaled(cents, 2)}, {}, keep_unkeyed=True)


def _add_customers(book: WorkbookPort, ledger: ImportedLedger, lang: str,
                   result: InvoiceImportResult) -> int:
    """Customers the export names that the Customers sheet does not have yet."""
    frame, problems = customer_rows(ledger)
    result.problems += problems
    if frame.empty:
        return 0
    existing = book.read_table(CUSTOMERS, keys=("customer_id",))
    known = {c for c in to_text(existing.columns["customer_id"]) if c}
    rows = [{k: v for k, v in rec.items() if isinstance(v, str) and v}
            for rec in frame.to_dict("records") if rec["customer_id"] not in known]
    for row in rows:
        row["language"] = lang
    if rows:
        book.append_rows(CUSTOMERS, rows)
    return len(rows)


# -- bank statements -------------------------------------------------------------------------


@dataclass
class FileSummary:
    name: str
    statements: int = 0
    entries: int = 0
    new: int = 0
    already: int = 0  # entries applied or ignored before
    imported_before: str = ""  # the whole file, when


@dataclass
class BankImportResult:
    path: Path
    files: list[FileSummary]
    matches: list[EntryMatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reconciled: int = 0  # entries found on the Payments sheet that the journal lacked
    after_save: list[AfterSave] = field(default_factory=list)  # with save=False: run after it

    def applied(self) -> list[EntryMatch]:
        return [m for m in self.matches if not m.queued and m.rule != "ignored"]

    def queued(self) -> list[EntryMatch]:
        return [m for m in self.matches if m.queued]

    def ignored(self) -> list[EntryMatch]:
        return [m for m in self.matches if m.rule == "ignored"]


def entry_key(statement: Statement, entry: BankEntry) -> str:
    """Account, bank reference, date, amount: the same entry in another file or in an
    overlapping statement has the same key (references are unique per account)."""
    when = entry.booking_date or entry.value_date
    account = statement.account_iban or statement.id
    return f"{account}|{entry.entry_ref}|{when.isoformat() if when else ''}|{entry.amount_cents}"


def import_bank(path: Path, files: Sequence[Path], as_of: date | None = None,
                progress: Progress | None = None, refresh: bool = True) -> BankImportResult:
    """Read statements, match their entries, write payments and the queue, then refresh
    (``refresh=False``: just save)."""
    path = _checked(path)
    with WorkbookFile(path) as book:
        return import_bank_book(book, path, files, as_of, progress or (lambda _msg: None),
                                refresh)


def import_bank_book(book: WorkbookPort, path: Path, files: Sequence[Path],
                     as_of: date | None = None, progress: Progress | None = None,
                     refresh: bool = True, save: bool = True,
                     read: StatementReader = read_statements) -> BankImportResult:
    """``import_bank`` on any workbook port; ``path`` places the journal.

    The refresh runs on the same port and ends with ``save``; only then does the journal
    record the entries (see the module docstring), so a port's ``save`` must really save (the
    ribbon sets ``save_book`` on its ``XlwingsWorkbook``). With ``save=False`` the caller saves
    and then runs ``result.after_save``. ``progress`` defaults to the port's own. ``read``
    reads one file's statements (a caller that read them already passes its copies).
    """
    as_of = as_of or date.today()
    step = progress or book.progress
    result = BankImportResult(path, [])
    with Journal(journal_path(path)) as journal:
        log = ImportLog(journal)
        fresh, hashes = _fresh_entries(log, files, result, step, read)
        if not fresh:  # nothing new and nothing waiting: the workbook stays as it is
            for sha, name, summary in hashes:
                if sha and summary.statements:
                    log.record_file(sha, "bank", name, "no new entries")
            return result
        step("matching payments")
        done = _payments_sources(book)
        for key in [k for k in fresh if k in done]:  # applied, but the journal missed it
            log.record_entry(key, fresh.pop(key), APPLIED, "", [], "found on Payments")
            result.reconciled += 1
        settings, _ = settings_from_pairs(book.read_pairs(SETTINGS, "setting", "value"))
        lang = settings.language
        items, customers = _open_items(book, settings)
        assignments, typed = _assignments(book)
        matched = match_payments(fresh.values(), items, customers, as_of, assignments,
                                 home_currency=settings.home_currency)
        result.matches = matched.matches
        entries = {_match_key(e): e for e in fresh.values()}
        payment_rows = [row for m in result.applied()
                        for row in _payment_rows(m, entries[m.key])]
        if payment_rows:
            book.append_rows(PAYMENTS, payment_rows)
        if book.has_table(BANK_QUEUE.name):
            book.write_rows(BANK_QUEUE, _queue_lines(result.queued(), entries, typed, lang))
        elif result.queued():
            result.problems.append(Problem(
                f"{len(result.queued())} bank entries need assigning, but the workbook has "
                f"no queue sheet ({BANK_QUEUE.name}); they stay in the journal.",
                severity=Severity.WARNING))
        problems = [p if p.file else replace(p, file=book.name) for p in result.problems]
    records = [(m.key, entries[m.key],
                IGNORED if m.rule == "ignored" else (QUEUED if m.queued else APPLIED),
                m.customer_id or "", [a.__dict__ for a in m.allocations], m.reason(lang))
               for m in result.matches]

    def record() -> None:  # after the save: see the module docstring
        with Journal(journal_path(path)) as journal:
            log = ImportLog(journal)
            log.record_entries(records)
            for sha, name, summary in hashes:
                if sha:
                    log.record_file(sha, "bank", name, f"{summary.new} new entries")

    result.after_save = _finish(book, path, as_of, step, problems, refresh, save, [record])
    return result


def _fresh_entries(log: ImportLog, files: Sequence[Path], result: BankImportResult,
                   step: Progress, read: StatementReader
                   ) -> tuple[dict[str, BankEntry], list[tuple]]:
    """Entries not applied or ignored before, by key (queued ones included), and the files
    read with their hash, for the journal."""
    fresh: dict[str, BankEntry] = {}
    hashes = []
    for file in map(Path, files):
        step(f"reading {file.name}")
        summary = FileSummary(file.name)
        result.files.append(summary)
        sha = file_hash(file) if file.is_file() else ""
        seen = log.file_seen(sha, "bank") if sha else None
        if seen:
            summary.imported_before = seen[1]
            continue
        statements, problems = read(file)
        result.problems += problems
        summary.statements = len(statements)
        keyed = [(statement, entry, entry_key(statement, entry))
                 for statement in statements for entry in statement.entries]
        known = log.states(key for _s, _e, key in keyed)  # one look into the journal
        for statement, entry, key in keyed:
            summary.entries += 1
            if known.get(key, QUEUED) != QUEUED or key in fresh:
                summary.already += 1
                continue
            summary.new += 1
            # statement_id carries the key's account, so matching's key is ours
            fresh[key] = replace(entry, statement_id=statement.account_iban or statement.id)
        hashes.append((sha, file.name, summary))
    for record in log.queued():
        fresh.setdefault(record.key, record.entry)
    return fresh, hashes


def _match_key(entry: BankEntry) -> str:
    when = entry.booking_date or entry.value_date
    return "|".join((entry.statement_id, entry.entry_ref, when.isoformat() if when else "",
                     str(entry.amount_cents)))


def _payments_sources(book: WorkbookPort) -> set[str]:
    """Entry keys already on the Payments sheet (its Source cells)."""
    raw = book.read_table(PAYMENTS, keys=("source",))
    if "source" not in raw.columns:
        return set()
    return {s[len(SOURCE_PREFIX):].split("#", 1)[0] for s in to_text(raw.columns["source"])
            if s and s.startswith(SOURCE_PREFIX)}


def _open_items(book: WorkbookPort, settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger's open items for matching (and the customers). Only open amounts and due
    dates are needed, so only their inputs are read and no ageing is done (``outstanding``)."""
    customers, _ = typed_frame(book.read_table(CUSTOMERS), CUSTOMERS)
    payments, _ = typed_frame(book.read_table(PAYMENTS), PAYMENTS)
    raw = book.read_table(INVOICES, keys=OUTSTANDING_INPUTS)
    invoices, _ = typed_frame(raw, INVOICES, OUTSTANDING_INPUTS)
    found = outstanding(invoices, customers, payments, settings)
    # matching sees open items only: pick their rows first, then build the (small) frame
    rows = np.flatnonzero((found.open_cents > 0) & ~found.skipped)
    items = pd.DataFrame({
        "invoice_no": invoices["invoice_no"].to_numpy(dtype=object)[rows],
        "customer_id": invoices["customer_id"].to_numpy(dtype=object)[rows],
        "currency": found.currency[rows],
        "open_cents": found.open_cents[rows].astype(np.int64),
        "amount_cents": invoices["amount_cents"].to_numpy()[rows],
        "invoice_date": invoices["invoice_date"].to_numpy()[rows],
        "due_date": found.due[rows],
    })
    return items, customers


def _assignments(book: WorkbookPort) -> tuple[dict[str, Assignment], dict[str, tuple]]:
    """The user's decisions on the queue sheet, by entry key (and the cells as typed)."""
    if not book.has_table(BANK_QUEUE.name):
        return {}, {}
    raw = book.read_table(BANK_QUEUE, keys=("key", "assign_invoices", "assign_customer",
                                            "ignore"))
    cols = {k: to_text(raw.columns[k]) if k in raw.columns else [None] * len(raw)
            for k in ("key", "assign_invoices", "assign_customer", "ignore")}
    out, typed = {}, {}
    for key, invoices, customer, ignore in zip(*cols.values(), strict=True):
        if not key or not (invoices or customer or ignore):
            continue
        typed[key] = (invoices, customer, ignore)
        out[key] = Assignment.from_cells(invoices, customer, ignore)
    return out, typed


def _payment_rows(match: EntryMatch, entry: BankEntry) -> list[dict]:
    day = entry.booking_date or entry.value_date
    rows = []
    for i, allocation in enumerate(match.allocations, start=1):
        rows.append({
            "date": day, "customer_id": match.customer_id or "",
            "invoice_no": allocation.invoice_no or None,
            "amount": Decimal(allocation.cents) / 100, "currency": entry.currency,
            "reference": (f"Skonto: {entry.remittance}" if allocation.kind == SKONTO
                          else entry.remittance) or None,
            "source": f"{SOURCE_PREFIX}{match.key}#{i}",
        })
    return rows


def _queue_lines(queued: list[EntryMatch], entries: dict[str, BankEntry],
                 typed: dict[str, tuple], lang: str) -> list[list]:
    lines = []
    for m in queued:
        entry = entries[m.key]
        invoices, customer, ignore = typed.get(m.key, (None, None, None))
        suggestion = ", ".join(a.invoice_no for a in m.suggested if a.invoice_no)
        lines.append([
            entry.booking_date or entry.value_date, Decimal(entry.amount_cents) / 100,
            entry.currency, entry.counterparty_name or None, entry.counterparty_iban or None,
            entry.remittance or None, m.reason(lang), suggestion or None, invoices, customer,
            YES_NO[lang][0] if ignore else None, m.key,
        ])
    return lines
