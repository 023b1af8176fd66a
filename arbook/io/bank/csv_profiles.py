"""Layouts of German bank CSV exports (and the English sheet layout), recognised by their header.

A profile names, for each BankEntry field, the header(s) that carry it. Headers are compared
normalised (lower case, umlauts spelt out, spaces collapsed), so `Währung` and `Waehrung` are one.
A caller can pass its own `CsvProfile` for any other bank: that is the generic mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


@lru_cache(maxsize=4096)
def norm(header: str) -> str:
    text = header.replace("\ufeff", "").strip().strip('"').lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return " ".join(text.split())


@dataclass(frozen=True)
class CsvProfile:
    """Where each field lives. Tuples are alternatives; `remittance` columns are joined."""

    name: str
    required: frozenset[str] = frozenset()  # normalised headers that identify the layout
    booking_date: tuple[str, ...] = ()
    value_date: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()  # a signed amount ...
    debit: tuple[str, ...] = ()  # ... or split debit / credit columns
    credit: tuple[str, ...] = ()
    debit_credit_mark: tuple[str, ...] = ()  # "D"/"C" (S/H) column that signs `amount`
    currency: tuple[str, ...] = ()
    name_col: tuple[str, ...] = ()
    name_when_in: tuple[str, ...] = ()  # DKB: payer for money in, payee for money out
    name_when_out: tuple[str, ...] = ()
    iban: tuple[str, ...] = ()
    remittance: tuple[str, ...] = ()
    end_to_end_id: tuple[str, ...] = ()
    mandate_ref: tuple[str, ...] = ()
    creditor_id: tuple[str, ...] = ()
    bank_tx_code: tuple[str, ...] = ()
    reference: tuple[str, ...] = ()  # the bank's own id of the row, where it gives one
    running_balance: tuple[str, ...] = ()
    account: tuple[str, ...] = ()
    status: tuple[str, ...] = ()  # pending when the text says vorgemerkt / pending / ausstehend
    headerless: tuple[str, ...] = field(default=())  # column names for files without a header

    def identifying(self) -> frozenset[str]:
        """`required`, or for a caller's mapping without it: its date and amount columns."""
        if self.required:
            return self.required
        named = (self.booking_date[:1] + (self.amount or self.debit or self.credit)[:1])
        return frozenset(norm(n) for n in named)


ATRUVIA = CsvProfile(  # Volksbanken, Sparda, GLS (Atruvia online banking)
    name="atruvia",
    required=frozenset({"buchungstag", "valutadatum", "betrag", "saldo nach buchung",
                        "iban auftragskonto"}),
    booking_date=("buchungstag",), value_date=("valutadatum",), amount=("betrag",),
    currency=("waehrung",), name_col=("name zahlungsbeteiligter",),
    iban=("iban zahlungsbeteiligter",), remittance=("verwendungszweck",),
    bank_tx_code=("buchungstext",), running_balance=("saldo nach buchung",),
    account=("iban auftragskonto",), creditor_id=("glaeubiger id",),
    mandate_ref=("mandatsreferenz",),
)
SPARKASSE = CsvProfile(  # both "CSV-CAMT" and "CSV-MT940" exports
    name="sparkasse",
    required=frozenset({"auftragskonto", "buchungstag", "valutadatum", "verwendungszweck",
                        "beguenstigter/zahlungspflichtiger", "betrag"}),
    booking_date=("buchungstag",), value_date=("valutadatum",), amount=("betrag",),
    currency=("waehrung",), name_col=("beguenstigter/zahlungspflichtiger",),
    iban=("kontonummer/iban", "kontonummer"), remittance=("verwendungszweck",),
    end_to_end_id=("kundenreferenz (end-to-end)",), mandate_ref=("mandatsreferenz",),
    creditor_id=("glaeubiger id",), bank_tx_code=("buchungstext",), account=("auftragskonto",),
    status=("info",),
)
DKB = CsvProfile(
    name="dkb",
    required=frozenset({"buchungsdatum", "wertstellung", "status", "betrag (€)"}),
    booking_date=("buchungsdatum",), value_date=("wertstellung",), amount=("betrag (€)",),
    name_when_in=("zahlungspflichtige*r",), name_when_out=("zahlungsempfaenger*in",),
    iban=("iban",), remittance=("verwendungszweck",), bank_tx_code=("umsatztyp",),
    creditor_id=("glaeubiger-id",), mandate_ref=("mandatsreferenz",),
    end_to_end_id=("kundenreferenz",), status=("status",),
)
ING = CsvProfile(
    name="ing",
    required=frozenset({"buchung", "wertstellungsdatum", "auftraggeber/empfaenger", "betrag"}),
    booking_date=("buchung",), value_date=("wertstellungsdatum",), amount=("betrag",),
    currency=("waehrung",), name_col=("auftraggeber/empfaenger",),
    remittance=("verwendungszweck",), bank_tx_code=("buchungstext",),
    running_balance=("saldo",),
)
COMMERZBANK = CsvProfile(
    name="commerzbank",
    required=frozenset({"buchungstag", "wertstellung", "umsatzart", "buchungstext", "betrag"}),
    booking_date=("buchungstag",), value_date=("wertstellung",), amount=("betrag",),
    currency=("waehrung",), remittance=("buchungstext",), bank_tx_code=("umsatzart",),
    account=("iban kontoinhaber",),
)
PAYPAL = CsvProfile(
    name="paypal",
    required=frozenset({"datum", "brutto", "netto", "transaktionscode"}),
    booking_date=("datum",), amount=("netto",), currency=("waehrung",), name_col=("name",),
    remittance=("betreff", "rechnungsnummer", "hinweis"), bank_tx_code=("typ",),
    reference=("transaktionscode",), status=("status",),
)
SHEET_EN = CsvProfile(  # the English statement-sheet layout (Date, Label, Amount or Debit/Credit)
    name="sheet",
    required=frozenset({"date", "label"}),
    booking_date=("date",), amount=("amount",), debit=("debit",), credit=("credit",),
    debit_credit_mark=("d/c",), currency=("currency",), name_col=("partner name",),
    iban=("bank account",), remittance=("label", "detail"), reference=("operation number",),
    running_balance=("balance",),
)
TARGOBANK = CsvProfile(  # no header row: date; text; debit; credit; ; ; 'account'
    name="targobank",
    booking_date=("buchungstag",), debit=("soll",), credit=("haben",),
    remittance=("text",), account=("konto",),
    headerless=("buchungstag", "text", "soll", "haben", "-", "-", "konto"),
)

PROFILES = (ATRUVIA, SPARKASSE, DKB, ING, COMMERZBANK, PAYPAL, SHEET_EN)


def match_profile(headers: list[str], profiles: tuple[CsvProfile, ...] = PROFILES
                  ) -> CsvProfile | None:
    """The profile whose identifying headers are all present (most specific first)."""
    present = {norm(h) for h in headers}
    fitting = [p for p in profiles if p.identifying() and p.identifying() <= present]
    return max(fitting, key=lambda p: len(p.identifying())) if fitting else None
