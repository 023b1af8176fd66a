"""One WorkbookFile for many reads and writes behaves like saving and reopening after each.

Every sequence runs twice on copies of the same real book (``arbook init`` with 300 sample
invoices): once in ONE session, saved at the end (reads served from memory, writes recorded
and applied in one pass), and once step by step, each step on a freshly opened file and
saved. Each read of the session must equal the read of a fresh ``WorkbookFile`` on the
step-by-step copy at that point, each write must report the same rows, and the saved files
must hold the same bytes. Cells nobody wrote stay byte for byte as they were.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbook import jobs
from arbook.core.cells import ColumnValues, RawTable, to_text
from arbook.core.schema import INVOICES, PAYMENTS
from arbook.io.workbook_file import WorkbookFile
from tests.fixtures_rich import read_members
from tests.test_preservation import cells_of, col_number, col_of

AS_OF = date(2026, 11, 26)
AGEING = ("invoice_no", "customer_id", "invoice_date", "due_date", "currency", "amount",
          "paid", "credit_for", "disputed", "hold_until", "promised_date")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("session") / "book.xlsx"
    jobs.init_book(path, "de", 300, 5, AS_OF)
    return path


def ledger_part(path: Path) -> str:
    with WorkbookFile(path) as book:
        return book.book.table(INVOICES.name).sheet_part


# -- the steps a night takes, in small ---------------------------------------------------


def _read(keys, write_keys=()):
    def step(book: WorkbookFile, _n: int):
        return book.read_table(INVOICES, write_keys=write_keys, keys=keys)
    return step


def _refresh(book: WorkbookFile, _n: int) -> int:
    """Open amount and a status from what is read, as the refresh writes them."""
    raw = book.read_table(INVOICES, write_keys=("open", "status", "flag"),
                          keys=("invoice_no", "amount", "paid"))
    amount = np.nan_to_num(raw.columns["amount"].numbers)
    paid = np.nan_to_num(raw.columns["paid"].numbers)
    open_cents = np.rint((amount - paid) * 100).astype(np.int64)
    status = np.where(open_cents > 0, "offen", "bezahlt")
    return book.write_computed(INVOICES, to_text(raw.columns["invoice_no"]), {
        "open": ColumnValues.scaled(open_cents, 2),
        "status": ColumnValues.texts(status),
        "flag": ColumnValues.texts(np.where(open_cents > 50_000, "groß", None)),
    }, {"flag": "übersprungen"})


def _dunning(book: WorkbookFile, n: int) -> int:
    """Every other invoice gets a stage and a date; the rest are blanked (no unkeyed text)."""
    raw = book.read_table(INVOICES, write_keys=("dunning_stage", "last_reminder", "interest"),
                          keys=("invoice_no",))
    numbers = to_text(raw.columns["invoice_no"])[n % 2::2]
    k = len(numbers)
    return book.write_computed(INVOICES, numbers, {
        "dunning_stage": ColumnValues(codes=np.arange(k) % 3 - 1, labels=["1. Mahnung",
                                                                          "2. Mahnung"]),
        "last_reminder": ColumnValues.scaled(np.full(k, 46_300 + n), 0),
        "interest": ColumnValues.scaled(np.arange(k) * 7 + n, 2, np.arange(k) % 5 == 0),
    }, {})


def _import_update(book: WorkbookFile, n: int) -> int:
    """An ERP import updates the paid amounts of some invoices and leaves the others."""
    raw = book.read_table(INVOICES, write_keys=("paid", "reference"), keys=("invoice_no",))
    numbers = to_text(raw.columns["invoice_no"])[n::7]
    k = len(numbers)
    return book.write_computed(INVOICES, numbers, {
        "paid": ColumnValues.scaled(np.arange(k) * 1000 + n, 2),
        "reference": ColumnValues.texts([f"=Bestellung {i}" for i in range(k)]),
    }, {}, keep_unkeyed=True)


def _settle(book: WorkbookFile, n: int) -> int:
    """--full: some invoices are paid in full; shares a column with the import's edit."""
    raw = book.read_table(INVOICES, write_keys=("paid",), keys=("invoice_no", "amount"))
    numbers = to_text(raw.columns["invoice_no"])[n::5]
    cents = np.rint(np.nan_to_num(raw.columns["amount"].numbers[n::5]) * 100)
    return book.write_computed(INVOICES, numbers, {
        "paid": ColumnValues.scaled(cents.astype(np.int64), 2)}, {}, keep_unkeyed=True)


def _append(book: WorkbookFile, n: int) -> int:
    rows = [{"invoice_no": f"NEU-{n}-{i}", "customer_id": "K10001",
             "invoice_date": AS_OF - timedelta(days=i), "due_date": AS_OF + timedelta(days=i),
             "currency": "EUR", "amount": Decimal(100 + i) + Decimal("0.25"),
             "reference": "<b>neu</b>" if i % 2 else None} for i in range(3 + n % 3)]
    return book.append_rows(INVOICES, rows)


