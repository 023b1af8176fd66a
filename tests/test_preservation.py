"""Refresh writes only what arbook owns; every other byte of the package stays as it was.

The workbook is ``make_rich_book``: chart, image, pivot table, comments, user data validation
and conditional formatting, defined names, VBA, a custom ribbon, user columns inside and right
of the ledger table, a user sheet with formulas, hidden sheets, user formatting, sorted rows.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from arbook import jobs
from arbook.core.problems import ArbookError
from arbook.core.schema import INVOICES
from tests.fixtures_rich import (
    INSIDE_COLUMN,
    RIGHT_COLUMN,
    SPLIT_COLUMN,
    make_rich_book,
    read_members,
)

AS_OF = date(2026, 11, 26)
COMPUTED = ("open", "days_overdue", "bucket", "status", "flag")
_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)
_ROW_TAG = re.compile(rb'<row r="([0-9]+)"[^>]*>')
_STYLE = re.compile(rb'<c r="[A-Z]+[0-9]+"[^>]*?\ss="([0-9]+)"')

Raw = tuple[int, int, int, bytes]  # compression method, CRC, size, bytes as stored


# -- helpers -------------------------------------------------------------------------------


def raw_entries(path: Path) -> dict[str, Raw]:
    """Each member as stored in the ZIP file (compressed bytes, not re-inflated)."""
    out: dict[str, Raw] = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as fh:
        for info in archive.infolist():
            fh.seek(info.header_offset)
            name_len, extra_len = struct.unpack("<HH", fh.read(30)[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            out[info.filename] = (info.compress_type, info.CRC, info.file_size,
                                  fh.read(info.compress_size))
    return out


def part_before_after(refreshed: tuple[Path, dict, bytes], tmp_path: Path,
                      part: str) -> tuple[bytes, bytes]:
    """One part's content in the original book and in the refreshed one."""
    path, _info, before = refreshed
    original = tmp_path / "original.xlsx"
    original.write_bytes(before)
    return read_members(original)[part], read_members(path)[part]


def split_sheet(xml: bytes) -> tuple[bytes, bytes, bytes]:
    """(XML before the sheetData content, the content, XML after it)."""
    start = xml.index(b">", xml.index(b"<sheetData")) + 1
    end = xml.index(b"</sheetData>")
    return xml[:start], xml[start:end], xml[end:]


def cells_of(xml: bytes) -> dict[str, bytes]:
    """Cell address -> the cell element's bytes exactly as written."""
    out: dict[str, bytes] = {}
    for match in _CELL.finditer(split_sheet(xml)[1]):
        address = (match.group(1) + match.group(2)).decode()
        assert address not in out, f"cell {address} appears twice"
        out[address] = match.group(0)
    assert len(out) == split_sheet(xml)[1].count(b"<c "), "cells the pattern does not read"
    return out


def row_tags(xml: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(0) for m in _ROW_TAG.finditer(split_sheet(xml)[1])}


def col_of(address: str) -> str:
    return address.rstrip("0123456789")


def row_of(address: str) -> int:
    return int(address[len(col_of(address)):])


def col_number(letters: str) -> int:
    value = 0
    for ch in letters:
        value = value * 26 + ord(ch) - 64
    return value


def sheet_values(path: Path, sheet: str) -> list[list[Any]]:
    with open(path, "rb") as fh:
        book = python_calamine.CalamineWorkbook.from_filelike(fh)
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def value_at(grid: list[list[Any]], address: str) -> Any:
    r, c = row_of(address) - 1, col_number(col_of(address)) - 1
    return grid[r][c] if r < len(grid) and c < len(grid[r]) else ""


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rich_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("rich") / "BOOK.xlsx"
    return path, make_rich_book(path)


@pytest.fixture
def rich(tmp_path: Path, rich_template: tuple[Path, dict[str, Any]]) -> tuple[Path, dict]:
    """A fresh copy of the rich book (not yet refreshed by the test)."""
    source, info = rich_template
    path = tmp_path / "BOOK.xlsx"
    shutil.copyfile(source, path)
    return path, info


