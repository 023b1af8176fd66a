"""A vectorised index of a worksheet's XML: where each row and cell is, and what it holds.

Why not a general XML parser: a refresh must read a dozen columns and rewrite a few more in a
ledger of up to a million rows within seconds. Parsing every element in Python (or converting
every cell with python-calamine: 1.8 s for 100k rows on this machine) costs more than the
whole budget. Worksheet XML as Excel, LibreOffice and openpyxl write it is regular enough to
locate rows, cells and values with numpy over the raw bytes, in windows of a few MB:

    <row r="7" ...><c r="A7" s="3" t="s"><v>12</v></c><c r="B7" s="4"/>...</row>

The scan checks the assumptions it relies on (every ``<row>`` and ``<c>`` starts with its
``r`` address, cells in column order) and raises ``UnsupportedSheet`` when a file breaks them,
so nothing is ever patched on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LT, SLASH, SPACE, QUOTE, EQ = 60, 47, 32, 34, 61
WINDOW = 8 << 20  # bytes per scanning window; bounds the temporaries at any file size


class UnsupportedSheet(Exception):
    """The sheet XML is valid but not in the regular form the fast scanner relies on."""


@dataclass
class ColumnCells:
    """The cells of one wanted column: one entry per cell present in the XML."""

    row_idx: list[np.ndarray] = field(default_factory=list)  # index into SheetIndex rows
    start: list[np.ndarray] = field(default_factory=list)  # offset of '<c'
    end: list[np.ndarray] = field(default_factory=list)  # offset after the cell
    tag_end: list[np.ndarray] = field(default_factory=list)  # first '<' after '<c' (tag end)
    vstart: list[np.ndarray] = field(default_factory=list)  # offset of value text, -1 if none
    vend: list[np.ndarray] = field(default_factory=list)
    type_code: list[np.ndarray] = field(default_factory=list)  # see TYPE_* below
    style: list[np.ndarray] = field(default_factory=list)  # s="..." as int, -1 if absent

    def finish(self) -> None:
        for name in ("row_idx", "start", "end", "tag_end", "vstart", "vend", "type_code", "style"):
            parts = getattr(self, name)
            dtype = np.uint8 if name == "type_code" else np.int64
            setattr(self, name, np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))


TYPE_NUMBER = ord("n")
TYPE_SHARED = ord("s")
TYPE_STR = ord("S")  # t="str": formula result text
TYPE_INLINE = ord("i")
TYPE_BOOL = ord("b")
TYPE_ERROR = ord("e")
TYPE_DATE = ord("d")


@dataclass
class RunCuts:
    """Where a run of adjacent columns sits in each row: replace xml[cut_start:cut_end]."""

    first_col: int
    last_col: int
    cut_start: np.ndarray  # per row
    cut_end: np.ndarray  # per row


@dataclass
class SheetIndex:
    xml: bytes
    row_num: np.ndarray  # sheet row number per <row> element, in document order
    row_open: np.ndarray  # offset of '<row'
    row_close: np.ndarray  # offset of '</row>', or -1 for an empty '<row .../>'
    row_tag_end: np.ndarray  # offset just after the '<row ...>' start tag
    sheetdata_end: int  # offset of '</sheetData>' (or of '<sheetData/>')
    columns: dict[int, ColumnCells]
    runs: list[RunCuts]

    def row_lookup(self) -> dict[int, int]:
        return {int(r): i for i, r in enumerate(self.row_num)}


def col_letters(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - 64)
    return value


def parse_uints(a: np.ndarray, pos: np.ndarray, max_len: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Decimal digits starting at each ``pos``: (values, number of digits)."""
    value = np.zeros(len(pos), dtype=np.int64)
    length = np.zeros(len(pos), dtype=np.int64)
    alive = np.ones(len(pos), dtype=bool)
    limit = len(a) - 1
    for k in range(max_len):
        ch = a[np.minimum(pos + k, limit)].astype(np.int64)
        digit = alive & (ch >= 48) & (ch <= 57)
        value = np.where(digit, value * 10 + (ch - 48), value)
        length += digit
        alive &= digit
        if not alive.any():
            break
    return value, length


