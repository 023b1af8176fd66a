"""The VBA of the add-in, as text: arbook's module (generated) and xlwings' add-in modules.

arbook's module holds the ribbon's label callback, one Sub per button calling xlwings'
``RunPython`` and one wrapper per worksheet function (as xlwings' "Import Functions" writes
them). xlwings' own custom add-in module and its Dictionary class (for the Mac) are taken
from the installed xlwings package at build time, so the VBA always matches the Python side.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib import resources

from arbook.excel.ribbon import GERMAN_UI, GROUPS, LABEL_CALLBACK, MODULE, ribbon_buttons

PROJECT = "arbook"  # VBA project name; also xlwings' config name: ~/.arbook/arbook.conf
UDF_MODULE = "arbook.excel.udfs"


@dataclass(frozen=True)
class VbaModule:
    name: str
    kind: str  # normal or class
    source: str  # as the VBA editor shows it: no Attribute lines, LF line ends


def vba_text(text: str) -> str:
    """A VBA string expression in plain ASCII: other letters as ChrW(code), because the VBA
    project's code page differs between Windows, the Mac and LibreOffice's export."""
    parts, literal = [], ""
    for char in text:
        if char.isascii():
            literal += '""' if char == '"' else char
            continue
        if literal:
            parts.append(f'"{literal}"')
            literal = ""
        parts.append(f"ChrW({ord(char)})")
    if literal or not parts:
        parts.append(f'"{literal}"')
    return " & ".join(parts)


def code_lines(text: str) -> str:
    """Module text without the header and Attribute lines the VBA editor hides, LF ends
    (LibreOffice stores lines with CRLF, as VBA does)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION "):  # class header: VERSION, BEGIN ... END
        lines = lines[lines.index("END") + 1:]
    kept = [line for line in lines if not line.startswith("Attribute ")]
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"


def _udf_wrapper(func) -> list[str]:
    """A VBA function forwarding its arguments to the Python UDF (Windows; xlwings' form)."""
    name = func.__name__
    params = inspect.signature(func).parameters.values()
    sig = ", ".join(("Optional " if p.default is not p.empty else "") + p.name for p in params)
    args = ", ".join(p.name for p in inspect.signature(func).parameters.values())
    return [
        f"Function {name}({sig})",
        "    If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f'    {name} = XLPy.CallUDF("{UDF_MODULE}", "{name}", Array({args}), ActiveWorkbook, '
        "Application.Caller)",
        "    Exit Function",
        "failed:",
        f"    {name} = Err.Description",
        "End Function",
        "",
    ]


def arbook_module() -> str:
    """arbook.bas, as exported by the VBA editor (with its VB_Name attribute)."""
    from arbook.excel.udfs import UDFS

    german = ", ".join(str(code) for code in GERMAN_UI)
    out = [
        f'Attribute VB_Name = "{MODULE}"',
        "' arbook ribbon callbacks and worksheet functions. Generated from arbook/excel/ribbon.py",
        "' and arbook/excel/udfs.py: edit those and run 'arbook addin build'.",
        "Option Explicit",
        "",
        "Private Function ArbGerman() As Boolean",
        "    On Error Resume Next",
        "    Select Case Application.LanguageSettings.LanguageID(2)",
        f"        Case {german}: ArbGerman = True",
        "    End Select",
        "End Function",
        "",
        f"Public Sub {LABEL_CALLBACK}(control As IRibbonControl, ByRef label)",
        "    Dim de As Boolean",
        "    de = ArbGerman()",
        "    Select Case control.Id",
    ]
    for item in (*GROUPS, *ribbon_buttons()):
        out.append(f'        Case "{item.id}": label = IIf(de, {vba_text(item.de)}, '
                   f"{vba_text(item.en)})")
    out += ["    End Select", "End Sub", ""]
    for b in ribbon_buttons():
        out += [f"Public Sub {b.callback}(control As IRibbonControl)",
                f"    RunPython {vba_text(b.python)}", "End Sub", ""]
    for func in UDFS:
        out += _udf_wrapper(func)
    return "\r\n".join(out)


def xlwings_modules() -> list[VbaModule]:
    """xlwings' custom add-in module (RunPython, config) and Dictionary class, for PROJECT."""
    package = resources.files("xlwings")
    main = (package / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    marker = 'PROJECT_NAME As String = "myaddin"'
    if marker not in main:
        raise RuntimeError("xlwings_custom_addin.bas changed: PROJECT_NAME not found")
    main = main.replace(marker, f'PROJECT_NAME As String = "{PROJECT}"')
    dictionary = (package / "addin" / "Dictionary.cls").read_text(encoding="utf-8")
    return [VbaModule("xlwings", "normal", code_lines(main)),
            VbaModule("Dictionary", "class", code_lines(dictionary))]


def project_modules(arbook_bas: str) -> list[VbaModule]:
    """All modules of the add-in's VBA project, arbook's from the given .bas text."""
    return [VbaModule(MODULE, "normal", code_lines(arbook_bas)), *xlwings_modules()]


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__
