"""The SQLite journal: intents before actions, never twice, crash reconciliation."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from arbook.core.problems import ArbookError
from arbook.io.journal import Journal, State, journal_path, reminder_key

DAY = date(2026, 11, 26)


def intend(journal: Journal, customer="K1", stage=1, invoices=("A", "B"), day=DAY):
    return journal.intend(day=day, customer_id=customer, stage_no=stage, stage_name="Mahnung",
                          invoice_nos=invoices, totals={"EUR": 100_00}, interest={"EUR": 12},
                          fees={"EUR": 0}, channel="email", recipients="a@example.com")


def test_key_ignores_invoice_order_but_not_stage_day_or_items():
    base = reminder_key("K1", 2, ["A", "B"], DAY)
    assert base == reminder_key("K1", 2, ["B", "A"], DAY)
    assert base != reminder_key("K1", 3, ["A", "B"], DAY)
    assert base != reminder_key("K1", 2, ["A", "B"], date(2026, 11, 27))
    assert base != reminder_key("K1", 2, ["A"], DAY)
    assert base != reminder_key("K2", 2, ["A", "B"], DAY)


def test_journal_lives_beside_the_book(tmp_path):
    assert journal_path(tmp_path / "Offene Posten.xlsx") == tmp_path / "Offene Posten.arbook.db"


def test_same_reminder_twice_is_refused_even_in_a_new_process(tmp_path):
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        record = intend(journal)
        assert record is not None and record.state == State.INTENDED
        journal.mark(record, State.SENT, message_id="<m1@x>")
        assert intend(journal) is None
    with Journal(path) as journal:  # a later run, same day
        assert intend(journal) is None
        (only,) = journal.reminders()
        assert only.state == State.SENT and only.message_id == "<m1@x>"
        assert only.totals == {"EUR": 10000} and only.invoice_nos == ("A", "B")


def test_failed_reminder_is_tried_again(tmp_path):
    with Journal(tmp_path / "j.db") as journal:
        record = intend(journal)
        journal.mark(record, State.FAILED, error="550 mailbox unavailable")
        again = intend(journal)
        assert again is not None and again.id == record.id and again.state == State.INTENDED
        assert again.error == ""


def test_an_intent_left_by_a_killed_process_becomes_uncertain_and_is_not_repeated(tmp_path):
    path = tmp_path / "j.db"
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import date
        from arbook.io.journal import Journal
        j = Journal({str(path)!r})
        j.intend(day=date(2026, 11, 26), customer_id="K1", stage_no=1, stage_name="Mahnung",
                 invoice_nos=["A", "B"], totals={{"EUR": 10000}}, interest={{}}, fees={{}},
                 channel="email")
        os.kill(os.getpid(), signal.SIGKILL)  # dies before it can mark the reminder sent
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    with Journal(path) as journal:
        (left,) = journal.reconcile()
        assert left.state == State.UNCERTAIN
        assert intend(journal) is None  # never sent a second time
        (record,) = journal.reminders()
        assert record.state == State.UNCERTAIN and record.issued
        assert "stopped" in record.error
        assert journal.reconcile() == []  # reconciled once


def test_reconcile_leaves_this_runs_own_intents(tmp_path):
    with Journal(tmp_path / "j.db") as journal:
        intend(journal)
        assert journal.reconcile() == []
        assert journal.reminders()[0].state == State.INTENDED


def test_damaged_journal_is_a_clear_error_and_left_alone(tmp_path):
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not sqlite" * 100)
    before = path.read_bytes()
    with pytest.raises(ArbookError, match="cannot be opened"):
        Journal(path)
    assert path.read_bytes() == before


def test_newer_journal_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "j.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(ArbookError, match="newer arbook"):
        Journal(path)


def test_reminders_listed_per_customer_oldest_first(tmp_path):
    with Journal(tmp_path / "j.db") as journal:
        intend(journal, day=date(2026, 11, 2))
        intend(journal, customer="K2")
        intend(journal, stage=2, day=date(2026, 11, 20))
        days = [(r.customer_id, r.day) for r in journal.reminders("K1")]
        assert days == [("K1", date(2026, 11, 2)), ("K1", date(2026, 11, 20))]


def test_a_version_1_journal_is_migrated_and_keeps_its_reminders(tmp_path):
    import sqlite3

    from arbook.io import journal as journal_module
    from arbook.io.journal import ReviewLog, ReviewSnapshot

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(journal_module._SCHEMA)  # the reminders table exactly as version 1 had it
    db.execute("PRAGMA user_version=1")
    db.close()
    with Journal(path) as journal:
        assert intend(journal) is not None
    with Journal(path) as journal:  # reopening migrates nothing twice and keeps the record
        assert intend(journal) is None  # never twice, across the migration
        log = ReviewLog(journal)
        snap = ReviewSnapshot(DAY, "week", date(2026, 11, 20), "EUR", 100_00, 40_00, 60_00, 0,
                              250_00, {"not_due": 40_00}, {"dso": "2.8"})
        log.record(snap)
        log.record(ReviewSnapshot(**{**snap.__dict__, "receivables": 90_00}))  # same day: replace
        assert [s.receivables for s in log.snapshots("week")] == [90_00]
        assert log.snapshots("month") == []
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == journal_module.SCHEMA_VERSION
    assert db.execute("SELECT COUNT(*) FROM reminders").fetchone()[0] == 1
    db.close()


@pytest.mark.parametrize("stages", [None, {"B": 2, "A": 1}])
def test_the_records_returned_are_those_read_back(tmp_path, stages):
    """intend and mark return the record without reading it back: it must equal the row."""
    with Journal(tmp_path / "j.db") as journal:
        record = journal.intend(day=DAY, customer_id="K1", stage_no=2, stage_name="1. Mahnung",
                                invoice_nos=["B", "A", "Ä-1"], totals={"EUR": 100_00, "USD": 5},
                                interest={"EUR": 12}, fees={}, channel="draft",
                                recipients="a@example.com", item_stages=stages)
        assert record == journal.find(record.key)
        marked = journal.mark(record, State.DRAFTED, message_id="<m@x>", path="/o/1.eml")
        assert marked == journal.find(record.key)
        failed = journal.mark(marked, State.FAILED, error="disk full")
        assert failed == journal.find(record.key)
        again = journal.intend(day=DAY, customer_id="K1", stage_no=2, stage_name="1. Mahnung",
                               invoice_nos=["A", "B", "Ä-1"], totals={"EUR": 100_00, "USD": 5},
                               interest={"EUR": 12}, fees={}, channel="draft",
                               item_stages=stages)
        assert again == journal.find(record.key) and again.state == State.INTENDED
