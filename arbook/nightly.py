"""The nightly batch: inbox imports, refresh, reminders and the weekly review, in one safe run.

What a scheduler needs: one command, a lock so two runs never overlap, a log file with the time
of each step, and exit codes it understands:

- 0 done; 1 done, but data problems were found (see the Problems sheet and the log);
- 2 failed (the message says why; the workbook is as it was before the run);
- 3 the workbook is open in Excel (or another run holds the lock): nothing was written to
  it. The inbox is imported and the ledger refreshed in memory only, so reminders (still
  drafted or sent, and journaled) leave out what today's statement paid; the files stay in the
  inbox, and the next run imports them and writes the journal into the workbook.

All steps run on one open workbook, saved once at the end (``_Night``): what must follow the
save (journal records of imported files and bank entries, the review snapshot and email, moving
inbox files to the archive) runs only after it, so a crash at any point is put right by the next
run.

Inbox files are recognised by content (a bank statement or an ERP open-item export, whatever
their names), imported, then moved to ``inbox/archive/<date>/``; a file that is neither, or
whose import failed, goes to ``inbox/failed/<date>/`` with a ``.why.txt`` beside it.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from arbook import imports, jobs
from arbook import remind as remind_job
from arbook import review as review_job
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.schema import INVOICES, SETTINGS
from arbook.core.settings import Settings, settings_from_pairs
from arbook.io.bank import read_statements
from arbook.io.erp_import import read_export
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.package import check_writable, lock_file_for

EXIT_DONE, EXIT_PROBLEMS, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_DE = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")
Progress = Callable[[str], None]
STEPS = ("read", "import", "refresh", "reminders", "review", "save")


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


def read_inbox_file(path: Path) -> tuple[str | None, str, object]:
    """'bank' or 'invoices' by content (not by name), or None and the reason why; with what
    was read (statements and their problems, or the open-item export), so that the import does
    not read the file again."""
    statements, problems = read_statements(path)
    if statements:
        return "bank", "", (statements, problems)
    try:
        ledger = read_export(path)
    except ArbookError as exc:
        return None, f"{exc}", None
    if len(ledger.frame) and "invoice_no" in ledger.frame.columns:
        return "invoices", "", ledger
    reasons = [p.message for p in problems[:2]] + [p.message for p in ledger.errors()[:2]]
    return None, ("neither a bank statement nor an open-item export: "
                  + "; ".join(reasons or ["no statement and no invoice rows found"])), None


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
        self.current = ""
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
        number = len(self.result.steps) + 1
        self.current = f"[{number}/{len(STEPS)}] {name}"
        self.progress(self.current)
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

    def detail(self, message: str) -> None:
        """What the current step is doing (a job's own progress), after the step's number."""
        self.progress(f"{self.current}: {message}")

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
    """All steps on one open workbook, saved once at the end (see the module docstring)."""
    excel_lock = lock_file_for(book)
    if excel_lock is not None:
        result.workbook_locked = True
        run.log.warning("%s is open in Excel (%s): nothing is written to it", book.name,
                        excel_lock.name)
    else:
        try:
            check_writable(book)
        except ArbookError as exc:
            run.result.error = str(exc)
            run.log.error("%s", exc)
            return
    files = inbox_files(inbox, settle_seconds)
    locked = result.workbook_locked
    if locked:
        result.waiting = [f.name for f in files]
    with WorkbookFile(book) as wb, _fewer_collections():
        night = _Night(result, wb, book, as_of, inbox, run.detail)
        settings = night.settings()
        if not run.step("read", night.read):
            return
        send = send if send is not None else (
            (settings.extra.get("nightly_send") or "").strip().casefold()
            in ("yes", "ja", "true", "1", "x"))
        in_excel = "the workbook is open in Excel"
        # Open in Excel: import and refresh still run, in memory only, so that today's
        # payments keep their payers from being reminded; nothing is saved, the files stay.
        if not run.step("import", lambda: night.import_inbox(files),
                        skip="" if files else "the inbox is empty"):
            return
        if not run.step("refresh", night.refresh):
            return
        if not run.step("reminders", lambda: night.remind(send)):
            return
        weekday = settings.extra.get("review_weekday", "monday")
        if not run.step("review", lambda: night.review(send), skip=in_excel if locked else (
                "" if review_due(as_of, weekday) else f"the review runs on {weekday}s")):
            return
        run.step("save", night.save, skip=in_excel if locked else "")


class _Night:
    """The steps of one night on one open workbook; nothing reaches the disk before ``save``.

    What must follow the save (the journal's records of imported files, bank entries and the
    review snapshot, the review email, moving inbox files to the archive) is collected on the
    way and run by ``save``. A crash before the save leaves the workbook as it was and the files
    in the inbox; the next run imports them again, and the reminders already issued are in the
    journal, so none is issued twice.
    """

    def __init__(self, result: NightlyResult, book: WorkbookFile, path: Path, as_of: date,
                 inbox: Path, progress: Progress):
        self.result, self.book, self.path, self.as_of, self.inbox = (
            result, book, path, as_of, inbox)
        self.progress = progress
        self.after_save: list[jobs.AfterSave] = []
        self.imported: list[Path] = []  # moved to the archive once saved
        self.review_done: review_job.ReviewResult | None = None

    def settings(self) -> Settings:
        settings, _ = settings_from_pairs(self.book.read_pairs(SETTINGS, "setting", "value"))
        return settings

    def read(self) -> str:
        """The ledger, scanned once: every step then reads it from memory."""
        self.book.prefetch(INVOICES)  # all columns: appending new invoices checks them all
        rows = len(self.book.read_table(INVOICES, keys=("invoice_no",)))
        return f"{self.book.name}: {rows} ledger rows"

    def import_inbox(self, files: list[Path]) -> str:
        result, day = self.result, self.as_of.isoformat()
        kinds: dict[str, list[Path]] = {"invoices": [], "bank": []}
        content: dict[Path, object] = {}
        locked = result.workbook_locked
        for file in files:
            kind, why, content[file] = read_inbox_file(file)
            if kind is None:
                if not locked:  # else it waits in the inbox like the others
                    _fail(result, file, self.inbox, day, why)
            else:
                kinds[kind].append(file)
        added = updated = 0
        for file in kinds["invoices"]:  # invoices first: payments then find their invoices
            try:
                done = imports.import_invoices_book(self.book, self.path, file, as_of=self.as_of,
                                                    progress=self.progress, refresh=False,
                                                    save=False, ledger=content[file])
            except imports.FileRejected as exc:  # raised before anything was written
                if not locked:
                    _fail(result, file, self.inbox, day, str(exc))
                continue
            added, updated = added + done.added, updated + done.updated
            result.problems += done.problems
            self.after_save += done.after_save
            self.imported.append(file)
        applied = queued = 0
        if kinds["bank"]:
            done = imports.import_bank_book(self.book, self.path, kinds["bank"],
                                            as_of=self.as_of, progress=self.progress,
                                            refresh=False, save=False,
                                            read=lambda f: content.get(f) or read_statements(f))
            result.problems += done.problems
            self.after_save += done.after_save
            applied, queued = len(done.applied()), len(done.queued())
            self.imported += kinds["bank"]
        return (f"{len(self.imported)} files read ({added} invoices added, {updated} "
                f"updated; {applied} payments applied, {queued} to assign), "
                + ("in memory only: the workbook is open in Excel, the files stay in the inbox"
                   if locked else f"{len(result.failed)} failed"))

    def refresh(self) -> str:
        done = jobs.refresh_book(self.book, self.path, self.as_of, progress=self.progress,
                                 extra_problems=self.result.problems, save=False,
                                 keep_frames=True)  # the reminders use them, then drop them
        self.result.refresh = done
        self.result.problems = list(done.problems)
        return (f"{done.rows} rows, {done.rows_changed} changed, {len(done.problems)} problems"
                + ("; in memory only" if self.result.workbook_locked else ""))

    def remind(self, send: bool) -> str:
        locked = self.result.workbook_locked
        refreshed = self.result.refresh
        frames = refreshed.frames if refreshed is not None else None
        done = remind_job.remind_book(self.book, self.path, self.as_of, send_mail=send,
                                      progress=self.progress, write_book=not locked,
                                      save=False, frames=frames)
        if refreshed is not None:
            refreshed.frames = None  # a million rows' frames: not kept past their use
        self.result.reminders = done
        self._add_problems(done.problems)
        return (f"{done.count('drafted')} drafted, {done.count('sent')} sent, "
                f"{done.count('failed')} failed, {len(done.plan.escalations)} escalations"
                + ("; the workbook gets them on the next run" if locked else ""))

    def review(self, send: bool) -> str:
        done = review_job.review_book(self.book, self.path, self.as_of, send_email=send,
                                      progress=self.progress, save=False)
        self.review_done = done
        self._add_problems(done.problems)
        self.after_save += done.after_save
        return "Review sheet written" + ("; the summary follows the save" if done.message
                                         else "")

    def save(self) -> str:
        """One save; then the journal records, the review email and the archive."""
        lang = (self.result.refresh.settings.language if self.result.refresh else "de")
        self.book.write_problems([p if p.file else p.at_file(self.book.name)
                                  for p in self.result.problems],
                                 lang)  # every step's problems, not only the last step's
        gc.collect()  # the steps' frames left in reference cycles: freed before the patch
        self.book.save()
        for action in self.after_save:
            action()
        day = self.as_of.isoformat()
        for file in self.imported:
            _move(file, self.inbox / "archive" / day)
            self.result.archived.append(file.name)
        review = self.review_done
        where = (f"; review summary in {review.outbox_file}" if review is not None
                 and review.outbox_file else "")
        return (f"{self.book.name} saved, {len(self.result.archived)} inbox files archived"
                + where + ("; summary sent" if review is not None and review.sent else ""))

    def _add_problems(self, problems: list[Problem]) -> None:
        known = {(p.message, p.row) for p in self.result.problems}
        self.result.problems += [p for p in problems if (p.message, p.row) not in known]


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the night with Python's cycle collector started less often.

    A night makes millions of small objects that live to its end (cells, letter lines), and
    the collector's passes over them cost about a tenth of the run (measured at 100k rows).
    Nothing of that is garbage before the run ends; the old thresholds come back after it.
    """
    before = gc.get_threshold()
    gc.freeze()  # the modules and tables loaded so far are never garbage
    gc.set_threshold(200_000, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _move(file: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    n = 2
    while target.exists():
        target = folder / f"{file.stem}-{n}{file.suffix}"
        n += 1
    shutil.move(str(file), target)
    return target


def _fail(result: NightlyResult, file: Path, inbox: Path, day: str, why: str) -> None:
    moved = _move(file, inbox / "failed" / day)
    moved.with_name(moved.name + ".why.txt").write_text(why + "\n", encoding="utf-8")
    result.failed.append((file.name, why))


def summary_json(result: NightlyResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str)


def now_text() -> str:
    return datetime.now().strftime("%H:%M:%S")
