"""CSV files that open right in Excel by double click: UTF-8 with BOM, CRLF, the separator and
decimal mark of the reader's language, and no cell that Excel would run as a formula.

German Excel splits on ';' and reads '1234,56' as a number; English Excel splits on ',' and
reads '1234.56'. Customer data is hostile input: a text cell beginning with = + - @ (or a tab
or CR) gets a leading apostrophe, so Excel shows it as text instead of running it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """One line (line breaks become ', '); text Excel would run as a formula gets a leading
    apostrophe, so it stays text."""
    text = str(text).strip()
    if not text.isprintable():  # a line break inside (printable text has none)
        text = ", ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return "'" + text if text.startswith(_FORMULA_START) else text


def decimal_text(cents: int, lang: str) -> str:
    """Exact cents as '1234,56' (de) or '1234.56' (en), no thousands separator."""
    whole, frac = divmod(abs(int(cents)), 100)
    sep = "," if lang == "de" else "."
    return f"{'-' if cents < 0 else ''}{whole}{sep}{frac:02d}"


def decimal_texts(cents, lang: str) -> list[str]:
    """``decimal_text`` of every value of an integer array, formatted as arrays (a long
    letter's list has tens of thousands of amounts)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole, frac = np.divmod(np.abs(cents), 100)
    sep = "," if lang == "de" else "."
    fractions = np.array([f"{sep}{f:02d}" for f in range(100)], dtype=object)[frac]
    signs = np.array(["", "-"], dtype=object)[(cents < 0).astype(np.intp)]
    wholes = np.array(list(map(str, whole.tolist())), dtype=object)  # faster than astype(str)
    return (signs + wholes + fractions).tolist()


def separator(lang: str) -> str:
    """The list separator Excel expects in this language: ';' (de), ',' (en)."""
    return ";" if lang == "de" else ","


def csv_bytes(rows: Iterable[Sequence[str]], lang: str) -> bytes:
    """The rows as the bytes of an Excel CSV (cells must be neutralised by the caller)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator(lang), quoting=csv.QUOTE_MINIMAL,
                        lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def csv_columns_bytes(header: Sequence[str], columns: Sequence[Sequence[str]],
                      lang: str) -> bytes:
    """``csv_bytes`` of a header and columns of text, the same bytes, joined a row at a time
    instead of a cell at a time (cells must be neutralised by the caller)."""
    sep = separator(lang)
    quote = _quote_if_needed(sep)
    quoted = [list(map(quote, col)) if _needs_quotes("".join(col), sep) else col
              for col in columns]
    lines = [sep.join(map(quote, header)), *map(sep.join, zip(*quoted, strict=True))]
    if len(header) == 1:  # a lone empty cell is written "" (else the row would vanish)
        lines = [line or '""' for line in lines]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _needs_quotes(text: str, sep: str) -> bool:
    return any(c in text for c in (sep, '"', "\r", "\n"))


def _quote_if_needed(sep: str):
    """QUOTE_MINIMAL as the csv module does it: quotes around a cell holding the separator,
    a quote or a line break, quotes inside doubled."""
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if _needs_quotes(cell, sep) else cell
    return quote


def write_csv(rows: Iterable[Sequence[str]], path: Path, lang: str) -> Path:
    """Write ``csv_bytes(rows, lang)`` to ``path``."""
    path = Path(path)
    path.write_bytes(csv_bytes(rows, lang))
    return path
