"""Run one measured operation in this (fresh) process and write its figures as JSON.

Started by ``bench_refresh.py`` once per measurement, so that the parent can read this
process's own peak RSS with ``os.wait4``::

    python benchmarks/run_once.py refresh BOOK.xlsx OUT.json [--as-of 2026-11-26]
    python benchmarks/run_once.py openpyxl BOOK.xlsx OUT.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

STARTED = time.perf_counter()


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kb() -> int:
    """This process's peak RSS since exec (VmHWM).

    ``ru_maxrss`` would be wrong for a small child: Linux carries the parent's high-water mark
    over fork and exec, so it never reports less than the parent's RSS at fork time.
    """
    hwm = _status_kb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kb() -> int:
    """Current resident set size."""
    rss = _status_kb("VmRSS")
    return rss if rss is not None else peak_rss_kb()


def run_refresh(book: Path, as_of: date) -> dict[str, object]:
    """``jobs.refresh`` with arbook's step timings and the memory high-water mark per step."""
    from arbook import jobs

    imported = time.perf_counter()
    steps: list[dict[str, object]] = []

    def progress(message: str) -> None:
        steps.append({"step": message, "at_s": time.perf_counter() - t0,
                      "rss_kb": rss_kb(), "peak_rss_kb": peak_rss_kb()})

    t0 = time.perf_counter()
    result = jobs.refresh(book, as_of=as_of, progress=progress)
    elapsed = time.perf_counter() - t0
    steps.append({"step": "done", "at_s": elapsed, "rss_kb": rss_kb(),
                  "peak_rss_kb": peak_rss_kb()})
    return {
        "kind": "refresh",
        "arbook": str(Path(jobs.__file__).parent),
        "rows": result.rows,
        "problems": len(result.problems),
        "errors": len(result.errors),
        "written": result.written,
        "import_s": imported - STARTED,
        "refresh_s": elapsed,
        "timings": result.timings,
        "steps": steps,
        "peak_rss_kb": peak_rss_kb(),
    }


def run_openpyxl(book: Path) -> dict[str, object]:
    """The baseline: openpyxl load, change two cells in two columns of the ledger, save."""
    import openpyxl

    from arbook.core.schema import INVOICES

    imported = time.perf_counter()
    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(book)
    t1 = time.perf_counter()
    ws = next(ws for ws in wb.worksheets if INVOICES.name in ws.tables)
    ws["R2"] = 123.45  # Offen
    ws["U2"] = "offen"  # Status
    t2 = time.perf_counter()
    wb.save(book)
    t3 = time.perf_counter()
    return {
        "kind": "openpyxl",
        "rows": ws.max_row - 1,
        "import_s": imported - STARTED,
        "load_s": t1 - t0,
        "edit_s": t2 - t1,
        "save_s": t3 - t2,
        "total_s": t3 - t0,
        "peak_rss_kb": peak_rss_kb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["refresh", "openpyxl"])
    parser.add_argument("book", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 26))
    args = parser.parse_args(argv)
    if args.kind == "refresh":
        figures = run_refresh(args.book, args.as_of)
    else:
        figures = run_openpyxl(args.book)
    args.out.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
