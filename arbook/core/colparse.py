"""Amounts and dates of a whole imported column, decided from all of its values at once.

An ERP export writes a column in one format. Deciding per cell guesses wrong on the ambiguous
ones ("1,234" is 1234 in an English file and 1.234 in a German one; "03.04.2026" is March or
April), so the format is settled from the cells that are unambiguous and then applied to all.
Where the cells contradict each other the column is reported, not repaired.

Cells arrive as Python values: text (CSV, text cells), float/int (XLSX numbers, Excel serial
dates) or date/datetime (XLSX date cells). Money comes out as int64 cents, exact via Decimal.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import numpy as np

from arbook.core.cells import MAX_SERIAL, MAX_UNITS

EXCEL_EPOCH = date(1899, 12, 30)

_CURRENCY_TOKENS = re.compile(r"(EUR|USD|CHF|GBP|€|\$|£)", re.IGNORECASE)
_AMOUNT = re.compile(r"^([-+])?\s*(\d[\d.,' ]*\d|\d)\s*(-)?$")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
_DATE_PARTS = re.compile(r"^(\d{1,2})([./])(\d{1,2})\2(\d{2}|\d{4})" + _TIME)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})" + _TIME)


@dataclass
class ColumnResult:
    """What a column became: values, which cells held one, and findings with their rows.

    ``cell_errors`` are (position, message) for single cells; ``column_errors`` and ``notes`` are
    (message, positions) about the column as a whole (positions may be empty).
    """

    values: np.ndarray
    present: np.ndarray
    cell_errors: list[tuple[int, str]] = field(default_factory=list)
    column_errors: list[tuple[str, list[int]]] = field(default_factory=list)
    notes: list[tuple[str, list[int]]] = field(default_factory=list)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------------------------- amounts


@functools.lru_cache(maxsize=65536)
def _amount_parts(text: str) -> tuple[int, str] | None:
    """Sign and the bare digits with separators, or None when this is not an amount at all."""
    cleaned = _CURRENCY_TOKENS.sub("", text.replace("\u00a0", " ")).strip()
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1].strip()
    match = _AMOUNT.match(cleaned)
    if not match:
        return None
    lead, digits, trail = match.groups()
    if negative and (lead or trail):
        return None
    sign = -1 if negative or lead == "-" or trail else 1
    if lead == "-" and trail:
        return None
    return sign, digits.replace(" ", "").replace("'", "")


def _decimal_vote(digits: str) -> str | None:
    """Which separator is the decimal one, if this value alone tells: ',', '.', or None."""
    last_comma, last_dot = digits.rfind(","), digits.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        return "," if last_comma > last_dot else "."
    for sep, other in ((",", "."), (".", ",")):
        if digits.count(sep) > 1:
            return other  # repeated: a thousands separator
        pos = digits.rfind(sep)
        if pos >= 0 and len(digits) - pos - 1 != 3:
            return sep  # '12,5' or '12,50': three digits after it would be ambiguous
    return None


def _to_decimal(digits: str, decimal_sep: str) -> Decimal | None:
    thousands = "." if decimal_sep == "," else ","
    whole, _, frac = digits.partition(decimal_sep) if decimal_sep in digits else (digits, "", "")
    if decimal_sep in frac or thousands in frac:
        return None
    groups = whole.split(thousands)
    if len(groups) > 1 and (not groups[0] or any(len(g) != 3 for g in groups[1:])):
        return None
    try:
        return Decimal("".join(groups) + ("." + frac if frac else ""))
    except InvalidOperation:
        return None


def parse_amount_column(values: list[object], decimal_comma: bool | None = None) -> ColumnResult:
    """Amounts to int64 cents. The decimal separator is voted on by the column's texts; ties and
    columns without a telling value use ``decimal_comma`` (a profile's), else the comma."""
    n = len(values)
    cents = np.zeros(n, dtype=np.int64)
    present = np.zeros(n, dtype=bool)
    result = ColumnResult(cents, present)
    parts: dict[int, tuple[int, str]] = {}
    votes: dict[str, list[int]] = {",": [], ".": []}
    for i, value in enumerate(values):
        if _blank(value) or not isinstance(value, str):
            continue
        found = _amount_parts(value)
        if found is None:
            result.cell_errors.append((i, f"'{value}' is not an amount"))
            continue
        parts[i] = found
        vote = _decimal_vote(found[1])
        if vote:
            votes[vote].append(i)
    if votes[","] and votes["."]:
        minority = "," if len(votes[","]) < len(votes["."]) else "."
        result.column_errors.append(
            (f"amounts mix '{minority}' and the other separator as decimal mark; "
             f"the rows listed do not follow the column's format", votes[minority]))
    if len(votes[","]) != len(votes["."]):
        decimal_sep = "," if len(votes[","]) > len(votes["."]) else "."
    else:
        decimal_sep = "." if decimal_comma is False else ","
        if parts and any(_decimal_vote(d) is None and ("," in d or "." in d)
                         for _, d in parts.values()):
            result.notes.append((f"no amount shows which decimal mark is used; read with "
                                 f"'{decimal_sep}' as the decimal mark", []))
    conflicting = set(votes["," if decimal_sep == "." else "."]) if votes[","] and votes["."] \
        else set()
    for i, (sign, digits) in parts.items():
        amount = None if i in conflicting else _to_decimal(digits, decimal_sep)
        if amount is None:
            if i not in conflicting:
                result.cell_errors.append((i, f"'{values[i]}' is not an amount"))
            continue
        _store_cents(result, i, sign * amount, values[i])
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value != value:  # NaN
            continue
        if not abs(value) < MAX_UNITS:  # also infinity: reported, never wrapped around
            result.cell_errors.append((i, f"{value:g} is too large an amount"))
            continue
        scaled = float(value) * 100
        if abs(scaled - round(scaled)) <= 1e-6 * max(1.0, abs(scaled)):
            # binary noise of a computed cell (0.1 + 0.2) is not a third decimal
            _store_cents(result, i, Decimal(round(scaled)) / 100, value)
        else:
            _store_cents(result, i, Decimal(repr(float(value))), value)
    return result


def _store_cents(result: ColumnResult, i: int, amount: Decimal, shown: object) -> None:
    scaled = amount * 100
    if abs(amount) >= MAX_UNITS:
        result.cell_errors.append((i, f"'{str(shown)[:30]}' is too large an amount"))
        return
    if scaled != scaled.to_integral_value():
        result.cell_errors.append((i, f"'{shown}' has more than two decimals"))
        return
    result.values[i] = int(scaled)
    result.present[i] = True


# ------------------------------------------------------------------------------------ dates


def _two_digit_year(year: int) -> int:
    return year + (2000 if year < 70 else 1900) if year < 100 else year


@functools.lru_cache(maxsize=65536)
def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(_two_digit_year(year), month, day)
    except ValueError:
        return None


def _iso_date(year: str, month: str, day: str) -> date | None:
    return _make_date(int(year), int(month), int(day))


def parse_date_column(values: list[object], date_order: str | None = None) -> ColumnResult:
    """Dates as datetime64[D]. Text like 03.04.2026 or 04/03/2026 is read in one order for the
    whole column: a first part over 12 proves day-first, a second part over 12 month-first.
    Both at once, or dates mixed with text that is none, is a column error listing the rows.
    An undecided column uses ``date_order`` ('DMY'/'MDY'), else DMY for '.' and MDY for '/'."""
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    result = ColumnResult(out, np.zeros(n, dtype=bool))
    pending: dict[int, tuple[int, int, int, str]] = {}
    day_first: list[int] = []
    month_first: list[int] = []
    not_dates: list[int] = []
    for i, value in enumerate(values):
        if _blank(value):
            continue
        if isinstance(value, datetime):
            _store_date(result, i, value.date())
        elif isinstance(value, date):
            _store_date(result, i, value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if 1 <= value <= MAX_SERIAL:
                _store_date(result, i, EXCEL_EPOCH + timedelta(days=int(value)))
            else:
                result.cell_errors.append((i, f"{value:g} is not a date serial number"))
        else:
            text = str(value).strip()
            if (iso := _ISO.match(text)) and (parsed := _iso_date(*iso.groups())):
                _store_date(result, i, parsed)
                continue
            if iso:
                not_dates.append(i)
                continue
            match = _DATE_PARTS.match(text)
            if not match:
                not_dates.append(i)
                continue
            first, sep, second, year = match.groups()
            a, b = int(first), int(second)
            pending[i] = (a, b, int(year), sep)
            if a > 12 >= b:
                day_first.append(i)
            elif b > 12 >= a:
                month_first.append(i)
    if day_first and month_first:
        result.column_errors.append((
            f"dates in this column contradict each other: {len(day_first)} can only be "
            f"day.month, {len(month_first)} only month/day; no such text in the column was read "
            "as a date; fix the export or set the date order in the import profile",
            sorted(day_first + month_first)))
        pending = {}
    if pending:
        order = _column_order(pending, day_first, month_first, date_order, result)
        for i, (a, b, year, _) in pending.items():
            day, month = (a, b) if order == "DMY" else (b, a)
            parsed = _make_date(year, month, day)
            if parsed is None:
                not_dates.append(i)
            else:
                _store_date(result, i, parsed)
    if not_dates:
        sample = ", ".join(f"'{values[i]}'" for i in not_dates[:3])
        message = f"{sample} is not a date" if len(not_dates) == 1 else \
            f"{len(not_dates)} cells are not dates (e.g. {sample})"
        if result.present.any():
            message += " while the rest of the column holds dates"
        result.column_errors.append((message, sorted(not_dates)))
    return result


def _column_order(pending, day_first, month_first, profile_order, result) -> str:
    if day_first:
        return "DMY"
    if month_first:
        return "MDY"
    if profile_order:
        order, why = profile_order, "the import profile's date order"
    else:
        slashes = sum(1 for *_, sep in pending.values() if sep == "/")
        order = "MDY" if slashes * 2 > len(pending) else "DMY"
        why = "month/day for '/' dates" if order == "MDY" else "day.month for '.' dates"
    result.notes.append((f"no date in this column shows its order; read as {order} ({why})", []))
    return order


def _store_date(result: ColumnResult, i: int, day: date) -> None:
    result.values[i] = np.datetime64(day, "D")
    result.present[i] = True
