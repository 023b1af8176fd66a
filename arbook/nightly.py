"""The nightly batch: inbox imports, refresh, reminders and the weekly review, in one safe run.

What a scheduler needs: one command, a lock so two runs never overlap, a log file with the time
of each step, and exit codes it understands:

- 0 done; 1 done, but data problems were found (see the Problems sheet and the log);
- 2 failed (the message says why; the workbook is as it was before the failing step);
- 3 the workbook is open in Excel (or another run holds the lock): nothing was written to
  it. Reminders are still drafted (or sent) and journaled; inbox files stay in the inbox; the
  next run imports them and writes the journal into the workbook.

Inbox files are recognised by content (a bank statement or an ERP open-item export, whatever
their names), imported, then moved to ``inbox/archive/<date>/``; a file that is neither, or
whose import failed, goes to ``inbox/failed/<date>/`` with a ``.why.txt`` beside it.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from arbook import imports, jobs
from arbook import remind as remind_job
from arbook import review as review_job
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.io.bank import read_statements
from arbook.io.erp_import import read_export
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.package import check_writable, lock_file_for

EXIT_DONE, EXIT_PROBLEMS, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_DE = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")
Progress = Callable[[str], None]


@dataclass
class Step:
    name: str
    seconds: float
    status: str  # ok, skipped, failed
    summary: str


@dataclass
class NightlyResult:
    book: Path
    as_of: date
    log_file: Path
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # inbox files left for the next run
    workbook_locked: bool = False
    error: str = ""
    reminders: remind_job.RemindResult | None = None
    refresh: jobs.RefreshResult | None = None

    @property
    def exit_code(self) -> int:
        if self.error and not self.workbook_locked:
            return EXIT_FAILED
        if self.workbook_locked:
            return EXIT_LOCKED
        if any(p.severity == Severity.ERROR for p in self.problems) or self.failed:
            return EXIT_PROBLEMS
        return EXIT_DONE

    def to_json(self) -> dict:
        return {
            "book": str(self.book), "as_of": self.as_of.isoformat(),
            "exit_code": self.exit_code, "workbook_locked": self.workbook_locked,
            "error": self.error, "log_file": str(self.log_file),
            "steps": [s.__dict__ for s in self.steps],
            "inbox": {"archived": self.archived, "waiting": self.waiting,
                      "failed": [{"file": f, "why": w} for f, w in self.failed]},
            "problems": {"errors": sum(p.severity == Severity.ERROR for p in self.problems),
                         "warnings": sum(p.severity == Severity.WARNING
                                         for p in self.problems)},
            "reminders": None if self.reminders is None else {
                "mode": self.reminders.mode,
                **{k: self.reminders.count(k) for k in ("drafted", "sent", "failed",
                                                         "not built")},
                "escalations": len(self.reminders.plan.escalations)},
        }


def classify(path: Path) -> tuple[str | None, str]:
    """'bank' or 'invoices' by content (not by name), or None with the reason."""
    statements, problems = read_statements(path)
    if statements:
        return "bank", ""
    try:
        ledger = read_export(path)
    except ArbookError as exc:
        return None, f"{exc}"
    if len(ledger.frame) and "invoice_no" in ledger.frame.columns:
        return "invoices", ""
    reasons = [p.message for p in problems[:2]] + [p.message for p in ledger.errors()[:2]]
    return None, ("neither a bank statement nor an open-item export: "
                  + "; ".join(reasons or ["no statement and no invoice rows found"]))


def inbox_files(inbox: Path, settle_seconds: float) -> list[Path]:
    """Files waiting in the inbox: not hidden, not Office temp files, not still being written."""
    if not inbox.is_dir():
        return []
    now = time.time()
    return sorted(p for p in inbox.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$"))
                  and not p.name.endswith(".why.txt")
                  and now - p.stat().st_mtime >= settle_seconds)


def review_due(as_of: date, weekday_text: str) -> bool:
    text = (weekday_text or "monday").strip().casefold()
    wanted = WEEKDAYS.index(text) if text in WEEKDAYS else (
        WEEKDAYS_DE.index(text) if text in WEEKDAYS_DE else 0)
    return as_of.weekday() == wanted


class _Run:
    """Timing and logging of the steps of one run."""

    def __init__(self, result: NightlyResult, progress: Progress):
        self.result = result
        self.progress = progress
        self.log = logging.getLogger(f"arbook.nightly.{id(self)}")
        self.log.setLevel(logging.INFO)
        self.log.propagate = False
        result.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.FileHandler(result.log_file, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self.log.addHandler(self.handler)

    def step(self, name: str, action: Callable[[], str], skip: str = "") -> bool:
        """Run one step; a skip reason records it as skipped. False if it failed."""
        if skip:
            self.result.steps.append(Step(name, 0.0, "skipped", skip))
            self.log.info("%s: skipped (%s)", name, skip)
            return True
        self.progress(name)
        start = time.perf_counter()
        try:
            summary = action()
        except (ArbookError, OSError) as exc:  # OSError: disk full or access lost mid-step
            seconds = time.perf_counter() - start
            self.result.steps.append(Step(name, round(seconds, 3), "failed", str(exc)))
            self.log.error("%s: failed after %.2f s: %s", name, seconds, exc)
            self.result.error = f"{name}: {exc}"
            return False
        seconds = time.perf_counter() - start
        self.result.steps.append(Step(name, round(seconds, 3), "ok", summary))
        self.log.info("%s: %.2f s, %s", name, seconds, summary)
        return True

    def close(self) -> None:
        self.log.removeHandler(self.handler)
        self.handler.close()


def nightly(book: Path, as_of: date | None = None, send: bool | None = None,
            inbox: Path | None = None, progress: Progress | None = None,
            settle_seconds: float = 30.0) -> NightlyResult:
    """One nightly run on BOOK; see the module docstring for what it does and its exit codes."""
    book = Path(book)
    as_of = as_of or date.today()
    if not book.exists():
        raise ArbookError(f"{book}: file not found. Create one with 'arbook init {book.name}'.")
    inbox = Path(inbox) if inbox else book.parent / "inbox"
    log_file = book.parent / "logs" / f"arbook-nightly-{as_of.isoformat()}.log"
    result = NightlyResult(book, as_of, log_file)
    lock = FileLock(str(book.with_name(f".{book.name}.arbook-run.lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        result.workbook_locked = True
        result.error = ("another arbook run is working on this workbook; this run did nothing. "
                        "Try again later.")
        return result
    run = _Run(result, progress or (lambda _msg: None))
    try:
        run.log.info("nightly run on %s as of %s", book.name, as_of.isoformat())
        _steps(run, result, book, as_of, send, inbox, settle_seconds)
        run.log.info("done: exit code %s", result.exit_code)
    finally:
        run.close()
        lock.release()
    return result


def _steps(run: _Run, result: NightlyResult, book: Path, as_of: date, send: bool | None,
           inbox: Path, settle_seconds: float) -> None:
    with WorkbookFile(book) as wb:  # the settings decide what runs
        from arbook.core.schema import SETTINGS
        from arbook.core.settings import settings_from_pairs

        settings, _ = settings_from_pairs(wb.read_pairs(SETTINGS, "setting", "value"))
    send = send if send is not None else (
        (settings.extra.get("nightly_send") or "").strip().casefold() in ("yes", "ja", "true",
                                                                          "1", "x"))
    lock = lock_file_for(book)
    if lock is not None:
        result.workbook_locked = True
        run.log.warning("%s is open in Excel (%s): nothing is written to it", book.name,
                        lock.name)
    else:
        try:
            check_writable(book)
        except ArbookError as exc:
            run.result.error = str(exc)
            run.log.error("%s", exc)
            return
    files = inbox_files(inbox, settle_seconds)
    locked = "the workbook is open in Excel; the files stay in the inbox" \
        if result.workbook_locked else ""
    if result.workbook_locked:
        result.waiting = [f.name for f in files]
    if not run.step("import", lambda: _import_inbox(result, book, files, inbox, as_of),
                    skip=locked or ("" if files else "the inbox is empty")):
        return
    if not run.step("refresh", lambda: _refresh(result, book, as_of),
                    skip="the workbook is open in Excel" if result.workbook_locked else ""):
        return
    if not run.step("reminders", lambda: _remind(result, book, as_of, send)):
        return
    weekday = settings.extra.get("review_weekday", "monday")
    run.step("review", lambda: _review(result, book, as_of, send),
             skip="the workbook is open in Excel" if result.workbook_locked else (
                 "" if review_due(as_of, weekday) else f"the review runs on {weekday}s"))


def _move(file: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    n = 2
    while target.exists():
        target = folder / f"{file.stem}-{n}{file.suffix}"
        n += 1
    shutil.move(str(file), target)
    return target


def _import_inbox(result: NightlyResult, book: Path, files: list[Path], inbox: Path,
                  as_of: date) -> str:
    day = as_of.isoformat()
    kinds: dict[str, list[Path]] = {"invoices": [], "bank": []}
    for file in files:
        kind, why = classify(file)
        if kind is None:
            _fail(result, file, inbox, day, why)
        else:
            kinds[kind].append(file)
    added = updated = 0
    for file in kinds["invoices"]:  # invoices first: payments then find their invoices
        try:
            done = imports.import_invoices(book, file, as_of=as_of, refresh=False)
        except ArbookError as exc:
            _fail(result, file, inbox, day, str(exc))
            continue
        added, updated = added + done.added, updated + done.updated
        result.problems += done.problems
        _move(file, inbox / "archive" / day)
        result.archived.append(file.name)
    applied = queued = 0
    if kinds["bank"]:
        try:
            done = imports.import_bank(book, kinds["bank"], as_of=as_of, refresh=False)
        except ArbookError as exc:
            for file in kinds["bank"]:
                _fail(result, file, inbox, day, str(exc))
        else:
            result.problems += done.problems
            applied, queued = len(done.applied()), len(done.queued())
            for file in kinds["bank"]:
                _move(file, inbox / "archive" / day)
                result.archived.append(file.name)
    return (f"{len(result.archived)} files imported ({added} invoices added, {updated} "
            f"updated; {applied} payments applied, {queued} to assign), "
            f"{len(result.failed)} failed")


def _fail(result: NightlyResult, file: Path, inbox: Path, day: str, why: str) -> None:
    moved = _move(file, inbox / "failed" / day)
    moved.with_name(moved.name + ".why.txt").write_text(why + "\n", encoding="utf-8")
    result.failed.append((file.name, why))


def _refresh(result: NightlyResult, book: Path, as_of: date) -> str:
    done = jobs.refresh(book, as_of, extra_problems=result.problems)
    result.refresh = done
    result.problems = list(done.problems)
    return f"{done.rows} rows, {done.rows_changed} changed, {len(done.problems)} problems"


def _remind(result: NightlyResult, book: Path, as_of: date, send: bool) -> str:
    done = remind_job.remind(book, as_of, send_mail=send,
                             write_book=not result.workbook_locked)
    result.reminders = done
    known = {(p.message, p.row) for p in result.problems}
    result.problems += [p for p in done.problems if (p.message, p.row) not in known]
    return (f"{done.count('drafted')} drafted, {done.count('sent')} sent, "
            f"{done.count('failed')} failed, {len(done.plan.escalations)} escalations"
            + ("; the workbook gets them on the next run" if result.workbook_locked else ""))


def _review(result: NightlyResult, book: Path, as_of: date, send: bool) -> str:
    done = review_job.review(book, as_of, send_email=send)
    known = {(p.message, p.row) for p in result.problems}
    result.problems += [p for p in done.problems if (p.message, p.row) not in known]
    where = f"summary in {done.outbox_file}" if done.outbox_file else "no summary file"
    return f"Review sheet written, {where}" + ("; sent" if done.sent else "")


def summary_json(result: NightlyResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str)


def now_text() -> str:
    return datetime.now().strftime("%H:%M:%S")
