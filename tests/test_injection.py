"""Hostile text from imports lands in the workbook as text cells, never as formulas.

In OOXML only a cell's ``<f>`` element is evaluated; a shared-string (``t="s"``) or inline-string
cell is shown as it is. These tests read the written package's XML, not a library's view of it.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from defusedxml import ElementTree as ET

from arbook import imports
from tests.helpers import AS_OF
from tests.test_imports import CAMT, ENTRY, book  # noqa: F401  (the fixture)

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PAYLOADS = ['=HYPERLINK("http://evil.example","klick")', "+SUM(1,2)", "-2+3", "@SUM(A1)",
            "=cmd|' /C calc'!A0", "\t=1+1"]


def cells(path: Path) -> list[tuple[str, str, str, str | None]]:
    """Every cell of every worksheet: (part, ref, type, shown text or None) and formulas as
    type 'formula' with the formula text."""
    out = []
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(package.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{NS}t"))
                      for si in root.iter(f"{NS}si")]
        for part in (n for n in names if n.startswith("xl/worksheets/sheet")):
            for c in ET.fromstring(package.read(part)).iter(f"{NS}c"):
                formula = c.find(f"{NS}f")
                kind = c.get("t", "n")
                if formula is not None:
                    out.append((part, c.get("r"), "formula", formula.text or ""))
                elif kind == "s":
                    out.append((part, c.get("r"), kind, shared[int(c.find(f"{NS}v").text)]))
                elif kind == "inlineStr":
                    out.append((part, c.get("r"), kind,
                                "".join(t.text or "" for t in c.iter(f"{NS}t"))))
                else:
                    value = c.find(f"{NS}v")
                    out.append((part, c.get("r"), kind, None if value is None else value.text))
    return out


def assert_payloads_are_text(path: Path, payloads: list[str]) -> None:
    found = cells(path)
    for part, ref, kind, text in found:
        if kind == "formula":
            assert not any(p.lstrip("\t=+-@")[:6] in text for p in payloads), (part, ref, text)
        if kind == "str":  # a formula's cached string result without its formula
            assert text not in payloads, (part, ref, text)
    shown = {text.strip() for _p, _r, kind, text in found if kind in ("s", "inlineStr")}
    for payload in payloads:
        assert payload.strip() in shown or f"\u200b{payload.strip()}" in shown, payload


def test_formula_text_in_an_erp_export_is_written_as_text_cells(book, tmp_path):  # noqa: F811
    lines = ["Belegnummer;Debitor;Name;Belegdatum;Fälligkeit;Betrag;Offen;WKZ"]
    for n, payload in enumerate(PAYLOADS):
        lines.append(f"RE-9{n};K9{n};{payload};01.10.2026;01.11.2026;10,00;10,00;EUR")
    lines.append(f"{PAYLOADS[0]};K1;Müller GmbH;01.10.2026;01.11.2026;10,00;10,00;EUR")
    export = tmp_path / "OP.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imports.import_invoices(book, export, as_of=AS_OF)
    assert_payloads_are_text(book, PAYLOADS)


@pytest.mark.parametrize("field", ["name", "text"])
def test_formula_text_in_a_bank_statement_reaches_the_queue_as_text(book, tmp_path,  # noqa: F811
                                                                    field):
    entries = []
    for n, payload in enumerate(PAYLOADS):
        entry = {"ref": f"B{n}", "amount": f"{n + 1}1.11", "name": "Niemand",
                 "iban": "DE75512108001245126199", "text": "Spende"}
        entry[field] = payload.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        entries.append(entry)
    closing = 1000 + sum(float(e["amount"]) for e in entries)
    statement = tmp_path / "auszug.xml"
    statement.write_text(CAMT.format(closing=f"{closing:.2f}",
                                     entries="".join(ENTRY.format(**e) for e in entries)),
                         encoding="utf-8")
    result = imports.import_bank(book, [statement], as_of=AS_OF)
    assert len(result.queued()) == len(PAYLOADS)
    assert_payloads_are_text(book, [p for p in PAYLOADS if p.strip() == p])


def test_the_check_itself_sees_a_formula(tmp_path):
    """The reader above must be able to fail: a real formula cell is reported as one."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = PAYLOADS[0]
    wb.active["A2"] = date(2026, 1, 1)
    wb.save(tmp_path / "f.xlsx")
    kinds = {ref: kind for _p, ref, kind, _t in cells(tmp_path / "f.xlsx")}
    assert kinds["A1"] == "formula"
    with pytest.raises(AssertionError):
        assert_payloads_are_text(tmp_path / "f.xlsx", PAYLOADS[:1])


HOSTILE_NAMES = ["x\nERROR forged line.csv", "=cmd|' calc'!A0.csv", "-rf", "con.csv", "nul",
                 "ä" * 100 + ".csv", "a;b,c'\"`$(id).csv", "notes.txt", " leading space.txt"]


def test_hostile_inbox_file_names_are_moved_inside_the_inbox_and_nothing_is_lost(tmp_path):
    """Every inbox file ends in archive/<day>/ or failed/<day>/ with its bytes, whatever its
    name; a name already taken there gets a suffix, never overwrites."""
    import hashlib

    from arbook import demo, jobs, nightly
    from arbook.sample import make_sample

    workbook = tmp_path / "OP.xlsx"
    jobs.init_book(workbook, "de", 40, 1, AS_OF)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    contents = {name: f"Einkaufsliste {n}\n".encode() for n, name in enumerate(HOSTILE_NAMES)}
    contents["=HYPERLINK(1).csv"] = demo.erp_export(make_sample(40, 1, AS_OF),
                                                    AS_OF).encode("cp1252")
    for name, data in contents.items():
        (inbox / name).write_bytes(data)
    taken = inbox / "failed" / AS_OF.isoformat() / "notes.txt"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"from an earlier run")
    result = nightly.nightly(workbook, AS_OF, settle_seconds=0)
    assert sorted(result.archived) == ["=HYPERLINK(1).csv"]
    assert sorted(f for f, _why in result.failed) == sorted(HOSTILE_NAMES)
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []  # nothing left behind
    moved = [p for p in inbox.rglob("*") if p.is_file() and not p.name.endswith(".why.txt")]
    assert all(p.resolve().is_relative_to(inbox.resolve()) for p in moved)
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in moved)
    expected = [*contents.values(), b"from an earlier run"]
    assert digests == sorted(hashlib.sha256(d).hexdigest() for d in expected)
    assert taken.read_bytes() == b"from an earlier run"
    log = result.log_file.read_text(encoding="utf-8")
    assert not any(line.startswith("ERROR forged") for line in log.splitlines())
