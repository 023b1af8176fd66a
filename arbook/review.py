"""The review job: KPIs, history, checklist evidence and the customer journey in the workbook.

``arbook review`` reads the book and the journal, computes the figures (``core.review_figures``,
``core.kpi``), stores the period's snapshot in the journal, and rewrites what arbook owns: the
Review sheet's block and chart data, the History table (the trend chart reads it), the checklist
sheets' *arbook check* columns, and the Journey sheet for the customer typed there. People's
columns (owner, due date, status, evidence) are never written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pandas as pd

from arbook import review_text as txt
from arbook.core import kpi
from arbook.core.ageing import Ageing, ageing_summary, compute_ageing
from arbook.core.cells import ColumnValues, to_text, typed_frame
from arbook.core.checklist import SHORT_LIST, STEPS, Item, status_key
from arbook.core.checklist_checks import Evidence, Facts, run_checks
from arbook.core.dunning_policy import DunningPolicy
from arbook.core.journey import WORDS as JOURNEY_WORDS
from arbook.core.journey import Event, journey
from arbook.core.labels import bucket_label
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.review_figures import Figures, IssuedReminder, compute_figures
from arbook.core.schema import (
    CHECKLIST,
    CHECKLIST_SHORT,
    CONTACTS,
    CUSTOMERS,
    HISTORY,
    INVOICES,
    JOURNEY,
    PAYMENTS,
    REVIEW_SHEET,
    SETTINGS,
    START_SHEET,
)
from arbook.core.settings import Settings, settings_from_pairs
from arbook.io.journal import ISSUED, Journal, ReminderRecord, ReviewLog, ReviewSnapshot, State
from arbook.io.journal import journal_path as journal_path_of
from arbook.io.port import WorkbookPort
from arbook.io.start_layout import (
    HISTORY_CHART_ROWS,
    JOURNEY_BLOCK_HEIGHT,
    JOURNEY_BLOCK_TOP,
    JOURNEY_BLOCK_WIDTH,
    REVIEW_BLOCK_HEIGHT,
    REVIEW_BLOCK_TOP,
    REVIEW_BLOCK_WIDTH,
    REVIEW_CHART_COL,
    REVIEW_CHART_ROWS,
    START_PROGRESS_HEIGHT,
    START_PROGRESS_TOP,
    START_PROGRESS_WIDTH,
)
from arbook.io.workbook_file import WorkbookFile, cell_text
from arbook.io.xlsx.package import check_writable
from arbook.jobs import AGEING_INPUTS, save_then
from arbook.letters import to_units as _amount
from arbook.remind import read_policy, smtp_config
from arbook.review_mail import build_summary, deliver

Progress = Callable[[str], None]
Cell = str | int | Decimal | date | None
MAX_LIST = 30  # rows per list on the Review sheet; the rest is counted
# The ledger columns the figures, checks and journey use; notes and the like are not read.
REVIEW_INPUTS = (*AGEING_INPUTS, "next_action")


@dataclass
class Section:
    """One block of the review: a title, a header row and rows (sheet and email alike)."""

    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]]


@dataclass
class ReviewResult:
    path: Path
    as_of: date
    lang: str
    figures: Figures
    sections: list[Section]
    evidence: dict[str, Evidence]
    progress: list[tuple[str, int, int]]  # step title, done, applicable
    problems: list[Problem]
    history: list[ReviewSnapshot] = field(default_factory=list)
    journey_customer: str | None = None
    message: EmailMessage | None = None
    outbox_file: Path | None = None
    sent: bool = False
    after_save: list[Callable[[], None]] = field(default_factory=list)  # save=False: run after


@dataclass
class _Book:
    """Everything the review reads from a workbook and its journal."""

    settings: Settings
    problems: list[Problem]
    customers: pd.DataFrame
    payments: pd.DataFrame
    contacts: pd.DataFrame
    invoices: pd.DataFrame
    ageing: Ageing
    policy: DunningPolicy
    records: list[ReminderRecord]
    issued: list[IssuedReminder]


def _issued(records: list[ReminderRecord]) -> list[IssuedReminder]:
    return [IssuedReminder(r.day, r.customer_id, r.stage_no, tuple(r.invoice_nos),
                           dict(r.item_stages), sum(r.totals.values()),
                           next(iter(r.totals)) if len(r.totals) == 1 else "")
            for r in records if r.state in ISSUED]


def _read(book: WorkbookPort, journal: Journal | None, as_of: date) -> _Book:
    settings, problems = settings_from_pairs(book.read_pairs(SETTINGS, "setting", "value"),
                                             sheet=SETTINGS.sheet("en"))
    frames = {}
    for spec in (CUSTOMERS, PAYMENTS, CONTACTS):
        frames[spec.name], found = typed_frame(book.read_table(spec), spec)
        problems += found
    raw = book.read_table(INVOICES, keys=REVIEW_INPUTS)
    invoices, found = typed_frame(raw, INVOICES, REVIEW_INPUTS)
    problems += found
    ageing = compute_ageing(invoices, frames[CUSTOMERS.name], frames[PAYMENTS.name], settings,
                            as_of, sheet=raw.sheet, labels=raw.headers)
    problems += ageing.problems
    policy = read_policy(book, settings.language, problems)
    records = journal.reminders() if journal is not None else []
    return _Book(settings, problems, frames[CUSTOMERS.name], frames[PAYMENTS.name],
                 frames[CONTACTS.name], invoices, ageing, policy, records, _issued(records))


def _opened(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise ArbookError(f"{path}: file not found. Create one with 'arbook init {path.name}'.")
    return path


def _check_period(period: str) -> None:
    if period not in ("week", "month"):
        raise ArbookError(f"period '{period}' is not known; use week or month")


def review(path: Path, as_of: date | None = None, period: str = "week",
           progress: Progress | None = None, send_email: bool = False,
           environ: Mapping[str, str] | None = None) -> ReviewResult:
    """Compute the review as of ``as_of``, write it into the workbook and the journal, and
    write the summary email to the outbox (``send_email``: also send it by SMTP)."""
    _check_period(period)
    path = _opened(path)
    check_writable(path)
    with WorkbookFile(path) as book:
        return review_book(book, path, as_of, period, progress, send_email, environ)


@dataclass
class _Evidence:
    """The checklist evidence and what it was computed from."""

    data: _Book
    figures: Figures
    evidence: dict[str, Evidence]
    earlier: list[ReviewSnapshot]


def _evidence(book: WorkbookPort, journal: Journal, as_of: date, period: str,
              step: Progress) -> _Evidence:
    step("reading the workbook")
    data = _read(book, journal, as_of)
    _require_review_sheets(book, data.settings.language)
    earlier = [s for s in ReviewLog(journal).snapshots() if s.day < as_of]
    step("computing the figures")
    figures = _figures(data, as_of, period, beginning_receivables(earlier, as_of, period))
    facts = Facts(
        as_of=as_of, lang=data.settings.language, customers=data.customers,
        contacts=data.contacts, items=data.ageing.items, reminders=data.issued,
        troubled=sum(1 for r in data.records if r.state in (State.FAILED, State.UNCERTAIN)
                     and r.day > as_of - timedelta(days=30)),
        first_stage_days=data.policy.stages[0].days_after_due,
        last_stage=data.policy.last.number, figures=figures,
        review_days=[s.day for s in earlier], settings=data.settings.extra)
    return _Evidence(data, figures, run_checks(facts), earlier)


def review_book(book: WorkbookPort, path: Path, as_of: date | None = None,
                period: str = "week", progress: Progress | None = None,
                send_email: bool = False, environ: Mapping[str, str] | None = None,
                save: bool = True) -> ReviewResult:
    """The review on any workbook port (the closed file, the book open in Excel); ``path``
    says where the journal and the outbox are. Ends with ``book.save()``, then records the
    snapshot and delivers the summary; with ``save=False`` the caller saves and then runs
    ``result.after_save`` (a failed save records and sends nothing)."""
    _check_period(period)
    as_of = as_of or date.today()
    step = progress or (lambda _msg: None)
    environ = os.environ if environ is None else environ
    with Journal(journal_path_of(path)) as journal:
        found = _evidence(book, journal, as_of, period, step)
        data, figures, evidence = found.data, found.figures, found.evidence
        lang = data.settings.language
        config = smtp_config(data.settings, environ) if send_email else None
        step("writing the checklists")
        progress_rows, late = _checklists(book, evidence, as_of, lang)
        history = [*(s for s in found.earlier if s.period == period),
                   _snapshot(figures, data.ageing)]
        sections = build_sections(figures, data, progress_rows, late, lang)
        message = _summary(sections, figures, data, history, path, send_email)
        step("writing the Review sheet")
        _write_review(book, sections, figures, data, lang)
        book.write_rows(HISTORY, [_history_row(s, lang)
                                  for s in history[-HISTORY_CHART_ROWS:]])
        kept = _write_start_progress(book, checklist_section(progress_rows, lang), lang)
        if kept is not None:
            data.problems.append(kept)
        chosen = typed_customer(book)
        if chosen:
            _write_journey(book, chosen, data, lang)
        book.write_problems([p.at_file(book.name) for p in data.problems], lang)
    result = ReviewResult(path, as_of, lang, figures, sections, evidence, progress_rows,
                          data.problems, history, chosen, message)

    def record() -> None:  # after saving: a failed save records nothing
        with Journal(journal_path_of(path)) as journal:
            ReviewLog(journal).record(history[-1])

    def send_summary() -> None:
        if message is not None:
            step("sending the summary" if send_email else "writing the summary email")
            outbox = path.parent / (data.settings.extra.get("outbox_folder") or "outbox")
            summary = deliver(message, outbox, as_of, send_email, config, environ)
            result.outbox_file, result.sent = summary.file, summary.sent

    result.after_save = save_then(book, save, [record, send_summary])
    return result


@dataclass
class ChecklistResult:
    as_of: date
    lang: str
    evidence: dict[str, Evidence]
    progress: list[tuple[str, int, int]]  # step title, done, applicable
    late: list[list[Cell]]  # overdue items: id, text, owner, due date
    problems: list[Problem]


def check_checklist_book(book: WorkbookPort, path: Path, as_of: date | None = None,
                         progress: Progress | None = None) -> ChecklistResult:
    """Only the checklists' automatic evidence and the progress on the Start sheet: no
    Review sheet, no history, no snapshot in the journal, no email. Ends with ``save``."""
    as_of = as_of or date.today()
    step = progress or (lambda _msg: None)
    with Journal(journal_path_of(path)) as journal:
        found = _evidence(book, journal, as_of, "week", step)
    lang = found.data.settings.language
    step("writing the checklists")
    progress_rows, late = _checklists(book, found.evidence, as_of, lang)
    kept = _write_start_progress(book, checklist_section(progress_rows, lang), lang)
    if kept is not None:
        found.data.problems.append(kept)
    book.write_problems([p.at_file(book.name) for p in found.data.problems], lang)
    book.save()
    return ChecklistResult(as_of, lang, found.evidence, progress_rows, late, found.data.problems)


def _require_review_sheets(book: WorkbookPort, lang: str) -> None:
    """Books made before the review existed lack its sheets: say how to get them."""
    missing = [REVIEW_SHEET[lang]] if not book.has_sheet(REVIEW_SHEET[lang]) else []
    missing += [HISTORY.sheet(lang)] if not book.has_table(HISTORY.name) else []
    if missing:
        raise ArbookError(
            f"{book.name} has no {' / '.join(missing)} sheet (made by an older arbook). "
            "Create a new book with 'arbook init NEW.xlsx' and copy your tables into it; "
            "nothing was written.")


def _summary(sections: list[Section], f: Figures, data: _Book, history: list[ReviewSnapshot],
             path: Path, send_email: bool) -> EmailMessage | None:
    """The summary email, or None (with a warning) when Settings lack the addresses."""
    lang = data.settings.language
    w = txt.WORDS[lang]
    totals = ageing_summary(data.ageing, ["currency"])
    buckets = [(bucket_label(k, lang), _amount(int(totals.loc[f.currency, k])
                                               if f.currency in totals.index else 0))
               for k in data.ageing.bucket_order]
    period_text = (f"{txt.day(f.period.start, lang)} – {txt.day(f.period.end, lang)} "
                   f"({w[f.period_kind]})")
    try:
        return build_summary(sections, as_of=f.as_of, period_text=period_text,
                             settings=data.settings, lang=lang, buckets=buckets,
                             history=history, templates_dir=path.parent / "templates")
    except ArbookError as exc:
        if send_email:
            raise
        data.problems.append(Problem(f"no summary email: {exc}", sheet="Settings",
                                     severity=Severity.WARNING))
        return None


BEGINNING_TOLERANCE_DAYS = 3


def beginning_receivables(earlier: list[ReviewSnapshot], as_of: date, period: str
                          ) -> int | None:
    """Receivables at the start of the period: from the review whose as-of date is the day
    before the period starts, or up to 3 days off it (the nearest). None: no such review."""
    start = kpi.period_ending(as_of, period).start - timedelta(days=1)
    near = [s for s in earlier if abs((s.day - start).days) <= BEGINNING_TOLERANCE_DAYS]
    if not near:
        return None
    return min(near, key=lambda s: (abs((s.day - start).days), -s.day.toordinal())).receivables


def _figures(data: _Book, as_of: date, period: str, beginning: int | None) -> Figures:
    last = data.policy.last
    return compute_figures(
        data.ageing.items, data.invoices, data.payments, data.contacts, data.issued,
        as_of=as_of, period_kind=period, currency=data.settings.home_currency,
        bucket_order=data.ageing.bucket_order, beginning=beginning, last_stage=last.number,
        court_after_days=last.deadline_days + data.settings.escalation_after_days,
        dispute_days=_whole(data.settings.extra.get("dispute_escalation_days"), 30))


def _whole(text: str | None, default: int) -> int:
    try:
        return int(float(str(text).strip()))
    except ValueError:
        return default


def _snapshot(f: Figures, ageing: Ageing) -> ReviewSnapshot:
    totals = ageing_summary(ageing, ["currency"])
    buckets = ({k: int(totals.loc[f.currency, k]) for k in ageing.bucket_order}
               if f.currency in totals.index else {})
    values = {"dso": f.dso, "dso_countback": f.dso_countback, "best_dso": f.best_dso,
              "add": f.add, "cei": f.cei, "overdue_share": f.overdue_share,
              "over90_share": f.over_last_share}
    return ReviewSnapshot(f.as_of, f.period_kind, f.period.start, f.currency, f.receivables,
                          f.current, f.overdue, f.over_last, f.credit_sales, buckets,
                          {k: None if v is None else str(v) for k, v in values.items()})


def _history_row(s: ReviewSnapshot, lang: str) -> list[Cell]:
    def dec(key: str) -> Decimal | None:
        value = s.figures.get(key)
        return None if value is None else Decimal(value)

    return [s.day, txt.WORDS[lang][s.period], _amount(s.receivables), _amount(s.current),
            _amount(s.overdue), _amount(s.over_90), _amount(s.credit_sales), dec("dso"),
            dec("dso_countback"), dec("best_dso"), dec("add"), dec("cei"),
            dec("overdue_share"), dec("over90_share")]


# -- checklists ------------------------------------------------------------------------------


def _checklists(book: WorkbookPort, evidence: dict[str, Evidence], as_of: date, lang: str
                ) -> tuple[list[tuple[str, int, int]], list[list[Cell]]]:
    """Write arbook's evidence columns; return progress per step and the overdue items."""
    progress: list[tuple[str, int, int]] = []
    late: list[list[Cell]] = []
    known = {i.id: i for s in STEPS for i in s.items} | {i.id: i for i in SHORT_LIST}
    step_of = {i.id: s.title(lang) for s in STEPS for i in s.items}
    for spec, title_of in ((CHECKLIST, step_of),
                           (CHECKLIST_SHORT, dict.fromkeys((i.id for i in SHORT_LIST),
                                                           "Kurzcheckliste" if lang == "de"
                                                           else "Short checklist"))):
        if not book.has_table(spec.name):
            continue
        raw = book.read_table(spec, write_keys=("arbook_check", "arbook_checked"),
                              keys=("item_id", "item", "owner", "due", "status"))
        frame, _found = typed_frame(raw, spec, ("item_id", "item", "owner", "due", "status"))
        ids = to_text(raw.columns["item_id"])
        texts, checked = _evidence_columns(ids, known, evidence, as_of, lang)
        book.write_computed(spec, ids, {
            "arbook_check": ColumnValues.texts(texts),
            "arbook_checked": ColumnValues.scaled(checked, 0, checked == 0)}, {})
        counts: dict[str, list[int]] = {}
        for item_id, status, due, item, owner in zip(ids, frame["status"], frame["due"],
                                                     frame["item"], frame["owner"], strict=True):
            title = title_of.get(str(item_id))
            if title is None:
                continue
            key = status_key(status)
            row = counts.setdefault(title, [0, 0])
            row[0] += key == "done"
            row[1] += key != "na"
            if key not in ("done", "na") and due is not None and not pd.isna(due) \
                    and pd.Timestamp(due).date() < as_of:
                late.append([str(item_id), str(item or ""), str(owner or ""),
                             pd.Timestamp(due).date()])
        progress += [(title, done, total) for title, (done, total) in counts.items()]
    return progress, late


