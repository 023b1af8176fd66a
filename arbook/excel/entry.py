"""Python entry points of the ribbon buttons: ``RunPython "import arbook.excel.entry as e; ..."``.

One function per button (see ``arbook.excel.ribbon.BUTTONS``), each running the same job as
the CLI on the book open in Excel. What users can fix (``ArbookError``) is shown in a message
box; anything else is a bug and reaches xlwings' error window with its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from arbook import __version__, imports, jobs
from arbook import remind as remind_job
from arbook import review as review_job
from arbook.core.cells import to_text
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.schema import BANK_QUEUE, CUSTOMERS, INVOICES, JOURNEY, SETTINGS
from arbook.core.settings import settings_from_pairs
from arbook.excel.addin import current_platform
from arbook.excel.xlwings_port import XlwingsWorkbook
from arbook.review_text import KPI_ROWS

SHOWN_PROBLEMS = 8
R = TypeVar("R")
WORDS = {
    "de": {"problems": "Probleme (siehe Blatt Probleme)", "refreshed": "{n} Rechnungen "
           "aktualisiert, Stichtag {d:%d.%m.%Y}.", "errors": "Fehler", "none": "keine",
           "reminders": "Mahnungen {d:%d.%m.%Y}: {summary}.", "outbox": "Entwürfe in: {p}",
           "confirm": "{n} Mahnung(en) jetzt per E-Mail senden?",
           "cancelled": "Nicht gesendet.", "save": "Die Mappe ist geändert, aber nicht "
           "gespeichert."},
    "en": {"problems": "problems (see the Problems sheet)", "refreshed": "{n} invoices "
           "refreshed as of {d:%Y-%m-%d}.", "errors": "errors", "none": "none",
           "reminders": "Reminders {d:%Y-%m-%d}: {summary}.", "outbox": "Drafts in: {p}",
           "confirm": "Send {n} reminder(s) by email now?", "cancelled": "Nothing was sent.",
           "save": "The workbook is changed but not saved."},
}
IMPORT_WORDS = {
    "de": {"pick_invoices": "arbook: ERP-Export mit offenen Posten wählen",
           "pick_bank": "arbook: Kontoauszüge wählen (mehrere möglich)",
           "invoices": "{file}: {added} Rechnung(en) neu, {updated} aktualisiert, {settled} "
           "ausgeglichen, {customers} Kunde(n) neu.",
           "seen": "Diese Datei wurde schon am {when} importiert.",
           "bank": "{applied} Zahlung(en) gebucht, {queued} auf Blatt {queue} zuzuordnen, "
           "{ignored} ignoriert.",
           "file": "- {name}: {new} neu, {already} schon eingelesen",
           "file_seen": "- {name}: schon am {when} eingelesen",
           "nothing": "Nichts Neues; die Mappe ist unverändert.",
           "saved": "Die Mappe wurde gespeichert.",
           "mac": "Auf dem Mac bietet xlwings Excels Dateiauswahl nicht an. Bitte im Terminal: "
           "arbook import-invoices / arbook import-bank (Hilfe: --help)."},
    "en": {"pick_invoices": "arbook: choose an ERP open-item export",
           "pick_bank": "arbook: choose bank statements (several allowed)",
           "invoices": "{file}: {added} invoice(s) added, {updated} updated, {settled} "
           "settled, {customers} customer(s) added.",
           "seen": "This file was imported before, on {when}.",
           "bank": "{applied} payment(s) booked, {queued} to assign on sheet {queue}, "
           "{ignored} ignored.",
           "file": "- {name}: {new} new, {already} read before",
           "file_seen": "- {name}: read before, on {when}",
           "nothing": "Nothing new; the workbook is unchanged.",
           "saved": "The workbook was saved.",
           "mac": "On the Mac xlwings does not offer Excel's file dialog. Please use the "
           "terminal: arbook import-invoices / arbook import-bank (see --help)."},
}
# Excel's FileFilter: "label,patterns" pairs, separated by commas.
INVOICE_FILTER = ("ERP-Export (*.csv;*.txt;*.xlsx;*.xls;*.xlsm;*.ods),"
                  "*.csv;*.txt;*.xlsx;*.xls;*.xlsm;*.ods")
BANK_FILTER = ("camt / MT940 / CSV (*.xml;*.zip;*.sta;*.mt940;*.txt;*.csv),"
               "*.xml;*.zip;*.sta;*.mt940;*.txt;*.csv,* (*.*),*.*")
OUTCOMES = {"de": {"planned": "geplant", "drafted": "als Entwurf", "sent": "gesendet",
                   "already done": "heute schon erledigt", "failed": "fehlgeschlagen",
                   "not built": "ohne E-Mail-Adresse"},
            "en": {"planned": "planned", "drafted": "drafted", "sent": "sent",
                   "already done": "already done today", "failed": "failed",
                   "not built": "without email address"}}


def _run(job: Callable[[XlwingsWorkbook], Any], book: XlwingsWorkbook | None = None) -> Any:
    """Run a job on the active book; user-fixable errors become a message box."""
    port = book or XlwingsWorkbook.active()
    with port:
        try:
            return job(port)
        except ArbookError as exc:
            port.message(str(exc), title="arbook")
            return None


def problems_text(problems: list[Problem], lang: str) -> str:
    """The first problems with their place, for a message box."""
    if not problems:
        return ""
    words = WORDS[lang]
    errors = sum(1 for p in problems if p.severity == Severity.ERROR)
    lines = [f"{len(problems)} {words['problems']}, {errors} {words['errors']}:"]
    for p in problems[:SHOWN_PROBLEMS]:
        place = " ".join(part for part in (p.sheet, f"{p.column}{p.row or ''}".strip()) if part)
        lines.append(f"- {place}: {p.message}" if place else f"- {p.message}")
    if len(problems) > SHOWN_PROBLEMS:
        lines.append("...")
    return "\n".join(lines)


def _closing(lines: list[str], problems: list[Problem], lang: str) -> str:
    """A message: the result lines, the problems, the reminder to save."""
    return "\n\n".join(filter(None, ["\n".join(lines), problems_text(problems, lang),
                                     WORDS[lang]["save"]]))


def refresh(book: XlwingsWorkbook | None = None) -> jobs.RefreshResult | None:
    """Ribbon "Aktualisieren / Refresh"."""
    def job(port: XlwingsWorkbook) -> jobs.RefreshResult:
        result = jobs.refresh_book(port, port.path)
        lang = result.settings.language
        words = WORDS[lang]
        text = words["refreshed"].format(n=result.rows, d=result.as_of)
        port.message("\n\n".join(filter(None, [text, problems_text(result.problems, lang),
                                               words["save"]])))
        return result
    return _run(job, book)


def _language(port: XlwingsWorkbook) -> str:
    settings, _ = settings_from_pairs(port.read_pairs(SETTINGS, "setting", "value"))
    return settings.language


def _ask(port: XlwingsWorkbook, lang: str, file_filter: str, title: str,
         multiple: bool) -> list[Path]:
    """The files the user picks in Excel's dialog; Windows only (see ``ask_open_files``)."""
    if current_platform() == "macos":
        raise ArbookError(IMPORT_WORDS[lang]["mac"])
    return port.ask_open_files(file_filter, IMPORT_WORDS[lang][title], multiple)


