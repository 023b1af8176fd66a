"""The open items bank matching looks at: columns for the whole ledger, objects for the few
rows a statement touches.

A day's statement has hundreds of entries; the ledger may have a million open items. So the
ledger is indexed once with numpy (invoice numbers by a fingerprint of their digit groups,
per customer by open amount and by age) and an ``Item`` is made only for a row a rule looks
at. Each ``Item`` is cached: ``take`` lowers its open amount (and the column the lookups
read), so later entries of the same run see what earlier ones left.

Which rows count is decided as before: a row without an invoice number is ignored, and of
rows with the same number only the first counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from arbook.core.remittance import invoice_key, key_fingerprints

NO_DAY = date.max.toordinal()  # age of an item without due and invoice date: the youngest


@dataclass
class Item:
    invoice_no: str
    customer_id: str
    currency: str
    open: int
    invoice_date: date | None
    due_date: date | None


def age(item: Item) -> tuple:
    """Oldest first: by due date (else invoice date), then invoice number."""
    return (item.due_date or item.invoice_date or date.max, item.invoice_no)


def text(value: object) -> str:
    """A cell as text; nothing (None, NaN) is ''."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def day(value: object) -> date | None:
    if isinstance(value, np.datetime64):  # a cell of a date column's array: no Timestamp
        found = None if np.isnat(value) else value.astype("datetime64[D]").item()
        return found if isinstance(found, date) else None
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