def _payments(book: WorkbookFile, n: int):
    book.append_rows(PAYMENTS, [{"date": AS_OF, "customer_id": "K10002",
                                 "amount": Decimal(n), "source": f"Bank {n}"}])
    return book.read_table(PAYMENTS)


def _look(book: WorkbookFile, _n: int):
    """Needs the ledger's bytes: a session applies its edits first."""
    return book.cell_text(INVOICES.sheet("de"), 2, 1)


def _save(book: WorkbookFile, _n: int) -> None:
    """A save in the middle: the session goes on from the saved file."""
    book.save()


STEPS = {
    "read ledger": _read(("invoice_no", "amount")),
    "read ageing": _read(AGEING),
    "read all": _read(None),
    "read with writes": _read(AGEING, ("open", "days_overdue")),
    "refresh": _refresh,
    "dunning": _dunning,
    "import update": _import_update,
    "settle": _settle,
    "append": _append,
    "payments": _payments,
    "look": _look,
    "save": _save,
}


def _same(got, expected, where: str) -> None:
    if isinstance(expected, RawTable):
        assert list(got.rows) == list(expected.rows), where
        assert got.headers == expected.headers, where
        assert got.columns.keys() == expected.columns.keys(), where
        for key, column in expected.columns.items():
            assert np.array_equal(got.columns[key].numbers, column.numbers, equal_nan=True), (
                f"{where}: {key}")
            assert got.columns[key].texts.tolist() == column.texts.tolist(), f"{where}: {key}"
    else:
        assert got == expected, where


def run_both(template: Path, folder: Path, names: list[str]) -> tuple[Path, Path]:
    """The steps in one session and step by step; every result compared on the way."""
    session, stepwise = folder / "session.xlsx", folder / "stepwise.xlsx"
    shutil.copyfile(template, session)
    shutil.copyfile(template, stepwise)
    with WorkbookFile(session) as book:
        for n, name in enumerate(names):
            got = STEPS[name](book, n)
            with WorkbookFile(stepwise) as step_book:
                expected = STEPS[name](step_book, n)
                step_book.save()
            if isinstance(expected, RawTable):  # what a fresh reader of the saved file sees
                with WorkbookFile(stepwise) as fresh:
                    expected = (fresh.read_table(PAYMENTS) if name == "payments" else
                                STEPS[name](fresh, n))
            _same(got, expected, f"step {n} ({name})")
        book.save()
    return session, stepwise


SEQUENCES = [
    ["read ledger", "append", "read ageing", "refresh", "dunning", "read all"],
    ["import update", "append", "refresh", "read with writes", "refresh", "dunning",
     "dunning", "read all"],
    ["refresh", "import update", "refresh", "look", "append", "dunning", "read all"],
    ["append", "append", "payments", "refresh", "payments", "import update", "read ageing",
     "read all"],
    ["read all", "dunning", "refresh", "append", "refresh", "import update", "import update",
     "read with writes", "read all"],
    ["append", "import update", "settle", "refresh", "settle", "import update", "read all"],
    ["read ageing", "append", "refresh", "save", "dunning", "append", "read all", "save",
     "refresh", "read with writes"],
]


@pytest.mark.parametrize("names", SEQUENCES, ids=[" > ".join(s) for s in SEQUENCES])
def test_a_session_reads_and_writes_as_saving_after_every_step(template: Path, tmp_path: Path,
                                                               names: list[str]) -> None:
    session, stepwise = run_both(template, tmp_path, names)
    ours, theirs = read_members(session), read_members(stepwise)
    assert ours.keys() == theirs.keys()
    for part in ours:
        if not part.startswith("docProps"):
            assert ours[part] == theirs[part], part


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(STEPS)), min_size=2, max_size=7))
def test_any_sequence_of_steps(template: Path, tmp_path_factory: pytest.TempPathFactory,
                               names: list[str]) -> None:
    session, stepwise = run_both(template, tmp_path_factory.mktemp("any"), names)
    part = ledger_part(session)
    assert read_members(session)[part] == read_members(stepwise)[part]


