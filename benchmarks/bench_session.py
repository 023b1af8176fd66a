"""Time a night's steps on ONE open ``WorkbookFile``, saved once, per step and peak memory.

The nightly job still opens the workbook once per step; this measures what one session costs:
the ERP import and the bank import (``refresh=False``), the refresh, the reminders (drafts)
and, with ``--review``, the review, each step's own ``book.save()`` made a no-op, then one
real ``save()``. The inbox is the one ``bench_nightly.py`` fills (0.5 % new invoices, a
statement paying 1 % of the open ones). Each size runs in a fresh process, which reports its
step times and each step's peak RSS (VmHWM, reset between steps).

    python benchmarks/bench_session.py 100000
    python benchmarks/bench_session.py 1000000 --prefetch
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_nightly import AS_OF, fill_inbox  # noqa: E402
from generate_ledger import ensure_ledger  # noqa: E402

WORK = HERE / "data" / "session"
CHILD = r"""
import json, sys, time
from datetime import date
from pathlib import Path
from arbook import imports, jobs, remind, review
from arbook.core.schema import INVOICES
from arbook.io.workbook_file import WorkbookFile

book_path, inbox = Path(sys.argv[1]), Path(sys.argv[2])
as_of = date.fromisoformat(sys.argv[3])
with_review, prefetch = sys.argv[4] == "1", sys.argv[5] == "1"
times, peaks = {}, {}
t0 = clock = time.perf_counter()

def hwm_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

def lap(name):
    global clock
    now = time.perf_counter()
    times[name] = round(now - clock, 3)
    peaks[name] = hwm_kb()
    with open("/proc/self/clear_refs", "w") as f:  # the next step's peak starts afresh
        f.write("5")
    clock = now

with WorkbookFile(book_path) as book:
    real_save = book.save
    book.save = lambda: None  # the steps' own saves; the session saves once, below
    if prefetch and hasattr(book, "prefetch"):
        book.prefetch(INVOICES)
    imports.import_invoices_book(book, book_path, inbox / "export.csv", as_of=as_of,
                                 refresh=False)
    lap("import invoices")
    imports.import_bank_book(book, book_path, [inbox / "statement.xml"], as_of=as_of,
                             refresh=False)
    lap("import bank")
    done = jobs.refresh_book(book, book_path, as_of)
    lap("refresh")
    remind.remind_book(book, book_path, as_of)
    lap("reminders")
    if with_review:
        review.review_book(book, book_path, as_of)
        lap("review")
    real_save()
    lap("save")
total = time.perf_counter() - t0
print(json.dumps({"total_s": round(total, 3), "peak_rss_kb": max(peaks.values()),
                  "steps": times, "peaks_kb": peaks, "rows_changed": done.rows_changed}))
"""


def run_child(book: Path, inbox: Path, review: bool, prefetch: bool) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(book), str(inbox), AS_OF.isoformat(),
         "1" if review else "0", "1" if prefetch else "0"],
        capture_output=True, text=True, cwd=HERE.parent, check=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--review", action="store_true", help="run the weekly review too")
    parser.add_argument("--prefetch", action="store_true",
                        help="declare the ledger's columns before the first step")
    args = parser.parse_args(argv)
    for n in args.sizes:
        folder = WORK / str(n)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        book = folder / "ledger.xlsx"
        shutil.copyfile(ensure_ledger(n), book)
        fill_inbox(book, folder / "inbox", n)
        figures = run_child(book, folder / "inbox", args.review, args.prefetch)
        steps = ", ".join(f"{k} {v:.2f} s / {figures['peaks_kb'][k] / 1024:.0f} MB"
                          for k, v in figures["steps"].items())
        print(f"{n:,} rows: total {figures['total_s']:.2f} s, peak RSS "
              f"{figures['peak_rss_kb'] / 1024:.0f} MB ({steps})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