def import_invoices(book: XlwingsWorkbook | None = None) -> imports.InvoiceImportResult | None:
    """Ribbon "Rechnungen importieren / Import invoices": an ERP export into the open book."""
    def job(port: XlwingsWorkbook) -> imports.InvoiceImportResult | None:
        path, lang = port.path, _language(port)  # an unsaved book is refused before asking
        files = _ask(port, lang, INVOICE_FILTER, "pick_invoices", multiple=False)
        if not files:
            return None
        result = imports.import_invoices_book(port, path, files[0])
        port.message(invoice_summary(result, lang))
        return result
    return _run(job, book)


def invoice_summary(result: imports.InvoiceImportResult, lang: str) -> str:
    words = IMPORT_WORDS[lang]
    lines = [words["invoices"].format(file=result.file.name, added=result.added,
                                      updated=result.updated, settled=result.settled,
                                      customers=result.customers_added)]
    if result.already_imported:
        lines.append(words["seen"].format(when=result.already_imported))
    return _closing(lines, result.problems, lang)


def import_bank(book: XlwingsWorkbook | None = None) -> imports.BankImportResult | None:
    """Ribbon "Kontoauszug einlesen / Import bank statement": statements into the open book.

    The book is saved before the journal marks entries applied (``save_book``), as the CLI
    saves the file first: a book closed without saving would otherwise lack payments that
    the journal never applies again.
    """
    def job(port: XlwingsWorkbook) -> imports.BankImportResult | None:
        path, lang = port.path, _language(port)
        files = _ask(port, lang, BANK_FILTER, "pick_bank", multiple=True)
        if not files:
            return None
        port.save_book = True
        result = imports.import_bank_book(port, path, files)
        port.message(bank_summary(result, lang))
        return result
    return _run(job, book)


