"""Time ``arbook nightly`` per step on generated ledgers, beside the openpyxl load+save baseline.

For each size: the cached benchmark ledger (``generate_ledger.py``) is copied, an inbox is
filled with what a night brings (an ERP export of the day's new invoices, 0.5 % of the ledger,
as German CSV; a camt.053 statement paying 1 % of the open invoices by invoice number plus a
few entries nobody can place), and the nightly job runs in a fresh process, drafts only. The
child reports its step times and its peak RSS (VmHWM). The nightly forks workers for the second
core (scan, letters, patch), whose memory VmHWM does not see, so this script also samples the
proportional set size (PSS: shared pages split between the processes sharing them) of the whole
process tree every 100 ms (about 5 ms of the other core each) and reports its peak: the memory
the night really takes. Targets (issue 7, 2 cores): 100k rows <= 5 s, 1M rows <= 40 s, peak
memory <= 2 GB.

    python benchmarks/bench_nightly.py                 # 10000 100000
    python benchmarks/bench_nightly.py 1000000 --no-baseline
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import python_calamine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate_ledger import ensure_ledger  # noqa: E402

from arbook import demo  # noqa: E402

WORK = HERE / "data" / "nightly"
STEPS = ("read", "import", "refresh", "reminders", "review", "save")
AS_OF = date(2026, 11, 26)
CHILD = """
import json, sys, time
from datetime import date
t0 = time.perf_counter()
from arbook import nightly

def hwm_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

peaks, overall, step = {}, [0], nightly._Run.step
def measured(self, name, action, skip=""):  # each step's own peak: VmHWM reset before it
    overall[0] = max(overall[0], hwm_kb())
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    try:
        return step(self, name, action, skip)
    finally:
        peaks[name] = hwm_kb()
nightly._Run.step = measured
result = nightly.nightly(sys.argv[1], date.fromisoformat(sys.argv[2]), send=False,
                         settle_seconds=0)
elapsed = time.perf_counter() - t0
print(json.dumps({"total_s": elapsed, "peak_rss_kb": max(overall[0], hwm_kb()),
                  "step_peak_kb": peaks, "exit_code": result.exit_code,
                  "steps": [s.__dict__ for s in result.steps]}))
"""


def fill_inbox(book: Path, inbox: Path, n: int) -> tuple[int, int]:
    """An ERP export with new invoices and a statement paying some open ones."""
    reader = python_calamine.CalamineWorkbook.from_path(str(book), load_tables=True)
    table = reader.get_table_by_name("tblInvoices")
    header, rows = list(table.columns), table.to_python()
    col = {name: header.index(name) for name in ("Rechnungsnr.", "Kundennr.", "Betrag",
                                                 "Bezahlt")}
    open_rows = [r for r in rows if isinstance(r[col["Betrag"]], float)
                 and r[col["Betrag"]] > 0 and not r[col["Bezahlt"]]]
    paying = open_rows[:: max(len(open_rows) // max(n // 100, 1), 1)][: n // 100]
    customers = sorted({str(r[col["Kundennr."]]) for r in rows if r[col["Kundennr."]]})
    inbox.mkdir(parents=True, exist_ok=True)
    new = max(n // 200, 1)
    lines = [f"Offene Posten per {AS_OF:%d.%m.%Y}", "",
             "Belegnummer;Debitor;Belegdatum;Fälligkeit;Betrag;WKZ"]
    for i in range(new):
        cents = 10_000 + 37 * i
        lines.append(f"NEU-{i:07d};{customers[i % len(customers)]};{AS_OF:%d.%m.%Y};"
                     f"{AS_OF + timedelta(days=30):%d.%m.%Y};{cents // 100},{cents % 100:02d};EUR")
    (inbox / "export.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    invoices = [{"invoice_no": str(r[col["Rechnungsnr."]]), "customer_id":
                 str(r[col["Kundennr."]]), "amount_cents": round(r[col["Betrag"]] * 100)}
                for r in paying]

    payers = SimpleNamespace(customers=[{"customer_id": c, "name": f"Kunde {c}"}
                                        for c in customers])  # what camt053 reads of a sample
    (inbox / "statement.xml").write_text(demo.camt053(invoices, payers, AS_OF),
                                         encoding="utf-8")
    return new, len(invoices)


def tree_pss_kb(pid: int) -> int:
    """PSS of a process and all its descendants (0 for those that just ended)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_child(book: Path) -> dict:
    start = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", CHILD, str(book), AS_OF.isoformat()],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=HERE.parent,
                          env={**os.environ, "PYTHONPATH": str(HERE.parent)}) as child:
        peak, waiting = 0, [True]

        def sample() -> None:
            nonlocal peak
            while waiting[0]:
                peak = max(peak, tree_pss_kb(child.pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, err = child.communicate()
        waiting[0] = False
        sampler.join()
    if child.returncode:
        raise RuntimeError(f"nightly failed: {err[-2000:]}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["wall_s"] = time.perf_counter() - start
    figures["tree_pss_kb"] = peak
    return figures


def run_baseline(book: Path) -> dict:
    out = HERE / "data" / "nightly" / "baseline.json"
    subprocess.run([sys.executable, str(HERE / "run_once.py"), "openpyxl", str(book),
                    str(out)], check=True, cwd=HERE.parent)
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", type=Path, help="write a markdown table here")
    args = parser.parse_args(argv)
    lines = ["| rows | new invoices / payments | nightly total | " + " | ".join(
        STEPS) + " | peak RSS (nightly process) | peak PSS (with its workers) | "
        "openpyxl load+save |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in args.sizes:
        source = ensure_ledger(n)
        folder = WORK / str(n)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        book = folder / "ledger.xlsx"
        shutil.copyfile(source, book)
        new, paid = fill_inbox(book, folder / "inbox", n)
        figures = run_child(book)
        steps = {s["name"]: s for s in figures["steps"]}
        base = ""
        if not args.no_baseline:
            base_book = folder / "baseline.xlsx"
            shutil.copyfile(source, base_book)
            b = run_baseline(base_book)
            base = f"{b['total_s']:.1f} s, {b['peak_rss_kb'] / 1024:.0f} MB"
        cells = [f"{steps[k]['seconds']:.2f} s" if k in steps and steps[k]["status"] == "ok"
                 else steps.get(k, {}).get("status", "-") for k in STEPS]
        line = (f"| {n:,} | {new:,} / {paid:,} | {figures['total_s']:.2f} s | "
                + " | ".join(cells) + f" | {figures['peak_rss_kb'] / 1024:.0f} MB | "
                f"{figures['tree_pss_kb'] / 1024:.0f} MB | {base} |")
        print(line, flush=True)
        print("  peak per step: " + ", ".join(
            f"{k} {v / 1024:.0f} MB" for k, v in figures["step_peak_kb"].items()), flush=True)
        lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
