"""Generate large, realistic arbook ledgers (10k .. 1M rows) in the form Excel saves them.

The workbook starts from ``arbook init --sample 50`` (so styles, tables, the other sheets and the
customers are real); the Invoices sheet's rows are then replaced by N generated rows written the
way Excel writes them: shared strings, ``<row r=".." spans="1:25">``, ``<c r="A2" s=".."
t="s"><v>7</v></c>``, dates as serial numbers, amounts as numbers, empty cells omitted, and the
computed columns (Offen .. Hinweis) left empty. The table ref, its autoFilter and the sheet's
``<dimension>`` are updated; a sharedStrings part is added (relationship and content type too).

Files are cached in ``benchmarks/data/`` keyed by size, seed and generator version::

    python benchmarks/generate_ledger.py 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import html
import posixpath
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from arbook import jobs
from arbook.core.schema import CUSTOMERS, INVOICES, TableSpec
from arbook.io.xlsx.scan import col_letters

DATA_DIR = Path(__file__).resolve().parent / "data"
AS_OF = date(2026, 11, 26)
VERSION = 2  # bump when the generated content changes, so stale cache files are not reused
CHUNK = 50_000  # rows rendered at a time (bounds the generator's memory)
EXCEL_EPOCH = date(1899, 12, 30)

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SST_REL_TYPE = f"{NS_REL}/sharedStrings"
SST_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

OWNERS = ["MK", "SB", "TL", "JW", "AS"]
NOTES = ["Rückfrage Einkauf läuft", "Rechnungskopie per E-Mail gesendet",
         "Kunde zahlt in Raten", "Ansprechpartner gewechselt", "Lastschrift geplant",
         "Mahnung telefonisch angekündigt"]
REASONS = ["Ware beschädigt", "Menge falsch berechnet", "Leistung nicht erbracht",
           "Preis weicht vom Angebot ab"]
_CELL = re.compile(rb'<c r="([A-Z]{1,3})\d+"([^>]*?)(/?)>')
_STYLE = re.compile(rb'\ss="(\d+)"')
_INLINE_HEADER = re.compile(
    rb'<c r="([A-Z]{1,3}\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: [^>]*)?>([^<]*)</t></is></c>'
)


def ledger_path(n: int, seed: int = 1) -> Path:
    """Where the cached ledger of ``n`` rows lives."""
    return DATA_DIR / f"ledger-{n}-s{seed}-v{VERSION}.xlsx"


def ensure_ledger(n: int, seed: int = 1, force: bool = False, check: bool = True) -> Path:
    """The cached ledger of ``n`` rows, generated (and checked) first if missing."""
    path = ledger_path(n, seed)
    if path.exists() and not force:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    t0 = time.perf_counter()
    generate(tmp, n, seed)
    t1 = time.perf_counter()
    if check:
        check_ledger(tmp, n)
    checked = f", calamine check {time.perf_counter() - t1:.1f} s" if check else ""
    tmp.replace(path)
    print(f"{n:>9} rows: generated {path.name} in {t1 - t0:.1f} s{checked}", flush=True)
    return path


# -- reading the template ------------------------------------------------------------------


@dataclass
class TablePart:
    sheet_name: str
    sheet_part: str
    table_part: str
    ref: str
    headers: list[str]


@dataclass
class Template:
    members: list[tuple[zipfile.ZipInfo, bytes]]
    invoices: TablePart
    sheet_head: bytes  # worksheet XML up to and including <sheetData>
    header_row: bytes  # the table's header row element, as the template has it
    sheet_tail: bytes  # from </sheetData> to the end
    styles: dict[str, int | None]  # column letters -> s="" of the template's data cells
    customer_ids: list[str]
    customer_terms: list[int]  # payment terms in days (30 where the customer has none)
    customer_currency: list[str]


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels(files: dict[str, bytes], part: str) -> list[ElementTree.Element]:
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in files:
        return []
    return ElementTree.fromstring(files[rels]).findall(f"{{{NS_PKG_REL}}}Relationship")


def find_tables(files: dict[str, bytes]) -> dict[str, TablePart]:
    """Every Excel table of the package by name, with its sheet."""
    workbook = ElementTree.fromstring(files["xl/workbook.xml"])
    by_id = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", ""))
             for r in _rels(files, "xl/workbook.xml")}
    out = {}
    for sheet in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        sheet_part = by_id[sheet.get(f"{{{NS_REL}}}id")]
        for rel in _rels(files, sheet_part):
            if not rel.get("Type", "").endswith("/table"):
                continue
            table_part = _resolve(sheet_part, rel.get("Target", ""))
            root = ElementTree.fromstring(files[table_part])
            headers = [c.get("name", "") for c in root.iter(f"{{{NS_MAIN}}}tableColumn")]
            out[root.get("name", "")] = TablePart(
                sheet.get("name", ""), sheet_part, table_part, root.get("ref", ""), headers)
    return out


def _column_styles(sheet_rows: bytes, header_row: bytes) -> dict[str, int | None]:
    """Style id per column: the first data row's, else that of the column's first styled cell."""
    first_row_end = sheet_rows.find(b"</row>", len(header_row))
    styles: dict[str, int | None] = {}
    for match in _CELL.finditer(sheet_rows, len(header_row)):
        letters = match.group(1).decode()
        style = _STYLE.search(match.group(2))
        if match.start() < first_row_end:
            styles[letters] = int(style.group(1)) if style else None
        elif letters not in styles and style is not None:
            styles[letters] = int(style.group(1))
    return styles


def _header_keys(spec: TableSpec) -> dict[str, str]:
    """German and English header -> the schema's column key."""
    return {**{c.de: c.key for c in spec.columns}, **{c.en: c.key for c in spec.columns}}


