"""Time ``arbook refresh`` on generated ledgers, with openpyxl load+save as the baseline.

For each size: copy the cached ledger, refresh it twice in fresh processes (cold: computed
columns still empty; warm: refreshing an already refreshed file, the everyday case), then
openpyxl load + edit two cells + save of the same file in its own process. Wall time, arbook's
step timings and each process's peak RSS (its own VmHWM) go into a Markdown table, printed and
written to ``benchmarks/results/refresh-<date>.md`` (raw figures next to it as JSON)::

    python benchmarks/bench_refresh.py                       # 10000 100000
    python benchmarks/bench_refresh.py --big --repeat 3      # + 1000000, median of 3
    python benchmarks/bench_refresh.py --big --rev HEAD      # a commit, not the working tree
    python benchmarks/bench_refresh.py 50000 --no-baseline
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

from generate_ledger import AS_OF, DATA_DIR, ensure_ledger

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
WORK_DIR = DATA_DIR / "work"
SECONDS_TARGET = {100_000: 1.5, 1_000_000: 15.0}  # refresh wall time, from the issue
MEMORY_TARGET_MB = {1_000_000: 1500.0}  # peak RSS
STEPS = ("read small tables", "read ledger", "convert ledger", "compute", "write ledger",
         "write start and problems", "save")


@dataclass
class Run:
    """One child process: wall time seen from outside, its peak RSS and its own figures."""

    kind: str
    wall_s: float
    peak_rss_mb: float
    figures: dict[str, object]


@dataclass
class SizeResult:
    rows: int
    file_mb: float
    sheet_xml_mb: float
    cold: Run
    warm: Run
    repeat: int = 1
    baseline: Run | None = None
    sources: list[str] = field(default_factory=list)  # arbook source fingerprints seen
    notes: list[str] = field(default_factory=list)


@dataclass
class Code:
    """The arbook source the measured processes import."""

    root: Path  # the folder holding arbook/
    label: str  # how the report names it

    def env(self) -> dict[str, str] | None:
        """Environment for the children (None: inherit, i.e. the editable install)."""
        if self.root == REPO:
            return None
        path = os.pathsep.join(p for p in (str(self.root), os.environ.get("PYTHONPATH")) if p)
        return {**os.environ, "PYTHONPATH": path}

    def fingerprint(self) -> str:
        """Short hash of the source files: tells whether the code changed between runs."""
        digest = hashlib.sha1()
        for path in sorted((self.root / "arbook").rglob("*.py")):
            digest.update(path.relative_to(self.root).as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:10]


def working_tree() -> Code:
    """arbook as it is on disk now (colleagues' uncommitted edits included)."""
    dirty = _git("status", "--porcelain", "--", "arbook").splitlines()
    state = ("clean" if not dirty else
             f"with uncommitted changes in {len(dirty)} file(s): "
             + ", ".join(line[3:] for line in dirty[:8]) + (" ..." if len(dirty) > 8 else ""))
    return Code(REPO, f"working tree at commit {_git('rev-parse', '--short', 'HEAD')}, "
                      f"arbook/ {state}")


def exported(rev: str) -> Code:
    """arbook/ of a commit, exported with ``git archive`` (read-only for the repository)."""
    sha = _git("rev-parse", "--short", rev)
    root = DATA_DIR / "src" / sha
    if not (root / "arbook").exists():
        tar = subprocess.run(["git", "archive", sha, "arbook"], cwd=REPO, capture_output=True,
                             check=True).stdout
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                archive.extractall(root, filter="data")
            else:
                archive.extractall(root)
    return Code(root, f"commit {sha} (arbook/ exported with git archive)")


def measure(kind: str, book: Path, code: Code) -> Run:
    """Run ``run_once.py kind book`` in a fresh interpreter: wall time and its peak RSS."""
    out = book.with_suffix(f".{kind}.json")
    log = book.with_suffix(f".{kind}.log")
    out.unlink(missing_ok=True)
    command = [sys.executable, str(HERE / "run_once.py"), kind, str(book), str(out),
               "--as-of", AS_OF.isoformat()]
    source = code.fingerprint()
    t0 = time.perf_counter()
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                env=code.env())
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} on {book.name} failed ({proc.returncode}):\n"
                           + log.read_text(errors="replace")[-3000:])
    figures = json.loads(out.read_text())
    out.unlink()
    log.unlink()
    # The child's own VmHWM; wait4's ru_maxrss (KiB) is floored by this process's RSS at fork.
    figures["wait4_maxrss_kb"] = usage.ru_maxrss
    figures["arbook_source"] = source
    return Run(kind, wall, int(figures["peak_rss_kb"]) * 1024 / 1e6, figures)


