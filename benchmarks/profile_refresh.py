"""Profile one ``arbook refresh`` of a generated ledger: where the time and the memory go.

Copies the cached ledger, optionally refreshes it once first (``--warm``: the everyday case of an
already refreshed file), then runs ``jobs.refresh`` with

- the default tracer: arbook's main I/O functions wrapped with timers (inclusive wall time,
  calls) while a thread samples RSS every few ms, so each function gets the highest RSS seen
  while it ran; low overhead, so the seconds are close to a plain run;
- ``--cprofile``: cProfile instead, printing the top functions (inflates Python loops; the
  ``.prof`` file stays in ``benchmarks/data/work/`` for snakeviz or pstats).

::

    python benchmarks/profile_refresh.py 100000 --warm
    python benchmarks/profile_refresh.py 1000000 --cprofile --sort cumulative --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import inspect
import pstats
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate_ledger import AS_OF, DATA_DIR, ensure_ledger
from run_once import rss_kb

from arbook import jobs

# (module, class or None, attribute): the functions a refresh spends its time in.
TRACED = [
    ("arbook.io.workbook_file", "WorkbookFile", "read_table"),
    ("arbook.io.xlsx.package", "Package", "read"),
    ("arbook.io.xlsx.book", None, "parse_shared_strings"),  # older arbook
    ("arbook.io.xlsx.sst", None, "parse_shared_strings"),
    ("arbook.io.xlsx.sst", "SharedStrings", "texts_at"),
    ("arbook.io.workbook_file", None, "scan_sheet"),
    ("arbook.io.workbook_file", "WorkbookFile", "_rows_with_user_data"),
    ("arbook.io.workbook_file", None, "raw_column"),
    ("arbook.jobs", None, "typed_frame"),
    ("arbook.jobs", None, "compute_ageing"),
    ("arbook.jobs", None, "computed_values"),
    ("arbook.io.workbook_file", "WorkbookFile", "write_computed"),
    ("arbook.io.workbook_file", None, "_styles_for"),
    ("arbook.io.workbook_file", None, "apply_edits"),
    ("arbook.io.xlsx.patch", None, "render_cells"),  # older arbook
    ("arbook.io.xlsx.patch", None, "render_run"),
    ("arbook.io.xlsx.patch", None, "number_cells"),
    ("arbook.io.xlsx.sst", "SharedStrings", "to_xml"),
    ("arbook.io.xlsx.patch", None, "splice"),
    ("arbook.io.workbook_file", "WorkbookFile", "write_block"),
    ("arbook.io.workbook_file", "WorkbookFile", "write_problems"),
    ("arbook.io.workbook_file", "WorkbookFile", "save"),
    ("arbook.io.xlsx.package", "Package", "write_to"),
    ("arbook.io.xlsx.package", None, "deflate_parallel"),
    ("arbook.io.xlsx.package", None, "_fsync_dir"),
]


@dataclass
class Stat:
    calls: int = 0
    seconds: float = 0.0
    peak_rss_kb: int = 0  # highest RSS sampled while the function ran
    start_rss_kb: int = 0  # RSS at its first call


@dataclass
class Tracer:
    """Timers around chosen functions, and an RSS sampler that knows which ones are running."""

    interval: float = 0.005
    stats: dict[str, Stat] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    peak_kb: int = 0
    peak_in: tuple[str, ...] = ()
    missing: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def wrap(self, module: str, owner: str | None, name: str) -> None:
        target: Any = importlib.import_module(module)
        if owner is not None:
            target = getattr(target, owner, None)
        original = inspect.getattr_static(target, name, None) if target is not None else None
        label = f"{owner}.{name}" if owner else name
        if original is None:
            self.missing.append(f"{module}.{label}")
            return
        static = isinstance(original, staticmethod)
        func = original.__func__ if static else original
        self.stats.setdefault(label, Stat())

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stat = self.stats[label]
            if stat.calls == 0:
                stat.start_rss_kb = rss_kb()
            stat.calls += 1
            self.active.append(label)
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                stat.seconds += time.perf_counter() - t0
                self.active.remove(label)

        setattr(target, name, staticmethod(timed) if static else timed)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            rss = rss_kb()
            active = tuple(self.active)
            for label in active:
                stat = self.stats[label]
                stat.peak_rss_kb = max(stat.peak_rss_kb, rss)
            if rss > self.peak_kb:
                self.peak_kb, self.peak_in = rss, active

    def run(self, call: Callable[[], Any]) -> Any:
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        try:
            return call()
        finally:
            self._stop.set()
            sampler.join()

    def report(self) -> str:
        lines = ["| function (inclusive) | calls | seconds | RSS at 1st call MB "
                 "| peak RSS while running MB |", "|---|---:|---:|---:|---:|"]
        for label, s in self.stats.items():
            if s.calls:
                peak = f"{s.peak_rss_kb / 1000:.0f}" if s.peak_rss_kb else "–"
                lines.append(f"| {label} | {s.calls} | {s.seconds:.2f} "
                             f"| {s.start_rss_kb / 1000:.0f} | {peak} |")
        lines.append("")
        lines.append(f"Peak RSS sampled: {self.peak_kb / 1000:.0f} MB, while in "
                     f"{' > '.join(self.peak_in) or '(no traced function)'}")
        missing = [m for m in self.missing if m.rsplit(".", 1)[-1] not in
                   {label.rsplit(".", 1)[-1] for label in self.stats}]
        if missing:
            lines.append(f"Not traced (renamed or removed in arbook): {', '.join(missing)}")
        return "\n".join(lines)


def prepare(rows: int, warm: bool) -> Path:
    """A fresh work copy of the cached ledger; with ``warm`` refreshed once (in another
    process, so this one's memory figures start clean)."""
    work = DATA_DIR / "work"
    work.mkdir(parents=True, exist_ok=True)
    book = work / f"profile-{rows}.xlsx"
    shutil.copyfile(ensure_ledger(rows), book)
    if warm:
        figures = book.with_suffix(".json")
        subprocess.run([sys.executable, str(Path(__file__).with_name("run_once.py")), "refresh",
                        str(book), str(figures), "--as-of", AS_OF.isoformat()], check=True)
        figures.unlink()
    return book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--warm", action="store_true", help="refresh once before profiling")
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of the tracer")
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    book = prepare(args.rows, args.warm)
    state = "warm" if args.warm else "cold"

    def refresh() -> jobs.RefreshResult:
        return jobs.refresh(book, as_of=AS_OF)

    t0 = time.perf_counter()
    if args.cprofile:
        profiler = cProfile.Profile()
        result = profiler.runcall(refresh)
        elapsed = time.perf_counter() - t0
        out = book.with_suffix(f".{state}.prof")
        profiler.dump_stats(str(out))
        print(f"{args.rows} rows, {state}: refresh {elapsed:.2f} s under cProfile")
        print("steps: " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
        pstats.Stats(str(out)).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        print(f"profile written to {out}")
        return 0
    tracer = Tracer()
    for module, owner, name in TRACED:
        tracer.wrap(module, owner, name)
    result = tracer.run(refresh)
    elapsed = time.perf_counter() - t0
    print(f"{args.rows:,} rows, {state}: refresh {elapsed:.2f} s (traced), arbook from "
          f"{Path(jobs.__file__).parent}\n")
    print("| step | seconds |\n|---|---:|")
    for step, seconds in result.timings.items():
        print(f"| {step} | {seconds:.2f} |")
    print()
    print(tracer.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
