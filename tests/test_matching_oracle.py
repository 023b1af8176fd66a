"""The matcher gives the results the previous implementation gave (see matching_scenarios)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.matching_scenarios import GOLDEN, scenarios

SCENARIOS = scenarios()
EXPECTED = json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_scenarios_reach_every_rule_and_case():
    rules = Counter(m["rule"] for matches in EXPECTED for m in matches)
    flags = Counter(f for matches in EXPECTED for m in matches for f in m["flags"])
    for rule in ("text_full", "text_partial", "text_skonto", "text_skonto_late",
                 "text_skonto_too_much", "amount", "amount_skonto", "amount_sum",
                 "customer_only", "assigned", "ignored", "unmatched", "money_out", "pending",
                 "currency"):
        assert rules[rule] >= 3, rule
    assert flags["overpaid"] >= 10 and flags["partial"] >= 10
    assert len(EXPECTED) == len(SCENARIOS)


@pytest.mark.parametrize("number", range(len(SCENARIOS)))
def test_results_equal_the_previous_matchers(number):
    from tests.matching_scenarios import run

    ledger, entries, assignments = SCENARIOS[number]
    assert run(ledger, entries, assignments) == EXPECTED[number]
