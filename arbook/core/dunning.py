"""Who gets which reminder today, and why: the pure dunning decision engine.

Input is the ageing of the ledger, the Customers table, the policy and what was sent before
(the journal's records); output is a plan of consolidated reminders, skips and escalations,
each with its reason. Nothing here sends, renders or stores anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd

from arbook.core.ageing import FLAG_ORDER, FLAG_PROMISE_BROKEN
from arbook.core.dunning_policy import (
    STAGE_NAMES,
    DunningPolicy,
    Stage,
    default_policy,
    parse_schedule,
    policy_from_rows,
)
from arbook.core.dunning_reasons import REASON_KEYS, Reason
from arbook.core.problems import Problem, Severity
from arbook.core.schema import CUSTOMERS

__all__ = [
    "REASON_KEYS", "STAGE_NAMES", "CreditItem", "DunningItem", "DunningPlan", "DunningPolicy",
    "Escalation", "EscalationItem", "Reason", "ReminderDecision", "ReminderHistory",
    "ReminderRecord", "SkipDecision", "Stage", "decide", "default_policy", "parse_schedule",
    "policy_from_rows",
]

_BROKEN_BIT = 1 << FLAG_ORDER.index(FLAG_PROMISE_BROKEN)
_ITEM_SKIPS = ("disputed", "on_hold", "promised")  # statuses that are never chased


# -- what was sent before ------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRecord:
    """One reminder as the journal keeps it.

    ``invoice_nos`` lists the invoices it carried, each reminded at ``stage_no``; or maps each
    invoice to its own stage in that reminder (``ReminderDecision.item_stages()``), so items
    listed below the customer's stage keep their own progression.
    """

    customer_id: str
    stage_no: int
    sent_date: date
    invoice_nos: tuple[str, ...] | Mapping[str, int]

    def item_stages(self) -> dict[str, int]:
        if isinstance(self.invoice_nos, Mapping):
            return {str(k): int(v) for k, v in self.invoice_nos.items()}
        return {str(no): self.stage_no for no in self.invoice_nos}


class ReminderHistory:
    """What each invoice and each customer received so far (from the journal's records)."""

    def __init__(self, records: Iterable[ReminderRecord | tuple] = ()):
        self._invoice: dict[str, tuple[int, date]] = {}  # highest stage, latest date at it
        self._customer: dict[str, tuple[date, int]] = {}  # latest date, highest stage that day
        self._stages: dict[str, set[int]] = {}
        for rec in records:
            rec = rec if isinstance(rec, ReminderRecord) else ReminderRecord(*rec)
            customer = str(rec.customer_id)
            last = self._customer.get(customer)
            if last is None or (rec.sent_date, rec.stage_no) > last:
                self._customer[customer] = (rec.sent_date, rec.stage_no)
            self._stages.setdefault(customer, set()).add(rec.stage_no)
            for no, stage in rec.item_stages().items():
                seen = self._invoice.get(no)
                if seen is None or (stage, rec.sent_date) > seen:
                    self._invoice[no] = (stage, rec.sent_date)

    def invoice_stage(self, invoice_no: str) -> int:
        """The highest stage the invoice was reminded at (0: never)."""
        return self._invoice.get(str(invoice_no), (0, None))[0]

    def invoice_stage_date(self, invoice_no: str) -> date | None:
        """When the invoice was (last) reminded at its highest stage."""
        return self._invoice.get(str(invoice_no), (0, None))[1]

    def invoice_stages(self, invoice_nos: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """``invoice_stage`` and ``invoice_stage_date`` for a whole column at once."""
        known = pd.DataFrame(list(self._invoice.values()), index=list(self._invoice),
                             columns=["stage", "date"], dtype=object)
        at = known.index.get_indexer(invoice_nos.to_numpy(dtype=object))
        found = at >= 0
        stages = np.zeros(len(at), dtype=np.int64)
        stages[found] = known["stage"].to_numpy()[at[found]].astype(np.int64)
        days = np.full(len(at), None, dtype=object)
        days[found] = known["date"].to_numpy()[at[found]]
        return stages, days

    def last_reminder(self, customer_id: str) -> tuple[date, int] | None:
        """Date and stage of the customer's most recent reminder."""
        return self._customer.get(str(customer_id))

    def stages_sent(self, customer_id: str) -> frozenset[int]:
        return frozenset(self._stages.get(str(customer_id), ()))


# -- the plan --------------------------------------------------------------------------------


class DunningItem(NamedTuple):
    invoice_no: str
    row: int
    currency: str
    due: date | None
    open_cents: int
    days_overdue: int
    stage_no: int  # this item's own stage (0: overdue, no stage reached yet)
    advanced: bool  # reaches a stage it has not received before
    invoice_date: date | None = None


class CreditItem(NamedTuple):
    """An unapplied credit (credit note, overpayment) of the customer: information only."""

    invoice_no: str
    row: int
    currency: str
    open_cents: int  # negative


def _totals(items: Iterable) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item.currency] = out.get(item.currency, 0) + int(item.open_cents)
    return out


@dataclass(frozen=True)
class ReminderDecision:
    customer_id: str
    stage: Stage
    items: list[DunningItem]
    credits: list[CreditItem]
    reason: Reason
    previous_stage: int = 0  # stage of the customer's last reminder (0: none)

    def total_cents_by_currency(self) -> dict[str, int]:
        return _totals(self.items)

    def item_stages(self) -> dict[str, int]:
        """Invoice -> its stage in this reminder: what the journal should record."""
        return {i.invoice_no: i.stage_no for i in self.items}

    def reason_text(self, lang: str) -> str:
        return self.reason.text(lang)


@dataclass(frozen=True)
class SkipDecision:
    customer_id: str | None
    invoice_nos: tuple[str, ...]
    reason: Reason

    def reason_text(self, lang: str) -> str:
        return self.reason.text(lang)


class EscalationItem(NamedTuple):
    invoice_no: str
    invoice_date: date | None
    due: date | None
    open_cents: int
    currency: str


@dataclass(frozen=True)
class Escalation:
    customer_id: str
    name: str
    address: str
    items: list[EscalationItem]
    last_reminder_date: date
    reason: Reason
    fees_cents: int = 0  # the fees of the stages this customer was sent (costs of dunning)

    def total_cents_by_currency(self) -> dict[str, int]:
        return _totals(self.items)

    def reason_text(self, lang: str) -> str:
        return self.reason.text(lang)


@dataclass
class DunningPlan:
    reminders: list[ReminderDecision] = field(default_factory=list)
    skipped: list[SkipDecision] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def total_cents_by_currency(self) -> dict[str, int]:
        """Open amount of all planned reminders, per currency."""
        out: dict[str, int] = {}
        for reminder in self.reminders:
            for currency, cents in reminder.total_cents_by_currency().items():
                out[currency] = out.get(currency, 0) + cents
        return out


# -- the engine ------------------------------------------------------------------------------


def _valid_email(text: object) -> bool:
    """One plain address: something@domain, no spaces, line breaks or lists."""
    if not isinstance(text, str):
        return False
    local, at, domain = text.strip().partition("@")
    return bool(local and at and "." in domain and not any(
        ch.isspace() or ch in ",;<>\"" for ch in text.strip()) and "@" not in domain)


_CUSTOMER_KEYS = ("row", "name", "address", "email", "dunning_block", "dunning_schedule")


def _customer_records(customers: pd.DataFrame, wanted: np.ndarray) -> dict[str, dict]:
    """The Customers rows of the customers in ``wanted`` (first row per id), as dicts."""
    if customers.empty or "customer_id" not in customers:
        return {}
    known = customers[customers["customer_id"].isin(wanted)].drop_duplicates("customer_id")
    columns = [known[k].tolist() if k in known else [None] * len(known) for k in _CUSTOMER_KEYS]
    return {str(cid): dict(zip(_CUSTOMER_KEYS, values, strict=True))
            for cid, *values in zip(known["customer_id"].tolist(), *columns, strict=True)}


def _thresholds(customer_ids: np.ndarray, records: dict[str, dict], policy: DunningPolicy,
                sheet: str, column: str) -> tuple[np.ndarray, list[Problem]]:
    """Days after due per stage for each customer (own schedule, else the policy)."""
    table = np.tile(np.array(policy.days, dtype=np.int64), (len(customer_ids), 1))
    problems = []
    for i, cid in enumerate(customer_ids.tolist()):
        rec = records.get(str(cid))
        if rec is None:
            continue
        try:
            own = parse_schedule(rec.get("dunning_schedule"), len(policy.stages))
        except ValueError as exc:
            problems.append(Problem(f"{exc}; the policy's schedule applies", sheet=sheet,
                                    row=rec.get("row"), column=column,
                                    severity=Severity.WARNING))
            continue
        if own is not None:
            table[i] = own
    return table, problems


def decide(items: pd.DataFrame, customers: pd.DataFrame, policy: DunningPolicy,
           history: ReminderHistory, as_of: date, escalation_after_days: int = 14,
           sheet: str = "Customers", labels: Mapping[str, str] | None = None) -> DunningPlan:
    """Plan today's reminders, skips and escalations. The rules, in order:

    1. Candidates are items with a positive open amount and status "overdue". A broken promise
       already shows as overdue with the flag ``promise_broken``, so the chase resumes and the
       reason says so. Past-due items that are disputed, on hold or promised (promise not yet
       broken) are never chased: each is a skip with its reason.
    2. An item's stage is the highest stage whose days after due (the customer's own schedule,
       if set, else the policy) is at most its days overdue, but never more than one stage above
       the last stage that item received (no stage is skipped), and never below it. The item
       *advanced* if its stage is above the last one it received.
    3. Per customer: unknown customers and customers with a dunning block are skipped; items
       that already received the last stage are not reminded again: once the last stage's
       deadline plus ``escalation_after_days`` has passed, they go onto the escalation list
       (with the customer's name, address and the stages' fees), until then a skip says when.
       A customer without a valid email address is skipped ("no email address").
    4. The customer stage is the highest stage of its remaining candidates. It gets a reminder
       today when some item advanced, the customer's last reminder is at least that stage's
       ``min_days_since_last`` days ago, and the open total of its candidates reaches the stage's
       minimum amount in at least one currency (compared per currency, never converted).
    5. One consolidated reminder per customer lists all its candidates, each with its own stage
       (items that did not advance too), plus the customer's unapplied credits in the same
       currencies as information.

    ``items`` is ``compute_ageing(...).items``; an optional ``invoice_date`` column is carried
    to escalations. ``customers`` is the typed Customers table; ``sheet`` and ``labels`` (column
    key -> header) name the place of a customer's unreadable own schedule in ``plan.problems``.
    """
    plan = DunningPlan()
    live = items[(items["open_cents"] > 0) & ~items["skipped"].astype(bool)]
    days_all = live["days_overdue"].fillna(0).to_numpy(dtype=np.int64)
    status_all = live["status"].to_numpy(dtype=object)

    for key in _ITEM_SKIPS:
        mask = (status_all == key) & (days_all > 0)
        for cid, no in zip(live["customer_id"].to_numpy(object)[mask],
                           live["invoice_no"].to_numpy(object)[mask], strict=True):
            cid = None if pd.isna(cid) else str(cid)
            plan.skipped.append(SkipDecision(cid, (str(no),), Reason(key, {"invoice": str(no)})))

    cand = live[status_all == "overdue"]
    if cand.empty:
        return plan
    codes, customer_ids = pd.factorize(cand["customer_id"].astype(object), sort=True,
                                       use_na_sentinel=True)
    customer_ids = np.asarray(customer_ids, dtype=object)
    records = _customer_records(customers, customer_ids)
    column = (labels or {}).get("dunning_schedule", CUSTOMERS.column("dunning_schedule").en)
    thresholds, plan.problems = _thresholds(customer_ids, records, policy, sheet, column)
    days = cand["days_overdue"].fillna(0).to_numpy(dtype=np.int64)
    safe = np.where(codes < 0, 0, codes)
    per_item = thresholds[safe] if len(customer_ids) else np.tile(policy.days, (len(cand), 1))
    if (codes < 0).any():  # no customer id: the policy's schedule, for the reason text
        per_item[codes < 0] = policy.days
    reached = (per_item <= days[:, None]).sum(axis=1)
    last, last_dates = history.invoice_stages(cand["invoice_no"].astype(str))
    stage = np.maximum(last, np.minimum(reached, last + 1))
    advanced = stage > last
    final = last >= policy.last.number

    cols = _Columns(cand, days, stage, advanced, last_dates)
    segs = _Segments.of(codes, final, cols, per_item, len(policy.stages))
    credits = _credits_by_customer(items)
    for code, parts in segs.by_customer():
        cid = None if code < 0 else str(customer_ids[code])
        _decide_customer(plan, cid, parts, segs, cols, records.get(cid or ""), credits,
                         policy, history, as_of, escalation_after_days)
    plan.skipped.sort(key=lambda s: (s.customer_id or "", s.invoice_nos))
    return plan


@dataclass
class _Columns:
    """The candidates' columns as arrays, so assembling a decision only slices."""

    frame: pd.DataFrame
    days: np.ndarray
    stage: np.ndarray
    advanced: np.ndarray
    stage_dates: np.ndarray  # when each item received its highest stage (None: never)

    def __post_init__(self) -> None:
        f = self.frame
        self.invoice_no = f["invoice_no"].astype(str).to_numpy(dtype=object)
        self.row = f["row"].to_numpy(dtype=np.int64)
        self.currency = f["currency"].to_numpy(dtype=object)
        self.due = f["due"].to_numpy(dtype="datetime64[D]").astype(object)
        self.open = f["open_cents"].to_numpy(dtype=np.int64)
        self.broken = (f["flag_bits"].to_numpy(dtype=np.int64) & _BROKEN_BIT) != 0
        self.invoice_date = (f["invoice_date"].to_numpy(dtype="datetime64[D]").astype(object)
                             if "invoice_date" in f else np.full(len(f), None, dtype=object))


@dataclass
class _Segments:
    """Each customer's candidates in two runs, those still climbing the stages and those that
    had the last one, with the figures the rules need computed for all runs at once."""

    order: np.ndarray  # candidate positions, grouped by customer, then final
    starts: list[int]
    ends: list[int]
    code: list[int]
    final: list[bool]
    n: list[int]
    stage_max: list[int]
    any_advanced: list[bool]
    min_days: list[int]
    max_days: list[int]
    first_threshold: list[int]  # days after due of stage 1 (own schedule or policy)
    next_in: list[int]  # days until the next item reaches its next stage
    totals: list[dict[str, int]]

    @classmethod
    def of(cls, codes: np.ndarray, final: np.ndarray, c: _Columns, thresholds: np.ndarray,
           stages: int) -> _Segments:
        order = np.lexsort((final, codes))
        key = codes[order] * 2 + final[order]
        starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
        ends = np.r_[starts[1:], len(order)]
        days, stage = c.days[order], c.stage[order]
        upcoming = thresholds[order, np.minimum(stage, stages - 1)] - days

        def per(values: np.ndarray, ufunc) -> list:
            return ufunc.reduceat(values, starts).tolist()

        seg = np.repeat(np.arange(len(starts)), ends - starts)
        sums = pd.DataFrame({"seg": seg, "cur": c.currency[order], "cents": c.open[order]}) \
            .groupby(["seg", "cur"], sort=False)["cents"].sum()
        totals: list[dict[str, int]] = [{} for _ in starts]
        for (i, currency), cents in zip(sums.index.tolist(), sums.tolist(), strict=True):
            totals[i][currency] = cents
        return cls(order, starts.tolist(), ends.tolist(), codes[order][starts].tolist(),
                   final[order][starts].tolist(), (ends - starts).tolist(),
                   per(stage, np.maximum), per(c.advanced[order], np.logical_or),
                   per(days, np.minimum), per(days, np.maximum),
                   per(thresholds[order, 0], np.minimum), per(upcoming, np.minimum), totals)

    def by_customer(self) -> Iterable[tuple[int, list[int]]]:
        """(customer code, its segment numbers), in customer order."""
        i = 0
        while i < len(self.code):
            j = i + 1
            while j < len(self.code) and self.code[j] == self.code[i]:
                j += 1
            yield self.code[i], list(range(i, j))
            i = j

    def positions(self, s: int) -> np.ndarray:
        return self.order[self.starts[s]:self.ends[s]]

    def overdue(self, parts: list[int]) -> dict:
        return {"n": sum(self.n[s] for s in parts),
                "min_days": min(self.min_days[s] for s in parts),
                "max_days": max(self.max_days[s] for s in parts)}


def _credits_by_customer(items: pd.DataFrame) -> dict[str, list[CreditItem]]:
    credit = items[(items["open_cents"] < 0) & ~items["skipped"].astype(bool)]
    out: dict[str, list[CreditItem]] = {}
    for cid, no, row, cur, cents in zip(*(credit[c].tolist() for c in (
            "customer_id", "invoice_no", "row", "currency", "open_cents")), strict=True):
        out.setdefault(str(cid), []).append(CreditItem(str(no), int(row), cur, int(cents)))
    return out


def _decide_customer(plan: DunningPlan, cid: str | None, parts: list[int], g: _Segments,
                     c: _Columns, rec: dict | None, credits: dict[str, list[CreditItem]],
                     policy: DunningPolicy, history: ReminderHistory, as_of: date,
                     escalation_after_days: int) -> None:
    """Rules 3 to 5 for one customer, whose candidates are the segments ``parts``."""

    def skip(key: str, segments: list[int], **params) -> None:
        nos = tuple(np.concatenate([c.invoice_no[g.positions(s)] for s in segments]).tolist())
        plan.skipped.append(SkipDecision(cid, nos, Reason(key, {
            "customer": cid or "?", **g.overdue(segments), **params})))

    if rec is None:
        return skip("customer_unknown", parts)
    if bool(rec.get("dunning_block")):
        return skip("blocked", parts)
    for s in parts:
        if g.final[s]:
            _escalate(plan, cid, s, g, c, rec, policy, history, as_of, escalation_after_days)
    climbing = [s for s in parts if not g.final[s]]
    if not climbing:
        return None
    (s,) = climbing
    if not _valid_email(rec.get("email")):
        return skip("no_email", climbing)
    stage_no = g.stage_max[s]
    previous = history.last_reminder(cid)
    last = {"last_date": previous[0] if previous else None,
            "last_stage": policy.stage(previous[1]).name if previous else None}
    if stage_no == 0:
        return skip("not_yet", climbing, stage=policy.stage(1).name,
                    threshold=g.first_threshold[s])
    if not g.any_advanced[s]:
        return skip("no_new_stage", climbing, next_in=g.next_in[s], **last)
    stage = policy.stage(stage_no)
    if previous and (as_of - previous[0]).days < stage.min_days_since_last:
        return skip("interval", climbing, stage=stage.name, interval=stage.min_days_since_last,
                    earliest=previous[0] + timedelta(days=stage.min_days_since_last), **last)
    totals = g.totals[s]
    if max(totals.values()) < stage.min_amount_cents:
        return skip("below_minimum", climbing, stage=stage.name, totals=totals,
                    minimum=stage.min_amount_cents)
    at = g.positions(s)
    broken = tuple(c.invoice_no[at[c.broken[at]]].tolist())
    reason = Reason("reminder", {
        **g.overdue(climbing), **last, "stage": stage.name, "totals": totals, "broken": broken,
        "step": "next" if previous is None or stage_no > previous[1]
        else "again" if stage_no == previous[1] else "new_items"})
    items = list(map(DunningItem._make, zip(
        c.invoice_no[at].tolist(), c.row[at].tolist(), c.currency[at].tolist(),
        c.due[at].tolist(), c.open[at].tolist(), c.days[at].tolist(), c.stage[at].tolist(),
        c.advanced[at].tolist(), c.invoice_date[at].tolist(), strict=True)))
    shown = [cr for cr in credits.get(cid, []) if cr.currency in totals]
    plan.reminders.append(ReminderDecision(cid, stage, items, shown, reason,
                                           previous[1] if previous else 0))
    return None


def _escalate(plan: DunningPlan, cid: str, s: int, g: _Segments, c: _Columns, rec: dict,
              policy: DunningPolicy, history: ReminderHistory, as_of: date,
              escalation_after_days: int) -> None:
    """Items that had the last stage: escalate once its deadline plus the waiting time passed."""
    stage = policy.last
    at = g.positions(s)
    final_date = max(c.stage_dates[at].tolist())
    escalate_from = final_date + timedelta(days=stage.deadline_days + escalation_after_days)
    params = {"n": g.n[s], "stage": stage.name, "final_date": final_date,
              "escalate_from": escalate_from, "deadline": stage.deadline_days,
              "after": escalation_after_days, "totals": g.totals[s]}
    if as_of < escalate_from:
        nos = tuple(c.invoice_no[at].tolist())
        plan.skipped.append(SkipDecision(cid, nos, Reason("awaiting_escalation", params)))
        return
    fees = sum(policy.stage(n).fee_cents for n in history.stages_sent(cid)
               if 1 <= n <= len(policy.stages))
    items = [EscalationItem(no, inv, due, cents, cur) for no, inv, due, cents, cur in zip(
        c.invoice_no[at].tolist(), c.invoice_date[at].tolist(), c.due[at].tolist(),
        c.open[at].tolist(), c.currency[at].tolist(), strict=True)]
    last = history.last_reminder(cid)
    plan.escalations.append(Escalation(
        cid, str(rec.get("name") or ""), str(rec.get("address") or ""), items,
        last[0] if last else final_date, Reason("escalate", params), fees))
