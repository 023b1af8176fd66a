"""Text to values for bank files: exact cents, German and English numbers, dates, SEPA tags."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

AMOUNT_RE = re.compile(r"^[+-]?[\d.,' ]*\d[-+]?$")


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not) when valid, else cp1252 (German banks), else latin-1 (never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def tidy(text: object) -> str:
    """Imported text on one line: control characters out, runs of whitespace as one space."""
    return " ".join(CONTROL_RE.sub(" ", str(text)).split()) if text is not None else ""


class ValueProblem(ValueError):
    """A single value could not be read; the reader turns it into a Problem with a place."""


def decimal_to_cents(value: Decimal, text: str = "") -> int:
    """Exact cents or an error: 18.150 is 1815, 18.155 is refused (money is never rounded)."""
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueProblem(f"amount {text or value} has more than 2 decimals and is not exact "
                           f"/ Betrag hat mehr als 2 Nachkommastellen")
    return int(cents)


def plain_amount_cents(text: str) -> int:
    """An amount with a dot as decimal mark and no thousands separators (XML, MT940 after ,->.)."""
    try:
        return decimal_to_cents(Decimal(text.strip()), text)
    except InvalidOperation:
        raise ValueProblem(f"'{text}' is not an amount / kein Betrag") from None


def guess_decimal_mark(samples: list[str]) -> str:
    """Decide ',' or '.' as decimal mark from a whole column, not cell by cell.

    The last separator of a value followed by 1-2 digits is a decimal mark (strong vote);
    followed by exactly 3 digits it is a thousands group, a weak vote for the other mark.
    """
    comma = point = 0
    for s in samples:
        m = re.search(r"([.,])(\d+)$", s.strip().rstrip("-+"))
        if not m:
            continue
        thousands = len(m.group(2)) == 3
        if (m.group(1) == ",") != thousands:
            comma += 1 if thousands else 2
        else:
            point += 1 if thousands else 2
    return "." if point > comma else ","


def amount_cents(text: str, decimal_mark: str = ",") -> int:
    """`1.234,56`, `-1.234,56`, `1.234,56-`, `+31070,11`, `1,533.50`, `-62,3` -> cents."""
    s = text.strip().replace("\u00a0", "").replace("€", "").replace("EUR", "").strip()
    if not s or not AMOUNT_RE.match(s):
        raise ValueProblem(f"'{text}' is not an amount / kein Betrag")
    sign = -1 if s.startswith("-") or s.endswith("-") else 1
    s = s.strip("+-").replace(" ", "").replace("'", "")
    thousands = "." if decimal_mark == "," else ","
    s = s.replace(thousands, "").replace(decimal_mark, ".")
    try:
        return sign * decimal_to_cents(Decimal(s), text)
    except InvalidOperation:
        raise ValueProblem(f"'{text}' is not an amount / kein Betrag") from None


DATE_FORMATS = {"dmy": ("%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%d/%m/%y"),
                "mdy": ("%m/%d/%Y", "%m/%d/%y"),
                "iso": ("%Y-%m-%d",)}


def guess_date_order(samples: list[str]) -> tuple[str, bool]:
    """Day-first or month-first for slash dates, from the whole column; (order, ambiguous)."""
    slash = [s.strip().split("/") for s in samples if s.strip().count("/") == 2]
    if not slash:
        return "dmy", False
    if any(p[0].isascii() and p[0].isdigit() and int(p[0]) > 12 for p in slash):
        return "dmy", False
    if any(p[1].isascii() and p[1].isdigit() and int(p[1]) > 12 for p in slash):
        return "mdy", False
    return "dmy", True


def parse_date(text: str, order: str = "dmy") -> date:
    """`26.11.2026`, `05.12.25`, ISO, `12/15/2018` (with the column's order); ISO time cut off."""
    s = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        return date.fromisoformat(s[:10])
    formats = DATE_FORMATS["mdy" if order == "mdy" and "/" in s else "dmy"]
    for fmt in formats:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueProblem(f"'{text}' is not a date / kein Datum")


# SEPA keywords inside a purpose text (German MT940 ?20-?29 and bank CSV exports)
SEPA_TAG_RE = re.compile(
    r"(?P<tag>EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\s?[+:]\s?"
    r"|(?P<long>End-to-End-Ref\.|Mandatsref|Gläubiger-ID)\s?[.:]?\s?",
)
LONG_TAGS = {"End-to-End-Ref.": "EREF", "Mandatsref": "MREF", "Gläubiger-ID": "CRED"}


def sepa_fields(text: str) -> dict[str, str]:
    """`EREF+x MREF+y CRED+z SVWZ+purpose` or `End-to-End-Ref.: x` -> {'EREF': 'x', ...}."""
    found: dict[str, str] = {}
    matches = list(SEPA_TAG_RE.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        tag = m.group("tag") or LONG_TAGS[m.group("long")]
        value = text[m.end():end].strip()
        if tag in ("MREF", "CRED", "KREF") and value:
            value = value.split()[0]  # identifiers have no spaces; text may follow untagged
        if value and value != "NOTPROVIDED":
            found.setdefault(tag, value)
    return found
