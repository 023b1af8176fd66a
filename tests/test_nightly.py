"""arbook nightly and arbook demo: inbox, steps, lock, open workbook, exit codes, schedules."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from datetime import date
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from filelock import FileLock

from arbook import demo, nightly
from arbook.cli import main
from arbook.io import workbook_file
from arbook.io.journal import Journal
from arbook.sample import make_sample
from tests.bank_extdata import folder
from tests.test_remind import smtp_server

TODAY = date(2026, 11, 27)  # a Friday
ROOT = Path(__file__).resolve().parents[1]


def rows(path: Path, table: str) -> list[dict]:
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    t = book.get_table_by_name(table)
    return [dict(zip(t.columns, r, strict=True)) for r in t.to_python()]


@pytest.fixture
def demo_book(tmp_path):
    """A sample book with an inbox holding an ERP export, a statement and a junk file."""
    from arbook import jobs

    book = tmp_path / "OP.xlsx"
    jobs.init_book(book, "de", 120, 1, TODAY)
    sample = make_sample(120, 1, TODAY)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "export.csv").write_bytes(demo.erp_export(sample, TODAY).encode("cp1252"))
    open_eur = [i for i in sample.invoices if i["paid_cents"] == 0 and i["amount_cents"] > 0
                and i["currency"] == "EUR"]
    (inbox / "auszug.dat").write_text(demo.camt053(open_eur[:3], sample, TODAY),
                                      encoding="utf-8")  # a name that says nothing
    (inbox / "notes.txt").write_text("Einkaufsliste: Milch, Brot\n", encoding="utf-8")
    return book


def test_classify_by_content_not_by_name(tmp_path, demo_book):
    inbox = demo_book.parent / "inbox"
    assert nightly.read_inbox_file(inbox / "auszug.dat")[0] == "bank"
    assert nightly.read_inbox_file(inbox / "export.csv")[0] == "invoices"
    kind, why, _content = nightly.read_inbox_file(inbox / "notes.txt")
    assert kind is None and why
    real = folder("camt-genkgo-tests") / "camt053.v2.minimal.xml"
    assert nightly.read_inbox_file(real)[0] == "bank"


def test_a_night_imports_archives_refreshes_and_drafts(demo_book):
    result = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert [s.name for s in result.steps] == list(nightly.STEPS)
    assert [s.name for s in result.steps] == ["read", "import", "refresh", "reminders", "review",
                                              "save"]
    assert [s.status for s in result.steps] == ["ok", "ok", "ok", "ok", "skipped", "ok"]
    inbox = demo_book.parent / "inbox"
    assert sorted(result.archived) == ["auszug.dat", "export.csv"]
    assert sorted(p.name for p in (inbox / "archive" / TODAY.isoformat()).iterdir()) == \
        ["auszug.dat", "export.csv"]
    failed = inbox / "failed" / TODAY.isoformat()
    assert (failed / "notes.txt").exists() and (failed / "notes.txt.why.txt").read_text()
    assert result.exit_code == nightly.EXIT_PROBLEMS  # a failed inbox file is a data problem
    payments = [p for p in rows(demo_book, "tblPayments") if str(p["Quelle"]).startswith("Bank")]
    assert len(payments) == 3
    assert result.reminders is not None and result.reminders.count("drafted") > 0
    log = result.log_file.read_text(encoding="utf-8")
    for step in ("import:", "refresh:", "reminders:", "review: skipped", "save:"):
        assert step in log
    assert re.search(r"refresh: \d+\.\d\d s", log)
    summary = json.loads(nightly.summary_json(result))
    assert summary["exit_code"] == 1 and summary["inbox"]["failed"][0]["file"] == "notes.txt"


def test_workbook_open_in_excel_writes_nothing_keeps_the_inbox_and_catches_up(demo_book):
    lock = demo_book.with_name("~$" + demo_book.name)
    lock.write_text("owner")
    before = demo_book.read_bytes()
    result = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert result.exit_code == nightly.EXIT_LOCKED
    assert demo_book.read_bytes() == before
    assert sorted(result.waiting) == ["auszug.dat", "export.csv", "notes.txt"]
    drafted = result.reminders.count("drafted")
    assert drafted > 0  # reminders still go out, recorded in the journal
    with Journal.for_book(demo_book) as journal:
        assert len(journal.reminders()) == drafted
    lock.unlink()
    later = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert later.exit_code in (nightly.EXIT_DONE, nightly.EXIT_PROBLEMS)
    assert sorted(later.archived) == ["auszug.dat", "export.csv"]
    assert len(rows(demo_book, "tblReminders")) >= drafted  # the journal, now in the book
    assert later.reminders.count("drafted") == 0  # and nothing drafted twice


def test_open_in_excel_the_reminders_still_leave_out_what_today_s_statement_paid(demo_book):
    from arbook import remind

    copy = demo_book.with_name("plan.xlsx")
    shutil.copy2(demo_book, copy)
    plan = remind.remind(copy, TODAY, dry_run=True)
    items = [(p.customer.id, i) for p in plan.reminders for i in p.decision.items
             if i.currency == "EUR"][:2]
    assert items, "the sample has reminders to plan"
    inbox = demo_book.parent / "inbox"
    for name in ("auszug.dat", "export.csv", "notes.txt"):
        (inbox / name).unlink()
    paid = [{"invoice_no": i.invoice_no, "customer_id": cid, "amount_cents": i.open_cents}
            for cid, i in items]
    (inbox / "statement.xml").write_text(demo.camt053(paid, make_sample(120, 1, TODAY), TODAY),
                                         encoding="utf-8")
    lock = demo_book.with_name("~$" + demo_book.name)
    lock.write_text("owner")
    before = demo_book.read_bytes()
    result = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert result.exit_code == nightly.EXIT_LOCKED and demo_book.read_bytes() == before
    assert result.waiting == ["statement.xml"] and (inbox / "statement.xml").exists()
    with Journal.for_book(demo_book) as journal:
        reminded = {n for r in journal.reminders() for n in r.invoice_nos}
    assert reminded, "the other reminders still go out"
    assert not reminded & {p["invoice_no"] for p in paid}  # paid today: not reminded
    lock.unlink()
    later = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert later.archived == ["statement.xml"]
    applied = [p for p in rows(demo_book, "tblPayments") if str(p["Quelle"]).startswith("Bank")]
    assert sorted(p["Rechnungsnr."] for p in applied) == sorted(p["invoice_no"] for p in paid)


def test_two_runs_never_overlap(demo_book):
    with FileLock(str(demo_book.with_name(f".{demo_book.name}.arbook-run.lock"))):
        result = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert result.exit_code == nightly.EXIT_LOCKED and "another arbook run" in result.error
    assert result.steps == []


def test_review_day_and_files_still_being_written(demo_book):
    assert nightly.review_due(date(2026, 11, 30), "monday")
    assert nightly.review_due(date(2026, 12, 2), "Mittwoch")
    assert not nightly.review_due(TODAY, "monday")
    inbox = demo_book.parent / "inbox"
    assert nightly.inbox_files(inbox, settle_seconds=3600) == []  # all just written


def test_cli_json_and_exit_code(demo_book):
    out = CliRunner().invoke(main, ["nightly", str(demo_book), "--as-of", "2026-11-27",
                                    "--json"])
    assert out.exit_code == 1, out.output
    summary = json.loads(out.output[out.output.index("{"):])
    assert summary["steps"][1]["name"] == "import" and summary["as_of"] == "2026-11-27"


def test_demo_builds_imports_and_drafts(tmp_path):
    result = demo.run_demo(tmp_path / "demo", today=TODAY)
    run = result.run
    assert sorted(run.archived) == ["Kontoauszug-camt053.xml", "OP-Liste-ERP.csv"]
    assert run.reminders.count("drafted") > 0
    assert list((tmp_path / "demo" / "outbox" / TODAY.isoformat()).glob("*.eml"))
    queue = rows(result.book, "tblBankQueue")
    assert [q["Auftraggeber"] for q in queue] == ["Max Mustermann"]
    with pytest.raises(Exception, match="already holds a demo"):
        demo.run_demo(tmp_path / "demo", today=TODAY)


def _doc_commands() -> list[str]:
    text = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"```\w*\n(.*?)```", text, flags=re.S))
    found = re.findall(r"(\S*[/\\]arbook(?:\.exe)? nightly [^\"\n>]*)", blocks)
    return [c.removeprefix("ExecStart=").lstrip('"').strip() for c in found]


def test_documented_schedules_run_as_written(demo_book):
    commands = _doc_commands()
    assert len(commands) >= 4  # cron (2), systemd, schtasks
    text = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    for line in re.findall(r"^(\S+ \S+ \S+ \S+ \S+)  ", text, flags=re.M):
        assert len(line.split()) == 5  # a cron time spec
    assert "OnCalendar=" in text and "ExecStart=" in text
    for command in commands:
        args = shlex.split(command.replace("\\", "/"))
        assert Path(args[0]).name in ("arbook", "arbook.exe") and args[1] == "nightly"
        book_arg = args[2]
        assert book_arg.endswith(".xlsx")
        options = [a for a in args[3:]]
        if "--send" in options:  # no SMTP server here: the documented options parse and run
            options.remove("--send")
        out = CliRunner().invoke(main, ["nightly", str(demo_book), "--as-of", "2026-11-27",
                                        *options])
        assert out.exit_code in (0, 1), (command, out.output)


def test_on_review_day_the_review_is_written(demo_book):
    monday = date(2026, 11, 30)
    result = nightly.nightly(demo_book, monday, settle_seconds=0)
    (review,) = [s for s in result.steps if s.name == "review"]
    assert review.status == "ok", review.summary
    book = python_calamine.CalamineWorkbook.from_path(str(demo_book))
    sheet = book.get_sheet_by_name("Review").to_python()
    assert any("DSO" in str(cell) for row in sheet for cell in row)


def all_tables(path: Path) -> dict[str, list]:
    """Every Excel table's cells as a reader sees them (what "changes nothing" compares)."""
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    return {name: book.get_table_by_name(name).to_python() for name in book.table_names}


