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

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from arbook.io.workers import fork_available, fork_pool
from arbook.io.xlsx.package import PartSource
from arbook.io.xlsx.sst import decode_xml_text, inline_text

LT, SLASH, SPACE, QUOTE, EQ = 60, 47, 32, 34, 61
WINDOW = 4 << 20  # bytes per scanning window; bounds the temporaries at any file size
NUMBER_WIDTH = 32  # longer numeric texts are converted one by one


class UnsupportedSheet(Exception):
    """The sheet XML is valid but not in the regular form the fast scanner relies on."""


@dataclass
class ColumnCells:
    """The cells of one wanted column, one entry per cell present in the XML, decoded.

    Values are decoded window by window and only the results are kept (no byte offsets), so
    memory stays near 20 bytes per cell even for a million rows.
    """

    row_idx: list[np.ndarray] = field(default_factory=list)  # index into SheetIndex rows
    style: list[np.ndarray] = field(default_factory=list)  # s="..." as int, -1 if absent
    has_value: list[np.ndarray] = field(default_factory=list)
    number: list[np.ndarray] = field(default_factory=list)  # NaN where not a number
    shared: list[np.ndarray] = field(default_factory=list)  # shared-string index, -1 if none
    texts: dict[int, str] = field(default_factory=dict)  # entry -> text not in the sst

    def add(self, fields: dict[str, np.ndarray], texts: dict[int, str]) -> None:
        base = sum(len(r) for r in self.row_idx)
        for name, values in fields.items():
            getattr(self, name).append(values)
        self.texts.update({base + k: v for k, v in texts.items()})

    def finish(self) -> None:
        for name, dtype in CELL_FIELDS.items():
            parts = getattr(self, name)
            if len(parts) == 1:  # a window's own cells: no copy
                setattr(self, name, parts[0])
            else:
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
    xml: bytes | None  # the sheet, when it was scanned from bytes (None when streamed)
    row_num: np.ndarray  # sheet row number per <row> element, in document order
    row_open: np.ndarray  # offset of '<row'
    row_close: np.ndarray  # offset of '</row>', or -1 for an empty '<row .../>'
    sheetdata_end: int  # offset of '</sheetData>' (or of '<sheetData/>')
    columns: dict[int, ColumnCells]
    runs: list[RunCuts]
    source: PartSource | None = None  # where a streamed sheet can be read again
    head: bytes = b""  # the XML before the rows: up to the end of the <sheetData> tag
    bounds: dict[int, np.ndarray] = field(default_factory=dict)  # see ``scan_sheet``

    def row_lookup(self) -> dict[int, int]:
        return {int(r): i for i, r in enumerate(self.row_num)}

    def chunks(self) -> Iterator[bytes]:
        """The sheet's XML again, in pieces (inflated anew when it was streamed)."""
        return iter([self.xml]) if self.xml is not None else self.source.chunks()


