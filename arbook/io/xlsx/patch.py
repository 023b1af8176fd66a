"""Rewrite chosen cells of a worksheet's XML and leave every other byte where it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from arbook.core.cells import ColumnValues
from arbook.io.workers import in_order
from arbook.io.xlsx.package import DeflateStream
from arbook.io.xlsx.scan import RunCuts, SheetIndex, col_letters
from arbook.io.xlsx.sst import SharedStrings, xml_text


@dataclass
class OutColumn:
    """What to write into one sheet column: one value per edited row, and each row's style."""

    col: int
    values: ColumnValues
    styles: np.ndarray  # per edited row, -1 = no style attribute

    def subset(self, picked: np.ndarray) -> OutColumn:
        return OutColumn(self.col, self.values.take(picked), self.styles[picked])


def text_cells(labels: list[str], sst: SharedStrings | None) -> np.ndarray:
    """The tail of a text cell for each label (last entry: a blank cell).

    Text goes into the shared-string table when there is one (compact, as Excel writes it),
    else inline.
    """
    if sst is not None:
        cells = [f' t="s"><v>{i}</v></c>' for i in sst.index_of(labels)]
    else:
        cells = [f' t="inlineStr"><is><t xml:space="preserve">{xml_text(t)}</t></is></c>'
                 for t in labels]
    return np.array([*cells, "/>"], dtype=object)


def used_text_cells(values: ColumnValues, sst: SharedStrings | None) -> np.ndarray:
    """``text_cells`` for the labels some row uses (others never reach the string table)."""
    used = np.unique(values.codes[values.codes >= 0]).tolist()
    cells = np.full(len(values.labels) + 1, "/>", dtype=object)
    cells[used] = text_cells([values.labels[i] for i in used], sst)[:-1]
    return cells


def single_cell(col: int, row: int, value: str | None, numeric: bool, style: int,
                sst: SharedStrings | None = None, shared: int = -1) -> bytes:
    """One cell element, e.g. for the few cells of the Start and Problems sheets.

    ``shared``: the text's index in ``sst`` when the caller looked it up already (rows
    appended by the thousand look up all their texts at once).
    """
    s_attr = f' s="{style}"' if style >= 0 else ""
    ref = f"{col_letters(col)}{row}"
    if value is None:
        return f'<c r="{ref}"{s_attr}/>'.encode()
    if numeric:
        return f'<c r="{ref}"{s_attr}><v>{value}</v></c>'.encode()
    if shared >= 0:
        return f'<c r="{ref}"{s_attr} t="s"><v>{shared}</v></c>'.encode()
    return f'<c r="{ref}"{s_attr}{text_cells([value], sst)[0]}'.encode()


def _styles(column: OutColumn) -> tuple[str, list[str] | None]:
    """The s="..." attribute: one for the whole column if all rows share it, else per row."""
    unique = np.unique(column.styles)
    attr = {int(s): f' s="{s}"' if s >= 0 else "" for s in unique.tolist()}
    if len(unique) == 1:
        return attr[int(unique[0])], None
    return "", [attr[s] for s in column.styles.tolist()]


def _inner(column: OutColumn, label_cells: np.ndarray | None) -> list[str]:
    """What follows each cell's attributes: its value and end tag, or '/>' when blank."""
    values = column.values
    if values.numeric:
        return number_cells(values)
    return label_cells[values.codes].tolist()


def number_cells(values: ColumnValues) -> list[str]:
    """``'><v>-1234.56</v></c>'`` per value (``'/>'`` when blank), as ``formatted`` writes them.

    Built from the whole numbers' texts and a table of every decimal part (100 for cents), so
    a cold refresh formats a million amounts with two array additions, not two f-strings each.
    """
    numbers = values.numbers
    if values.scale > 4 or (len(numbers) and numbers.min() == np.iinfo(np.int64).min):
        return ["/>" if v is None else f"><v>{v}</v></c>" for v in values.formatted()]
    unit = 10**values.scale
    whole, frac = np.divmod(np.abs(numbers), unit)
    heads = np.array(["><v>", "><v>-"], dtype=object)[(numbers < 0).astype(np.intp)]
    tails = np.array([f".{f:0{values.scale}d}</v></c>" if values.scale else "</v></c>"
                      for f in range(unit)], dtype=object)[frac]
    cells = heads + np.array(list(map(str, whole.tolist())), dtype=object) + tails
    cells[values.blank] = "/>"
    return cells.tolist()


