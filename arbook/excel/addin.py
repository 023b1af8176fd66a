"""Build, check, install and uninstall the arbook Excel add-in (arbook.xlam).

Build: LibreOffice headless writes the VBA project into a new macro-enabled workbook
(``lo_vba.py``, run by an interpreter with LibreOffice's uno module); then the package is
finished at the byte level with zipfile: the ribbon part (customUI14.xml) and its relationship,
the add-in content type, fixed document properties and fixed zip dates, so the same sources
give the same file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET

from arbook.core.problems import ArbookError
from arbook.excel import vba
from arbook.excel.ribbon import custom_ui

UI_PART = "customUI/customUI14.xml"
UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
ADDIN_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_BOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
ADDIN_NAME = "arbook.xlam"
CONF_KEYS = ("INTERPRETER_WIN", "INTERPRETER_MAC", "UDF MODULES")
CORE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl'
    '.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>arbook</dc:title><dc:description>arbook ribbon add-in</dc:description>"
    "<cp:keywords>xlwings {xlwings}</cp:keywords>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2020-01-01T00:00:00Z</dcterms:created>'
    "</cp:coreProperties>"
)


# -- sources ---------------------------------------------------------------------------------


def write_sources(folder: Path) -> tuple[Path, Path]:
    """Write customUI14.xml and arbook.bas (ASCII, CRLF, as the VBA editor exports) from the
    ribbon table; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    ui = folder / "customUI14.xml"
    ui.write_text(custom_ui(), encoding="utf-8", newline="\n")
    bas = folder / "arbook.bas"
    bas.write_bytes(vba.arbook_module().encode("ascii"))
    return ui, bas


# -- build -----------------------------------------------------------------------------------


def uno_python(environ: Mapping[str, str] | None = None) -> str | None:
    """An interpreter that can import LibreOffice's uno module (Debian: python3-uno)."""
    environ = os.environ if environ is None else environ
    candidates = [environ.get("ARBOOK_UNO_PYTHON"), "/usr/bin/python3",
                  "/usr/lib/libreoffice/program/python",
                  "/Applications/LibreOffice.app/Contents/Resources/python", sys.executable]
    for candidate in filter(None, candidates):
        if shutil.which(candidate) is None:
            continue
        probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def build_addin(out: Path, ui_xml: Path, bas: Path, soffice: str | None = None) -> Path:
    """Build ``out`` (arbook.xlam) from the ribbon XML and arbook's VBA module text."""
    soffice = soffice or shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ArbookError("LibreOffice is needed to build the add-in: install it (Debian: "
                          "apt-get install libreoffice-calc-nogui python3-uno) and try again.")
    python = uno_python()
    if python is None:
        raise ArbookError("no Python with LibreOffice's uno module found: install python3-uno "
                          "(Debian) or set ARBOOK_UNO_PYTHON to LibreOffice's own python.")
    modules = vba.project_modules(bas.read_bytes().decode("ascii"))
    spec = {"project": vba.PROJECT,
            "modules": [{"name": m.name, "type": m.kind, "source": m.source} for m in modules]}
    with tempfile.TemporaryDirectory(prefix="arbook-addin-") as tmp:
        spec_file, raw = Path(tmp) / "spec.json", Path(tmp) / "raw.xlsm"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        script = Path(__file__).with_name("lo_vba.py")
        env = {**os.environ, "ARBOOK_SOFFICE": soffice}
        run = subprocess.run([python, str(script), str(spec_file), str(raw)], env=env,
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0 or not raw.exists():
            raise ArbookError(f"LibreOffice could not write the VBA project: "
                              f"{(run.stderr or run.stdout).strip()[-800:]}")
        fresh = Path(tmp) / out.name
        finish_package(raw, fresh, ui_xml.read_bytes())
        if out.exists() and same_content(out, fresh):
            return out  # only LibreOffice's random bytes would change: keep the file as it is
        shutil.copyfile(fresh, out)
    return out


def same_content(a: Path, b: Path) -> bool:
    """Two add-ins with the same parts, VBA compared by content (see ``vbaproject``)."""
    from arbook.excel.vbaproject import fingerprint

    def parts(path: Path) -> dict[str, object]:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
            out: dict[str, object] = {}
            for name in z.namelist():
                data = z.read(name)
                if name.endswith("vbaProject.bin"):
                    bin_path = Path(tmp) / "vba.bin"
                    bin_path.write_bytes(data)
                    out[name] = fingerprint(str(bin_path))
                else:
                    out[name] = data
            return out

    try:
        return parts(a) == parts(b)
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def finish_package(raw: Path, out: Path, ui_xml: bytes) -> None:
    """Copy LibreOffice's package part by part, adding the ribbon and the add-in type."""
    with zipfile.ZipFile(raw) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    if MACRO_BOOK_TYPE not in types:
        raise ArbookError("LibreOffice did not write a macro-enabled workbook")
    parts["[Content_Types].xml"] = types.replace(MACRO_BOOK_TYPE, ADDIN_TYPE).encode()
    rels = parts["_rels/.rels"].decode("utf-8")
    rel = f'<Relationship Id="arbookUI" Type="{UI_REL_TYPE}" Target="{UI_PART}"/>'
    parts["_rels/.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode()
    parts[UI_PART] = ui_xml
    parts["docProps/core.xml"] = CORE_XML.format(xlwings=vba.xlwings_version()).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        first = "[Content_Types].xml"
        for name in [first, *sorted(n for n in parts if n != first)]:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, parts[name])


# -- check -----------------------------------------------------------------------------------


@dataclass
class AddinInfo:
    problems: list[str]
    xlwings: str | None  # xlwings version whose VBA the add-in holds
    ui_xml: bytes | None


def inspect_addin(path: Path) -> AddinInfo:
    """Check an .xlam's package: VBA project, ribbon part and relationship, add-in type."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            read = {n: z.read(n) for n in names if not n.endswith(".bin")}
    except (OSError, zipfile.BadZipFile) as exc:
        return AddinInfo([f"{path}: not a readable add-in ({exc})"], None, None)
    if "xl/vbaProject.bin" not in names:
        problems.append("no VBA project (xl/vbaProject.bin)")
    types = read.get("[Content_Types].xml", b"").decode("utf-8", "replace")
    if ADDIN_TYPE not in types:
        problems.append("the workbook part is not typed as an add-in")
    rels = SafeET.fromstring(read.get("_rels/.rels", b"<r/>"))
    targets = {r.get("Target", "").lstrip("/") for r in rels if r.get("Type") == UI_REL_TYPE}
    if UI_PART not in targets:
        problems.append("no relationship to the ribbon (customUI14.xml)")
    ui = read.get(UI_PART)
    if ui is None:
        problems.append(f"no {UI_PART}")
    else:
        SafeET.fromstring(ui)  # well-formed, or it raises
    version = None
    core = read.get("docProps/core.xml", b"")
    marker = b"<cp:keywords>xlwings "
    if marker in core:
        version = core.split(marker, 1)[1].split(b"<", 1)[0].decode()
    return AddinInfo(problems, version, ui)


# -- install ---------------------------------------------------------------------------------


def default_xlam() -> Path:
    """workbook/arbook.xlam in the current folder, else in the source tree arbook runs from."""
    here = Path("workbook") / ADDIN_NAME
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / "workbook" / ADDIN_NAME


@dataclass(frozen=True)
class Locations:
    startup: Path  # Excel opens every file here at start
    config: Path  # xlwings' custom add-in config for the project "arbook"
    interpreter_key: str


def locations(platform: str, home: Path, environ: Mapping[str, str] | None = None
              ) -> Locations:
    """Where Excel loads add-ins from and where the add-in's xlwings code reads its config."""
    environ = os.environ if environ is None else environ
    if platform == "windows":
        appdata = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
        return Locations(appdata / "Microsoft" / "Excel" / "XLSTART",
                         home / f".{vba.PROJECT}" / f"{vba.PROJECT}.conf", "INTERPRETER_WIN")
    if platform == "macos":
        return Locations(
            home / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content"
            / "Startup" / "Excel",
            home / "Library" / "Containers" / "com.microsoft.Excel" / "Data"
            / f"{vba.PROJECT}.conf",
            "INTERPRETER_MAC")
    raise ArbookError(f"Excel add-ins are for Windows and macOS, not '{platform}'; use "
                      "--platform windows or --platform macos to install into a copied home.")


def current_platform() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)