_COL = re.compile(rb"<col\b[^>]*>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def column_styles(xml: bytes) -> dict[int, int]:
    """Column index -> style id, from the sheet's ``<cols>`` (styles of empty cells)."""
    head = xml[: xml.find(b"<sheetData")]
    out: dict[int, int] = {}
    for tag in _COL.findall(head):
        attrs = dict(_ATTR.findall(tag))
        if b"style" in attrs and b"min" in attrs and b"max" in attrs:
            for col in range(int(attrs[b"min"]), min(int(attrs[b"max"]), 16384) + 1):
                out[col] = int(attrs[b"style"])
    return out


@functools.cache  # a few dozen columns, asked for once per cell written
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
    """Decimal digits starting at each ``pos``: (values, number of digits).

    Each round looks only at the positions still reading digits, so short numbers cost
    little however long the longest one is.
    """
    value = np.zeros(len(pos), dtype=np.int64)
    length = np.zeros(len(pos), dtype=np.int64)
    active = None  # all positions still reading digits: whole-array operations, no indexing
    at = np.asarray(pos, dtype=np.int64).copy()
    limit = len(a) - 1
    for _ in range(max_len):
        digit = a[np.minimum(at, limit)] - np.uint8(48)  # wraps for non-digits: > 9
        more = digit < 10
        if active is None and more.all():
            value *= 10
            value += digit
            length += 1
            at += 1
            continue
        if active is None:
            active = np.arange(len(pos))
        if not more.all():
            active, at, digit = active[more], at[more], digit[more]
        if not len(active):
            break
        value[active] = value[active] * 10 + digit
        length[active] += 1
        at += 1
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


class _SheetStream:
    """Cuts the rows of a sheet's XML, arriving in pieces, into windows of whole rows.

    Only the current window and the piece after it are held, so a streamed sheet is never
    whole in memory. Records the head (the XML up to the ``<sheetData>`` tag) and where
    ``</sheetData>`` is.
    """

    def __init__(self, pieces: Iterable[bytes]):
        self._pieces = iter(pieces)
        self.head = b""
        self.data_open = -1
        self.data_close = -1
        self.empty = False  # <sheetData/>

    def _drain(self) -> None:
        """Read to the end, so a damaged part is reported (checksum) before any use."""
        for _ in self._pieces:
            pass

    def windows(self) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) of consecutive windows covering everything inside sheetData."""
        buf, base = b"", 0
        while True:  # the head
            at = buf.find(b"<sheetData")
            gt = buf.find(b">", at) if at >= 0 else -1
            if gt >= 0:
                break
            piece = next(self._pieces, None)
            if piece is None:
                raise UnsupportedSheet("no <sheetData> element" if at < 0
                                       else "<sheetData> is not closed")
            buf += piece
        self.data_open, self.head = at, buf[: gt + 1]
        if buf[gt - 1 : gt] == b"/":
            self.empty = True
            self._drain()
            return
        pos = searched = gt + 1
        while True:
            close = buf.find(b"</sheetData>", searched)  # only in what has not been searched
            searched = max(pos, len(buf) - len(b"</sheetData>"))
            stop = close if close >= 0 else len(buf)
            while stop - pos > WINDOW:
                cut = buf.find(b"</row>", pos + WINDOW, stop)
                if cut < 0:
                    break
                yield base + pos, buf[pos : cut + 6]
                pos = cut + 6
            if close >= 0:
                if close > pos:
                    yield base + pos, buf[pos:close]
                self.data_close = base + close
                self._drain()
                return
            piece = next(self._pieces, None)
            if piece is None:
                raise UnsupportedSheet("<sheetData> is not closed")
            buf, base, searched, pos = buf[pos:] + piece, base + pos, max(searched - pos, 0), 0


def scan_sheet(
    xml: bytes | PartSource,
    read_cols: set[int],
    write_runs: list[tuple[int, int]] = (),
    first_row: int = 1,
    last_row: int = 1 << 40,
    bounds: Iterable[int] = (),
) -> SheetIndex:
    """Index rows and the cells of ``read_cols``; locate each ``write_runs`` run per row.

    Rows outside ``first_row..last_row`` are indexed (so the writer can skip them) but their
    cells are not collected. A ``PartSource`` is scanned as it is inflated, window by window.
    For each column b in ``bounds``, ``index.bounds[b]`` holds per row the offset of its first
    cell in column b or later (else of ``</row>``): the cells of any run of columns f..l are
    then ``xml[bounds[f]:bounds[l + 1]]``, so a session can place edits it decides on later.
    """
    streamed = isinstance(xml, PartSource)
    sheet = _SheetStream(xml.chunks() if streamed else [xml])
    size = xml.size if streamed else len(xml)
    job = (np.array(sorted(read_cols), dtype=np.int64), list(write_runs), first_row, last_row,
           sorted(set(bounds)))
    windows: list = []
    if size >= 4 * WINDOW and fork_available():
        # A forked worker scans windows too: both cores, no GIL in the way. It is handed the
        # next window whenever it has fewer than two waiting, so the share balances itself
        # (this process also inflates and cuts every window).
        with fork_pool() as pool:
            waiting: list = []
            for base, part in sheet.windows():
                waiting = [w for w in waiting if not w.ready()]
                if len(waiting) < 2:
                    waiting.append(pool.apply_async(_scan_part, (base, part, *job)))
                    windows.append(waiting[-1])
                else:
                    windows.append(_scan_part(base, part, *job))
            windows = [w.get() if hasattr(w, "get") else w for w in windows]
    else:
        windows = [_scan_part(base, part, *job) for base, part in sheet.windows()]
    index = _combine(windows, read_cols, write_runs)
    index.bounds = {b: _cat([w.bounds[k] for w in windows]) for k, b in enumerate(job[4])}
    index.xml = None if streamed else xml
    index.source = xml if streamed else None
    index.head = sheet.head
    index.sheetdata_end = sheet.data_open if sheet.empty else sheet.data_close
    return index


def _combine(windows: list[_Window], read_cols: set[int],
             write_runs: list[tuple[int, int]]) -> SheetIndex:
    """One index from the windows' parts (row indexes made global, parts freed as joined)."""
    columns = {c: ColumnCells() for c in read_cols}
    row_base = 0
    for window in windows:
        for c, part in window.columns.items():
            part.finish()  # one window's cells of this column, with texts keyed to them
            fields = {name: getattr(part, name) for name in CELL_FIELDS}
            fields["row_idx"] = fields["row_idx"] + row_base
            columns[c].add(fields, part.texts)
        window.columns = {}
        row_base += len(window.num)
    for cells_of in columns.values():
        cells_of.finish()
    runs = [
        RunCuts(first, last, _cat([w.run_starts[i] for w in windows]),
                _cat([w.run_ends[i] for w in windows]))
        for i, (first, last) in enumerate(write_runs)
    ]
    return SheetIndex(
        None, _cat([w.num for w in windows]), _cat([w.open for w in windows]),
        _cat([w.close for w in windows]), -1, columns, runs,
    )


