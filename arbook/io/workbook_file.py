"""The workbook port for a closed .xlsx file: read tables, write arbook's own cells, save safely.

Only these parts change: the worksheet parts of sheets whose cells arbook writes (and there
only those cells), the Problems table's range, ``calcPr`` in workbook.xml (so Excel recalculates
formulas that depend on computed cells), and the shared-string table, to which computed texts
are appended (created, with its relationship and content type, if the workbook has none).
Everything else is copied byte for byte.

One ``WorkbookFile`` can serve a whole session (the nightly job's import, bank, refresh,
reminders): a table's sheet is scanned once and its cells kept (``io/xlsx/session.py``), so
later reads come from memory; ``write_computed`` and ``append_rows`` on it are recorded, shown
by later reads at once, and applied in one streamed pass when the sheet's bytes are needed
(``save``, ``cell_text``, ``write_block``/``write_rows`` on that sheet). ``prefetch`` scans
up front for what the session will read and write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np

from arbook.core.cells import ColumnValues, RawColumn, RawTable, to_text
from arbook.core.problems import ArbookError, Problem
from arbook.core.schema import PROBLEMS, Owner, TableSpec
from arbook.io.port import (
    CellValue,
    header_columns,
    pairs_of,
    positions_of,
    problem_lines,
    required_keys,
    wanted_keys,
)
from arbook.io.xlsx.book import Book, TableInfo
from arbook.io.xlsx.memory import release_freed_memory
from arbook.io.xlsx.package import DeflateStream, Package, check_writable, replace_atomically
from arbook.io.xlsx.patch import OutColumn, runs_of, single_cell, splice
from arbook.io.xlsx.scan import (
    SheetIndex,
    UnsupportedSheet,
    col_letters,
    column_styles,
    scan_sheet,
)
from arbook.io.xlsx.session import SheetCache
from arbook.io.xlsx.sst import SharedStrings
from arbook.io.xlsx.values import raw_column


@dataclass
class _ReadTable:
    """What ``write_computed`` needs of the ``read_table`` before it (rows by position)."""

    info: TableInfo
    key_to_col: dict[str, int]
    row_pos: np.ndarray  # sheet row index -> position in the RawTable (-1: not a data row)
    key_column: RawColumn | None  # the key (e.g. invoice number) of each row read
    stale: np.ndarray  # sheet row indexes with computed values but no data any more


class WorkbookFile:
    """A closed workbook on disk. Use as a context manager; call ``save`` to write."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.package = Package(self.path)
        self.book = Book(self.package)
        self._read: dict[str, _ReadTable] = {}
        self._sheets: dict[str, SheetCache] = {}  # sheet part -> what this session scanned
        self.messages: list[tuple[str, str]] = []

    def __enter__(self) -> WorkbookFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.package.close()

    # -- the rest of the workbook port (arbook.io.port) ------------------------------------

    @property
    def name(self) -> str:
        return self.path.name

    def has_table(self, name: str) -> bool:
        return self.book.has_table(name)

    def has_sheet(self, name: str) -> bool:
        return name in self.book.sheets

    def table_sheet(self, name: str) -> str:
        return self.book.table(name).sheet_name

    @property
    def date1904(self) -> bool:
        return self.book.date1904

    def progress(self, message: str) -> None:
        """A closed file shows no progress; the CLI passes its own spinner to the jobs."""

    def message(self, text: str, title: str = "arbook") -> None:
        """Kept for the caller (the CLI prints results itself)."""
        self.messages.append((title, text))

    # -- reading -------------------------------------------------------------------------

    def read_table(self, spec: TableSpec, write_keys: tuple[str, ...] = (),
                   keys: tuple[str, ...] | None = None) -> RawTable:
        """Read a table's columns: ``keys`` (default: all known), plus its key column.

        ``write_keys`` are computed columns a later ``write_computed`` will fill; their cells
        are located (with style and current value, to skip unchanged rows) but not returned.
        Columns read before in this session come from memory, with this session's writes.
        """
        info = self.book.table(spec.name)
        index_of, headers = header_columns(
            spec, info.headers, wanted_keys(spec, write_keys, keys),
            required_keys(spec, write_keys), f"{self.path.name}, sheet {info.sheet_name}")
        key_to_col = {k: info.column_of(info.headers[i]) for k, i in index_of.items()}
        write_cols = [key_to_col[k] for k in write_keys]
        sheet = self._cache(info, spec, set(key_to_col.values()), _bounds_of(write_cols))
        rows = sheet.row_num
        in_table = (rows >= info.first_data_row) & (rows <= info.last_data_row)
        skip = set(write_cols)
        data_rows = in_table & _rows_with_values(
            sheet, [c for c in key_to_col.values() if c not in skip], len(rows))
        row_pos = np.full(len(rows), -1, dtype=np.int64)
        n = int(data_rows.sum())
        row_pos[data_rows] = np.arange(n)
        columns = {}
        for key, col in key_to_col.items():
            if key not in write_keys:
                cells = sheet.columns[col]
                sst = self.book.shared_string_table if (cells.shared >= 0).any() else None
                columns[key] = raw_column(cells, row_pos, n, sst)
        raw = RawTable(
            sheet=info.sheet_name,
            rows=rows[data_rows],
            columns=columns,
            headers=headers,
            date1904=self.book.date1904,
        )
        if write_keys:  # rows the user cleared, whose computed cells are blanked
            stale = in_table & ~data_rows & _rows_with_values(sheet, write_cols, len(rows))
            self._read[spec.name] = _ReadTable(info, key_to_col, row_pos,
                                               columns.get(spec.key), np.flatnonzero(stale))
        return raw

    def prefetch(self, spec: TableSpec, keys: tuple[str, ...] | None = None,
                 write_keys: tuple[str, ...] | None = None) -> None:
        """Scan a table once for what later steps of this session will read and write.

        ``keys`` default to all columns, ``write_keys`` to those arbook writes (imported and
        computed): a night's jobs then read the ledger from memory (optional: without it, the
        second scan of a table takes all its columns).
        """
        if not self.book.has_table(spec.name):
            return
        info = self.book.table(spec.name)
        index_of, _ = header_columns(spec, info.headers, wanted_keys(spec, (), keys), (), "")
        cols = {k: info.column_of(info.headers[i]) for k, i in index_of.items()}
        writes = (_written_columns(info, spec) if write_keys is None else
                  [cols[k] for k in write_keys if k in cols])
        self._cache(info, spec, set(cols.values()), _bounds_of(writes, single=True))

    def _cache(self, info: TableInfo, spec: TableSpec, cols: set[int],
               bounds: set[int]) -> SheetCache:
        """The session's cells of the table's sheet, scanning for what it does not have yet.

        The second scan of a sheet reads all the table's columns and locates every column
        arbook writes: the jobs of a session read and write the ledger again and again.
        """
        part = info.sheet_part
        sheet = self._sheets.get(part)
        if sheet is not None and sheet.first_row > info.first_data_row:
            self._release(part)
            sheet = None
        if sheet is None:
            sheet = SheetCache(part, info.first_data_row,
                               self._scan(info, cols, bounds, info.first_data_row))
            self._sheets[part] = sheet
            return sheet
        cols, bounds = cols - sheet.columns.keys(), bounds - sheet.bounds.keys()
        if cols or bounds:
            first_col, _, last_col, _ = info.bounds
            cols |= set(range(first_col, last_col + 1)) - sheet.columns.keys()
            bounds |= _bounds_of(_written_columns(info, spec), single=True) - sheet.bounds.keys()
            sheet.extend(self._scan(info, cols, bounds, sheet.first_row))
        return sheet

    def _scan(self, info: TableInfo, cols: set[int], bounds: set[int],
              first_row: int) -> SheetIndex:
        sheet = self.package.source(info.sheet_part)  # inflated as scanned, never held whole
        try:
            return scan_sheet(sheet, cols, [], first_row, 1 << 40, bounds)
        except UnsupportedSheet as exc:
            raise ArbookError(
                f"{self.path.name}, sheet {info.sheet_name}: the sheet was saved by a program "
                f"that writes cells in an unusual form ({exc}). Open and save the workbook in "
                "Excel or LibreOffice once, then run the command again."
            ) from exc
        finally:
            release_freed_memory()  # the windows' temporaries, in a session that goes on

    def _flush(self, part: str) -> None:
        """Apply the session's recorded edits of a sheet to its XML (one streamed pass)."""
        sheet = self._sheets.get(part)
        if sheet is None or not sheet.pending:
            return
        del self._sheets[part]  # its offsets are those of the XML before the edits
        stream = DeflateStream()
        sheet.flush(self.package.source(part).chunks(), self.book.shared_string_table, stream)
        self.package.replace_deflated(part, stream.close())
        release_freed_memory()

    def _release(self, part: str) -> None:
        """Flush a sheet and forget its cells: its XML is about to change in place."""
        self._flush(part)
        self._sheets.pop(part, None)

    def read_pairs(self, spec: TableSpec, key: str, value: str) -> dict[str, tuple[str, int]]:
        """A two-column key/value table as ``{key: (value text, row)}`` (e.g. Settings)."""
        return pairs_of(self.read_table(spec), key, value)

    # -- writing -------------------------------------------------------------------------

    def write_computed(
        self,
        spec: TableSpec,
        keys: np.ndarray,
        columns: dict[str, ColumnValues],
        unkeyed: dict[str, str | None],
        keep_unkeyed: bool = False,
    ) -> int:
        """Write computed columns, matched by the table's key (e.g. invoice number).

        ``columns[k][i]`` is the value for the row whose key is ``keys[i]`` (keys unique).
        Rows whose key is missing, not unique or not in ``keys`` get ``unkeyed`` (text or
        blank), or, with ``keep_unkeyed``, stay exactly as they are (an import updates only the
        rows it has). Returns the number of rows written. The cells are written when the
        workbook is saved (all edits of a sheet in one pass); reads see them at once.
        """
        read = self._read.pop(spec.name, None)
        if read is None:
            raise RuntimeError(f"read_table({spec.name}) must come before write_computed")
        write_cols = {read.key_to_col[k] for k in columns}
        sheet = self._cache(read.info, spec, write_cols, _bounds_of(sorted(write_cols)))
        if len(sheet.row_num) != len(read.row_pos):
            raise RuntimeError(f"{spec.name} changed between read_table and write_computed")
        data_rows = np.flatnonzero(read.row_pos >= 0)
        found = to_text(read.key_column)  # the keys as the job saw them
        positions = positions_of(found, np.asarray(keys, dtype=object))
        stale = read.stale  # rows emptied by the user: blank their cells
        if keep_unkeyed:
            known = positions >= 0
            data_rows, positions, stale = data_rows[known], positions[known], stale[:0]
        rows = np.concatenate([data_rows, stale])
        blanks = np.concatenate([np.zeros(len(data_rows), bool), np.ones(len(stale), bool)])
        positions = np.concatenate([positions, np.full(len(stale), -1)])
        sheet_styles = column_styles(sheet.head)
        info = read.info  # new cells take the usual style of the table's cells in the column
        in_table = (sheet.row_num >= info.first_data_row) & (sheet.row_num <= info.last_data_row)
        out_columns = [
            OutColumn(read.key_to_col[key],
                      values.take(positions, unkeyed.get(key)).blanked(blanks),
                      _styles_for(sheet, read.key_to_col[key], rows, sheet_styles, in_table))
            for key, values in columns.items()
        ]
        sst = self.book.shared_string_table
        changed = np.zeros(len(rows), dtype=bool)
        for column in out_columns:
            changed |= _differs(sheet, column, rows, sst)
        if not changed.any():
            return 0  # every computed cell already shows its value: the sheet stays as it is
        if not changed.all():
            picked = np.flatnonzero(changed)
            rows, out_columns = rows[picked], [c.subset(picked) for c in out_columns]
        if not sheet.can_record(out_columns):  # overlaps another edit: apply that one first
            self._flush(read.info.sheet_part)
            sheet = self._cache(read.info, spec, write_cols, _bounds_of(sorted(write_cols)))
        sheet.record(rows, out_columns, sst)
        return len(rows)

    def write_block(self, sheet_name: str, top: int, left: int,
                    cells: list[list[tuple[str | None, bool]]], width: int,
                    new_row_styles: list[int] | None = None, shared: bool = False) -> None:
        """Write a rectangular block of (value, numeric) cells at (top, left) on a sheet.

        The block is ``width`` columns wide; cells beyond a row's values are blanked. Cells
        outside the block are untouched; missing rows are created.
        """
        part = self.book.sheets.get(sheet_name)
        if part is None:
            raise ArbookError(f"{self.path.name} has no sheet '{sheet_name}'")
        self._release(part)
        xml = self.package.read(part)
        last_row = top + len(cells) - 1
        runs = [(left, left + width - 1)]
        index = scan_sheet(xml, set(range(left, left + width)), runs, top, last_row)
        lookup = index.row_lookup()
        present = [r for r in range(top, last_row + 1) if r in lookup]
        row_idx = np.array([lookup[r] for r in present], dtype=np.int64)
        # table rows keep text as Excel does (shared strings), so a later compare finds it
        sst = self.book.shared_string_table if shared else None
        out_columns = []
        for j in range(width):
            col = left + j
            vals, nums = [], []
            for r in present:
                line = cells[r - top]
                value, numeric = line[j] if j < len(line) else (None, False)
                vals.append(value)
                nums.append(numeric)
            styles = _styles_for(index, col, row_idx)
            out_columns.append([single_cell(col, int(index.row_num[i]), v, num, int(st), sst)
                                for i, v, num, st in zip(row_idx, vals, nums, styles,
                                                         strict=True)])
        sheet_styles = column_styles(xml)
        usual = new_row_styles or [_usual_style(index, left + j, sheet_styles)
                                   for j in range(width)]
        starts, ends, bodies = [], [], []
        if len(row_idx):
            run = index.runs[0]
            bodies.extend(map(b"".join, zip(*out_columns, strict=True)))
            starts.append(run.cut_start[row_idx])
            ends.append(run.cut_end[row_idx])
        for r in range(top, last_row + 1):  # rows the sheet does not have yet
            if r in lookup:
                continue
            line = cells[r - top]
            if all(v is None for v, _ in line):
                continue
            body = b"".join(single_cell(left + j, r, v, num, usual[j], sst)
                            for j, (v, num) in enumerate(line))
            at = _row_insert_point(index, r)
            starts.append(np.array([at]))
            ends.append(np.array([at]))
            bodies.append(f'<row r="{r}">'.encode() + body + b"</row>")
        if bodies:
            xml = splice(xml, np.concatenate(starts), np.concatenate(ends), bodies)
            self.package.replace(part, xml)

    def write_problems(self, problems: list[Problem], lang: str) -> None:
        """Replace the Problems table's rows (arbook owns that sheet) and resize the table."""
        self.write_rows(PROBLEMS, problem_lines(problems, lang))

    def write_rows(self, spec: TableSpec, lines: list[list[CellValue]]) -> None:
        """Replace all data rows of a table arbook owns (Problems, Reminders) and resize it.

        Each line holds one value per table column, in the table's order: text, a number
        (int or Decimal), a date (written as a date serial, shown in the column's format) or
        None. Text is always stored as text, never as a formula. At least one row is kept so
        the table stays valid.
        """
        info = self.book.table(spec.name)
        self._release(info.sheet_part)
        xml = self.package.read(info.sheet_part)
        first_col, header_row, last_col, _ = info.bounds
        lines = lines or [[None] * (last_col - first_col + 1)]
        # collect the first data row's cells: their styles (date, money formats) carry over
        index = scan_sheet(xml, set(range(first_col, last_col + 1)), [], info.first_data_row,
                           info.first_data_row)
        lookup = index.row_lookup()
        styles = column_styles(xml)
        if info.first_data_row in lookup:
            probe = np.array([lookup[info.first_data_row]])
            for col in range(first_col, last_col + 1):
                styles[col] = int(_styles_for(index, col, probe, styles)[0])
        body = []
        for i, line in enumerate(lines):
            r = info.first_data_row + i
            cells = []
            for j, value in enumerate(line):
                col = first_col + j
                text, numeric = cell_text(value, self.book.date1904)
                cells.append(single_cell(col, r, text, numeric, styles.get(col, -1)))
            body.append(f'<row r="{r}">'.encode() + b"".join(cells) + b"</row>")
        header_idx = lookup.get(header_row)
        start = (int(index.row_close[header_idx]) + len(b"</row>")
                 if header_idx is not None and index.row_close[header_idx] >= 0
                 else xml.find(b">", xml.find(b"<sheetData")) + 1)
        xml = splice(xml, np.array([start]), np.array([index.sheetdata_end]), [b"".join(body)])
        last_row = info.first_data_row + len(lines) - 1
        new_ref = f"{col_letters(first_col)}{header_row}:{col_letters(last_col)}{last_row}"
        xml = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{new_ref}"/>'.encode(),
                     xml, count=1)
        self.package.replace(info.sheet_part, xml)
        self._resize_table(info, first_col, header_row, last_col, last_row)

    def cell_text(self, sheet_name: str, row: int, col: int) -> str | None:
        """What one cell holds, as text (numbers as their stored text); None when empty."""
        part = self.book.sheets.get(sheet_name)
        if part is None:
            return None
        self._flush(part)
        index = scan_sheet(self.package.read(part), {col}, [], row, row)
        cells = index.columns.get(col)
        rows = np.flatnonzero(index.row_num == row)
        if cells is None or not len(rows):
            return None
        out_pos = np.full(len(index.row_num), -1, dtype=np.int64)
        out_pos[rows[0]] = 0
        raw = raw_column(cells, out_pos, 1, self.book.shared_string_table)
        if raw.texts[0] is not None:
            return str(raw.texts[0])
        return None if np.isnan(raw.numbers[0]) else repr(float(raw.numbers[0]))

    def append_rows(self, spec: TableSpec, rows: list[dict[str, CellValue]]) -> int:
        """Add rows (values by column key) at the end of a table and grow the table.

        The rows go after the table's last row that holds a value (a new book's empty first
        row is used); cells beside the table stay. Refused, with nothing written, when the
        table has a totals row or something stands below it in its columns. Returns the first
        new row's number.
        """
        info = self.book.table(spec.name)
        first_col, header_row, last_col, last_row = info.bounds
        if info.totals_rows:
            raise ArbookError(
                f"{self.path.name}, sheet {info.sheet_name}: table {info.name} has a totals row; "
                "switch it off (Table Design > Total Row) so arbook can add rows.")
        columns = set(range(first_col, last_col + 1))
        sheet = self._cache(info, spec, columns, set())
        filled = _rows_with_values(sheet, sorted(columns), len(sheet.row_num))
        below = sheet.row_num[filled & (sheet.row_num > last_row)]
        if len(below):
            raise ArbookError(
                f"{self.path.name}, sheet {info.sheet_name}: row {int(below.min())} below table "
                f"{info.name} is not empty; move it away so arbook can add rows to the table.")
        used = sheet.row_num[filled & (sheet.row_num <= last_row)]
        top = int(used.max()) + 1 if len(used) else info.first_data_row
        if not rows:
            return top
        positions = {key: info.column_of(header) - first_col
                     for header in info.headers
                     if (key := spec.header_to_key().get(header.strip().casefold()))}
        width = last_col - first_col + 1
        block = []
        for row in rows:
            line: list[tuple[str | None, bool]] = [(None, False)] * width
            for key, value in row.items():
                if key in positions:
                    line[positions[key]] = cell_text(value, self.book.date1904)
            block.append(line)
        sheet_styles = column_styles(sheet.head)
        styles = [_usual_style(sheet, c, sheet_styles) for c in range(first_col, last_col + 1)]
        if sheet.n_base and top > int(sheet.row_num.max()):  # after the last row: streamed
            kept = [(top + i, line) for i, line in enumerate(block)
                    if any(v is not None for v, _ in line)]
            by_column = list(zip(*(line for _row, line in kept), strict=True))
            sheet.append_rows([row for row, _line in kept], {
                first_col + j: ([v for v, _num in cells], [num for _v, num in cells], styles[j])
                for j, cells in enumerate(by_column)}, self.book.shared_string_table)
        else:  # into rows the sheet has (a new book's empty first row): patched in place
            self.write_block(info.sheet_name, top, first_col, block, width, styles, shared=True)
        new_last = max(top + len(rows) - 1, last_row)
        self._resize_table(info, first_col, header_row, last_col, new_last)
        return top

    def _resize_table(self, info: TableInfo, first_col: int, header_row: int, last_col: int,
                      last_row: int) -> None:
        new_ref = f"{col_letters(first_col)}{header_row}:{col_letters(last_col)}{last_row}"
        table_xml = self.package.read(info.part)
        table_xml = re.sub(rb'(<table\b[^>]*?\sref=")[^"]*(")', rb"\g<1>" + new_ref.encode()
                           + rb"\g<2>", table_xml, count=1)
        table_xml = re.sub(rb'(<autoFilter\b[^>]*?\sref=")[^"]*(")', rb"\g<1>"
                           + new_ref.encode() + rb"\g<2>", table_xml, count=1)
        self.package.replace(info.part, table_xml)
        self.book.forget_tables()  # a later read in this session must see the new range

    def request_recalculation(self) -> None:
        """Make Excel recalculate formulas on open (they may depend on computed cells)."""
        xml = self.package.read("xl/workbook.xml")
        match = re.search(rb"<calcPr\b[^>]*?/?>", xml)
        if match is None:
            new = re.sub(rb"(</workbook>)", rb'<calcPr fullCalcOnLoad="1"/>\1', xml, count=1)
        elif b"fullCalcOnLoad=" in match.group(0):
            tag = re.sub(rb'fullCalcOnLoad="[^"]*"', b'fullCalcOnLoad="1"', match.group(0))
            new = xml[: match.start()] + tag + xml[match.end():]
        else:
            tag = match.group(0)
            cut = len(tag) - (2 if tag.endswith(b"/>") else 1)
            new = xml[: match.start()] + tag[:cut] + b' fullCalcOnLoad="1"' + tag[cut:] \
                + xml[match.end():]
        if new != xml:
            self.package.replace("xl/workbook.xml", new)

    def _store_shared_strings(self) -> None:
        """Write the shared-string table if arbook appended to it (creating it if needed)."""
        table = self.book.shared_string_table
        if not table.changed:
            return
        part = self.book.shared_strings_part
        if part is None:
            part = "xl/sharedStrings.xml"
            self._add_part_reference(part)
            self.book.shared_strings_part = part  # a second save in the session adds no more
        self.package.replace(part, table.to_xml())

    def _add_part_reference(self, part: str) -> None:
        """Register a new shared-strings part in the workbook's relationships and types."""
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = self.package.read(rels_name)
        rel = (b'<Relationship Id="rIdArbookSst" Type="http://schemas.openxmlformats.org/'
               b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
        self.package.replace(rels_name, rels.replace(b"</Relationships>",
                                                     rel + b"</Relationships>"))
        types = self.package.read("[Content_Types].xml")
        override = (f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sharedStrings+xml"/>').encode()
        self.package.replace("[Content_Types].xml", types.replace(b"</Types>",
                                                                  override + b"</Types>"))

    def save(self) -> None:
        """Write the changed parts, keep one backup, replace the file atomically."""
        check_writable(self.path)
        release_freed_memory()  # what the steps before freed, before the patch needs memory
        for part in list(self._sheets):
            self._flush(part)
        self._store_shared_strings()
        if not self.package.changed():
            return
        replace_atomically(self.path, self.package.write_to)


def cell_text(value: CellValue, date1904: bool) -> tuple[str | None, bool]:
    """A value as cell text and whether it is a number (dates become serials)."""
    if value is None or value == "":
        return None, False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int | Decimal):
        return str(value), True
    if isinstance(value, date):
        epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
        return str((value - epoch).days), True
    return str(value), False


def _usual_style(index: SheetIndex | SheetCache, col: int, sheet_styles: dict[int, int]) -> int:
    """The style most cells of a column have (else the column's own), for new cells."""
    cells = index.columns.get(col)
    if cells is not None and len(cells.row_idx):
        known = cells.style[cells.style >= 0]
        if len(known):
            values, counts = np.unique(known, return_counts=True)
            return int(values[np.argmax(counts)])
    return sheet_styles.get(col, -1)


def _styles_for(index: SheetIndex | SheetCache, col: int, rows: np.ndarray,
                sheet_styles: dict[int, int] | None = None,
                within: np.ndarray | None = None) -> np.ndarray:
    """Each edited row keeps its cell's style; new cells take the column's usual style
    (that of its other cells, only those in rows ``within`` if given, else the column's own
    style from <cols>)."""
    cells = index.columns.get(col)
    default = (sheet_styles or {}).get(col, -1)
    styles = np.full(len(index.row_num), default, dtype=np.int64)
    if cells is not None and len(cells.row_idx):
        styles[cells.row_idx] = cells.style
        counted = cells.style if within is None else cells.style[within[cells.row_idx]]
        known = counted[counted >= 0]
        if len(known):
            values, counts = np.unique(known, return_counts=True)
            usual = values[np.argmax(counts)]
            missing = np.ones(len(index.row_num), dtype=bool)
            missing[cells.row_idx] = False
            styles[missing] = usual
    return styles[rows]


def _differs(index: SheetIndex | SheetCache, column: OutColumn, rows: np.ndarray,
             sst: SharedStrings) -> np.ndarray:
    """Which rows' cells would change: a refresh rewrites only those (same day: none)."""
    cells = index.columns[column.col]
    n = len(index.row_num)
    has = np.zeros(n, dtype=bool)
    has[cells.row_idx] = cells.has_value
    style = np.full(n, -2, dtype=np.int64)  # -2: no cell yet, so it is written (with style)
    style[cells.row_idx] = cells.style
    values = column.values
    if values.numeric:
        old = np.full(n, np.nan)
        old[cells.row_idx] = cells.number
        new_blank = values.blank
        same = np.where(new_blank, ~has[rows],
                        has[rows] & (old[rows] == values.numbers / 10**values.scale))
    else:
        old = np.full(n, -1, dtype=np.int64)
        old[cells.row_idx] = cells.shared
        new_blank = values.codes < 0
        used = np.unique(values.codes[~new_blank]).tolist()
        label_index = np.full(len(values.labels) + 1, -1, dtype=np.int64)
        label_index[used] = sst.index_of([values.labels[i] for i in used])
        same = np.where(new_blank, ~has[rows], old[rows] == label_index[values.codes])
    return ~(same & (style[rows] == column.styles))


def _written_columns(info: TableInfo, spec: TableSpec) -> list[int]:
    """Sheet columns of the table that arbook may write (imported and computed)."""
    to_key = spec.header_to_key()
    return [info.column_of(h) for h in info.headers
            if (key := to_key.get(h.strip().casefold())) and key != spec.key
            and spec.column(key).owner != Owner.USER]


def _bounds_of(cols: list[int], single: bool = False) -> set[int]:
    """Where the cells of runs of columns begin and end (see ``scan_sheet``'s bounds); with
    ``single``, of each column alone, so any run of them can be written later."""
    runs = [(c, c) for c in cols] if single else runs_of(cols)
    return {b for first, last in runs for b in (first, last + 1)}


def _rows_with_values(sheet: SheetCache, cols: list[int], n: int) -> np.ndarray:
    """Rows holding a value in any of these columns."""
    mask = np.zeros(n, dtype=bool)
    for col in cols:
        cells = sheet.columns[col]
        mask[cells.row_idx[cells.has_value]] = True
    return mask


def _row_insert_point(index: SheetIndex, row: int) -> int:
    later = np.flatnonzero(index.row_num > row)
    return int(index.row_open[later[0]]) if len(later) else index.sheetdata_end


