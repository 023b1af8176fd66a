"""From raw cell values to typed columns, with a problem for every cell that does not fit.

A reader (the sheet scanner, xlwings, a CSV importer) hands over each column as two parallel
arrays: the numeric value (NaN where the cell holds no number) and the text (None where it holds
no text). Conversion happens here, once, at the edge: money becomes integer cents, dates become
calendar dates (no time of day, no time zone), text stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from arbook.core.problems import Problem, Severity
from arbook.core.schema import Kind, TableSpec

# Excel's day 0 in the 1900 date system is 1899-12-30 (it counts the non-existent 1900-02-29).
EPOCH_1900 = np.datetime64("1899-12-30", "D")
EPOCH_1904 = np.datetime64("1904-01-01", "D")
MAX_SERIAL = 2958465  # 9999-12-31
# Beyond this a float no longer holds every cent exactly (2**53 cents is about 9e13 units):
# a larger amount or whole number in a cell is a typing accident, reported, never wrapped around.
MAX_UNITS = 10**13


@dataclass
class RawColumn:
    numbers: np.ndarray  # float64, NaN where the cell has no number
    texts: np.ndarray  # object, None where the cell has no text

    @classmethod
    def from_values(cls, values: list[object]) -> RawColumn:
        """Build from Python values (xlwings, calamine, tests): numbers, bools, dates or text."""
        numbers = np.full(len(values), np.nan)
        texts = np.full(len(values), None, dtype=object)
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, bool | int | float) and not isinstance(value, bool):
                numbers[i] = float(value)
            elif isinstance(value, bool):
                texts[i] = "TRUE" if value else "FALSE"
            elif isinstance(value, datetime | date):
                day = value.date() if isinstance(value, datetime) else value
                numbers[i] = float((np.datetime64(day, "D") - EPOCH_1900).astype(int))
            else:
                texts[i] = str(value)
        return cls(numbers, texts)

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass
class RawTable:
    """One Excel table as read: sheet row numbers and a raw column per known key."""

    sheet: str
    rows: np.ndarray  # int64 row numbers as Excel shows them
    columns: dict[str, RawColumn]
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as found
    date1904: bool = False

    def __len__(self) -> int:
        return len(self.rows)


_TEXT_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%Y-%m-%dT%H:%M:%S")
_MONEY_TEXT = re.compile(r"^(-)?\s*([0-9.,][0-9.,' ]*)\s*(-)?$")
_TRUE = {"ja", "j", "yes", "y", "x", "true", "wahr", "1"}
_FALSE = {"nein", "n", "no", "false", "falsch", "0", ""}


def parse_text_date(text: str) -> date | None:
    text = text.strip()
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_money_text(text: str) -> int | None:
    """German or English amount text to cents: '1.234,56', '-1.234,56', '1.234,56-', '1234.56'."""
    cleaned = text.strip().replace("\u00a0", " ")
    for symbol in ("EUR", "€", "CHF", "USD", "$", "GBP", "£"):
        cleaned = cleaned.replace(symbol, "")
    match = _MONEY_TEXT.match(cleaned.strip())
    if not match:
        return None
    sign = -1 if (match.group(1) or match.group(3)) else 1
    digits = match.group(2).replace(" ", "").replace("'", "")
    last_comma, last_dot = digits.rfind(","), digits.rfind(".")
    decimal_sep = "," if last_comma > last_dot else "."
    if decimal_sep == "." and last_comma == -1 and digits.count(".") > 1:
        decimal_sep = ""  # 1.234.567 is thousands only
    if decimal_sep == "," and digits.count(",") > 1:
        return None
    if decimal_sep and decimal_sep in digits:
        whole, _, frac = digits.rpartition(decimal_sep)
    else:
        whole, frac = digits, ""
    if decimal_sep and not whole:
        whole = "0"
    whole = whole.replace(".", "").replace(",", "")
    if not _ascii_digits(whole) or (frac and (not _ascii_digits(frac) or len(frac) > 2)):
        return None
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


def _problem(raw: RawTable, spec_label: str, index: int, message: str, severity=Severity.ERROR):
    return Problem(
        message=message,
        sheet=raw.sheet,
        row=int(raw.rows[index]),
        column=spec_label,
        severity=severity,
    )


def to_text(col: RawColumn) -> np.ndarray:
    out = col.texts.copy()
    has_num = ~np.isnan(col.numbers)
    if has_num.any():
        nums = col.numbers[has_num]
        out[has_num] = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in nums]
    out[:] = [None if t is None else (t.strip() or None) for t in out.tolist()]
    return out


def to_dates(
    col: RawColumn, raw: RawTable, label: str, problems: list[Problem]
) -> np.ndarray:
    """Serial numbers and date texts to datetime64[D]; anything else is reported and left NaT."""
    epoch = EPOCH_1904 if raw.date1904 else EPOCH_1900
    out = np.full(len(col), np.datetime64("NaT"), dtype="datetime64[D]")
    nums = col.numbers
    ok = (nums >= 1) & (nums <= MAX_SERIAL)
    out[ok] = epoch + np.floor(nums[ok]).astype("int64").astype("timedelta64[D]")
    bad_num = ~np.isnan(nums) & ~ok
    for i in np.flatnonzero(bad_num):
        problems.append(_problem(raw, label, i, f"{nums[i]:g} is not a valid date"))
    for i in np.flatnonzero(col.texts != None):  # noqa: E711
        text = str(col.texts[i])
        if not text.strip():
            continue
        parsed = parse_text_date(text)
        if parsed is None:
            problems.append(
                _problem(raw, label, i, f"'{text}' is not a date; type it as 26.11.2026")
            )
        else:
            out[i] = np.datetime64(parsed, "D")
    return out


def to_cents(
    col: RawColumn, raw: RawTable, label: str, problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts to int64 cents and a mask of cells that hold an amount."""
    nums = _within_range(col, raw, label, problems)
    present = ~np.isnan(nums)
    scaled = nums * 100.0
    cents = np.zeros(len(col), dtype=np.int64)
    cents[present] = np.rint(scaled[present]).astype(np.int64)
    off = np.abs(scaled - np.rint(scaled)) > 1e-6 * np.maximum(1.0, np.abs(scaled))
    for i in np.flatnonzero(present & off):
        # Commercial rounding of what was typed (10.005 -> 10.01), not of its binary float.
        exact = Decimal(repr(float(nums[i]))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        cents[i] = int(exact * 100)
        problems.append(
            _problem(
                raw, label, i, f"{float(nums[i])!r} has more than two decimals; rounded to cents",
                Severity.WARNING,
            )
        )
    for i in np.flatnonzero(col.texts != None):  # noqa: E711
        text = str(col.texts[i])
        value = parse_money_text(text)
        if value is not None and abs(value) >= MAX_UNITS * 100:
            problems.append(_problem(raw, label, i, f"'{text[:30]}' is too large an amount"))
            continue
        if value is None:
            if text.strip():
                problems.append(
                    _problem(raw, label, i, f"'{text}' is not an amount; type it as 1234,56")
                )
            continue
        cents[i] = value
        present[i] = True
    return cents, present


def _within_range(col: RawColumn, raw: RawTable, label: str,
                  problems: list[Problem]) -> np.ndarray:
    """The column's numbers with infinite or absurdly large ones reported and left out."""
    nums = col.numbers
    with np.errstate(invalid="ignore"):
        wild = ~np.isnan(nums) & ~(np.abs(nums) < MAX_UNITS)
    if not wild.any():
        return nums
    for i in np.flatnonzero(wild):
        problems.append(_problem(raw, label, i, f"{nums[i]:g} is too large a number"))
    return np.where(wild, np.nan, nums)


def _ascii_digits(text: str) -> bool:
    """0-9 only: ``str.isdigit`` also accepts '²' and other digits ``int`` refuses."""
    return text.isascii() and text.isdigit()


def to_ints(col: RawColumn, raw: RawTable, label: str, problems: list[Problem]) -> pd.Series:
    out = pd.array([pd.NA] * len(col), dtype="Int64")
    nums = _within_range(col, raw, label, problems)
    whole = ~np.isnan(nums) & (np.floor(nums) == nums)
    out[whole] = nums[whole].astype(np.int64)
    for i in np.flatnonzero(~np.isnan(nums) & ~whole):
        problems.append(_problem(raw, label, i, f"{nums[i]:g} is not a whole number"))
    for i in np.flatnonzero(col.texts != None):  # noqa: E711
        text = str(col.texts[i]).strip()
        if _ascii_digits(text.removeprefix("-")) and len(text) <= len(str(MAX_UNITS)):
            out[i] = int(text)
        elif text:
            problems.append(_problem(raw, label, i, f"'{text}' is not a whole number"))
    return pd.Series(out)


def to_bools(col: RawColumn, raw: RawTable, label: str, problems: list[Problem]) -> np.ndarray:
    out = np.zeros(len(col), dtype=bool)
    nums = col.numbers
    out[~np.isnan(nums) & (nums != 0)] = True
    for i in np.flatnonzero(col.texts != None):  # noqa: E711
        text = str(col.texts[i]).strip().casefold()
        if text in _TRUE:
            out[i] = True
        elif text not in _FALSE:
            problems.append(
                _problem(raw, label, i, f"'{col.texts[i]}' is neither yes (Ja) nor no (Nein)")
            )
    return out


def to_percent(col: RawColumn, raw: RawTable, label: str, problems: list[Problem]) -> np.ndarray:
    """Percent as a fraction; 2 and 0.02 both mean two percent (typed vs. formatted cells)."""
    nums = col.numbers.copy()
    nums = np.where(nums > 1, nums / 100.0, nums)
    for i in np.flatnonzero(col.texts != None):  # noqa: E711
        text = str(col.texts[i]).strip().rstrip("%").strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            if text:
                problems.append(_problem(raw, label, i, f"'{col.texts[i]}' is not a percentage"))
            continue
        nums[i] = value / 100.0 if value > 1 else value
    return nums


def _blank(data: dict[str, object], key: str, kind: Kind, n: int) -> None:
    match kind:
        case Kind.TEXT:
            data[key] = np.full(n, None, dtype=object)
        case Kind.DATE:
            data[key] = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        case Kind.MONEY:
            data[f"{key}_cents"] = np.zeros(n, dtype=np.int64)
            data[f"{key}_present"] = np.zeros(n, dtype=bool)
        case Kind.INT:
            data[key] = pd.array([pd.NA] * n, dtype="Int64")
        case Kind.BOOL:
            data[key] = np.zeros(n, dtype=bool)
        case Kind.PERCENT:
            data[key] = np.full(n, np.nan)


def typed_frame(raw: RawTable, spec: TableSpec,
                keys: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert the columns ``keys`` (default: all) of a raw table; money columns become
    ``<key>_cents`` and ``<key>_present``."""
    problems: list[Problem] = []
    data: dict[str, object] = {"row": raw.rows.astype(np.int64)}
    n = len(raw)
    for column in spec.columns:
        if keys is not None and column.key not in keys:
            continue
        col = raw.columns.get(column.key)
        label = raw.headers.get(column.key, column.en)
        if col is None:  # not read (e.g. columns about to be computed): typed blanks
            _blank(data, column.key, column.kind, n)
            continue
        match column.kind:
            case Kind.TEXT:
                data[column.key] = to_text(col)
            case Kind.DATE:
                data[column.key] = to_dates(col, raw, label, problems)
            case Kind.MONEY:
                cents, present = to_cents(col, raw, label, problems)
                data[f"{column.key}_cents"] = cents
                data[f"{column.key}_present"] = present
            case Kind.INT:
                data[column.key] = to_ints(col, raw, label, problems).to_numpy()
            case Kind.BOOL:
                data[column.key] = to_bools(col, raw, label, problems)
            case Kind.PERCENT:
                data[column.key] = to_percent(col, raw, label, problems)
    frame = pd.DataFrame(data)
    for column in spec.columns:
        if column.key not in frame.columns:
            continue
        if column.kind == Kind.TEXT:
            frame[column.key] = frame[column.key].astype(object)
        elif column.kind == Kind.INT:
            frame[column.key] = frame[column.key].astype("Int64")
    return frame, problems


@dataclass
class ColumnValues:
    """Values to write into one column: scaled whole numbers, or texts coded by label.

    Kept as arrays (not a million Python strings) so a writer can format them chunk by chunk.
    ``numbers`` hold value * 10**scale (money: cents, scale 2); ``codes`` index ``labels``;
    blank cells have ``blank`` True (numbers) or code -1 (texts).
    """

    numbers: np.ndarray | None = None
    scale: int = 0
    blank: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: list[str] = field(default_factory=list)

    @property
    def numeric(self) -> bool:
        return self.numbers is not None

    def __len__(self) -> int:
        return len(self.numbers) if self.numeric else len(self.codes)

    @classmethod
    def scaled(cls, numbers: np.ndarray, scale: int, blank: np.ndarray | None = None):
        numbers = np.asarray(numbers, dtype=np.int64)
        blank = np.zeros(len(numbers), dtype=bool) if blank is None else np.asarray(blank, bool)
        return cls(numbers=numbers, scale=scale, blank=blank)

    @classmethod
    def texts(cls, values) -> ColumnValues:
        """From an array of texts (None = blank)."""
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        return cls(codes=codes.astype(np.int64), labels=[str(u) for u in uniques])

    def take(self, positions: np.ndarray, fill: str | None = None) -> ColumnValues:
        """Values at ``positions``; position -1 gives ``fill`` (text) or a blank."""
        missing = positions < 0
        safe = np.where(missing, 0, positions)
        if self.numeric:
            numbers = self.numbers[safe] if len(self.numbers) else np.zeros(len(safe), np.int64)
            blank = (self.blank[safe] if len(self.blank) else missing) | missing
            return ColumnValues(numbers=numbers, scale=self.scale, blank=blank)
        labels = list(self.labels)
        fill_code = -1
        if fill is not None:
            labels.append(fill)
            fill_code = len(labels) - 1
        codes = self.codes[safe] if len(self.codes) else np.full(len(safe), -1, np.int64)
        return ColumnValues(codes=np.where(missing, fill_code, codes), labels=labels)

    def blanked(self, mask: np.ndarray) -> ColumnValues:
        """The same values with the cells in ``mask`` left empty."""
        if not mask.any():
            return self
        if self.numeric:
            return ColumnValues(numbers=self.numbers, scale=self.scale, blank=self.blank | mask)
        return ColumnValues(codes=np.where(mask, -1, self.codes), labels=self.labels)

    def formatted(self) -> list[str | None]:
        """The values as text: numbers with their decimals ('-1234.56'), None for blanks."""
        if not self.numeric:
            labels = np.array([*self.labels, None], dtype=object)
            return labels[self.codes].tolist()
        if self.scale == 0:
            text = self.numbers.astype(str).astype(object)
        else:
            unit = 10**self.scale
            whole, frac = np.divmod(np.abs(self.numbers), unit)
            sign = np.where(self.numbers < 0, "-", "").tolist()
            text = np.array([f"{s}{w}.{f:0{self.scale}d}" for s, w, f in
                             zip(sign, whole.tolist(), frac.tolist(), strict=True)], dtype=object)
        text[self.blank] = None
        return text.tolist()