def _scan_part(base: int, part: bytes, wanted, write_runs, first_row, last_row,
               bounds=()) -> _Window:
    """``_scan_window`` of one window's bytes, with offsets made relative to the sheet."""
    a = np.frombuffer(part, dtype=np.uint8)
    window = _scan_window(a, part, 0, len(part), wanted, write_runs, first_row, last_row,
                          bounds)
    for offsets in (window.open, window.close, *window.run_starts, *window.run_ends,
                    *window.bounds):
        offsets[offsets >= 0] += base
    return window


CELL_FIELDS = {"row_idx": np.int32, "style": np.int32, "has_value": bool,
                "number": np.float64, "shared": np.int32}


@dataclass
class _Window:
    num: np.ndarray
    open: np.ndarray
    close: np.ndarray
    columns: dict[int, ColumnCells]
    run_starts: list[np.ndarray]
    run_ends: list[np.ndarray]
    bounds: list[np.ndarray] = field(default_factory=list)


def _scan_window(a, xml, lo, hi, wanted, write_runs, first_row, last_row,
                 bounds=()) -> _Window:
    """Rows and wanted cells of xml[lo:hi] (whole rows); row indexes local to the window."""
    empty = np.zeros(0, np.int64)
    columns = {int(c): ColumnCells() for c in wanted}
    lt = np.flatnonzero(a[lo:hi] == LT) + lo
    if len(lt) == 0:
        return _Window(empty, empty, empty, columns, [empty for _ in write_runs],
                       [empty for _ in write_runs], [empty for _ in bounds])
    n1 = a[np.minimum(lt + 1, len(a) - 1)]
    n2 = a[np.minimum(lt + 2, len(a) - 1)]
    n3 = a[np.minimum(lt + 3, len(a) - 1)]
    cells = lt[(n1 == ord("c")) & (n2 == SPACE)]
    rows = lt[(n1 == ord("r")) & (n2 == ord("o")) & (n3 == ord("w"))]
    closes = lt[(n1 == SLASH) & (n2 == ord("r")) & (n3 == ord("o"))]
    is_value = np.flatnonzero((n1 == ord("v")) & (n2 == ord(">")))
    values = lt[is_value]
    value_ends = lt[np.minimum(is_value + 1, len(lt) - 1)]  # the '</v>' after each '<v>'
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
    run_starts, run_ends = [], []
    if len(cells):
        if not np.all((a[cells + 3] == ord("r")) & (a[cells + 4] == EQ)
                      & (a[cells + 5] == QUOTE)):
            raise UnsupportedSheet("a <c> cell without its r= address first")
        col, digits_at = _letters_to_col(a, cells + 6)
        cell_row = np.searchsorted(rows, cells) - 1
        if np.any(cell_row < 0):
            raise UnsupportedSheet("a cell outside any <row>")
        same_row = cell_row[1:] == cell_row[:-1]
        if np.any(same_row & (col[1:] <= col[:-1])):
            raise UnsupportedSheet("cells out of column order")
        # A cell ends where the next cell of its row starts, or at the row's end tag.
        row_end = close[cell_row]
        if np.any(row_end < 0):
            raise UnsupportedSheet("cells inside a self-closing <row/>")
        cell_end = np.append(np.where(same_row, cells[1:], row_end[:-1]), row_end[-1])
        in_range = (num[cell_row] >= first_row) & (num[cell_row] <= last_row)
        if len(wanted):
            pick = np.flatnonzero(np.isin(col, wanted) & in_range)
            _collect(a, xml, lo, hi, lt, values, value_ends, inline, cells[pick], cell_end[pick],
                     col[pick], cell_row[pick], columns, digits_at[pick], num[cell_row[pick]])
        for first, last in write_runs:
            starts, ends = _run_cuts(rows, close, cells, col, cell_row, first, last)
            run_starts.append(starts)
            run_ends.append(ends)
        found = _bound_cuts(close, cells, col, cell_row, bounds)
    else:
        run_starts = [close.copy() for _ in write_runs]
        run_ends = [close.copy() for _ in write_runs]
        found = [close.copy() for _ in bounds]
    return _Window(num, rows, close, columns, run_starts, run_ends, found)


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


