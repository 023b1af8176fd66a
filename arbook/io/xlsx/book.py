"""Where things are in a workbook package: sheets, Excel tables, shared strings, date system."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from defusedxml import ElementTree

from arbook.core.problems import ArbookError
from arbook.io.xlsx.package import Package
from arbook.io.xlsx.scan import col_index
from arbook.io.xlsx.sst import SharedStrings

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
}
REL_ID = f"{{{NS['r']}}}id"
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


def split_ref(ref: str) -> tuple[int, int, int, int]:
    """'B3:X120' -> (first_col, first_row, last_col, last_row), 1-based."""
    match = _REF.match(ref.strip().upper())
    if not match:
        raise ArbookError(f"cannot read the cell range '{ref}'")
    c1, r1, c2, r2 = match.groups()
    c2, r2 = c2 or c1, r2 or r1
    return col_index(c1), int(r1), col_index(c2), int(r2)


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


@dataclass(frozen=True)
class TableInfo:
    name: str
    part: str  # e.g. xl/tables/table1.xml
    sheet_name: str
    sheet_part: str
    ref: str
    headers: tuple[str, ...]
    header_rows: int
    totals_rows: int

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        return split_ref(self.ref)

    @property
    def first_data_row(self) -> int:
        return self.bounds[1] + self.header_rows

    @property
    def last_data_row(self) -> int:
        return self.bounds[3] - self.totals_rows

    def column_of(self, header: str) -> int:
        """Sheet column index (1-based) of a table column, found by header text."""
        return self.bounds[0] + self.headers.index(header)


class Book:
    """Read-only view of a workbook package's structure."""

    def __init__(self, package: Package):
        self.package = package

    def _xml(self, part: str):
        try:
            return ElementTree.fromstring(self.package.read(part))
        except ElementTree.ParseError as exc:
            raise ArbookError(f"{self.package.path.name}: {part} is damaged ({exc})") from exc

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, resolved target part)."""
        name = _rels_name(part)
        if not self.package.has(name):
            return {}
        out = {}
        for rel in self._xml(name).findall("pr:Relationship", NS):
            if rel.get("TargetMode") == "External":
                continue
            out[rel.get("Id")] = (rel.get("Type", ""), _resolve(part, rel.get("Target", "")))
        return out

    @cached_property
    def _workbook(self):
        return self._xml("xl/workbook.xml")

    @cached_property
    def date1904(self) -> bool:
        pr = self._workbook.find("m:workbookPr", NS)
        return pr is not None and pr.get("date1904") in ("1", "true")

    @cached_property
    def sheets(self) -> dict[str, str]:
        """Sheet name -> worksheet part, in workbook order."""
        rels = self.rels("xl/workbook.xml")
        out = {}
        for sheet in self._workbook.findall("m:sheets/m:sheet", NS):
            rel = rels.get(sheet.get(REL_ID))
            if rel is not None:
                out[sheet.get("name")] = rel[1]
        return out

    @cached_property
    def tables(self) -> dict[str, TableInfo]:
        out = {}
        for sheet_name, sheet_part in self.sheets.items():
            for rel_type, target in self.rels(sheet_part).values():
                if not rel_type.endswith("/table"):
                    continue
                root = self._xml(target)
                name = root.get("displayName") or root.get("name") or ""
                headers = tuple(
                    c.get("name", "") for c in root.findall("m:tableColumns/m:tableColumn", NS)
                )
                out[name.casefold()] = TableInfo(
                    name=name,
                    part=target,
                    sheet_name=sheet_name,
                    sheet_part=sheet_part,
                    ref=root.get("ref", ""),
                    headers=headers,
                    header_rows=int(root.get("headerRowCount", "1")),
                    totals_rows=int(root.get("totalsRowCount", "0") or 0),
                )
        return out

    def forget_tables(self) -> None:
        """Drop the cached table list, so a table part replaced since is read afresh."""
        self.__dict__.pop("tables", None)

    def has_table(self, name: str) -> bool:
        return name.casefold() in self.tables

    def table(self, name: str) -> TableInfo:
        info = self.tables.get(name.casefold())
        if info is None:
            raise ArbookError(
                f"{self.package.path.name} has no Excel table named {name}. arbook finds its "
                "sheets by their table names; rename the table back (Table Design > Table Name) "
                "or create a new workbook with 'arbook init'."
            )
        return info

    @cached_property
    def shared_strings_part(self) -> str | None:
        for rel_type, target in self.rels("xl/workbook.xml").values():
            if rel_type.endswith("/sharedStrings") and self.package.has(target):
                return target
        return None

    @cached_property
    def shared_string_table(self) -> SharedStrings:
        part = self.shared_strings_part
        return SharedStrings(self.package.read(part) if part else None)

    @property
    def shared_strings(self) -> np.ndarray:
        return self.shared_string_table.texts