def bank_summary(result: imports.BankImportResult, lang: str) -> str:
    words = IMPORT_WORDS[lang]
    lines = [words["bank"].format(applied=len(result.applied()), queued=len(result.queued()),
                                  ignored=len(result.ignored()), queue=BANK_QUEUE.sheet(lang))]
    for f in result.files:
        lines.append(words["file_seen"].format(name=f.name, when=f.imported_before)
                     if f.imported_before else
                     words["file"].format(name=f.name, new=f.new, already=f.already))
    changed = bool(result.matches or result.reconciled)
    lines.append(words["saved"] if changed else words["nothing"])
    return "\n\n".join(filter(None, ["\n".join(lines), problems_text(result.problems, lang)]))


def _remind(book: XlwingsWorkbook | None, dry_run: bool, send_mail: bool
            ) -> remind_job.RemindResult | None:
    def job(port: XlwingsWorkbook) -> remind_job.RemindResult | None:
        if send_mail:  # ask with the plan in hand: sending cannot be undone
            plan = remind_job.remind_book(port, port.path, dry_run=True)
            due = len(plan.reminders)
            if due and not port.confirm(WORDS[plan.lang]["confirm"].format(n=due)):
                port.message(WORDS[plan.lang]["cancelled"])
                return None
        result = remind_job.remind_book(port, port.path, dry_run=dry_run, send_mail=send_mail)
        port.message(remind_summary(result))
        return result
    return _run(job, book)


def remind_summary(result: remind_job.RemindResult) -> str:
    """What the reminder run did, one line per reminder, in the book's language."""
    lang = result.lang
    words, outcomes = WORDS[lang], OUTCOMES[lang]
    counts = {k: result.count(k) for k in outcomes if result.count(k)}
    summary = ", ".join(f"{n} {outcomes[k]}" for k, n in counts.items()) or words["none"]
    lines = [words["reminders"].format(d=result.as_of, summary=summary)]
    for p in result.reminders[:SHOWN_PROBLEMS]:
        lines.append(f"- {p.customer.id} {p.customer.name}: {p.decision.stage.name}")
    if result.outbox and result.count("drafted"):
        lines.append(words["outbox"].format(p=result.outbox / result.as_of.isoformat()))
    text = problems_text(result.problems, lang)
    return "\n".join(lines) + (f"\n\n{text}" if text else "")


def remind_preview(book: XlwingsWorkbook | None = None) -> remind_job.RemindResult | None:
    """Ribbon "Mahnungen: Vorschau / Preview": the plan, nothing written or sent."""
    return _remind(book, dry_run=True, send_mail=False)