def _evidence_columns(ids: np.ndarray, known: dict[str, Item], evidence: dict[str, Evidence],
                      as_of: date, lang: str) -> tuple[list[str | None], np.ndarray]:
    serial = (as_of - date(1899, 12, 30)).days
    texts: list[str | None] = []
    checked = np.zeros(len(ids), dtype=np.int64)
    for i, item_id in enumerate(ids):
        item = known.get(str(item_id)) if item_id is not None else None
        found = evidence.get(item.check) if item is not None and item.check else None
        if found is None:
            texts.append(None)
            continue
        mark = "✓" if found.ok else "✗"
        texts.append(f"{mark} {txt.day(as_of, lang)}: {found.text}")
        checked[i] = serial
    return texts, checked


# -- the Review sheet ------------------------------------------------------------------------


def _limited(rows: list[list[Cell]], lang: str) -> list[list[Cell]]:
    if len(rows) <= MAX_LIST:
        return rows
    return [*rows[:MAX_LIST], [txt.WORDS[lang]["more"].format(n=len(rows) - MAX_LIST)]]


def build_sections(f: Figures, data: _Book, progress: list[tuple[str, int, int]],
                   late: list[list[Cell]], lang: str) -> list[Section]:
    """The review as sections of rows, for the sheet and the email alike."""
    w = txt.WORDS[lang]
    names = _names(data)
    edges = data.settings.bucket_edges
    sections = [Section("head", w["title"], [], [
        [w["as_of"], txt.day(f.as_of, lang)],
        [w["period"], f"{txt.day(f.period.start, lang)} – {txt.day(f.period.end, lang)} "
                      f"({w[f.period_kind]}, {f.period.days} {w['days']})"],
        [w["kpi_currency"], f.currency]])]
    totals = ageing_summary(data.ageing, ["currency"])
    currencies = [str(c) for c in totals.index]
    sections.append(Section("buckets", w["buckets"], [w["bucket"], *currencies], [
        [w["total"] if key == "total" else bucket_label(key, lang),
         *(txt.money(int(totals.loc[c, key]), lang) for c in currencies)]
        for key in [*data.ageing.bucket_order, "total"]]))
    kpi_rows: list[list[Cell]] = []
    for key in txt.KPI_ROWS:
        label = w[key].format(n=edges[-1])
        value: Cell
        if key in ("receivables", "credit_sales"):
            value = txt.money(getattr(f, key), lang)
        else:
            value = getattr(f, key)
        note = w[f.notes[key]] if key in f.notes else txt.FORMULAS[lang][key]
        target, verdict = _against_target(key, value, data.settings.extra, w)
        kpi_rows.append([label, value if value is not None else "–", note, target, verdict])
    sections.append(Section("kpis", w["kpis"], [w["kpi"], w["value"], w["formula"],
                                                w["target"], w["verdict"]], kpi_rows))
    sections.append(Section("promises", w["promises"],
                            [w["made"], w["kept"], w["broken"], w["pending"]],
                            [[f.promises[k] for k in ("made", "kept", "broken", "pending")]]))
    d = f.disputes
    sections.append(Section("disputes", w["disputes"],
                            [w["count"], f"{w['amount']} {f.currency}", w["avg_days"],
                             w["max_days"]],
                            [[d["count"], txt.money(int(d["cents"] or 0), lang), d["avg_days"],
                              d["max_days"]]]))
    stage_names = {s.number: s.name for s in data.policy.stages}
    sections.append(Section("reminders", w["reminders"],
                            [w["stage"], w["sent"], w["judged"], w["paid14"]],
                            [[stage_names.get(s, str(s)), sent, judged, paid]
                             for s, sent, judged, paid in f.reminders]))
    sections.append(Section("top", w["top"], [w["customer"], w["name"], w["currency"],
                                              w["overdue"]],
                            [[c, str(names.get(c, "")), cur, txt.money(v, lang)]
                             for c, cur, v in f.top_overdue]))
    sections.append(Section("escalations", w["escalations"],
                            [w["kind"], w["customer"], w["invoice"], w["open"], w["currency"],
                             w["since"], w["days"]],
                            _limited([[w[e.kind], e.customer_id, e.invoice_no,
                                       txt.money(e.open_cents, lang), e.currency,
                                       txt.day(e.since, lang), e.days]
                                      for e in f.escalations], lang)))
    sections.append(Section("radar", w["radar"],
                            [w["invoice"], w["customer"], w["open"], w["currency"], w["due"],
                             w["ends"]],
                            _limited([[n, c, txt.money(v, lang), cur, txt.day(due, lang),
                                       txt.day(end, lang)]
                                      for n, c, cur, v, due, end in f.radar], lang)))
    sections.append(checklist_section(progress, lang))
    sections.append(Section("late", w["late_items"], [w["item"], "", w["owner"], w["due"]],
                            _limited([[r[0], r[1], r[2], txt.day(r[3], lang)]
                                      for r in late], lang)))
    return sections


