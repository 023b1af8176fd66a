"""Hostile and broken bank files end in a clear Problem (or ArbookError), never a traceback/hang."""

from __future__ import annotations

import io
import random
import time
import zipfile

import pytest

from arbook.core.problems import ArbookError
from arbook.io.bank import Limits, read_bytes, read_statements
from tests.bank_extdata import EXTDATA, folder
from tests.fuzzing import mutate

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt_sample() -> bytes:
    return (folder("camt-genkgo-tests") / "camt053.v2.multi.statement.xml").read_bytes()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_billion_laughs_is_refused_quickly():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY l0 "lol">{lol}]>'
            f'<Document xmlns="{CAMT_NS}"><BkToCstmrStmt><Stmt><Id>&l9;</Id></Stmt>'
            "</BkToCstmrStmt></Document>").encode()
    start = time.perf_counter()
    statements, problems = read_bytes(data, "laughs.xml")
    assert time.perf_counter() - start < 1
    assert statements == [] and "DTD" in problems[0].message and problems[0].file == "laughs.xml"


def test_external_entity_is_not_resolved():
    data = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<Document xmlns="{CAMT_NS}"><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt>'
            "</BkToCstmrStmt></Document>").encode()
    statements, problems = read_bytes(data, "xxe.xml")
    assert statements == [] and len(problems) == 1
    assert "root:" not in str(problems[0])


def test_zip_bomb_by_ratio_is_refused():
    data = zipped({"bomb.xml": b"<" + b" " * (5 * 1024 * 1024)})  # 5 MB in ~5 KB: 1000:1
    start = time.perf_counter()
    statements, problems = read_bytes(data, "bomb.zip")
    assert time.perf_counter() - start < 2
    assert statements == [] and "zip bomb" in problems[0].message
    assert problems[0].file == "bomb.zip!bomb.xml"


def test_zip_total_size_limit():
    sample = camt_sample()
    data = zipped({f"s{i}.xml": sample for i in range(3)})
    statements, problems = read_bytes(data, "many.zip",
                                      Limits(max_unzipped_bytes=2 * len(sample)))
    assert statements == [] and "size or ratio limit" in problems[0].message


def test_too_many_members_are_refused():
    data = zipped({f"s{i}.xml": camt_sample() for i in range(5)})
    statements, problems = read_bytes(data, "many.zip", Limits(max_members=4))
    assert statements == [] and "5 files" in problems[0].message
    statements, problems = read_bytes(data, "many.zip", Limits(max_members=5))
    assert len(statements) == 10 and problems == []


@pytest.mark.parametrize("name", ["../evil.xml", "/abs/evil.xml", "a/../../evil.xml",
                                  "..\\evil.xml", "C:evil.xml"])
def test_member_names_leaving_the_archive_are_refused(name):
    statements, problems = read_bytes(zipped({name: camt_sample()}), "t.zip")
    assert statements == [] and "outside the archive" in problems[0].message


def test_nested_zip_is_refused():
    inner = zipped({"s.xml": camt_sample()})
    statements, problems = read_bytes(zipped({"inner.zip": inner}), "outer.zip")
    assert statements == [] and "nested" in problems[0].message


def test_a_file_above_the_size_limit_is_an_arbook_error(tmp_path):
    path = tmp_path / "big.xml"
    path.write_bytes(camt_sample())
    with pytest.raises(ArbookError, match="limit"):
        read_statements(path, Limits(max_file_bytes=100))
    with pytest.raises(ArbookError, match="cannot read"):
        read_statements(tmp_path / "missing.xml")


def test_truncated_xml():
    data = camt_sample()
    statements, problems = read_bytes(data[: len(data) // 2], "half.xml")
    assert statements == [] and "broken XML" in problems[0].message
    assert problems[0].row is not None


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"), (b"   \r\n", "empty"), (bytes(range(256)) * 8, "binary"),
    (b"PK\x03\x04garbage", "ZIP"), (b"<html><body>hi</body></html>", "not a camt"),
    ("\ufeffDatum;Betrag\n".encode("utf-16-le")[:-1], "UTF-16"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "binary"),
])
def test_junk_gives_one_clear_problem(data, words):
    statements, problems = read_bytes(data, "junk.bin")
    assert statements == []
    assert len(problems) == 1 and words in problems[0].message and problems[0].file == "junk.bin"


