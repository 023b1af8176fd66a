"""What a workbook session knows of one sheet: the cells it read, and the edits it will make.

A night's jobs read the invoice ledger five times and write it three times. Scanning a
million-row sheet costs seconds, and patching it means inflating and deflating all of it, so
a ``SheetCache`` keeps the cells of one scan (per column, as ``ColumnCells``) and where each
row's cells sit in the sheet's XML. Writes are recorded, not applied: the cached cells are
updated at once (a later read sees them, exactly as a fresh scan of the saved file would) and
all recorded edits, computed columns and appended rows alike, are applied in one streamed
pass (``flush``) when the workbook is saved or something needs the sheet's bytes.

Row indexes (positions in document order) never change in a session: computed writes only
replace cells of existing rows, and appended rows come after the last one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from arbook.core.cells import ColumnValues
from arbook.core.problems import ArbookError
from arbook.io.xlsx.book import split_ref
from arbook.io.xlsx.package import DeflateStream
from arbook.io.xlsx.patch import (
    EditGroup,
    OutColumn,
    patch_sheet,
    render_run,
    runs_of,
    single_cell,
    used_text_cells,
)
from arbook.io.xlsx.scan import CELL_FIELDS, ColumnCells, RunCuts, SheetIndex, col_letters
from arbook.io.xlsx.sst import SharedStrings

_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"\s*/>')
NewColumn = tuple[list[str | None], list[bool], int]  # value texts, is a number, style


@dataclass
class _Record:
    """One ``write_computed``: the rows it changes and their new cells."""

    row_idx: np.ndarray
    columns: dict[int, OutColumn]


class SheetCache:
    """The cells of one sheet as scanned (and edited since), and the edits not yet applied."""

    def __init__(self, part: str, first_row: int, index: SheetIndex):
        self.part = part
        self.first_row = first_row  # cells are known from this row down
        self.row_num = index.row_num  # rows in document order: the scanned, then the new ones
        self.n_base = len(index.row_num)  # rows the sheet's XML has now
        self.sheetdata_end = index.sheetdata_end
        self.head = index.head
        self.columns: dict[int, ColumnCells] = {c: _compact(cells)
                                                for c, cells in index.columns.items()}
        self.bounds: dict[int, np.ndarray] = {}
        self._add_bounds(index)
        self._groups: dict[tuple[int, ...], list[_Record]] = {}
        self._new_rows: list[tuple[int, dict[int, bytes]]] = []  # row number, col -> cell XML

    @property
    def pending(self) -> bool:
        """Whether edits wait to be applied to the sheet's XML."""
        return bool(self._groups or self._new_rows)

    def extend(self, index: SheetIndex) -> None:
        """Add the columns and bounds of a later scan of the same (unchanged) sheet."""
        if not np.array_equal(index.row_num, self.row_num[: self.n_base]):
            raise RuntimeError(f"{self.part} changed under its session cache")
        self.columns.update({c: _compact(cells) for c, cells in index.columns.items()})
        self._add_bounds(index)

    def _add_bounds(self, index: SheetIndex) -> None:
        """Offsets in 32 bits (parts are below 2 GB): half the memory for a million rows."""
        self.bounds.update({b: cuts.astype(np.int32) if not len(cuts) or cuts.max() < 2**31
                            else cuts for b, cuts in index.bounds.items()})

    def can_record(self, columns: list[OutColumn]) -> bool:
        """Whether an edit of these columns merges with those recorded (else flush first):
        a group's columns are written together, so groups must not share a column."""
        key = tuple(sorted(c.col for c in columns))
        if key in self._groups:
            first = self._groups[key][0].columns
            return all(first[c.col].values.numeric == c.values.numeric for c in columns)
        return not any(set(key) & set(other) for other in self._groups)

    def record(self, row_idx: np.ndarray, columns: list[OutColumn], sst: SharedStrings) -> None:
        """Keep an edit for the flush; the cached cells show its values from now on."""
        key = tuple(sorted(c.col for c in columns))
        self._groups.setdefault(key, []).append(_Record(row_idx, {c.col: c for c in columns}))
        for column in columns:
            self.columns[column.col] = _compact(_overwritten(
                self.columns[column.col], len(self.row_num), row_idx, column, sst))

    def append_rows(self, rows: list[int], columns: dict[int, NewColumn],
                    sst: SharedStrings) -> None:
        """New rows (their numbers) after the last one, given column by column: each
        column's value texts (None: blank), whether each is a number, and its style. Cached
        like scanned rows; column by column, an import's thousands of rows cost a few list
        passes per column instead of a dozen steps per cell."""
        first = len(self.row_num)
        # one lookup for all texts, row by row: new entries get the indexes, in the order,
        # that writing cell after cell gives them
        lines = zip(*(zip(values, numeric, strict=True)
                      for values, numeric, _style in columns.values()), strict=True)
        texts = [value for line in lines for value, number in line
                 if value is not None and not number]
        shared = dict(zip(texts, sst.index_of(texts), strict=True))
        rendered = []
        for col, (values, numeric, style) in columns.items():
            indexes = [-1 if value is None or number else shared[value]
                       for value, number in zip(values, numeric, strict=True)]
            rendered.append([single_cell(col, row, value, number, style, sst, i)
                             for row, value, number, i in zip(rows, values, numeric, indexes,
                                                             strict=True)])
            n = len(rows)
            parts = {name: np.asarray(field, dtype=_FIELDS[name]) for name, field in (
                ("row_idx", np.arange(first, first + n)), ("style", np.full(n, style)),
                ("has_value", [value is not None for value in values]),
                ("number", [float(value) if number and value is not None else np.nan
                            for value, number in zip(values, numeric, strict=True)]),
                ("shared", indexes))}
            cells = self.columns.get(col)
            if cells is None:  # a column nobody read: its new cells only
                cells = ColumnCells()
                cells.finish()
            self.columns[col] = _compact(_joined(cells, parts, {}))
        cols = list(columns)
        self._new_rows += [(row, dict(zip(cols, cells, strict=True)))
                           for row, cells in zip(rows, zip(*rendered, strict=True), strict=True)]
        self.row_num = np.concatenate([self.row_num, np.array(rows, dtype=self.row_num.dtype)])

    def flush(self, pieces: Iterator[bytes], sst: SharedStrings, out: DeflateStream) -> None:
        """The sheet's XML (``pieces``) with every recorded edit applied, into ``out``."""
        groups: list[EditGroup] = []
        new_rows = [dict(cells) for _row, cells in self._new_rows]
        edits = [(cols, *_merged(records, cols)) for cols, records in self._groups.items()]
        for cols, row_idx, columns in _adjacent_joined(edits):
            base = row_idx < self.n_base
            runs = runs_of(list(cols))
            if base.any():
                picked = np.flatnonzero(base)
                cuts = [RunCuts(f, last, self.bounds[f], self.bounds[last + 1])
                        for f, last in runs]
                groups.append(EditGroup(cuts, row_idx[picked], self.row_num[row_idx[picked]],
                                        [c.subset(picked) for c in columns]))
            if not base.all():
                picked = np.flatnonzero(~base)
                self._into_new_rows(new_rows, row_idx[picked] - self.n_base,
                                    [c.subset(picked) for c in columns], runs, sst)
        literals = []
        if new_rows:
            body = b"".join(f'<row r="{row}">'.encode() + b"".join(v for _c, v in sorted(
                cells.items())) + b"</row>" for (row, _), cells in zip(self._new_rows, new_rows,
                                                                      strict=True))
            literals.append((self.sheetdata_end, self.sheetdata_end, body))
            literals += self._dimension(max(max(cells) for cells in new_rows))
        patch_sheet(pieces, groups, literals, sst, out)

    def _into_new_rows(self, new_rows: list[dict[int, bytes]], positions: np.ndarray,
                       columns: list[OutColumn], runs: list[tuple[int, int]],
                       sst: SharedStrings) -> None:
        """Computed cells of rows appended in this session go into those rows' XML."""
        by_col = {c.col: c for c in columns}
        labels = {c.col: used_text_cells(c.values, sst) for c in columns if not c.values.numeric}
        rows = np.array([self._new_rows[p][0] for p in positions.tolist()], dtype=np.int64)
        for first, last in runs:
            bodies = render_run(rows, [by_col[c] for c in range(first, last + 1)], labels)
            for p, body in zip(positions.tolist(), bodies, strict=True):
                cells = new_rows[p]
                for col in range(first, last + 1):
                    cells.pop(col, None)
                cells[first] = body

    def _dimension(self, last_col: int) -> list[tuple[int, int, bytes]]:
        """The ``<dimension>`` edit that takes in the new rows (none when it does already)."""
        match = _DIMENSION.search(self.head)
        if match is None:
            return []
        try:
            c1, r1, c2, r2 = split_ref(match.group(1).decode())
        except ArbookError:
            return []
        last_row = self._new_rows[-1][0]
        if last_row <= r2 and last_col <= c2:
            return []
        ref = f"{col_letters(c1)}{r1}:{col_letters(max(c2, last_col))}{max(r2, last_row)}"
        return [(match.start(), match.end(), f'<dimension ref="{ref}"/>'.encode())]


