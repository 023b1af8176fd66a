"""The reminder job: who gets which reminder today, drafted or sent, journaled, never twice.

The CLI (``arbook remind``), the nightly batch and the Excel ribbon call ``remind``. Order of
events for each reminder (DESIGN decision 4): decide -> render and build the message (any
template or header problem stops before anything is recorded) -> record the intent in the
journal -> write the draft or send it -> mark the result. The workbook is written last, from
the journal, so a crash anywhere leaves nothing that the next run cannot put right.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

import numpy as np
import pandas as pd

from arbook.core.ageing import compute_ageing
from arbook.core.cells import ColumnValues, typed_frame
from arbook.core.claims import (
    ClaimItem,
    Claims,
    accrued_interest,
    claims_for,
    day_array,
    is_business,
)
from arbook.core.dunning import DunningPlan, ReminderDecision, ReminderHistory, decide
from arbook.core.dunning import ReminderRecord as HistoryRecord
from arbook.core.dunning_policy import DunningPolicy, default_policy, policy_from_rows
from arbook.core.interest import RateMissing, RateTable, default_start, rate_table_from_rows
from arbook.core.problems import ArbookError, Problem, Severity
from arbook.core.review_figures import payments_by_invoice
from arbook.core.schema import (
    BASE_RATES,
    CUSTOMERS,
    DUNNING,
    INVOICES,
    PAYMENTS,
    REMINDERS,
    SETTINGS,
)
from arbook.core.settings import Settings, settings_from_pairs
from arbook.io.escalation_csv import write_escalations_csv
from arbook.io.journal import (
    ISSUED,
    Journal,
    ReminderRecord,
    State,
    journal_path,
    reminder_key,
)
from arbook.io.lawdata import load_rate_table
from arbook.io.port import WorkbookPort
from arbook.io.workbook_file import WorkbookFile
from arbook.io.workers import in_two
from arbook.io.xlsx.package import check_writable
from arbook.jobs import LedgerFrames
from arbook.letters import compose, to_units
from arbook.mail import HeaderInjection
from arbook.mail.message import build_message, make_message_id
from arbook.mail.outbox import write_draft
from arbook.mail.render import TemplateSet
from arbook.mail.smtp import SmtpConfig, send

Progress = Callable[[str], None]
LEDGER_COLUMNS = ("dunning_stage", "last_reminder", "interest")
READ_COLUMNS = ("invoice_no", "customer_id", "invoice_date", "due_date", "currency", "amount",
                "paid", "credit_for", "disputed", "hold_until", "promised_date")
STATE_LABELS = {
    "de": {State.INTENDED: "vorgesehen", State.DRAFTED: "Entwurf", State.SENT: "versendet",
           State.FAILED: "fehlgeschlagen", State.UNCERTAIN: "unklar"},
    "en": {State.INTENDED: "intended", State.DRAFTED: "draft", State.SENT: "sent",
           State.FAILED: "failed", State.UNCERTAIN: "uncertain"},
}
CHANNEL_LABELS = {"de": {"draft": "Entwurf", "email": "E-Mail"},
                  "en": {"draft": "draft", "email": "email"}}


@dataclass
class Customer:
    id: str
    name: str
    address: str
    emails: list[str]
    language: str
    business: bool
    consumer_notice: bool
    escalation_contact: str


@dataclass
class PlannedReminder:
    """One reminder as planned today, with its claims and what became of it."""

    decision: ReminderDecision
    customer: Customer
    lang: str
    claims: Claims
    last_stage: int  # the policy's final stage: its reminder goes in Cc to escalation
    outcome: str = "planned"  # planned, drafted, sent, failed, already done, not built
    detail: str = ""  # file, message id or the error

    @property
    def stage_no(self) -> int:
        return self.decision.stage.number

    def open_by_currency(self) -> dict[str, int]:
        return self.decision.total_cents_by_currency()


@dataclass
class RemindResult:
    path: Path
    as_of: date
    lang: str
    plan: DunningPlan
    reminders: list[PlannedReminder]
    problems: list[Problem]
    mode: str  # dry-run, draft or send
    outbox: Path | None = None
    escalation_csv: Path | None = None
    uncertain: list[ReminderRecord] = field(default_factory=list)
    written: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.reminders if r.outcome == outcome)


# -- reading ---------------------------------------------------------------------------------


def _customers(frame: pd.DataFrame, lang: str) -> dict[str, Customer]:
    out: dict[str, Customer] = {}
    for rec in frame.to_dict("records"):
        cid = rec.get("customer_id")
        if cid is None or cid in out:
            continue
        emails = [addr for _name, addr in getaddresses([str(rec.get("email") or "")
                                                        .replace(";", ",")]) if addr]
        language = str(rec.get("language") or "").strip().lower()
        out[str(cid)] = Customer(
            id=str(cid), name=str(rec.get("name") or cid), address=str(rec.get("address") or ""),
            emails=emails, language=language if language in ("de", "en") else lang,
            business=is_business(rec.get("customer_type")),
            consumer_notice=bool(rec.get("consumer_notice") or False),
            escalation_contact=str(rec.get("escalation_contact") or "").strip())
    return out


def _rate_table(book: WorkbookPort, variant: str, problems: list[Problem]) -> RateTable:
    """The rate table from the Settings sheet; the packaged one for books without it."""
    packaged = load_rate_table(variant)  # type: ignore[arg-type]
    if not book.has_table(BASE_RATES.name):
        return packaged
    raw = book.read_table(BASE_RATES)
    column = "base_rate" if variant == "de" else "ecb_rate"
    starts = raw.columns.get("half_year")
    rates = raw.columns.get(column)
    if starts is None or rates is None:
        return packaged
    rows = [(_cell(starts, i, raw.date1904, as_date=True), _cell(rates, i, raw.date1904),
             int(row)) for i, row in enumerate(raw.rows.tolist())]
    table, found = rate_table_from_rows(
        rows, packaged.name, packaged.source, sheet=raw.sheet,
        columns=(raw.headers.get("half_year", "half_year"), raw.headers.get(column, column)),
        updated=packaged.updated)
    problems.extend(found)
    return table


def _cell(col, i: int, date1904: bool, as_date: bool = False) -> object:
    """A cell as typed: its text, or its number (a date serial in a date column -> date)."""
    if col.texts[i] is not None:
        return col.texts[i]
    number = col.numbers[i]
    if np.isnan(number):
        return None
    if as_date:
        epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
        return epoch + timedelta(days=int(number))
    return Decimal(repr(float(number)))


def _policy(book: WorkbookPort, lang: str, problems: list[Problem]) -> DunningPolicy:
    if not book.has_table(DUNNING.name):
        problems.append(Problem(
            f"no table {DUNNING.name}: using the default dunning policy. A workbook made by "
            "'arbook init' has it on the Settings sheet.", sheet="Settings",
            severity=Severity.WARNING))
        return default_policy(lang)
    policy, found = policy_from_rows(book.read_table(DUNNING), lang)
    problems.extend(found)
    return policy


read_policy = _policy  # the review job reads the same policy (and SMTP settings)


def lookup(mapping: Mapping, numbers, default, dtype, rows: pd.Index | None = None
           ) -> np.ndarray:
    """``mapping.get(n, default)`` for each number, as one array of ``dtype``; the values are
    converted once, not per number, and the numbers are matched in pandas' hash table.

    ``rows``: the numbers as an Index already hashed for other look-ups (a ledger's million
    invoice numbers); when its numbers are unique, the mapping's keys are looked up in it
    instead of every number in the mapping.
    """
    values = [*mapping.values(), default]
    values = day_array(values) if dtype == "datetime64[D]" else np.array(values, dtype=dtype)
    keys = pd.Index(list(mapping), dtype=object)  # unique: a mapping's keys
    if rows is not None and rows.is_unique:
        out = np.repeat(values[-1:], len(rows))
        where = rows.get_indexer(keys)
        found = where >= 0
        out[where[found]] = values[:-1][found]
        return out
    return values[keys.get_indexer(pd.Index(numbers, dtype=object))]  # -1: the default


# -- deciding --------------------------------------------------------------------------------


def _history(journal: Journal | None) -> tuple[ReminderHistory, dict[str, date]]:
    """The dunning history (issued reminders only) and each invoice's first reminder date."""
    if journal is None:
        return ReminderHistory(), {}
    records = [r for r in journal.reminders() if r.state in ISSUED]
    first: dict[str, date] = {}
    for record in records:
        for number in record.invoice_nos:
            first.setdefault(number, record.day)
    history = ReminderHistory(
        HistoryRecord(r.customer_id, r.stage_no, r.day,
                      r.item_stages if r.item_stages else tuple(r.invoice_nos))
        for r in records)
    return history, first


