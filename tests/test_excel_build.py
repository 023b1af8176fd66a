"""'arbook addin build' with LibreOffice: the VBA reads back as written, the package is an add-in,
LibreOffice opens it, and a rebuild from the same sources leaves the file alone."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from arbook.excel import vba
from arbook.excel.addin import build_addin, inspect_addin, same_content, uno_python
from arbook.excel.vbaproject import decrypt

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
SOFFICE = shutil.which("soffice")
olevba = pytest.importorskip("oletools.olevba", reason="oletools (test extra) reads VBA back")

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice headless ('soffice') is not on PATH"),
    pytest.mark.skipif(uno_python() is None,
                       reason="no Python with LibreOffice's uno module (Debian: python3-uno)"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "arbook.xlam"
    return build_addin(out, WORKBOOK / "customUI14.xml", WORKBOOK / "arbook.bas")


def modules_read_back(path: Path) -> dict[str, str]:
    parser = olevba.VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _f, _s, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_the_vba_reads_back_identical_to_the_source_text(built):
    back = modules_read_back(built)
    source = (WORKBOOK / "arbook.bas").read_bytes().decode("ascii")
    assert set(back) == {"arbook", "xlwings", "Dictionary"}
    for name, module in [("arbook", source), *((m.name, m.source) for m in
                                               vba.xlwings_modules())]:
        assert vba.code_lines(back[name]) == vba.code_lines(module), name
    assert '"Entw" & ChrW(252) & "rfe"' in back["arbook"]  # letters beyond ASCII as ChrW
    assert 'PROJECT_NAME As String = "arbook"' in back["xlwings"]
    assert f'XLWINGS_VERSION As String = "{vba.xlwings_version()}"' in back["xlwings"]


def test_the_package_is_an_addin_with_the_ribbon(built):
    info = inspect_addin(built)
    assert info.problems == []
    assert info.ui_xml == (WORKBOOK / "customUI14.xml").read_bytes()
    assert info.xlwings == vba.xlwings_version()


def test_the_vba_project_is_unprotected_visible_and_without_password(built, tmp_path):
    import olefile

    with zipfile.ZipFile(built) as z:
        (tmp_path / "vba.bin").write_bytes(z.read("xl/vbaProject.bin"))
    with olefile.OleFileIO(str(tmp_path / "vba.bin")) as ole:
        project = ole.openstream("PROJECT").read().decode("latin-1")
    values = dict(line.split("=", 1) for line in project.splitlines() if "=" in line)
    assert decrypt(values["CMG"].strip('"')) == bytes(4)  # MS-OVBA 2.3.1.15: not protected
    assert decrypt(values["DPB"].strip('"')) == b"\x00"  # 2.3.1.16: no password
    assert decrypt(values["GC"].strip('"')) == b"\xff"  # 2.3.1.17: visible
    assert 'Name="arbook"' in project


def test_libreoffice_opens_the_addin_and_keeps_its_vba(built, tmp_path):
    # LibreOffice's type detection does not know the add-in content type (Excel does), so the
    # import filter is named; LibreOffice then loads the book and its VBA and saves both again.
    run = subprocess.run([SOFFICE, "--headless", "--norestore",
                          f"-env:UserInstallation=file://{tmp_path}/profile",
                          "--infilter=Calc MS Excel 2007 VBA XML",
                          "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML",
                          "--outdir", str(tmp_path), str(built)],
                         capture_output=True, text=True, timeout=180)
    converted = tmp_path / "arbook.xlsm"
    assert converted.exists(), run.stderr
    again = modules_read_back(converted)
    assert vba.code_lines(again["arbook"]) == vba.code_lines(modules_read_back(built)["arbook"])


def test_a_rebuild_from_the_same_sources_leaves_the_file_alone(built, tmp_path):
    copy = tmp_path / "arbook.xlam"
    shutil.copyfile(built, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    build_addin(copy, WORKBOOK / "customUI14.xml", WORKBOOK / "arbook.bas")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


def test_a_changed_source_changes_the_addin(built, tmp_path):
    bas = tmp_path / "arbook.bas"
    bas.write_bytes((WORKBOOK / "arbook.bas").read_bytes().replace(b"Option Explicit",
                                                                  b"Option Explicit\r\n' x"))
    other = build_addin(tmp_path / "other.xlam", WORKBOOK / "customUI14.xml", bas)
    assert not same_content(built, other)


def test_the_committed_addin_is_built_from_the_committed_sources(built):
    committed = WORKBOOK / "arbook.xlam"
    if inspect_addin(committed).xlwings != vba.xlwings_version():
        pytest.skip("the committed add-in holds another xlwings version's VBA: "
                    "run 'arbook addin build'")
    assert same_content(committed, built), "run 'arbook addin build' and commit the result"