def _table_rows(path: Path, table: TablePart) -> list[dict[str, object]]:
    """A table's data rows as dicts keyed by the schema's column keys (read with calamine)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(table.sheet_name).to_python()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(v != "" for v in row)]


def read_template(path: Path) -> Template:
    """Load a workbook made by ``arbook init`` and locate what the generator replaces."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    files = {info.filename: data for info, data in members}
    tables = find_tables(files)
    invoices, customers = tables[INVOICES.name], tables[CUSTOMERS.name]
    sheet = files[invoices.sheet_part]
    start = sheet.index(b"<sheetData")
    head_end = sheet.index(b">", start) + 1
    if sheet[head_end - 2 : head_end] == b"/>":
        raise ValueError("the template's Invoices sheet has no rows")
    data_end = sheet.index(b"</sheetData>", head_end)
    header_end = sheet.index(b"</row>", head_end) + len(b"</row>")
    header_row = sheet[head_end:header_end]

    keys, ikeys = _header_keys(CUSTOMERS), _header_keys(INVOICES)
    currency_of: dict[str, str] = {}
    for row in _table_rows(path, invoices):
        row = {ikeys.get(k, k): v for k, v in row.items()}
        currency_of.setdefault(str(row["customer_id"]), str(row["currency"] or "EUR"))
    ids, terms, currencies = [], [], []
    for row in _table_rows(path, customers):
        row = {keys.get(k, k): v for k, v in row.items()}
        ids.append(str(row["customer_id"]))
        term = row.get("terms_days")
        terms.append(int(term) if isinstance(term, int | float) and term else 0)
        currencies.append(currency_of.get(ids[-1], "EUR"))
    return Template(
        members=members,
        invoices=invoices,
        sheet_head=sheet[:head_end],
        header_row=header_row,
        sheet_tail=sheet[data_end:],
        styles=_column_styles(sheet[head_end:data_end], header_row),
        customer_ids=ids,
        customer_terms=terms,
        customer_currency=currencies,
    )


# -- generating rows -----------------------------------------------------------------------