# -- the job ---------------------------------------------------------------------------------


def remind(path: Path, as_of: date | None = None, customer: str | None = None,
           dry_run: bool = False, send_mail: bool = False, progress: Progress | None = None,
           environ: Mapping[str, str] | None = None, write_book: bool = True) -> RemindResult:
    """Decide today's reminders and draft (default) or send them; ``dry_run`` writes nothing.

    With ``write_book=False`` (the workbook is open in Excel) reminders are still drafted or
    sent and journaled; the workbook is only read, and the next run writes what the journal
    holds into it.
    """
    path = Path(path)
    if not path.exists():
        raise ArbookError(f"{path}: file not found. Create one with 'arbook init {path.name}'.")
    if not dry_run and write_book:
        check_writable(path)  # refuse before anything is sent, not after
    with WorkbookFile(path) as book:
        return remind_book(book, path, as_of, customer, dry_run, send_mail,
                           progress or (lambda _msg: None), environ, write_book)


def remind_book(book: WorkbookPort, path: Path, as_of: date | None = None,
                customer: str | None = None, dry_run: bool = False, send_mail: bool = False,
                progress: Progress | None = None, environ: Mapping[str, str] | None = None,
                write_book: bool = True, save: bool = True,
                frames: LedgerFrames | None = None) -> RemindResult:
    """``remind`` on any workbook port; ``path`` places the journal and the outbox.

    ``progress`` defaults to the port's own (Excel's status bar). With ``save=False`` the
    caller saves; nothing needs to follow that save, because the sheet is written from the
    journal on every run. ``frames``: the ledger as a refresh of the same book and day just
    typed and aged it (the nightly batch), so it is not worked out twice.
    """
    as_of = as_of or date.today()
    step = progress or book.progress
    environ = os.environ if environ is None else environ
    mode = "dry-run" if dry_run else ("send" if send_mail else "draft")
    jpath = journal_path(path)
    journal = Journal(jpath) if (not dry_run or jpath.exists()) else None
    try:
        step("reading the workbook")
        settings, problems = settings_from_pairs(
            book.read_pairs(SETTINGS, "setting", "value"), sheet=SETTINGS.sheet("en"))
        lang = settings.language
        customers_frame, found = typed_frame(book.read_table(CUSTOMERS), CUSTOMERS)
        problems += found
        payments, found = typed_frame(book.read_table(PAYMENTS), PAYMENTS)
        problems += found
        policy = _policy(book, lang, problems)
        variant = settings.interest_variant
        table = _rate_table(book, variant, problems)
        writing = write_book and not dry_run
        write_keys = LEDGER_COLUMNS if writing else ()  # their cells are located for writing
        if frames is None:
            raw = book.read_table(INVOICES, write_keys=write_keys, keys=READ_COLUMNS)
            invoices, found = typed_frame(raw, INVOICES, READ_COLUMNS)
            problems += found
            step("deciding who gets which reminder")
            ageing = compute_ageing(invoices, customers_frame, payments, settings, as_of,
                                    sheet=raw.sheet, labels=raw.headers)
            frames = LedgerFrames(invoices, ageing, raw.headers)
        else:
            if writing:
                book.read_table(INVOICES, write_keys=write_keys, keys=("invoice_no",))
            step("deciding who gets which reminder")
        invoices, ageing = frames.invoices, frames.ageing
        problems += ageing.problems
        uncertain = journal.reconcile() if (journal and not dry_run) else []
        history, first_reminders = _history(journal)
        items = ageing.items.assign(invoice_date=invoices["invoice_date"].to_numpy())
        plan = decide(items, customers_frame, policy, history, as_of,
                      escalation_after_days=settings.escalation_after_days,
                      labels=frames.headers)
        problems += plan.problems
        if customer is not None:
            plan = _only_customer(plan, customer)
        customers = _customers(customers_frame, lang)
        pay = payments_by_invoice(payments)
        planned = [
            _plan_one(decision, customers, pay, first_reminders, variant, table, settings,
                      as_of, policy.last.number)
            for decision in plan.reminders if decision.customer_id in customers
        ]
        problems += _claim_problems(planned)
        result = RemindResult(path, as_of, lang, plan, planned, problems, mode,
                              uncertain=uncertain)
        if dry_run:
            return result
        assert journal is not None
        outbox = path.parent / (settings.extra.get("outbox_folder") or "outbox")
        result.outbox = outbox
        step("writing reminders" if not send_mail else "sending reminders")
        _issue(planned, journal, settings, path, outbox, as_of, send_mail, environ,
               problems)
        if plan.escalations:
            result.escalation_csv = _escalations(plan, first_reminders, outbox, as_of, lang)
        if not write_book:
            return result
        step("writing the Reminders sheet")
        problems += _write_book(book, journal, customers, lang, as_of, items, policy,
                                {"pay": pay, "first_reminders": first_reminders,
                                 "variant": variant, "table": table})
        book.write_problems([p.at_file(book.name) for p in problems], lang)
        if save:
            book.save()
        result.written = True
        return result
    finally:
        if journal is not None:
            journal.close()