def _bound_cuts(close, cells, col, cell_row, bounds) -> list[np.ndarray]:
    """Per row and bound b: the offset of the row's first cell in column b or later, else of
    its ``</row>``. Cells come in (row, column) order, so one sorted search finds them all."""
    if not len(bounds):
        return []
    key = cell_row.astype(np.int64) * 32768 + col  # columns end at 16384
    row_base = np.arange(len(close), dtype=np.int64) * 32768
    out = []
    for b in bounds:
        k = np.searchsorted(key, row_base + b)
        hit = k < len(key)
        hit[hit] = (key[k[hit]] >> 15) == np.flatnonzero(hit)
        out.append(np.where(hit, cells[np.minimum(k, len(cells) - 1)], close))
    return out


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


def _probe(a: np.ndarray, pos: np.ndarray, name: int) -> np.ndarray:
    """Whether the attribute ` X="` (one-letter name X) starts at each pos."""
    limit = len(a) - 1
    return ((a[np.minimum(pos, limit)] == SPACE) & (a[np.minimum(pos + 1, limit)] == name)
            & (a[np.minimum(pos + 2, limit)] == EQ) & (a[np.minimum(pos + 3, limit)] == QUOTE))


def _attributes(a, xml, lo, hi, start, end, digits_at, row_num):
    """Each cell's style id (s=, -1 if absent) and the offset of its t= attribute (or -1).

    Excel, LibreOffice and openpyxl write ``<c r=".." s=".." t="..">`` in that order, so the
    attributes are probed right after the address; cells with other attributes first fall
    back to a search of their start tag.
    """
    n_digits = np.zeros(len(digits_at), dtype=np.int64)
    for power in range(8):  # the cell's row number has as many digits as its row's
        n_digits += row_num >= 10**power
    after_r = digits_at + n_digits + 1  # just after the address's closing quote
    if not np.all(a[np.minimum(after_r - 1, len(a) - 1)] == QUOTE):
        raise UnsupportedSheet("a cell whose address does not match its row")
    has_s = _probe(a, after_r, ord("s"))
    s_pos = np.where(has_s, after_r + 1, -1)
    style, s_len = parse_uints(a, np.where(has_s, after_r + 4, 0), 8)
    style = np.where(has_s & (s_len > 0), style, -1)
    t_at = np.where(has_s, after_r + 5 + s_len, after_r)
    has_t = _probe(a, t_at, ord("t"))
    t_pos = np.where(has_t, t_at + 1, -1)
    t_end = t_at
    for length in (1, 3, 9):  # s n b e d | str | inlineStr
        closes = has_t & (a[np.minimum(t_at + 4 + length, len(a) - 1)] == QUOTE) & (
            t_end == t_at)
        t_end = np.where(closes, t_at + 5 + length, t_end)
    nxt = a[np.minimum(t_end, len(a) - 1)]
    irregular = ~((nxt == ord(">")) | (nxt == SLASH))
    if irregular.any():
        odd = np.flatnonzero(irregular)
        tag_end = _next_gt(a, start[odd], xml)
        tag_end = np.minimum(tag_end, end[odd])
        t_pos[odd] = _find_in_tag(_attr_positions(a, lo, hi, ord("t")), start[odd], tag_end)
        s_pos[odd] = _find_in_tag(_attr_positions(a, lo, hi, ord("s")), start[odd], tag_end)
        odd_style, odd_len = parse_uints(a, np.where(s_pos[odd] >= 0, s_pos[odd] + 3, 0), 8)
        style[odd] = np.where((s_pos[odd] >= 0) & (odd_len > 0), odd_style, -1)
    return style, t_pos