class OpenItems:
    """The items of an invoices frame (invoice_no, customer_id, currency, open_cents,
    invoice_date, due_date), looked up by number, key, customer, amount and age."""

    def __init__(self, frame: pd.DataFrame, home_currency: str):
        self._dates = {c: frame[c].to_numpy() for c in ("invoice_date", "due_date")
                       if c in frame}
        numbers = [v.strip() if type(v) is str else text(v).strip()
                   for v in _column(frame, "invoice_no")]
        self._rows, prints, self._print_order = _first_rows(numbers)
        self._numbers = numbers if len(self._rows) == len(numbers) else [
            numbers[r] for r in self._rows]
        self._prints = prints[self._print_order]
        self._customer, customers = _codes(_column(frame, "customer_id")[self._rows], str.strip)
        self._currency, currencies = _codes(_column(frame, "currency")[self._rows],
                                            lambda t: t.strip().upper() or home_currency)
        self._customer_names, self._currency_names = customers, currencies
        self._customer_code = {c: i for i, c in enumerate(customers)}
        self._currency_code = {c: i for i, c in enumerate(currencies)}
        self._open = frame["open_cents"].to_numpy()[self._rows].astype(np.int64)
        self._start_open = self._open.copy()
        self.currencies = {currencies[c] for c in np.unique(self._currency[self._open > 0])}
        due, issued = (_ordinals(frame, column, self._rows)
                       for column in ("due_date", "invoice_date"))
        self._age = np.where(due >= 0, due, np.where(issued >= 0, issued, NO_DAY))
        small = np.uint16 if len(customers) <= 1 << 16 else np.int64  # radix sort: O(n)
        self._grouped = np.argsort(self._customer.astype(small), kind="stable")
        self._bounds = np.r_[0, np.cumsum(np.bincount(self._customer,
                                                      minlength=len(customers)))]
        self._by_age: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # sorted when first asked
        self._by_open: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._items: dict[int, Item] = {}
        self._positions: dict[str, int | None] = {}
        self._with_key: dict[str, list[str]] = {}
        self._key_prints: dict[str, int] = {}
        self._touched: dict[int, set[int]] = {}  # customer code -> positions taken from

    # -- by invoice number ---------------------------------------------------------------

    def item(self, number: str) -> Item | None:
        """The item with this (stripped) invoice number."""
        if number not in self._positions:
            self._positions[number] = next(
                (p for p in self._printed(self._print_of(number)) if self._numbers[p] == number),
                None)
        position = self._positions[number]
        return None if position is None else self._item(position)

    def numbers_with_key(self, key: str) -> list[str]:
        """Invoice numbers whose ``invoice_key`` is ``key``, in ledger order."""
        if key not in self._with_key:
            found = [p for p in self._printed(self._print_of(key))
                     if invoice_key(self._numbers[p]) == key]
            for p in found:
                self._positions[self._numbers[p]] = p
            self._with_key[key] = [self._numbers[p] for p in found]
        return self._with_key[key]

    def prepare_keys(self, keys: Iterable[str]) -> None:
        """Fingerprint many keys in one vectorised pass (one at a time costs ~50 µs each)."""
        new = list(dict.fromkeys(k for k in keys if k not in self._key_prints))
        self._key_prints.update(zip(new, key_fingerprints(new).tolist(), strict=True))

    @property
    def keys(self) -> KeyView:
        return KeyView(self)

    # -- by customer ---------------------------------------------------------------------

    def with_open(self, customer_id: str, currency: str, low: int,
                  high: int | None) -> list[Item]:
        """The customer's items in ``currency`` with ``low <= open <= high`` (``high`` None:
        no limit), ``low`` >= 1, oldest first."""
        code = self._customer_code.get(customer_id)
        if code is None or currency not in self._currency_code:
            return []
        order, sorted_open = self._sorted_by(code, self._start_open, self._by_open)
        upper = len(order) if high is None else np.searchsorted(sorted_open, high, "right")
        found = order[np.searchsorted(sorted_open, low, "left"):upper]
        if self._touched.get(code):  # taken from since: their amount may fit now
            moved = np.fromiter(self._touched[code], dtype=np.int64)
            before = self._start_open[moved]
            outside = (before < low) | (before > high if high is not None else False)
            found = np.concatenate([found, moved[outside]])
        now = self._open[found]
        fits = ((now >= max(low, 1)) & (now <= (high if high is not None else now))
                & (self._currency[found] == self._currency_code[currency]))
        return sorted((self._item(p) for p in found[fits]), key=age)

    def oldest(self, customer_id: str, currency: str, count: int) -> list[Item]:
        """The customer's ``count`` oldest open items in ``currency``."""
        code = self._customer_code.get(customer_id)
        if code is None or currency not in self._currency_code or count <= 0:
            return []
        order, ages = self._sorted_by(code, self._age, self._by_age)
        wanted = self._currency_code[currency]
        picked: list[int] = []
        end, step = 0, max(4 * count, 64)
        while end < len(order) and len(picked) < count:
            block = order[end:end + step]
            end += len(block)
            picked += block[(self._open[block] > 0) & (self._currency[block] == wanted)].tolist()
        if len(picked) >= count:  # equal ages are ordered by number: take the whole tie
            block = order[end:np.searchsorted(ages, self._age[picked[count - 1]], "right")]
            picked += block[(self._open[block] > 0) & (self._currency[block] == wanted)].tolist()
        oldest = sorted(picked, key=lambda p: (self._age[p], self._numbers[p]))[:count]
        return [self._item(p) for p in oldest]  # the order of ``age``, made for these only

    def of_customer(self, customer_id: str) -> list[Item]:
        """All the customer's open items, in any currency, oldest first."""
        code = self._customer_code.get(customer_id)
        if code is None:
            return []
        block = self._grouped[self._bounds[code]:self._bounds[code + 1]]
        return sorted((self._item(p) for p in block[self._open[block] > 0]), key=age)

    # -- applying ------------------------------------------------------------------------

    def take(self, number: str, cents: int) -> None:
        """``cents`` of this item are settled (paid or discounted) by an earlier entry."""
        item = self.item(number)
        if item is None:
            return
        position = self._positions[number]
        item.open -= cents
        self._open[position] -= cents
        self._touched.setdefault(int(self._customer[position]), set()).add(position)

    # -- internals -----------------------------------------------------------------------

    def _item(self, position: int) -> Item:
        position = int(position)
        if position not in self._items:
            row, number = int(self._rows[position]), self._numbers[position]
            self._positions[number] = position
            self._items[position] = Item(
                number, self._customer_names[self._customer[position]],
                self._currency_names[self._currency[position]], int(self._open[position]),
                self._cell_day("invoice_date", row), self._cell_day("due_date", row))
        return self._items[position]

    def _sorted_by(self, code: int, values: np.ndarray,
                   cache: dict[int, tuple[np.ndarray, np.ndarray]]
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The customer's positions in the order of ``values`` (ties: ledger order) and
        the values in that order, sorted once per customer and run."""
        if code not in cache:
            block = self._grouped[self._bounds[code]:self._bounds[code + 1]]
            order = block[np.argsort(values[block], kind="stable")]
            cache[code] = (order, values[order])
        return cache[code]

    def _cell_day(self, column: str, row: int) -> date | None:
        return day(self._dates[column][row]) if column in self._dates else None

    def _print_of(self, key: str) -> int:
        if key not in self._key_prints:
            self.prepare_keys([key])
        return self._key_prints[key]

    def _printed(self, fingerprint: int) -> np.ndarray:
        """Positions whose number has this fingerprint, in ledger order."""
        value = np.uint64(fingerprint)
        low = np.searchsorted(self._prints, value, "left")
        return self._print_order[low:np.searchsorted(self._prints, value, "right")]


class KeyView:
    """``OpenItems`` as the key index ``find_invoices`` reads."""

    def __init__(self, items: OpenItems):
        self._items = items

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._items.numbers_with_key(key))

    def get(self, key: str, default: Sequence[str] = (), /) -> Sequence[str]:
        return self._items.numbers_with_key(key) or default


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), None, dtype=object)
    return frame[name].to_numpy(dtype=object)


def _first_rows(numbers: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with a number, the first of each number only; their numbers' fingerprints; and
    the order that sorts those. Equal numbers have equal fingerprints, so only rows sharing
    one are compared."""
    rows = np.flatnonzero(np.fromiter(map(bool, numbers), dtype=bool, count=len(numbers)))
    prints = key_fingerprints(numbers if len(rows) == len(numbers)
                              else [numbers[r] for r in rows])
    order = np.argsort(prints, kind="stable")
    same = prints[order][1:] == prints[order][:-1]
    shared = np.zeros(len(rows), dtype=bool)
    shared[order[1:][same]] = shared[order[:-1][same]] = True
    suspects = np.flatnonzero(shared)  # positions in rows, in ledger order
    repeated = pd.Series([numbers[rows[s]] for s in suspects], dtype=object).duplicated()
    if not repeated.any():
        return rows, prints, order
    keep = np.ones(len(rows), dtype=bool)
    keep[suspects[repeated.to_numpy(dtype=bool)]] = False
    return rows[keep], prints[keep], np.argsort(prints[keep], kind="stable")


def _codes(values: np.ndarray, clean) -> tuple[np.ndarray, list[str]]:
    """Codes of the cleaned texts of ``values``, and the texts (cleaned once per distinct
    value, not once per row)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not all(type(u) is str for u in uniques):  # 1, 1.0 and True would share a code
        codes, uniques = pd.factorize(np.array([text(v) for v in values], dtype=object))
    cleaned = [clean(text(u)) for u in uniques] + [clean("")]
    merged, names = pd.factorize(np.array(cleaned, dtype=object))
    return merged[np.where(codes < 0, len(uniques), codes)], list(names)


def _ordinals(frame: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
    """Day numbers (``date.toordinal``) of a date column, -1 where there is none; each
    distinct value converted once."""
    if column not in frame:
        return np.full(len(rows), -1, dtype=np.int64)
    codes, uniques = pd.factorize(frame[column].take(rows), use_na_sentinel=True)
    days = [day(u) for u in uniques]
    ordinals = np.array([d.toordinal() if d else -1 for d in days] + [-1], dtype=np.int64)
    return ordinals[np.where(codes < 0, len(uniques), codes)]
