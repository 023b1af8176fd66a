"""The CSV writer for Excel: the fast column writer gives the csv module's bytes, and the
array formatting of amounts gives the one-by-one texts."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from arbook.io.excel_csv import csv_bytes, csv_columns_bytes, decimal_text, decimal_texts

CELLS = st.text(st.sampled_from(list('ab;,"\r\n \'=Ä€1')), max_size=8)
LANGS = st.sampled_from(["de", "en"])


@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.lists(CELLS, min_size=width, max_size=width),
    st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=6))), LANGS)
def test_the_column_writer_gives_the_csv_modules_bytes(table, lang):
    header, rows = table
    columns = [list(col) for col in zip(*rows, strict=True)] or [[] for _ in header]
    got = csv_columns_bytes(header, columns, lang)
    assert got == csv_bytes([header, *rows], lang)
    reader = csv.reader(io.StringIO(got.decode("utf-8-sig"), newline=""),
                        delimiter=";" if lang == "de" else ",")
    assert [row for row in reader] == [header, *rows]


@given(st.lists(st.integers(-10**15, 10**15), max_size=30), LANGS)
def test_amounts_as_arrays_are_the_one_by_one_texts(cents, lang):
    assert decimal_texts(cents, lang) == [decimal_text(c, lang) for c in cents]
