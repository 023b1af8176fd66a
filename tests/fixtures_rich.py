"""A workbook that holds every kind of part a user's Excel adds around arbook's cells.

``make_rich_book`` builds it at test time, deterministically, with nothing binary committed:
``arbook init`` + one refresh, then the "user" edits it the way Excel would (openpyxl
load+save, only here, before arbook touches the file), then parts openpyxl cannot write are
added by editing the ZIP package directly: an image, a pivot table with its cache, a VBA
project and a custom ribbon.

The VBA project is a real, minimal one: an OLE compound file (MS-CFB v3) holding the MS-OVBA
streams of a project with one standard module (``Module1``), built here from its source text
(ms-ovba on PyPI could build one but is no dependency; oletools' olevba reads this one back).
The package keeps the .xlsx main content type, since arbook works on .xlsx files: Excel runs
macros only from an .xlsm, but the parts must come through a refresh unchanged either way.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from copy import copy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import CellIsRule, DataBarRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from arbook import jobs
from arbook.core.schema import INVOICES, START_SHEET

TODAY = date(2026, 11, 26)
FIRST_AS_OF = date(2026, 10, 31)  # the refresh before the user's edits
ZIP_TIME = (2026, 11, 26, 8, 0, 0)

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_PIVOT_CACHE = f"{NS_REL}/pivotCacheDefinition"
REL_PIVOT_RECORDS = f"{NS_REL}/pivotCacheRecords"
REL_PIVOT_TABLE = f"{NS_REL}/pivotTable"
REL_DRAWING = f"{NS_REL}/drawing"
REL_IMAGE = f"{NS_REL}/image"
REL_STRINGS = f"{NS_REL}/sharedStrings"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_RIBBON = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"

USER_SHEET = "Auswertung"
HIDDEN_SHEET = "Geheim"
VERY_HIDDEN_SHEET = "Makrodaten"
INSIDE_COLUMN = "Meine Spalte"  # inserted after "Referenz"
SPLIT_COLUMN = "Prüfvermerk"  # inserted between "Altersklasse" and "Status"
RIGHT_COLUMN = "Intern"  # right of the table, not part of it
PIVOT_REF = "H3:I6"
MODULE_SOURCE = (
    'Attribute VB_Name = "Module1"\r\n'
    "Sub ArbookHallo()\r\n"
    '    MsgBox "Hallo aus Module1"\r\n'
    "End Sub\r\n"
)

# -- a small PNG ---------------------------------------------------------------------------


def tiny_png(width: int = 6, height: int = 4) -> bytes:
    """An RGB PNG with a colour gradient, built with zlib and struct only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    raw = b"".join(
        b"\x00" + b"".join(bytes((40 * x % 256, 60 * y % 256, 200)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# -- a minimal real VBA project (MS-OVBA streams in an MS-CFB container) -------------------

_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_PROJECT_ID = "{5A9C0E21-3B44-4C6B-9E0F-2D7A1B3C4D5E}"


def ovba_compress(data: bytes) -> bytes:
    """An MS-OVBA CompressedContainer of one chunk of literal tokens (valid, just not smaller)."""
    body = b"".join(b"\x00" + data[i : i + 8] for i in range(0, len(data), 8))
    if len(body) > 4096:
        raise ValueError("ovba_compress handles one chunk (up to 3640 bytes) only")
    return b"\x01" + struct.pack("<H", 0xB000 | (len(body) - 1)) + body


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _dir_stream(module: str) -> bytes:
    """The decompressed ``VBA/dir`` stream: project information and one standard module."""
    name, uname = module.encode("cp1252"), module.encode("utf-16-le")
    return b"".join([
        _record(0x0001, struct.pack("<I", 1)),  # SYSKIND: 32-bit Windows
        _record(0x0002, struct.pack("<I", 0x409)),  # LCID
        _record(0x0014, struct.pack("<I", 0x409)),  # LCIDINVOKE
        _record(0x0003, struct.pack("<H", 1252)),  # CODEPAGE
        _record(0x0004, b"VBAProject"),  # NAME
        _record(0x0005, b"") + _record(0x0040, b""),  # DOCSTRING (+ unicode)
        _record(0x0006, b"") + _record(0x003D, b""),  # HELPFILEPATH (+ second path)
        _record(0x0007, struct.pack("<I", 0)),  # HELPCONTEXT
        _record(0x0008, struct.pack("<I", 0)),  # LIBFLAGS
        struct.pack("<HIIH", 0x0009, 4, 1, 0),  # VERSION 1.0
        _record(0x000C, b"") + _record(0x003C, b""),  # CONSTANTS (+ unicode)
        _record(0x000F, struct.pack("<H", 1)),  # MODULES: count
        _record(0x0013, struct.pack("<H", 0xFFFF)),  # PROJECTCOOKIE
        _record(0x0019, name) + _record(0x0047, uname),  # MODULENAME (+ unicode)
        _record(0x001A, name) + _record(0x0032, uname),  # MODULESTREAMNAME (+ unicode)
        _record(0x001C, b"") + _record(0x0048, b""),  # MODULEDOCSTRING (+ unicode)
        _record(0x0031, struct.pack("<I", 0)),  # MODULEOFFSET: source at 0 (no p-code)
        _record(0x001E, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
        _record(0x002C, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE
        struct.pack("<HI", 0x0021, 0),  # MODULETYPE: procedural
        struct.pack("<HI", 0x002B, 0),  # module terminator
        struct.pack("<HI", 0x0010, 0),  # dir terminator
    ])


def _encrypt(data: bytes, seed: int = 0x6B) -> str:
    """MS-OVBA data encryption (CMG/DPB/GC values of the PROJECT stream), as hex text."""
    key = sum(_PROJECT_ID.encode()) & 0xFF
    out = [seed, seed ^ 2, seed ^ key]
    plain1, enc1, enc2 = key, seed ^ key, seed ^ 2
    for byte in bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data:
        enc = (byte ^ ((enc2 + plain1) & 0xFF)) & 0xFF
        out.append(enc)
        enc2, enc1, plain1 = enc1, enc, byte
    return bytes(out).hex().upper()


def _project_stream(module: str) -> bytes:
    protection, password, visible = (_encrypt(struct.pack("<I", 0)), _encrypt(bytes([0])),
                                     _encrypt(bytes([0xFF])))
    lines = [
        f'ID="{_PROJECT_ID}"',
        f"Module={module}",
        'Name="VBAProject"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{protection}"',
        f'DPB="{password}"',
        f'GC="{visible}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
    ]
    return "\r\n".join(lines).encode("cp1252") + b"\r\n"


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal MS-CFB v3 file; ``streams`` maps 'Storage/Stream' paths to small streams."""
    entries: list[dict[str, Any]] = [{"name": "Root Entry", "type": 5, "kids": [], "data": b""}]
    index = {"": 0}
    for path, data in streams.items():
        if len(data) >= 4096:
            raise ValueError("compound_file keeps every stream in the mini stream (< 4096 bytes)")
        parts = path.split("/")
        parent = 0
        for depth in range(len(parts)):
            key = "/".join(parts[: depth + 1])
            if key not in index:
                leaf = depth == len(parts) - 1
                entries.append({"name": parts[depth], "type": 2 if leaf else 1, "kids": [],
                                "data": data if leaf else b""})
                index[key] = len(entries) - 1
                entries[parent]["kids"].append(index[key])
            parent = index[key]
    mini, minifat = bytearray(), []
    for entry in entries:
        entry.update(left=_NO_STREAM, right=_NO_STREAM, child=_NO_STREAM, start=0, size=0)
    for entry in entries[1:]:
        if entry["type"] != 2:
            continue
        count = -(-len(entry["data"]) // 64)
        entry["start"] = len(minifat) if count else _END_OF_CHAIN
        entry["size"] = len(entry["data"])
        minifat += [len(minifat) + k + 1 for k in range(count - 1)] + [_END_OF_CHAIN] * (count > 0)
        mini += entry["data"].ljust(count * 64, b"\0")

    def tree(ids: list[int]) -> int:  # a balanced binary tree (all nodes black)
        if not ids:
            return _NO_STREAM
        mid = len(ids) // 2
        entries[ids[mid]]["left"], entries[ids[mid]]["right"] = tree(ids[:mid]), tree(ids[mid + 1:])
        return ids[mid]

    for entry in entries:
        kids = sorted(entry["kids"], key=lambda i: (len(entries[i]["name"]),
                                                     entries[i]["name"].upper()))
        entry["child"] = tree(kids)
    n_dir = -(-len(entries) // 4)
    n_minifat = -(-len(minifat) * 4 // 512)
    n_mini = -(-len(mini) // 512)
    first_dir, first_minifat = 1, 1 + n_dir
    first_mini = first_minifat + n_minifat
    if first_mini + n_mini > 128:
        raise ValueError("compound_file uses a single FAT sector")
    entries[0]["start"] = first_mini if mini else _END_OF_CHAIN
    entries[0]["size"] = len(mini)

    def chain(first: int, count: int) -> list[int]:
        return [first + k + 1 for k in range(count - 1)] + [_END_OF_CHAIN] * (count > 0)

    fat = [_FAT_SECTOR] + chain(first_dir, n_dir) + chain(first_minifat, n_minifat) \
        + chain(first_mini, n_mini)
    fat += [_FREE] * (128 - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, 1, first_dir, 0, 4096,
        first_minifat if minifat else _END_OF_CHAIN, n_minifat, _END_OF_CHAIN, 0,
    ) + struct.pack("<109I", 0, *([_FREE] * 108))
    directory = bytearray()
    for entry in entries:
        name = entry["name"].encode("utf-16-le")
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name) + 2, entry["type"], 1, entry["left"],
            entry["right"], entry["child"], b"\0" * 16, 0, 0, 0, entry["start"], entry["size"])
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NO_STREAM, _NO_STREAM,
                        _NO_STREAM, b"\0" * 16, 0, 0, 0, 0, 0)
    directory += empty * (n_dir * 4 - len(entries))
    body = (struct.pack("<128I", *fat) + bytes(directory)
            + struct.pack(f"<{len(minifat)}I", *minifat).ljust(n_minifat * 512, b"\xff")
            + bytes(mini).ljust(n_mini * 512, b"\0"))
    return header + body


def vba_project(source: str = MODULE_SOURCE, module: str = "Module1") -> bytes:
    """A vbaProject.bin with one standard module holding ``source``."""
    return compound_file({
        "PROJECT": _project_stream(module),
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",  # version 0xFFFF: no p-code
        "VBA/dir": ovba_compress(_dir_stream(module)),
        f"VBA/{module}": ovba_compress(source.encode("cp1252")),
    })


# -- package helpers (also used by the tests) ----------------------------------------------


def sheet_parts(members: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> worksheet part name, from workbook.xml and its relationships."""
    rels = ElementTree.fromstring(members["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", ""))
               for r in rels.iter(f"{{{NS_PKG}}}Relationship")}
    book = ElementTree.fromstring(members["xl/workbook.xml"])
    return {s.get("name"): targets[s.get(f"{{{NS_REL}}}id")]
            for s in book.iter(f"{{{NS_MAIN}}}sheet")}


def related(members: dict[str, bytes], part: str, rel_type: str) -> list[str]:
    """Parts that ``part`` points to with relationships of ``rel_type``."""
    folder, name = part.rsplit("/", 1)
    rels_name = f"{folder}/_rels/{name}.rels"
    if rels_name not in members:
        return []
    root = ElementTree.fromstring(members[rels_name])
    return [_resolve(part, r.get("Target", "")) for r in root.iter(f"{{{NS_PKG}}}Relationship")
            if r.get("Type") == rel_type]


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    parts = base.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _write_members(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)


# -- the user's edits, as Excel would save them (openpyxl, before arbook sees the file) -----


def _shift_ref(ref: str, at: int) -> str:
    """Cell references in ``ref`` with column >= ``at`` moved one column right."""

    def move(match: re.Match[str]) -> str:
        dollar, letters, rest = match.groups()
        col = range_boundaries(f"{letters}1")[0]
        return f"{dollar}{get_column_letter(col + 1 if col >= at else col)}{rest}"

    return re.sub(r"(\$?)([A-Z]{1,3})(\$?\d+)", move, ref)


def _insert_table_column(ws: Worksheet, at: int, header: str) -> None:
    """Insert a sheet column inside tblInvoices, as Excel's 'Insert Table Column' does."""
    widths = {range_boundaries(f"{k}1")[0]: d.width for k, d in ws.column_dimensions.items()}
    ws.insert_cols(at)
    for col in sorted(widths, reverse=True):
        if col >= at:
            ws.column_dimensions[get_column_letter(col + 1)].width = widths[col]
    ws.column_dimensions[get_column_letter(at)].width = 15
    table = ws.tables["tblInvoices"]
    first_col, _, _, _ = range_boundaries(table.ref)
    table.ref = _shift_ref(table.ref, at)
    table.autoFilter.ref = table.ref
    new_id = max(c.id for c in table.tableColumns) + 1
    table.tableColumns.insert(at - first_col, TableColumn(id=new_id, name=header))
    for dv in ws.data_validations.dataValidation:
        dv.sqref = MultiCellRange(" ".join(_shift_ref(str(r), at) for r in dv.sqref.ranges))
    shifted = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            rule.formula = [re.sub(r'"[^"]*"|\$?[A-Z]{1,3}\$?\d+',
                                   lambda m: m.group(0) if m.group(0).startswith('"')
                                   else _shift_ref(m.group(0), at), f) for f in rule.formula]
            shifted.add(" ".join(_shift_ref(str(r), at) for r in cf.sqref.ranges), rule)
    ws.conditional_formatting = shifted
    ws.cell(row=1, column=at, value=header)._style = copy(ws.cell(row=1, column=at - 1)._style)


def _sort_rows(ws: Worksheet, first: int, last: int, width: int, amount_col: int) -> None:
    """Sort the table's data rows by amount, largest first (as a user would)."""
    rows = [[(ws.cell(r, c).value, copy(ws.cell(r, c)._style)) for c in range(1, width + 1)]
            for r in range(first, last + 1)]
    rows.sort(key=lambda cells: (-(cells[amount_col - 1][0] or 0), str(cells[0][0])))
    for r, cells in enumerate(rows, start=first):
        for c, (value, style) in enumerate(cells, start=1):
            cell = ws.cell(r, c)
            cell.value = value
            cell._style = style


@dataclass
class _Typed:
    """The cells the "user" types, per sheet: values and formulas apart."""

    values: dict[str, dict[str, object]] = field(default_factory=dict)
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)

    def put(self, ws: Worksheet, row: int, column: int, value: object) -> Cell:
        cell = ws.cell(row, column, value)
        formula = isinstance(value, str) and value.startswith("=")
        target: dict[str, dict[str, Any]] = self.formulas if formula else self.values
        target.setdefault(ws.title, {})[cell.coordinate] = value
        return cell


RED = PatternFill("solid", fgColor="FFC7CE")
GREEN = PatternFill("solid", fgColor="C6EFCE")
NOTES = ("Kunde ruft zurück", "Rabatt <5%> & Skonto prüfen", "  Leerzeichen vorn",
         "Zweizeilig\nzweite Zeile", "Größe/Übermaß – ÄÖÜß €", "Emoji ✓ 👍")


def _edit_ledger(ws: Worksheet, lang: str, typed: _Typed) -> dict[str, int]:
    """Sort, insert two table columns, type notes, format, comment, validate: header -> col."""
    def label(key: str) -> str:
        return INVOICES.column(key).label(lang)

    _, _, last_col, last_row = range_boundaries(ws.tables["tblInvoices"].ref)
    headers = [ws.cell(1, c).value for c in range(1, last_col + 1)]
    _sort_rows(ws, 2, last_row, last_col, headers.index(label("amount")) + 1)
    _insert_table_column(ws, headers.index(label("reference")) + 2, INSIDE_COLUMN)
    headers = [ws.cell(1, c).value for c in range(1, last_col + 2)]
    _insert_table_column(ws, headers.index(label("status")) + 1, SPLIT_COLUMN)
    col = {ws.cell(1, c).value: c for c in range(1, last_col + 3)}
    right = last_col + 3
    amount = get_column_letter(col[label("amount")])
    for i, row in enumerate(range(2, last_row + 1)):
        if i % 4 == 0:
            cell = typed.put(ws, row, col[label("note")], NOTES[(i // 4) % len(NOTES)])
            if i % 8 == 0:
                cell.fill = RED
        if i % 3 == 1:
            typed.put(ws, row, col[label("owner")], ("MK", "SB", "TL", "AB")[i % 4]).font = \
                Font(bold=True, color="9C0006")
        if i % 2 == 0:
            typed.put(ws, row, col[INSIDE_COLUMN], f"eigene Angabe {i}" if i % 6 else 1000 + i)
        if i % 5 == 0:
            typed.put(ws, row, col[SPLIT_COLUMN], "ok" if i % 10 else "prüfen").fill = GREEN
        if i % 7 == 0:
            typed.put(ws, row, right, f"intern {i}")
        elif i % 7 == 3:
            typed.put(ws, row, right, f"={amount}{row}*0.19")
    typed.put(ws, 1, right, RIGHT_COLUMN).font = Font(bold=True, italic=True)
    ws.column_dimensions[get_column_letter(right)].width = 18
    ws.cell(3, col[label("open")]).fill = RED  # the user formats a computed cell

    for row, text in ((2, "Bitte mit Vertrieb klären"), (5, "Teilzahlung angekündigt")):
        ws.cell(row, 1).comment = Comment(text, "MK", width=200, height=60)
    ws.cell(4, col[label("note")]).comment = Comment("Notiz von SB", "SB")
    ws.cell(6, col[label("open")]).comment = Comment("Betrag mit Buchhaltung abgestimmt", "TL")

    letter = {name: get_column_letter(c) for name, c in col.items()}
    for column, formula in ((label("owner"), "Kuerzel"), (SPLIT_COLUMN, '"ok,prüfen,offen"')):
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.add(f"{letter[column]}2:{letter[column]}{last_row}")
        ws.add_data_validation(dv)
    ws.conditional_formatting.add(
        f"{letter[label('open')]}2:{letter[label('open')]}{last_row}",
        CellIsRule(operator="greaterThan", formula=["10000"], font=Font(color="9C0006")))
    ws.conditional_formatting.add(
        f"{letter[label('days_overdue')]}2:{letter[label('days_overdue')]}{last_row}",
        DataBarRule(start_type="min", end_type="max", color="638EC6"))
    note = letter[label("note")]
    ws.defined_names["Notizen"] = DefinedName(
        "Notizen", attr_text=f"'{ws.title}'!${note}$2:${note}${last_row}")
    return {**col, RIGHT_COLUMN: right, "last_row": last_row}


def _add_user_sheets(wb: Workbook, lang: str, typed: _Typed, col: dict[str, int]) -> dict:
    """Hidden sheets, defined names, a sheet with formulas, pivot output and a chart.

    Returns what the pivot table (added to the package later) summarises.
    """
    def label(key: str) -> str:
        return INVOICES.column(key).label(lang)

    ledger, last_row = wb[INVOICES.sheet(lang)], col["last_row"]
    hidden = wb.create_sheet(HIDDEN_SHEET)
    for r, code in enumerate(("MK", "SB", "TL", "AB"), start=1):
        typed.put(hidden, r, 1, code)
    hidden.sheet_state = "hidden"
    very_hidden = wb.create_sheet(VERY_HIDDEN_SHEET)
    very_hidden["A1"] = "nur für Makros"
    very_hidden.sheet_state = "veryHidden"
    wb.defined_names["Kuerzel"] = DefinedName("Kuerzel", attr_text=f"{HIDDEN_SHEET}!$A$1:$A$4")
    wb.defined_names["OffenGesamt"] = DefinedName(
        "OffenGesamt", attr_text=f"SUM(tblInvoices[{label('open')}])")

    user = wb.create_sheet(USER_SHEET, index=1)
    typed.put(user, 1, 1, "Auswertung der offenen Posten").font = Font(bold=True, size=14)
    opened, currency = f"tblInvoices[{label('open')}]", f"tblInvoices[{label('currency')}]"
    amount = get_column_letter(col[label("amount")])
    for r, (text, formula) in enumerate([
        ("Summe offen", f"=SUM({opened})"),
        ("offen EUR", f'=SUMIFS({opened},{currency},"EUR")'),
        ("offen CHF", f'=SUMIFS({opened},{currency},"CHF")'),
        ("überfällig (Anzahl)", f'=COUNTIF(tblInvoices[{label("status")}],'
                                f'"{"überfällig" if lang == "de" else "overdue"}")'),
        ("Summe Betrag", f"=SUM('{ledger.title}'!${amount}$2:${amount}${last_row})"),
        ("Stand", "=arbook_as_of"),
        ("Summe offen (Name)", "=OffenGesamt"),
    ], start=3):
        typed.put(user, r, 1, text)
        typed.put(user, r, 2, formula)

    currencies = [ledger.cell(r, col[label("currency")]).value for r in range(2, last_row + 1)]
    amounts = [ledger.cell(r, col[label("amount")]).value for r in range(2, last_row + 1)]
    items = sorted(set(currencies))
    sums = [round(sum(a for c, a in zip(currencies, amounts, strict=True) if c == item), 2)
            for item in items]
    for r, (a, b) in enumerate([("Zeilenbeschriftungen", "Summe von Betrag"),
                                *zip(items, sums, strict=True),
                                ("Gesamtergebnis", round(sum(amounts), 2))], start=3):
        typed.put(user, r, 8, a)
        typed.put(user, r, 9, b)

    start = wb[START_SHEET[lang]]
    chart = BarChart()
    chart.title = "Offene Posten nach Altersklasse"
    chart.add_data(Reference(start, min_col=2, max_col=3, min_row=12, max_row=19),
                   titles_from_data=True)
    chart.set_categories(Reference(start, min_col=1, min_row=13, max_row=19))
    user.add_chart(chart, "D12")
    return {"currencies": currencies, "amounts": amounts, "items": items,
            "source": f"{get_column_letter(col[label('currency')])}1:{amount}{last_row}",
            "fields": (label("currency"), label("amount"))}


def _user_edits(path: Path, lang: str) -> dict[str, Any]:
    """Everything a user adds in Excel that openpyxl can write; returns what was added."""
    wb = load_workbook(path)
    typed = _Typed()
    col = _edit_ledger(wb[INVOICES.sheet(lang)], lang, typed)
    start = wb[START_SHEET[lang]]
    start.cell(9, 2).value = "26.11.2026 08:00 – Stichtag 31.10.2026"  # fixed: deterministic
    typed.put(start, 3, 4, "Notiz vom Chef: bitte freitags aktualisieren").fill = GREEN
    typed.put(start, 30, 1, "Eigene Zeile unter dem Block")
    typed.put(start, 31, 1, 42.5)
    pivot = _add_user_sheets(wb, lang, typed, col)
    wb.save(path)
    last_row = col.pop("last_row")
    return {
        "invoices_sheet": INVOICES.sheet(lang),
        "columns": {name: get_column_letter(c) for name, c in col.items()},
        "right_column": get_column_letter(col[RIGHT_COLUMN]),
        "last_row": last_row,
        "user_cells": typed.values,
        "formula_cells": typed.formulas,
        "pivot": pivot,
    }


# -- parts openpyxl cannot write: edited into the package directly -------------------------


def _add_rel(xml: bytes, rel_id: str, rel_type: str, target: str) -> bytes:
    rel = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/>'.encode()
    return xml.replace(b"</Relationships>", rel + b"</Relationships>")


def _new_rels(*rels: tuple[str, str, str]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in rels)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG}">{body}</Relationships>').encode()


def _pivot_parts(pivot: dict[str, Any], sheet: str) -> dict[str, bytes]:
    n = len(pivot["amounts"])
    items = "".join(f'<s v="{c}"/>' for c in pivot["items"])
    currency, amount = pivot["fields"]
    definition = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pivotCacheDefinition xmlns="{NS_MAIN}" xmlns:r="{NS_REL}" r:id="rId1" '
        f'refreshOnLoad="0" createdVersion="6" refreshedVersion="6" minRefreshableVersion="3" '
        f'recordCount="{n}"><cacheSource type="worksheet"><worksheetSource '
        f'ref="{pivot["source"]}" sheet="{sheet}"/></cacheSource><cacheFields count="2">'
        f'<cacheField name="{currency}" numFmtId="0"><sharedItems count="{len(pivot["items"])}">'
        f'{items}</sharedItems></cacheField><cacheField name="{amount}" numFmtId="4">'
        f'<sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" '
        f'minValue="{min(pivot["amounts"])}" maxValue="{max(pivot["amounts"])}"/></cacheField>'
        f"</cacheFields></pivotCacheDefinition>")
    records = "".join(f'<r><x v="{pivot["items"].index(c)}"/><n v="{a}"/></r>'
                      for c, a in zip(pivot["currencies"], pivot["amounts"], strict=True))
    row_items = "".join(f'<i><x v="{k}"/></i>' if k else "<i><x/></i>"
                        for k in range(len(pivot["items"])))
    field_items = "".join(f'<item x="{k}"/>' for k in range(len(pivot["items"])))
    table = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pivotTableDefinition xmlns="{NS_MAIN}" name="PivotWaehrung" cacheId="1" '
        f'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" '
        f'applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
        f'dataCaption="Werte" updatedVersion="6" minRefreshableVersion="3" '
        f'useAutoFormatting="1" itemPrintTitles="1" createdVersion="6" indent="0" outline="1" '
        f'outlineData="1" multipleFieldFilters="0"><location ref="{PIVOT_REF}" '
        f'firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/><pivotFields count="2">'
        f'<pivotField axis="axisRow" showAll="0"><items count="{len(pivot["items"]) + 1}">'
        f'{field_items}<item t="default"/></items></pivotField>'
        f'<pivotField dataField="1" numFmtId="4" showAll="0"/></pivotFields>'
        f'<rowFields count="1"><field x="0"/></rowFields>'
        f'<rowItems count="{len(pivot["items"]) + 1}">{row_items}<i t="grand"><x/></i>'
        f'</rowItems><colItems count="1"><i/></colItems><dataFields count="1">'
        f'<dataField name="Summe von Betrag" fld="1" baseField="0" baseItem="0" numFmtId="4"/>'
        f'</dataFields><pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" '
        f'showColHeaders="1" showRowStripes="0" showColStripes="0" showLastColumn="1"/>'
        f"</pivotTableDefinition>")
    return {
        "xl/pivotCache/pivotCacheDefinition1.xml": definition.encode(),
        "xl/pivotCache/pivotCacheRecords1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<pivotCacheRecords xmlns="{NS_MAIN}" count="{n}">{records}</pivotCacheRecords>'
        ).encode(),
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": _new_rels(
            ("rId1", REL_PIVOT_RECORDS, "pivotCacheRecords1.xml")),
        "xl/pivotTables/pivotTable1.xml": table.encode(),
        "xl/pivotTables/_rels/pivotTable1.xml.rels": _new_rels(
            ("rId1", REL_PIVOT_CACHE, "../pivotCache/pivotCacheDefinition1.xml")),
    }


def _image_drawing() -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        f'xmlns:r="{NS_REL}"><xdr:oneCellAnchor><xdr:from><xdr:col>4</xdr:col><xdr:colOff>0'
        "</xdr:colOff><xdr:row>0</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        '<xdr:ext cx="571500" cy="381000"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" '
        'name="Logo" descr="Firmenlogo"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/>'
        '</xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch>'
        '<a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/>'
        '<a:ext cx="571500" cy="381000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        "</a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>"
    ).encode()


