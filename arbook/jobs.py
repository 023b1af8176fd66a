"""Use cases. The CLI, the nightly batch and the Excel ribbon all call these functions."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from arbook.core.ageing import (
    FLAG_ORDER,
    STATUSES,
    Ageing,
    ageing_summary,
    compute_ageing,
    flag_list,
)
from arbook.core.cells import ColumnValues, typed_frame
from arbook.core.interest import (
    FLAT_FEE_CENTS,
    InterestCalc,
    default_interest,
    statutory_margin,
)
from arbook.core.labels import START, STATUS, bucket_label, flags_text
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.schema import CUSTOMERS, INVOICES, PAYMENTS, SETTINGS, START_SHEET
from arbook.core.settings import Settings, settings_from_pairs
from arbook.io.lawdata import load_rate_table
from arbook.io.port import WorkbookPort
from arbook.io.start_layout import (
    START_BLOCK_HEIGHT,
    START_BLOCK_TOP,
    START_BLOCK_WIDTH,
    START_STAMP_ROW,
)
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.package import check_writable
from arbook.sample import make_sample

# The computed columns refresh owns today; dunning stage, last reminder and interest are
# written by the reminder job.
REFRESH_COLUMNS = ("open", "days_overdue", "bucket", "status", "flag")
# The ledger columns ageing needs; notes and other free text are not even read.
AGEING_INPUTS = ("invoice_no", "customer_id", "invoice_date", "due_date", "currency", "amount",
                 "paid", "credit_for", "disputed", "hold_until", "promised_date")
Progress = Callable[[str], None]
AfterSave = Callable[[], None]


def save_then(book: WorkbookPort, save: bool, after: Sequence[AfterSave]) -> list[AfterSave]:
    """End a job: save and run what must follow the save (journal records), or, with ``save``
    False, hand both to the caller, who saves once for several jobs (the nightly batch).

    The order matters: the journal may record e.g. a bank entry as applied only once the
    workbook holding its payment row is on disk.
    """
    if not save:
        return list(after)
    book.save()
    for action in after:
        action()
    return []


def init_book(path: Path, lang: str = "de", sample: int | None = None, seed: int = 1,
              today: date | None = None) -> Path:
    """Create a new front-end workbook; with ``sample`` rows of demo data."""
    path = Path(path)
    if path.exists():
        raise ArbookError(
            f"{path} already exists; arbook never overwrites a workbook. "
            "Choose another name or move the file away."
        )
    if path.suffix.lower() != ".xlsx":
        raise ArbookError(f"{path.name}: the workbook must end in .xlsx")
    if lang not in ("de", "en"):
        raise ArbookError(f"language '{lang}' is not supported; use de or en")
    from arbook.io.template import build_workbook  # openpyxl: only new workbooks need it

    data = make_sample(sample, seed, today or date.today()) if sample else None
    tmp = path.with_name(f".{path.name}.arbook-tmp")
    try:
        build_workbook(tmp, lang, data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


@dataclass
class LedgerFrames:
    """The ledger as typed and aged by a refresh, for a job that follows on the same book and
    day (the nightly reminders) and would work out the same frames again."""

    invoices: pd.DataFrame  # AGEING_INPUTS, typed
    ageing: Ageing
    headers: dict[str, str]  # column key -> header as found (problem labels)


@dataclass
class RefreshResult:
    path: Path
    as_of: date
    rows: int
    settings: Settings
    problems: list[Problem]
    totals: pd.DataFrame  # open cents per currency (rows) and bucket (columns), with "total"
    open_items: pd.Series  # number of open items per currency
    bucket_order: list[str]
    written: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    rows_changed: int = 0  # ledger rows whose computed cells changed
    frames: LedgerFrames | None = None  # with keep_frames=True only (they are large)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @classmethod
    def of(cls, path: Path, as_of: date, ageing: Ageing, settings: Settings,
           problems: list[Problem]) -> RefreshResult:
        """The result; keeps the sums, not the million-row frames behind them."""
        items = ageing.items
        open_items = items[items["bucket"].notna()].groupby("currency").size()
        return cls(path, as_of, len(items), settings, problems,
                   ageing_summary(ageing, ["currency"]), open_items, ageing.bucket_order)


def money_texts(cents: np.ndarray) -> list[str | None]:
    """Integer cents to decimal text ('-1234.56'), exactly."""
    return ColumnValues.scaled(cents, 2).formatted()


def computed_values(ageing: Ageing, lang: str) -> tuple[np.ndarray, dict[str, ColumnValues]]:
    """The refresh columns as the workbook shows them, with the invoice number of each row."""
    items = ageing.items[~ageing.items["skipped"]]
    days = items["days_overdue"]
    bucket_codes = pd.Categorical(items["bucket"], categories=ageing.bucket_order).codes
    status_codes = pd.Categorical(items["status"], categories=list(STATUSES)).codes
    flag_words = [flags_text(flag_list(b), lang) for b in range(1 << len(FLAG_ORDER))]
    flag_text = ColumnValues.texts(np.array(flag_words, dtype=object))  # every combination
    flag_codes = flag_text.codes[items["flag_bits"].to_numpy()]
    columns = {
        "open": ColumnValues.scaled(items["open_cents"].to_numpy(), 2),
        "days_overdue": ColumnValues.scaled(days.fillna(0).to_numpy(dtype=np.int64), 0,
                                            days.isna().to_numpy()),
        "bucket": ColumnValues(codes=bucket_codes.astype(np.int64),
                               labels=[bucket_label(k, lang) for k in ageing.bucket_order]),
        "status": ColumnValues(codes=status_codes.astype(np.int64),
                               labels=[STATUS[lang][k] for k in STATUSES]),
        "flag": ColumnValues(codes=flag_codes, labels=flag_text.labels),
    }
    return items["invoice_no"].to_numpy(dtype=object), columns


def start_block(result: RefreshResult, lang: str) -> list[list[tuple[str | None, bool]]]:
    """The totals block on the Start sheet: buckets down, currencies across."""
    words = START[lang]
    totals = result.totals
    currencies = list(totals.index)[: START_BLOCK_WIDTH - 1]
    order = result.bucket_order
    overdue_keys = order[3:]

    def money(cents: int) -> tuple[str, bool]:
        return money_texts(np.array([cents]))[0], True

    rows: list[list[tuple[str | None, bool]]] = [
        [(words["bucket"], False)] + [(str(c), False) for c in currencies]
    ]
    for key in order:
        rows.append([(bucket_label(key, lang), False)]
                    + [money(int(totals.loc[c, key])) for c in currencies])
    rows.append([(words["total"], False)] + [money(int(totals.loc[c, "total"]))
                                            for c in currencies])
    rows.append([(words["overdue"], False)] + [
        money(int(totals.loc[c, overdue_keys].sum())) for c in currencies])
    counts = result.open_items
    rows.append([(words["items"], False)] + [(str(int(counts.get(c, 0))), True)
                                            for c in currencies])
    rows.append([(words["problems"], False), (str(len(result.problems)), True)])
    rows = rows[:START_BLOCK_HEIGHT]
    while len(rows) < START_BLOCK_HEIGHT:
        rows.append([])
    return [r + [(None, False)] * (START_BLOCK_WIDTH - len(r)) for r in rows]


def refresh(path: Path, as_of: date | None = None, strict: bool = False,
            progress: Progress | None = None,
            extra_problems: Sequence[Problem] = ()) -> RefreshResult:
    """Recompute ageing and write arbook's columns, the Start totals and the Problems sheet.

    With ``strict``, any problem of severity error means nothing is written.
    ``extra_problems`` (e.g. an import's) are shown on the Problems sheet with refresh's own.
    """
    path = Path(path)
    if not path.exists():
        raise ArbookError(f"{path}: file not found. Create one with 'arbook init {path.name}'.")
    check_writable(path)
    with WorkbookFile(path) as book:
        return refresh_book(book, path, as_of, strict, progress or (lambda _msg: None),
                            extra_problems)


def refresh_book(book: WorkbookPort, path: Path, as_of: date | None = None, strict: bool = False,
                 progress: Progress | None = None,
                 extra_problems: Sequence[Problem] = (), save: bool = True,
                 keep_frames: bool = False) -> RefreshResult:
    """``refresh`` on any workbook port: a closed file, or the book open in Excel.

    ``progress`` defaults to the port's own (Excel's status bar). The job ends with
    ``book.save()``; with ``save=False`` the caller saves (the nightly batch, once a night).
    ``keep_frames`` keeps the typed ledger and its ageing in ``result.frames``.
    """
    as_of = as_of or date.today()
    step = progress or book.progress
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    step("reading settings and customers")
    settings, problems = settings_from_pairs(
        book.read_pairs(SETTINGS, "setting", "value"), sheet=SETTINGS.sheet("en"))
    lang = settings.language
    customers, found = typed_frame(
        book.read_table(CUSTOMERS, keys=("customer_id", "terms_days")), CUSTOMERS)
    problems += found
    payments, found = typed_frame(book.read_table(PAYMENTS), PAYMENTS)
    problems += found
    lap("read small tables")
    step("reading the invoice ledger")
    raw = book.read_table(INVOICES, write_keys=REFRESH_COLUMNS, keys=AGEING_INPUTS)
    lap("read ledger")
    invoices, found = typed_frame(raw, INVOICES, AGEING_INPUTS)
    problems += found
    lap("convert ledger")
    step("computing ageing")
    ageing = compute_ageing(invoices, customers, payments, settings, as_of,
                            sheet=raw.sheet, labels=raw.headers)
    problems += ageing.problems
    problems = [*extra_problems, *(p.at_file(book.name) for p in problems)]
    lap("compute")
    result = RefreshResult.of(path, as_of, ageing, settings, problems)
    result.timings = timings
    if keep_frames:
        result.frames = LedgerFrames(invoices, ageing, raw.headers)
    if strict and result.errors:
        return result
    step("writing computed columns")
    keys, values = computed_values(ageing, lang)
    del ageing, invoices, raw  # free the frames before the write needs its memory
    result.rows_changed = book.write_computed(INVOICES, keys, values,
                                              {"flag": flags_text(["skipped"], lang)})
    lap("write ledger")
    stamp = (f"{datetime.now():%d.%m.%Y %H:%M} – {START[lang]['as_of']} {as_of:%d.%m.%Y}"
             if lang == "de" else
             f"{datetime.now():%Y-%m-%d %H:%M} – {START[lang]['as_of']} {as_of:%Y-%m-%d}")
    start = START_SHEET[lang]
    if book.has_sheet(start):
        book.write_block(start, START_STAMP_ROW, 2, [[(stamp, False)]], 1)
        book.write_block(start, START_BLOCK_TOP, 1, start_block(result, lang),
                         START_BLOCK_WIDTH)
    else:
        problems.append(Problem(
            f"no sheet named '{start}', so the totals were not written; rename the start "
            "sheet back to 'Start'", file=book.name, severity=Severity.WARNING))
    book.write_problems(problems, lang)
    book.request_recalculation()
    lap("write start and problems")
    if save:
        step("saving")
        book.save()
        lap("save")
    result.written = True
    return result


def interest_claim(principal_cents: int, start: date, end: date, business: bool,
                   variant: str = "de", payments: Sequence[tuple[date, int]] = ()
                   ) -> tuple[InterestCalc, int]:
    """Default interest on one claim with the packaged rate table, and its flat fee in cents.

    The flat fee (§ 288 (5) BGB, art. 6 of Directive 2011/7/EU) is due from businesses only.
    """
    table = load_rate_table(variant)
    margin = statutory_margin(business, variant)
    calc = default_interest(principal_cents, start, end, margin, table, payments)
    return calc, FLAT_FEE_CENTS if business else 0