def sheet_xml_size(book: Path) -> int:
    """Uncompressed size of the largest worksheet part (the ledger)."""
    with zipfile.ZipFile(book) as zf:
        return max(i.file_size for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))


def _median(runs: list[Run]) -> Run:
    """The run with the median refresh time (the lower middle for an even count)."""
    return sorted(runs, key=lambda r: r.figures["refresh_s"])[(len(runs) - 1) // 2]


def bench_size(n: int, code: Code, baseline: bool, keep: bool, repeat: int = 1) -> SizeResult:
    """Cold and warm refresh of one ledger size, then the openpyxl baseline on the same file.

    With ``repeat`` > 1 the cold+warm pair runs on fresh copies that often; the median is kept.
    """
    source = ensure_ledger(n)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    book = WORK_DIR / f"ledger-{n}.xlsx"
    colds, warms = [], []
    for i in range(repeat):
        shutil.copyfile(source, book)
        tag = f"{n:>9} rows" if i == 0 else ""
        for label, runs in (("cold", colds), ("warm", warms)):
            run = measure("refresh", book, code)
            runs.append(run)
            print(f"{tag:>14} refresh {label} #{i + 1}: {run.figures['refresh_s']:.2f} s, "
                  f"{run.peak_rss_mb:.0f} MB", flush=True)
            tag = ""
    result = SizeResult(n, source.stat().st_size / 1e6, sheet_xml_size(source) / 1e6,
                        _median(colds), _median(warms), repeat=repeat)
    result.sources = sorted({str(run.figures["arbook_source"]) for run in colds + warms})
    for run in colds + warms:
        if run.figures["rows"] != n:
            result.notes.append(f"refresh read {run.figures['rows']} rows, expected {n}")
    if baseline:
        base_book = WORK_DIR / f"ledger-{n}-openpyxl.xlsx"
        shutil.copyfile(source, base_book)
        result.baseline = measure("openpyxl", base_book, code)
        result.sources = sorted({*result.sources, str(result.baseline.figures["arbook_source"])})
        print(f"{'':>14} openpyxl load+save: {result.baseline.figures['total_s']:.1f} s, "
              f"{result.baseline.peak_rss_mb:.0f} MB", flush=True)
        if not keep:
            base_book.unlink()
    if not keep:
        for path in (book, book.with_name(f"{book.stem}.backup{book.suffix}")):
            path.unlink(missing_ok=True)
    return result


# -- report --------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def environment(code: Code) -> list[str]:
    """Machine, library versions and the arbook code state the figures belong to."""
    cpu = platform.processor() or platform.machine()
    mem_gib = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (OSError, ValueError):
        pass
    libs = ", ".join(f"{name} {version(name)}" for name in
                     ("numpy", "pandas", "openpyxl", "python-calamine"))
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {mem_gib:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, {libs}",
        f"- arbook: {code.label} (source fingerprint {code.fingerprint()})",
        f"- Ledgers from `benchmarks/generate_ledger.py` (seed 1, Excel form: shared strings, "
        f"computed columns empty); refresh as of {AS_OF.isoformat()}.",
        "- Every measurement runs in a fresh process. *refresh()* is `jobs.refresh` alone; "
        "*process* adds interpreter start and imports (what `arbook refresh` costs). "
        "Memory is the process's peak RSS in MB (10^6 bytes).",
    ]


def _verdict(r: SizeResult) -> str:
    worst = max(r.cold.figures["refresh_s"], r.warm.figures["refresh_s"])
    peak = max(r.cold.peak_rss_mb, r.warm.peak_rss_mb)
    parts = []
    if r.rows in SECONDS_TARGET:
        limit = SECONDS_TARGET[r.rows]
        parts.append(f"≤ {limit:g} s: {'met' if worst <= limit else '**missed**'}")
    if r.rows in MEMORY_TARGET_MB:
        limit = MEMORY_TARGET_MB[r.rows]
        parts.append(f"≤ {limit / 1000:g} GB: {'met' if peak <= limit else '**missed**'}")
    return "; ".join(parts) or "–"


def markdown(results: list[SizeResult], title: str, code: Code) -> str:
    """The results as Markdown: summary, refresh steps, baseline."""
    repeats = sorted({r.repeat for r in results})
    how = ("one cold and one warm run per size" if repeats == [1] else
           f"median of {'/'.join(map(str, repeats))} cold and warm runs per size (fresh copies)")
    lines = [f"# {title}", "", *environment(code), f"- refresh figures: {how}; cold = computed "
             "columns still empty, warm = the same file refreshed again (the everyday case).",
             "", "## Summary", "",
             "| Rows | File MB | Sheet XML MB | refresh() cold s | refresh() warm s "
             "| process warm s | peak RSS cold / warm MB | openpyxl load+save s "
             "| openpyxl peak MB | openpyxl ÷ refresh warm | Target |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        base = r.baseline
        ratio = (f"{base.figures['total_s'] / r.warm.figures['refresh_s']:.0f}×"
                 if base else "–")
        base_cells = (f"{base.figures['total_s']:.1f} | {base.peak_rss_mb:.0f} | {ratio}"
                      if base else "– | – | –")
        lines.append(
            f"| {r.rows:,} | {r.file_mb:.1f} | {r.sheet_xml_mb:.0f} "
            f"| {r.cold.figures['refresh_s']:.2f} | {r.warm.figures['refresh_s']:.2f} "
            f"| {r.warm.wall_s:.2f} | {r.cold.peak_rss_mb:.0f} / {r.warm.peak_rss_mb:.0f} "
            f"| {base_cells} | {_verdict(r)} |"
        )
    lines += ["", "## refresh steps (arbook's `timings`, seconds)", "",
              "| Rows | Run | " + " | ".join(STEPS) + " | refresh() | process | import "
              "| peak RSS MB | problems |",
              "|---:|---|" + "---:|" * (len(STEPS) + 5)]
    for r in results:
        for label, run in (("cold", r.cold), ("warm", r.warm)):
            timings = run.figures["timings"]
            cells = " | ".join(f"{timings.get(s, float('nan')):.2f}" for s in STEPS)
            lines.append(f"| {r.rows:,} | {label} | {cells} | {run.figures['refresh_s']:.2f} "
                         f"| {run.wall_s:.2f} | {run.figures['import_s']:.2f} "
                         f"| {run.peak_rss_mb:.0f} | {run.figures['problems']} |")
    if any(r.baseline for r in results):
        lines += ["", "## Baseline: openpyxl load_workbook + 2 cells + save (seconds)", "",
                  "| Rows | load | edit | save | load+save | process | peak RSS MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results:
            if r.baseline:
                f = r.baseline.figures
                lines.append(f"| {r.rows:,} | {f['load_s']:.1f} | {f['edit_s']:.2f} "
                             f"| {f['save_s']:.1f} | {f['total_s']:.1f} "
                             f"| {r.baseline.wall_s:.1f} | {r.baseline.peak_rss_mb:.0f} |")
    notes = [f"- {r.rows:,}: {note}" for r in results for note in r.notes]
    sources = {source for r in results for source in r.sources}
    if len(sources) > 1:
        notes.append(f"- **arbook's source changed during the run** ({len(sources)} versions: "
                     f"{', '.join(sorted(map(str, sources)))}); the figures mix code states.")
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, help="rows (default: 10000 100000)")
    parser.add_argument("--big", action="store_true", help="add 1000000 rows")
    parser.add_argument("--repeat", type=int, default=1,
                        help="cold+warm pairs per size; the median is reported (default 1)")
    parser.add_argument("--no-baseline", action="store_true", help="skip openpyxl")
    parser.add_argument("--keep", action="store_true", help=f"keep the copies in {WORK_DIR}")
    parser.add_argument("--out", type=Path, help="Markdown file (default: results/refresh-DATE.md)")
    parser.add_argument("--rev", help="measure arbook/ of this commit (git archive) instead of "
                        "the working tree, e.g. HEAD while colleagues edit files")
    args = parser.parse_args(argv)
    sizes = args.sizes or [10_000, 100_000]
    if args.big and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    for n in sizes:  # generate first, so generation never overlaps a measurement
        ensure_ledger(n)
    code = exported(args.rev) if args.rev else working_tree()
    print(f"arbook: {code.label}", flush=True)
    results = [bench_size(n, code, not args.no_baseline, args.keep, args.repeat) for n in sizes]
    today = date.today().isoformat()
    out = args.out or RESULTS_DIR / f"refresh-{today}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(results, f"arbook refresh benchmark, {today}", code)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    out.with_suffix(".json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    print()
    print(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
