"""Rewrite chosen cells of a worksheet's XML and leave every other byte where it was."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arbook.io.xlsx.scan import RunCuts, SheetIndex, col_letters

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape text for element content; drop characters XML 1.0 cannot carry."""
    if _INVALID_XML.search(value):
        value = _INVALID_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


@dataclass
class OutColumn:
    """Values for one sheet column, one per edited row: numbers as text, or text, or None."""

    col: int
    values: list[str | None]
    numeric: bool
    styles: np.ndarray  # per edited row, -1 = no style attribute


def render_cells(rows: np.ndarray, column: OutColumn) -> list[str]:
    """One ``<c>`` element per edited row (blank values keep their style, drop their value)."""
    letters = col_letters(column.col)
    style_attr = {s: f' s="{s}"' if s >= 0 else "" for s in set(column.styles.tolist())}
    if column.numeric:
        return [
            f'<c r="{letters}{row}"{style_attr[style]}/>' if value is None
            else f'<c r="{letters}{row}"{style_attr[style]}><v>{value}</v></c>'
            for row, value, style in zip(rows.tolist(), column.values, column.styles.tolist(),
                                         strict=True)
        ]
    codes, uniques = pd.factorize(np.asarray(column.values, dtype=object))  # few distinct texts
    escaped = [xml_text(str(u)) for u in uniques] + [None]
    return [
        f'<c r="{letters}{row}"{style_attr[style]}/>' if code < 0
        else f'<c r="{letters}{row}"{style_attr[style]} t="inlineStr"><is>'
        f'<t xml:space="preserve">{escaped[code]}</t></is></c>'
        for row, code, style in zip(rows.tolist(), codes.tolist(), column.styles.tolist(),
                                    strict=True)
    ]


def runs_of(cols: list[int]) -> list[tuple[int, int]]:
    """Adjacent sheet columns grouped: [3, 4, 5, 8] -> [(3, 5), (8, 8)]."""
    runs: list[tuple[int, int]] = []
    for col in sorted(cols):
        if runs and runs[-1][1] == col - 1:
            runs[-1] = (runs[-1][0], col)
        else:
            runs.append((col, col))
    return runs


def apply_edits(index: SheetIndex, row_idx: np.ndarray, columns: list[OutColumn]) -> bytes:
    """New sheet XML where the given columns of the given rows hold the new cells.

    ``row_idx`` indexes ``index``'s rows; every run of ``index.runs`` must be made of columns
    in ``columns``. Cells of other columns, other rows and everything outside sheetData are
    copied unchanged.
    """
    by_col = {c.col: c for c in columns}
    rows = index.row_num[row_idx]
    starts, ends, bodies = [], [], []
    for run in index.runs:
        rendered = [render_cells(rows, by_col[c]) for c in range(run.first_col, run.last_col + 1)]
        bodies.extend("".join(cells).encode() for cells in zip(*rendered, strict=True))
        starts.append(run.cut_start[row_idx])
        ends.append(run.cut_end[row_idx])
    return splice(index.xml, np.concatenate(starts), np.concatenate(ends), bodies)


def splice(xml: bytes, starts: np.ndarray, ends: np.ndarray, bodies: list[bytes]) -> bytes:
    """Replace xml[starts[i]:ends[i]] by bodies[i]; ranges must not overlap."""
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    if len(starts) > 1 and np.any(starts[1:] < ends[:-1]):
        raise ValueError("overlapping cell edits")
    view = memoryview(xml)
    gap_starts = np.concatenate([[0], ends]).tolist()
    gap_ends = np.concatenate([starts, [len(xml)]]).tolist()
    gaps = [view[a:b] for a, b in zip(gap_starts, gap_ends, strict=True)]
    ordered = [bodies[i] for i in order.tolist()]
    pieces = [None] * (len(gaps) + len(ordered))
    pieces[::2] = gaps
    pieces[1::2] = ordered
    return b"".join(pieces)


def run_cuts_for(index: SheetIndex, first: int, last: int) -> RunCuts:
    for run in index.runs:
        if (run.first_col, run.last_col) == (first, last):
            return run
    raise KeyError((first, last))
