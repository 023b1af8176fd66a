"""Time the nightly's import step alone (ERP export + camt.053 into the ledger), no save.

The inbox is what ``bench_nightly.py`` fills (0.5 % new invoices, payments for 1 % of the open
ones); the ledger is read as the nightly's first step reads it, then ``_Night.import_inbox``
runs on it and is timed, and the journal records that follow a save are timed apart. Much
quicker than a whole nightly (no refresh, reminders or save), for working on that one step.

    python benchmarks/bench_import.py 100000 1000000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_nightly import AS_OF, fill_inbox  # noqa: E402
from generate_ledger import ensure_ledger  # noqa: E402

from arbook import nightly  # noqa: E402
from arbook.io.workbook_file import WorkbookFile  # noqa: E402

WORK = HERE / "data" / "import"


def run(n: int) -> dict[str, float]:
    folder = WORK / str(n)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    book = folder / "ledger.xlsx"
    shutil.copyfile(ensure_ledger(n), book)
    fill_inbox(book, folder / "inbox", n)
    result = nightly.NightlyResult(book, AS_OF, folder / "log")
    with WorkbookFile(book) as workbook:
        night = nightly._Night(result, workbook, book, AS_OF, folder / "inbox", lambda _m: None)
        start = time.perf_counter()
        night.read()
        read = time.perf_counter() - start
        start = time.perf_counter()
        summary = night.import_inbox(nightly.inbox_files(folder / "inbox", 0))
        imported = time.perf_counter() - start
        start = time.perf_counter()
        for after in night.after_save:  # the journal's records (the nightly runs them saved)
            after()
        journal = time.perf_counter() - start
    print(f"| {n:,} | {read:.2f} s | {imported:.2f} s | {journal:.2f} s | {summary} |",
          flush=True)
    return {"read": read, "import": imported, "journal": journal}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    args = parser.parse_args(argv)
    print("| rows | read | import | journal after save | summary |\n|---:|---:|---:|---:|---|")
    for n in args.sizes:
        run(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
