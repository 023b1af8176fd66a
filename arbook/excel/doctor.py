"""'arbook doctor': check the chain from Excel to arbook and say what to fix.

Python -> xlwings -> the installed add-in (its VBA comes from one xlwings version) -> the
add-in's config (interpreter, UDF module) -> the workbook's tables. Each check says what it
found and, when it fails, the one thing to do about it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from arbook.core.problems import ArbookError
from arbook.core.schema import (
    CUSTOMERS,
    DUNNING,
    INVOICES,
    PAYMENTS,
    PROBLEMS,
    REMINDERS,
    SETTINGS,
)
from arbook.excel import vba
from arbook.excel.addin import ADDIN_NAME, inspect_addin, locations, read_conf
from arbook.io.port import WorkbookPort

BOOK_TABLES = (INVOICES, CUSTOMERS, PAYMENTS, SETTINGS, PROBLEMS, REMINDERS, DUNNING)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_python() -> list[Check]:
    version = ".".join(map(str, sys.version_info[:3]))
    checks = [Check("Python", sys.version_info >= (3, 11), f"{version} at {sys.executable}",
                    "install Python 3.11 or later and arbook into it")]
    try:
        checks.append(Check("xlwings", True, vba.xlwings_version()))
    except ImportError:
        checks.append(Check("xlwings", False, "not installed", "pip install xlwings"))
    return checks


def check_addin(platform: str, home: Path, environ: Mapping[str, str] | None = None
                ) -> list[Check]:
    """The add-in in Excel's startup folder, its VBA's xlwings version and its config."""
    where = locations(platform, home, environ)
    installed = where.startup / ADDIN_NAME
    if not installed.exists():
        return [Check("add-in", False, f"not in {where.startup}",
                      "run 'arbook addin install'")]
    info = inspect_addin(installed)
    checks = [Check("add-in", not info.problems, "; ".join(info.problems) or str(installed),
                    "run 'arbook addin install' again (it copies a complete add-in)")]
    python_side = vba.xlwings_version()
    checks.append(Check(
        "xlwings VBA", info.xlwings == python_side,
        f"add-in VBA from xlwings {info.xlwings}, Python has xlwings {python_side}",
        "rebuild and reinstall the add-in ('arbook addin build', 'arbook addin install'), "
        f"or pip install xlwings=={info.xlwings}"))
    conf = read_conf(where.config)
    interpreter = conf.get(where.interpreter_key, "")
    checks.append(Check(
        "interpreter", bool(interpreter) and Path(interpreter).exists(),
        f"{where.interpreter_key} = {interpreter or '(not set)'} in {where.config}",
        "run 'arbook addin install' with the Python that has arbook installed"))
    checks.append(Check("UDF module", conf.get("UDF MODULES") == vba.UDF_MODULE,
                        f"UDF MODULES = {conf.get('UDF MODULES', '(not set)')}",
                        "run 'arbook addin install'"))
    return checks


def check_book(book: WorkbookPort) -> list[Check]:
    """Every table arbook uses is there, with its key column."""
    checks = []
    for spec in BOOK_TABLES:
        if not book.has_table(spec.name):
            checks.append(Check(f"table {spec.name}", False, f"missing in {book.name}",
                                f"restore it from a book made by 'arbook init' (sheet "
                                f"{spec.sheet('de')} / {spec.sheet('en')})"))
            continue
        try:
            raw = book.read_table(spec, keys=(spec.key,) if spec.key else ())
        except ArbookError as exc:
            checks.append(Check(f"table {spec.name}", False, str(exc), "rename the column back"))
            continue
        checks.append(Check(f"table {spec.name}", True, f"{len(raw)} rows"))
    return checks


def report(checks: list[Check]) -> str:
    """One line per check; failed ones with what to do."""
    lines = []
    for c in checks:
        lines.append(f"{'OK ' if c.ok else 'FIX'} {c.name}: {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"    -> {c.fix}")
    return "\n".join(lines)
