"""Fuzzing every importer: generated and mutated real input ends in data or a clear problem.

Contract for each target: no exception but ArbookError, no hang (time limit per case), every
problem names its file (and sheet/row where there is one), and the input file is left unchanged.
Raise the number of cases with ARBOOK_FUZZ_EXAMPLES (see tests/fuzzing.py).
"""

from __future__ import annotations

import hashlib
import random
import string
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbook.core.dunning_policy import policy_from_rows
from arbook.core.interest import rate_table_from_rows
from arbook.core.problems import ArbookError, Problem
from arbook.core.schema import DUNNING
from arbook.core.settings import settings_from_pairs
from arbook.demo import erp_export
from arbook.io.bank import read_bytes, read_statements
from arbook.io.erp_import import read_export
from arbook.mail import TemplateProblem
from arbook.mail.render import TemplateSet
from arbook.sample import make_sample
from tests.bank_extdata import EXTDATA
from tests.fuzzing import fuzz_settings, mutate, time_limit
from tests.mail_fixtures import letter_context
from tests.test_bank_safety import statement_files
from tests.test_dunning import default_rows, raw_policy

TODAY = date(2026, 11, 26)
HOSTILE_TEXT = st.sampled_from([
    "=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "=cmd|'/c calc'!A0",
    "Summe", "Belegnummer", "1.234,56", "1,234.56", "-", "31.02.2026", "2026-13-01", "1e308",
    "NaN", "inf", "\x00", "\u202e", "Müller\r\nBcc: x@y", "\"", "'", ";", ",", "\t", "",
    "9" * 40, "RE-1", "K1", "EUR", "€", "ÄÖÜß",
])
CELL_TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=30))
CELL = st.one_of(st.none(), CELL_TEXT, st.integers(-10**15, 10**15),
                 st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                 st.dates(date(1, 1, 1), date(9999, 12, 31)))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_placed(problems: list[Problem], file: str) -> None:
    for problem in problems:
        assert isinstance(problem, Problem) and problem.message
        assert problem.file.startswith(file), problem