PROGRESS_TITLES = {txt.WORDS[lang]["checklist"] for lang in txt.WORDS}  # arbook's own block


def checklist_section(progress: list[tuple[str, int, int]], lang: str) -> Section:
    """Checklist progress per step and overall (Review sheet, Start sheet, email)."""
    w = txt.WORDS[lang]
    done = sum(p[1] for p in progress)
    total = sum(p[2] for p in progress)
    rows: list[list[Cell]] = [[title, a, b, _pct(a, b)] for title, a, b in progress]
    rows.append([w["overall"], done, total, _pct(done, total)])
    return Section("checklist", w["checklist"], [w["step"], w["done"], w["of"], w["progress"]],
                   rows)


# KPI -> (its Settings target, True if lower is better)
TARGETS = {"dso": ("target_dso", True), "overdue_share": ("target_overdue_share", True),
           "cei": ("target_cei", False)}


def _against_target(key: str, value: Cell, extra: dict[str, str], w: dict[str, str]
                    ) -> tuple[Cell, str]:
    """The KPI's target from Settings (a number) and whether the value meets it."""
    if key not in TARGETS:
        return "", ""
    setting, lower_is_better = TARGETS[key]
    text = (extra.get(setting) or "").strip().replace(",", ".")
    try:
        target = Decimal(text)
    except ArithmeticError:
        return (text or ""), ""
    if not isinstance(value, Decimal):
        return target, ""
    met = value <= target if lower_is_better else value >= target
    return target, w["met"] if met else w["missed"]