CUSTOM_UI = (
    b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
    b'<ribbon><tabs><tab id="tabArbook" label="arbook"><group id="grpArbook" '
    b'label="Offene Posten"><button id="btnHallo" label="Hallo" size="large" '
    b'imageMso="Refresh" onAction="ArbookHallo"/></group></tab></tabs></ribbon></customUI>'
)


_INLINE = re.compile(rb'(<c r="[A-Z]+[0-9]+"[^>]*?) t="inlineStr"><is><t(?: xml:space="preserve")?>'
                     rb"([^<]*)</t></is></c>")


def _share_strings(members: dict[str, bytes], parts: list[str]) -> bytes:
    """Turn inline strings into shared strings, as Excel saves them; returns sharedStrings.xml."""
    strings: dict[bytes, int] = {}
    count = 0

    def share(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        index = strings.setdefault(match.group(2), len(strings))
        return match.group(1) + b' t="s"><v>' + str(index).encode() + b"</v></c>"

    for part in parts:
        members[part] = _INLINE.sub(share, members[part])
    items = b"".join(
        b"<si><t" + (b' xml:space="preserve">' if text != text.strip() else b">") + text
        + b"</t></si>" for text in strings)
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            + f'<sst xmlns="{NS_MAIN}" count="{count}" uniqueCount="{len(strings)}">'.encode()
            + items + b"</sst>")


