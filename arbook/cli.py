"""The arbook command line: thin wrappers around ``arbook.jobs``.

Exit codes: 0 done, 1 problems found with --strict, 2 failed (the message says why and what to
do; the workbook is unchanged).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from arbook import __version__, demo, imports, jobs, nightly
from arbook import remind as remind_job
from arbook import review as review_job
from arbook.core.cells import parse_money_text
from arbook.core.interest import CONVENTION
from arbook.core.labels import bucket_label
from arbook.core.problems import ArbookError, Problem

console = Console(stderr=False)
err = Console(stderr=True)
MAX_PROBLEMS_SHOWN = 50


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise click.BadParameter(f"'{value}' is not a date; use 2026-11-26 or 26.11.2026")


def _parse_amount(text: str) -> int:
    cents = parse_money_text(text)
    if cents is None or cents < 0:
        raise click.BadParameter(f"'{text}' is not an amount; use 10000, 10000.00 or 10.000,00")
    return cents


def _problem_table(problems: list[Problem]) -> Table:
    table = Table(title=f"{len(problems)} problem(s)", show_lines=False)
    for header in ("severity", "sheet", "row", "column", "message"):
        table.add_column(header, overflow="fold")
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        table.add_row(p.severity.value, p.sheet, "" if p.row is None else str(p.row), p.column,
                      p.message)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        table.add_row("", "", "", "", f"... {len(problems) - MAX_PROBLEMS_SHOWN} more on the "
                      "Problems sheet")
    return table


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="arbook")
def main() -> None:
    """arbook: open invoices (Offene Posten) in Excel, computed by Python.

    \b
    Example:
      arbook init demo.xlsx --sample 200
      arbook refresh demo.xlsx
    """


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of sheet names, headers and texts.")
@click.option("--sample", type=int, default=None, is_flag=False, flag_value=200,
              help="Fill in N rows of realistic demo data (200 if no N is given).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed for the demo data; the same seed gives the same book.")
def init(book: Path, lang: str, sample: int | None, seed: int) -> None:
    """Create a new arbook workbook BOOK.xlsx.

    \b
    Example:
      arbook init Offene-Posten.xlsx
      arbook init demo.xlsx --lang en --sample 500 --seed 7
    """
    with _progress() as update:
        update(f"building {book.name}" + (f" with {sample} demo invoices" if sample else ""))
        _run(lambda: jobs.init_book(book, lang, sample, seed))
    what = f" with {sample} demo invoices" if sample else ""
    console.print(f"Created [bold]{book}[/bold]{what}.")
    console.print(f"Next: [bold]arbook refresh {book}[/bold] computes ageing and status.")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Compute as of this date (2026-11-26 or 26.11.2026); default today.")
@click.option("--strict", is_flag=True,
              help="Treat problems as fatal: write nothing and exit with code 1.")
def refresh(book: Path, as_of: date | None, strict: bool) -> None:
    """Recompute days overdue, ageing buckets, status and flags in BOOK.xlsx.

    Writes only arbook's own (blue) columns, the totals on the Start sheet and the Problems
    sheet; everything else in the workbook stays exactly as it was. Refuses to write while
    the workbook is open in Excel.

    \b
    Example:
      arbook refresh Offene-Posten.xlsx
      arbook refresh Offene-Posten.xlsx --as-of 31.12.2026 --strict
    """
    with _progress() as update:
        result = _run(lambda: jobs.refresh(book, as_of, strict, update))
    if result.problems:
        console.print(_problem_table(result.problems))
    _print_totals(result)
    if strict and result.errors:
        err.print(f"[red]--strict: {len(result.errors)} error(s); nothing was written.[/red]")
        sys.exit(1)
    console.print(f"Refreshed {result.rows} invoice rows ({result.rows_changed} changed) in "
                  f"[bold]{book}[/bold] as of {result.as_of:%Y-%m-%d} in "
                  f"{sum(result.timings.values()):.2f} s.")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Decide as of this date (2026-11-26 or 26.11.2026); default today.")
@click.option("--customer", metavar="ID", help="Only this customer (its customer id).")
@click.option("--dry-run", is_flag=True,
              help="Show the plan only: write no draft, send nothing, change no file.")
@click.option("--send", "send_mail", is_flag=True,
              help="Send by SMTP (Settings: smtp_host ...; password from ARBOOK_SMTP_PASSWORD "
                   "or the OS keyring) instead of writing drafts.")
def remind(book: Path, as_of: date | None, customer: str | None, dry_run: bool,
           send_mail: bool) -> None:
    """Decide today's reminders and draft them as .eml files (or send them with --send).

    One consolidated reminder per customer, with interest and fees as German law allows.
    Every reminder is recorded in the journal (BOOK.arbook.db) before it is written or sent,
    so a rerun never sends anything twice. The Reminders sheet shows the journal.

    \b
    Example:
      arbook remind Offene-Posten.xlsx --dry-run
      arbook remind Offene-Posten.xlsx                # drafts in outbox/<date>/
      arbook remind Offene-Posten.xlsx --send --customer K1007
    """
    if dry_run and send_mail:
        raise click.UsageError("--dry-run and --send exclude each other")
    with _progress() as update:
        result = _run(lambda: remind_job.remind(book, as_of, customer, dry_run, send_mail,
                                                update))
    _print_reminders(result)
    if result.problems:
        console.print(_problem_table(result.problems))
    if result.uncertain:
        err.print(f"[yellow]{len(result.uncertain)} reminder(s) from an interrupted run may have "
                  "been sent; they are marked 'uncertain' on the Reminders sheet and will not "
                  "be sent again. Check the mailbox's sent folder.[/yellow]")
    if result.mode == "dry-run":
        console.print("Dry run: nothing was written or sent.")
        return
    done = {"drafted": "drafted", "sent": "sent", "already done": "already done today",
            "failed": "failed", "not built": "without email address"}
    summary = ", ".join(f"{result.count(k)} {label}" for k, label in done.items()
                        if result.count(k))
    console.print(f"Reminders: {summary or 'none due today'}.")
    if result.count("drafted") and result.outbox:
        console.print(f"Drafts are in [bold]{result.outbox / result.as_of.isoformat()}[/bold]; "
                      "open them in Outlook or Thunderbird to send.")
    if result.escalation_csv:
        console.print(f"Escalation list (court dunning / collection): "
                      f"[bold]{result.escalation_csv}[/bold]")
    if result.count("failed"):
        sys.exit(1)


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Period end (2026-11-26 or 26.11.2026); default today.")
@click.option("--period", type=click.Choice(["week", "month"]), default="week",
              show_default=True, help="week: the 7 days up to the as-of date; month: the month "
              "up to it (27 Oct - 26 Nov).")
@click.option("--email", "send_email", is_flag=True,
              help="Also send the summary to Settings 'management_email' by SMTP.")
def review(book: Path, as_of: date | None, period: str, send_email: bool) -> None:
    """Review receivables: KPIs, history, escalations, checklist evidence (Review sheet).

    Writes the Review sheet (with its charts' data), the History table, the checklist sheets'
    'arbook check' column and the Journey sheet; stores a snapshot in the journal
    (BOOK.arbook.db) so CEI and the trend can build on it next time. The summary email is
    written to the outbox; --email sends it.

    \b
    Example:
      arbook review Offene-Posten.xlsx
      arbook review Offene-Posten.xlsx --period month --as-of 30.11.2026 --email
    """
    with _progress() as update:
        result = _run(lambda: review_job.review(book, as_of, period, update,
                                                send_email=send_email))
    for section in result.sections:
        if section.key in ("head", "buckets", "kpis", "escalations", "checklist"):
            table = Table(title=section.title)
            width = max([len(section.header), *(len(r) for r in section.rows)], default=1)
            for header in (section.header or [""] * width):
                table.add_column(str(header), overflow="fold")
            for row in section.rows:
                table.add_row(*("" if v is None else str(v) for v in row),
                              *([""] * (width - len(row))))
            console.print(table)
    if result.outbox_file:
        console.print(f"Summary email: [bold]{result.outbox_file}[/bold]"
                      + (" (sent)" if result.sent else ""))
    console.print(f"Review as of {result.as_of:%Y-%m-%d} written to [bold]{book}[/bold].")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("customer")
@click.option("--no-write", is_flag=True, help="Only print; leave the Journey sheet as it is.")
def journey(book: Path, customer: str, no_write: bool) -> None:
    """Every touchpoint of CUSTOMER in time order, with the days between them.

    Invoices issued and due, reminders, contacts, promises and payments; also written to the
    Journey sheet (or type the customer id into that sheet and run 'arbook review').

    \b
    Example:
      arbook journey Offene-Posten.xlsx K1007
      arbook journey Offene-Posten.xlsx K1007 --no-write
    """
    result = _run(lambda: review_job.journey_of(book, customer, write=not no_write))
    table = Table(title=f"{result.customer} {result.name}".strip())
    for header in ("date", "days", "event", "invoice", "amount", "detail"):
        table.add_column(header, overflow="fold", justify="right" if header in ("days", "amount")
                         else "left")
    words = review_job.JOURNEY_WORDS[result.lang]
    for e in result.events:
        table.add_row(f"{e.day:%Y-%m-%d}", "" if e.days_since_previous is None
                      else str(e.days_since_previous), words[e.kind], e.invoice_no,
                      "" if e.amount_cents is None else _amounts({e.currency: e.amount_cents}),
                      e.detail)
    console.print(table)


def _print_reminders(result: remind_job.RemindResult) -> None:
    lang = result.lang
    table = Table(title=f"Reminders as of {result.as_of:%Y-%m-%d}")
    for header in ("customer", "stage", "items", "open", "interest", "fees", "reason", "state"):
        table.add_column(header, overflow="fold",
                         justify="right" if header in ("items", "open", "interest", "fees")
                         else "left")
    for p in result.reminders:
        table.add_row(f"{p.customer.id} {p.customer.name}", p.decision.stage.name,
                      str(len(p.decision.items)), _amounts(p.open_by_currency()),
                      _amounts(p.claims.interest_by_currency()),
                      _amounts(p.claims.fees_by_currency()), p.decision.reason_text(lang),
                      p.outcome)
    console.print(table)
    plan = result.plan
    if plan.escalations:
        esc = Table(title="Escalation (court dunning / collection candidates)")
        for header in ("customer", "open", "reason"):
            esc.add_column(header, overflow="fold")
        for e in plan.escalations:
            esc.add_row(f"{e.customer_id} {e.name}", _amounts(e.total_cents_by_currency()),
                        e.reason_text(lang))
        console.print(esc)
    if plan.skipped:
        skipped = Table(title=f"Not reminded today ({len(plan.skipped)})")
        for header in ("customer", "invoices", "reason"):
            skipped.add_column(header, overflow="fold")
        for s in plan.skipped[:MAX_PROBLEMS_SHOWN]:
            numbers = ", ".join(s.invoice_nos[:5]) + (" ..." if len(s.invoice_nos) > 5 else "")
            skipped.add_row(s.customer_id or "", numbers, s.reason_text(lang))
        console.print(skipped)


def _amounts(cents_by_currency: dict[str, int]) -> str:
    return "\n".join(f"{c / 100:,.2f} {cur}" for cur, c in cents_by_currency.items() if c)


@main.command("import-invoices")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--profile", metavar="NAME",
              help="Column mapping from the Settings sheet (tblImportMap) for unknown headers.")
@click.option("--full", is_flag=True,
              help="The export lists ALL open items: invoices missing from it are marked "
                   "settled (paid = amount), never deleted.")
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Date for the refresh that follows (default today).")
def import_invoices(book: Path, file: Path, profile: str | None, full: bool,
                    as_of: date | None) -> None:
    """Import an ERP open-item export (CSV, XLSX, XLS) into the ledger.

    New invoices are added, the grey (imported) columns of known invoices updated by invoice
    number; your yellow columns are never touched. Encoding, delimiter, German numbers and
    dates are detected; every row that cannot be used is listed with its row and column.

    \b
    Example:
      arbook import-invoices Offene-Posten.xlsx OP-Liste.csv
      arbook import-invoices Offene-Posten.xlsx export.xlsx --profile DATEV --full
    """
    with _progress() as update:
        result = _run(lambda: imports.import_invoices(book, file, profile, full, as_of, update))
    if result.problems:
        console.print(_problem_table(result.problems))
    if result.already_imported:
        console.print(f"(This file was imported before, on {result.already_imported}; "
                      "importing it again changes only what differs.)")
    console.print(f"{file.name}: {result.rows} invoices read; {result.added} added, "
                  f"{result.updated} updated, {result.settled} marked settled, "
                  f"{result.customers_added} new customers. The ledger is refreshed.")


@main.command("import-bank")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Date for Skonto deadlines and the refresh (default today).")
def import_bank(book: Path, files: tuple[Path, ...], as_of: date | None) -> None:
    """Import bank statements (camt.052/053/054, MT940, bank CSV) and match the payments.

    Matched payments go to the Payments sheet; the rest waits on the sheet
    'Zuordnen / Assign', where you type the invoice numbers (or a customer, or Ignore) and the
    next import applies them. A statement or file imported twice applies nothing twice.

    \b
    Example:
      arbook import-bank Offene-Posten.xlsx Kontoauszug-2026-11.xml
      arbook import-bank Offene-Posten.xlsx umsaetze.csv camt053.zip
    """
    with _progress() as update:
        result = _run(lambda: imports.import_bank(book, list(files), as_of, update))
    if result.problems:
        console.print(_problem_table(result.problems))
    table = Table(title="Bank files")
    for header in ("file", "statements", "entries", "new", "already applied"):
        table.add_column(header, justify="left" if header == "file" else "right")
    for f in result.files:
        if f.imported_before:
            table.add_row(f.name, "", "", "", f"whole file, on {f.imported_before}")
        else:
            table.add_row(f.name, str(f.statements), str(f.entries), str(f.new), str(f.already))
    console.print(table)
    applied = result.applied()
    cents = sum(a.cents for m in applied for a in m.allocations)
    console.print(f"{len(applied)} payments applied ({cents / 100:,.2f}), "
                  f"{len(result.queued())} waiting on the Assign sheet, "
                  f"{len(result.ignored())} ignored. The ledger is refreshed.")


@main.command("nightly")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Run as of this date (default today).")
@click.option("--send", "send_mail", is_flag=True, default=None,
              help="Send reminders by SMTP (default: drafts, or the Settings switch "
                   "nightly_send).")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with new ERP exports and bank statements (default: inbox beside "
                   "the workbook).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def nightly_command(book: Path, as_of: date | None, send_mail: bool | None, inbox: Path | None,
                    as_json: bool) -> None:
    """The scheduled job: import the inbox, refresh, remind, and review on review day.

    The workbook is saved once, at the end; a run that fails or is stopped leaves it as it
    was and the inbox files where they are. While the workbook is open in Excel the inbox is
    imported in memory only, so today's payers are not reminded, and nothing is saved.

    Exit codes: 0 done, 1 data problems found, 2 failed, 3 workbook open in Excel or another
    run busy (nothing written to the workbook; retry later). A log with the time of each step
    is written to logs/ beside the workbook.

    \b
    Example:
      arbook nightly Offene-Posten.xlsx
      arbook nightly Offene-Posten.xlsx --send --json   # from cron / Task Scheduler
    """
    progress = _plain_progress if not console.is_terminal else None
    with _progress() as update:
        result = _run(lambda: nightly.nightly(book, as_of, send_mail, inbox,
                                              progress or update))
    if as_json:
        click.echo(nightly.summary_json(result))
    else:
        _print_nightly(result)
    sys.exit(result.exit_code)


def _plain_progress(message: str) -> None:
    err.print(f"{nightly.now_text()} {message}", highlight=False)


def _print_nightly(result: nightly.NightlyResult) -> None:
    table = Table(title=f"Nightly run on {result.book.name} as of {result.as_of:%Y-%m-%d}")
    for header in ("step", "seconds", "status", "what it did"):
        table.add_column(header, overflow="fold")
    for s in result.steps:
        table.add_row(s.name, f"{s.seconds:.2f}", s.status, s.summary)
    console.print(table)
    for name, why in result.failed:
        err.print(f"[yellow]inbox file {name} moved to failed/: {why}[/yellow]")
    if result.waiting:
        console.print(f"{len(result.waiting)} inbox file(s) wait for the next run.")
    if result.error:
        err.print(f"[red]{result.error}[/red]")
    console.print(f"Log: {result.log_file}; exit code {result.exit_code}.")


@main.command("demo")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path),
                default="arbook-demo")
def demo_command(folder: Path) -> None:
    """Try everything on a sample book: build it, fill its inbox, run the nightly job.

    Needs no network and no Excel; reminders are only drafted (.eml files), nothing is sent.

    \b
    Example:
      arbook demo
      arbook demo /tmp/arbook-demo
    """
    with _progress() as update:
        result = _run(lambda: demo.run_demo(folder, progress=update))
    run = result.run
    if run.refresh is not None:
        _print_totals(run.refresh)
    _print_nightly(run)
    reminders = run.reminders
    drafted = reminders.count("drafted") if reminders else 0
    outbox = reminders.outbox / run.as_of.isoformat() if reminders and reminders.outbox else None
    console.print(f"\n[bold]Demo ready in {result.folder}[/bold]")
    console.print(f"  workbook:  {result.book}  (open it first: the Start sheet has the totals)")
    console.print(f"  reminders: {drafted} drafted in {outbox} (.eml, open in Outlook or "
                  "Thunderbird)")
    console.print(f"  imported:  {', '.join(run.archived) or 'nothing'} (now in inbox/archive/)")
    console.print("  then look at the sheets Rechnungen (ledger), Mahnungen (reminders), "
                  "Zuordnen (payments to assign) and Probleme.")
    if run.exit_code not in (nightly.EXIT_DONE, nightly.EXIT_PROBLEMS):
        sys.exit(run.exit_code)


def _print_totals(result: jobs.RefreshResult) -> None:
    totals = result.totals
    lang = result.settings.language
    table = Table(title="Open items by bucket")
    table.add_column("bucket")
    for currency in totals.index:
        table.add_column(str(currency), justify="right")
    for key in [*result.bucket_order, "total"]:
        label = "total" if key == "total" else bucket_label(key, lang)
        table.add_row(label, *(f"{totals.loc[c, key] / 100:,.2f}" for c in totals.index))
    console.print(table)


class _progress:
    """A spinner with the current step when run in a terminal; silent otherwise."""

    def __enter__(self):
        if not console.is_terminal:
            return lambda _msg: None
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  TimeElapsedColumn(), console=console, transient=True)
        self._progress.start()
        task = self._progress.add_task("starting")
        return lambda msg: self._progress.update(task, description=msg)

    def __exit__(self, *exc):
        if hasattr(self, "_progress"):
            self._progress.stop()


def _run(action):
    try:
        return action()
    except ArbookError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except OSError as exc:  # disk full, permission lost: the user's to fix, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(exc.strerror or str(exc))}{escape(where)}. The "
                  "workbook keeps its last complete version; free disk space or restore write "
                  "access, then run again / Schreiben fehlgeschlagen, Mappe unverändert.")
        sys.exit(2)


@main.command()
@click.argument("amount")
@click.option("--from", "start", callback=_parse_date, required=True, metavar="DATE",
              help="First day of default, counted (2023-01-01 or 01.01.2023).")
@click.option("--to", "end", callback=_parse_date, required=True, metavar="DATE",
              help="End date, not counted (e.g. the day the money arrived).")
@click.option("--business/--consumer", required=True,
              help="Debtor is a business (base + 9 points) or a consumer (base + 5 points).")
@click.option("--variant", type=click.Choice(["de", "eu"]), default="de", show_default=True,
              help="de: Bundesbank base rate (§ 288 BGB); eu: ECB rate + 8 (Directive "
                   "2011/7/EU, businesses only).")
@click.option("--payment", "payments", multiple=True, metavar="DATE=AMOUNT",
              help="A partial payment, lowering the principal from DATE on; repeatable.")
def interest(amount: str, start: date, end: date, business: bool, variant: str,
             payments: tuple[str, ...]) -> None:
    """Default interest (Verzugszinsen) on AMOUNT, split per half-year and payment.

    \b
    Example:
      arbook interest 10.000,00 --from 2023-01-01 --to 2023-07-01 --consumer
      arbook interest 10000 --from 2023-01-01 --to 2024-07-01 --business \\
          --payment 2023-04-01=3000
    """
    paid = []
    for text in payments:
        day, _, value = text.partition("=")
        paid.append((_parse_date(None, None, day.strip()), _parse_amount(value)))
    calc, flat_fee = _run(lambda: jobs.interest_claim(_parse_amount(amount), start, end, business,
                                                      variant, paid))
    table = Table(title=f"Verzugszinsen / default interest: {calc.table_name}")
    for header in ("from\nvon", "to (excl.)\nbis (ohne)", "days\nTage", "principal\nBetrag",
                   "base %\nBasis %", "rate %\nZins %", "interest\nZinsen"):
        table.add_column(header, justify="left" if header[:2] in ("fr", "to") else "right")
    for p in calc.periods:
        table.add_row(f"{p.start:%Y-%m-%d}", f"{p.end:%Y-%m-%d}", str(p.days),
                      f"{p.principal_cents / 100:,.2f}", f"{p.base_rate:.2f}", f"{p.rate:.2f}",
                      f"{p.interest:,.4f}")
    table.add_row("total\nSumme", "", str(sum(p.days for p in calc.periods)), "", "", "",
                  f"[bold]{calc.total_cents / 100:,.2f}[/bold]")
    console.print(table)
    console.print(f"Convention / Konvention: {CONVENTION}")
    if flat_fee:
        console.print(f"Plus a flat fee of EUR {flat_fee / 100:.2f} per invoice, claimed once and "
                      "separately / zzgl. Pauschale je Rechnung (§ 288 (5) BGB; "
                      "Directive 2011/7/EU art. 6).")


@main.group()
def templates() -> None:
    """Reminder email templates (Jinja2): copy the defaults out to edit them.

    \b
    Example:
      arbook templates export templates --lang de
    """


@templates.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["de", "en"]), default=None,
              help="Only this language (default: both).")
def templates_export(folder: Path, lang: str | None) -> None:
    """Copy the default templates into FOLDER/<lang>/ to edit them; never overwrites a file.

    Put the folder next to the workbook and name it 'templates': a file there replaces the
    default of the same name.

    \b
    Example:
      arbook templates export templates
      arbook templates export my-templates --lang en
    """
    from arbook.mail.render import export_templates

    written = _run(lambda: export_templates(folder, (lang,) if lang else ("de", "en")))
    console.print(f"Copied {len(written)} template files to [bold]{folder}[/bold].")


@main.group()
def addin() -> None:
    """The Excel add-in (ribbon tab "arbook", worksheet functions ARB_*): build, install.

    \b
    Example:
      arbook addin install
      arbook addin build          # developers: needs LibreOffice and python3-uno
    """


WORKBOOK_DIR = Path("workbook")


@addin.command("build")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=WORKBOOK_DIR / "arbook.xlam", show_default=True,
              help="The add-in to write; customUI14.xml and arbook.bas are written beside it.")
def addin_build(out: Path) -> None:
    """Generate the ribbon XML and VBA text from the button table and build the add-in.

    LibreOffice (headless, through its UNO API) writes the VBA project; the ribbon part and
    the add-in type are added to the package directly. An add-in whose content would not
    change is left as it is.

    \b
    Example:
      arbook addin build
      arbook addin build --out dist/arbook.xlam
    """
    from arbook.excel.addin import build_addin, write_sources

    ui, bas = write_sources(out.parent)
    _run(lambda: build_addin(out, ui, bas))
    console.print(f"Built [bold]{out}[/bold] from {ui.name} and {bas.name}.")


def _platform_options(func):
    func = click.option("--platform", "platform_name", type=click.Choice(["windows", "macos"]),
                        default=None, help="Target system (default: this one).")(func)
    return click.option("--home", type=click.Path(file_okay=False, path_type=Path),
                        default=None, help="Home folder to install into (default: yours).")(func)


def _where(platform_name: str | None, home: Path | None) -> tuple[str, Path]:
    from arbook.excel.addin import current_platform

    return platform_name or current_platform(), home or Path.home()


@addin.command("install")
@click.option("--xlam", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The add-in file (default: workbook/arbook.xlam here or in arbook's source).")
@click.option("--python", "interpreter", default=sys.executable, show_default=True,
              help="The Python that Excel runs (the one arbook is installed in).")
@_platform_options
def addin_install(xlam: Path | None, interpreter: str, platform_name: str | None,
                  home: Path | None) -> None:
    """Put the add-in where Excel loads it at start and write its xlwings config.

    Windows: %APPDATA%\\Microsoft\\Excel\\XLSTART and %USERPROFILE%\\.arbook\\arbook.conf.
    macOS: the Office startup folder and ~/Library/Containers/com.microsoft.Excel/Data.
    Restart Excel afterwards.

    \b
    Example:
      arbook addin install
      arbook addin install --platform macos --home /tmp/fake-home
    """
    from arbook.excel.addin import default_xlam, install_addin

    platform_name, home = _where(platform_name, home)
    xlam = xlam or default_xlam()
    written = _run(lambda: install_addin(xlam, platform_name, home, interpreter))
    for path in written:
        console.print(f"wrote {path}")
    console.print("Restart Excel: the ribbon shows the tab 'arbook'.")


@addin.command("uninstall")
@_platform_options
def addin_uninstall(platform_name: str | None, home: Path | None) -> None:
    """Remove the add-in from Excel's startup folder and arbook's keys from its config.

    \b
    Example:
      arbook addin uninstall
    """
    from arbook.excel.addin import uninstall_addin

    platform_name, home = _where(platform_name, home)
    for path in _run(lambda: uninstall_addin(platform_name, home)):
        console.print(f"removed {path}")


@main.command()
@click.argument("book", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_platform_options
def doctor(book: Path | None, platform_name: str | None, home: Path | None) -> None:
    """Check the chain Excel -> add-in -> xlwings -> Python -> workbook; say what to fix.

    Exit code 1 when something needs fixing.

    \b
    Example:
      arbook doctor
      arbook doctor Offene-Posten.xlsx
    """
    from arbook.excel.doctor import check_addin, check_book, check_python, report
    from arbook.io.workbook_file import WorkbookFile

    platform_name, home = _where(platform_name, home)
    checks = check_python()
    if platform_name in ("windows", "macos"):
        checks += check_addin(platform_name, home)
    else:
        console.print(f"({platform_name}: no Excel here, the add-in checks are skipped)")
    if book is not None:
        if not book.exists():
            raise click.BadParameter(f"{book} not found", param_hint="BOOK")
        with _run(lambda: WorkbookFile(book)) as port:
            checks += check_book(port)
    click.echo(report(checks))
    if not all(c.ok for c in checks):
        sys.exit(1)