def night_outcome(book: Path) -> dict:
    """What a completed night leaves behind, to compare an interrupted run with a clean one."""
    inbox = book.parent / "inbox"
    with Journal.for_book(book) as journal:
        reminders = sorted((r.customer_id, r.stage_no, r.state.value)
                           for r in journal.reminders())
    return {
        "payments": sorted((str(p["Quelle"]), p["Betrag"]) for p in rows(book, "tblPayments")
                           if str(p["Quelle"]).startswith("Bank")),
        "journal": reminders,
        "reminders sheet": len(rows(book, "tblReminders")),
        "drafts": len(list((book.parent / "outbox" / TODAY.isoformat()).glob("*.eml"))),
        "archived": sorted(p.name for p in (inbox / "archive" / TODAY.isoformat()).iterdir()),
        "left in inbox": sorted(p.name for p in inbox.iterdir() if p.is_file()),
        "ledger": all_tables(book)["tblInvoices"],
    }


def test_a_night_saves_the_workbook_once(demo_book, monkeypatch):
    saves = []
    real = workbook_file.replace_atomically

    def counted(path, write):
        saves.append(path)
        return real(path, write)

    monkeypatch.setattr(workbook_file, "replace_atomically", counted)
    export = demo_book.parent / "inbox" / "export.csv"
    text = export.read_bytes().decode("cp1252").replace(
        "Summe;", "RE-BAD-1;K10001;X;31.02.2026;05.01.2027;12,00;12,00;EUR\r\nSumme;")
    export.write_bytes(text.encode("cp1252"))  # a date the import reports
    result = nightly.nightly(demo_book, date(2026, 11, 30), settle_seconds=0)  # review day
    assert [s.status for s in result.steps] == ["ok"] * 6, result.steps
    assert saves == [demo_book]
    shown = {(row[1], row[5]) for row in all_tables(demo_book)["tblProblems"]}
    assert any(file == "export.csv" and "31.02.2026" in text for file, text in shown)
    assert any(file == "OP.xlsx" and "due date" in text for file, text in shown)
    assert len(shown) == len(result.problems)  # every step's problems, each once


