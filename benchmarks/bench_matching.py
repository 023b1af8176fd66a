"""Time payment matching (``core.matching.match_payments``) alone on a large frame of open items.

The frame is what the bank import hands over (one row per open invoice, dates as datetime64,
50 customers as in the generated ledgers); the statement pays 1 % of the items: 70 % name
the invoice in the remittance text (some as 'Rechnung 123' without prefix and zeros), 20 %
pay one item's exact amount from the customer's IBAN without naming it, 10 % are money nobody
can place (unknown payer, no number)::

    python benchmarks/bench_matching.py                    # 100000 1000000, best of 3
    python benchmarks/bench_matching.py 100000 --repeat 5

The figures include building the lookup structures over the whole frame: that is what one
bank import pays. To time another commit's matcher, put its ``arbook`` first on PYTHONPATH
(``git archive REV arbook | tar -x -C /tmp/rev``, then ``PYTHONPATH=/tmp/rev``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pandas as pd

from arbook.core.bank import BankEntry
from arbook.core.matching import match_payments

AS_OF = date(2026, 11, 26)


def synthetic(rows: int, customers: int = 50, seed: int = 1
              ) -> tuple[pd.DataFrame, pd.DataFrame, list[BankEntry]]:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, customers, rows)
    issued = np.datetime64(AS_OF) - rng.integers(0, 365, rows).astype("timedelta64[D]")
    open_cents = rng.integers(500, 2_000_000, rows)
    items = pd.DataFrame({
        "invoice_no": np.char.add("RE-2026-", np.char.zfill(np.arange(rows).astype(str), 7))
        .astype(object),
        "customer_id": np.char.add("K", cust.astype(str)).astype(object),
        "currency": "EUR", "open_cents": open_cents, "amount_cents": open_cents,
        "invoice_date": issued.astype("datetime64[s]"),
        "due_date": (issued + np.timedelta64(30, "D")).astype("datetime64[s]"),
    })
    ibans = [f"DE{10 + k % 89:02d}{k:018d}" for k in range(customers)]
    people = pd.DataFrame({"customer_id": [f"K{k}" for k in range(customers)],
                           "name": [f"Kunde {k} GmbH" for k in range(customers)],
                           "iban": ibans, "skonto_pct": 0.02, "skonto_days": 10})
    entries = []
    for k, row in enumerate(rng.choice(rows, max(rows // 100, 1), replace=False).tolist()):
        kind = rng.choice(["text", "short", "amount", "unknown"], p=[0.5, 0.2, 0.2, 0.1])
        number, cents = items.at[row, "invoice_no"], int(open_cents[row])
        remittance = {"text": f"{number} Danke", "short": f"Rechnung 2026/{row}",
                      "amount": "Zahlung", "unknown": "Spende"}[kind]
        payer = ibans[cust[row]] if kind != "unknown" else "DE00999999999999999999"
        entries.append(BankEntry("S1", str(k), AS_OF - timedelta(days=k % 5), None,
                                 cents if kind != "unknown" else 1234, "EUR", "Zahler",
                                 payer, remittance))
    return items, people, entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--customers", type=int, default=50)
    args = parser.parse_args(argv)
    print("| open items | entries | match_payments (best) | peak traced memory | rules |")
    print("|---:|---:|---:|---:|---|")
    for n in args.sizes:
        items, people, entries = synthetic(n, args.customers)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = match_payments(entries, items, people, AS_OF)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        match_payments(entries, items, people, AS_OF)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rules = Counter(m.rule for m in result.matches)
        print(f"| {n:,} | {len(entries):,} | {min(times):.3f} s | {peak / 2**20:.0f} MB | "
              + ", ".join(f"{k} {v}" for k, v in rules.most_common()) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
