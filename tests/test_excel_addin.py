"""The ribbon, its VBA and its Python entry points agree; the add-in installs and uninstalls.

The cross-check reads the committed customUI14.xml and arbook.bas as text, independently of the
generator: every button's onAction has a VBA Sub, every Sub runs a Python function that exists.
"""

from __future__ import annotations

import inspect
import re
import sys
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from arbook.excel import entry, udfs, vba
from arbook.excel.addin import (
    ADDIN_NAME,
    MACRO_BOOK_TYPE,
    finish_package,
    inspect_addin,
    install_addin,
    locations,
    read_conf,
    uninstall_addin,
)
from arbook.excel.doctor import check_addin
from arbook.excel.ribbon import BUTTONS, GROUPS, NS, custom_ui

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
RUN_PYTHON = re.compile(r'RunPython "import arbook\.excel\.entry as e; e\.(\w+)\(\)"')


def subs_of(bas: str) -> dict[str, str]:
    """VBA Sub/Function name -> its body."""
    found = re.finditer(r"^(?:Public |Private )?(Sub|Function) (\w+)\(([^)]*)\)(.*?)^End \1",
                        bas, re.MULTILINE | re.DOTALL)
    return {m.group(2): m.group(3) + "|" + m.group(4) for m in found}


def cross_check(ui_xml: str, bas: str) -> list[str]:
    """Every ribbon button -> a VBA callback -> an existing Python entry point."""
    errors = []
    root = SafeET.fromstring(ui_xml.encode())
    subs = subs_of(bas)
    q = f"{{{NS}}}"
    controls = [*root.iter(f"{q}group"), *root.iter(f"{q}button")]
    for control in controls:
        ident = control.get("id")
        label_callback = control.get("getLabel")
        if label_callback not in subs:
            errors.append(f"{ident}: no VBA Sub {label_callback} for its label")
        if f'Case "{ident}": label = ' not in bas:
            errors.append(f"{ident}: no label in the VBA label callback")
    for button in root.iter(f"{q}button"):
        ident, action = button.get("id"), button.get("onAction")
        if not button.get("imageMso"):
            errors.append(f"{ident}: no imageMso icon")
        body = subs.get(action)
        if body is None or not body.startswith("control As IRibbonControl|"):
            errors.append(f"{ident}: no VBA Sub {action}(control As IRibbonControl)")
            continue
        call = RUN_PYTHON.search(body)
        if call is None:
            errors.append(f"{ident}: {action} does not call RunPython on arbook.excel.entry")
            continue
        function = getattr(entry, call.group(1), None)
        if not callable(function):
            errors.append(f"{ident}: arbook.excel.entry.{call.group(1)} does not exist")
        elif any(p.default is p.empty for p in inspect.signature(function).parameters.values()):
            errors.append(f"{ident}: entry.{call.group(1)} needs arguments RunPython cannot give")
    return errors


def committed() -> tuple[str, str]:
    return ((WORKBOOK / "customUI14.xml").read_text(encoding="utf-8"),
            (WORKBOOK / "arbook.bas").read_bytes().decode("ascii"))


def test_committed_ribbon_and_vba_are_what_the_table_generates():
    ui, bas = committed()
    assert ui == custom_ui(), "run 'arbook addin build'"
    assert bas == vba.arbook_module(), "run 'arbook addin build'"
    assert "\r\n" in bas and "\n" not in bas.replace("\r\n", "")  # as the VBA editor exports


def test_every_button_has_a_callback_that_runs_an_existing_entry_point():
    assert cross_check(*committed()) == []


@pytest.mark.parametrize("break_it", [
    lambda ui, bas: (ui, bas.replace("Public Sub ArbRefresh(", "Public Sub ArbRefreshed(")),
    lambda ui, bas: (ui, bas.replace("e.refresh()", "e.refresh_all()")),
    lambda ui, bas: (ui.replace('onAction="ArbAbout"', 'onAction="ArbAboutX"'), bas),
    lambda ui, bas: (ui, bas.replace('Case "arbDocs"', 'Case "arbDoc"')),
], ids=["callback renamed", "entry point missing", "onAction typo", "label missing"])
def test_the_cross_check_catches_a_broken_link(break_it):
    assert cross_check(*break_it(*committed()))


def test_pending_buttons_stay_out_of_the_ribbon_and_the_rest_are_in():
    ui, _ = committed()
    ids = {b.get("id") for b in SafeET.fromstring(ui.encode()).iter(f"{{{NS}}}button")}
    for button in BUTTONS:
        assert (button.id in ids) == (not button.pending), button.id
        assert not button.pending or re.fullmatch(r"issue \d+", button.pending)
    assert {b.group for b in BUTTONS} <= {g.id for g in GROUPS}
    assert len({b.id for b in BUTTONS}) == len(BUTTONS)
    assert len({b.callback for b in BUTTONS}) == len(BUTTONS)


def test_udf_wrappers_forward_to_python_functions_with_the_same_arguments():
    _, bas = committed()
    wrappers = {name: body for name, body in subs_of(bas).items() if name.startswith("ARB_")}
    assert set(wrappers) == {f.__name__ for f in udfs.UDFS}
    for func in udfs.UDFS:
        args, _, body = wrappers[func.__name__].partition("|")
        names = list(inspect.signature(func).parameters)
        assert [a.replace("Optional ", "").strip() for a in args.split(",")] == names
        assert (f'XLPy.CallUDF("arbook.excel.udfs", "{func.__name__}", '
                f'Array({", ".join(names)})') in body


# -- install ---------------------------------------------------------------------------------


