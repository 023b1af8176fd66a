"""Why the dunning engine decided what it did, in plain German and English.

A reason is a key plus parameters (dates, counts, amounts in cents), so the preview, the journal
and tests can use the key, and people read the sentence in their language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


def format_date(day: date, lang: str) -> str:
    return f"{day:%d.%m.%Y}" if lang == "de" else f"{day:%Y-%m-%d}"


def format_money(cents: int, currency: str, lang: str) -> str:
    """Exact cents as '1.234,56 EUR' (de) or '1,234.56 EUR' (en)."""
    whole, frac = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}"
    if lang == "de":
        grouped = grouped.replace(",", ".")
    sep = "," if lang == "de" else "."
    return f"{'-' if cents < 0 else ''}{grouped}{sep}{frac:02d} {currency}"


def format_totals(totals: Mapping[str, int], lang: str) -> str:
    return " + ".join(format_money(c, cur, lang) for cur, c in sorted(totals.items()))


def _count(n: int, lang: str) -> str:
    if lang == "de":
        return f"{n} Rechnung" if n == 1 else f"{n} Rechnungen"
    return f"{n} invoice" if n == 1 else f"{n} invoices"


def _days(low: int, high: int, lang: str) -> str:
    span = str(low) if low == high else f"{low}-{high}"
    if lang == "de":
        return f"{span} Tag überfällig" if span == "1" else f"{span} Tage überfällig"
    return f"{span} day overdue" if span == "1" else f"{span} days overdue"


def _overdue(p: Mapping, lang: str) -> str:
    return f"{_count(p['n'], lang)} {_days(p['min_days'], p['max_days'], lang)}"


def _last(p: Mapping, lang: str) -> str:
    if p.get("last_date") is None:
        return "bisher keine Mahnung" if lang == "de" else "no reminder so far"
    when = format_date(p["last_date"], lang)
    if lang == "de":
        return f"letzte Mahnung ({p['last_stage']}) am {when}"
    return f"last reminder ({p['last_stage']}) on {when}"


def _reminder(p: Mapping, lang: str) -> str:
    de = lang == "de"
    stage = p["stage"]
    step = {  # the customer's stage goes up, stays, or is lower for newly overdue invoices
        "next": f"nächste Stufe {stage}" if de else f"next stage {stage}",
        "again": (f"erneut {stage}, weil weitere Rechnungen ihre nächste Stufe erreichen" if de
                  else f"{stage} again, as further invoices reach their next stage"),
        "new_items": (f"{stage} für weitere überfällige Rechnungen" if de
                      else f"{stage} for further overdue invoices"),
    }[p["step"]]
    text = (f"{_overdue(p, lang)}; {_last(p, lang)}; {step}; "
            f"{'offen' if de else 'open'} {format_totals(p['totals'], lang)}")
    if p.get("broken"):
        nos = ", ".join(p["broken"])
        text += (f"; Zahlungszusage nicht eingehalten ({nos}): Mahnung wird fortgesetzt" if de
                 else f"; promise to pay broken ({nos}): the chase resumes")
    return text


def _item(word_de: str, word_en: str):
    def render(p: Mapping, lang: str) -> str:
        if lang == "de":
            return f"Rechnung {p['invoice']} {word_de} – keine Mahnung"
        return f"invoice {p['invoice']} {word_en} – not reminded"
    return render


def _customer(de: str, en: str):
    def render(p: Mapping, lang: str) -> str:
        return (de if lang == "de" else en).format(customer=p["customer"],
                                                   overdue=_overdue(p, lang))
    return render


def _not_yet(p: Mapping, lang: str) -> str:
    if lang == "de":
        return f"{_overdue(p, lang)}; {p['stage']} erst ab {p['threshold']} Tagen"
    return f"{_overdue(p, lang)}; {p['stage']} from {p['threshold']} days"


def _no_new_stage(p: Mapping, lang: str) -> str:
    if lang == "de":
        return (f"{_overdue(p, lang)}; {_last(p, lang)}; keine Rechnung erreicht eine neue Stufe, "
                f"die nächste in {p['next_in']} Tagen")
    return (f"{_overdue(p, lang)}; {_last(p, lang)}; no invoice reaches a new stage, the next "
            f"in {p['next_in']} days")


def _interval(p: Mapping, lang: str) -> str:
    earliest = format_date(p["earliest"], lang)
    if lang == "de":
        return (f"{_overdue(p, lang)}; {_last(p, lang)}; {p['stage']} frühestens am {earliest} "
                f"(Mindestabstand {p['interval']} Tage)")
    return (f"{_overdue(p, lang)}; {_last(p, lang)}; {p['stage']} not before {earliest} "
            f"(at least {p['interval']} days between reminders)")


def _below_minimum(p: Mapping, lang: str) -> str:
    totals = format_totals(p["totals"], lang)
    minimum = " / ".join(format_money(p["minimum"], cur, lang) for cur in sorted(p["totals"]))
    if lang == "de":
        return (f"{_overdue(p, lang)}; offen {totals} unter dem Mindestbetrag {minimum} "
                f"für {p['stage']} (je Währung verglichen, nicht umgerechnet)")
    return (f"{_overdue(p, lang)}; open {totals} below the minimum {minimum} for "
            f"{p['stage']} (compared per currency, never converted)")


def _awaiting(p: Mapping, lang: str) -> str:
    sent, start = format_date(p["final_date"], lang), format_date(p["escalate_from"], lang)
    if lang == "de":
        return (f"{_count(p['n'], lang)} nach {p['stage']} vom {sent} offen; Eskalation ab "
                f"{start} (Frist {p['deadline']} + {p['after']} Tage)")
    return (f"{_count(p['n'], lang)} open after {p['stage']} of {sent}; escalation from {start} "
            f"(deadline {p['deadline']} + {p['after']} days)")


def _escalate(p: Mapping, lang: str) -> str:
    sent, start = format_date(p["final_date"], lang), format_date(p["escalate_from"], lang)
    totals = format_totals(p["totals"], lang)
    if lang == "de":
        return (f"{_count(p['n'], lang)} über {totals} trotz {p['stage']} vom {sent} unbezahlt "
                f"(Frist {p['deadline']} + {p['after']} Tage, seit {start}): Kandidat für "
                "gerichtliches Mahnverfahren oder Inkasso")
    return (f"{_count(p['n'], lang)} of {totals} unpaid despite the {p['stage']} of {sent} "
            f"(deadline {p['deadline']} + {p['after']} days, since {start}): candidate for "
            "court dunning or collection")


_RENDER = {
    "reminder": _reminder,
    "disputed": _item("ist strittig", "is disputed"),
    "on_hold": _item("ist zurückgestellt", "is on hold"),
    "promised": _item("hat eine Zahlungszusage, die noch läuft",
                      "has a promise to pay that has not yet passed"),
    "customer_unknown": _customer("{overdue}; Kunde {customer} steht nicht im Blatt Kunden",
                                  "{overdue}; customer {customer} is not on the Customers sheet"),
    "blocked": _customer("{overdue}; Mahnsperre für Kunde {customer}",
                         "{overdue}; dunning block for customer {customer}"),
    "no_email": _customer("{overdue}; keine gültige E-Mail-Adresse für Kunde {customer}",
                          "{overdue}; no valid email address for customer {customer}"),
    "not_yet": _not_yet,
    "no_new_stage": _no_new_stage,
    "interval": _interval,
    "below_minimum": _below_minimum,
    "awaiting_escalation": _awaiting,
    "escalate": _escalate,
}
REASON_KEYS = tuple(_RENDER)


@dataclass(frozen=True)
class Reason:
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in _RENDER:
            raise ValueError(f"unknown reason {self.key}")

    def text(self, lang: str) -> str:
        return _RENDER[self.key](self.params, lang)
