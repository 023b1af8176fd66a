"""The journal's record of bank entries, written in batches: the same as one by one."""

from __future__ import annotations

from datetime import date

import pytest

from arbook.core.bank import BankEntry
from arbook.io.import_log import APPLIED, IGNORED, QUEUED, ImportLog
from arbook.io.journal import Journal


def entry(i: int) -> BankEntry:
    return BankEntry("DE00", f"REF-{i}", date(2026, 11, 26), None, 100 + i, "EUR",
                     counterparty_name=f"Kunde {i} & Söhne", remittance=f"RE-{i}")


def record(i: int, state: str) -> tuple:
    return (f"key-{i}", entry(i), state, f"K{i}", [{"invoice_no": f"RE-{i}", "cents": i}],
            f"reason {i}")


@pytest.fixture
def log(tmp_path):
    with Journal(tmp_path / "book.arbook.db") as journal:
        yield ImportLog(journal)


def test_many_entries_are_recorded_as_one_by_one_would(log, tmp_path):
    records = [record(i, [APPLIED, QUEUED, IGNORED][i % 3]) for i in range(1203)]
    log.record_entries(records)
    with Journal(tmp_path / "single.arbook.db") as journal:
        single = ImportLog(journal)
        for r in records:
            single.record_entry(*r)
        expected = [(e.key, e.entry, e.state, e.customer_id, e.allocations, e.reason)
                    for e in single.entries()]
    got = [(e.key, e.entry, e.state, e.customer_id, e.allocations, e.reason)
           for e in log.entries()]
    assert got == expected == [tuple(r) for r in records]
    states = log.states([f"key-{i}" for i in range(1300)])  # more keys than one query takes
    assert len(states) == 1203 and states["key-1202"] == IGNORED and "key-1203" not in states


def test_a_queued_entry_is_updated_and_an_applied_one_refused_with_nothing_written(log):
    log.record_entries([record(1, QUEUED), record(2, APPLIED)])
    log.record_entries([record(1, APPLIED), record(3, QUEUED)])
    assert log.states(["key-1", "key-3"]) == {"key-1": APPLIED, "key-3": QUEUED}
    with pytest.raises(ValueError, match="key-2 is already applied"):
        log.record_entries([record(4, QUEUED), record(2, QUEUED)])
    assert "key-4" not in log.states(["key-4"])  # all or nothing
    assert [e.key for e in log.entries()] == ["key-1", "key-2", "key-3"]


def test_the_same_key_twice_in_one_batch_is_refused_as_one_by_one(log):
    with pytest.raises(ValueError, match="key-5 is already applied"):
        log.record_entries([record(5, APPLIED), record(5, QUEUED)])
    log.record_entries([record(6, QUEUED), record(6, APPLIED)])
    assert log.states(["key-5", "key-6"]) == {"key-6": APPLIED}