def fake_addin(path: Path, xlwings_version: str | None = None) -> Path:
    """An add-in package without LibreOffice: a stand-in VBA part, finished as the build does."""
    raw = path.with_suffix(".raw.xlsm")
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("[Content_Types].xml", f'<Types><Override PartName="/xl/workbook.xml" '
                   f'ContentType="{MACRO_BOOK_TYPE}"/></Types>')
        z.writestr("_rels/.rels", "<Relationships></Relationships>")
        z.writestr("xl/vbaProject.bin", b"not a real VBA project")
        z.writestr("docProps/core.xml", "<x/>")
    finish_package(raw, path, custom_ui().encode())
    if xlwings_version:  # pretend it was built with another xlwings
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts["docProps/core.xml"] = parts["docProps/core.xml"].replace(
            f"xlwings {vba.xlwings_version()}".encode(), f"xlwings {xlwings_version}".encode())
        with zipfile.ZipFile(path, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
    return path


@pytest.mark.parametrize("platform", ["windows", "macos"])
def test_install_then_uninstall_in_a_fake_home(tmp_path, platform):
    home = tmp_path / "home"
    environ = {"APPDATA": str(home / "AppData" / "Roaming")}
    xlam = fake_addin(tmp_path / ADDIN_NAME)
    where = locations(platform, home, environ)
    where.config.parent.mkdir(parents=True)
    where.config.write_text('"LOG FILE","C:\\\\keep\\\\me.txt"\n', encoding="utf-8")

    written = install_addin(xlam, platform, home, sys.executable, environ)

    assert (where.startup / ADDIN_NAME).read_bytes() == xlam.read_bytes()
    assert where.startup / ADDIN_NAME in written
    conf = read_conf(where.config)
    assert conf[where.interpreter_key] == sys.executable
    assert conf["UDF MODULES"] == "arbook.excel.udfs" and "LOG FILE" in conf
    if platform == "windows":
        assert where.startup == home / "AppData/Roaming/Microsoft/Excel/XLSTART"
        assert where.config == home / ".arbook" / "arbook.conf"
    else:
        assert "UBF8T346G9.Office/User Content/Startup/Excel" in where.startup.as_posix()
        script = f"xlwings-{vba.xlwings_version()}.applescript"
        assert (home / "Library/Application Scripts/com.microsoft.Excel" / script).exists()
    assert all(c.ok for c in check_addin(platform, home, environ)), \
        check_addin(platform, home, environ)

    uninstall_addin(platform, home, environ)
    assert not (where.startup / ADDIN_NAME).exists()
    assert read_conf(where.config) == {"LOG FILE": "C:\\\\keep\\\\me.txt"}
    assert not all(c.ok for c in check_addin(platform, home, environ))


def test_install_refuses_a_workbook_that_is_not_an_addin(tmp_path):
    from arbook import jobs
    from arbook.core.problems import ArbookError

    book = jobs.init_book(tmp_path / "b.xlsx")
    assert inspect_addin(book).problems
    with pytest.raises(ArbookError, match="not a complete add-in"):
        install_addin(book, "windows", tmp_path / "home", sys.executable, {})


def test_doctor_names_an_xlwings_mismatch_and_the_fix(tmp_path):
    home = tmp_path / "home"
    xlam = fake_addin(tmp_path / ADDIN_NAME, xlwings_version="0.1.0")
    install_addin(xlam, "windows", home, sys.executable, {})
    checks = {c.name: c for c in check_addin("windows", home, {})}
    assert not checks["xlwings VBA"].ok
    assert "0.1.0" in checks["xlwings VBA"].detail and "arbook addin build" in \
        checks["xlwings VBA"].fix
    assert checks["interpreter"].ok and checks["UDF module"].ok


def test_platforms_without_excel_are_refused():
    from arbook.core.problems import ArbookError

    with pytest.raises(ArbookError, match="Windows and macOS"):
        locations("linux", Path("/tmp"))


@pytest.mark.parametrize("command", ["build", "install", "uninstall"])
def test_addin_subcommands_have_help_with_an_example(command):
    from click.testing import CliRunner

    from arbook.cli import main

    result = CliRunner().invoke(main, ["addin", command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"arbook addin {command}" in result.output


def test_cli_install_and_doctor_in_a_fake_home(tmp_path):
    from click.testing import CliRunner

    from arbook.cli import main

    home = tmp_path / "home"
    xlam = fake_addin(tmp_path / ADDIN_NAME)
    runner = CliRunner()
    done = runner.invoke(main, ["addin", "install", "--xlam", str(xlam), "--platform", "macos",
                                "--home", str(home)])
    assert done.exit_code == 0, done.output
    doctor = runner.invoke(main, ["doctor", "--platform", "macos", "--home", str(home)])
    assert doctor.exit_code == 0 and "FIX" not in doctor.output, doctor.output
    runner.invoke(main, ["addin", "uninstall", "--platform", "macos", "--home", str(home)])
    doctor = runner.invoke(main, ["doctor", "--platform", "macos", "--home", str(home)])
    assert doctor.exit_code == 1 and "arbook addin install" in doctor.output


def test_doctor_finds_a_missing_table_in_the_book(tmp_path):
    from openpyxl import load_workbook

    from arbook import jobs
    from arbook.excel.doctor import check_book
    from arbook.io.workbook_file import WorkbookFile

    path = jobs.init_book(tmp_path / "b.xlsx")
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if "tblDunning" in ws.tables:
            del ws.tables["tblDunning"]
    wb.save(path)
    with WorkbookFile(path) as book:
        checks = {c.name: c for c in check_book(book)}
    assert not checks["table tblDunning"].ok and "arbook init" in checks["table tblDunning"].fix
    assert all(c.ok for name, c in checks.items() if name != "table tblDunning")
