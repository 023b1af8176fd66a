"""arbook review end to end: real workbooks, a real journal, the summary email parsed back."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from arbook import review as job
from arbook.cli import main
from arbook.core.schema import CONTACTS, CUSTOMERS, INVOICES, PAYMENTS
from arbook.io.journal import Journal, State, journal_path
from tests.helpers import new_book, put_rows
from tests.test_remind import set_settings, smtp_server

AS_OF = date(2026, 11, 26)  # period week: 20 Nov - 26 Nov 2026 (7 days)
NEXT = AS_OF + timedelta(days=7)  # 27 Nov - 3 Dec 2026

CUSTOMER_ROWS = [
    {"customer_id": "K1", "name": "Müller GmbH", "email": "buha@mueller.example",
     "customer_type": "Unternehmen", "terms_days": 30},
    {"customer_id": "K2", "name": "Weiß KG", "email": "ap@weiss.example",
     "customer_type": "Unternehmen", "terms_days": 30},
]
INVOICE_ROWS = [
    # A, B: dated in the period, not yet due (current); E: credit note on A
    {"invoice_no": "A", "customer_id": "K1", "invoice_date": date(2026, 11, 21),
     "due_date": date(2026, 12, 21), "currency": "EUR", "amount": 700.0},
    {"invoice_no": "B", "customer_id": "K1", "invoice_date": date(2026, 11, 24),
     "due_date": date(2026, 12, 24), "currency": "EUR", "amount": 350.0},
    {"invoice_no": "E", "customer_id": "K1", "invoice_date": date(2026, 11, 25),
     "due_date": date(2026, 11, 25), "currency": "EUR", "amount": -50.0, "credit_for": "A"},
    # C: September sale, 56 days overdue; D: June sale, 148 days overdue (over 90)
    {"invoice_no": "C", "customer_id": "K1", "invoice_date": date(2026, 9, 1),
     "due_date": date(2026, 10, 1), "currency": "EUR", "amount": 1000.0},
    {"invoice_no": "D", "customer_id": "K2", "invoice_date": date(2026, 6, 1),
     "due_date": date(2026, 7, 1), "currency": "EUR", "amount": 400.0},
    # a 2023 claim: its limitation period ends on 31 Dec 2026 (radar); CHF, not in the KPIs
    {"invoice_no": "OLD", "customer_id": "K2", "invoice_date": date(2023, 4, 1),
     "due_date": date(2023, 5, 1), "currency": "CHF", "amount": 80.0},
]
SETTINGS = {"company_name": "Ihre Firma GmbH", "sender_email": "buchhaltung@ihre-firma.example",
            "management_email": "chefin@ihre-firma.example"}


@pytest.fixture
def book(tmp_path):
    path = new_book(tmp_path / "Offene Posten.xlsx")
    put_rows(path, CUSTOMERS, CUSTOMER_ROWS)
    put_rows(path, INVOICES, INVOICE_ROWS)
    set_settings(path, SETTINGS)
    return path


def review_sheet(path: Path) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name("Review").to_python()


def table(path: Path, name: str) -> list[dict]:
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    t = book.get_table_by_name(name)
    return [dict(zip(t.columns, row, strict=True)) for row in t.to_python()]


def kpi_cells(path: Path) -> dict[str, object]:
    """KPI label -> the value cell on the Review sheet (column B)."""
    return {row[0]: row[1] for row in review_sheet(path) if row and isinstance(row[0], str)}


def test_kpis_on_the_sheet_match_the_hand_computation(book):
    job.review(book, AS_OF)
    cells = kpi_cells(book)
    # open: A 700 - 50 (credit E) = 650, B 350, C 1,000, D 400 -> receivables 2,400.00
    assert cells["Forderungen am Stichtag"] == "2.400,00"
    # invoices dated 20-26 Nov: A 700 + B 350 + E -50 = 1,000.00
    assert cells["Umsatz auf Ziel im Zeitraum"] == "1.000,00"
    # overdue C + D = 1,400 of 2,400 = 58.333 -> 58.3 %; over 90: D 400 / 2,400 -> 16.7 %
    assert cells["Anteil überfällig %"] == pytest.approx(58.3)
    assert cells["Anteil über 90 Tage %"] == pytest.approx(16.7)
    # DSO = 2,400 / 1,000 x 7 days = 16.8; best = current 1,000 / 1,000 x 7 = 7.0; ADD 9.8
    assert cells["DSO (Standard), Tage"] == pytest.approx(16.8)
    assert cells["Bestmöglicher DSO, Tage"] == pytest.approx(7.0)
    assert cells["ADD (Tage Verzug im Schnitt)"] == pytest.approx(9.8)
    # countback: Nov 1-26 sales 1,000 -> 1,400 left, 26 days; Oct no sales, +31 = 57;
    # Sep 1,000 -> 400 left, +30 = 87; Aug +31 = 118; Jul +31 = 149; Jun 400 -> 0, +30 = 179
    assert cells["DSO (Countback), Tage"] == pytest.approx(179.0)
    # CEI needs the previous review's receivables: said, not guessed
    assert cells["CEI %"] == "–"
    row = next(r for r in review_sheet(book) if r[0] == "CEI %")
    assert "vorigen Review" in row[2]
    # the formula stands beside each figure
    dso_row = next(r for r in review_sheet(book) if r[0] == "DSO (Standard), Tage")
    assert "Umsatz auf Ziel" in dso_row[2] and "Tage des Zeitraums" in dso_row[2]


def test_cei_over_a_period_uses_the_previous_snapshot(book):
    job.review(book, AS_OF)
    # a week later: C paid in full on 30 Nov, a new invoice F of 200 on 1 Dec
    put_rows(book, PAYMENTS, [{"date": date(2026, 11, 30), "customer_id": "K1",
                               "invoice_no": "C", "amount": 1000.0, "currency": "EUR"}])
    put_rows(book, INVOICES, [*INVOICE_ROWS, {
        "invoice_no": "F", "customer_id": "K1", "invoice_date": date(2026, 12, 1),
        "due_date": date(2026, 12, 31), "currency": "EUR", "amount": 200.0}])
    result = job.review(book, NEXT)
    # beginning 2,400 + sales 200 - ending total (650 + 350 + 400 + 200 = 1,600) = 1,000
    # beginning 2,400 + sales 200 - ending current (650 + 350 + 200 = 1,200) = 1,400
    # CEI = 1,000 / 1,400 x 100 = 71.43 -> 71.4 %
    assert result.figures.cei == Decimal("71.4")
    assert kpi_cells(book)["CEI %"] == pytest.approx(71.4)
    history = table(book, "tblHistory")
    assert [h["Forderungen"] for h in history] == [2400.0, 1600.0]
    assert [h["DSO"] for h in history] == [pytest.approx(16.8), pytest.approx(56.0)]
    # 1,600 / 200 x 7 = 56.0 days
    with Journal(journal_path(book)) as journal:
        from arbook.io.journal import ReviewLog
        assert [s.day for s in ReviewLog(journal).snapshots("week")] == [AS_OF, NEXT]


def test_same_day_rerun_replaces_the_snapshot_and_charts_survive(book):
    job.review(book, AS_OF)
    job.review(book, AS_OF)
    assert len(table(book, "tblHistory")) == 1
    import zipfile
    with zipfile.ZipFile(book) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        assert b"Historie" in b"".join(z.read(n) for n in charts)  # the trend reads History
    rows = review_sheet(book)
    chart_data = {r[9]: r[10] for r in rows[2:12] if r[9]}
    # the ageing chart's cells: not due 1,000 (A 650 + B 350), 31-60: C, over 90: D
    assert chart_data["nicht fällig"] == 1000.0
    assert chart_data["31-60 Tage"] == 1000.0
    assert chart_data["über 90 Tage"] == 400.0


def test_lists_escalations_radar_and_top_customers(book):
    rows = [dict(r) for r in INVOICE_ROWS]
    rows[3] |= {"disputed": True}  # C: disputed since its due date, 56 days, no next action
    rows[4] |= {"promised_date": date(2026, 11, 10)}  # D: promise broken
    put_rows(book, INVOICES, rows)
    result = job.review(book, AS_OF)
    kinds = {(e.kind, e.invoice_no) for e in result.figures.escalations}
    assert kinds == {("dispute", "C"), ("promise_broken", "D")}
    assert result.figures.promises == {"made": 1, "kept": 0, "broken": 1, "pending": 0}
    assert result.figures.disputes["count"] == 1 and result.figures.disputes["max_days"] == 56
    assert [r[0] for r in result.figures.radar] == ["OLD"]
    assert result.figures.radar[0][5] == date(2026, 12, 31)
    text = [r[0] for r in review_sheet(book)]
    assert "Reklamation ohne Eskalation" in text and "Zusage gebrochen" in text
    assert "OLD" in text
    assert [c for c, _cur, _v in result.figures.top_overdue] == ["K1", "K2", "K2"]


def test_summary_email_has_the_sheet_figures_and_inline_charts(book):
    result = job.review(book, AS_OF)
    message = email.message_from_bytes(result.outbox_file.read_bytes(),
                                       policy=email.policy.default)
    assert message["To"] == "chefin@ihre-firma.example"
    assert message["X-Unsent"] == "1"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    cells = kpi_cells(book)
    for label in ("DSO (Standard), Tage", "DSO (Countback), Tage", "Anteil überfällig %"):
        line = next(x for x in text.splitlines() if f"Kennzahl: {label}" in x)
        shown = line.split("Wert: ")[1].split(" |")[0]
        assert Decimal(shown.replace(",", ".")) == Decimal(str(cells[label]))
        assert f"<td style=\"border-bottom:1px solid #eeeeee;\">{shown}</td>" in html
    assert f"Wert: {cells['Forderungen am Stichtag']}" in text
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"cid:{image['Content-ID'].strip()[1:-1]}" in html


def test_email_flag_sends_to_management(book):
    with smtp_server(book) as inbox:
        result = CliRunner().invoke(main, ["review", str(book), "--as-of", "2026-11-26",
                                           "--email"])
    assert result.exit_code == 0, result.output
    ((rcpts, message),) = inbox.messages
    assert rcpts == ["chefin@ihre-firma.example"]
    assert "Review" in message["Subject"]


def test_without_management_address_the_review_still_writes_the_sheet(book):
    set_settings(book, {"management_email": ""})
    result = job.review(book, AS_OF)
    assert result.outbox_file is None
    assert any("management_email" in p.message for p in result.problems)
    assert kpi_cells(book)["Forderungen am Stichtag"] == "2.400,00"


# -- checklists ------------------------------------------------------------------------------

def checks_by_item(path: Path) -> dict[str, dict]:
    return {r["Nr."]: r for r in table(path, "tblChecklist")}


def make_passing(book: Path) -> None:
    """Everything the automated items look at is in order."""
    set_settings(book, {"target_dso": "30", "target_cei": "85", "target_overdue_share": "20"})
    rows = [dict(r) for r in INVOICE_ROWS]
    rows[3] |= {"disputed": True, "next_action": "Vertrieb klärt Lieferschein"}
    put_rows(book, INVOICES, rows)
    with Journal(journal_path(book)) as journal:  # D, OLD reminded (stage 4), K2 called
        record = journal.intend(day=AS_OF - timedelta(days=10), customer_id="K2", stage_no=4,
                                stage_name="letzte Mahnung", invoice_nos=["D", "OLD"],
                                totals={"EUR": 400_00}, interest={}, fees={},
                                channel="draft")
        journal.mark(record, State.DRAFTED)
    put_rows(book, CONTACTS, [{"date": AS_OF - timedelta(days=5), "customer_id": "K2",
                               "invoice_no": "D", "contact_type": "Anruf"}])


def make_failing(book: Path) -> None:
    put_rows(book, CUSTOMERS, [*CUSTOMER_ROWS, {"customer_id": "K3", "name": "Ohne Daten"}])
    set_settings(book, {"management_email": ""})
    rows = [dict(r) for r in INVOICE_ROWS]
    rows[3] |= {"disputed": True}  # 56 days, no next action
    put_rows(book, INVOICES, rows)
    with Journal(journal_path(book)) as journal:  # K2 at the last stage, never called
        record = journal.intend(day=AS_OF - timedelta(days=10), customer_id="K2", stage_no=4,
                                stage_name="letzte Mahnung", invoice_nos=["D"],
                                totals={"EUR": 400_00}, interest={}, fees={},
                                channel="draft")
        journal.mark(record, State.DRAFTED)


# check -> an item that carries it
ITEMS = {"customers_complete": "2.1", "contact_final": "1.5", "disputes_escalated": "3.2",
         "review_weekly": "4.1", "reminders_on_policy": "6.2", "kpi_targets": "8.1",
         "kpi_history": "8.2", "management_address": "10.1"}


def test_checklist_items_pass_on_a_book_built_to_pass(book):
    make_passing(book)
    job.review(book, AS_OF - timedelta(days=28))  # four weeks of history
    result = job.review(book, AS_OF - timedelta(days=3))
    result = job.review(book, AS_OF)
    failed = {k: e.text for k, e in result.evidence.items() if not e.ok}
    assert failed == {}
    rows = checks_by_item(book)
    for check, item in ITEMS.items():
        assert rows[item]["arbook-Prüfung"].startswith("✓ 26.11.2026"), (check, rows[item])
        assert rows[item]["Geprüft am"] == AS_OF


def test_checklist_items_fail_on_a_book_built_to_fail(book):
    make_failing(book)
    # OLD is long overdue and was never reminded: the policy was not followed (C is
    # disputed, so not chased; D was reminded at the last stage)
    result = job.review(book, AS_OF)
    assert {k for k, e in result.evidence.items() if e.ok} == set()
    assert "K3" in result.evidence["customers_complete"].text
    assert "K2" in result.evidence["contact_final"].text
    assert "C" in result.evidence["disputes_escalated"].text
    assert result.evidence["reminders_on_policy"].text.endswith(": OLD")
    rows = checks_by_item(book)
    for check, item in ITEMS.items():
        assert rows[item]["arbook-Prüfung"].startswith("✗"), (check, rows[item])
    assert rows["1.2"]["arbook-Prüfung"] == ""  # items people check stay arbook-free


def test_user_columns_of_the_checklist_are_never_written(book):
    wb = load_workbook(book)
    ws = wb["Checkliste"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "8.1")
    row[headers.index("Verantwortlich")].value = "Anna"
    row[headers.index("Status")].value = "erledigt"
    row[headers.index("Nachweis / Link")].value = "=HYPERLINK(\"https://wiki\")"
    row[headers.index("Fällig am")].value = date(2026, 11, 1)
    wb.save(book)
    result = job.review(book, AS_OF)
    after = checks_by_item(book)["8.1"]
    assert after["Verantwortlich"] == "Anna" and after["Status"] == "erledigt"
    assert after["arbook-Prüfung"].startswith("✗")  # targets are not set in this book
    wb = load_workbook(book)
    ws = wb["Checkliste"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "8.1")
    assert row[headers.index("Nachweis / Link")].value == "=HYPERLINK(\"https://wiki\")"
    progress = dict((t, (d, n)) for t, d, n in result.progress)
    assert progress["Kennzahlen"] == (1, 4)
    start = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(
        "Start").to_python()
    shown = {r[0]: r[1:4] for r in start if r and r[0]}
    assert shown["Kennzahlen"] == [1.0, 4.0, 25.0]  # 1 of 4 done = 25 %
    assert shown["Gesamt"] == [1.0, 51.0, pytest.approx(2.0)]  # 1 of 43 + 8 = 51 -> 1.96
    # done items are not overdue even with a past due date
    late = next(s for s in result.sections if s.key == "late")
    assert all(r[0] != "8.1" for r in late.rows)


def test_overdue_checklist_items_are_flagged(book):
    wb = load_workbook(book)
    ws = wb["Checkliste"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "5.2")
    row[headers.index("Fällig am")].value = date(2026, 10, 1)
    row[headers.index("Verantwortlich")].value = "Ben"
    wb.save(book)
    result = job.review(book, AS_OF)
    late = next(s for s in result.sections if s.key == "late")
    assert [(r[0], r[2], r[3]) for r in late.rows] == [("5.2", "Ben", "01.10.2026")]


# -- the customer journey --------------------------------------------------------------------

def test_journey_lists_touchpoints_in_order_with_gaps(book):
    put_rows(book, PAYMENTS, [{"date": date(2026, 10, 20), "customer_id": "K1",
                               "invoice_no": "C", "amount": 300.0, "currency": "EUR"}])
    put_rows(book, CONTACTS, [{"date": date(2026, 10, 15), "customer_id": "K1",
                               "invoice_no": "C", "contact_type": "Anruf",
                               "promised_date": date(2026, 10, 20), "note": "zahlt Teil"}])
    result = job.journey_of(book, "K1", AS_OF)
    got = [(e.day, e.kind, e.invoice_no, e.days_since_previous) for e in result.events]
    assert got[:4] == [
        (date(2026, 9, 1), "issued", "C", None),
        (date(2026, 10, 1), "due", "C", 30),
        (date(2026, 10, 15), "promise", "C", 14),
        (date(2026, 10, 20), "payment", "C", 5),
    ]
    assert [e.day for e in result.events] == sorted(e.day for e in result.events)
    sheet = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(
        "Journey").to_python()
    assert sheet[3][0].startswith("Customer Journey: K1 Müller GmbH")
    assert sheet[5][2] == "Rechnung gestellt" and sheet[5][3] == "C"


def test_journey_sheet_follows_the_customer_typed_into_it(book):
    wb = load_workbook(book)
    wb["Journey"]["A2"] = "K2"
    wb.save(book)
    result = job.review(book, AS_OF)
    assert result.journey_customer == "K2"
    sheet = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(
        "Journey").to_python()
    assert sheet[3][0].startswith("Customer Journey: K2")
    assert {r[3] for r in sheet[5:] if r[3]} == {"D", "OLD"}


def test_journey_of_an_unknown_customer_says_what_to_do(book):
    result = CliRunner().invoke(main, ["journey", str(book), "K99"])
    assert result.exit_code == 2
    assert "K99" in result.output and "Customers" in result.output


def test_cli_review_prints_the_kpis(book):
    result = CliRunner().invoke(main, ["review", str(book), "--as-of", "26.11.2026",
                                       "--period", "month"])
    assert result.exit_code == 0, result.output
    assert "DSO" in result.output and "Summary email" in result.output
    # month 27 Oct - 26 Nov (31 days): sales A + B + E = 1,000; 2,400 / 1,000 x 31 = 74.4
    assert kpi_cells(book)["DSO (Standard), Tage"] == pytest.approx(74.4)
    assert table(book, "tblHistory")[0]["Zeitraum"] == "Monat"


def test_without_matplotlib_the_email_points_to_the_sheet(book, monkeypatch):
    from arbook.mail import charts

    monkeypatch.setattr(charts, "available", lambda: False)
    result = job.review(book, AS_OF)
    message = email.message_from_bytes(result.outbox_file.read_bytes(),
                                       policy=email.policy.default)
    assert not [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert "Blatt Review" in message.get_body(("html",)).get_content()


def test_reminders_per_stage_and_paid_within_14_days(book):
    with Journal(journal_path(book)) as journal:
        for day, stage, numbers, cents in ((AS_OF - timedelta(days=20), 1, ["C"], 1000_00),
                                           (AS_OF - timedelta(days=20), 2, ["D"], 400_00),
                                           (AS_OF - timedelta(days=5), 1, ["A"], 650_00)):
            record = journal.intend(day=day, customer_id="K1", stage_no=stage,
                                    stage_name=f"Stufe {stage}", invoice_nos=numbers,
                                    totals={"EUR": cents}, interest={}, fees={},
                                    channel="draft")
            journal.mark(record, State.DRAFTED)
    # C paid in full 10 days after its reminder (within 14); D not paid at all
    put_rows(book, PAYMENTS, [{"date": AS_OF - timedelta(days=10), "customer_id": "K1",
                               "invoice_no": "C", "amount": 1000.0, "currency": "EUR"}])
    result = job.review(book, AS_OF)
    # stage 1: sent 2, judged 1 (the one of 5 days ago is too young), paid 1; stage 2: 1, 1, 0
    assert result.figures.reminders == [(1, 2, 1, 1), (2, 1, 1, 0)]
    section = next(s for s in result.sections if s.key == "reminders")
    assert section.rows[0][1:] == [2, 1, 1]


def test_hostile_names_stay_text_on_the_sheet_and_escaped_in_the_email(book):
    put_rows(book, CUSTOMERS, [{**CUSTOMER_ROWS[0], "name": "+HYPERLINK(\"x\")<b>Evil</b>"},
                               CUSTOMER_ROWS[1]])
    result = job.review(book, AS_OF)
    top = next(r for r in review_sheet(book) if r[0] == "K1")
    assert top[1] == "+HYPERLINK(\"x\")<b>Evil</b>"  # text, not a formula
    wb = load_workbook(book)
    cell = next(c for row in wb["Review"].iter_rows() for c in row if c.value == "K1")
    assert wb["Review"].cell(cell.row, 2).data_type == "s"
    message = email.message_from_bytes(result.outbox_file.read_bytes(),
                                       policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt;" in html


def test_english_book(tmp_path):
    path = new_book(tmp_path / "Receivables.xlsx", lang="en")
    put_rows(path, CUSTOMERS, CUSTOMER_ROWS, lang="en")
    put_rows(path, INVOICES, INVOICE_ROWS, lang="en")
    result = job.review(path, AS_OF)
    cells = kpi_cells(path)
    assert cells["DSO (standard), days"] == pytest.approx(16.8)
    assert cells["Receivables at period end"] == "2,400.00"
    assert "needs the receivables of the previous review" in next(
        r for r in review_sheet(path) if r[0] == "CEI %")[2]
    checklist = table(path, "tblChecklist")
    assert checklist[0]["Item"].startswith("Every customer has an email")
    assert checklist[0]["arbook check"].startswith("✓ 2026-11-26")
    assert result.lang == "en"


def test_a_book_without_the_review_sheets_is_refused_with_a_way_out(book):
    wb = load_workbook(book)
    del wb["Review"]
    wb.save(book)
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["review", str(book), "--as-of", "2026-11-26"])
    assert result.exit_code == 2
    assert "arbook init" in result.output and "Review" in result.output
    assert book.read_bytes() == before


def test_checklist_sheets_have_status_dropdowns_and_overdue_colouring(book):
    wb = load_workbook(book)
    for name in ("Checkliste", "Kurzcheckliste"):
        ws = wb[name]
        formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
        assert any("Lists" in (f or "") for f in formulas), name
        rules = [r for cf in ws.conditional_formatting for r in cf.rules]
        assert any("TODAY()" in r.formula[0] and "erledigt" in r.formula[0] for r in rules)
    columns = {ws_col[0].value: [c.value for c in ws_col[1:] if c.value]
               for ws_col in wb["Lists"].iter_cols()}
    assert columns["ChecklistStatus"] == ["offen", "in Arbeit", "erledigt", "entfällt"]


def test_cei_beginning_comes_from_the_review_at_the_period_start():
    from arbook.io.journal import ReviewSnapshot

    def snap(day: date, cents: int) -> ReviewSnapshot:
        return ReviewSnapshot(day, "week", day, "EUR", cents, 0, 0, 0, 0, {}, {})

    # week ending 3 Dec starts 27 Nov: the review of 26 Nov is its beginning
    earlier = [snap(date(2026, 11, 19), 1), snap(date(2026, 11, 26), 2)]
    assert job.beginning_receivables(earlier, NEXT, "week") == 2
    # month ending 3 Dec starts 4 Nov: the 3 Nov review is wanted; none within 3 days
    assert job.beginning_receivables(earlier, NEXT, "month") is None
    # 5 Nov is 2 days off 3 Nov: close enough
    assert job.beginning_receivables([snap(date(2026, 11, 5), 7), *earlier], NEXT,
                                     "month") == 7


def test_dispute_age_counts_from_the_dispute_contact(book):
    rows = [dict(r) for r in INVOICE_ROWS]
    rows[3] |= {"disputed": True}  # C, due 1 Oct
    put_rows(book, INVOICES, rows)
    put_rows(book, CONTACTS, [{"date": date(2026, 11, 6), "customer_id": "K1",
                               "invoice_no": "C", "contact_type": "Reklamation"}])
    result = job.review(book, AS_OF)
    # 6 Nov -> 26 Nov = 20 days (not 56 from the due date): within the 30-day limit
    assert result.figures.disputes == {"count": 1, "cents": 1000_00, "avg_days": 20,
                                       "max_days": 20}
    assert [e for e in result.figures.escalations if e.kind == "dispute"] == []
    assert result.evidence["disputes_escalated"].ok


def test_kpis_are_compared_with_their_targets(book):
    set_settings(book, {"target_dso": "20", "target_cei": "85", "target_overdue_share": "50"})
    job.review(book, AS_OF)
    rows = {r[0]: r for r in review_sheet(book) if r and isinstance(r[0], str)}
    # DSO 16.8 <= 20: met; overdue share 58.3 > 50: missed; CEI not computable yet: no verdict
    assert rows["DSO (Standard), Tage"][3:5] == [20.0, "✓ erreicht"]
    assert rows["Anteil überfällig %"][3:5] == [50.0, "✗ verfehlt"]
    assert rows["CEI %"][3:5] == [85.0, ""]


def test_review_leaves_the_ledger_and_the_other_sheets_alone(book):
    import zipfile

    with zipfile.ZipFile(book) as z:
        before = {n: z.read(n) for n in z.namelist()}
    job.review(book, AS_OF)
    with zipfile.ZipFile(book) as z:
        after = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in before if before[n] != after.get(n)}
    # Start (1), Review (2), Problems (9), History (10), Checklist (11), Short (12) and their
    # tables; never Invoices (3), Customers (4), Contacts (5), Payments (6), Settings (8)
    for part in ("sheet3", "sheet4", "sheet5", "sheet6", "sheet7", "sheet8"):
        assert f"xl/worksheets/{part}.xml" not in changed
    assert all(n.startswith(("xl/worksheets/", "xl/tables/", "xl/sharedStrings", "xl/workbook",
                             "xl/_rels", "[Content_Types]")) for n in changed), changed
    assert {n for n in before if n.startswith("xl/charts/")} <= set(after)


def test_a_refused_summary_is_kept_as_a_draft(book):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    set_settings(book, {"smtp_host": "127.0.0.1", "smtp_port": str(port),
                        "smtp_security": "none"})
    result = CliRunner().invoke(main, ["review", str(book), "--as-of", "2026-11-26",
                                       "--email"])
    assert result.exit_code == 2
    drafts = list((book.parent / "outbox" / "2026-11-26").glob("review-*.eml"))
    assert len(drafts) == 1 and "draft" in result.output
    assert kpi_cells(book)["Forderungen am Stichtag"] == "2.400,00"  # the sheet was written


def test_journey_shows_reminders_from_the_journal(book):
    with Journal(journal_path(book)) as journal:
        record = journal.intend(day=date(2026, 10, 8), customer_id="K1", stage_no=1,
                                stage_name="Zahlungserinnerung", invoice_nos=["C"],
                                totals={"EUR": 1000_00}, interest={}, fees={}, channel="draft")
        journal.mark(record, State.DRAFTED)
    events = job.journey_of(book, "K1", AS_OF, write=False).events
    reminder = next(e for e in events if e.kind == "reminder")
    # due 1 Oct -> first reminder 8 Oct: 7 days of silence after the due date
    assert (reminder.day, reminder.days_since_previous, reminder.amount_cents,
            reminder.currency, reminder.detail) == (date(2026, 10, 8), 7, 1000_00, "EUR",
                                                    "Zahlungserinnerung")