_FIELDS = CELL_FIELDS


def _compact(cells: ColumnCells) -> ColumnCells:
    """The same cells with each field that holds one value throughout (a text column's
    numbers, a number column's string indexes, mostly the styles) as a read-only view of that
    value: a million-row ledger's columns take a third of the memory."""
    for name in ("style", "has_value", "number", "shared"):
        values = getattr(cells, name)
        if len(values) > 1 and values.strides != (0,):
            first = values[:1].copy()  # not a view: the whole array would stay
            same = np.isnan(values).all() if name == "number" and np.isnan(first[0]) else (
                values == first[0]).all()
            if same:
                setattr(cells, name, np.broadcast_to(first, values.shape))
    return cells


def _joined(cells: ColumnCells, parts: dict[str, np.ndarray],
            texts: dict[int, str]) -> ColumnCells:
    """``cells`` with the entries ``parts`` (later rows) after them."""
    out = ColumnCells()
    for name in _FIELDS:
        getattr(out, name).extend([getattr(cells, name), parts[name]])
    out.texts = {**cells.texts, **{len(cells.row_idx) + k: t for k, t in texts.items()}}
    out.finish()
    return out


def _overwritten(cells: ColumnCells, n_rows: int, row_idx: np.ndarray, column: OutColumn,
                 sst: SharedStrings) -> ColumnCells:
    """The cells of a column after ``column``'s values were written into rows ``row_idx``:
    what a scan of the patched sheet would find (texts go to the shared strings)."""
    values = column.values
    if values.numeric:
        blank = values.blank
        number = np.where(blank, np.nan, values.numbers / 10**values.scale)
        shared = np.full(len(row_idx), -1, dtype=np.int32)
    else:
        blank = values.codes < 0
        used = np.unique(values.codes[~blank]).tolist()
        index = np.full(len(values.labels) + 1, -1, dtype=np.int64)
        index[used] = sst.index_of([values.labels[i] for i in used])
        shared = index[values.codes].astype(np.int32)
        number = np.full(len(row_idx), np.nan)
    written = np.zeros(n_rows, dtype=bool)
    written[row_idx] = True
    keep = ~written[cells.row_idx]
    merged = {name: np.concatenate([getattr(cells, name)[keep], new]).astype(dtype)
              for (name, dtype), new in zip(_FIELDS.items(), (
                  row_idx, column.styles, ~blank, number, shared), strict=True)}
    order = np.argsort(merged["row_idx"], kind="stable")
    out = ColumnCells(**{name: merged[name][order] for name in _FIELDS})
    if cells.texts:
        kept_at = np.cumsum(keep) - 1  # old entry -> position among the kept
        where = np.empty(len(order), dtype=np.int64)
        where[order] = np.arange(len(order))
        out.texts = {int(where[kept_at[i]]): t for i, t in cells.texts.items() if keep[i]}
    return out


