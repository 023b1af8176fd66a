"""Reading bank statements: one entry point, the format recognised by content, not by name.

    statements, problems = read_statements(Path("auszug.xml"))

camt.052/053/054 (XML or a ZIP of XML files), MT940, and bank CSV exports. Every statement with
both balances is checked (`check_balance`); a gap is in `problems`, never hidden. Malformed files
end in a Problem (or ArbookError for an unreadable / oversized file), never in a traceback.
"""

from __future__ import annotations

from pathlib import Path

from arbook.core.bank import Statement, check_balance
from arbook.core.problems import Problem
from arbook.io.bank.bank_csv import read_bank_csv
from arbook.io.bank.camt import camt_version, read_camt
from arbook.io.bank.csv_profiles import CsvProfile
from arbook.io.bank.mt940 import looks_like_mt940, read_mt940
from arbook.io.bank.source import Limits, is_zip, read_limited, unzip_members

__all__ = ["CsvProfile", "Limits", "read_statements", "read_bytes"]
DEFAULT_LIMITS = Limits()


def read_statements(path: Path | str, limits: Limits = DEFAULT_LIMITS,
                    csv_profile: CsvProfile | None = None
                    ) -> tuple[list[Statement], list[Problem]]:
    """All statements in the file and every problem found, balance gaps included."""
    path = Path(path)
    return read_bytes(read_limited(path, limits), path.name, limits, csv_profile)


def read_bytes(data: bytes, file: str, limits: Limits = DEFAULT_LIMITS,
               csv_profile: CsvProfile | None = None) -> tuple[list[Statement], list[Problem]]:
    """Like read_statements, for bytes already in memory (`file` names them in problems)."""
    if is_zip(data):
        members, problems = unzip_members(data, file, limits)
        statements: list[Statement] = []
        for name, content in members:
            found, more = read_one(content, f"{file}!{name}", csv_profile)
            statements.extend(found)
            problems.extend(more)
        if not members and not problems:
            problems.append(Problem("the ZIP file is empty / ZIP-Datei ist leer", file=file))
        return statements, problems
    return read_one(data, file, csv_profile)


def read_one(data: bytes, file: str, csv_profile: CsvProfile | None
             ) -> tuple[list[Statement], list[Problem]]:
    statements, problems = dispatch(data, file, csv_profile)
    problems.extend(p for s in statements if (p := check_balance(s)) is not None)
    return statements, problems


def dispatch(data: bytes, file: str, csv_profile: CsvProfile | None
             ) -> tuple[list[Statement], list[Problem]]:
    """Pick the reader by what the bytes say: XML namespace, MT940 tags, CSV header."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": UTF-16 with a BOM
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return [], [Problem("UTF-16 text that does not decode / Kodierung fehlerhaft",
                                file=file)]
    if not data.strip():
        return [], [Problem("the file is empty / die Datei ist leer", file=file)]
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if camt_version(data) is None:
            return [], [Problem("XML, but not a camt.052/053/054 statement (unknown namespace) "
                                "/ XML ist kein camt-Kontoauszug", file=file)]
        return read_camt(data, file)
    if is_zip(data):
        return [], [Problem("nested ZIP files are refused / verschachtelte ZIP-Dateien werden "
                            "nicht gelesen", file=file)]
    if b"\x00" in data[:8192]:
        return [], [Problem("binary data, not a bank statement (camt, MT940 or CSV) / "
                            "keine Textdatei", file=file)]
    if looks_like_mt940(data):
        return read_mt940(data, file)
    return read_bank_csv(data, file, csv_profile)
