"""Write VBA modules into a new macro-enabled OOXML workbook with LibreOffice (UNO API).

Run as a script by an interpreter that has LibreOffice's ``uno`` module (Debian: python3-uno):

    python3 lo_vba.py SPEC.json OUT.xlsm

SPEC.json: ``{"project": NAME, "modules": [{"name": ..., "type": "normal"|"class",
"source": ...}]}``. Uses only the standard library and uno, since the system interpreter runs it.
LibreOffice's VBA export takes the library whose name is the VBA project name, once the
library container is in VBA compatibility mode, and writes it as xl/vbaProject.bin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FILTER = "Calc MS Excel 2007 VBA XML"


def _prop(name, value):
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(soffice: str, profile: str, pipe: str):
    import uno

    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
         f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
         f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 60
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return proc, ctx
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("LibreOffice did not start (soffice --headless)") from None
            time.sleep(0.2)


def build(spec: dict, out: str, soffice: str = "soffice") -> None:
    import uno
    from com.sun.star.script import ModuleInfo
    from com.sun.star.script.ModuleType import CLASS, NORMAL

    profile = tempfile.mkdtemp(prefix="arbook-lo-")
    proc, ctx = _connect(soffice, profile, f"arbook-vba-{os.getpid()}")
    try:
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0,
                                           (_prop("Hidden", True),))
        libs = doc.BasicLibraries
        libs.VBACompatibilityMode = True
        project = spec["project"]
        libs.ProjectName = project
        lib = libs.getByName(project) if libs.hasByName(project) else libs.createLibrary(project)
        for module in spec["modules"]:
            info = ModuleInfo()
            info.ModuleType = CLASS if module["type"] == "class" else NORMAL
            lib.insertModuleInfo(module["name"], info)
            lib.insertByName(module["name"], module["source"])
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                       (_prop("FilterName", FILTER),))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge closes as soffice exits
            pass
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        build(json.load(fh), sys.argv[2], os.environ.get("ARBOOK_SOFFICE", "soffice"))