def test_every_truncation_of_a_real_mt940_file_is_handled():
    data = (folder("mt940-wolph-tests") / "jejik/generic.sta").read_bytes()
    for cut in range(0, len(data), 7):
        statements, problems = read_bytes(data[:cut], "cut.sta")
        assert statements or problems


def test_every_truncation_of_a_real_csv_file_is_handled():
    data = (folder("german-bank-csv-rechnungspilot") / "dkb.csv").read_bytes()
    for cut in range(0, len(data), 11):
        statements, problems = read_bytes(data[:cut], "cut.csv")
        assert statements or problems


def test_utf16_and_cp1252_exports_read_like_utf8():
    text = (folder("german-bank-csv-rechnungspilot") / "gls-bank.csv").read_text(
        encoding="utf-8-sig")
    utf8, _ = read_bytes(text.encode("utf-8"), "gls.csv")
    utf16, p16 = read_bytes(text.encode("utf-16"), "gls.csv")
    cp1252, p1252 = read_bytes(text.encode("cp1252"), "gls.csv")
    assert p16 == [] and p1252 == []
    assert utf8 == utf16 == cp1252
    assert any(e.bank_tx_code == "Überweisungsgutschr." for e in utf8[0].entries)


@pytest.mark.parametrize("name", ["camt-genkgo-tests/camt053.v8.xml",
                                  "oca-bank-statement-import/camt/test-camt053.zip",
                                  "mt940-wolph-tests/betterplace/sepa_snippet.sta",
                                  "german-bank-csv-rechnungspilot/targobank-duesseldorf.csv",
                                  "german-bank-csv-rechnungspilot/dkb.csv",
                                  "oca-bank-statement-import/sheet/balance.csv"])
def test_mutated_real_files_never_raise(name):
    """Seeded byte flips, cuts and repeats of real files (each once found a traceback)."""
    original = (folder(name.split("/")[0]).parent / name).read_bytes()
    rng = random.Random(name)
    for _ in range(150):
        statements, problems = read_bytes(mutate(original, rng), "mutated")
        assert statements or problems


# files in extdata that are not whole statements, with the reason (everything else must parse)
NOT_STATEMENTS = {
    "camt053.v2.wrong.xml": "genkgo's deliberately wrong file",
    "empty_statement_en.csv": "header only",
    "original_currency_no_header.csv": "no header and no known layout: needs a mapping",
    "invalid_statement.sta": "not MT940",
}


def statement_files() -> list:
    base = EXTDATA
    found = []
    for pattern in ("camt-genkgo-tests/*.xml", "oca-bank-statement-import/camt/test-*",
                    "oca-bank-statement-import/mt940/*", "oca-bank-statement-import/sheet/*.csv",
                    "german-bank-csv-rechnungspilot/*.csv", "german-bank-csv-rechnungspilot/*.mta",
                    "mt940-wolph-tests/*/*.sta", "mt940-wolph-tests/*/*.txt"):
        found += sorted(base.glob(pattern))
    return found


@pytest.mark.parametrize("path", statement_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_statement_in_extdata_parses(path):
    statements, problems = read_statements(path)
    data = path.read_bytes()  # an MT940 test snippet of single tags, not a statement
    fragment = path.suffix == ".sta" and not all(t in data for t in (b":20:", b":60", b":62"))
    if path.name in NOT_STATEMENTS or fragment:
        assert problems or statements  # a clear problem, or what little there is
    else:
        assert statements, problems
        assert all(s.file.startswith(path.name) for s in statements)
        assert all(e.statement_id == s.id for s in statements for e in s.entries)