@pytest.fixture
def refreshed(rich: tuple[Path, dict]) -> tuple[Path, dict, bytes]:
    """The rich book after one refresh, with the bytes it had before."""
    path, info = rich
    before = path.read_bytes()
    result = jobs.refresh(path, as_of=AS_OF)
    assert result.written
    return path, info, before


# -- the fixture really holds every part the issue lists -----------------------------------


def test_rich_book_holds_every_kind_of_part(rich: tuple[Path, dict]) -> None:
    path, info = rich
    members = read_members(path)
    names = set(members)
    for expected in ("xl/charts/chart1.xml", "xl/media/image1.png", "xl/vbaProject.bin",
                     "xl/pivotTables/pivotTable1.xml", "xl/pivotCache/pivotCacheRecords1.xml",
                     "xl/pivotCache/pivotCacheDefinition1.xml", "customUI/customUI14.xml",
                     "xl/comments/comment1.xml", "xl/drawings/commentsDrawing1.vml",
                     "xl/sharedStrings.xml"):
        assert expected in names
    assert members["xl/vbaProject.bin"][:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert b"ui/extensibility" in members["_rels/.rels"]
    assert b"vbaProject" in members["xl/_rels/workbook.xml.rels"]
    workbook = members["xl/workbook.xml"]
    for name in (b"arbook_as_of", b"Kuerzel", b"OffenGesamt", b"Notizen"):
        assert b'name="' + name + b'"' in workbook
    assert b'state="hidden"' in workbook and b'state="veryHidden"' in workbook
    assert b"fullCalcOnLoad" not in workbook
    invoices = members[info["invoices_part"]]
    assert invoices.count(b"<dataValidation ") == 5
    assert b'type="dataBar"' in invoices and b'type="cellIs"' in invoices
    assert b"<legacyDrawing" in invoices
    assert b"<drawing" in members[info["start_part"]]
    table = members["xl/tables/table1.xml"]
    for header in (INSIDE_COLUMN, SPLIT_COLUMN):
        assert f'name="{header}"'.encode() in table
    assert RIGHT_COLUMN.encode() not in table
    header = sheet_values(path, info["invoices_sheet"])[0]
    assert header.index(SPLIT_COLUMN) == header.index("Status") - 1
    numbers = [row[0] for row in sheet_values(path, info["invoices_sheet"])[1:]]
    assert numbers != sorted(numbers), "the user sorted the ledger"


# -- byte-level preservation ---------------------------------------------------------------


def test_parts_arbook_does_not_own_are_copied_as_stored(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    path, info, before = refreshed
    original = tmp_path / "original.xlsx"
    original.write_bytes(before)
    old, new = raw_entries(original), raw_entries(path)
    assert list(new) == list(old), "members were added, dropped or reordered"
    for name in old:
        if name in info["owned_parts"]:
            continue
        assert new[name] == old[name], f"{name} changed"
    changed = {name for name in old if new[name] != old[name]}
    assert changed <= set(info["owned_parts"])
    assert {info["invoices_part"], info["start_part"], "xl/workbook.xml"} <= changed


def test_workbook_xml_differs_only_by_full_calc_on_load(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    old, new = part_before_after(refreshed, tmp_path, "xl/workbook.xml")
    assert new.count(b'fullCalcOnLoad="1"') == 1
    assert re.search(rb'<calcPr\b[^>]*\sfullCalcOnLoad="1"', new)
    assert new.replace(b' fullCalcOnLoad="1"', b"") == old


def test_invoices_sheet_changes_only_computed_cells(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    info = refreshed[1]
    old, new = part_before_after(refreshed, tmp_path, info["invoices_part"])
    assert split_sheet(new)[0] == split_sheet(old)[0]
    assert split_sheet(new)[2] == split_sheet(old)[2]
    assert row_tags(new) == row_tags(old)
    computed = {info["columns"][INVOICES.column(k).label("de")] for k in COMPUTED}
    old_cells, new_cells = cells_of(old), cells_of(new)
    keep_old = {a: c for a, c in old_cells.items() if col_of(a) not in computed}
    keep_new = {a: c for a, c in new_cells.items() if col_of(a) not in computed}
    assert len(keep_old) > 900
    assert keep_new == keep_old
    for letter in computed:  # every data row has its computed cells, styles kept
        for row in range(2, info["last_row"] + 1):
            address = f"{letter}{row}"
            assert address in new_cells, f"{address} missing"
            old_style = _STYLE.match(old_cells.get(address, b"<c "))
            new_style = _STYLE.match(new_cells[address])
            if old_style:
                assert new_style and new_style.group(1) == old_style.group(1), address


def test_start_sheet_changes_only_the_stamp_and_totals_block(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    info = refreshed[1]
    old, new = part_before_after(refreshed, tmp_path, info["start_part"])
    assert split_sheet(new)[0] == split_sheet(old)[0]
    assert split_sheet(new)[2] == split_sheet(old)[2]  # the logo's <drawing> among them

    def arbooks(address: str) -> bool:
        row, col = row_of(address), col_number(col_of(address))
        return address == "B9" or (12 <= row <= 27 and 1 <= col <= 7)

    old_cells, new_cells = cells_of(old), cells_of(new)
    assert {a: c for a, c in new_cells.items() if not arbooks(a)} == \
        {a: c for a, c in old_cells.items() if not arbooks(a)}
    assert new_cells["B9"] != old_cells["B9"]


def test_problems_sheet_and_table_change_only_rows_and_range(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    path, info, before = refreshed
    original = tmp_path / "original.xlsx"
    original.write_bytes(before)
    old_members, new_members = read_members(original), read_members(path)
    old, new = old_members[info["problems_part"]], new_members[info["problems_part"]]
    dimension = re.compile(rb'<dimension ref="[^"]*"/?\s*/?>')
    assert dimension.sub(b"", split_sheet(new)[0]) == dimension.sub(b"", split_sheet(old)[0])
    assert split_sheet(new)[2] == split_sheet(old)[2]
    assert {a: c for a, c in cells_of(new).items() if row_of(a) == 1} == \
        {a: c for a, c in cells_of(old).items() if row_of(a) == 1}
    refs = re.compile(rb'(\sref=")[^"]*(")')
    old_table = old_members[info["problems_table_part"]]
    new_table = new_members[info["problems_table_part"]]
    assert refs.sub(rb"\1\2", new_table) == refs.sub(rb"\1\2", old_table)
    rows = sheet_values(path, "Probleme")
    assert rows[0] == ["Schwere", "Datei", "Blatt", "Zeile", "Spalte", "Meldung"]
    last = re.search(rb'<table\b[^>]*\sref="A1:F([0-9]+)"', new_table)
    assert last and int(last.group(1)) == len(rows)


# -- values --------------------------------------------------------------------------------

BUCKETS = ((0, "nicht fällig"), (30, "1-30 Tage"), (60, "31-60 Tage"), (90, "61-90 Tage"))
FLAGS = {"terms": "Fälligkeit aus Zahlungsziel", "broken": "Zusage nicht eingehalten",
         "overpaid": "überzahlt", "future": "Rechnungsdatum nach Stichtag"}


def _cents(value: Any) -> int:
    return 0 if value in ("", None) else round(float(value) * 100)


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) else None


def expected_ledger(path: Path, as_of: date) -> dict[str, tuple[int, Any, Any, str, Any]]:
    """Open cents, days overdue, bucket, status and flag per invoice, from the typed data only.

    Written from the issue's rules, independently of arbook's code: open = amount - paid -
    payments on the Payments sheet - credit notes applied (in ledger order, up to what is
    still open); due date typed or invoice date + the customer's terms.
    """
    rows = sheet_values(path, "Rechnungen")
    col = {h: i for i, h in enumerate(rows[0])}
    ledger = [r for r in rows[1:] if r[col["Rechnungsnr."]]]
    customers = sheet_values(path, "Kunden")
    terms_col = customers[0].index("Zahlungsziel (Tage)")
    terms = {r[0]: r[terms_col] for r in customers[1:] if r[0]}
    numbers = {r[col["Rechnungsnr."]] for r in ledger}
    paid_elsewhere: dict[str, int] = {}
    for r in sheet_values(path, "Zahlungen")[1:]:
        if r[2] in numbers:
            paid_elsewhere[r[2]] = paid_elsewhere.get(r[2], 0) + _cents(r[3])
    open_cents = {r[col["Rechnungsnr."]]: _cents(r[col["Betrag"]]) - _cents(r[col["Bezahlt"]])
                  - paid_elsewhere.get(r[col["Rechnungsnr."]], 0) for r in ledger}
    room = {k: max(v, 0) for k, v in open_cents.items()}
    for r in ledger:
        number, target = r[col["Rechnungsnr."]], r[col["Gutschrift zu"]]
        if _cents(r[col["Betrag"]]) < 0 and target in numbers and open_cents[number] < 0:
            used = min(room[target], -open_cents[number])
            room[target] -= used
            open_cents[target] -= used
            open_cents[number] += used
    out = {}
    for r in ledger:
        number = r[col["Rechnungsnr."]]
        amount, left = _cents(r[col["Betrag"]]), open_cents[number]
        due, derived = _day(r[col["Fällig am"]]), False
        invoice_date = _day(r[col["Rechnungsdatum"]])
        customer_terms = terms.get(r[col["Kundennr."]])
        if due is None and invoice_date and customer_terms not in ("", None):
            due, derived = invoice_date + timedelta(days=int(customer_terms)), True
        days = max((as_of - due).days, 0) if due else 0
        hold, promised = _day(r[col["Zurückgestellt bis"]]), _day(r[col["Zahlung zugesagt am"]])
        if left == 0:
            bucket, status = None, "bezahlt"
        elif left < 0:
            bucket, status = "Guthaben", "Guthaben"
        else:
            bucket = "ohne Fälligkeit" if due is None else next(
                (name for limit, name in BUCKETS if days <= limit), "über 90 Tage")
            status = ("strittig" if r[col["Strittig"]] == "Ja"
                      else "zurückgestellt" if hold and hold >= as_of
                      else "zugesagt" if promised and promised >= as_of
                      else "überfällig" if days > 0 else "offen")
        flags = [FLAGS["terms"]] if derived and left != 0 else []
        if promised and promised < as_of and left > 0:
            flags.append(FLAGS["broken"])
        if left < 0 and amount >= 0:
            flags.append(FLAGS["overpaid"])
        if invoice_date and invoice_date > as_of:
            flags.append(FLAGS["future"])
        shown_days = days if left > 0 and due is not None else None
        out[number] = (left, shown_days, bucket, status, "; ".join(flags) or None)
    return out


def test_computed_values_match_an_independent_calculation(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    path, _info, before = refreshed
    original = tmp_path / "original.xlsx"
    original.write_bytes(before)
    expected = expected_ledger(original, AS_OF)
    rows = sheet_values(path, "Rechnungen")
    col = {h: i for i, h in enumerate(rows[0])}
    assert len(expected) == 62
    kinds = set()
    for r in rows[1:]:
        left, days, bucket, status, flag = expected[r[col["Rechnungsnr."]]]
        where = f"{r[col['Rechnungsnr.']]}"
        assert abs(r[col["Offen"]] - left / 100) < 0.005, where
        assert r[col["Tage überfällig"]] == ("" if days is None else float(days)), where
        assert r[col["Altersklasse"]] == (bucket or ""), where
        assert r[col["Status"]] == status, where
        assert r[col["Hinweis"]] == (flag or ""), where
        kinds.add(status)
    assert {"bezahlt", "Guthaben", "strittig", "überfällig", "offen", "zugesagt"} <= kinds


def test_user_cells_keep_their_values(refreshed: tuple[Path, dict, bytes]) -> None:
    path, info, _before = refreshed
    for sheet, cells in info["user_cells"].items():
        grid = sheet_values(path, sheet)
        for address, value in cells.items():
            shown = value_at(grid, address)
            if isinstance(value, int | float):
                assert shown == pytest.approx(value), f"{sheet}!{address}"
            else:
                assert shown == value, f"{sheet}!{address}"
    members = read_members(path)
    invoices = members[info["invoices_part"]]
    for address, formula in info["formula_cells"][info["invoices_sheet"]].items():
        assert f"<f>{formula[1:]}</f>".encode() in cells_of(invoices)[address]


def test_second_refresh_changes_nothing_but_the_stamp(
        refreshed: tuple[Path, dict, bytes], tmp_path: Path) -> None:
    path, info, _before = refreshed
    first = read_members(path)
    jobs.refresh(path, as_of=AS_OF)
    second = read_members(path)
    assert list(second) == list(first)
    assert [n for n in first if first[n] != second[n]] in ([], [info["start_part"]])
    old, new = cells_of(first[info["start_part"]]), cells_of(second[info["start_part"]])
    assert {a: c for a, c in new.items() if a != "B9"} == {a: c for a, c in old.items()
                                                          if a != "B9"}


def test_backup_holds_the_original_bytes(refreshed: tuple[Path, dict, bytes]) -> None:
    path, _info, before = refreshed
    assert path.with_name("BOOK.backup.xlsx").read_bytes() == before
    assert leftovers(path.parent) == ["BOOK.backup.xlsx", "BOOK.xlsx"]


# -- refusing to write ---------------------------------------------------------------------


def test_excel_lock_file_means_nothing_is_written(rich: tuple[Path, dict]) -> None:
    path, _info = rich
    lock = path.with_name("~$BOOK.xlsx")
    lock.write_bytes(b"\x05Owner" + b"\0" * 48)
    before = path.read_bytes()
    with pytest.raises(ArbookError, match="Excel"):
        jobs.refresh(path, as_of=AS_OF)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == ["BOOK.xlsx", "~$BOOK.xlsx"]


def test_read_only_file_is_refused(rich: tuple[Path, dict]) -> None:
    path, _info = rich
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(ArbookError, match="read-only"):
            jobs.refresh(path, as_of=AS_OF)
        assert path.read_bytes() == before
        assert leftovers(path.parent) == ["BOOK.xlsx"]
        assert os.stat(path).st_mode & 0o777 == 0o444
    finally:
        path.chmod(0o644)


def _truncated(data: bytes, _part: str) -> bytes:
    return data[: len(data) // 2]


def _text(_data: bytes, _part: str) -> bytes:
    return b"Rechnungsnr.;Betrag\nRE-1;100,00\n"


def _damaged_member(data: bytes, part: str) -> bytes:
    """Flip bytes inside the stored (deflated) data of the ledger sheet; CRC no longer fits."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:
                                                    info.header_offset + 30])
    middle = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    return data[:middle] + bytes(b ^ 0x55 for b in data[middle:middle + 16]) + data[middle + 16:]


def _crc_mismatch(data: bytes, part: str) -> bytes:
    """The ledger part deflated as stored blocks, then one digit of an amount changed.

    The deflate stream stays valid, so only the member's CRC-32 shows the damage (as
    ``unzip -t`` or ``zipfile.testzip`` do).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED,
                            compresslevel=0 if info.filename == part else 6)
    out = buffer.getvalue()
    match = re.search(rb'<c r="F2"[^>]*><v>([0-9])', out)
    assert match, "amount cell F2 not found as literal bytes"
    digit = match.start(1)
    changed = b"9" if out[digit:digit + 1] != b"9" else b"1"
    damaged = out[:digit] + changed + out[digit + 1:]
    with zipfile.ZipFile(io.BytesIO(damaged)) as check:
        assert check.testzip() == part
    return damaged


def _not_a_workbook(_data: bytes, _part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("damage", [_truncated, _text, _not_a_workbook, _damaged_member,
                                    _crc_mismatch],
                         ids=["truncated-zip", "text-file", "zip-without-workbook",
                              "damaged-member", "crc-mismatch"])
def test_corrupt_file_raises_and_stays_untouched(
        rich: tuple[Path, dict], damage: Callable[[bytes, str], bytes]) -> None:
    path, info = rich
    path.write_bytes(damage(path.read_bytes(), info["invoices_part"]))
    before = path.read_bytes()
    with pytest.raises(ArbookError):
        jobs.refresh(path, as_of=AS_OF)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == ["BOOK.xlsx"]