def _names(data: _Book) -> dict[str, str]:
    """Customer id -> name (empty where the cell holds no text, e.g. an uncalculated formula)."""
    if data.customers.empty:
        return {}
    return {str(c): (n if isinstance(n, str) else "") for c, n in
            zip(data.customers["customer_id"], data.customers["name"], strict=True)}


def _pct(done: int, total: int) -> Decimal | None:
    if total <= 0:
        return None
    return (Decimal(done * 100) / total).quantize(Decimal("0.1"))


def _cells(row: list[Cell], date1904: bool) -> list[tuple[str | None, bool]]:
    return [cell_text(value, date1904) for value in row]


def sheet_lines(sections: list[Section], lang: str) -> list[list[Cell]]:
    """The sections as the lines of the Review sheet's block."""
    lines: list[list[Cell]] = []
    for s in sections:
        lines.append([s.title])
        if s.header:
            lines.append(list(s.header))
        lines.extend(s.rows if s.rows else [[txt.WORDS[lang]["none"]]])
        lines.append([])
    return lines


def _block(book: WorkbookPort, lines: list[list[Cell]], height: int
           ) -> list[list[tuple[str | None, bool]]]:
    """``lines`` as cells, padded with blank lines to ``height`` (clears an earlier run's)."""
    lines = lines[:height]
    return ([_cells(line, book.date1904) for line in lines]
            + [[] for _ in range(height - len(lines))])


