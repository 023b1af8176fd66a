"""Time ``arbook.remind.remind`` (drafts) on a fresh copy of a cached benchmark ledger.

Each run copies the ledger into an empty folder (no journal, so every reminder is drafted)
and reports wall and CPU seconds of the job alone (imports excluded), best of ``--runs``.
Target (issue 7, 2 cores, quiet machine): well under a second at 100k rows.

    python benchmarks/bench_remind.py 100000
    python benchmarks/bench_remind.py 100000 --profile      # the 25 costliest functions
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate_ledger import ensure_ledger  # noqa: E402

from arbook import remind  # noqa: E402

AS_OF = date(2026, 11, 26)


def run_once(source: Path, profile: cProfile.Profile | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, reminders drafted) of one run on a fresh copy."""
    with tempfile.TemporaryDirectory(prefix="bench-remind-") as folder:
        book = Path(folder) / "ledger.xlsx"
        shutil.copyfile(source, book)
        wall, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        result = remind.remind(book, AS_OF)
        if profile is not None:
            profile.disable()
        return time.perf_counter() - wall, time.process_time() - cpu, result.count("drafted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    for n in args.sizes:
        source = ensure_ledger(n)
        if args.profile:
            profile = cProfile.Profile()
            run_once(source, profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            continue
        runs = [run_once(source) for _ in range(args.runs)]
        wall, cpu, drafted = min(runs)
        print(f"| {n:,} rows | remind {wall:.2f} s wall, {cpu:.2f} s CPU (best of "
              f"{len(runs)}) | {drafted} reminders drafted |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