@pytest.fixture
def smtp_book(demo_book):
    with smtp_server(demo_book) as server:
        yield demo_book, server


def test_the_same_night_twice_changes_nothing_and_sends_nothing(smtp_book):
    book, server = smtp_book
    inbox = book.parent / "inbox"
    first = nightly.nightly(book, TODAY, send=True, settle_seconds=0)
    sent = first.reminders.count("sent")
    assert sent > 0 and len(server.messages) == sent
    after_first = all_tables(book)
    for name in ("auszug.dat", "export.csv"):  # the same files delivered again
        shutil.copy2(inbox / "archive" / TODAY.isoformat() / name, inbox / name)
    second = nightly.nightly(book, TODAY, send=True, settle_seconds=0)
    assert second.exit_code in (nightly.EXIT_DONE, nightly.EXIT_PROBLEMS), second.error
    assert second.reminders.count("sent") == 0 and len(server.messages) == sent
    now = all_tables(book)
    # the Problems sheet reports the run: today's letters' problems are not repeated when no
    # letter is written, and nothing new appears
    assert {tuple(r) for r in now.pop("tblProblems")} <= {
        tuple(r) for r in after_first.pop("tblProblems")}
    assert now == after_first


KILLED_AFTER = {
    "the import": "nightly._Night.refresh = die",
    "the refresh": "nightly._Night.remind = die",
    "the reminders (drafted, journaled, not saved)": "nightly._Night.save = die",
    "the save, before the journal records": """
        save = WorkbookFile.save
        def saved_then_die(self):
            save(self)
            die()
        WorkbookFile.save = saved_then_die
    """,
    "the journal records, before the inbox is archived": """
        move = nightly._move
        def move_or_die(file, folder):
            if "archive" in str(folder):
                die()
            return move(file, folder)
        nightly._move = move_or_die
    """,
}
CHILD = """
import os, signal, sys
from datetime import date
from arbook import nightly
from arbook.io.workbook_file import WorkbookFile
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
{patch}
nightly.nightly(sys.argv[1], date.fromisoformat(sys.argv[2]), settle_seconds=0)
print("done")
"""


