"""Finding invoice numbers in a payment's remittance text (Verwendungszweck).

People write "RE 815", "Rechnung Nr. 000815", "Inv-815", "RE815 RE816" or just "815". Both the
ledger's numbers and the text's tokens are reduced to one comparable form (no prefix, upper
case, leading zeros dropped per number group), and only whole tokens are compared, so an invoice
"2026" is not found inside a date "26.11.2026" or an IBAN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

_PREFIX = re.compile(
    r"^(RECHNUNGSNUMMER|RECHNUNGSNR|RECHNUNG|RECHN|RGNR|RENR|RG|RE|INVOICENO|INVOICE|INV|BELEG"
    r"|NR|NO)[-.:#/]*(?=\d)")
PREFIX_WORDS = {"RE", "RG", "RECHNUNG", "RECHNUNGEN", "RECHNUNGSNR", "RECHNUNGSNUMMER", "RGNR",
                "RENR", "INV", "INVOICE", "INVOICES", "NR", "NO", "BELEG", "BELEGNR", "RECHN"}
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
MIN_BARE_LENGTH = 4  # shorter bare numbers ("2 Rechnungen") count only after a prefix word


def invoice_key(number: str) -> str:
    """Comparable form: 'RE-000815' -> '815', 're 2026/0815' -> '2026-815'."""
    text = re.sub(r"\s+", "", str(number)).upper()
    text = _PREFIX.sub("", text)
    groups = re.split(r"[^A-Z0-9]+", text)
    return "-".join(g.lstrip("0") or "0" if g.isdigit() else g for g in groups if g)


def candidate_keys(text: str) -> list[tuple[str, list[str], bool]]:
    """Per token of a remittance text that may name an invoice: its key, the keys of its
    '/'-separated parts (tried only when the whole is unknown: 'RE 815/816'), and whether a
    prefix marked it ('RE', 'Rechnung', 'Inv' ... before it or glued to it). Dates are never
    candidates; bare numbers shorter than MIN_BARE_LENGTH only when marked."""
    found: list[tuple[str, list[str], bool]] = []
    previous = ""
    for match in _TOKEN.finditer(text.upper()):
        token = match.group(0)
        glued = bool(_PREFIX.match(token))
        marked = glued or previous.rstrip(".:#") in PREFIX_WORDS
        previous = token
        if token.rstrip(".:#") in PREFIX_WORDS or (_DATE.match(token) and not glued):
            continue
        body = _PREFIX.sub("", token)
        pieces = [token, *body.split("/")] if "/" in body else [token]
        usable = [invoice_key(p) for p in pieces
                  if any(ch.isdigit() for ch in p) and (marked or len(p) >= MIN_BARE_LENGTH)]
        if usable:
            found.append((usable[0], usable[1:], marked))
    return found


class KeyIndex(Protocol):
    """Key -> invoice numbers: a dict from ``build_index``, or a lazy view of a large ledger."""

    def __contains__(self, key: object) -> bool: ...

    def get(self, key: str, default: Sequence[str] = ..., /) -> Sequence[str]: ...


def find_invoices(text: str, index: KeyIndex) -> list[tuple[str, bool]]:
    """Invoice numbers from ``index`` (key -> invoice numbers) named in ``text``, in order of
    appearance, without repeats, each with whether a prefix marked it."""
    return invoices_named(candidate_keys(text or ""), index)


def invoices_named(candidates: Iterable[tuple[str, list[str], bool]],
                   index: KeyIndex) -> list[tuple[str, bool]]:
    """``find_invoices`` for a text's ``candidate_keys``, found before."""
    seen: dict[str, bool] = {}
    for whole, parts, marked in candidates:
        for key in [whole] if whole in index else parts:
            for number in index.get(key, ()):
                seen[number] = seen.get(number, False) or marked
    return list(seen.items())


def build_index(numbers: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for number in numbers:
        index.setdefault(invoice_key(number), []).append(number)
    return index


_SPACE = np.array([chr(c).isspace() for c in range(256)])  # what invoice_key's \s drops
_BASE = np.uint64(0x100000001B3)
_CHUNK = 1 << 17  # numbers per vectorised pass: bounds the temporary arrays


def key_fingerprints(numbers: Sequence[str]) -> np.ndarray:
    """A 64-bit fingerprint (uint64) of each number's digit groups, their leading zeros
    dropped. Numbers with the same ``invoice_key`` have the same fingerprint, whatever their
    prefix, case, spaces or separators; different keys rarely do. So a lookup by fingerprint
    narrows a million ledger numbers to a few, and ``invoice_key`` of those few decides,
    without calling it a million times (a regular-expression pass per number costs seconds)."""
    numbers = list(numbers)
    if not "".join(numbers).isascii():  # keys are ASCII and keep the same digit groups
        numbers = [n if n.isascii() else invoice_key(n) for n in numbers]
    out = np.zeros(len(numbers), dtype=np.uint64)
    for start in range(0, len(numbers), _CHUNK):
        out[start:start + _CHUNK] = _fingerprint_ascii(numbers[start:start + _CHUNK])
    return out


def _fingerprint_ascii(numbers: list[str]) -> np.ndarray:
    """Each ASCII number becomes a sequence of symbols, hashed as a polynomial in _BASE: 1 + d
    per digit d that is not a leading zero, plus 11 on the last digit of each digit group (so
    a group of zeros is 11 alone). Spaces vanish (as in ``invoice_key``); every other
    character only separates groups."""
    n = len(numbers)
    out = np.zeros(n, dtype=np.uint64)
    data = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8)
    row = np.repeat(np.arange(n, dtype=np.int32),
                    np.fromiter(map(len, numbers), dtype=np.int64, count=n))
    if (data <= ord(" ")).any():
        keep = ~_SPACE[data]
        data, row = data[keep], row[keep]
    digit = (data >= ord("0")) & (data <= ord("9"))
    joined = digit[1:] & digit[:-1] & (row[1:] == row[:-1])  # byte i and i + 1: one group
    start, end = digit.copy(), digit.copy()
    start[1:] &= ~joined
    end[:-1] &= ~joined
    nonzero = digit & (data != ord("0"))
    seen = np.cumsum(nonzero, dtype=np.int64) - nonzero  # nonzero digits before each byte
    seen_at_start = np.maximum.accumulate(np.where(start, seen, 0))
    counted = nonzero | (digit & (seen > seen_at_start))  # not a leading zero of its group
    symbol = np.where(counted, data - np.uint8(ord("0") - 1), np.uint8(0))
    symbol[end] += np.uint8(11)
    emitted = np.flatnonzero(symbol)
    if not len(emitted):
        return out
    rows = row[emitted]
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # each row's first symbol
    rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
    powers = np.ones(int(rank.max()) + 1, dtype=np.uint64)
    powers[1:] = np.cumprod(np.full(len(powers) - 1, _BASE, dtype=np.uint64))  # wraps: fine
    hashed = symbol[emitted].astype(np.uint64) * powers[rank]
    out[rows[first]] = np.add.reduceat(hashed, first)
    return out