def _write_review(book: WorkbookPort, sections: list[Section], f: Figures, data: _Book,
                  lang: str) -> None:
    sheet = REVIEW_SHEET[lang]
    book.write_block(sheet, REVIEW_BLOCK_TOP, 1, _block(book, sheet_lines(sections, lang),
                                                         REVIEW_BLOCK_HEIGHT), REVIEW_BLOCK_WIDTH)
    totals = ageing_summary(data.ageing, ["currency"])
    chart: list[list[Cell]] = [[txt.WORDS[lang]["bucket"], f.currency]]
    for key in data.ageing.bucket_order:
        cents = int(totals.loc[f.currency, key]) if f.currency in totals.index else 0
        chart.append([bucket_label(key, lang), _amount(cents)])
    book.write_block(sheet, REVIEW_BLOCK_TOP, REVIEW_CHART_COL,
                     _block(book, chart, REVIEW_CHART_ROWS), 2)


def _write_start_progress(book: WorkbookPort, section: Section, lang: str) -> Problem | None:
    """Checklist progress per step and overall on the Start sheet, below the totals; not
    where the user has put cells of their own (then a problem says so)."""
    sheet = START_SHEET[lang]
    if not book.has_sheet(sheet):
        return None
    there = book.cell_text(sheet, START_PROGRESS_TOP, 1)
    if there is not None and there.strip() not in PROGRESS_TITLES:  # the user's own cells
        return Problem(
            f"Start!A{START_PROGRESS_TOP} holds your own text ('{there[:40]}'), so the checklist "
            "progress was not written there; it is on the Review sheet. Move your cells to "
            f"keep the progress on Start / Start!A{START_PROGRESS_TOP}: eigene Einträge, "
            "der Checklisten-Fortschritt steht auf dem Blatt Review.",
            sheet=sheet, row=START_PROGRESS_TOP, column="A", severity=Severity.WARNING)
    lines: list[list[Cell]] = [[section.title], list(section.header), *section.rows]
    book.write_block(sheet, START_PROGRESS_TOP, 1, _block(book, lines, START_PROGRESS_HEIGHT),
                     START_PROGRESS_WIDTH)
    return None