def render_run(rows: np.ndarray, columns: list[OutColumn],
               label_cells: dict[int, np.ndarray]) -> list[bytes]:
    """The cells of a run of adjacent columns, one byte string per edited row.

    One %-format per row (not per cell), and one encode for all rows: this is the hot loop
    of a refresh. ``label_cells`` holds ``text_cells`` for each text column.
    """
    template_parts, fields = [], []
    row_texts = [str(r) for r in rows.tolist()]
    for column in columns:
        letters = col_letters(column.col)
        shared_style, per_row_style = _styles(column)
        inner = _inner(column, label_cells.get(column.col))
        if per_row_style is None:
            template_parts.append(f'<c r="{letters}%s"{shared_style}%s')
            fields += [row_texts, inner]
        else:
            template_parts.append(f'<c r="{letters}%s"%s%s')
            fields += [row_texts, per_row_style, inner]
    template = "".join(template_parts)  # letters and style ids never contain '%'
    bodies = [template % values for values in zip(*fields, strict=True)]
    if not bodies:
        return []
    return "\0".join(bodies).encode().split(b"\0")


def runs_of(cols: list[int]) -> list[tuple[int, int]]:
    """Adjacent sheet columns grouped: [3, 4, 5, 8] -> [(3, 5), (8, 8)]."""
    runs: list[tuple[int, int]] = []
    for col in sorted(cols):
        if runs and runs[-1][1] == col - 1:
            runs[-1] = (runs[-1][0], col)
        else:
            runs.append((col, col))
    return runs


CHUNK_EDITS = 20_000  # rows per chunk: keeps every temporary small at any ledger size


@dataclass
class EditGroup:
    """Rows whose cells in some runs of columns get new values (one value per row)."""

    runs: list[RunCuts]  # where each run's cells sit in every row of the sheet index
    row_idx: np.ndarray  # the edited rows (sheet index rows)
    rows: np.ndarray  # their row numbers
    columns: list[OutColumn]  # every column of every run, one value per edited row


@dataclass
class _Edits:
    """Everything needed to render any chunk of a patch (shared with a forked worker)."""

    groups: list[EditGroup]
    by_col: list[dict[int, OutColumn]]  # per group
    label_cells: list[dict[int, np.ndarray]]  # per group
    units: list[tuple[int, int]]  # (group, run) of each unit
    literals: list[bytes]  # bodies given as they are (unit -1)
    starts: np.ndarray
    ends: np.ndarray
    unit_of: np.ndarray
    row_of: np.ndarray  # position in the group's rows, or in ``literals``

    def bodies(self, lo: int, hi: int) -> list[bytes]:
        """The new cells of edits lo..hi-1 (needs no sheet XML: can run in a worker)."""
        bodies: list[bytes | None] = [None] * (hi - lo)
        units, rows_of = self.unit_of[lo:hi], self.row_of[lo:hi]
        for u, (g, r) in enumerate(self.units):
            in_run = np.flatnonzero(units == u)
            if not len(in_run):
                continue
            picked = rows_of[in_run]
            run = self.groups[g].runs[r]
            run_columns = [self.by_col[g][c].subset(picked)
                           for c in range(run.first_col, run.last_col + 1)]
            rendered = render_run(self.groups[g].rows[picked], run_columns, self.label_cells[g])
            for k, body in zip(in_run.tolist(), rendered, strict=True):
                bodies[k] = body
        for k in np.flatnonzero(units < 0).tolist():
            bodies[k] = self.literals[int(rows_of[k])]
        return bodies

    def chunk(self, lo: int, hi: int, bodies: list[bytes], xml: _Slices) -> bytes:
        """The new XML from the end of edit lo-1 up to the end of edit hi-1."""
        prev = int(self.ends[lo - 1]) if lo else 0
        span = xml.take(prev, int(self.ends[hi - 1]))
        return _interleave(span, 0, self.starts[lo:hi] - prev, self.ends[lo:hi] - prev, bodies)


