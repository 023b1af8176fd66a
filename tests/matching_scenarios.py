"""Random but reproducible matching scenarios, and the results main's matcher gave for them.

The matcher was rewritten to look only at the rows a bank entry can touch (issue 7: a million
open items). Its results must not change, so ``tests/golden/matching-oracle.json`` holds what
the previous implementation (main at 3a58b74, ``_Matcher`` over ``to_dict('records')``) returned
for these scenarios; ``test_matching_oracle.py`` compares the current matcher with it.

The generator aims at the rules' edges: invoice numbers that collide once prefixes and zeros
are dropped ('RE-000815', '815', 'RE-2026/0815'), duplicate and padded numbers, several items
of one amount, sums of the oldest items, Skonto in time, late and too much, partial and
overpaid payments, entries paying the same item twice, assignments, money out, pending
entries and foreign currencies. A few large ledgers (hundreds of items per customer on a few
days) make the customer lookups search past their first block and order equal ages by number.

Regenerate only with the old implementation first on the path (``git archive 3a58b74 arbook
| tar -x -C /tmp/old``), from outside the worktree, whose own ``arbook`` would come first:
``cd /tmp && PYTHONPATH=/tmp/old:WORKTREE python -m tests.matching_scenarios --write --force``
(without --force it refuses to overwrite).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from arbook.core.matching import Assignment, match_key, match_payments

AS_OF = date(2026, 11, 26)
SEED = 20261127
COUNT = 120
LARGE = 6
GOLDEN = Path(__file__).parent / "golden" / "matching-oracle.json"
IBANS = {"K1": "DE89370400440532013000", "K2": "DE02120300000000202051",
         "K3": "DE44500105175407324931", "K4": "DE12500105170648489890"}


@dataclass(frozen=True)
class Entry:
    amount_cents: int
    remittance: str = ""
    counterparty_iban: str = ""
    counterparty_name: str = ""
    currency: str = "EUR"
    booking_date: date | None = AS_OF
    value_date: date | None = None
    statement_id: str = "S1"
    entry_ref: str = "1"
    booked: bool = True
    end_to_end_id: str = ""


def customers() -> pd.DataFrame:
    return pd.DataFrame([
        {"customer_id": "K1", "name": "Müller GmbH", "iban": f"{IBANS['K1']}; DE11",
         "skonto_pct": 0.02, "skonto_days": 10},
        {"customer_id": "K2", "name": "Schmidt KG", "iban": IBANS["K2"], "skonto_pct": None,
         "skonto_days": None},
        {"customer_id": "K3", "name": "Gleich AG", "iban": IBANS["K3"], "skonto_pct": 0.03,
         "skonto_days": 14},
        {"customer_id": "K4", "name": "Gleich AG", "iban": IBANS["K4"], "skonto_pct": 0.025,
         "skonto_days": None},
    ])


def _number(rng: random.Random) -> str:
    k = rng.randint(1, 40)
    form = rng.choice(["RE-{:06d}", "{}", "RE-2026/{:04d}", "GS-{}", "A-{}", "RE{}", "{:05d}",
                       "Rg {}", "RE-{:06d}/B"])
    text = form.format(k)
    if rng.random() < 0.05:
        text = f" {text} "
    return text


def _ledger(rng: random.Random) -> list[dict]:
    rows, amounts = [], [rng.choice([500, 1000, 2500, 7700, 12345]) for _ in range(3)]
    for _ in range(rng.randint(3, 40)):
        day = AS_OF - timedelta(days=rng.randint(0, 45))
        open_cents = rng.choice([*amounts, rng.randint(1, 200_000), rng.randint(1, 200_000)]
                                if rng.random() < 0.9 else [0, -800])
        rows.append({
            "invoice_no": _number(rng) if rng.random() > 0.03 else rng.choice([None, "", "  "]),
            "customer_id": rng.choice(["K1", "K1", "K2", "K3", "K4", " K2 ", "K9", None]),
            "currency": rng.choice(["EUR", "EUR", "EUR", "eur", "USD", None, " "]),
            "open_cents": open_cents, "amount_cents": max(open_cents, 0),
            "invoice_date": day if rng.random() > 0.05 else None,
            "due_date": day + timedelta(days=rng.choice([14, 30])) if rng.random() > 0.2
            else None,
        })
    return rows


def _mention(rng: random.Random, number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit()).lstrip("0") or "0"
    return rng.choice([number.strip(), number.strip(), f"RE {digits}", f"Rechnung {number.strip()}",
                       f"Inv. 000{digits}", digits, f"Rg{digits}"])


def _entry(rng: random.Random, ledger: list[dict], ref: int, previous: list[Entry]) -> Entry:
    positive = [r for r in ledger if r["open_cents"] > 0]
    row = rng.choice(positive if positive and rng.random() < 0.9 else ledger)
    number, opened = str(row["invoice_no"] or ""), int(row["open_cents"])
    owner = str(row["customer_id"] or "").strip()
    kind = rng.choice(["text", "text", "text2", "iban", "iban", "sum", "name", "repeat",
                       "unknown", "odd"])
    day = AS_OF + timedelta(days=rng.randint(-25, 15))
    if rng.random() < 0.4 and row["invoice_date"]:  # around the Skonto deadline
        day = row["invoice_date"] + timedelta(days=rng.randint(0, 16))
    pct = {"K3": 0.03, "K4": 0.025}.get(owner, 0.02)
    amount = rng.choice([opened, opened, opened - round(opened * pct), opened // 2,
                         opened + 1000, opened - round(opened * pct), opened - 2 * round(
                             opened * pct), opened - round(opened * pct) - 1])
    text, iban, name, e2e, currency = "", "", "", "", "EUR"
    if kind == "text":
        text = _mention(rng, number)
        iban = rng.choice(["", IBANS.get(owner, ""), IBANS["K2"]])
    elif kind == "text2":
        other = rng.choice(ledger)
        text = f"RE {_mention(rng, number)} und {_mention(rng, str(other['invoice_no'] or ''))}"
        amount = rng.choice([amount + int(other["open_cents"]), amount])
    elif kind in ("iban", "sum"):
        iban = IBANS.get(owner, rng.choice(list(IBANS.values())))
        if kind == "sum":
            mine = [r for r in ledger if str(r["customer_id"] or "").strip() == owner]
            amount = sum(max(r["open_cents"], 0) for r in mine[:rng.randint(2, 4)])
        text = rng.choice(["", "Sammelzahlung", "Danke"])
    elif kind == "name":
        name = rng.choice(["MÜLLER GMBH", "Schmidt KG", "Gleich AG", "unbekannt"])
    elif kind == "repeat" and previous:
        before = rng.choice(previous)
        return Entry(**{**asdict(before), "entry_ref": str(ref), "booking_date": day})
    elif kind == "odd":
        amount = rng.choice([-5000, 0, amount, amount])
        currency = rng.choice(["USD", "GBP", "usd"])
        text = _mention(rng, number)
    else:
        text = rng.choice(["Spende", "vom 01.09.2026", "Kd 12026", ""])
    if rng.random() < 0.1:
        text, e2e = "", rng.choice([_mention(rng, number), "NOTPROVIDED"])
    return Entry(amount, text, iban, name, currency, day if rng.random() > 0.05 else None,
                 day if rng.random() < 0.3 else None, rng.choice(["S1", "S2"]), str(ref),
                 rng.random() > 0.03, e2e)


def _assignments(rng: random.Random, ledger: list[dict],
                 entries: list[Entry]) -> dict[str, Assignment]:
    out = {}
    for entry in entries:
        if rng.random() < 0.1:
            numbers = [str(r["invoice_no"] or "").strip() for r in rng.sample(
                ledger, min(2, len(ledger)))]
            out[match_key(entry)] = rng.choice([
                Assignment.from_cells("; ".join(numbers)), Assignment.from_cells(numbers[0]),
                Assignment.from_cells("RE-999999"), Assignment(customer_id="K1"),
                Assignment(customer_id=rng.choice(["K2", "K9"])), Assignment.from_cells(
                    ignore="x")])
    return out


def _large(rng: random.Random) -> tuple[list[dict], list[Entry]]:
    amounts = [rng.choice([100, 200, 300, 500, 700, 1000, 1234]) for _ in range(6)]
    size = rng.randint(600, 1500)
    ledger = []
    for i in range(size):
        day = AS_OF - timedelta(days=rng.choice([1, 2, 3, 10, 20]))
        ledger.append({
            "invoice_no": rng.choice([f"RE-{i:05d}", str(i), f"RE-{rng.randint(0, size):05d}"]),
            "customer_id": rng.choice(["K1", "K2", "K3", "K4"]),
            "currency": rng.choice(["EUR", "EUR", "EUR", "USD"]),
            "open_cents": rng.choice([*amounts, rng.randint(1, 5000)]),
            "invoice_date": day, "due_date": day if rng.random() < 0.5 else None})
    entries = []
    for ref in range(40):
        row = rng.choice(ledger)
        opened, pct = row["open_cents"], {"K1": 0.02, "K3": 0.03, "K4": 0.025}.get(
            row["customer_id"], 0)
        amount = rng.choice([opened, opened - round(opened * pct), sum(rng.sample(amounts, 2)),
                             sum(rng.sample(amounts, 3)), rng.choice(amounts),
                             rng.randint(100, 3000)])
        entries.append(Entry(amount, rng.choice(["", "", f"RE {row['invoice_no']}"]),
                             IBANS[row["customer_id"]], currency=rng.choice(["EUR", "EUR", "USD"]),
                             booking_date=AS_OF - timedelta(days=rng.randint(0, 12)),
                             entry_ref=str(ref)))
    return ledger, entries


def scenarios() -> list[tuple[pd.DataFrame, list[Entry], dict[str, Assignment]]]:
    """``COUNT`` small and ``LARGE`` large scenarios: (ledger, entries, assignments), the
    same on every call."""
    rng = random.Random(SEED)
    out = []
    for number in range(COUNT + LARGE):
        if number >= COUNT:
            ledger, entries = _large(rng)
            out.append((pd.DataFrame(ledger), entries, {}))
            continue
        ledger = _ledger(rng)
        entries = []
        for ref in range(rng.randint(3, 15)):
            entries.append(_entry(rng, ledger, ref, entries))
        frame = pd.DataFrame(ledger)
        if rng.random() < 0.5:  # datetime64 columns, as the bank import hands them over
            frame["due_date"] = pd.to_datetime(frame["due_date"])
        out.append((frame, entries, _assignments(rng, ledger, entries)))
    return out


def run(ledger: pd.DataFrame, entries: list[Entry],
        assignments: dict[str, Assignment]) -> list[dict]:
    """The matcher's results as plain JSON data."""
    result = match_payments(entries, ledger, customers(), AS_OF, assignments)
    return json.loads(json.dumps([asdict(m) for m in result.matches]))


if __name__ == "__main__":
    if GOLDEN.exists() and "--force" not in sys.argv:
        sys.exit(f"{GOLDEN} exists; it must come from the old matcher (--force to overwrite)")
    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps([run(*s) for s in scenarios()], separators=(",", ":"),
                                     ensure_ascii=False) + "\n", encoding="utf-8")