def _claim_problems(planned: list[PlannedReminder]) -> list[Problem]:
    """Claims problems once each, with the customers they concern (not once per customer)."""
    seen: dict[str, tuple[Problem, list[str]]] = {}
    for p in planned:
        for problem in p.claims.problems:
            seen.setdefault(problem.message, (problem, []))[1].append(p.customer.id)
    out = []
    for problem, ids in seen.values():
        who = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        out.append(replace(problem, message=f"customers {who}: {problem.message}"
                           if len(ids) > 1 else f"customer {who}: {problem.message}"))
    return out


def _only_customer(plan: DunningPlan, customer: str) -> DunningPlan:
    return DunningPlan(
        reminders=[r for r in plan.reminders if r.customer_id == customer],
        skipped=[s for s in plan.skipped if s.customer_id == customer],
        escalations=[e for e in plan.escalations if e.customer_id == customer],
        problems=plan.problems)


def _plan_one(decision: ReminderDecision, customers: dict[str, Customer],
              pay: dict[str, list[tuple[date, int]]], first_reminders: dict[str, date],
              variant: str, table: RateTable, settings: Settings, as_of: date,
              last_stage: int) -> PlannedReminder:
    customer = customers[decision.customer_id]
    items = [ClaimItem(i.invoice_no, i.currency, i.open_cents, i.due, i.invoice_date,
                       pay.get(i.invoice_no, ()), first_reminders.get(i.invoice_no))
             for i in decision.items]
    claims = claims_for(items, business=customer.business,
                        consumer_notice=customer.consumer_notice, variant=variant, table=table,
                        stage_fee_cents=decision.stage.fee_cents,
                        fee_currency=settings.home_currency, as_of=as_of)
    return PlannedReminder(decision, customer, customer.language, claims, last_stage)


