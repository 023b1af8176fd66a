"""Read an ERP open-item export (CSV, XLSX, XLSM, XLS, ODS) into a typed ledger.

This adapter only gets the cells out of the file: CSV bytes are decoded and split here,
spreadsheets are read with python-calamine (values as typed: numbers, dates, text). Finding the
header, mapping columns and parsing amounts and dates is ``arbook.core.importing``'s job.
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from arbook.core.importing import (
    ImportedLedger,
    ImportProfile,
    csv_rows,
    decode_text,
    find_header,
    ledger_from_rows,
    sniff_delimiter,
    utf8_lines,
)
from arbook.core.problems import ArbookError, Problem, Severity

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
MAX_CSV_BYTES = 200 * 1024 * 1024


def read_export(path: str | Path, profile: ImportProfile | None = None) -> ImportedLedger:
    """The export at ``path`` as a ledger; problems carry the file name, sheet, row, column."""
    path = Path(path)
    if not path.is_file():
        raise ArbookError(f"{path}: no such file / Datei nicht gefunden")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, profile)
    return _read_csv(path, profile)


def _read_csv(path: Path, profile: ImportProfile | None) -> ImportedLedger:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ArbookError(f"{path.name}: larger than {MAX_CSV_BYTES // 2**20} MB; "
                          "split the export / Datei zu groß")
    data = path.read_bytes()
    text, encoding = decode_text(data)
    delimiter = sniff_delimiter(text)
    ledger = ledger_from_rows(csv_rows(text, delimiter), profile, file=path.name)
    ledger.encoding, ledger.delimiter = encoding, delimiter
    mixed = utf8_lines(data) if encoding in ("cp1252", "latin-1") else []
    if mixed:
        shown = ", ".join(map(str, mixed[:10])) + (" …" if len(mixed) > 10 else "")
        ledger.problems.append(Problem(
            f"read as {encoding}, but lines {shown} are UTF-8: umlauts there are garbled; "
            "export the whole file in one encoding / Datei mischt Zeichenkodierungen",
            file=path.name, severity=Severity.WARNING))
    return ledger


def _read_spreadsheet(path: Path, profile: ImportProfile | None) -> ImportedLedger:
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own types for every kind of damage
        raise ArbookError(f"{path.name}: cannot be read as a spreadsheet ({error}) / "
                          "Datei ist keine lesbare Tabelle") from error
    names = book.sheet_names
    if profile and profile.sheet:
        if profile.sheet not in names:
            raise ArbookError(f"{path.name}: no sheet '{profile.sheet}' (sheets: "
                              f"{', '.join(names)}) / Blatt nicht gefunden")
        names = [profile.sheet]
    for name in names:
        # skip_empty_area=False keeps row 1 at index 0, so row numbers are the ones Excel shows
        rows = _sheet_rows(book, name, path)
        if find_header(rows, profile) is not None or len(names) == 1:
            return ledger_from_rows(rows, profile, file=path.name, sheet=name)
    raise ArbookError(f"{path.name}: no sheet has a header row with an invoice number and an "
                      "amount; name the sheet and columns in the import mapping / "
                      "kein Blatt mit Belegnummer und Betrag gefunden")


def _sheet_rows(book: CalamineWorkbook, name: str, path: Path) -> list[list]:
    """The sheet's cells; a damaged sheet part (found only when read) is the user's to fix."""
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:  # calamine's own error types, raised lazily per sheet
        raise ArbookError(f"{path.name}, sheet '{name}': cannot be read ({error}); export the "
                          "file again / Blatt ist beschädigt, bitte neu exportieren") from error