def _letters_to_col(a: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column index from the letters at ``pos`` (up to 3), and where the row digits start."""
    col = np.zeros(len(pos), dtype=np.int64)
    alive = np.ones(len(pos), dtype=bool)
    length = np.zeros(len(pos), dtype=np.int64)
    limit = len(a) - 1
    for k in range(3):
        ch = a[np.minimum(pos + k, limit)].astype(np.int64)
        letter = alive & (ch >= 65) & (ch <= 90)
        col = np.where(letter, col * 26 + (ch - 64), col)
        length += letter
        alive &= letter
    return col, pos + length


def _attr_positions(a: np.ndarray, lo: int, hi: int, name: int) -> np.ndarray:
    """Offsets of ` X="` for the one-letter attribute name X within a[lo:hi]."""
    seg = a[lo:hi]
    cand = np.flatnonzero(seg == name)
    cand = cand[(cand >= 1) & (cand + 2 < len(seg))]
    keep = (seg[cand - 1] == SPACE) & (seg[cand + 1] == EQ) & (seg[cand + 2] == QUOTE)
    return cand[keep] + lo


def _find_in_tag(attr_pos: np.ndarray, start: np.ndarray, tag_end: np.ndarray) -> np.ndarray:
    """For each cell, the offset of the attribute inside its start tag, or -1."""
    if len(attr_pos) == 0:
        return np.full(len(start), -1, dtype=np.int64)
    k = np.searchsorted(attr_pos, start)
    cand = attr_pos[np.minimum(k, len(attr_pos) - 1)]
    ok = (k < len(attr_pos)) & (cand < tag_end)
    return np.where(ok, cand, -1)


def _window_bounds(xml: bytes, lo: int, hi: int) -> list[tuple[int, int]]:
    bounds, start = [], lo
    while start < hi:
        stop = min(start + WINDOW, hi)
        if stop < hi:
            cut = xml.find(b"</row>", stop)
            stop = hi if cut == -1 or cut >= hi else cut + 6
        bounds.append((start, stop))
        start = stop
    return bounds


def scan_sheet(
    xml: bytes,
    read_cols: set[int],
    write_runs: list[tuple[int, int]] = (),
    first_row: int = 1,
    last_row: int = 1 << 40,
) -> SheetIndex:
    """Index rows and the cells of ``read_cols``; locate each ``write_runs`` run per row.

    Rows outside ``first_row..last_row`` are indexed (so the writer can skip them) but their
    cells are not collected.
    """
    data_open = xml.find(b"<sheetData")
    if data_open == -1:
        raise UnsupportedSheet("no <sheetData> element")
    head_end = xml.find(b">", data_open)
    if xml[head_end - 1 : head_end] == b"/":
        return SheetIndex(
            xml, *(np.zeros(0, dtype=np.int64) for _ in range(4)), data_open,
            {c: _empty_cells() for c in read_cols},
            [RunCuts(f, last, np.zeros(0, np.int64), np.zeros(0, np.int64))
             for f, last in write_runs],
        )
    data_close = xml.find(b"</sheetData>", head_end)
    if data_close == -1:
        raise UnsupportedSheet("<sheetData> is not closed")
    a = np.frombuffer(xml, dtype=np.uint8)
    wanted = np.array(sorted(read_cols), dtype=np.int64)
    columns = {c: ColumnCells() for c in read_cols}
    run_parts: list[tuple[list, list]] = [([], []) for _ in write_runs]
    row_parts: dict[str, list[np.ndarray]] = {k: [] for k in ("num", "open", "close", "tag")}
    row_base = 0
    for lo, hi in _window_bounds(xml, head_end + 1, data_close):
        lt = np.flatnonzero(a[lo:hi] == LT) + lo
        if len(lt) == 0:
            continue
        n1 = a[np.minimum(lt + 1, len(a) - 1)]
        n2 = a[np.minimum(lt + 2, len(a) - 1)]
        n3 = a[np.minimum(lt + 3, len(a) - 1)]
        cells = lt[(n1 == ord("c")) & (n2 == SPACE)]
        rows = lt[(n1 == ord("r")) & (n2 == ord("o")) & (n3 == ord("w"))]
        closes = lt[(n1 == SLASH) & (n2 == ord("r")) & (n3 == ord("o"))]
        values = lt[(n1 == ord("v")) & (n2 == ord(">"))]
        inline = lt[(n1 == ord("i")) & (n2 == ord("s")) & (n3 == ord(">"))]

        # Rows: number from r="..", and whether the start tag closes itself.
        if len(rows) and not np.all(
            (a[rows + 4] == SPACE) & (a[rows + 5] == ord("r")) & (a[rows + 6] == EQ)
        ):
            raise UnsupportedSheet("a <row> without its r= address first")
        num, digits = parse_uints(a, rows + 8, 8)
        if np.any(digits == 0):
            raise UnsupportedSheet("a <row> with an unreadable r= address")
        gt_after = _next_gt(a, rows + 8 + digits, xml)
        self_closing = a[gt_after - 1] == SLASH
        k = np.searchsorted(closes, rows)
        close = np.where(self_closing, -1, closes[np.minimum(k, max(len(closes) - 1, 0))]
                         if len(closes) else -1)
        row_parts["num"].append(num)
        row_parts["open"].append(rows)
        row_parts["close"].append(close)
        row_parts["tag"].append(gt_after + 1)

        if len(cells):
            if not np.all((a[cells + 3] == ord("r")) & (a[cells + 4] == EQ)
                          & (a[cells + 5] == QUOTE)):
                raise UnsupportedSheet("a <c> cell without its r= address first")
            col, _ = _letters_to_col(a, cells + 6)
            cell_row = np.searchsorted(rows, cells) - 1
            if np.any(cell_row < 0):
                raise UnsupportedSheet("a cell outside any <row>")
            same_row = cell_row[1:] == cell_row[:-1]
            if np.any(same_row & (col[1:] <= col[:-1])):
                raise UnsupportedSheet("cells out of column order")
            bounds = np.concatenate([cells, closes])
            bounds.sort(kind="stable")
            nxt = bounds[np.minimum(np.searchsorted(bounds, cells, side="right"), len(bounds) - 1)]
            cell_end = np.where(nxt > cells, nxt, hi)
            tag_end = lt[np.minimum(np.searchsorted(lt, cells, side="right"), len(lt) - 1)]
            tag_end = np.minimum(tag_end, cell_end)
            in_range = (num[cell_row] >= first_row) & (num[cell_row] <= last_row)
            global_row = cell_row + row_base

            if len(wanted):
                pick = np.flatnonzero(np.isin(col, wanted) & in_range)
                _collect(a, xml, lo, hi, lt, values, inline, cells[pick], cell_end[pick],
                         tag_end[pick], col[pick], global_row[pick], columns)

            for r_i, (first, last) in enumerate(write_runs):
                starts, ends = _run_cuts(rows, close, cells, col, cell_row, first, last)
                run_parts[r_i][0].append(starts)
                run_parts[r_i][1].append(ends)
        else:
            for r_i in range(len(write_runs)):
                run_parts[r_i][0].append(close.copy())
                run_parts[r_i][1].append(close.copy())
        row_base += len(rows)

    for cells_of in columns.values():
        cells_of.finish()
    joined = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in row_parts.items()}
    runs = [
        RunCuts(first, last, _cat(run_parts[i][0]), _cat(run_parts[i][1]))
        for i, (first, last) in enumerate(write_runs)
    ]
    return SheetIndex(
        xml, joined["num"], joined["open"], joined["close"], joined["tag"], data_close, columns,
        runs,
    )


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _empty_cells() -> ColumnCells:
    cells = ColumnCells()
    cells.finish()
    return cells


def _next_gt(a: np.ndarray, pos: np.ndarray, xml: bytes) -> np.ndarray:
    """Offset of the first '>' at or after each pos (tags are short: a few probes suffice)."""
    out = np.full(len(pos), -1, dtype=np.int64)
    todo = np.arange(len(pos))
    probe = pos.copy()
    limit = len(a) - 1
    for _ in range(64):
        if len(todo) == 0:
            return out
        hit = a[np.minimum(probe[todo], limit)] == ord(">")
        out[todo[hit]] = probe[todo[hit]]
        todo = todo[~hit]
        probe[todo] += 1
    for i in todo:  # unusually long tags (many attributes)
        out[i] = xml.index(b">", int(pos[i]))
    return out


def _run_cuts(rows, close, cells, col, cell_row, first, last):
    """Per row: where the cells of columns first..last begin and end (or the insertion point)."""
    start = close.copy()
    end = close.copy()
    ge_first = col >= first
    if ge_first.any():
        r, idx = np.unique(cell_row[ge_first], return_index=True)
        start[r] = cells[ge_first][idx]
    gt_last = col > last
    if gt_last.any():
        r, idx = np.unique(cell_row[gt_last], return_index=True)
        end[r] = cells[gt_last][idx]
    return start, end


_T_OPEN = b"<t>"
_T_PRESERVE = b'<t xml:space="preserve">'


def _bytes_at(a: np.ndarray, pos: np.ndarray, pattern: bytes) -> np.ndarray:
    """Whether ``pattern`` starts at each pos."""
    ok = np.ones(len(pos), dtype=bool)
    limit = len(a) - 1
    for k, byte in enumerate(pattern):
        ok &= a[np.minimum(pos + k, limit)] == byte
    return ok


def _plain_text_start(a: np.ndarray, is_pos: np.ndarray) -> np.ndarray:
    """Offset of the text in ``<is><t>text`` or ``<is><t xml:space="preserve">text``, or -1."""
    after = is_pos + 4
    short = _bytes_at(a, after, _T_OPEN)
    preserve = _bytes_at(a, after, _T_PRESERVE)
    return np.where(short, after + len(_T_OPEN),
                    np.where(preserve, after + len(_T_PRESERVE), -1))


def _collect(a, xml, lo, hi, lt, values, inline, start, end, tag_end, col, row_idx, columns):
    t_pos = _find_in_tag(_attr_positions(a, lo, hi, ord("t")), start, tag_end)
    s_pos = _find_in_tag(_attr_positions(a, lo, hi, ord("s")), start, tag_end)
    t1 = a[np.where(t_pos >= 0, t_pos + 3, 0)]
    t2 = a[np.where(t_pos >= 0, t_pos + 4, 0)]
    type_code = np.full(len(start), TYPE_NUMBER, dtype=np.uint8)
    has_t = t_pos >= 0
    type_code[has_t] = t1[has_t]
    type_code[has_t & (t1 == ord("s")) & (t2 != QUOTE)] = TYPE_STR
    style, s_len = parse_uints(a, np.where(s_pos >= 0, s_pos + 3, 0), 6)
    style = np.where((s_pos >= 0) & (s_len > 0), style, -1)
    if len(values):
        k = np.searchsorted(values, start)
        v = values[np.minimum(k, len(values) - 1)]
        has_v = (k < len(values)) & (v < end) & (v > start)
    else:
        v = np.zeros(len(start), np.int64)
        has_v = np.zeros(len(start), bool)
    vstart = np.where(has_v, v + 3, -1)
    vend_k = np.searchsorted(lt, np.where(has_v, v + 3, 0))
    vend = np.where(has_v, lt[np.minimum(vend_k, len(lt) - 1)], -1)
    if len(inline):
        k = np.searchsorted(inline, start)
        i_pos = inline[np.minimum(k, len(inline) - 1)]
        is_inline = (k < len(inline)) & (i_pos < end) & (i_pos > start)
        type_code[is_inline] = TYPE_INLINE
        # Plain inline text <is><t>..</t></is> gets its span like a value; rich text (runs)
        # keeps vstart = -1 and is decoded from the whole cell.
        text_start = _plain_text_start(a, i_pos[is_inline])
        text_end = lt[np.minimum(np.searchsorted(lt, text_start), len(lt) - 1)]
        closes_t = _bytes_at(a, text_end, b"</t></is>")
        plain = (text_start >= 0) & closes_t
        idx = np.flatnonzero(is_inline)
        vstart[idx[plain]] = text_start[plain]
        vend[idx[plain]] = text_end[plain]
    for c in np.unique(col):
        m = col == c
        target = columns[int(c)]
        target.row_idx.append(row_idx[m])
        target.start.append(start[m])
        target.end.append(end[m])
        target.tag_end.append(tag_end[m])
        target.vstart.append(vstart[m])
        target.vend.append(vend[m])
        target.type_code.append(type_code[m])
        target.style.append(style[m])