# -- issuing ---------------------------------------------------------------------------------


PARALLEL_ITEMS = 20_000  # letters with this many items in all are composed on both cores


def _sender(settings: Settings) -> tuple[tuple[str, str] | str, str, str | None]:
    email = (settings.extra.get("sender_email") or "").strip()
    name = (settings.extra.get("sender_name") or settings.company_name or "").strip()
    reply = (settings.extra.get("reply_to") or "").strip() or None
    if not email or "@" not in parseaddr(email)[1]:
        raise ArbookError(
            "Settings: 'sender_email' is empty or not an email address. Enter the address "
            "reminders come from (e.g. buchhaltung@ihre-firma.de) on the Settings sheet.")
    return ((name, email) if name else email), email, reply


def _issue(planned: list[PlannedReminder], journal: Journal, settings: Settings, book: Path,
           outbox: Path, as_of: date, send_mail: bool, environ: Mapping[str, str],
           problems: list[Problem]) -> None:
    """Build every message first (problems stop before anything is recorded), then issue."""
    if not planned:
        return
    sender, email, reply = _sender(settings)
    templates = {lang: TemplateSet(lang, book.parent / "templates") for lang in ("de", "en")}

    def build(k: int) -> tuple[EmailMessage | None, str, Problem | None]:
        """Reminder k's message and key, or None, why it cannot be built and the problem
        to report (made here, reported by the caller: this may run in a worker)."""
        p = planned[k]
        if not p.customer.emails:
            return None, "no email address on the Customers sheet", None
        key = _key(p, as_of)
        letter = compose(p, settings, as_of)
        rendered = templates[p.lang].render(p.decision.stage.template, letter.context)
        cc = [p.customer.escalation_contact] if (
            p.stage_no == p.last_stage and "@" in p.customer.escalation_contact) else []
        try:
            return build_message(
                rendered, sender=sender, reply_to=reply, to=p.customer.emails, cc=cc,
                date=datetime.now().astimezone(),
                message_id=make_message_id(key, email.rsplit("@", 1)[1]),
                customer=p.customer.id, attachments=letter.attachments), key, None
        except HeaderInjection as exc:
            return None, str(exc), Problem(str(exc), sheet="Customers", severity=Severity.ERROR)

    built: list[tuple[PlannedReminder, EmailMessage, str]] = []
    items = sum(len(p.decision.items) for p in planned)
    made = (in_two(build, len(planned)) if items >= PARALLEL_ITEMS  # on both cores
            else [build(k) for k in range(len(planned))])
    for p, (message, key_or_reason, problem) in zip(planned, made, strict=True):
        if message is None:
            p.outcome, p.detail = "not built", key_or_reason
            problems += [problem] if problem else []
        else:
            built.append((p, message, key_or_reason))
    config = smtp_config(settings, environ) if send_mail else None
    for p, message, _unused in built:
        record = journal.intend(
            day=as_of, customer_id=p.customer.id, stage_no=p.stage_no,
            stage_name=p.decision.stage.name, invoice_nos=[i.invoice_no for i in p.decision.items],
            item_stages=p.decision.item_stages(), totals=p.open_by_currency(),
            interest=p.claims.interest_by_currency(), fees=p.claims.fees_by_currency(),
            channel="email" if send_mail else "draft",
            recipients=", ".join(p.customer.emails))
        if record is None:
            p.outcome, p.detail = "already done", "recorded in the journal earlier today"
            continue
        if send_mail:
            assert config is not None
            (outcome,) = send(config, [message], env=environ)
            if outcome.ok:
                journal.mark(record, State.SENT, message_id=message["Message-ID"])
                p.outcome, p.detail = "sent", message["Message-ID"]
            else:
                journal.mark(record, State.FAILED, error=outcome.error)
                p.outcome, p.detail = "failed", outcome.error
                problems.append(Problem(f"customer {p.customer.id}: not sent: {outcome.error}",
                                        sheet="Reminders", severity=Severity.ERROR))
        else:
            file = write_draft(message, outbox, as_of, f"{p.customer.id}-stage{p.stage_no}")
            journal.mark(record, State.DRAFTED, message_id=message["Message-ID"],
                         path=str(file))
            p.outcome, p.detail = "drafted", str(file)


