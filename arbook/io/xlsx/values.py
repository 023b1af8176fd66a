"""Turn located cells into raw values (numbers and texts) without a Python loop per cell."""

from __future__ import annotations

import numpy as np

from arbook.core.cells import RawColumn
from arbook.io.xlsx.scan import (
    TYPE_BOOL,
    TYPE_DATE,
    TYPE_ERROR,
    TYPE_INLINE,
    TYPE_NUMBER,
    TYPE_SHARED,
    TYPE_STR,
    ColumnCells,
    parse_uints,
)
from arbook.io.xlsx.sst import decode_xml_text, inline_text

NUMBER_WIDTH = 32


def parse_numbers(a: np.ndarray, xml: bytes, vstart: np.ndarray, vend: np.ndarray) -> np.ndarray:
    """Numeric text between vstart and vend to float64 (NaN where it is not a number)."""
    n = len(vstart)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    width = vend - vstart
    whole, digits = parse_uints(a, vstart, 10)  # most cells hold whole numbers: dates, counts
    integral = (width > 0) & (digits == width)
    out[integral] = whole[integral]
    short = (width > 0) & (width <= NUMBER_WIDTH) & ~integral
    idx = np.flatnonzero(short)
    if len(idx):
        grid_width = int(width[idx].max())  # dates need 5 bytes, amounts ~10: gather no more
        offsets = np.arange(grid_width)
        grid = a[np.minimum(vstart[idx, None] + offsets, len(a) - 1)]
        grid[offsets >= width[idx, None]] = 0
        texts = grid.view(f"S{grid_width}").ravel()
        try:
            out[idx] = texts.astype(np.float64)
        except ValueError:  # a stray non-number: convert one by one
            for j, text in zip(idx, texts, strict=True):
                out[j] = _float_or_nan(text)
    for j in np.flatnonzero(width > NUMBER_WIDTH):
        out[j] = _float_or_nan(xml[vstart[j] : vend[j]])
    return out


def _float_or_nan(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def raw_column(
    xml: bytes,
    a: np.ndarray,
    cells: ColumnCells,
    out_pos: np.ndarray,
    n_out: int,
    sst: np.ndarray,
) -> RawColumn:
    """Values of one column, placed at ``out_pos[cells.row_idx]`` in arrays of length n_out.

    ``out_pos`` maps the sheet index's row number to the output position (-1: not wanted).
    """
    numbers = np.full(n_out, np.nan)
    texts = np.full(n_out, None, dtype=object)
    pos = out_pos[cells.row_idx] if len(cells.row_idx) else np.zeros(0, np.int64)
    keep = pos >= 0
    has_value = keep & (cells.vstart >= 0)
    code = cells.type_code

    numeric = has_value & ((code == TYPE_NUMBER) | (code == TYPE_BOOL))
    if numeric.any():
        numbers[pos[numeric]] = parse_numbers(a, xml, cells.vstart[numeric], cells.vend[numeric])

    shared = has_value & (code == TYPE_SHARED)
    if shared.any():
        index, digits = parse_uints(a, cells.vstart[shared], 10)
        valid = (digits == cells.vend[shared] - cells.vstart[shared]) & (index < len(sst))
        target = pos[shared]
        texts[target[valid]] = sst[index[valid]]

    as_text = has_value & ((code == TYPE_STR) | (code == TYPE_ERROR) | (code == TYPE_DATE)
                           | (code == TYPE_INLINE))
    if as_text.any():
        texts[pos[as_text]] = [
            decode_xml_text(xml[s:e])
            for s, e in zip(cells.vstart[as_text].tolist(), cells.vend[as_text].tolist(),
                            strict=True)
        ]
    for i in np.flatnonzero(keep & (code == TYPE_INLINE) & (cells.vstart < 0)):  # rich text
        texts[pos[i]] = inline_text(xml[cells.start[i] : cells.end[i]])
    return RawColumn(numbers, texts)