# -- the customer journey --------------------------------------------------------------------


def typed_customer(book: WorkbookPort) -> str | None:
    """The customer id typed on the Journey sheet (A2), if any."""
    if not book.has_table(JOURNEY.name):
        return None
    raw = book.read_table(JOURNEY)
    values = [v for v in to_text(raw.columns["customer_id"]) if v and str(v).strip()] \
        if "customer_id" in raw.columns else []
    return str(values[0]).strip() if values else None


def customer_journey(data: _Book, customer: str) -> list[Event]:
    return journey(customer, data.invoices, data.payments, data.contacts, data.issued,
                   {s.number: s.name for s in data.policy.stages},
                   data.settings.home_currency)


def _journey_lines(events: list[Event], customer: str, name: str, lang: str) -> list[list[Cell]]:
    w, kinds = txt.WORDS[lang], JOURNEY_WORDS[lang]
    lines: list[list[Cell]] = [[f"{w['journey']}: {customer} {name}".strip()],
                               [w["when"], w["gap"], w["event"], w["invoice"], w["amount"],
                                w["currency"], w["detail"]]]
    for e in events:
        lines.append([e.day, e.days_since_previous, kinds[e.kind], e.invoice_no,
                      None if e.amount_cents is None else txt.money(e.amount_cents, lang),
                      e.currency if e.amount_cents is not None else "", e.detail])
    if not events:
        lines.append([w["none"]])
    return lines