def _key(p: PlannedReminder, as_of: date) -> str:
    return reminder_key(p.customer.id, p.stage_no, [i.invoice_no for i in p.decision.items],
                        as_of)


def smtp_config(settings: Settings, environ: Mapping[str, str]) -> SmtpConfig:
    extra = settings.extra
    port = (extra.get("smtp_port") or "").strip()
    return SmtpConfig.from_settings(
        extra.get("smtp_host") or "", int(float(port)) if port else None,
        (extra.get("smtp_security") or "starttls").strip().lower(),
        extra.get("smtp_user") or "", env=environ)


# -- escalations -----------------------------------------------------------------------------


def _escalations(plan: DunningPlan, first_reminders: dict[str, date], outbox: Path,
                 as_of: date, lang: str) -> Path:
    interest_from: dict[str, date] = {}
    for esc in plan.escalations:
        for item in esc.items:
            start = default_start(item.due, item.invoice_date, True, True,
                                  first_reminders.get(item.invoice_no))
            if start is not None:
                interest_from[item.invoice_no] = start
    folder = outbox / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"escalations-{as_of.isoformat()}.csv"
    write_escalations_csv(plan.escalations, path, lang, interest_from=interest_from)
    return path


# -- the workbook, from the journal ----------------------------------------------------------