def remind_draft(book: XlwingsWorkbook | None = None) -> remind_job.RemindResult | None:
    """Ribbon "Entwürfe / Draft": .eml drafts in the outbox, journaled."""
    return _remind(book, dry_run=False, send_mail=False)


def remind_send(book: XlwingsWorkbook | None = None) -> remind_job.RemindResult | None:
    """Ribbon "Senden / Send": by SMTP after the user confirms, journaled, never twice."""
    return _remind(book, dry_run=False, send_mail=True)


REVIEW_WORDS = {
    "de": {"review": "Review zum {d:%d.%m.%Y} auf Blatt Review geschrieben, Verlauf auf Blatt "
           "History, Checklisten geprüft.", "email": "Zusammenfassung (E-Mail-Entwurf): {p}",
           "journey_too": "Customer Journey von {c} auf Blatt Journey.",
           "checked": "Checklisten zum {d:%d.%m.%Y} geprüft: {ok} von {n} automatischen "
           "Prüfungen erfüllt (Spalte arbook-Prüfung).", "progress": "Fortschritt {done} von "
           "{of} Punkten erledigt ({pct} %), siehe Blatt Start.",
           "late": "{n} Punkt(e) überfällig.", "journey": "Customer Journey {c} {name}: {n} "
           "Ereignis(se) auf Blatt Journey.", "not_written": "Customer Journey {c} {name}: {n} "
           "Ereignis(se); die Mappe hat kein Blatt Journey, nichts geschrieben.",
           "no_customer": "Welcher Kunde? Eine Zeile auf dem Blatt Rechnungen oder Kunden "
           "auswählen oder die Kundennr. auf dem Blatt Journey in A2 eintragen."},
    "en": {"review": "Review as of {d:%Y-%m-%d} written to the Review sheet, history to the "
           "History sheet, checklists checked.", "email": "Summary (email draft): {p}",
           "journey_too": "Customer journey of {c} on the Journey sheet.",
           "checked": "Checklists checked as of {d:%Y-%m-%d}: {ok} of {n} automatic checks "
           "passed (column arbook check).", "progress": "Progress: {done} of {of} items done "
           "({pct} %), see the Start sheet.",
           "late": "{n} item(s) overdue.", "journey": "Customer journey {c} {name}: {n} "
           "event(s) on the Journey sheet.", "not_written": "Customer journey {c} {name}: {n} "
           "event(s); the workbook has no Journey sheet, nothing was written.",
           "no_customer": "Which customer? Select a row on the Invoices or Customers sheet, or "
           "type the customer id into A2 on the Journey sheet."},
}
SHOWN_KPIS = ("receivables", "overdue_share", "dso", "cei")


def _reported(book: XlwingsWorkbook | None, work: Callable[[XlwingsWorkbook], R],
              text: Callable[[R], str]) -> R | None:
    """Run ``work`` on the open book and show ``text`` of its result in a message box."""
    def job(port: XlwingsWorkbook) -> R:
        result = work(port)
        port.message(text(result))
        return result
    return _run(job, book)


def review_summary(book: XlwingsWorkbook | None = None) -> review_job.ReviewResult | None:
    """Ribbon "Kennzahlen / Review summary": ``arbook review`` on the open book (this week)."""
    return _reported(book, lambda port: review_job.review_book(port, port.path,
                                                               progress=port.progress),
                     review_text)


def review_text(result: review_job.ReviewResult) -> str:
    """The review's headline figures, checklist progress and problems, for a message box."""
    lang, words = result.lang, REVIEW_WORDS[result.lang]
    lines = [words["review"].format(d=result.as_of)]
    kpis = next(s for s in result.sections if s.key == "kpis")
    for key, row in zip(KPI_ROWS, kpis.rows, strict=True):
        if key in SHOWN_KPIS:
            lines.append(f"- {row[0]}: {row[1]}")
    lines.append(_progress_line(result.progress, lang))
    if result.journey_customer:
        lines.append(words["journey_too"].format(c=result.journey_customer))
    if result.outbox_file is not None:
        lines.append(words["email"].format(p=result.outbox_file))
    return _closing(lines, result.problems, lang)


