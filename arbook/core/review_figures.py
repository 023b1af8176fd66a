"""The figures of a review: KPIs for the period, promises, disputes, reminders, escalations.

Pure: it takes the typed tables (frames), the aged items and the dunning history as plain
records, and returns numbers in integer cents and ``Decimal`` ratios. KPIs are computed for the
home currency only (receivables in different currencies do not add up); totals by bucket are
shown for every currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from arbook.core import kpi
from arbook.core.ageing import NOT_DUE
from arbook.core.schema import CONTACT_TYPES

COUNTBACK_MONTHS = 36  # how far back the countback may walk (the ledger rarely reaches further)
PAID_WITHIN_DAYS = 14
REMINDER_WINDOW_DAYS = 90


@dataclass(frozen=True)
class IssuedReminder:
    """A reminder that went out (from the journal), as the review needs it."""

    day: date
    customer_id: str
    stage_no: int
    invoice_nos: tuple[str, ...]
    item_stages: dict[str, int]
    open_cents: int  # sum over its currencies
    currency: str = ""  # its one currency; "" when it asked for several


@dataclass(frozen=True)
class Escalation:
    kind: str  # dispute, promise_broken, last_stage, court
    customer_id: str
    invoice_no: str
    open_cents: int
    currency: str
    since: date | None
    days: int | None


@dataclass
class Figures:
    as_of: date
    period_kind: str
    period: kpi.Period
    currency: str
    receivables: int
    current: int
    overdue: int
    over_last: int  # over the last bucket edge (over 90 days by default)
    credit_sales: int
    beginning: int | None  # receivables at the previous review of the same period kind
    dso: Decimal | None
    dso_countback: Decimal | None
    best_dso: Decimal | None
    add: Decimal | None
    cei: Decimal | None
    overdue_share: Decimal | None
    over_last_share: Decimal | None
    notes: dict[str, str] = field(default_factory=dict)  # kpi -> why it is missing (English key)
    promises: dict[str, int] = field(default_factory=dict)  # made, kept, broken, pending
    disputes: dict[str, int | None] = field(default_factory=dict)  # count, cents, avg/max days
    reminders: list[tuple[int, int, int, int]] = field(default_factory=list)  # stage, sent,
    # judged (14 days passed), paid within 14 days
    top_overdue: list[tuple[str, str, int]] = field(default_factory=list)  # customer, cur, cents
    escalations: list[Escalation] = field(default_factory=list)
    radar: list[tuple[str, str, str, int, date, date]] = field(default_factory=list)
    # invoice, customer, currency, open cents, due, limitation end


def _days(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[D]")


def _dispute_words() -> set[str]:
    return {words[4].casefold() for words in CONTACT_TYPES.values()} | {"dispute"}


def dispute_starts(contacts: pd.DataFrame) -> dict[str, date]:
    """The first dispute contact per invoice (Contacts sheet, type Reklamation / Dispute)."""
    if contacts.empty:
        return {}
    kinds = contacts["contact_type"].fillna("").astype(str).str.strip().str.casefold()
    rows = contacts[kinds.isin(_dispute_words()) & contacts["invoice_no"].notna()
                    & contacts["date"].notna()]
    out: dict[str, date] = {}
    for number, day in zip(rows["invoice_no"], rows["date"], strict=True):
        d = pd.Timestamp(day).date()
        key = str(number)
        out[key] = min(out.get(key, d), d)
    return out


def payments_by_invoice(payments: pd.DataFrame) -> dict[str, list[tuple[date, int]]]:
    """Dated payments per invoice number (Payments sheet)."""
    out: dict[str, list[tuple[date, int]]] = {}
    if payments.empty:
        return out
    usable = payments[payments["invoice_no"].notna() & payments["date"].notna()
                      & payments["amount_present"]]
    for number, day, cents in zip(usable["invoice_no"], usable["date"], usable["amount_cents"],
                                  strict=True):
        out.setdefault(str(number), []).append((pd.Timestamp(day).date(), int(cents)))
    return out


def compute_figures(items: pd.DataFrame, invoices: pd.DataFrame, payments: pd.DataFrame,
                    contacts: pd.DataFrame, reminders: list[IssuedReminder], *, as_of: date,
                    period_kind: str, currency: str, bucket_order: list[str],
                    beginning: int | None, last_stage: int, court_after_days: int,
                    dispute_days: int) -> Figures:
    """All figures of one review. ``items`` is ``compute_ageing(...).items``; ``invoices`` the
    typed Invoices table in the same row order; ``beginning`` the receivables of the previous
    review of the same period kind (None: no history yet, so no CEI).

    ``court_after_days``: days after the last-stage reminder until a customer is a court
    dunning candidate (the stage's payment deadline plus Settings ``escalation_after_days``).
    """
    live = ~items["skipped"].to_numpy(dtype=bool)
    cur = items["currency"].to_numpy(dtype=object)
    open_cents = items["open_cents"].to_numpy(dtype=np.int64)
    bucket = items["bucket"].to_numpy(dtype=object)
    days_over = items["days_overdue"].fillna(0).to_numpy(dtype=np.int64)
    home = live & (cur == currency)
    positive = home & (open_cents > 0)
    period = kpi.period_ending(as_of, period_kind)
    receivables = int(open_cents[home].sum())
    current = int(open_cents[positive & (bucket == NOT_DUE)].sum())
    overdue = int(open_cents[positive & (days_over > 0)].sum())
    over_last = int(open_cents[positive & (bucket == bucket_order[-1])].sum())
    gross = int(open_cents[positive].sum())
    inv_dates = _days(invoices["invoice_date"])
    amounts = np.where(home, invoices["amount_cents"].to_numpy(dtype=np.int64), 0)
    sales = kpi.credit_sales(inv_dates, amounts, period)
    dso = kpi.dso_standard(receivables, sales, period.days)
    best = kpi.best_possible_dso(current, sales, period.days)
    months = [kpi.MonthSales(p.start, p.end, kpi.credit_sales(inv_dates, amounts, p))
              for p in kpi.months_back(as_of, COUNTBACK_MONTHS)]
    countback = kpi.dso_countback(receivables, months)
    notes: dict[str, str] = {}
    if dso is None:
        notes["dso"] = notes["best_dso"] = notes["add"] = "no_sales"
    if countback is None:
        notes["dso_countback"] = "no_countback"
    cei = kpi.cei(beginning, sales, receivables, current)
    if beginning is None:
        notes["cei"] = "no_history"
    elif cei is None:
        notes["cei"] = "nothing_collectable"
    figures = Figures(
        as_of=as_of, period_kind=period_kind, period=period, currency=currency,
        receivables=receivables, current=current, overdue=overdue, over_last=over_last,
        credit_sales=sales, beginning=beginning, dso=dso, dso_countback=countback,
        best_dso=best, add=kpi.average_days_delinquent(dso, best), cei=cei,
        overdue_share=kpi.share(overdue, gross), over_last_share=kpi.share(over_last, gross),
        notes=notes)
    pay = payments_by_invoice(payments)
    _promises(figures, items, invoices, pay, live)
    starts = dispute_starts(contacts)
    _disputes(figures, items, invoices, starts, dispute_days, live)
    _reminders(figures, reminders, pay)
    _top_overdue(figures, items, live)
    _stage_escalations(figures, items, reminders, last_stage, court_after_days, live)
    radar = kpi.limitation_radar(_days(items["due"]), np.where(live, open_cents, 0), as_of)
    for i in np.flatnonzero(radar):
        due = pd.Timestamp(items["due"].iloc[i]).date()
        figures.radar.append((str(items["invoice_no"].iloc[i]),
                              str(items["customer_id"].iloc[i]), str(cur[i]),
                              int(open_cents[i]), due, kpi.limitation_end(due)))
    return figures


def _columns(items: pd.DataFrame, *names: str) -> list[list]:
    """Columns as plain lists: the loops below touch a few thousand rows one by one, and
    ``.iloc[i]`` per cell costs more than the work itself."""
    return [items[name].tolist() for name in names]


def _promises(figures: Figures, items: pd.DataFrame, invoices: pd.DataFrame,
              pay: dict[str, list[tuple[date, int]]], live: np.ndarray) -> None:
    """Promises on the ledger: kept = paid by the promised date; broken = date passed and
    still open, or paid after the date; pending = date not reached, still open."""
    counts = {"made": 0, "kept": 0, "broken": 0, "pending": 0}
    promised = invoices["promised_date"].to_numpy(dtype="datetime64[D]")
    numbers, customers, open_cents, currencies = _columns(
        items, "invoice_no", "customer_id", "open_cents", "currency")
    for i in np.flatnonzero(live & ~np.isnat(promised)):
        day = pd.Timestamp(promised[i]).date()
        counts["made"] += 1
        number = str(numbers[i])
        if int(open_cents[i]) > 0:
            counts["pending" if day >= figures.as_of else "broken"] += 1
            if day < figures.as_of:
                figures.escalations.append(Escalation(
                    "promise_broken", str(customers[i]), number, int(open_cents[i]),
                    str(currencies[i]), day, (figures.as_of - day).days))
            continue
        paid_days = [d for d, _ in pay.get(number, ())]
        counts["kept" if not paid_days or max(paid_days) <= day else "broken"] += 1
    figures.promises = counts


def _disputes(figures: Figures, items: pd.DataFrame, invoices: pd.DataFrame,
              starts: dict[str, date], dispute_days: int, live: np.ndarray) -> None:
    """Open disputes; age from the first dispute contact, else from the due date."""
    status = items["status"].to_numpy(dtype=object)
    next_action = (invoices["next_action"].tolist() if "next_action" in invoices
                   else [None] * len(invoices))
    numbers, customers, open_cents, currencies, dues = _columns(
        items, "invoice_no", "customer_id", "open_cents", "currency", "due")
    ages, cents = [], 0
    for i in np.flatnonzero(live & (status == "disputed")):
        number = str(numbers[i])
        due = dues[i]
        since = starts.get(number) or (None if pd.isna(due) else pd.Timestamp(due).date())
        age = (figures.as_of - since).days if since else None
        open_i = int(open_cents[i])
        if str(currencies[i]) == figures.currency:
            cents += open_i
        if age is not None:
            ages.append(age)
        action = next_action[i]
        if age is not None and age > dispute_days and (action is None or not str(action).strip()):
            figures.escalations.append(Escalation(
                "dispute", str(customers[i]), number, open_i, str(currencies[i]), since, age))
    count = int((live & (status == "disputed")).sum())
    figures.disputes = {"count": count, "cents": cents,
                        "avg_days": round(sum(ages) / len(ages)) if ages else None,
                        "max_days": max(ages) if ages else None}


def paid_within(reminder: IssuedReminder, pay: dict[str, list[tuple[date, int]]],
                days: int = PAID_WITHIN_DAYS) -> bool:
    """Payments dated from the reminder's day to ``days`` later cover what it asked for."""
    end = reminder.day + timedelta(days=days)
    got = sum(c for n in reminder.invoice_nos for d, c in pay.get(n, ())
              if reminder.day <= d <= end)
    return got >= reminder.open_cents > 0


def _reminders(figures: Figures, reminders: list[IssuedReminder],
               pay: dict[str, list[tuple[date, int]]]) -> None:
    """Per stage over the last 90 days: sent, judged (14 days passed), paid within 14 days."""
    since = figures.as_of - timedelta(days=REMINDER_WINDOW_DAYS)
    by_stage: dict[int, list[int]] = {}
    for r in reminders:
        if not since < r.day <= figures.as_of:
            continue
        row = by_stage.setdefault(r.stage_no, [0, 0, 0])
        row[0] += 1
        if r.day + timedelta(days=PAID_WITHIN_DAYS) <= figures.as_of:
            row[1] += 1
            row[2] += int(paid_within(r, pay))
    figures.reminders = [(stage, *row) for stage, row in sorted(by_stage.items())]


def _top_overdue(figures: Figures, items: pd.DataFrame, live: np.ndarray, n: int = 10) -> None:
    days = items["days_overdue"].fillna(0).to_numpy(dtype=np.int64)
    mask = live & (items["open_cents"].to_numpy() > 0) & (days > 0)
    if not mask.any():
        return
    sums = items[mask].groupby(["customer_id", "currency"])["open_cents"].sum()
    top = sums.sort_values(ascending=False, kind="stable").head(n)
    figures.top_overdue = [(str(c), str(cur), int(v)) for (c, cur), v in top.items()]


def _stage_escalations(figures: Figures, items: pd.DataFrame, reminders: list[IssuedReminder],
                       last_stage: int, court_after_days: int, live: np.ndarray) -> None:
    """Open invoices that reached the last stage; court candidates once its time ran out."""
    reached: dict[str, date] = {}
    for r in reminders:
        for number in r.invoice_nos:
            if r.item_stages.get(number, r.stage_no) >= last_stage:
                reached[number] = max(reached.get(number, r.day), r.day)
    if not reached:
        return
    open_cents = items["open_cents"].to_numpy(dtype=np.int64)
    hit = items["invoice_no"].astype(str).isin(list(reached)).to_numpy()
    for i in np.flatnonzero(live & (open_cents > 0) & hit):
        number = str(items["invoice_no"].iloc[i])
        day = reached[number]
        waited = (figures.as_of - day).days
        kind = "court" if waited > court_after_days else "last_stage"
        figures.escalations.append(Escalation(
            kind, str(items["customer_id"].iloc[i]), number, int(open_cents[i]),
            str(items["currency"].iloc[i]), day, waited))
