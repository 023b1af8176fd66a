"""A sheet scanned and patched as it is inflated equals the same sheet handled as bytes."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from arbook.core.cells import ColumnValues
from arbook.core.problems import ArbookError
from arbook.io.xlsx import package, patch, scan
from arbook.io.xlsx.package import PartSource
from arbook.io.xlsx.patch import OutColumn, apply_edits
from arbook.io.xlsx.scan import UnsupportedSheet, scan_sheet
from tests.test_scan import SHEET


def big_sheet(rows: int = 300) -> bytes:
    body = b"".join(
        b'<row r="%d" spans="1:6"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" s="4"><v>%d.25</v></c>'
        b'%s<c r="F%d" t="inlineStr"><is><t>n&amp;%d</t></is></c></row>'
        % (r, r, r % 5, r, r, b'<c r="D%d" s="2"><v>1</v></c>' % r if r % 3 else b"", r, r)
        + (b'<row r="%d" ht="9"/>' % (r + 1000) if r % 50 == 0 else b"")
        for r in range(2, rows + 2)
    )
    return (b'<worksheet><cols><col min="4" max="4" style="2"/></cols><sheetData>' + body
            + b"</sheetData><tableParts/></worksheet>")


def source(xml: bytes) -> PartSource:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(xml) + comp.flush()
    return PartSource(body, True, len(xml), zlib.crc32(xml))


def assert_same_index(a, b):
    for name in ("row_num", "row_open", "row_close"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.sheetdata_end == b.sheetdata_end and a.head == b.head
    assert a.columns.keys() == b.columns.keys()
    for col, cells in a.columns.items():
        other = b.columns[col]
        for name in ("row_idx", "style", "has_value", "shared"):
            assert np.array_equal(getattr(cells, name), getattr(other, name)), (col, name)
        assert np.array_equal(cells.number, other.number, equal_nan=True)
        assert cells.texts == other.texts
    for run, other in zip(a.runs, b.runs, strict=True):
        assert np.array_equal(run.cut_start, other.cut_start)
        assert np.array_equal(run.cut_end, other.cut_end)


@pytest.mark.parametrize("fork", [True, False], ids=["forked worker", "one process"])
@pytest.mark.parametrize("piece", [7, 100, 1 << 20], ids=["tiny pieces", "small", "one piece"])
def test_streamed_scan_equals_the_scan_of_the_bytes(monkeypatch, fork, piece):
    xml = big_sheet()
    whole = scan_sheet(xml, {1, 2, 4, 6}, [(3, 5)], 3, 250)
    monkeypatch.setattr(scan, "WINDOW", 900)  # windows cut inside the pieces and across them
    monkeypatch.setattr(package, "INFLATE_OUT", piece)
    monkeypatch.setattr(scan, "fork_available", lambda: fork)
    streamed = scan_sheet(source(xml), {1, 2, 4, 6}, [(3, 5)], 3, 250)
    assert streamed.xml is None and streamed.source is not None
    assert_same_index(whole, streamed)
    assert len(whole.row_num) == 306 and len(whole.columns[6].texts) == 248


def test_streamed_patch_equals_the_patch_of_the_bytes(monkeypatch):
    xml = big_sheet()
    monkeypatch.setattr(package, "INFLATE_OUT", 333)
    monkeypatch.setattr(patch, "CHUNK_EDITS", 17)
    expected_index = scan_sheet(xml, {3, 4, 5}, [(3, 5)])
    streamed_index = scan_sheet(source(xml), {3, 4, 5}, [(3, 5)])
    rows = np.flatnonzero(expected_index.row_num % 4 != 1)
    n = len(rows)

    def columns():
        return [OutColumn(c, ColumnValues.scaled(rows * c, 2, rows % 7 == 0), np.full(n, c))
                for c in (3, 4, 5)]

    expected = apply_edits(expected_index, rows, columns())
    assert apply_edits(streamed_index, rows, columns()) == expected
    stream = package.DeflateStream()
    apply_edits(streamed_index, rows, columns(), out=stream)
    assert zlib.decompress(stream.close().body, -15) == expected
    assert expected.endswith(b"</sheetData><tableParts/></worksheet>")
    assert b'<c r="C3" s="3"><v>0.03</v></c>' in expected


@pytest.mark.parametrize("xml", [SHEET, b"<worksheet><sheetData/></worksheet>",
                                 b"<worksheet><sheetData></sheetData></worksheet>"])
def test_small_and_empty_sheets_stream_alike(monkeypatch, xml):
    monkeypatch.setattr(package, "INFLATE_OUT", 5)
    assert_same_index(scan_sheet(xml, {1, 2}, [(4, 4)]),
                      scan_sheet(source(xml), {1, 2}, [(4, 4)]))


@pytest.mark.parametrize("xml", [b"<worksheet><x/></worksheet>",
                                 b"<worksheet><sheetData><row r=\"1\"/>"])
def test_a_sheet_without_its_rows_is_refused_when_streamed(xml):
    with pytest.raises(UnsupportedSheet):
        scan_sheet(source(xml), {1})


def test_a_damaged_part_is_reported_not_scanned():
    xml = big_sheet(20)
    good = source(xml)
    wrong_crc = PartSource(good._body, True, len(xml), 1234, lambda e: ArbookError(str(e)))
    with pytest.raises(ArbookError, match="checksum"):
        scan_sheet(wrong_crc, {1})
    cut = PartSource(good._body[:-20], True, len(xml), None, lambda e: ArbookError(str(e)))
    with pytest.raises((ArbookError, UnsupportedSheet)):
        cut.read()