def _merged(records: list[_Record], cols: tuple[int, ...]) -> tuple[np.ndarray, list[OutColumn]]:
    """One edit from several of the same columns: per row, the last value written wins."""
    if len(records) == 1:
        return records[0].row_idx, [records[0].columns[c] for c in cols]
    row_idx = np.concatenate([r.row_idx for r in records])
    _rows, last = np.unique(row_idx[::-1], return_index=True)
    keep = len(row_idx) - 1 - last
    columns = []
    for c in cols:
        values = _concat([r.columns[c].values for r in records])
        styles = np.concatenate([r.columns[c].styles for r in records])
        columns.append(OutColumn(c, values.take(keep), styles[keep]))
    return row_idx[keep], columns


def _adjacent_joined(edits: list[tuple[tuple[int, ...], np.ndarray, list[OutColumn]]]
                     ) -> list[tuple[tuple[int, ...], np.ndarray, list[OutColumn]]]:
    """Edits of adjacent columns that change the same rows (a first night's refresh and
    reminders: every row) as one: one run of cells per row to render and splice, not two."""
    out: list[tuple[tuple[int, ...], np.ndarray, list[OutColumn]]] = []
    for cols, row_idx, columns in sorted(edits, key=lambda edit: edit[0][0]):
        if len(row_idx) > 1 and np.any(row_idx[1:] < row_idx[:-1]):
            order = np.argsort(row_idx, kind="stable")
            row_idx, columns = row_idx[order], [c.subset(order) for c in columns]
        if out and out[-1][0][-1] + 1 == cols[0] and np.array_equal(out[-1][1], row_idx):
            before = out.pop()
            cols, columns = before[0] + cols, before[2] + columns
        out.append((cols, row_idx, columns))
    return out


def _concat(parts: list[ColumnValues]) -> ColumnValues:
    """Values of one column from several edits, one after the other."""
    if parts[0].numeric:
        scale = max(p.scale for p in parts)
        return ColumnValues.scaled(
            np.concatenate([p.numbers * 10 ** (scale - p.scale) for p in parts]), scale,
            np.concatenate([p.blank for p in parts]))
    labels: list[str] = []
    codes = []
    for p in parts:
        codes.append(np.where(p.codes >= 0, p.codes + len(labels), -1))
        labels += p.labels
    return ColumnValues(codes=np.concatenate(codes), labels=labels)
