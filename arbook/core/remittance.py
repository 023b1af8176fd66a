"""Finding invoice numbers in a payment's remittance text (Verwendungszweck).

People write "RE 815", "Rechnung Nr. 000815", "Inv-815", "RE815 RE816" or just "815". Both the
ledger's numbers and the text's tokens are reduced to one comparable form (no prefix, upper
case, leading zeros dropped per number group), and only whole tokens are compared, so an invoice
"2026" is not found inside a date "26.11.2026" or an IBAN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def find_invoices(text: str, index: dict[str, list[str]]) -> list[tuple[str, bool]]:
    """Invoice numbers from ``index`` (key -> invoice numbers) named in ``text``, in order of
    appearance, without repeats, each with whether a prefix marked it."""
    seen: dict[str, bool] = {}
    for whole, parts, marked in candidate_keys(text or ""):
        for key in [whole] if whole in index else parts:
            for number in index.get(key, ()):
                seen[number] = seen.get(number, False) or marked
    return list(seen.items())


def build_index(numbers: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for number in numbers:
        index.setdefault(invoice_key(number), []).append(number)
    return index