class _Slices:
    """Pieces xml[lo:hi] of a sheet, asked for in document order: from its bytes, or inflated
    again as the patch goes, holding only the span between two chunks' edits."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self._buf = b""
        self._base = 0  # sheet offset of _buf[0]

    def take(self, lo: int, hi: int) -> bytes:
        while self._base + len(self._buf) < hi:
            piece = next(self._pieces, None)
            if piece is None:
                raise ValueError("cell edits beyond the end of the sheet")
            drop = min(max(0, lo - self._base), len(self._buf))
            self._buf, self._base = self._buf[drop:] + piece, self._base + drop
        return self._buf[lo - self._base : hi - self._base]

    def rest(self, lo: int) -> Iterator[bytes]:
        """Everything from ``lo`` to the end."""
        yield self._buf[lo - self._base :]
        self._buf = b""
        yield from self._pieces


def apply_edits(index: SheetIndex, row_idx: np.ndarray, columns: list[OutColumn],
                sst: SharedStrings | None = None, out: DeflateStream | None = None) -> bytes:
    """New sheet XML where the given columns of the given rows hold the new cells.

    ``row_idx`` indexes ``index``'s rows; every run of ``index.runs`` must be made of columns
    in ``columns``. Cells of other columns, other rows and everything outside sheetData are
    copied unchanged. With ``out``, the XML is streamed into it chunk by chunk (and b"" is
    returned), so the new sheet never exists uncompressed in memory; large patches render
    every other chunk in a forked worker process, on the second core (Linux).
    """
    group = EditGroup(index.runs, row_idx, index.row_num[row_idx], columns)
    return patch_sheet(index.chunks(), [group], [], sst, out)


def patch_sheet(pieces: Iterator[bytes], groups: list[EditGroup],
                literals: list[tuple[int, int, bytes]], sst: SharedStrings | None = None,
                out: DeflateStream | None = None) -> bytes:
    """The sheet XML (arriving as ``pieces``) with every group's cells replaced and each
    literal (start, end, body) put in place of xml[start:end], in one pass (see
    ``apply_edits``)."""
    units: list[tuple[int, int]] = []
    starts_l, ends_l, unit_l, row_l = [], [], [], []
    for gi, group in enumerate(groups):
        for ri, run in enumerate(group.runs):
            starts_l.append(run.cut_start[group.row_idx])
            ends_l.append(run.cut_end[group.row_idx])
            unit_l.append(np.full(len(group.row_idx), len(units)))
            row_l.append(np.arange(len(group.row_idx)))
            units.append((gi, ri))
    if literals:
        starts_l.append(np.array([lit[0] for lit in literals], dtype=np.int64))
        ends_l.append(np.array([lit[1] for lit in literals], dtype=np.int64))
        unit_l.append(np.full(len(literals), -1))
        row_l.append(np.arange(len(literals)))
    starts = np.concatenate(starts_l) if starts_l else np.zeros(0, np.int64)
    ends = np.concatenate(ends_l) if ends_l else np.zeros(0, np.int64)
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    if len(starts) > 1 and np.any(starts[1:] < ends[:-1]):
        raise ValueError("overlapping cell edits")
    edits = _Edits(
        groups=groups,
        by_col=[{c.col: c for c in g.columns} for g in groups],
        label_cells=[{c.col: used_text_cells(c.values, sst) for c in g.columns
                      if not c.values.numeric} for g in groups],
        units=units, literals=[lit[2] for lit in literals], starts=starts, ends=ends,
        unit_of=(np.concatenate(unit_l) if unit_l else np.zeros(0, np.int64))[order],
        row_of=(np.concatenate(row_l) if row_l else np.zeros(0, np.int64))[order],
    )
    bounds = [(lo, min(lo + CHUNK_EDITS, len(starts)))
              for lo in range(0, len(starts), CHUNK_EDITS)]
    tail_from = int(ends[-1]) if len(ends) else 0
    xml = _Slices(pieces)
    if out is None:
        return b"".join([*(edits.chunk(lo, hi, edits.bodies(lo, hi), xml) for lo, hi in bounds),
                         *xml.rest(tail_from)])
    # large patches render every other chunk in a forked worker, on the second core
    with closing(in_order(lambda k: edits.bodies(*bounds[k]), len(bounds), share_from=4)) \
            as rendered:  # closed (its worker stopped) even if a chunk fails
        for (lo, hi), bodies in zip(bounds, rendered, strict=True):
            out.write(edits.chunk(lo, hi, bodies, xml))
    for piece in xml.rest(tail_from):
        out.write(piece)
    return b""


def _interleave(xml: bytes, prev: int, starts: np.ndarray, ends: np.ndarray,
                bodies: list[bytes]) -> bytes:
    """xml[prev:starts[0]] + bodies[0] + xml[ends[0]:starts[1]] + bodies[1] + ..."""
    gap_starts = [prev, *ends[:-1].tolist()]
    gaps = list(map(xml.__getitem__, map(slice, gap_starts, starts.tolist())))
    pieces: list[bytes | None] = [None] * (2 * len(gaps))
    pieces[::2] = gaps
    pieces[1::2] = bodies
    return b"".join(pieces)


def splice(xml: bytes, starts: np.ndarray, ends: np.ndarray, bodies: list[bytes]) -> bytes:
    """Replace xml[starts[i]:ends[i]] by bodies[i]; ranges must not overlap."""
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    if len(starts) > 1 and np.any(starts[1:] < ends[:-1]):
        raise ValueError("overlapping cell edits")
    gap_starts = np.concatenate([[0], ends]).tolist()
    gap_ends = np.concatenate([starts, [len(xml)]]).tolist()
    gaps = list(map(xml.__getitem__, map(slice, gap_starts, gap_ends)))  # fastest slicing here
    ordered = [bodies[i] for i in order.tolist()]
    pieces = [None] * (len(gaps) + len(ordered))
    pieces[::2] = gaps
    pieces[1::2] = ordered
    return b"".join(pieces)
