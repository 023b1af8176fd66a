"""The vectorised sheet scanner and patcher, against hand-written XML and against calamine."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest
import python_calamine

from arbook import jobs
from arbook.core.cells import ColumnValues, to_text
from arbook.core.schema import TABLES
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.patch import OutColumn, apply_edits
from arbook.io.xlsx.scan import UnsupportedSheet, col_index, col_letters, scan_sheet
from arbook.io.xlsx.sst import parse_shared_strings
from arbook.io.xlsx.values import raw_column
from tests.helpers import AS_OF

SST = parse_shared_strings(
    b'<sst xmlns="x"><si><t>plain</t></si><si><t xml:space="preserve"> a &amp; b </t></si>'
    b"<si><r><rPr><b/></rPr><t>ri</t></r><r><t>ch</t></r><rPh><t>PHON</t></rPh></si>"
    b"<si><t>x_x000D_y</t></si><si/></sst>"
)

SHEET = (
    b'<worksheet><dimension ref="A1:AB9"/><sheetData>'
    b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    b'<row r="2" spans="1:28"><c r="A2" t="s"><v>2</v></c><c r="B2" s="4"><v>46000.75</v></c>'
    b'<c r="C2" t="b"><v>1</v></c><c r="D2" s="3"/><c r="AB2" t="str"><f>A1&amp;"x"</f>'
    b"<v>plain&lt;x</v></c></row>"
    b'<row r="3" ht="20" customHeight="1"/>'
    b'<row r="4"><c r="A4" t="inlineStr"><is><t>inline &amp; text</t></is></c>'
    b'<c r="B4" s="4"><v>-1.5E-3</v></c><c r="C4" t="e"><v>#N/A</v></c>'
    b'<c r="D4" s="7"><f>B4*2</f><v>12</v></c></row>'
    b'<row r="9"><c r="A9" t="s"><v>3</v></c><c r="B9" t="inlineStr"><is><r><rPr/><t>ri</t>'
    b'</r><r><t xml:space="preserve">ch </t></r></is></c></row>'
    b"</sheetData><tableParts/></worksheet>"
)


def values(index, col, rows):
    out_pos = np.full(len(index.row_num), -1)
    lookup = index.row_lookup()
    for i, r in enumerate(rows):
        out_pos[lookup[r]] = i
    raw = raw_column(index.columns[col], out_pos, len(rows), SST)
    return raw


def test_column_letters_round_trip():
    for i in (1, 26, 27, 52, 702, 703, 16384):
        assert col_index(col_letters(i)) == i
    assert col_letters(28) == "AB"


def test_scan_reads_every_cell_type():
    index = scan_sheet(SHEET, {1, 2, 3, 4, 28})
    assert list(index.row_num) == [1, 2, 3, 4, 9]
    assert list(index.row_close[2:3]) == [-1]  # the empty self-closing row
    rows = [1, 2, 4, 9]
    a = values(index, 1, rows)
    assert list(a.texts) == ["plain", "rich", "inline & text", "x\ry"]
    b = values(index, 2, rows)
    assert b.texts[0] == " a & b "
    assert b.numbers[1] == 46000.75 and b.numbers[2] == -0.0015
    assert b.texts[3] == "rich "  # inline rich text
    c = values(index, 3, rows)
    assert c.numbers[1] == 1 and c.texts[2] == "#N/A"
    d = values(index, 4, rows)
    assert math.isnan(d.numbers[1]) and d.numbers[2] == 12  # cached formula result
    assert values(index, 28, rows).texts[1] == "plain<x"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b'<sheetData><row r="1"><c t="s"><v>0</v></c></row></sheetData>', "r= address"),
        (b'<sheetData><row><c r="A1"><v>0</v></c></row></sheetData>', "r= address"),
        (b'<sheetData><row r="1"><c r="B1"><v>0</v></c><c r="A1"><v>1</v></c></row>'
         b"</sheetData>", "column order"),
    ],
)
def test_irregular_xml_is_refused_not_guessed(xml, reason):
    with pytest.raises(UnsupportedSheet, match=reason):
        scan_sheet(xml, {1})


def test_patch_replaces_and_inserts_only_the_target_columns():
    index = scan_sheet(SHEET, {3, 4}, [(3, 4)], first_row=2, last_row=4)
    lookup = index.row_lookup()
    rows = np.array([lookup[2], lookup[4]])
    out = apply_edits(index, rows, [
        OutColumn(3, ColumnValues.scaled([5, 0], 0, [False, True]), np.array([-1, 9])),
        OutColumn(4, ColumnValues.texts(["neu & alt", "x"]), np.array([3, 7])),
    ])
    assert b'<c r="C2"><v>5</v></c><c r="D2" s="3" t="inlineStr"><is><t xml:space="preserve">' \
           b"neu &amp; alt</t></is></c>" in out
    assert b'<c r="C4" s="9"/><c r="D4" s="7" t="inlineStr">' in out
    # everything else is byte for byte the same
    for untouched in (b'<c r="AB2" t="str"><f>A1&amp;"x"</f><v>plain&lt;x</v></c>',
                      b'<row r="3" ht="20" customHeight="1"/>', b'<c r="B4" s="4"><v>-1.5E-3</v>',
                      b'<row r="9"><c r="A9" t="s"><v>3</v></c><c r="B9"',
                      b'<dimension ref="A1:AB9"/>'):
        assert untouched in out
    again = scan_sheet(out, {3, 4})
    assert list(again.row_num) == [1, 2, 3, 4, 9]


def test_patch_inserts_into_rows_that_lack_the_cells():
    xml = (b'<sheetData><row r="2"><c r="A2"><v>1</v></c><c r="E2"><v>2</v></c></row>'
           b'<row r="3"><c r="A3"><v>3</v></c></row></sheetData>')
    index = scan_sheet(xml, {3}, [(3, 3)])
    out = apply_edits(index, np.array([0, 1]), [OutColumn(3, ColumnValues.scaled([7, 8], 0),
                                                          np.array([-1, -1]))])
    assert out == (b'<sheetData><row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>7</v></c>'
                   b'<c r="E2"><v>2</v></c></row><row r="3"><c r="A3"><v>3</v></c>'
                   b'<c r="C3"><v>8</v></c></row></sheetData>')


def calamine_tables(path):
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    return {name: book.get_table_by_name(name) for name in book.table_names}


def assert_reader_matches_calamine(path):
    """Every cell of every arbook table: our scanner and python-calamine agree."""
    oracle = calamine_tables(path)
    with WorkbookFile(path) as book:
        for spec in TABLES:
            raw = book.read_table(spec)
            table = oracle[spec.name]
            expected_rows = [r for r in table.to_python() if any(v != "" for v in r)]
            assert len(raw) == len(expected_rows), spec.name
            for key, column in raw.columns.items():
                j = list(table.columns).index(raw.headers[key])
                texts = to_text(column)
                for i, row in enumerate(expected_rows):
                    want = row[j]
                    if want == "":
                        assert texts[i] is None, (spec.name, key, i)
                    elif isinstance(want, str):
                        assert column.texts[i] == want, (spec.name, key, i)
                    elif hasattr(want, "year"):
                        assert not math.isnan(column.numbers[i]), (spec.name, key, i)
                    else:
                        assert column.numbers[i] == pytest.approx(float(want)), (spec.name, key)


def test_reader_matches_calamine_on_a_refreshed_sample(tmp_path):
    path = tmp_path / "s.xlsx"
    jobs.init_book(path, sample=150, seed=2, today=AS_OF)
    jobs.refresh(path, AS_OF)
    assert_reader_matches_calamine(path)


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_reader_matches_calamine_on_a_book_saved_by_libreoffice(tmp_path):
    """LibreOffice writes shared strings and its own XML layout, as Excel does."""
    path = tmp_path / "s.xlsx"
    jobs.init_book(path, sample=150, seed=2, today=AS_OF)
    out = tmp_path / "lo"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        check=True, timeout=180, capture_output=True,
    )
    saved = out / "s.xlsx"
    import zipfile

    with zipfile.ZipFile(saved) as z:
        assert "xl/sharedStrings.xml" in z.namelist()
    assert_reader_matches_calamine(saved)
    result = jobs.refresh(saved, AS_OF)
    assert result.written and result.rows > 150
    assert_reader_matches_calamine(saved)


def test_shared_strings_only_ever_grow_at_the_end():
    from arbook.io.xlsx.sst import SharedStrings

    original = (b'<?xml version="1.0"?><sst xmlns="x" count="9" uniqueCount="3">'
                b"<si><t>offen</t></si><si><r><t>ri</t></r><r><t>ch</t></r></si>"
                b"<si><t>a&amp;b</t></si></sst>")
    table = SharedStrings(original)
    assert table.index_of(["rich", "a&b", "offen"]) == [1, 2, 0]
    assert not table.changed
    assert table.index_of(["neu <1>", " x ", "offen", "neu <1>"]) == [3, 4, 0, 3]
    xml = table.to_xml()
    body = original[original.index(b"<si>"): original.index(b"</sst>")]
    assert body in xml  # every existing entry keeps its bytes and its position
    assert b'uniqueCount="5"' in xml and b'count="9"' in xml
    assert xml.endswith(b'<si><t>neu &lt;1&gt;</t></si><si><t xml:space="preserve"> x </t>'
                        b"</si></sst>")
    assert list(SharedStrings(xml).strings) == ["offen", "rich", "a&b", "neu <1>", " x "]
    empty = SharedStrings(b'<sst xmlns="x" count="0" uniqueCount="0"/>')
    empty.index_of(["z"])
    assert list(SharedStrings(empty.to_xml()).strings) == ["z"]


def test_attributes_in_another_order_are_still_read():
    xml = (b'<sheetData><row r="5"><c r="A5" t="s" s="3"><v>0</v></c>'
           b'<c r="B5" cm="1" s="4" t="str"><v>x</v></c><c r="C5" s="12"><v>7</v></c>'
           b"</row></sheetData>")
    index = scan_sheet(xml, {1, 2, 3})
    assert [int(index.columns[c].style[0]) for c in (1, 2, 3)] == [3, 4, 12]
    assert values(index, 1, [5]).texts[0] == "plain"
    assert values(index, 2, [5]).texts[0] == "x"
    assert values(index, 3, [5]).numbers[0] == 7


@pytest.mark.parametrize("fork", [True, False], ids=["forked worker", "one process"])
def test_streamed_patch_equals_the_whole_patch_in_any_chunking(monkeypatch, fork):
    import zlib

    from arbook.io import workers
    from arbook.io.xlsx import package, patch

    rows_xml = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="D%d" s="2"><v>0</v></c></row>' % (r, r, r, r)
        for r in range(2, 40)
    )
    xml = b"<worksheet><sheetData>" + rows_xml + b"</sheetData><x/></worksheet>"
    index = scan_sheet(xml, {2, 3}, [(2, 3)])
    rows = np.arange(len(index.row_num))
    columns = [OutColumn(2, ColumnValues.scaled(rows * 101, 2, rows % 3 == 0),
                         np.full(len(rows), 1)),
               OutColumn(3, ColumnValues.texts(["t&x" if i % 2 else "u" for i in rows]),
                         np.full(len(rows), -1))]
    whole = apply_edits(index, rows, columns)
    monkeypatch.setattr(patch, "CHUNK_EDITS", 7)
    monkeypatch.setattr(workers, "fork_available", lambda: fork)
    monkeypatch.setattr(package, "BLOCK", 100)  # many independently deflated blocks
    stream = package.DeflateStream()
    assert apply_edits(index, rows, columns, out=stream) == b""
    part = stream.close()
    assert zlib.decompress(part.body, -15) == whole
    assert part.crc == zlib.crc32(whole) and part.size == len(whole)
    assert b'<c r="B2" s="1"/><c r="C2" t="inlineStr">' in whole
    assert whole.endswith(b"<x/></worksheet>")


@pytest.mark.parametrize("extra", [b"", b"<si><r><t>ri</t></r><r><t>ch</t></r></si>"],
                         ids=["plain table", "with rich text"])
def test_shared_strings_plain_and_rich_tables_read_the_same(extra):
    xml = (b'<sst xmlns="x"><si><t>RE-1</t></si><si><t xml:space="preserve"> K 1 </t></si>'
           b"<si><t>a &amp; b</t></si><si><t>line_x000D_</t></si>" + extra + b"</sst>")
    expected = ["RE-1", " K 1 ", "a & b", "line\r"] + (["rich"] if extra else [])
    assert parse_shared_strings(xml).tolist() == expected