def _write_journey(book: WorkbookPort, customer: str, data: _Book, lang: str) -> list[Event]:
    events = customer_journey(data, customer)
    names = _names(data)
    lines = _journey_lines(events, customer, str(names.get(customer) or ""), lang)
    book.write_block(book.table_sheet(JOURNEY.name), JOURNEY_BLOCK_TOP, 1,
                     _block(book, lines, JOURNEY_BLOCK_HEIGHT), JOURNEY_BLOCK_WIDTH)
    return events


@dataclass
class JourneyResult:
    customer: str
    name: str
    lang: str
    events: list[Event]


def journey_of(path: Path, customer: str, as_of: date | None = None,
               write: bool = True) -> JourneyResult:
    """Every touchpoint of ``customer``; also written to the Journey sheet unless ``write`` is
    False."""
    path = _opened(path)
    with WorkbookFile(path) as book:
        if write and book.has_table(JOURNEY.name):
            check_writable(path)
        return journey_book(book, path, customer, as_of, write)


def journey_book(book: WorkbookPort, path: Path, customer: str, as_of: date | None = None,
                 write: bool = True) -> JourneyResult:
    """The journey on any workbook port; written (and saved) only where the book has the
    Journey sheet. The journal beside ``path`` adds the reminders, if there is one."""
    as_of = as_of or date.today()
    jpath = journal_path_of(path)
    journal = Journal(jpath) if jpath.exists() else None
    try:
        data = _read(book, journal, as_of)
    finally:
        if journal is not None:
            journal.close()
    known = set(data.customers["customer_id"].dropna().astype(str))
    if customer not in known:
        raise ArbookError(f"customer '{customer}' is not on the Customers sheet; use "
                          "the id from the column 'Kundennr.' / 'Customer id'.")
    name = str(data.customers.set_index("customer_id")["name"].get(customer) or "")
    lang = data.settings.language
    if write and book.has_table(JOURNEY.name):
        events = _write_journey(book, customer, data, lang)
        book.save()
    else:
        events = customer_journey(data, customer)
    return JourneyResult(customer, name, lang, events)