def _add_package_parts(path: Path, info: dict[str, Any], lang: str) -> list[str]:
    """Add image, pivot table, VBA project and ribbon; make calcPr look like Excel's."""
    members = read_members(path)
    sheets = sheet_parts(members)
    start_part = sheets[START_SHEET[lang]]
    user_part = sheets[USER_SHEET]
    added: dict[str, bytes] = {}

    # Image (logo) on the Start sheet, which arbook rewrites: its <drawing> must survive.
    added["xl/media/image1.png"] = tiny_png()
    added["xl/drawings/drawing99.xml"] = _image_drawing()
    added["xl/drawings/_rels/drawing99.xml.rels"] = _new_rels(
        ("rId1", REL_IMAGE, "../media/image1.png"))
    folder, name = start_part.rsplit("/", 1)
    start_rels = f"{folder}/_rels/{name}.rels"
    if start_rels in members:
        raise AssertionError("expected no relationships on the Start sheet yet")
    added[start_rels] = _new_rels(("rIdLogo", REL_DRAWING, "../drawings/drawing99.xml"))
    members[start_part] = members[start_part].replace(
        b"</worksheet>", f'<drawing xmlns:r="{NS_REL}" r:id="rIdLogo"/></worksheet>'.encode())

    # Pivot table on the user sheet, its cache on the ledger's currency and amount columns.
    added.update(_pivot_parts(info["pivot"], info["invoices_sheet"]))
    folder, name = user_part.rsplit("/", 1)
    user_rels = f"{folder}/_rels/{name}.rels"
    members[user_rels] = _add_rel(members[user_rels], "rIdPivot1", REL_PIVOT_TABLE,
                                  "../pivotTables/pivotTable1.xml")
    members["xl/_rels/workbook.xml.rels"] = _add_rel(
        members["xl/_rels/workbook.xml.rels"], "rIdPivotCache1", REL_PIVOT_CACHE,
        "pivotCache/pivotCacheDefinition1.xml")

    # VBA project and ribbon.
    added["xl/vbaProject.bin"] = vba_project()
    members["xl/_rels/workbook.xml.rels"] = _add_rel(
        members["xl/_rels/workbook.xml.rels"], "rIdVba", REL_VBA, "vbaProject.bin")
    added["customUI/customUI14.xml"] = CUSTOM_UI
    members["_rels/.rels"] = _add_rel(members["_rels/.rels"], "rIdRibbon", REL_RIBBON,
                                      "customUI/customUI14.xml")

    # An external link to another workbook (Excel keeps its cached values in the part).
    added["xl/externalLinks/externalLink1.xml"] = (
        f'<externalLink xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="Plan"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
        '<row r="1"><cell r="A1"><v>42</v></cell></row></sheetData></sheetDataSet>'
        '</externalBook></externalLink>').encode()
    added["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{NS_REL}/externalLinkPath" Target="Budget-2026.xlsx" '
        'TargetMode="External"/></Relationships>').encode()
    members["xl/_rels/workbook.xml.rels"] = _add_rel(
        members["xl/_rels/workbook.xml.rels"], "rIdExt1", f"{NS_REL}/externalLink",
        "externalLinks/externalLink1.xml")

    # Excel keeps text in the shared-strings table.
    added["xl/sharedStrings.xml"] = _share_strings(members, list(sheets.values()))
    members["xl/_rels/workbook.xml.rels"] = _add_rel(
        members["xl/_rels/workbook.xml.rels"], "rIdStrings", REL_STRINGS, "sharedStrings.xml")

    # Excel writes calcPr without fullCalcOnLoad, so refresh has to add it.
    workbook = members["xl/workbook.xml"]
    workbook, count = re.subn(
        rb"<calcPr\b[^>]*/>",
        f'<calcPr calcId="191029"/><pivotCaches><pivotCache cacheId="1" '
        f'xmlns:r="{NS_REL}" r:id="rIdPivotCache1"/></pivotCaches>'.encode(), workbook)
    assert count == 1, "calcPr not found in workbook.xml"
    workbook = workbook.replace(b"</sheets>", f'</sheets><externalReferences><externalReference '
                                f'xmlns:r="{NS_REL}" r:id="rIdExt1"/></externalReferences>'
                                .encode(), 1)
    members["xl/workbook.xml"] = workbook

    types = members["[Content_Types].xml"]
    overrides = [
        ("/xl/drawings/drawing99.xml", CT_DRAWING),
        ("/xl/sharedStrings.xml", f"{CT_SHEET}.sharedStrings+xml"),
        ("/xl/pivotCache/pivotCacheDefinition1.xml", f"{CT_SHEET}.pivotCacheDefinition+xml"),
        ("/xl/pivotCache/pivotCacheRecords1.xml", f"{CT_SHEET}.pivotCacheRecords+xml"),
        ("/xl/pivotTables/pivotTable1.xml", f"{CT_SHEET}.pivotTable+xml"),
        ("/xl/externalLinks/externalLink1.xml", f"{CT_SHEET}.externalLink+xml"),
    ]
    extra = '<Default Extension="bin" ContentType="' + CT_VBA + '"/>'
    if b'Extension="png"' not in types:
        extra += '<Default Extension="png" ContentType="image/png"/>'
    extra += "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    members["[Content_Types].xml"] = re.sub(rb"(<Types\b[^>]*>)", lambda m: m.group(1)
                                            + extra.encode(), types, count=1)

    # Deterministic document properties (openpyxl stamps the save time).
    members["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*", rb"\g<1>2026-11-26T08:00:00Z",
        members["docProps/core.xml"])
    members.update(added)
    _write_members(path, members)
    return sorted(added)


