"""The remind job's helpers: vectorised look-ups (the same as the dicts they replaced), and
the Reminders sheet's invoice list, which must fit an Excel cell."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbook.remind import day_array, invoice_list, lookup

NUMBERS = st.sampled_from(["RE-1", "RE-2", "re-1", "RE-1 ", "Ä-7", "", "0042"])
DAYS = st.one_of(st.none(), st.dates(date(1950, 1, 1), date(2100, 12, 31)))


@given(st.dictionaries(NUMBERS, st.integers(0, 9)), st.lists(NUMBERS, max_size=8))
def test_lookup_is_get_with_a_default(mapping, wanted):
    """With the numbers hashed beforehand (unique or not) the result is the same."""
    expected = [mapping.get(n, -1) for n in wanted]
    numbers = np.array(wanted, dtype=object)
    assert lookup(mapping, numbers, -1, np.int64).tolist() == expected
    assert lookup(mapping, numbers, -1, np.int64, pd.Index(numbers)).tolist() == expected
    dated = {n: date(2026, 1, 1 + v) for n, v in mapping.items()}
    got = lookup(dated, numbers, None, "datetime64[D]", pd.Index(numbers, dtype=object))
    assert got.astype(object).tolist() == [dated.get(n) for n in wanted]


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters=","), min_size=1,
                        max_size=60), min_size=1, max_size=2000), st.sampled_from(["de", "en"]))
def test_the_reminders_sheet_cell_fits_excel_and_counts_the_rest(numbers, lang):
    text = invoice_list(numbers, lang)
    if len(", ".join(numbers)) <= 32_767:
        assert text == ", ".join(numbers)
        return
    assert len(text) <= 32_767
    listed, _sep, rest = text.rpartition(" … und " if lang == "de" else " … and ")
    shown = listed.split(", ")
    assert shown == numbers[:len(shown)]
    count = int(rest.split()[0].replace(".", "").replace(",", ""))
    assert count == len(numbers) - len(shown) > 0


@pytest.mark.parametrize(("lang", "word", "shown"), [("de", " … und 954 weitere", 2_046),
                                                     ("en", " … and 953 more", 2_047)])
def test_a_list_of_thousands_of_invoices_is_cut_to_an_excel_cell(lang, word, shown):
    numbers = [f"RE-2026-{i:06d}" for i in range(3_000)]  # 14 chars and ", ": 48k in all
    text = invoice_list(numbers, lang)
    # room: 32,767 less the remark for all 3,000 (de 20, en 17 characters); n numbers take
    # n x 16 - 2: de 2,046 (32,734 <= 32,747), en 2,047 (32,750 <= 32,750)
    assert len(text) <= 32_767 and text.endswith(word)
    assert text.removesuffix(word).split(", ") == numbers[:shown]


@given(st.lists(DAYS, max_size=20))
def test_day_array_is_numpys_conversion(days):
    assert day_array(days).tolist() == np.array(days, dtype="datetime64[D]").tolist()
