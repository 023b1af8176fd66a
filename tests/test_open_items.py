"""The columnar open items matching reads, against the plain reading of the same frame: one
object per numbered row (the first of each number), filtered and sorted in Python."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.core.open_items import Item, OpenItems, age, day, text
from arbook.core.remittance import invoice_key, key_fingerprints

AS_OF = date(2026, 11, 26)
NUMBER_TEXT = st.text(alphabet="0123456789AREinv -./#:\t\u00a0ßÄ٣\x1c", max_size=12)


def plain(frame: pd.DataFrame, home: str) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for row in frame.to_dict("records"):
        number = text(row["invoice_no"]).strip()
        if number and number not in out:
            out[number] = Item(number, text(row["customer_id"]).strip(),
                               text(row["currency"]).strip().upper() or home,
                               int(row["open_cents"]), day(row["invoice_date"]),
                               day(row["due_date"]))
    return out


@st.composite
def ledgers(draw):
    """Up to 200 rows of few customers, amounts and days: many equal ages and amounts."""
    pick = draw(st.randoms(use_true_random=False))  # one draw, not six per row: fast
    size = pick.randint(1, 200)
    days = pick.choice([[AS_OF - timedelta(days=k) for k in (1, 2, 30)] + [None], [AS_OF]])
    rows = [{"invoice_no": pick.choice([f"RE-{pick.randint(0, 400):04d}",
                                        str(pick.randint(0, 400)), "", " 7 ", None, "A-7"]),
             "customer_id": pick.choice(["K1", "K2", " K1", None]),
             "currency": pick.choice(["EUR", "usd", None]),
             "open_cents": pick.choice([0, 100, 200, 300, -50, 999]),
             "invoice_date": pick.choice(days), "due_date": pick.choice(days)}
            for _ in range(size)]
    frame = pd.DataFrame(rows)
    if draw(st.booleans()):
        frame["due_date"] = pd.to_datetime(frame["due_date"])
    return frame


@settings(max_examples=60, deadline=None)
@given(ledgers(), st.lists(st.tuples(st.integers(0, 400), st.integers(1, 300)), max_size=30))
def test_lookups_equal_the_plain_reading_also_after_taking(frame, takes):
    book, expected = OpenItems(frame, "EUR"), plain(frame, "EUR")
    numbers = list(expected)
    for k, cents in takes:  # earlier entries of the run settle some items
        if numbers:
            number = numbers[k % len(numbers)]
            book.take(number, cents)
            expected[number].open -= cents
    for number in [*numbers, "RE-9999", " 7 "]:
        assert book.item(number) == expected.get(number)
    assert book.currencies == {i.currency for i in plain(frame, "EUR").values() if i.open > 0}
    for customer in ("K1", "K2", "", "K9"):
        mine = sorted((i for i in expected.values() if i.customer_id == customer), key=age)
        assert book.of_customer(customer) == [i for i in mine if i.open > 0]
        for currency in ("EUR", "USD"):
            fitting = [i for i in mine if i.open > 0 and i.currency == currency]
            for count in (0, 1, 5, 12, 70):
                assert book.oldest(customer, currency, count) == fitting[:count]
            for low, high in ((1, None), (100, 100), (150, 300), (250, 999), (1000, 2000)):
                assert book.with_open(customer, currency, low, high) == [
                    i for i in fitting if low <= i.open and (high is None or i.open <= high)]
    for key in {invoice_key(n) for n in numbers} | {"7", "4711"}:
        assert book.numbers_with_key(key) == [n for n in numbers if invoice_key(n) == key]


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXT, min_size=1, max_size=20))
def test_numbers_with_the_same_key_have_the_same_fingerprint(numbers):
    prints = key_fingerprints(numbers).tolist()
    keys = [invoice_key(n) for n in numbers]
    assert prints == key_fingerprints(keys).tolist()  # its own key prints the same
    assert prints == [key_fingerprints([n])[0] for n in numbers]  # alone or in a batch
    for a, b in zip(keys, prints, strict=True):
        for c, d in zip(keys, prints, strict=True):
            assert a != c or b == d


def test_fingerprints_tell_different_digit_groups_apart():
    prints = key_fingerprints(["RE-2026-00010", "RE-2026-01000", "RE-2026-1", "2026-10",
                               "RE 000815", "815", "0", "", "A-0"]).tolist()
    assert prints[0] == prints[3] and prints[4] == prints[5] and prints[6] == prints[8]
    assert len({prints[0], prints[1], prints[2], prints[4], prints[6], prints[7]}) == 6


def test_a_date_cell_reads_the_same_from_numpy_as_from_pandas():
    """Items read their dates from the frame's numpy arrays (no Timestamp per item)."""
    column = pd.Series(pd.to_datetime(["2026-11-26", None, "2024-02-29"]).as_unit("s"))
    assert [day(v) for v in column.to_numpy()] == [day(v) for v in column.array] == [
        date(2026, 11, 26), None, date(2024, 2, 29)]
    assert day(np.datetime64("2026-01-05", "D")) == date(2026, 1, 5)