EXCEL_CELL_CHARS = 32_767  # Excel repairs (cuts) a workbook with longer text in a cell
_MORE = {"de": " … und {n:,} weitere", "en": " … and {n:,} more"}


def invoice_list(numbers: list[str], lang: str) -> str:
    """The invoice numbers of a reminder for one cell of the Reminders sheet. A list too long
    for an Excel cell (a letter with thousands of invoices) stops at whole numbers and says how
    many more there are; the journal and the letter's attachment have them all."""
    text = ", ".join(numbers)
    if len(text) <= EXCEL_CELL_CHARS:
        return text
    room = EXCEL_CELL_CHARS - len(_MORE[lang].format(n=len(numbers)))
    shown, used = 0, -2
    while shown < len(numbers) and used + 2 + len(numbers[shown]) <= room:
        used += 2 + len(numbers[shown])
        shown += 1
    more = _MORE[lang].format(n=len(numbers) - shown)
    return ", ".join(numbers[:shown]) + (more.replace(",", ".") if lang == "de" else more)


def reminder_rows(records: list[ReminderRecord], customers: dict[str, Customer],
                  lang: str) -> list[list]:
    """The Reminders sheet: one row per reminder and currency, newest first."""
    rows = []
    states, channels = STATE_LABELS[lang], CHANNEL_LABELS[lang]
    for r in sorted(records, key=lambda r: (r.day, r.id), reverse=True):
        name = customers[r.customer_id].name if r.customer_id in customers else ""
        currencies = list(dict.fromkeys([*r.totals, *r.interest, *r.fees])) or [""]
        for currency in currencies:
            rows.append([
                r.day, r.customer_id, name, r.stage_name, invoice_list(r.invoice_nos, lang),
                currency,
                to_units(r.totals.get(currency, 0)), to_units(r.interest.get(currency, 0)),
                to_units(r.fees.get(currency, 0)), channels.get(r.channel, r.channel),
                states[r.state], r.path or r.message_id, r.error,
            ])
    return rows


