"""Place decoded cells into the rows of a table read."""

from __future__ import annotations

import numpy as np

from arbook.core.cells import RawColumn
from arbook.io.xlsx.scan import ColumnCells
from arbook.io.xlsx.sst import SharedStrings


def raw_column(cells: ColumnCells, out_pos: np.ndarray, n_out: int,
               sst: SharedStrings | np.ndarray | None) -> RawColumn:
    """Values of one column, placed at ``out_pos[cells.row_idx]`` in arrays of length n_out.

    ``out_pos`` maps the sheet index's row number to the output position (-1: not wanted).
    """
    numbers = np.full(n_out, np.nan)
    texts = np.full(n_out, None, dtype=object)
    pos = out_pos[cells.row_idx] if len(cells.row_idx) else np.zeros(0, np.int64)
    keep = pos >= 0
    numeric = keep & ~np.isnan(cells.number)
    numbers[pos[numeric]] = cells.number[numeric]
    if sst is not None:
        shared = keep & (cells.shared >= 0) & (cells.shared < len(sst))
        # From a SharedStrings only the entries this column uses are decoded.
        lookup = sst.texts_at if isinstance(sst, SharedStrings) else sst.__getitem__
        texts[pos[shared]] = lookup(cells.shared[shared])
    for i, text in cells.texts.items():
        if keep[i]:
            texts[pos[i]] = text
    return RawColumn(numbers, texts)