def make_rich_book(path: Path, lang: str = "de") -> dict[str, Any]:
    """Create ``path``: a sample book (60 invoices) with every part a user's Excel may add.

    Returns what was added: part names (``added_parts``), the parts arbook owns
    (``owned_parts``), the user's typed cells per sheet (``user_cells``, address -> value),
    the user's formulas (``formula_cells``) and the Invoices column letters by header.
    """
    path = Path(path)
    jobs.init_book(path, lang=lang, sample=60, seed=1, today=TODAY)
    jobs.refresh(path, as_of=FIRST_AS_OF)
    path.with_name(f"{path.stem}.backup{path.suffix}").unlink()
    info = _user_edits(path, lang)
    info["added_parts"] = _add_package_parts(path, info, lang)
    members = read_members(path)
    sheets = sheet_parts(members)
    problems_sheet = sheets["Probleme" if lang == "de" else "Problems"]
    tables = related(members, problems_sheet, f"{NS_REL}/table")
    info["sheet_parts"] = sheets
    info["invoices_part"] = sheets[info["invoices_sheet"]]
    info["start_part"] = sheets[START_SHEET[lang]]
    info["problems_part"] = problems_sheet
    info["problems_table_part"] = tables[0]
    info["owned_parts"] = sorted({info["invoices_part"], info["start_part"], problems_sheet,
                                  tables[0], "xl/workbook.xml"})
    return info