def _write_book(book: WorkbookPort, journal: Journal, customers: dict[str, Customer], lang: str,
                as_of: date, items: pd.DataFrame, policy: DunningPolicy, claim_inputs: dict
                ) -> list[Problem]:
    """The Reminders sheet and the ledger's dunning columns, both from the journal; returns
    the half-years the ledger's interest column lacks a rate for, as problems."""
    records = journal.reminders()
    book.write_rows(REMINDERS, reminder_rows(records, customers, lang))
    stage_of: dict[str, int] = {}
    last_of: dict[str, date] = {}
    for r in records:
        if r.state not in ISSUED:
            continue
        stages = r.item_stages
        for number in r.invoice_nos:
            stage = stages.get(number, r.stage_no)
            if stage > stage_of.get(number, 0):
                stage_of[number] = stage
            if number not in last_of or r.day > last_of[number]:
                last_of[number] = r.day
    live = items[~items["skipped"]]
    numbers = live["invoice_no"].to_numpy(dtype=object)
    rows = pd.Index(numbers, dtype=object)  # hashed once for every look-up below
    open_now = live["open_cents"].to_numpy() > 0
    names = [s.name for s in policy.stages]
    found = lookup({n: (stage, last_of[n]) for n, stage in stage_of.items()}, numbers,
                   (0, None), "i8, M8[D]", rows)  # the ledger matched to the journal once
    stage, last = found["f0"], found["f1"]
    codes = np.where(open_now, stage - 1, -1)
    codes[codes >= len(names)] = len(names) - 1
    serial = np.where(np.isnat(last), 0,
                      (last - np.datetime64("1899-12-30", "D")).astype(np.int64))
    interest, missing = _ledger_interest(live, rows, customers, as_of, **claim_inputs)
    columns = {
        "dunning_stage": ColumnValues(codes=codes, labels=names),
        "last_reminder": ColumnValues.scaled(serial, 0, serial == 0),
        "interest": ColumnValues.scaled(interest, 2, interest == 0),
    }
    book.write_computed(INVOICES, numbers, columns, {})
    table = claim_inputs["table"]
    return [Problem(f"the ledger's interest column shows 0 for items in default during a "
                    f"half-year without a rate. {RateMissing(half_year, table.name)}",
                    sheet="Settings", severity=Severity.WARNING)
            for half_year in sorted(missing)]


def _ledger_interest(live: pd.DataFrame, rows: pd.Index, customers: dict[str, Customer],
                     as_of: date, *, pay, first_reminders, variant: str, table: RateTable
                     ) -> tuple[np.ndarray, set[date]]:
    """Interest accrued today on each overdue item (0 where none is due or computable), and
    the half-years the rate table lacks for items without dated payments.

    Items without dated payments are worked out all at once (``accrued_interest``); the few
    with payments go through ``claims_for`` item by item. Both give the letters' figures.
    """
    numbers = live["invoice_no"].to_numpy(dtype=object)
    ids = [str(c) for c in live["customer_id"].tolist()]
    kind = lookup({cid: (True, c.business, c.consumer_notice) for cid, c in customers.items()},
                  ids, (False, False, False), "bool, bool, bool")
    known, business, notice = (kind[f"f{n}"] for n in range(3))
    overdue = ((live["status"].to_numpy(dtype=object) == "overdue")
               & (live["open_cents"].to_numpy() > 0) & known)
    paid = lookup(dict.fromkeys(pay, True), numbers, False, bool, rows)
    reminded = lookup(first_reminders, numbers, None, "datetime64[D]", rows)
    bulk = overdue & ~paid
    issued = live["invoice_date"].to_numpy(dtype="datetime64[D]")  # the letters' own dates
    cents, missing = accrued_interest(
        np.where(bulk, live["open_cents"].to_numpy(), 0), live["due"].to_numpy("datetime64[D]"),
        issued, reminded, business, notice, variant=variant, table=table, as_of=as_of)
    out = np.where(bulk, cents, 0)
    for i in np.flatnonzero(overdue & paid):
        number = str(numbers[i])
        due = live["due"].iloc[i]
        item = ClaimItem(number, str(live["currency"].iloc[i]), int(live["open_cents"].iloc[i]),
                         None if pd.isna(due) else pd.Timestamp(due).date(),
                         issued[i].astype(object), pay.get(number, ()),
                         first_reminders.get(number))
        claims = claims_for([item], business=bool(business[i]),
                            consumer_notice=bool(notice[i]), variant=variant, table=table,
                            stage_fee_cents=0, fee_currency="EUR", as_of=as_of)
        out[i] = claims.items[0].interest_cents
    return out, missing
