"""The remind job's vectorised look-ups give what the dicts they replaced gave."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from arbook.remind import InvoiceDates, lookup

NUMBERS = st.sampled_from(["RE-1", "RE-2", "re-1", "RE-1 ", "Ä-7", "", "0042"])
DAYS = st.one_of(st.none(), st.dates(date(1950, 1, 1), date(2100, 12, 31)))


@given(st.lists(st.tuples(NUMBERS, DAYS), max_size=12), st.lists(NUMBERS, max_size=8))
def test_invoice_dates_are_the_dict_of_the_ledger_rows(rows, wanted):
    """The last row of a number wins, as in dict(zip(...)); unknown numbers have no date."""
    frame = pd.DataFrame({"invoice_no": pd.Series([n for n, _d in rows], dtype=object),
                          "invoice_date": pd.to_datetime(pd.Series([d for _n, d in rows],
                                                                   dtype=object))})
    expected = dict(rows)
    dates = InvoiceDates(frame["invoice_no"], frame["invoice_date"])
    assert dates.dates(wanted) == [expected.get(n) for n in wanted]
    assert [dates.get(n) for n in wanted] == [expected.get(n) for n in wanted]


@given(st.dictionaries(NUMBERS, st.integers(0, 9)), st.lists(NUMBERS, max_size=8))
def test_lookup_is_get_with_a_default(mapping, wanted):
    got = lookup(mapping, np.array(wanted, dtype=object), -1, np.int64)
    assert got.tolist() == [mapping.get(n, -1) for n in wanted]
