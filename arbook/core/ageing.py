"""Ageing: what is still open, how late it is, which bucket and status it has.

Vectorised over the whole ledger; money stays in integer cents throughout. The one invariant
everything else relies on: every item with a non-zero open amount lands in exactly one bucket,
so per customer, per currency and in total the buckets add up to the outstanding amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from arbook.core.problems import Problem, Severity
from arbook.core.settings import Settings

# Bucket keys besides the day ranges. Order matters for summaries.
CREDIT = "credit"  # negative open amount: unapplied credit note or overpayment
UNDATED = "undated"  # open, but no due date could be found or derived
NOT_DUE = "not_due"

# Status keys, in order of precedence.
STATUSES = ("paid", "credit", "disputed", "on_hold", "promised", "overdue", "open")

# Flag keys (several may apply). Kept per row as bits of one integer, in this order.
FLAG_SKIPPED = "skipped"
FLAG_DUE_FROM_TERMS = "due_from_terms"
FLAG_PROMISE_BROKEN = "promise_broken"
FLAG_OVERPAID = "overpaid"
FLAG_FUTURE_INVOICE = "future_invoice"
FLAG_ORDER = (FLAG_SKIPPED, FLAG_DUE_FROM_TERMS, FLAG_PROMISE_BROKEN, FLAG_OVERPAID,
              FLAG_FUTURE_INVOICE)


def flag_list(bits: int) -> list[str]:
    """The flag keys set in ``bits``, in display order."""
    return [key for i, key in enumerate(FLAG_ORDER) if int(bits) >> i & 1]


def bucket_keys(edges: tuple[int, ...]) -> list[str]:
    """Bucket keys in display order: credit, undated, not due, 1-30, 31-60, ..., over 90."""
    ranges, low = [], 1
    for edge in edges:
        ranges.append(f"{low}-{edge}")
        low = edge + 1
    return [CREDIT, UNDATED, NOT_DUE, *ranges, f">{edges[-1]}"]


def overdue_days(due: np.ndarray, as_of: date) -> np.ndarray:
    """Days past the due date (datetime64[D]; NaT: 0), never negative."""
    as_of_day = _day(as_of)
    has_due = ~np.isnat(due)
    days = np.where(has_due, (as_of_day - np.where(has_due, due, as_of_day)).astype(int), 0)
    return np.maximum(days, 0)


def overdue_buckets(days_overdue: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """The bucket key of each item from its days overdue: not due, a range or over the last."""
    range_keys = np.array(bucket_keys(edges)[2:], dtype=object)  # not_due, ranges..., >last
    positions = np.searchsorted(np.array(edges), days_overdue, side="left")
    positions = np.where(days_overdue <= 0, 0, positions + 1)
    return range_keys[positions].astype(object)


@dataclass
class Ageing:
    items: pd.DataFrame  # one row per ledger row, same index as the input
    problems: list[Problem]
    bucket_order: list[str]


def _day(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def _as_days(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[D]")


class _InvoiceCodes:
    """Invoice numbers, the invoices credit notes refer to and those payments name, coded
    together in one factorisation: a million numbers are hashed once, not once per lookup."""

    def __init__(self, number: pd.Series, credit_for: pd.Series, payments: pd.DataFrame):
        self.n = len(number)
        refs = credit_for.to_numpy(dtype=object)
        self.referring = np.flatnonzero(pd.notna(refs))
        paying = (payments["invoice_no"].to_numpy(dtype=object) if not payments.empty
                  else np.zeros(0, dtype=object))
        codes, uniques = pd.factorize(np.concatenate(
            [number.to_numpy(dtype=object), refs[self.referring], paying]))
        self.size = max(len(uniques), 1)  # a code to look up even when no row has one
        self.rows, self.refs, self.paying = np.split(
            codes, [self.n, self.n + len(self.referring)])
        self.present = self.rows >= 0

    def duplicated(self) -> np.ndarray:
        """Rows whose invoice number appears more than once."""
        counts = np.bincount(self.rows[self.present], minlength=self.size)
        return self.present & (counts[np.maximum(self.rows, 0)] > 1)

    def paid_per_row(self, payments: pd.DataFrame) -> np.ndarray:
        """Cents paid per row according to the Payments sheet (by invoice number)."""
        per_code = np.zeros(self.size, dtype=np.int64)
        if not payments.empty:
            usable = (self.paying >= 0) & payments["amount_present"].to_numpy(dtype=bool)
            np.add.at(per_code, self.paying[usable],
                      payments["amount_cents"].to_numpy(dtype=np.int64)[usable])
        return np.where(self.present, per_code[np.maximum(self.rows, 0)], 0)

    def unknown_payments(self) -> np.ndarray:
        """Payments naming an invoice number the ledger does not have."""
        in_ledger = np.zeros(self.size, dtype=bool)
        in_ledger[self.rows[self.present]] = True
        return (self.paying >= 0) & ~in_ledger[np.maximum(self.paying, 0)]

    def referred_rows(self, unique_rows: np.ndarray) -> np.ndarray:
        """Per row, the row of the invoice its credit_for names (-1: none, or not unique)."""
        row_of = np.full(self.size, -1, dtype=np.int64)
        rows = np.flatnonzero(unique_rows)
        row_of[self.rows[rows]] = rows
        out = np.full(self.n, -1, dtype=np.int64)
        out[self.referring] = row_of[self.refs]
        return out


@dataclass
class Outstanding:
    """Per ledger row: what is still open and since when it is due, before any ageing."""

    open_cents: np.ndarray  # int64; 0 for skipped rows
    skipped: np.ndarray  # rows that cannot be aged (no number, duplicate, no amount)
    due: np.ndarray  # datetime64[D]: typed, else invoice date + the customer's terms
    due_from_terms: np.ndarray
    is_credit_note: np.ndarray
    currency: np.ndarray  # object; blank: the home currency


# The ledger columns ``outstanding`` reads: a caller that needs only open amounts (bank
# matching) reads and types these, not the status inputs (disputed, hold, promise).
OUTSTANDING_INPUTS = ("invoice_no", "customer_id", "invoice_date", "due_date", "currency",
                      "amount", "paid", "credit_for")


def outstanding(invoices: pd.DataFrame, customers: pd.DataFrame, payments: pd.DataFrame,
                settings: Settings) -> Outstanding:
    """The open amounts of ``compute_ageing`` alone (no days, buckets, statuses, problems):
    some 60 % of its time on a million rows. ``invoices`` needs the OUTSTANDING_INPUTS."""
    return _outstanding(invoices.reset_index(drop=True), customers, payments, settings,
                        lambda *_args, **_kwargs: None, [])


def compute_ageing(
    invoices: pd.DataFrame,
    customers: pd.DataFrame,
    payments: pd.DataFrame,
    settings: Settings,
    as_of: date,
    sheet: str = "Invoices",
    labels: dict[str, str] | None = None,
) -> Ageing:
    """Age every ledger row as of ``as_of``.

    ``invoices`` is the typed Invoices table (see ``core.cells.typed_frame``); ``customers``
    the typed Customers table; ``payments`` the typed Payments table. ``labels`` maps column
    keys to the headers the user sees, for problem messages.
    """
    labels = labels or {}
    problems: list[Problem] = []
    n = len(invoices)
    inv = invoices.reset_index(drop=True)
    rows = inv["row"].to_numpy()
    number = inv["invoice_no"]
    cust = inv["customer_id"]

    def report(mask: np.ndarray, column: str, message, severity=Severity.ERROR) -> None:
        for i in np.flatnonzero(mask):
            text = message(i) if callable(message) else message
            problems.append(
                Problem(text, sheet=sheet, row=int(rows[i]), column=labels.get(column, column),
                        severity=severity)
            )

    found = _outstanding(inv, customers, payments, settings, report, problems)
    open_cents, skipped, due = found.open_cents, found.skipped, found.due
    due_from_terms, is_credit_note, currency = (found.due_from_terms, found.is_credit_note,
                                                found.currency)
    invoice_date = _as_days(inv["invoice_date"])

    # Days overdue and buckets.
    as_of_day = _day(as_of)
    has_due = ~np.isnat(due)
    days_overdue = overdue_days(due, as_of)
    undated = ~has_due & (open_cents > 0)
    report(
        undated, "due_date",
        "no due date, and the customer has no payment terms to derive it; "
        "enter a due date or the customer's payment terms",
    )
    edges = settings.bucket_edges
    order = bucket_keys(edges)
    bucket = overdue_buckets(days_overdue, edges)
    bucket[undated] = UNDATED
    bucket[open_cents < 0] = CREDIT
    bucket[(open_cents == 0)] = None

    # Status, in order of precedence.
    hold = _as_days(inv["hold_until"])
    promised = _as_days(inv["promised_date"])
    disputed = inv["disputed"].to_numpy(dtype=bool)
    on_hold = ~np.isnat(hold) & (hold >= as_of_day)
    promise_active = ~np.isnat(promised) & (promised >= as_of_day)
    promise_broken = ~np.isnat(promised) & (promised < as_of_day) & (open_cents > 0)
    conditions = [
        open_cents == 0,
        open_cents < 0,
        disputed,
        on_hold,
        promise_active,
        (days_overdue > 0),
    ]
    # Selected as codes, then looked up: no million-element string arrays on the way.
    status_code = np.select(conditions, range(len(STATUSES) - 1), default=len(STATUSES) - 1)
    status = np.array(STATUSES, dtype=object)[status_code]
    status[skipped] = None

    flag_bits = np.zeros(n, dtype=np.int64)
    for mask, key in (
        (skipped, FLAG_SKIPPED),
        (due_from_terms & (open_cents != 0), FLAG_DUE_FROM_TERMS),
        (promise_broken & ~skipped, FLAG_PROMISE_BROKEN),
        ((open_cents < 0) & ~is_credit_note, FLAG_OVERPAID),
        ((invoice_date > as_of_day) & ~np.isnat(invoice_date) & ~skipped, FLAG_FUTURE_INVOICE),
    ):
        flag_bits |= mask.astype(np.int64) << FLAG_ORDER.index(key)

    days_col = pd.array(days_overdue, dtype="Int64")
    days_col[(open_cents <= 0) | undated | skipped] = pd.NA
    result = pd.DataFrame(
        {
            "row": rows,
            "invoice_no": number.to_numpy(dtype=object),
            "customer_id": cust.to_numpy(dtype=object),
            "currency": currency,
            "due": due,
            "open_cents": open_cents.astype(np.int64),
            "days_overdue": days_col,
            "bucket": bucket,
            "status": status,
            "flag_bits": flag_bits,
            "skipped": skipped,
        },
        index=invoices.index,
    )
    return Ageing(items=result, problems=problems, bucket_order=order)


def _outstanding(inv: pd.DataFrame, customers: pd.DataFrame, payments: pd.DataFrame,
                 settings: Settings, report, problems: list[Problem]) -> Outstanding:
    """``outstanding`` of a frame with a fresh index; ``report(mask, column, message,
    severity)`` is told of each ledger problem found on the way, ``problems`` gets those of
    the Payments sheet."""
    n = len(inv)
    number = inv["invoice_no"]
    cust = inv["customer_id"]
    # Rows that cannot be aged at all.
    missing_no = number.isna().to_numpy()
    has_content = inv["amount_present"].to_numpy() | inv["customer_id"].notna().to_numpy()
    report(missing_no & has_content, "invoice_no", "invoice number is missing")
    # One hash pass over the invoice numbers serves duplicates, payments and credit notes.
    codes = _InvoiceCodes(number, inv["credit_for"], payments)
    dup = codes.duplicated() & ~missing_no
    report(dup, "invoice_no", lambda i: f"invoice number {number[i]} appears more than once")
    missing_amount = ~inv["amount_present"].to_numpy() & ~missing_no
    report(missing_amount & ~dup, "amount", "amount is missing")
    skipped = missing_no | dup | missing_amount

    known_customers = set(customers["customer_id"].dropna()) if not customers.empty else set()
    cust = inv["customer_id"]
    unknown = (~cust.isin(known_customers)).to_numpy() & ~skipped
    report(
        unknown, "customer_id",
        lambda i: f"customer {cust[i]!s} is not on the Customers sheet" if cust[i] is not None
        else "customer id is missing",
    )

    # Effective due date: typed, else invoice date + the customer's payment terms.
    terms = (
        customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
        .set_index("customer_id")["terms_days"]
        if not customers.empty else pd.Series(dtype="Int64")
    )
    due = _as_days(inv["due_date"])
    invoice_date = _as_days(inv["invoice_date"])
    cust_terms = cust.map(terms).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    derivable = np.isnat(due) & ~np.isnat(invoice_date) & ~np.isnan(cust_terms)
    due_from_terms = derivable & ~skipped
    due = due.copy()
    due[derivable] = invoice_date[derivable] + cust_terms[derivable].astype("timedelta64[D]")

    # Outstanding = amount - paid - payments sheet - credit notes applied to it.
    amount = np.where(skipped, 0, inv["amount_cents"].to_numpy())
    paid = np.where(skipped, 0, inv["paid_cents"].to_numpy())
    from_payments = codes.paid_per_row(payments)
    from_payments[skipped] = 0
    for _, p in payments[codes.unknown_payments()].iterrows():
        problems.append(Problem(
            f"payment for invoice {p['invoice_no']} which is not in the ledger; not applied",
            sheet="Payments", row=int(p["row"]), column="invoice_no", severity=Severity.WARNING,
        ))
    open_before_credit = amount - paid - from_payments

    is_credit_note = (amount < 0) & ~skipped
    target = inv["credit_for"].where(is_credit_note)
    target_idx = np.where(is_credit_note, codes.referred_rows(~dup & ~missing_no), -1)
    applied = np.zeros(n, dtype=np.int64)
    credit_open = open_before_credit.copy()
    found = target_idx >= 0
    safe_idx = np.maximum(target_idx, 0)
    currency = inv["currency"].fillna(settings.home_currency).to_numpy(dtype=object)
    same_party = (cust.to_numpy(dtype=object)[safe_idx] == cust.to_numpy(dtype=object)) & (
        currency[safe_idx] == currency)
    linked = found & same_party
    report(
        is_credit_note & target.notna().to_numpy() & ~found, "credit_for",
        lambda i: f"credit note refers to invoice {target[i]} which is not in the ledger; "
        "kept as unapplied credit", Severity.WARNING,
    )
    report(
        found & ~same_party, "credit_for",
        lambda i: f"credit note refers to invoice {target[i]} of another customer or currency; "
        "kept as unapplied credit", Severity.WARNING,
    )
    if linked.any():
        credits = pd.DataFrame({
            "target": target_idx[linked],
            "credit": -open_before_credit[linked],  # positive credit still available
            "pos": np.flatnonzero(linked),
        })
        credits = credits[credits["credit"] > 0]
        room = np.maximum(open_before_credit, 0)  # what each invoice can still absorb
        credits["room"] = room[credits["target"].to_numpy()]
        credits["before"] = credits.groupby("target")["credit"].cumsum() - credits["credit"]
        credits["used"] = np.clip(credits["room"] - credits["before"], 0, credits["credit"])
        used_per_target = credits.groupby("target")["used"].sum()
        applied[used_per_target.index.to_numpy()] = used_per_target.to_numpy()
        credit_open[credits["pos"].to_numpy()] += credits["used"].to_numpy()
    open_cents = np.where(is_credit_note, credit_open, open_before_credit - applied)
    open_cents[skipped] = 0
    return Outstanding(open_cents, skipped, due, due_from_terms, is_credit_note, currency)


def ageing_summary(ageing: Ageing, by: list[str]) -> pd.DataFrame:
    """Open amounts in cents per group and bucket, with a total column.

    ``by`` may be empty (one grand-total row), or e.g. ``["customer_id", "currency"]``.
    """
    items = ageing.items[ageing.items["bucket"].notna()]
    keys = by or ["_all"]
    frame = items.assign(_all="total") if not by else items
    if frame.empty:
        columns = [*ageing.bucket_order, "total"]
        if by:
            return pd.DataFrame(columns=columns, dtype=np.int64,
                                index=pd.MultiIndex.from_tuples([], names=by) if len(by) > 1
                                else pd.Index([], name=by[0]))
        return pd.DataFrame([[0] * len(columns)], columns=columns, index=pd.Index(["total"]))
    table = frame.pivot_table(
        index=keys, columns="bucket", values="open_cents", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=ageing.bucket_order, fill_value=0).astype(np.int64)
    table["total"] = frame.groupby(keys)["open_cents"].sum().astype(np.int64)
    table.columns.name = None
    return table
