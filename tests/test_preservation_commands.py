"""Every command that writes a workbook leaves what it does not own as it was.

test_preservation.py proves this for refresh in detail; here each other writing command
(import-invoices, import-bank, remind, nightly, review) runs on the same rich book (chart,
image, pivot, comments, validation, conditional formats, names, hidden sheets, VBA, ribbon,
user columns and sheets). Parts outside arbook's own sheets and tables must be byte-identical
as stored, shared strings may only grow at the end, and every user cell keeps its value.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from arbook import imports, nightly, remind, review
from arbook.core.schema import REVIEW_SHEET, START_SHEET, TABLES
from tests.fixtures_rich import read_members
from tests.test_imports import PAY_RE100, UNKNOWN, write_camt
from tests.test_preservation import (  # noqa: F401  (rich_template: the fixture)
    AS_OF,
    raw_entries,
    rich_template,
    sheet_values,
    value_at,
)

ERP = "Belegnummer;Debitor;Betrag;Fälligkeit\nRE-77;K3;99,00;01.05.2026\n"


def import_invoices(book: Path) -> None:
    export = book.parent / "export.csv"
    export.write_text(ERP, encoding="utf-8")
    imports.import_invoices(book, export, as_of=AS_OF)


def import_bank(book: Path) -> None:
    imports.import_bank(book, [write_camt(book.parent, [PAY_RE100, UNKNOWN])], as_of=AS_OF)


def run_nightly(book: Path) -> None:
    inbox = book.parent / "inbox"
    inbox.mkdir()
    (inbox / "export.csv").write_text(ERP, encoding="utf-8")
    write_camt(inbox, [UNKNOWN])
    nightly.nightly(book, AS_OF, settle_seconds=0)


COMMANDS = {"import-invoices": import_invoices, "import-bank": import_bank,
            "remind": lambda book: remind.remind(book, AS_OF), "nightly": run_nightly,
            "review": lambda book: review.review(book, AS_OF)}


def arbook_parts(book: Path, sheet_parts: dict[str, str]) -> set[str]:
    """Parts arbook may rewrite: its own sheets and tables, workbook.xml, shared strings."""
    own_sheets = {spec.sheet("de") for spec in TABLES} | {START_SHEET["de"], REVIEW_SHEET["de"]}
    own_tables = {spec.name for spec in TABLES}
    parts = {"xl/workbook.xml", "xl/sharedStrings.xml"}
    parts |= {part for sheet, part in sheet_parts.items() if sheet in own_sheets}
    for name, xml in read_members(book).items():
        match = re.search(rb'<table\b[^>]*\sname="([^"]+)"', xml) \
            if name.startswith("xl/tables/") else None
        if match and match.group(1).decode() in own_tables:
            parts.add(name)
    return parts


@pytest.mark.parametrize("command", COMMANDS)
def test_a_writing_command_keeps_every_part_and_cell_it_does_not_own(
        command, tmp_path, rich_template):  # noqa: F811
    source, info = rich_template
    book = tmp_path / "BOOK.xlsx"
    shutil.copyfile(source, book)
    before = raw_entries(book)
    owned = arbook_parts(book, info["sheet_parts"])
    COMMANDS[command](book)
    after = raw_entries(book)
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed, "the command wrote nothing: the test proves nothing"
    assert set(before) <= set(after), "parts were dropped"
    assert changed <= owned, f"{command} changed parts it does not own: {changed - owned}"
    old_strings, new_strings = (read_members(p).get("xl/sharedStrings.xml", b"")
                                for p in (source, book))
    old_si = re.findall(rb"<si>.*?</si>", old_strings, re.S)
    assert re.findall(rb"<si>.*?</si>", new_strings, re.S)[:len(old_si)] == old_si
    for sheet, cells in info["user_cells"].items():
        grid = sheet_values(book, sheet)
        for address, value in cells.items():
            shown = value_at(grid, address)
            expected = pytest.approx(value) if isinstance(value, int | float) else value
            assert shown == expected, f"{command}: {sheet}!{address}"