@pytest.mark.parametrize("where", list(KILLED_AFTER))
def test_killed_after_each_step_the_next_night_completes_the_work(demo_book, tmp_path, where):
    clean = tmp_path / "clean"
    shutil.copytree(demo_book.parent, clean, ignore=shutil.ignore_patterns("clean"))
    nightly.nightly(clean / demo_book.name, TODAY, settle_seconds=0)
    expected = night_outcome(clean / demo_book.name)

    child = CHILD.format(patch=textwrap.dedent(KILLED_AFTER[where]))
    proc = subprocess.run([sys.executable, "-c", child, str(demo_book), TODAY.isoformat()],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == -signal.SIGKILL and "done" not in proc.stdout, proc.stderr
    with zipfile.ZipFile(demo_book) as package:  # readable, whatever the moment
        assert package.testzip() is None
    assert rows(demo_book, "tblInvoices")
    later = nightly.nightly(demo_book, TODAY, settle_seconds=0)
    assert later.exit_code in (nightly.EXIT_DONE, nightly.EXIT_PROBLEMS), later.error
    assert night_outcome(demo_book) == expected


def test_reminders_from_the_refresh_s_frames_equal_those_worked_out_afresh(demo_book):
    """The nightly hands the refresh's typed, aged ledger to the reminders; the plan is the
    one the reminder job works out on its own from the same book."""
    from arbook import jobs, remind
    from arbook.io.workbook_file import WorkbookFile

    def plan(result):
        return ([(p.customer.id, p.stage_no, p.decision.items, p.claims)
                 for p in result.reminders],
                sorted((s.customer_id, str(s)) for s in result.plan.skipped),
                sorted(p.message for p in result.problems))

    with WorkbookFile(demo_book) as book:
        refreshed = jobs.refresh_book(book, demo_book, TODAY, save=False, keep_frames=True)
        assert refreshed.frames is not None
        shared = remind.remind_book(book, demo_book, TODAY, dry_run=True,
                                    frames=refreshed.frames)
        afresh = remind.remind_book(book, demo_book, TODAY, dry_run=True)
    assert plan(shared)[0], "the sample has reminders"
    assert plan(shared) == plan(afresh)