def test_the_saved_session_opens_in_calamine_with_what_was_written(template: Path,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    shutil.copyfile(template, path)
    part = ledger_part(path)
    before = read_members(path)[part]
    with WorkbookFile(path) as book:
        n = len(book.read_table(INVOICES, keys=("invoice_no",)))
    with WorkbookFile(path) as book:
        first_new = _append(book, 0)
        changed = _refresh(book, 0)
        _dunning(book, 1)
        again = book.read_table(INVOICES, keys=("invoice_no", "open", "status"))
        book.save()
    reader = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    table = reader.get_table_by_name(INVOICES.name)
    header, rows = list(table.columns), table.to_python()
    by_number = {r[header.index("Rechnungsnr.")]: r for r in rows}
    assert len(rows) == len(again) == n + 3
    assert changed == n + 3  # the sample's computed columns are empty: every row is written
    new = by_number["NEU-0-2"]
    assert new[header.index("Betrag")] == 102.25
    assert new[header.index("Offen")] == 102.25
    assert new[header.index("Status")] == "offen"
    assert list(again.rows[-3:]) == [first_new, first_new + 1, first_new + 2]
    # the sheet's <dimension> takes in the new rows
    after = read_members(path)[part]
    assert f'<dimension ref="A1:Y{first_new + 2}"/>'.encode() in after
    # cells arbook did not write are the same bytes as before
    written = {col_number(c) for c in ("B",)} | set(range(18, 26))
    old, new_cells = cells_of(before), cells_of(after)
    untouched = [a for a in old if col_number(col_of(a)) not in written]
    assert untouched and all(new_cells[a] == old[a] for a in untouched)


def test_a_write_needs_its_read(template: Path, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    shutil.copyfile(template, path)
    with WorkbookFile(path) as book, pytest.raises(RuntimeError, match="read_table"):
        book.write_computed(INVOICES, np.array(["X"], dtype=object),
                            {"open": ColumnValues.scaled([1], 2)}, {})


def test_prefetch_serves_the_night_from_one_scan(template: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from arbook.io import workbook_file

    path = tmp_path / "book.xlsx"
    shutil.copyfile(template, path)
    scans: list[set[int]] = []
    real = workbook_file.scan_sheet

    def counting(sheet, cols, *args, **kwargs):
        scans.append(set(cols))
        return real(sheet, cols, *args, **kwargs)

    monkeypatch.setattr(workbook_file, "scan_sheet", counting)
    with WorkbookFile(path) as book:
        book.prefetch(INVOICES)
        ledger_scans = len(scans)
        for name in ("read ledger", "append", "read ageing", "refresh", "dunning",
                     "import update", "read all"):
            STEPS[name](book, 0)
        assert len(scans) == ledger_scans == 1
        book.save()


def test_column_bounds_are_where_runs_of_cells_begin_and_end(template: Path) -> None:
    from arbook.io.xlsx.scan import scan_sheet

    with WorkbookFile(template) as book:
        xml = book.package.read(book.book.table(INVOICES.name).sheet_part)
    runs = [(2, 4), (7, 7), (18, 22), (23, 25)]
    by_runs = scan_sheet(xml, set(), runs)
    by_bounds = scan_sheet(xml, set(), [], bounds={b for f, last in runs for b in (f, last + 1)})
    for run, (first, last) in zip(by_runs.runs, runs, strict=True):
        assert np.array_equal(by_bounds.bounds[first], run.cut_start)
        assert np.array_equal(by_bounds.bounds[last + 1], run.cut_end)


def test_rows_appended_by_the_hundred_write_what_one_lookup_per_text_writes(
        template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import's append looks up all its texts in one pass over the string table (above
    FULL_INDEX_AFTER); the saved file is the same as with the table scanned per text, and the
    texts the table has already are found, not added again."""
    from arbook.io.xlsx import sst as sst_module

    with WorkbookFile(template) as book:
        raw = book.read_table(INVOICES, keys=("customer_id",))
    customers = sorted({c for c in to_text(raw.columns["customer_id"]) if c})

    def rows(prefix: str, n: int) -> list[dict]:
        return [{"invoice_no": f"{prefix}-{i:04d}", "customer_id": customers[i % len(customers)],
                 "invoice_date": AS_OF, "due_date": AS_OF + timedelta(days=30),
                 "currency": "EUR", "amount": Decimal(i) + Decimal("0.5"),
                 "reference": [" Auftrag ", "a & b <c>", f"Bestellung {i % 7}", None,
                               f"{prefix}-Auftrag {i}"][i % 5]}
                for i in range(n)]

    base = tmp_path / "base.xlsx"  # a table that holds some of the texts (a first import)
    shutil.copyfile(template, base)
    with WorkbookFile(base) as book:
        book.append_rows(INVOICES, rows("ALT", 30))
        book.save()
    with WorkbookFile(base) as book:
        stored = set(book.book.shared_string_table.strings.tolist())
    new_rows = rows("NEU", 150)
    saved = {}
    for name, limit in (("together", sst_module.FULL_INDEX_AFTER), ("one by one", 10**9)):
        monkeypatch.setattr(sst_module, "FULL_INDEX_AFTER", limit)
        path = tmp_path / f"{name}.xlsx"
        shutil.copyfile(base, path)
        with WorkbookFile(path) as book:
            book.append_rows(INVOICES, new_rows)
            table = book.book.shared_string_table
            added = table.texts[len(table.strings):].tolist()
            book.save()
        saved[name] = {k: v for k, v in read_members(path).items()
                       if not k.startswith("docProps")}
    assert saved["together"] == saved["one by one"]
    # new entries in the order cell after cell, row by row, meets them (as Excel numbers them)
    order = [c.key for c in INVOICES.columns]
    texts = [r[k] for r in new_rows for k in sorted(r, key=order.index) if isinstance(r[k], str)]
    assert stored & set(texts) and added == [t for t in dict.fromkeys(texts) if t not in stored]