def read_conf(path: Path) -> dict[str, str]:
    """xlwings' config file: one '"KEY","VALUE"' line per setting."""
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(",")
        if sep:
            out[key.strip().strip('"')] = value.strip().strip('"')
    return out


def _write_conf(path: Path, values: dict[str, str]) -> None:
    if not values:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'"{k}","{v}"\n' for k, v in values.items()), encoding="utf-8")


def install_addin(xlam: Path, platform: str, home: Path, interpreter: str,
                  environ: Mapping[str, str] | None = None) -> list[Path]:
    """Copy the add-in into Excel's startup folder and write the interpreter and UDF module
    into the add-in's xlwings config; returns the files written."""
    if not xlam.exists():
        raise ArbookError(f"{xlam}: no add-in file. Pass --xlam with the path of arbook.xlam "
                          "(in the repository's workbook folder), or build it with 'arbook "
                          "addin build'.")
    found = inspect_addin(xlam).problems
    if found:
        raise ArbookError(f"{xlam} is not a complete add-in: {'; '.join(found)}")
    where = locations(platform, home, environ)
    where.startup.mkdir(parents=True, exist_ok=True)
    target = where.startup / ADDIN_NAME
    shutil.copyfile(xlam, target)
    conf = read_conf(where.config)
    conf.update({where.interpreter_key: interpreter, "UDF MODULES": vba.UDF_MODULE})
    _write_conf(where.config, conf)
    written = [target, where.config]
    if platform == "macos":  # xlwings' RunPython on the Mac goes through this AppleScript
        from importlib import resources

        name = f"xlwings-{vba.xlwings_version()}.applescript"
        scripts = home / "Library" / "Application Scripts" / "com.microsoft.Excel"
        scripts.mkdir(parents=True, exist_ok=True)
        source = resources.files("xlwings") / name
        (scripts / name).write_bytes(source.read_bytes())
        written.append(scripts / name)
    return written


def uninstall_addin(platform: str, home: Path, environ: Mapping[str, str] | None = None
                    ) -> list[Path]:
    """Remove the add-in from the startup folder and arbook's keys from its config."""
    where = locations(platform, home, environ)
    removed = []
    target = where.startup / ADDIN_NAME
    if target.exists():
        target.unlink()
        removed.append(target)
    conf = read_conf(where.config)
    if conf:
        _write_conf(where.config, {k: v for k, v in conf.items() if k not in CONF_KEYS})
        removed.append(where.config)
    return removed
