"""Numbers read from cell values are the floats Python reads from the same text."""

import numpy as np
import pytest

from arbook.core.cells import ColumnValues
from arbook.io.port import positions_of as _positions_of
from arbook.io.xlsx.patch import number_cells
from arbook.io.xlsx.scan import parse_numbers


def as_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def test_numbers_equal_float_of_their_text_bit_for_bit():
    rng = np.random.default_rng(3)
    texts = ["-0.0", "0.1", "1.", "-.5", ".5", "-", "1e5", "5E-3", "123456789012345.5",
             "0.30000000000000004", "9007199254740993", "-12", "00012.500", "1.2.3", "--1",
             "99999999999999.99", "-1234567.891"]
    for _ in range(3000):
        texts += [str(rng.integers(-10**9, 10**9)), f"{rng.integers(-10**7, 10**7) / 100:.2f}",
                  repr(float(rng.normal() * 10.0 ** rng.integers(-5, 12))),
                  f"{rng.integers(0, 10**12)}.{rng.integers(0, 10**6)}", str(rng.random())]
    xml = "".join(f"<v>{t}</v>" for t in texts).encode()
    starts, ends, pos = [], [], 0
    for text in texts:
        starts.append(pos + 3)
        ends.append(pos + 3 + len(text))
        pos += len(text) + 7
    got = parse_numbers(np.frombuffer(xml, np.uint8), xml, np.array(starts), np.array(ends))
    expected = np.array([as_float(t) for t in texts])
    assert np.array_equal(got.view(np.int64)[~np.isnan(expected)],
                          expected.view(np.int64)[~np.isnan(expected)])  # -0.0 included
    assert np.array_equal(np.isnan(got), np.isnan(expected))


def test_rows_are_matched_to_keys_in_order_or_by_value():
    keys = np.array(["a", "b", "c"], dtype=object)
    assert _positions_of(keys.copy(), keys).tolist() == [0, 1, 2]
    assert _positions_of(np.array(["c", None, "a"], dtype=object), keys).tolist() == [2, -1, 0]
    assert _positions_of(np.array(["a", "a", "c"], dtype=object), keys).tolist() == [-1, -1, 2]
    assert _positions_of(np.array(["a", None, "c"], dtype=object), keys).tolist() == [0, -1, 2]
    assert _positions_of(np.array(["x", "b"], dtype=object), keys).tolist() == [-1, 1]


@pytest.mark.parametrize("scale", [0, 1, 2, 4, 6])
def test_number_cells_hold_the_formatted_values(scale):
    rng = np.random.default_rng(scale)
    numbers = np.concatenate([rng.integers(-10**12, 10**12, 500), [0, -1, 1, 99, -100, 10**15,
                                                                   np.iinfo(np.int64).max]])
    values = ColumnValues.scaled(numbers, scale, rng.random(len(numbers)) < 0.1)
    expected = ["/>" if v is None else f"><v>{v}</v></c>" for v in values.formatted()]
    assert number_cells(values) == expected
    assert number_cells(ColumnValues.scaled(np.zeros(0, np.int64), scale)) == []