def _collect(a, xml, lo, hi, lt, values, value_ends, inline, start, end, col, row_idx, columns,
             digits_at, row_num):
    style, t_pos = _attributes(a, xml, lo, hi, start, end, digits_at, row_num)
    t1 = a[np.where(t_pos >= 0, t_pos + 3, 0)]
    t2 = a[np.where(t_pos >= 0, t_pos + 4, 0)]
    type_code = np.full(len(start), TYPE_NUMBER, dtype=np.uint8)
    has_t = t_pos >= 0
    type_code[has_t] = t1[has_t]
    type_code[has_t & (t1 == ord("s")) & (t2 != QUOTE)] = TYPE_STR
    style = style.astype(np.int32)
    if len(values):
        k = np.minimum(np.searchsorted(values, start), len(values) - 1)
        v = values[k]
        has_v = (v < end) & (v > start)
        vstart = np.where(has_v, v + 3, -1)
        vend = np.where(has_v, value_ends[k], -1)
    else:
        vstart = np.full(len(start), -1, dtype=np.int64)
        vend = vstart.copy()
    rich = np.zeros(len(start), dtype=bool)
    if len(inline):
        k = np.searchsorted(inline, start)
        i_pos = inline[np.minimum(k, len(inline) - 1)]
        is_inline = (k < len(inline)) & (i_pos < end) & (i_pos > start)
        type_code[is_inline] = TYPE_INLINE
        # Plain inline text <is><t>..</t></is> gets its span like a value; rich text (runs)
        # is decoded from the whole cell.
        text_start = _plain_text_start(a, i_pos[is_inline])
        text_end = lt[np.minimum(np.searchsorted(lt, text_start), len(lt) - 1)]
        plain = (text_start >= 0) & _bytes_at(a, text_end, b"</t></is>")
        idx = np.flatnonzero(is_inline)
        vstart[idx[plain]] = text_start[plain]
        vend[idx[plain]] = text_end[plain]
        rich[idx[~plain]] = True
    has_value = (vstart >= 0) | rich
    numeric = (vstart >= 0) & ((type_code == TYPE_NUMBER) | (type_code == TYPE_BOOL))
    number = np.full(len(start), np.nan)
    number[numeric] = parse_numbers(a, xml, vstart[numeric], vend[numeric])
    is_shared = (vstart >= 0) & (type_code == TYPE_SHARED)
    shared = np.full(len(start), -1, dtype=np.int32)
    index, digits = parse_uints(a, vstart[is_shared], 10)
    shared[is_shared] = np.where(digits == vend[is_shared] - vstart[is_shared], index, -1)
    as_text = (vstart >= 0) & ~numeric & ~is_shared
    texts = {int(i): decode_xml_text(xml[vstart[i] : vend[i]]) for i in np.flatnonzero(as_text)}
    texts.update({int(i): inline_text(xml[start[i] : end[i]]) for i in np.flatnonzero(rich)})

    order = np.argsort(col.astype(np.int16), kind="stable")  # 16-bit: a radix sort
    present, first = np.unique(col[order], return_index=True)
    bounds = [*first.tolist(), len(order)]
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    fields = {"row_idx": row_idx.astype(np.int32), "style": style, "has_value": has_value,
              "number": number, "shared": shared}
    ordered = {name: values_of[order] for name, values_of in fields.items()}
    text_by_column: dict[int, dict[int, str]] = {}
    for i, text in texts.items():
        c = int(col[i])
        j = int(np.searchsorted(present, c))
        text_by_column.setdefault(c, {})[int(position[i]) - bounds[j]] = text
    for j, c in enumerate(present.tolist()):
        columns[c].add({name: values_of[bounds[j] : bounds[j + 1]]
                        for name, values_of in ordered.items()}, text_by_column.get(c, {}))


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
    decimal = np.flatnonzero((width > 0) & ~integral)
    if len(decimal):
        value, exact = _parse_decimals(a, vstart[decimal], width[decimal])
        out[decimal[exact]] = value[exact]
        integral[decimal[exact]] = True
    short = (width > 0) & (width <= NUMBER_WIDTH) & ~integral
    idx = np.flatnonzero(short)
    if len(idx):
        grid_width = int(width[idx].max())  # amounts need ~10 bytes: gather no more
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


def _parse_decimals(a: np.ndarray, start: np.ndarray,
                    width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Texts of the form -123.45 (at most 15 digits) to float64, and which had that form.

    Digits and decimals are read as one whole number N, so N / 10**decimals is a single
    correctly rounded division of two exact floats: the same float as ``float(text)``.
    """
    negative = a[np.minimum(start, len(a) - 1)] == ord("-")
    first = start + negative
    whole, n_whole = parse_uints(a, first, 15)
    dot = a[np.minimum(first + n_whole, len(a) - 1)] == ord(".")
    frac, n_frac = parse_uints(a, np.where(dot, first + n_whole + 1, first), 15)
    n_frac = np.where(dot, n_frac, 0)
    exact = (n_whole > 0) & (n_whole + n_frac <= 15) & np.where(
        dot, (n_frac > 0) & (negative + n_whole + 1 + n_frac == width),
        negative + n_whole == width)
    scale = 10.0 ** n_frac
    value = (whole * 10**n_frac + np.where(dot, frac, 0)) / scale
    return np.where(negative, -value, value), exact


def _float_or_nan(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
