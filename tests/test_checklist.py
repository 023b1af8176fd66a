"""The checklist content and the automatic checks' edges, on small frames (no workbook)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from arbook.core import checklist_checks as checks
from arbook.core.checklist import SHORT_LIST, STEPS, all_items, status_key
from arbook.core.kpi import Period
from arbook.core.review_figures import Figures, IssuedReminder

AS_OF = date(2026, 11, 26)


def test_ten_steps_of_four_to_eight_items_and_the_short_list():
    assert [s.number for s in STEPS] == list(range(1, 11))
    assert all(4 <= len(s.items) <= 8 for s in STEPS)
    assert len(SHORT_LIST) == 8
    ids = [i.id for _s, i in all_items()]
    assert len(ids) == len(set(ids))  # rows are matched by id
    assert all(i.de and i.en and i.de != i.en for _s, i in all_items())
    known = set(checks.CHECKS)
    assert {i.check for _s, i in all_items() if i.check} == known  # every check is used


@pytest.mark.parametrize(("text", "key"), [("erledigt", "done"), ("Done", "done"),
                                           ("n.a.", "na"), ("entfällt", "na"),
                                           ("in Arbeit", "in_progress"), ("", "open"),
                                           ("whatever", "open")])
def test_status_in_either_language(text, key):
    assert status_key(text) == key


def facts(**changes) -> checks.Facts:
    customers = pd.DataFrame({"customer_id": ["K1"], "email": ["a@b.example"],
                              "terms_days": pd.array([30], dtype="Int64"),
                              "dunning_block": [False]})
    items = pd.DataFrame({"invoice_no": ["A"], "customer_id": ["K1"], "skipped": [False],
                          "status": ["overdue"], "days_overdue": pd.array([10], dtype="Int64")})
    figures = Figures(AS_OF, "week", Period(AS_OF, AS_OF), "EUR", 0, 0, 0, 0, 0, None, None,
                      None, None, None, None, None, None)
    base = dict(as_of=AS_OF, lang="en", customers=customers,
                contacts=pd.DataFrame({"customer_id": [], "date": []}), items=items,
                reminders=[], troubled=0, first_stage_days=7, last_stage=4, figures=figures,
                review_days=[], settings={})
    return checks.Facts(**(base | changes))


def test_review_weekly_counts_exactly_the_seven_days_before():
    assert checks.review_weekly(facts(review_days=[AS_OF - timedelta(days=7)])).ok
    assert not checks.review_weekly(facts(review_days=[AS_OF - timedelta(days=8)])).ok
    assert not checks.review_weekly(facts(review_days=[AS_OF])).ok  # this run is not "before"


def test_reminders_on_policy_grace_week_after_the_first_stage():
    # 7 days (first stage) + 7 days grace = 14: an item 13 days overdue is not missed yet
    young = facts()
    young.items["days_overdue"] = pd.array([13], dtype="Int64")
    assert checks.reminders_on_policy(young).ok
    late = facts()
    late.items["days_overdue"] = pd.array([14], dtype="Int64")
    assert not checks.reminders_on_policy(late).ok
    reminded = facts(reminders=[IssuedReminder(AS_OF - timedelta(days=29), "K1", 1, ("A",),
                                               {"A": 1}, 100)])
    reminded.items["days_overdue"] = pd.array([40], dtype="Int64")
    assert checks.reminders_on_policy(reminded).ok
    stale = facts(reminders=[IssuedReminder(AS_OF - timedelta(days=30), "K1", 1, ("A",),
                                            {"A": 1}, 100)])
    stale.items["days_overdue"] = pd.array([40], dtype="Int64")
    assert not checks.reminders_on_policy(stale).ok  # 30 days ago is outside the window
    assert not checks.reminders_on_policy(facts(troubled=1)).ok


def test_kpi_targets_need_numbers():
    ok = {"target_dso": "35", "target_cei": "85,5", "target_overdue_share": "20"}
    assert checks.kpi_targets(facts(settings=ok)).ok
    assert not checks.kpi_targets(facts(settings=ok | {"target_cei": "hoch"})).ok


def test_kpi_history_needs_four_weeks():
    assert checks.kpi_history(facts(review_days=[AS_OF - timedelta(weeks=4)])).ok
    assert not checks.kpi_history(facts(review_days=[AS_OF - timedelta(days=27)])).ok


def test_customers_complete_names_who_is_missing_what():
    customers = pd.DataFrame({"customer_id": ["K1", "K2"], "email": ["", "x@y.example"],
                              "terms_days": pd.array([30, None], dtype="Int64"),
                              "dunning_block": [False, False]})
    found = checks.customers_complete(facts(customers=customers))
    assert not found.ok and found.text == "no email: K1; no payment terms: K2"