def read_export_safely(data: bytes, name: str) -> None:
    """The ERP contract: a ledger whose problems name the file, or an ArbookError; file kept."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        before = digest(path)
        with time_limit():
            try:
                ledger = read_export(path)
            except ArbookError as error:
                assert str(error)
            else:
                assert_placed(ledger.problems, name)
                assert ledger.frame["row"].is_unique
        assert digest(path) == before


def real_erp_csv() -> bytes:
    return erp_export(make_sample(12, seed=8, today=TODAY), TODAY).encode("cp1252")


# --- ERP CSV ----------------------------------------------------------------------------------

HEADER = "Belegnummer;Debitor;Name;Belegdatum;Fälligkeit;Betrag;Offen;WKZ"


@fuzz_settings()
@given(rows=st.lists(st.lists(CELL_TEXT, min_size=0, max_size=10), max_size=12),
       header=st.booleans(), encoding=st.sampled_from(["utf-8", "cp1252", "utf-16", "utf-8-sig"]),
       sep=st.sampled_from([";", ",", "\t", "|"]))
def test_erp_csv_from_generated_rows(rows, header, encoding, sep):
    lines = ([HEADER.replace(";", sep)] if header else []) + [sep.join(r) for r in rows]
    data = "\r\n".join(lines).encode(encoding, errors="replace")
    read_export_safely(data, "export.csv")


GOOD_ROW = ["RE-1", "K1", "Müller GmbH", "01.09.2026", "01.10.2026", "1.190,00", "1.190,00",
            "EUR"]
NUMBERISH = st.one_of(HOSTILE_TEXT, st.from_regex(r"-?[0-9.,' ]{1,45}-?", fullmatch=True),
                      st.floats().map(repr), st.integers().map(str))


@fuzz_settings()
@given(rows=st.lists(st.dictionaries(st.integers(0, 7), NUMBERISH, max_size=3), min_size=1,
                     max_size=8))
def test_erp_csv_well_formed_rows_with_one_hostile_field(rows):
    """Each row a valid invoice but for a few cells: hostile values reach every column parser."""
    lines = [HEADER]
    for n, changes in enumerate(rows):
        cells = [changes.get(i, v).replace(";", ",").replace("\n", " ")
                 for i, v in enumerate(GOOD_ROW)]
        cells[0] = cells[0] if 0 in changes else f"RE-{n}"
        lines.append(";".join(cells))
    read_export_safely("\r\n".join(lines).encode("utf-8"), "export.csv")


@fuzz_settings()
@given(seed=st.integers(0, 2**32))
def test_erp_csv_mutated_from_a_real_export(seed):
    read_export_safely(mutate(real_erp_csv(), random.Random(seed)), "OP-Liste.csv")


@fuzz_settings()
@given(data=st.binary(max_size=2000))
def test_erp_csv_from_random_bytes(data):
    read_export_safely(data, "junk.csv")


# --- ERP XLSX ---------------------------------------------------------------------------------

def real_spreadsheets() -> list[Path]:
    found = sorted(EXTDATA.glob("*/*.xlsx")) + sorted(EXTDATA.glob("*/*/*.xlsx"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason=f"no xlsx in {EXTDATA}"))]


@pytest.mark.parametrize("path", real_spreadsheets(), ids=lambda p: getattr(p, "name", "none"))
@fuzz_settings(examples=max(10, fuzz_settings().max_examples // 3))
@given(seed=st.integers(0, 2**32))
def test_erp_xlsx_mutated_from_real_spreadsheets(path, seed):
    read_export_safely(mutate(path.read_bytes(), random.Random(seed)), "export.xlsx")


@fuzz_settings(examples=max(10, fuzz_settings().max_examples // 2))
@given(rows=st.lists(st.lists(CELL, max_size=9), max_size=10), header=st.booleans())
def test_erp_xlsx_from_generated_cells(rows, header):
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook()
    ws = wb.active
    if header:
        ws.append(HEADER.split(";"))
    for row in rows:
        try:
            ws.append([v if not isinstance(v, float) or v == v and abs(v) != float("inf")
                       else None for v in row])
        except (IllegalCharacterError, ValueError):
            continue  # a cell Excel itself cannot hold
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        wb.save(tmp.name)
        data = Path(tmp.name).read_bytes()
    read_export_safely(data, "export.xlsx")


# --- bank files -------------------------------------------------------------------------------

def bank_contract(data: bytes, name: str) -> None:
    with time_limit():
        statements, problems = read_bytes(data, name)
    assert statements or problems
    assert_placed(problems, name)
    for statement in statements:
        assert all(isinstance(e.amount_cents, int) for e in statement.entries)


@fuzz_settings()
@given(data=st.binary(max_size=4000))
def test_bank_random_bytes(data):
    bank_contract(data, "junk.bin")


@fuzz_settings()
@given(index=st.integers(0, 10**6), seed=st.integers(0, 2**32))
def test_bank_mutated_from_every_real_statement(index, seed):
    files = statement_files()
    if not files:
        pytest.skip(f"external test data not present in {EXTDATA}")
    path = files[index % len(files)]
    bank_contract(mutate(path.read_bytes(), random.Random(seed)), path.name)


@pytest.mark.parametrize("path", statement_files()[::7], ids=lambda p: p.name)
def test_reading_a_statement_file_leaves_it_unchanged(path):
    before = (digest(path), path.stat().st_mtime_ns)
    read_statements(path)
    assert (digest(path), path.stat().st_mtime_ns) == before


# --- settings, dunning policy and base-rate rows (typed into the Settings sheet) ---------------

SETTING_KEYS = st.sampled_from(["bucket_edges", "language", "escalation_after_days",
                                "smtp_security", "interest_variant", "sender_email",
                                "smtp_port", "min_amount", "x" * 300, "", "ä"])


@fuzz_settings()
@given(pairs=st.dictionaries(SETTING_KEYS, st.tuples(CELL_TEXT, st.integers(2, 10**6)),
                             max_size=11))
def test_settings_rows_never_raise(pairs):
    with time_limit():
        settings, problems = settings_from_pairs(pairs, sheet="Einstellungen")
    rows = {row for _text, row in pairs.values()}
    assert all(p.sheet == "Einstellungen" and p.row in rows for p in problems)
    assert settings.language


@fuzz_settings()
@given(changes=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(DUNNING.keys()), CELL),
                        max_size=12),
       drop=st.integers(0, 5))
def test_dunning_policy_rows_never_raise(changes, drop):
    rows = default_rows()[: len(default_rows()) - drop % len(default_rows())]
    for index, key, value in changes:
        if rows:
            rows[index % len(rows)][key] = value
    with time_limit():
        policy, problems = policy_from_rows(raw_policy(rows))
    days = policy.days
    assert list(days) == sorted(days) and all(d >= 0 for d in days)
    assert all(s.fee_cents >= 0 and s.min_amount_cents >= 0 for s in policy.stages)
    assert all(p.sheet == "Einstellungen" for p in problems)


RATE_CELL = st.one_of(CELL, st.decimals(allow_nan=False, allow_infinity=False, places=4),
                      st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)))


@fuzz_settings()
@given(rows=st.lists(st.tuples(RATE_CELL, RATE_CELL, st.integers(2, 10**5)), max_size=15))
def test_base_rate_rows_never_raise(rows):
    with time_limit():
        try:
            table, problems = rate_table_from_rows(rows, "Basiszins", "test", sheet="Settings")
        except ArbookError:
            return
    assert all(p.sheet == "Settings" for p in problems)
    assert all(isinstance(rate, Decimal) for _start, rate in table.points)
    starts = [start for start, _rate in table.points]
    assert starts == sorted(set(starts))


# --- mail template overrides ------------------------------------------------------------------

JINJA_BITS = st.sampled_from([
    "{{ customer.name }}", "{{ customer.nope }}", "{{ ", " }}", "{% if %}", "{% endif %}",
    "{% for i in items %}", "{% endfor %}", "{{ ''.__class__.__mro__ }}",
    "{{ items[0].amount | money('EUR') }}", "{{ 1/0 }}", "{% include 'x.j2' %}",
    "{{ range(10**9) | list | length }}", "{{ 'a' * 10 }}", "{# ", " #}", "{% raw %}",
    "{{ cycler.__init__.__globals__ }}", "{{ self }}", "\x00", "Betreff\r\nBcc: x@y",
])
TEMPLATE = st.lists(st.one_of(JINJA_BITS, st.text(alphabet=string.printable, max_size=20)),
                    max_size=10).map("".join)


@fuzz_settings()
@given(part=st.sampled_from(["subject", "txt", "html"]), body=TEMPLATE)
def test_template_overrides_render_or_name_the_problem(part, body):
    with tempfile.TemporaryDirectory() as folder:
        override = Path(folder) / "de" / f"reminder.{part}.j2"
        override.parent.mkdir()
        override.write_text(body, encoding="utf-8")
        before = digest(override)
        with time_limit():
            try:
                letter = TemplateSet("de", Path(folder)).render("reminder",
                                                                letter_context(True))
            except TemplateProblem as problem:
                assert "reminder" in str(problem) or "template" in str(problem)
            except ArbookError as error:  # e.g. a newline reaching the subject
                assert str(error)
            else:
                assert "\n" not in letter.subject and "\r" not in letter.subject
                assert "__globals__" not in letter.text + letter.html or "{{" not in body
        assert digest(override) == before
