"""The dunning engine: each rule of ``decide``, the policy table, reasons and the CSV export."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from arbook import jobs
from arbook.core.ageing import FLAG_ORDER, FLAG_PROMISE_BROKEN
from arbook.core.cells import RawColumn, RawTable
from arbook.core.dunning import (
    REASON_KEYS,
    Escalation,
    EscalationItem,
    Reason,
    ReminderHistory,
    ReminderRecord,
    decide,
    default_policy,
    policy_from_rows,
)
from arbook.core.schema import DUNNING, SETTINGS
from arbook.core.settings import settings_from_pairs
from arbook.io.escalation_csv import write_escalations_csv
from arbook.io.workbook_file import WorkbookFile
from arbook.io.xlsx.book import split_ref

AS_OF = date(2026, 11, 26)
POLICY = default_policy("de")
BROKEN = 1 << FLAG_ORDER.index(FLAG_PROMISE_BROKEN)


def items_frame(*rows: dict) -> pd.DataFrame:
    """Rows as ``compute_ageing`` returns them; ``days`` overdue sets the due date."""
    out = []
    for i, r in enumerate(rows):
        days = r.get("days", 30)
        out.append({
            "row": i + 2, "invoice_no": r["no"], "customer_id": r.get("cust", "K1"),
            "currency": r.get("currency", "EUR"),
            "due": np.datetime64(AS_OF - timedelta(days=days), "D"),
            "open_cents": r.get("open", 50_000),
            "days_overdue": max(days, 0) if r.get("open", 50_000) > 0 else None,
            "bucket": "1-30", "status": r.get("status", "overdue" if days > 0 else "open"),
            "flag_bits": r.get("flags", 0), "skipped": False,
            "invoice_date": np.datetime64(AS_OF - timedelta(days=days + 30), "D"),
        })
    frame = pd.DataFrame(out)
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    return frame


def customers_frame(*rows: dict) -> pd.DataFrame:
    base = {"name": "Müller GmbH", "address": "Hauptstr. 1, 70565 Stuttgart",
            "email": "buchhaltung@mueller.example", "dunning_block": False,
            "dunning_schedule": None}
    return pd.DataFrame([{**base, "row": i + 2, **r} for i, r in enumerate(rows)])


ONE = customers_frame({"customer_id": "K1"})


def sent(days_ago: int, stage: int, *nos: str, cust: str = "K1") -> ReminderRecord:
    return ReminderRecord(cust, stage, AS_OF - timedelta(days=days_ago), nos)


def plan_for(items, customers=ONE, history=(), as_of=AS_OF, **kw):
    return decide(items, customers, POLICY, ReminderHistory(history), as_of, **kw)


def skip_keys(plan) -> list[str]:
    return [s.reason.key for s in plan.skipped]


# -- rule 2: an item's stage, no skipping ----------------------------------------------------


@pytest.mark.parametrize(
    ("days", "last", "stage", "reminded"),
    [
        (6, 0, 0, False),  # not yet 7 days after due
        (7, 0, 1, True),
        (60, 0, 1, True),  # 60 days late but never reminded: first the Zahlungserinnerung
        (20, 1, 1, False),  # stage 2 needs 21 days
        (21, 1, 2, True),
        (90, 1, 2, True),  # one step at a time
        (90, 2, 3, True),
        (49, 3, 4, True),
        (48, 3, 3, False),
    ],
)
def test_item_stage_follows_days_and_never_skips(days, last, stage, reminded):
    history = [sent(30, last, "A")] if last else []
    plan = plan_for(items_frame({"no": "A", "days": days}), history=history)
    if reminded:
        (reminder,) = plan.reminders
        assert reminder.stage.number == stage
        assert [(i.invoice_no, i.stage_no, i.advanced) for i in reminder.items] == [
            ("A", stage, True)]
    else:
        assert plan.reminders == []
        assert skip_keys(plan) == ["not_yet" if last == 0 else "no_new_stage"]


def test_own_schedule_overrides_the_policy_for_that_customer():
    customers = customers_frame({"customer_id": "K1", "dunning_schedule": "10, 20, 30, 40"},
                                {"customer_id": "K2"})
    items = items_frame({"no": "A", "cust": "K1", "days": 8}, {"no": "B", "cust": "K2", "days": 8})
    plan = plan_for(items, customers)
    assert [r.customer_id for r in plan.reminders] == ["K2"]
    (waiting,) = plan.skipped
    assert waiting.customer_id == "K1" and waiting.reason.params["threshold"] == 10
    later = plan_for(items_frame({"no": "A", "cust": "K1", "days": 20}), customers,
                     history=[sent(14, 1, "A")])
    assert later.reminders[0].stage.number == 2  # 20 days: stage 2 by its own schedule


def test_unreadable_own_schedule_is_a_problem_and_the_policy_applies():
    customers = customers_frame({"customer_id": "K1", "dunning_schedule": "10, 5, 30, 40"})
    plan = plan_for(items_frame({"no": "A", "days": 7}), customers,
                    labels={"dunning_schedule": "Eigener Mahnplan"}, sheet="Kunden")
    assert plan.reminders[0].stage.number == 1
    (problem,) = plan.problems
    assert (problem.sheet, problem.row, problem.column) == ("Kunden", 2, "Eigener Mahnplan")


# -- rule 4: interval and threshold ----------------------------------------------------------


@pytest.mark.parametrize(("days_ago", "reminded"), [(13, False), (14, True), (40, True)])
def test_minimum_days_since_the_customers_last_reminder(days_ago, reminded):
    # Item A reached stage 2; the customer's last reminder (to another item) was days_ago.
    history = [sent(40, 1, "A"), sent(days_ago, 1, "B")]
    plan = plan_for(items_frame({"no": "A", "days": 30}), history=history)
    assert bool(plan.reminders) == reminded
    if not reminded:
        (skip,) = plan.skipped
        assert skip.reason.key == "interval"
        assert skip.reason.params["earliest"] == AS_OF - timedelta(days=days_ago) + timedelta(14)


@pytest.mark.parametrize(
    ("amounts", "reminded"),
    [
        ({"EUR": [999]}, False),
        ({"EUR": [1000]}, True),
        ({"EUR": [400, 600]}, True),  # the customer's total counts, not each item
        ({"EUR": [600], "CHF": [600]}, False),  # currencies are never added up
        ({"EUR": [1000], "CHF": [100]}, True),
    ],
)
def test_minimum_amount_per_currency(amounts, reminded):
    rows = [{"no": f"{cur}{i}", "currency": cur, "open": cents, "days": 10}
            for cur, values in amounts.items() for i, cents in enumerate(values)]
    plan = plan_for(items_frame(*rows))
    assert bool(plan.reminders) == reminded
    if reminded:
        expected = {cur: sum(v) for cur, v in amounts.items()}
        assert plan.reminders[0].total_cents_by_currency() == expected
    else:
        assert skip_keys(plan) == ["below_minimum"]
        assert "je Währung" in plan.skipped[0].reason_text("de")
        assert "per currency" in plan.skipped[0].reason_text("en")


# -- rule 1 and 3: what is never chased ------------------------------------------------------


@pytest.mark.parametrize("status", ["disputed", "on_hold", "promised"])
def test_disputed_held_and_promised_items_are_skipped_with_their_reason(status):
    plan = plan_for(items_frame({"no": "A", "days": 40, "status": status}, {"no": "B", "days": 40}))
    assert [i.invoice_no for i in plan.reminders[0].items] == ["B"]
    (skip,) = plan.skipped
    assert (skip.reason.key, skip.invoice_nos) == (status, ("A",))


def test_a_broken_promise_resumes_the_chase_and_says_so():
    plan = plan_for(items_frame({"no": "A", "days": 12, "flags": BROKEN}))
    (reminder,) = plan.reminders
    assert reminder.reason.params["broken"] == ("A",)
    assert "Zahlungszusage nicht eingehalten (A)" in reminder.reason_text("de")
    assert "promise to pay broken (A)" in reminder.reason_text("en")


@pytest.mark.parametrize(
    ("customer", "key"),
    [
        ({"customer_id": "K1", "dunning_block": True}, "blocked"),
        ({"customer_id": "K9"}, "customer_unknown"),
        ({"customer_id": "K1", "email": None}, "no_email"),
        ({"customer_id": "K1", "email": "  "}, "no_email"),
        ({"customer_id": "K1", "email": "a@b.example\nBcc: all@victim.example"}, "no_email"),
        ({"customer_id": "K1", "email": "a@b.example, c@d.example"}, "no_email"),
    ],
)
def test_customers_that_cannot_be_reminded_are_decisions_too(customer, key):
    plan = plan_for(items_frame({"no": "A", "days": 40}), customers_frame(customer))
    assert plan.reminders == [] and plan.escalations == []
    (skip,) = plan.skipped
    assert (skip.customer_id, skip.invoice_nos, skip.reason.key) == ("K1", ("A",), key)


def test_items_without_a_customer_id_are_skipped_not_lost():
    items = items_frame({"no": "A", "days": 40}, {"no": "B", "days": 40, "status": "disputed"},
                        {"no": "C", "days": 40})
    items.loc[items["invoice_no"] != "C", "customer_id"] = np.nan
    plan = plan_for(items)
    assert [(s.customer_id, s.invoice_nos, s.reason.key) for s in plan.skipped] == [
        (None, ("A",), "customer_unknown"), (None, ("B",), "disputed")]
    assert [i.invoice_no for r in plan.reminders for i in r.items] == ["C"]


# -- rule 5: one consolidated reminder -------------------------------------------------------


def test_one_reminder_lists_all_candidates_with_their_own_stages_and_credits():
    items = items_frame(
        {"no": "A", "days": 25},  # had stage 1: now 2
        {"no": "B", "days": 3},  # just overdue: listed, no stage yet
        {"no": "C", "days": 15},  # had stage 1: stays at 1
        {"no": "GS1", "open": -2_000, "days": 0, "status": "credit"},
        {"no": "GS2", "open": -500, "days": 0, "status": "credit", "currency": "CHF"},
        {"no": "X", "cust": "K2", "days": 25},
    )
    customers = customers_frame({"customer_id": "K1"}, {"customer_id": "K2"})
    plan = plan_for(items, customers, history=[sent(20, 1, "A", "C")])
    (reminder,) = [r for r in plan.reminders if r.customer_id == "K1"]
    assert reminder.stage.number == 2 and reminder.previous_stage == 1
    assert {i.invoice_no: (i.stage_no, i.advanced) for i in reminder.items} == {
        "A": (2, True), "B": (0, False), "C": (1, False)}
    assert [(c.invoice_no, c.open_cents) for c in reminder.credits] == [("GS1", -2_000)]
    assert reminder.total_cents_by_currency() == {"EUR": 150_000}
    assert reminder.item_stages() == {"A": 2, "B": 0, "C": 1}


def test_history_with_item_stages_keeps_each_items_own_progression():
    # Last time A went out at stage 2 and B, listed in the same letter, at stage 0.
    history = [ReminderRecord("K1", 2, AS_OF - timedelta(days=30), {"A": 2, "B": 0})]
    plan = plan_for(items_frame({"no": "A", "days": 30}, {"no": "B", "days": 30}),
                    history=history)
    stages = plan.reminders[0].item_stages()
    assert stages == {"A": 2, "B": 1}  # B starts at the Zahlungserinnerung, A waits for 35 days
    assert ReminderHistory(history).invoice_stage("B") == 0


def record(stage: int, stages: dict[str, int]) -> ReminderRecord:
    return ReminderRecord("K1", stage, AS_OF - timedelta(days=30), stages)


@pytest.mark.parametrize(
    ("history", "de", "en"),
    [
        # A had stage 1, now 2: the customer's stage goes up
        (record(1, {"A": 1}), "nächste Stufe 1. Mahnung", "next stage 1. Mahnung"),
        # A had stage 2 already, B catches up to 2: the same stage once more
        (record(2, {"A": 2, "B": 1}), "erneut 1. Mahnung, weil", "1. Mahnung again, as"),
        # the last letter was stage 3 (for Z, since paid): A and B start at stage 1
        (record(3, {"Z": 3}), "Zahlungserinnerung für weitere", "Zahlungserinnerung for further"),
    ],
)
def test_reason_says_whether_the_customer_stage_goes_up(history, de, en):
    plan = plan_for(items_frame({"no": "A", "days": 25}, {"no": "B", "days": 25}),
                    history=[history])
    (reminder,) = plan.reminders
    assert de in reminder.reason_text("de") and en in reminder.reason_text("en")


def test_nothing_twice_on_the_same_day():
    items = items_frame({"no": "A", "days": 10})
    first = plan_for(items)
    record = ReminderRecord("K1", first.reminders[0].stage.number, AS_OF,
                            first.reminders[0].item_stages())
    again = plan_for(items, history=[record])
    assert again.reminders == [] and skip_keys(again) == ["no_new_stage"]


# -- escalation ------------------------------------------------------------------------------


def full_history(final_days_ago: int) -> list[ReminderRecord]:
    return [sent(final_days_ago + 42 - 14 * i, i, "A") for i in (1, 2, 3)] + [
        sent(final_days_ago, 4, "A")]


@pytest.mark.parametrize(("final_days_ago", "escalated"), [(20, False), (21, True)])
def test_escalation_after_the_last_stage_deadline_and_waiting_time(final_days_ago, escalated):
    plan = plan_for(items_frame({"no": "A", "days": 100}), history=full_history(final_days_ago))
    assert plan.reminders == []  # the last stage is never sent again
    if not escalated:
        (skip,) = plan.skipped
        assert skip.reason.key == "awaiting_escalation"
        assert skip.reason.params["escalate_from"] == AS_OF + timedelta(days=1)
        return
    (esc,) = plan.escalations
    assert (esc.customer_id, esc.name, esc.address) == ("K1", "Müller GmbH",
                                                         "Hauptstr. 1, 70565 Stuttgart")
    assert esc.last_reminder_date == AS_OF - timedelta(days=21)
    assert esc.fees_cents == 250 + 500  # the fees of stages 3 and 4
    (item,) = esc.items
    assert (item.invoice_no, item.open_cents, item.due) == ("A", 50_000,
                                                            AS_OF - timedelta(days=100))
    assert item.invoice_date == AS_OF - timedelta(days=130)
    assert "Mahnverfahren" in esc.reason_text("de") and "court" in esc.reason_text("en")


def test_escalation_waiting_time_comes_from_settings():
    plan = plan_for(items_frame({"no": "A", "days": 100}), history=full_history(10),
                    escalation_after_days=3)
    assert len(plan.escalations) == 1


def test_new_items_of_an_escalated_customer_are_still_reminded():
    items = items_frame({"no": "A", "days": 100}, {"no": "N", "days": 8})
    plan = plan_for(items, history=full_history(30))
    assert [e.items[0].invoice_no for e in plan.escalations] == ["A"]
    assert [i.invoice_no for i in plan.reminders[0].items] == ["N"]


# -- reasons ---------------------------------------------------------------------------------


def test_reason_reads_like_the_clerk_would_say_it():
    items = items_frame({"no": "A", "days": 23}, {"no": "B", "days": 40, "open": 123_456})
    history = [ReminderRecord("K1", 2, date(2026, 11, 2), ("A", "B"))]
    plan = plan_for(items, history=history)
    (reminder,) = plan.reminders
    assert reminder.reason_text("de") == (
        "2 Rechnungen 23-40 Tage überfällig; letzte Mahnung (1. Mahnung) am 02.11.2026; "
        "nächste Stufe 2. Mahnung; offen 1.734,56 EUR")
    assert reminder.reason_text("en") == (
        "2 invoices 23-40 days overdue; last reminder (1. Mahnung) on 2026-11-02; "
        "next stage 2. Mahnung; open 1,734.56 EUR")


@pytest.mark.parametrize("key", REASON_KEYS)
def test_every_reason_has_german_and_english_text(key):
    params = {"invoice": "RE-1", "customer": "K1", "n": 1, "min_days": 1, "max_days": 1,
              "stage": "1. Mahnung", "threshold": 7, "next_in": 3, "last_date": AS_OF,
              "last_stage": "Zahlungserinnerung", "earliest": AS_OF, "interval": 14,
              "totals": {"EUR": 1234}, "minimum": 1000, "final_date": AS_OF,
              "escalate_from": AS_OF, "deadline": 7, "after": 14, "step": "next",
              "broken": ()}
    de, en = Reason(key, params).text("de"), Reason(key, params).text("en")
    assert de and en and de != en
    assert "{" not in de + en


# -- property: what must never be chased -----------------------------------------------------

STATUSES = ["overdue", "disputed", "on_hold", "promised", "open", "credit"]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["K1", "K2", "K3"]), st.sampled_from(STATUSES),
                            st.integers(0, 200), st.integers(-5_000, 500_000),
                            st.booleans()), min_size=1, max_size=25),
    blocked=st.sets(st.sampled_from(["K1", "K2", "K3"])),
    stages=st.lists(st.integers(0, 4), min_size=25, max_size=25),
    ago=st.integers(0, 120),
)
def test_never_selects_disputed_held_promised_or_blocked(rows, blocked, stages, ago):
    items = items_frame(*[
        {"no": f"R{i}", "cust": c, "status": s if cents > 0 else "credit", "days": d,
         "open": cents or 1, "flags": BROKEN if broken else 0}
        for i, (c, s, d, cents, broken) in enumerate(rows)])
    customers = customers_frame(*[{"customer_id": c, "dunning_block": c in blocked}
                                  for c in ("K1", "K2", "K3")])
    history = [sent(ago, s, f"R{i}", cust=c) for i, ((c, *_), s) in
               enumerate(zip(rows, stages, strict=False)) if s]
    plan = plan_for(items, customers, history=history)
    status = dict(zip(items["invoice_no"], items["status"], strict=True))
    chased = [i.invoice_no for r in plan.reminders for i in r.items] + [
        i.invoice_no for e in plan.escalations for i in e.items]
    assert all(status[no] == "overdue" for no in chased)
    assert not {r.customer_id for r in plan.reminders + plan.escalations} & blocked
    decided = chased + [no for s in plan.skipped for no in s.invoice_nos]
    assert len(decided) == len(set(decided))  # one decision per item


# -- the policy table ------------------------------------------------------------------------


def raw_policy(rows: list[dict], sheet: str = "Einstellungen") -> RawTable:
    keys = DUNNING.keys()
    return RawTable(
        sheet=sheet, rows=np.arange(2, len(rows) + 2),
        columns={k: RawColumn.from_values([r.get(k) for r in rows]) for k in keys},
        headers={k: DUNNING.column(k).de for k in keys},
    )


def default_rows() -> list[dict]:
    return [{"stage": s.number, "name": s.name, "days_after_due": s.days_after_due,
             "min_days_since_last": s.min_days_since_last, "min_amount": s.min_amount_cents / 100,
             "fee": s.fee_cents / 100, "deadline_days": s.deadline_days, "tone": "bestimmt",
             "template": s.template} for s in POLICY.stages]


@pytest.mark.parametrize(
    ("stage", "key", "value", "column", "field", "expected"),
    [
        (2, "days_after_due", "drei Wochen", "Tage nach Fälligkeit", "days_after_due", 21),
        (3, "fee", -1, "Gebühr", "fee_cents", 250),
        (4, "fee", "5,50", None, "fee_cents", 550),
        (1, "tone", "grob", "Ton", "tone", "friendly"),
        (1, "tone", "final", None, "tone", "final"),
        (2, "template", "letter7", "Vorlage", "template", "dunning1"),
        (4, "deadline_days", 0, "Zahlungsfrist (Tage)", "deadline_days", 7),
        (3, "min_days_since_last", None, "Mindestabstand (Tage)", "min_days_since_last", 14),
        (3, "min_amount", None, "Mindestbetrag", "min_amount_cents", 1000),
        (2, "tone", None, "Ton", "tone", "firm"),
        (2, "template", " DUNNING1 ", None, "template", "dunning1"),
        (3, "name", None, None, "name", "2. Mahnung"),
    ],
)
def test_policy_cells_that_do_not_fit_are_problems_with_their_place(stage, key, value, column,
                                                                    field, expected):
    rows = default_rows()
    rows[stage - 1][key] = value
    policy, problems = policy_from_rows(raw_policy(rows))
    assert getattr(policy.stage(stage), field) == expected
    places = [(p.sheet, p.row, p.column) for p in problems]
    assert places == ([] if column is None else [("Einstellungen", stage + 1, column)])


def test_policy_days_must_ascend_and_missing_stages_keep_their_default():
    rows = default_rows()[:3]
    rows[1]["days_after_due"] = 50  # after stage 3's 35 days
    rows.append({**rows[0], "stage": 2})  # a second stage 2
    policy, problems = policy_from_rows(raw_policy(rows))
    assert policy.days == (7, 21, 35, 49)
    assert {(p.row, p.column) for p in problems} == {
        (5, "Stufe"), (None, ""), (4, "Tage nach Fälligkeit")}


def test_policy_values_typed_by_the_user_are_used():
    rows = default_rows()
    rows[0].update(days_after_due=3, name="Freundliche Erinnerung", min_amount="25,00")
    policy, problems = policy_from_rows(raw_policy(rows))
    assert problems == []
    assert (policy.stage(1).days_after_due, policy.stage(1).name,
            policy.stage(1).min_amount_cents) == (3, "Freundliche Erinnerung", 2500)


# -- the workbook ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_init_builds_a_dunning_table_beside_the_settings(tmp_path, lang):
    path = tmp_path / "b.xlsx"
    jobs.init_book(path, lang=lang, sample=40, seed=1, today=AS_OF)
    wb = load_workbook(path)
    ws = wb[SETTINGS.sheet(lang)]
    settings_cols = split_ref(ws.tables[SETTINGS.name].ref)
    dunning_cols = split_ref(ws.tables[DUNNING.name].ref)
    assert settings_cols[2] < dunning_cols[0]  # side by side, not overlapping
    tone_col = dunning_cols[0] + DUNNING.keys().index("tone")
    ws.cell(row=3, column=tone_col).value = "final" if lang == "en" else "letztmalig"
    ws.cell(row=3, column=dunning_cols[0] + 2).value = 25  # stage 2 after 25 days
    wb.save(path)
    with WorkbookFile(path) as book:
        policy, problems = policy_from_rows(book.read_table(DUNNING), lang)
        pairs = book.read_pairs(SETTINGS, "setting", "value")
    assert problems == []
    assert policy.stage(2).days_after_due == 25 and policy.stage(2).tone == "final"
    assert [s.name for s in policy.stages] == [s.name for s in default_policy(lang).stages]
    assert policy.stage(4).fee_cents == 500
    settings, problems = settings_from_pairs(pairs)
    assert problems == [] and settings.language == lang and settings.escalation_after_days == 14
    assert settings.extra["sender_email"] == "forderungen@example.com"
    assert "ARBOOK_SMTP_PASSWORD" in " ".join(str(c.value) for c in ws["C"] if c.value)


def test_bad_settings_for_reminders_are_problems():
    pairs = {"escalation_after_days": ("zwei Wochen", 20), "smtp_security": ("tls", 21),
             "interest_variant": ("EU", 22)}
    settings, problems = settings_from_pairs(pairs)
    assert settings.escalation_after_days == 14 and settings.interest_variant == "eu"
    assert settings.extra["smtp_security"] == "starttls"
    assert sorted(p.row for p in problems) == [20, 21]


# -- escalation CSV --------------------------------------------------------------------------


def hostile_escalation() -> Escalation:
    items = [EscalationItem("=HYPERLINK(\"http://x\")", date(2026, 6, 1), date(2026, 7, 1),
                            123_456, "EUR"),
             EscalationItem("RE-2", None, date(2026, 7, 15), 5, "EUR")]
    reason = Reason("escalate", {"n": 2, "stage": "letzte Mahnung", "final_date": AS_OF,
                                 "escalate_from": AS_OF, "deadline": 7, "after": 14,
                                 "totals": {"EUR": 123_461}})
    return Escalation("@K1", "+Evil GmbH", "\t-Weg 1\nBerlin", items, date(2026, 10, 1),
                      reason, fees_cents=750)


@pytest.mark.parametrize(("lang", "sep", "claim", "day"),
                         [("de", ";", "1234,56", "01.06.2026"), ("en", ",", "1234.56",
                                                                 "2026-06-01")])
def test_escalation_csv_for_excel_with_formulas_neutralised(tmp_path, lang, sep, claim, day):
    path = write_escalations_csv([hostile_escalation()], tmp_path / "e.csv", lang,
                                 interest_from={"RE-2": date(2026, 7, 16)})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    header, first, second = rows
    assert len(header) == len(first) == 12
    assert first[:5] == ["'@K1", "'+Evil GmbH", "'-Weg 1, Berlin", "'=HYPERLINK(\"http://x\")",
                         day]
    assert first[6] == claim and first[9] == ("7,50" if lang == "de" else "7.50")
    assert second[4] == "" and second[9] == "" and second[6] == ("0,05" if lang == "de" else "0.05")
    assert second[8] == ("16.07.2026" if lang == "de" else "2026-07-16")
    for row in rows:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)


@pytest.mark.parametrize("pairs", [{"bucket_edges": ("inf", 7)}, {"bucket_edges": ("30, 1e999", 7)},
                                   {"escalation_after_days": ("¹", 7)},
                                   {"smtp_port": ("٣", 7)},
                                   {"escalation_after_days": ("9" * 400, 7)}])
def test_settings_that_crashed_the_fuzzer_are_problems(pairs):
    """Found by tests/test_fuzz_importers.py: OverflowError / ValueError instead of a problem."""
    settings, problems = settings_from_pairs(pairs)
    assert [p.row for p in problems] == [7]
    assert settings.escalation_after_days == 14
