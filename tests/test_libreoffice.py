"""LibreOffice opens every workbook arbook writes and shows the values arbook wrote.

All books are converted in one headless LibreOffice run (xlsx -> xlsx, which makes LibreOffice
load, recalculate and save every sheet); python-calamine then reads arbook's file and
LibreOffice's copy side by side.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from arbook import jobs
from arbook.core.schema import INVOICES, START_SHEET
from arbook.review import review
from tests.fixtures_rich import PIVOT_REF, USER_SHEET, make_rich_book

AS_OF = date(2026, 11, 26)
SOFFICE = shutil.which("soffice")
TIMEOUT = 300  # seconds for the single LibreOffice run over all books
BOOKS = ("sample-de", "sample-en", "rich-de", "rich-en")

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice headless ('soffice') is not on PATH"),
]


@dataclass
class Pair:
    """arbook's refreshed workbook and LibreOffice's re-save of it."""

    ours: Path
    theirs: Path
    lang: str
    info: dict[str, Any] | None  # make_rich_book's description, for the rich books

    def workbooks(self) -> tuple[python_calamine.CalamineWorkbook, ...]:
        return tuple(python_calamine.CalamineWorkbook.from_path(str(p))
                     for p in (self.ours, self.theirs))

    def grids(self, sheet: str) -> tuple[list[list[Any]], list[list[Any]]]:
        ours, theirs = self.workbooks()
        return (ours.get_sheet_by_name(sheet).to_python(skip_empty_area=False),
                theirs.get_sheet_by_name(sheet).to_python(skip_empty_area=False))


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    """Build and refresh every book, then convert them all in one LibreOffice run."""
    base = tmp_path_factory.mktemp("libreoffice")
    pairs: dict[str, Pair] = {}
    for name in BOOKS:
        kind, lang = name.split("-")
        path = base / f"{name}.xlsx"
        info = None
        if kind == "sample":
            jobs.init_book(path, lang=lang, sample=60, seed=1, today=AS_OF)
        else:
            info = make_rich_book(path, lang=lang)
        jobs.refresh(path, as_of=AS_OF)
        if kind == "sample":  # Review, History, checklists and charts written by arbook too
            review(path, as_of=AS_OF)
        pairs[name] = Pair(path, base / "out" / path.name, lang, info)
    profile = base / "profile"  # private LibreOffice user profile for this session
    command = [SOFFICE or "soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
               "--outdir", str(base / "out"), *(str(p.ours) for p in pairs.values())]
    run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    for pair in pairs.values():
        assert pair.theirs.exists(), (
            f"LibreOffice did not open/convert {pair.ours.name} (exit {run.returncode}):\n"
            f"{run.stdout}\n{run.stderr}")
    return pairs


# -- comparing cell values -----------------------------------------------------------------


def same(ours: Any, theirs: Any) -> bool:
    """Equal as a user sees them: numbers within 0.005, dates as dates, text exactly."""
    number = (int, float)
    if isinstance(ours, number) and isinstance(theirs, number) \
            and not isinstance(ours, bool) and not isinstance(theirs, bool):
        return abs(ours - theirs) <= 0.005
    if isinstance(ours, date | datetime) or isinstance(theirs, date | datetime):
        return type(ours) is type(theirs) and ours == theirs
    return type(ours) is type(theirs) and ours == theirs


def address(row: int, col: int) -> str:
    letters, col = "", col + 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def differences(ours: list[list[Any]], theirs: list[list[Any]],
                skip: Collection[str] = ()) -> list[str]:
    """Cells whose values differ, as 'A1: ours != theirs' (grids padded with '')."""
    height = max(len(ours), len(theirs))
    width = max([len(r) for r in ours + theirs] or [0])
    out = []
    for r in range(height):
        for c in range(width):
            a = ours[r][c] if r < len(ours) and c < len(ours[r]) else ""
            b = theirs[r][c] if r < len(theirs) and c < len(theirs[r]) else ""
            if address(r, c) not in skip and not same(a, b):
                out.append(f"{address(r, c)}: {a!r} != {b!r}")
    return out


def pivot_area() -> set[str]:
    first, last = PIVOT_REF.split(":")
    cols = range(ord(first[0]) - 65, ord(last[0]) - 64)
    rows = range(int(first[1:]) - 1, int(last[1:]))
    return {address(r, c) for r in rows for c in cols}


def skipped_cells(pair: Pair, sheet: str) -> set[str]:
    """User formulas (arbook's file holds no cached result for them) and the pivot output."""
    if pair.info is None:
        return set()
    skip = set(pair.info["formula_cells"].get(sheet, {}))
    return skip | pivot_area() if sheet == USER_SHEET else skip


def table_ref(pair: Pair, name: str) -> tuple[int, int, int, int]:
    """(first row, first col, last row, last col), 0-based, of an Excel table in our file."""
    with zipfile.ZipFile(pair.ours) as archive:
        for member in archive.namelist():
            if member.startswith("xl/tables/"):
                xml = archive.read(member).decode()
                if f'displayName="{name}"' in xml:
                    ref = xml.split(' ref="', 1)[1].split('"', 1)[0]
                    break
        else:
            raise AssertionError(f"table {name} not found")
    (c1, r1), (c2, r2) = (_split(p) for p in ref.split(":"))
    return r1 - 1, c1 - 1, r2 - 1, c2 - 1


def _split(cell: str) -> tuple[int, int]:
    letters = cell.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col, int(cell[len(letters):])


# -- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("book", BOOKS)
def test_libreoffice_shows_the_invoice_table(converted: dict[str, Pair], book: str) -> None:
    pair = converted[book]
    sheet = INVOICES.sheet(pair.lang)
    ours, theirs = pair.grids(sheet)
    r1, c1, r2, c2 = table_ref(pair, "tblInvoices")
    assert r2 - r1 == 62 and len(theirs) >= r2 + 1

    def window(grid: list[list[Any]]) -> list[list[Any]]:
        return [(row + [""] * (c2 + 1))[c1 : c2 + 1] for row in grid[r1 : r2 + 1]]

    assert differences(window(ours), window(theirs), skipped_cells(pair, sheet)) == []
    header = theirs[r1]
    for key in ("invoice_date", "open", "status"):
        column = header.index(INVOICES.column(key).label(pair.lang))
        shown = [row[column] for row in theirs[r1 + 1 : r2 + 1] if row[column] != ""]
        assert shown, key
        wanted = {"invoice_date": date, "open": float, "status": str}[key]
        assert all(type(v) is wanted for v in shown), (key, shown[:3])


@pytest.mark.parametrize("book", BOOKS)
def test_libreoffice_shows_the_start_totals(converted: dict[str, Pair], book: str) -> None:
    pair = converted[book]
    ours, theirs = pair.grids(START_SHEET[pair.lang])
    block = [(row + [""] * 7)[:7] for row in ours[11:27]]
    assert differences(block, [(row + [""] * 7)[:7] for row in theirs[11:27]]) == []
    assert same(ours[8][1], theirs[8][1]) and str(theirs[8][1]).endswith(
        "26.11.2026" if pair.lang == "de" else "2026-11-26")
    # The totals LibreOffice shows add up to the Open column LibreOffice shows.
    ledger = pair.grids(INVOICES.sheet(pair.lang))[1]
    currency = ledger[0].index(INVOICES.column("currency").label(pair.lang))
    open_col = ledger[0].index(INVOICES.column("open").label(pair.lang))
    total_row = block[8]
    assert total_row[0] in ("Summe offen", "Total open")
    for j, code in enumerate(block[0][1:], start=1):
        if not code:
            continue
        column_sum = sum(r[open_col] for r in ledger[1:] if r[currency] == code)
        assert abs(theirs[11 + 8][j] - column_sum) < 0.005, code
        assert abs(sum(theirs[11 + k][j] for k in range(1, 8)) - column_sum) < 0.005, code


@pytest.mark.parametrize("book", BOOKS)
def test_libreoffice_shows_every_sheet_the_same(converted: dict[str, Pair], book: str) -> None:
    pair = converted[book]
    ours, theirs = pair.workbooks()
    # LibreOffice has no "very hidden": it shows such a sheet as hidden.
    assert [(m.name, str(m.visible).endswith(".Visible")) for m in theirs.sheets_metadata] == \
        [(m.name, str(m.visible).endswith(".Visible")) for m in ours.sheets_metadata]
    problems = {}
    for sheet in ours.sheet_names:
        found = differences(*pair.grids(sheet), skipped_cells(pair, sheet))
        if found:
            problems[sheet] = found[:10]
    assert problems == {}


@pytest.mark.parametrize("book", ["rich-de", "rich-en"])
def test_libreoffice_recalculates_user_formulas_and_pivot(
        converted: dict[str, Pair], book: str) -> None:
    pair = converted[book]
    assert pair.info is not None
    ledger = pair.grids(INVOICES.sheet(pair.lang))[0]  # arbook's values
    head = ledger[0]

    def col(key: str) -> int:
        return head.index(INVOICES.column(key).label(pair.lang))

    rows = ledger[1:]
    open_total = sum(r[col("open")] for r in rows)
    overdue = "überfällig" if pair.lang == "de" else "overdue"
    stamp = pair.grids(START_SHEET[pair.lang])[0][8][1]
    expected = {
        "B3": open_total,
        "B4": sum(r[col("open")] for r in rows if r[col("currency")] == "EUR"),
        "B5": sum(r[col("open")] for r in rows if r[col("currency")] == "CHF"),
        "B6": float(sum(r[col("status")] == overdue for r in rows)),
        "B7": sum(r[col("amount")] for r in rows),
        "B8": stamp,
        "B9": open_total,
    }
    assert set(expected) == set(pair.info["formula_cells"][USER_SHEET])
    user = pair.grids(USER_SHEET)[1]
    shown = {a: user[int(a[1:]) - 1][1] for a in expected}
    assert all(same(expected[a], shown[a]) for a in expected), (expected, shown)
    # The right-of-table formulas (=amount*0.19) and the pivot table's sums.
    theirs = pair.grids(INVOICES.sheet(pair.lang))[1]
    right = _split(f"{pair.info['right_column']}1")[0] - 1
    for cell in pair.info["formula_cells"][INVOICES.sheet(pair.lang)]:
        r = int(cell[len(pair.info["right_column"]):]) - 1
        assert same(theirs[r][right], theirs[r][col("amount")] * 0.19), cell
    pivot = {row[7]: row[8] for row in user[3:6]}
    for code in ("CHF", "EUR"):
        assert same(pivot[code], sum(r[col("amount")] for r in rows if r[col("currency")]
                                      == code)), code


@pytest.mark.parametrize("book", ["sample-de", "sample-en"])
def test_libreoffice_keeps_the_review_charts(converted: dict[str, Pair], book: str) -> None:
    """The two review charts (on cells arbook rewrote) are real charts LibreOffice reads."""
    import zipfile

    for path in (converted[book].ours, converted[book].theirs):
        with zipfile.ZipFile(path) as z:
            assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2, path
