"""Time the dunning decision engine (``core.dunning.decide``) on a large synthetic ledger.

The input is what ``compute_ageing`` returns (one row per invoice), built directly with numpy so
only ``decide`` is timed: a mix of statuses like a real book (most items overdue or open, some
disputed, on hold, promised, credits), 25 invoices per customer, a journal history in which a
third of the overdue invoices were reminded before, some at the last stage::

    python benchmarks/bench_dunning.py                 # 100000 rows, best of 5
    python benchmarks/bench_dunning.py 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from arbook.core.ageing import FLAG_ORDER, FLAG_PROMISE_BROKEN
from arbook.core.dunning import ReminderHistory, ReminderRecord, decide, default_policy

AS_OF = date(2026, 11, 26)


def synthetic(rows: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, ReminderHistory]:
    rng = np.random.default_rng(seed)
    n_customers = max(rows // 25, 1)
    cust = rng.integers(0, n_customers, rows)
    days = rng.integers(-30, 200, rows)
    status = rng.choice(np.array(["overdue", "disputed", "on_hold", "promised", "credit"],
                                 dtype=object), rows, p=[0.86, 0.04, 0.03, 0.03, 0.04])
    status[days <= 0] = "open"
    open_cents = rng.integers(500, 2_000_000, rows)
    open_cents[status == "credit"] *= -1
    items = pd.DataFrame({
        "row": np.arange(2, rows + 2),
        "invoice_no": np.char.add("RE-", np.arange(rows).astype(str)).astype(object),
        "customer_id": np.char.add("K", cust.astype(str)).astype(object),
        "currency": np.where(cust % 10 == 0, "CHF", "EUR").astype(object),
        "due": np.datetime64(AS_OF, "D") - days.astype("timedelta64[D]"),
        "open_cents": open_cents.astype(np.int64),
        "days_overdue": pd.array(np.maximum(days, 0), dtype="Int64"),
        "bucket": "1-30",
        "status": status,
        "flag_bits": np.where(rng.random(rows) < 0.01,
                              1 << FLAG_ORDER.index(FLAG_PROMISE_BROKEN), 0),
        "skipped": False,
    })
    ids = np.char.add("K", np.arange(n_customers).astype(str)).astype(object)
    customers = pd.DataFrame({
        "row": np.arange(2, n_customers + 2), "customer_id": ids, "name": "Kunde GmbH",
        "address": "Weg 1, 10115 Berlin",
        "email": np.where(np.arange(n_customers) % 50 == 0, None, "ap@kunde.example"),
        "dunning_block": np.arange(n_customers) % 97 == 0,
        "dunning_schedule": np.where(np.arange(n_customers) % 31 == 0, "10, 20, 30, 40", None),
    })
    reminded = np.flatnonzero((status == "overdue") & (rng.random(rows) < 0.33))
    stages = np.minimum(days[reminded] // 14, 4).clip(1)
    records = [
        ReminderRecord(items["customer_id"].iat[i], int(s),
                       AS_OF - timedelta(days=int(rng.integers(1, 60))),
                       (items["invoice_no"].iat[i],))
        for i, s in zip(reminded.tolist(), stages.tolist(), strict=True)
    ]
    return items, customers, ReminderHistory(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    items, customers, history = synthetic(args.rows)
    policy = default_policy("de")
    times, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        plan = decide(items, customers, policy, history, AS_OF)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    items_listed = sum(len(r.items) for r in plan.reminders)
    print(f"decide on {args.rows:,} rows, {len(customers):,} customers: "
          f"best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s "
          f"(of {args.repeat}), CPU best {min(cpu):.3f} s; {len(plan.reminders):,} reminders "
          f"listing {items_listed:,} items, {len(plan.skipped):,} skips, "
          f"{len(plan.escalations):,} escalations")


if __name__ == "__main__":
    main()