class SharedStrings:
    """The shared-strings table being built: strings in index order, and the reference count."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.count = 0

    def add(self, values: list[str]) -> int:
        """Append ``values`` (distinct, not yet present); return the index of the first."""
        base = len(self.strings)
        self.strings.extend(values)
        return base

    def xml(self) -> Iterator[bytes]:
        yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst xmlns="{NS_MAIN}"'
               f' count="{self.count}" uniqueCount="{len(self.strings)}">').encode()
        for i in range(0, len(self.strings), CHUNK):
            yield "".join(f"<si><t>{html.escape(s, quote=False)}</t></si>"
                          for s in self.strings[i : i + CHUNK]).encode()
        yield b"</sst>"


@dataclass
class Ledger:
    """The generated columns: shared-string indices and serials (-1 = empty), money in cents."""

    invoice_no: np.ndarray
    customer: np.ndarray
    invoice_date: np.ndarray
    due_date: np.ndarray
    currency: np.ndarray
    amount: np.ndarray
    paid: np.ndarray
    reference: np.ndarray
    disputed: np.ndarray
    reason: np.ndarray
    promised_date: np.ndarray
    owner: np.ndarray
    note: np.ndarray


def make_ledger(n: int, seed: int, tpl: Template, sst: SharedStrings) -> Ledger:
    """N invoices of the template's customers, with a realistic mix of states (vectorised)."""
    rng = np.random.default_rng(seed)
    as_of = (AS_OF - EXCEL_EPOCH).days
    n_cust = len(tpl.customer_ids)
    cust = rng.integers(0, n_cust, n)
    credit = rng.random(n) < 0.01
    age = rng.integers(-5, 366, n)  # days since the invoice date
    invoice_date = as_of - age
    terms = np.array([t or 30 for t in tpl.customer_terms])[cust]
    due_date = np.where(credit, invoice_date, invoice_date + terms)
    due_date[rng.random(n) < 0.03] = -1
    amount = np.where(credit, -rng.integers(1_000, 100_000, n), rng.integers(4_900, 1_250_000, n))
    # Older invoices are more likely settled; some are partly paid.
    p_full = 0.15 + 0.75 * np.clip(age, 0, 365) / 365
    roll = rng.random(n)
    share = rng.choice(np.array([25, 40, 50]), n)
    paid = np.where(roll < p_full, amount, np.where(roll < p_full + 0.08, amount * share // 100, 0))
    paid[credit] = 0
    order = rng.integers(100_000, 1_000_000, n)

    def pick(pool: list[str], chance: float) -> np.ndarray:
        base = sst.add(pool)
        chosen = rng.integers(0, len(pool), n) + base
        return np.where(rng.random(n) < chance, chosen, -1)

    customer = sst.add(tpl.customer_ids) + cust
    currency_pool = sorted(set(tpl.customer_currency))
    currency = sst.add(currency_pool) + np.array(
        [currency_pool.index(c) for c in tpl.customer_currency])[cust]
    disputed = np.where(rng.random(n) < 0.03, sst.add(["Ja"]), -1)
    reason = np.where(disputed >= 0, sst.add(REASONS) + rng.integers(0, len(REASONS), n), -1)
    owner = pick(OWNERS, 0.20)
    note = pick(NOTES, 0.10)
    promised_date = np.where(rng.random(n) < 0.02, as_of + rng.integers(-10, 15, n), -1)
    # Numbered like the template's sample (its payments and contacts refer to RE-2026-00006).
    prefix = np.where(credit, "GS", "RE")
    invoice_no = sst.add([f"{p}-2026-{i:05d}" for p, i in zip(prefix.tolist(), range(1, n + 1),
                                                              strict=True)]) + np.arange(n)
    unique_orders, order_idx = np.unique(order, return_inverse=True)
    reference = sst.add([f"Bestellung {o}" for o in unique_orders.tolist()]) + order_idx
    return Ledger(invoice_no, customer, invoice_date, due_date, currency, amount, paid,
                  reference, disputed, reason, promised_date, owner, note)


def _money(cents: np.ndarray) -> list[str]:
    """Cents as Excel writes the amount: shortest round-trip decimal, no trailing '.0'."""
    return [str(c // 100) if c % 100 == 0 else repr(c / 100) for c in cents.tolist()]


def _cells(letters: str, style: int | None, shared: bool, rows: list[int],
           values: list[int] | list[str], empty: object = -1) -> list[str]:
    """One ``<c>`` per row ('' where the value is ``empty``: Excel omits empty cells)."""
    head = f'<c r="{letters}'
    tail = '"' + (f' s="{style}"' if style is not None else "") + (' t="s"' if shared else "")
    tail += "><v>"
    return [f"{head}{r}{tail}{v}</v></c>" if v != empty else "" for r, v in
            zip(rows, values, strict=True)]


def render_rows(ledger: Ledger, tpl: Template, first_row: int) -> Iterator[bytes]:
    """The generated ``<row>`` elements, a chunk of rows at a time."""
    letter = {c.key: col_letters(i + 1) for i, c in enumerate(INVOICES.columns)}
    by_header = _header_keys(INVOICES)
    for i, header in enumerate(tpl.invoices.headers):  # the template's order wins
        letter[by_header[header]] = col_letters(i + 1)
    width = len(tpl.invoices.headers)
    # (key, array, shared string?, money?) in column order
    columns = [
        ("invoice_no", ledger.invoice_no, True, False),
        ("customer_id", ledger.customer, True, False),
        ("invoice_date", ledger.invoice_date, False, False),
        ("due_date", ledger.due_date, False, False),
        ("currency", ledger.currency, True, False),
        ("amount", ledger.amount, False, True),
        ("paid", ledger.paid, False, True),
        ("reference", ledger.reference, True, False),
        ("disputed", ledger.disputed, True, False),
        ("dispute_reason", ledger.reason, True, False),
        ("promised_date", ledger.promised_date, False, False),
        ("owner", ledger.owner, True, False),
        ("note", ledger.note, True, False),
    ]
    columns.sort(key=lambda c: (len(letter[c[0]]), letter[c[0]]))
    n = len(ledger.invoice_no)
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        rows = list(range(first_row + lo, first_row + hi))
        rendered = []
        for key, values, shared, money in columns:
            letters = letter[key]
            part = values[lo:hi]
            rendered.append(_cells(letters, tpl.styles.get(letters), shared, rows,
                                   _money(part) if money else part.tolist()))
        yield "".join(
            f'<row r="{r}" spans="1:{width}">{"".join(cells)}</row>'
            for r, cells in zip(rows, zip(*rendered, strict=True), strict=True)
        ).encode()


# -- writing the package -------------------------------------------------------------------


def _header_to_sst(header_row: bytes, sst: SharedStrings, width: int) -> bytes:
    """The header row with inline strings turned into shared strings, as Excel saves it."""
    def shared(match: re.Match[bytes]) -> bytes:
        text = html.unescape(match.group(3).decode())
        index = sst.add([text])
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2), index)

    row = _INLINE_HEADER.sub(shared, header_row)
    return re.sub(rb"^<row r=\"(\d+)\"", rb'<row r="\1" spans="1:%d"' % width, row, count=1)


def _set_ref(xml: bytes, tag: bytes, ref: str) -> bytes:
    return re.sub(rb"(<" + tag + rb'\b[^>]*?\sref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>",
                  xml, count=1)


def _with_shared_strings(files: dict[str, bytes]) -> dict[str, bytes]:
    """Workbook rels and content types that declare xl/sharedStrings.xml (if they don't)."""
    out = {}
    rels = files["xl/_rels/workbook.xml.rels"]
    if SST_REL_TYPE.encode() not in rels:
        ids = [int(m) for m in re.findall(rb'Id="rId(\d+)"', rels)]
        rel = (f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{SST_REL_TYPE}" '
               'Target="sharedStrings.xml"/>').encode()
        out["xl/_rels/workbook.xml.rels"] = rels.replace(b"</Relationships>",
                                                         rel + b"</Relationships>")
    types = files["[Content_Types].xml"]
    if b'PartName="/xl/sharedStrings.xml"' not in types:
        override = (f'<Override PartName="/xl/sharedStrings.xml" '
                    f'ContentType="{SST_CONTENT_TYPE}"/>').encode()
        out["[Content_Types].xml"] = types.replace(b"</Types>", override + b"</Types>")
    return out


def generate(path: Path, n: int, seed: int = 1) -> Path:
    """Write a ledger workbook of ``n`` invoice rows to ``path``."""
    with tempfile.TemporaryDirectory(prefix="arbook-bench-") as tmp:
        template_path = Path(tmp) / "template.xlsx"
        jobs.init_book(template_path, lang="de", sample=50, seed=seed, today=AS_OF)
        tpl = read_template(template_path)
    sst = SharedStrings()
    width = len(tpl.invoices.headers)
    header_row = _header_to_sst(tpl.header_row, sst, width)
    first_row = int(re.match(rb'<row r="(\d+)"', header_row).group(1)) + 1
    ledger = make_ledger(n, seed, tpl, sst)
    sst.count = int(sum((a >= 0).sum() for a in (
        ledger.invoice_no, ledger.customer, ledger.currency, ledger.reference, ledger.disputed,
        ledger.reason, ledger.owner, ledger.note))) + header_row.count(b't="s"')
    last_row = first_row + n - 1
    ref = f"{tpl.invoices.ref.split(':')[0]}:{col_letters(width)}{last_row}"
    files = {info.filename: data for info, data in tpl.members}
    changed = _with_shared_strings(files)
    table_xml = _set_ref(files[tpl.invoices.table_part], b"table", ref)
    changed[tpl.invoices.table_part] = _set_ref(table_xml, b"autoFilter", ref)
    head = _set_ref(tpl.sheet_head, b"dimension", ref)

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for info, data in tpl.members:
            name = info.filename
            if name == tpl.invoices.sheet_part:
                with out.open(name, "w") as stream:
                    stream.write(head)
                    stream.write(header_row)
                    for chunk in render_rows(ledger, tpl, first_row):
                        stream.write(chunk)
                    stream.write(tpl.sheet_tail)
            else:
                out.writestr(name, changed.get(name, data))
            if name == "xl/workbook.xml" and "xl/sharedStrings.xml" not in files:
                with out.open("xl/sharedStrings.xml", "w") as stream:
                    for block in sst.xml():
                        stream.write(block)
    return path


# -- checking ------------------------------------------------------------------------------


def check_ledger(path: Path, n: int) -> None:
    """Open with python-calamine and require ``n`` data rows and a table ref to match."""
    from python_calamine import CalamineWorkbook

    with zipfile.ZipFile(path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()
                 if not name.startswith("xl/worksheets/sheet")}
    table = find_tables(files)[INVOICES.name]
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(table.sheet_name)
    rows = iter(sheet.iter_rows())
    header = next(rows)
    if list(header) != table.headers:
        raise AssertionError(f"{path.name}: header {header!r} != table {table.headers!r}")
    count, first, last = 0, None, None
    for row in rows:
        if any(v != "" for v in row):
            count += 1
            first = first or row
            last = row
    if count != n:
        raise AssertionError(f"{path.name}: calamine sees {count} data rows, expected {n}")
    expected_ref = f"A1:{col_letters(len(table.headers))}{n + 1}"
    if table.ref != expected_ref:
        raise AssertionError(f"{path.name}: table ref {table.ref} != {expected_ref}")
    if not (isinstance(first[2], date) and isinstance(first[5], float)):
        raise AssertionError(f"{path.name}: unexpected first row {first!r}")
    if any(v != "" for v in first[17:]) or any(v != "" for v in last[17:]):
        raise AssertionError(f"{path.name}: computed columns are not empty")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000],
                        help="rows per ledger (default: 10000 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="regenerate cached files")
    parser.add_argument("--no-check", action="store_true", help="skip the calamine check")
    args = parser.parse_args(argv)
    for n in args.sizes:
        cached = ledger_path(n, args.seed).exists() and not args.force
        path = ensure_ledger(n, args.seed, force=args.force, check=not args.no_check)
        print(f"{n:>9} rows: {path} ({path.stat().st_size / 1e6:.1f} MB"
              f"{', cached' if cached else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
