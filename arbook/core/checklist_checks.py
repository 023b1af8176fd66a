"""Automatic evidence for checklist items: what the workbook's data can verify by itself.

Each check returns ``Evidence(ok, text)`` with a short, dated-by-the-caller sentence in the
book's language naming what passed or which customers / invoices make it fail. Pure: the facts
come in as frames and plain records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from arbook.core.review_figures import Figures, IssuedReminder

HISTORY_WEEKS = 4
POLICY_WINDOW_DAYS = 30
POLICY_GRACE_DAYS = 7


@dataclass(frozen=True)
class Evidence:
    ok: bool
    text: str


@dataclass
class Facts:
    """What the checks look at."""

    as_of: date
    lang: str
    customers: pd.DataFrame  # typed Customers table
    contacts: pd.DataFrame  # typed Contacts table
    items: pd.DataFrame  # aged items
    reminders: list[IssuedReminder]  # issued reminders
    troubled: int  # reminders failed or uncertain in the last 30 days
    first_stage_days: int  # the policy's days after due for the first reminder
    last_stage: int
    figures: Figures
    review_days: list[date]  # earlier reviews (any period kind), before this one
    settings: dict[str, str]


def _ids(values, limit: int = 8) -> str:
    values = [str(v) for v in values]
    more = len(values) - limit
    return ", ".join(values[:limit]) + (f" (+{more})" if more > 0 else "")


def _say(facts: Facts, de: str, en: str) -> str:
    return de if facts.lang == "de" else en


def customers_complete(facts: Facts) -> Evidence:
    c = facts.customers.dropna(subset=["customer_id"])
    no_mail = c[c["email"].fillna("").astype(str).str.strip().eq("")]["customer_id"].tolist()
    no_terms = c[c["terms_days"].isna()]["customer_id"].tolist()
    if c.empty:
        return Evidence(False, _say(facts, "keine Kunden erfasst", "no customers on record"))
    if not no_mail and not no_terms:
        return Evidence(True, _say(facts, f"alle {len(c)} Kunden haben Zahlungsziel und E-Mail",
                                   f"all {len(c)} customers have payment terms and an email"))
    parts = []
    if no_mail:
        parts.append(_say(facts, f"ohne E-Mail: {_ids(no_mail)}",
                          f"no email: {_ids(no_mail)}"))
    if no_terms:
        parts.append(_say(facts, f"ohne Zahlungsziel: {_ids(no_terms)}",
                          f"no payment terms: {_ids(no_terms)}"))
    return Evidence(False, "; ".join(parts))


def _reached_last(facts: Facts) -> dict[str, date]:
    """Customers whose latest reminder was at the last stage, with its day."""
    out: dict[str, date] = {}
    for r in facts.reminders:
        if r.stage_no >= facts.last_stage:
            out[r.customer_id] = max(out.get(r.customer_id, r.day), r.day)
    return out


def contact_final(facts: Facts) -> Evidence:
    reached = _reached_last(facts)
    contacts = facts.contacts.dropna(subset=["customer_id", "date"]) \
        if not facts.contacts.empty else facts.contacts
    latest: dict[str, date] = {}
    for cid, day in zip(contacts.get("customer_id", []), contacts.get("date", []), strict=True):
        d = pd.Timestamp(day).date()
        latest[str(cid)] = max(latest.get(str(cid), d), d)
    missing = sorted(c for c, day in reached.items() if latest.get(c, date.min) < day)
    if not reached:
        return Evidence(True, _say(facts, "kein Kunde in der letzten Mahnstufe",
                                   "no customer at the final stage"))
    if missing:
        return Evidence(False, _say(
            facts, f"kein Kontakt seit der letzten Mahnung: {_ids(missing)}",
            f"no contact since the final reminder: {_ids(missing)}"))
    return Evidence(True, _say(facts, f"{len(reached)} Kunden in der letzten Stufe, alle "
                                      "kontaktiert",
                               f"{len(reached)} customers at the final stage, all contacted"))


def disputes_escalated(facts: Facts) -> Evidence:
    late = [e.invoice_no for e in facts.figures.escalations if e.kind == "dispute"]
    if late:
        return Evidence(False, _say(facts, f"Reklamationen ohne Eskalation: {_ids(late)}",
                                    f"disputes without escalation: {_ids(late)}"))
    n = facts.figures.disputes.get("count", 0)
    return Evidence(True, _say(facts, f"{n} offene Reklamationen, keine über der Frist",
                               f"{n} open disputes, none beyond the time limit"))


def review_weekly(facts: Facts) -> Evidence:
    recent = [d for d in facts.review_days if facts.as_of - timedelta(days=7) <= d < facts.as_of]
    if recent:
        return Evidence(True, _say(facts, f"letzte Review davor: {max(recent):%d.%m.%Y}",
                                   f"previous review: {max(recent):%Y-%m-%d}"))
    return Evidence(False, _say(facts, "keine Review in den 7 Tagen davor",
                                "no review in the 7 days before this one"))


def reminders_on_policy(facts: Facts) -> Evidence:
    """Overdue, chaseable items past the first stage (plus a week) got a reminder within 30
    days (or reached the last stage); no reminder failed or stayed uncertain."""
    since = facts.as_of - timedelta(days=POLICY_WINDOW_DAYS)
    reminded = {n for r in facts.reminders if r.day > since for n in r.invoice_nos}
    at_last = {n for r in facts.reminders for n in r.invoice_nos
               if r.item_stages.get(n, r.stage_no) >= facts.last_stage}
    blocked = set(facts.customers.loc[facts.customers["dunning_block"].fillna(False)
                                      .astype(bool), "customer_id"].dropna().astype(str))
    items = facts.items
    days = items["days_overdue"].fillna(0).to_numpy(dtype=np.int64)
    chase = (~items["skipped"].to_numpy(dtype=bool) & (items["status"] == "overdue").to_numpy()
             & (days >= facts.first_stage_days + POLICY_GRACE_DAYS)
             & ~items["customer_id"].astype(str).isin(blocked).to_numpy())
    missed = [n for n in items["invoice_no"][chase].astype(str)
              if n not in reminded and n not in at_last]
    if missed or facts.troubled:
        parts = []
        if missed:
            parts.append(_say(facts, f"ohne Mahnung in 30 Tagen: {_ids(missed)}",
                              f"not reminded in 30 days: {_ids(missed)}"))
        if facts.troubled:
            parts.append(_say(facts, f"{facts.troubled} Mahnungen fehlgeschlagen oder unklar",
                              f"{facts.troubled} reminders failed or uncertain"))
        return Evidence(False, "; ".join(parts))
    n = sum(1 for r in facts.reminders if r.day > since)
    return Evidence(True, _say(facts, f"{n} Mahnungen in 30 Tagen, keine fällige ausgelassen",
                               f"{n} reminders in 30 days, none that was due left out"))


def _number(text: str | None) -> bool:
    try:
        float(str(text or "").replace(",", "."))
    except ValueError:
        return False
    return bool(str(text or "").strip())


def kpi_targets(facts: Facts) -> Evidence:
    keys = ("target_dso", "target_cei", "target_overdue_share")
    missing = [k for k in keys if not _number(facts.settings.get(k))]
    if missing:
        return Evidence(False, _say(facts, f"in den Einstellungen fehlt: {', '.join(missing)}",
                                    f"missing in Settings: {', '.join(missing)}"))
    return Evidence(True, _say(facts, "Zielwerte für DSO, CEI und Überfällig-Anteil gesetzt",
                               "targets for DSO, CEI and overdue share are set"))


def kpi_history(facts: Facts) -> Evidence:
    days = [*facts.review_days, facts.as_of]
    if min(days) <= facts.as_of - timedelta(weeks=HISTORY_WEEKS):
        return Evidence(True, _say(facts, f"Historie seit {min(days):%d.%m.%Y}",
                                   f"history since {min(days):%Y-%m-%d}"))
    return Evidence(False, _say(facts, f"Historie erst seit {min(days):%d.%m.%Y}",
                                f"history only since {min(days):%Y-%m-%d}"))


def management_address(facts: Facts) -> Evidence:
    address = (facts.settings.get("management_email") or "").strip()
    if "@" in address:
        return Evidence(True, _say(facts, f"Review geht an {address}",
                                   f"the review goes to {address}"))
    return Evidence(False, _say(facts, "management_email in den Einstellungen fehlt",
                                "management_email is missing in Settings"))


CHECKS: dict[str, Callable[[Facts], Evidence]] = {
    "customers_complete": customers_complete,
    "contact_final": contact_final,
    "disputes_escalated": disputes_escalated,
    "review_weekly": review_weekly,
    "reminders_on_policy": reminders_on_policy,
    "kpi_targets": kpi_targets,
    "kpi_history": kpi_history,
    "management_address": management_address,
}


def run_checks(facts: Facts) -> dict[str, Evidence]:
    """Every automatic check, by its key (the ``check`` of checklist items)."""
    return {key: check(facts) for key, check in CHECKS.items()}