def _progress_line(progress: list[tuple[str, int, int]], lang: str) -> str:
    done, of = sum(p[1] for p in progress), sum(p[2] for p in progress)
    pct = review_job.checklist_section(progress, lang).rows[-1][3]
    return REVIEW_WORDS[lang]["progress"].format(done=done, of=of, pct=pct if of else "–")


def check_checklist(book: XlwingsWorkbook | None = None
                    ) -> review_job.ChecklistResult | None:
    """Ribbon "Checkliste prüfen / Check checklist": only the automatic evidence on the
    checklist sheets and the progress on the Start sheet, not the whole review."""
    return _reported(book, lambda port: review_job.check_checklist_book(
        port, port.path, progress=port.progress), checklist_text)


def checklist_text(result: review_job.ChecklistResult) -> str:
    lang, words = result.lang, REVIEW_WORDS[result.lang]
    ok = sum(1 for e in result.evidence.values() if e.ok)
    lines = [words["checked"].format(d=result.as_of, ok=ok, n=len(result.evidence)),
             _progress_line(result.progress, lang)]
    if result.late:
        lines.append(words["late"].format(n=len(result.late)))
    return _closing(lines, result.problems, lang)


def customer_journey(book: XlwingsWorkbook | None = None) -> review_job.JourneyResult | None:
    """Ribbon "Customer Journey": the journey of the customer in the active cell's row
    (Invoices or Customers sheet), else of the one typed on the Journey sheet (A2)."""
    def job(port: XlwingsWorkbook) -> review_job.JourneyResult:
        customer = chosen_customer(port) or review_job.typed_customer(port)
        if not customer:
            raise ArbookError(REVIEW_WORDS[_language(port)]["no_customer"])
        result = review_job.journey_book(port, port.path, customer)
        written = port.has_table(JOURNEY.name)
        port.message(REVIEW_WORDS[result.lang]["journey" if written else "not_written"].format(
            c=result.customer, name=result.name, n=len(result.events)))
        return result
    return _run(job, book)


def chosen_customer(port: XlwingsWorkbook) -> str | None:
    """The customer id in the active cell's row, on the Invoices or Customers table."""
    selected = port.selected_row()
    if selected is None:
        return None
    sheet, row = selected
    for spec in (INVOICES, CUSTOMERS):
        if not port.has_table(spec.name) or port.table_sheet(spec.name) != sheet:
            continue
        raw = port.read_table(spec, keys=("customer_id",))
        hit = np.flatnonzero(raw.rows == row)
        if hit.size:
            value = to_text(raw.columns["customer_id"])[hit[0]]
            return str(value).strip() if value and str(value).strip() else None
    return None


def documentation(book: XlwingsWorkbook | None = None) -> None:
    """Ribbon "Dokumentation / Documentation": where the guides are."""
    _run(lambda port: port.message(
        "arbook: docs/excel.md (Excel), docs/reminders.md (Mahnungen / reminders), README.md.\n"
        "Kommandozeile / command line: arbook --help"), book)


def diagnostics(book: XlwingsWorkbook | None = None) -> None:
    """Ribbon "Diagnose / Diagnostics": the checks of 'arbook doctor' on this book."""
    from arbook.excel.doctor import check_addin, check_book, check_python, report

    def job(port: XlwingsWorkbook) -> None:
        checks = [*check_python(), *check_book(port)]
        if current_platform() in ("windows", "macos"):
            checks += check_addin(current_platform(), Path.home())
        port.message(report(checks), title="arbook doctor")
    _run(job, book)


def about(book: XlwingsWorkbook | None = None) -> None:
    """Ribbon "Über arbook / About"."""
    import sys

    import xlwings

    _run(lambda port: port.message(
        f"arbook {__version__}\nPython {sys.version.split()[0]}\nxlwings {xlwings.__version__}"),
        book)
