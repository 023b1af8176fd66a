"""Dependencies point down: core/ stays pure (DESIGN, layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import arbook

PACKAGE = Path(arbook.__file__).parent
ADAPTER_LIBRARIES = {"openpyxl", "python_calamine", "xlwings", "jinja2", "smtplib", "sqlite3",
                     "click", "rich", "defusedxml", "zipfile", "pathlib", "os", "shutil", "io"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_adapter_library_and_no_outer_layer():
    offenders = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        for name in imports_of(path):
            top = name.split(".")[0]
            outer = name.startswith("arbook.") and not name.startswith("arbook.core")
            if top in ADAPTER_LIBRARIES or outer:
                offenders.append(f"{path.name} imports {name}")
    assert offenders == []


def test_adapters_do_not_import_entry_points():
    for path in sorted([*(PACKAGE / "io").rglob("*.py"), *(PACKAGE / "mail").rglob("*.py")]):
        for name in imports_of(path):
            assert name not in {"arbook.cli", "arbook.jobs"}, f"{path} imports {name}"


def test_the_check_itself_catches_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import openpyxl\nfrom arbook.io import template\n")
    assert imports_of(bad) == {"openpyxl", "arbook.io"}


def test_only_the_excel_front_door_imports_xlwings_or_arbook_excel():
    """Jobs and adapters run without Excel; excel/ sits on top of them, beside the CLI."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "excel" in path.relative_to(PACKAGE).parts or path.name == "cli.py":
            continue
        for name in imports_of(path):
            assert name.split(".")[0] != "xlwings", f"{path} imports {name}"
            assert not name.startswith("arbook.excel"), f"{path} imports {name}"
