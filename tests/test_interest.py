"""German default interest (§§ 286, 288 BGB), the EU variant and the calculator command.

Expected values are worked by hand from the published rates (Bundesbank base rate, ECB MRO
rate) or taken from the upstream oracle in ../shared/extdata/bgb-basiszins-ameax/SOURCE.md.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.cli import main
from arbook.core.interest import (
    BUSINESS_MARGIN,
    CONSUMER_MARGIN,
    EU_MARGIN,
    RateMissing,
    RateTable,
    default_interest,
    default_start,
    rate_table_from_rows,
)
from arbook.io.lawdata import load_rate_table

EXTDATA = Path(__file__).resolve().parents[2] / "shared" / "extdata"
BASE_RATES_JSON = EXTDATA / "bgb-basiszins-ameax" / "base_rates.json"
DE = load_rate_table("de")
EU = load_rate_table("eu")
D = Decimal


def by_hand(*parts: tuple[int, str, int]) -> int:
    """Cents from (principal in EUR, rate in percent, days) parts: the exact sum, rounded once."""
    exact = sum(D(eur) * D(rate) * days / D(36500) for eur, rate, days in parts)
    return int((exact * 100).quantize(D(1), rounding=ROUND_HALF_UP))


# Published base rates: 2020-H1 -0.88, 2023-H1 1.62, 2023-H2 3.12, 2024-H1 3.62.
LAW_CASES = [
    # upstream oracle (SOURCE.md): 10,000.00 EUR, 2023-01-01 to 2023-07-01 = 181 days
    ("oracle consumer", 10_000, "2023-01-01", "2023-07-01", CONSUMER_MARGIN, (), 32828),
    ("oracle business", 10_000, "2023-01-01", "2023-07-01", BUSINESS_MARGIN, (), 52664),
    ("three half-years, consumer", 10_000, "2023-01-01", "2024-07-01", CONSUMER_MARGIN, (),
     by_hand((10_000, "6.62", 181), (10_000, "8.12", 184), (10_000, "8.62", 182))),
    ("three half-years, business", 10_000, "2023-01-01", "2024-07-01", BUSINESS_MARGIN, (),
     by_hand((10_000, "10.62", 181), (10_000, "12.12", 184), (10_000, "12.62", 182))),
    ("partial payment 3,000 on 2023-04-01", 10_000, "2023-01-01", "2023-07-01", CONSUMER_MARGIN,
     (("2023-04-01", 3_000),), by_hand((10_000, "6.62", 90), (7_000, "6.62", 91))),
    ("negative base rate, leap year, actual/365", 10_000, "2020-01-01", "2020-07-01",
     CONSUMER_MARGIN, (), by_hand((10_000, "4.12", 182))),
    ("overpayment ends the interest", 1_000, "2023-01-01", "2023-07-01", BUSINESS_MARGIN,
     (("2023-02-01", 600), ("2023-03-01", 600)),
     by_hand((1_000, "10.62", 31), (400, "10.62", 28))),
    ("payment before the start lowers the principal", 1_000, "2023-01-01", "2023-02-01",
     CONSUMER_MARGIN, (("2022-12-15", 250),), by_hand((750, "6.62", 31))),
    ("same day: nothing", 1_000, "2023-03-01", "2023-03-01", BUSINESS_MARGIN, (), 0),
]


@pytest.mark.parametrize(("case", "eur", "start", "end", "margin", "payments", "cents"),
                         LAW_CASES, ids=[c[0] for c in LAW_CASES])
def test_law_cases(case, eur, start, end, margin, payments, cents):
    paid = [(date.fromisoformat(d), e * 100) for d, e in payments]
    calc = default_interest(eur * 100, date.fromisoformat(start), date.fromisoformat(end),
                            margin, DE, paid)
    assert calc.total_cents == cents


def test_oracle_cents_match_the_worked_formula():
    # SOURCE.md: 10000 x 6.62 x 181 / 36500 = 328.28; the by_hand helper must agree
    assert by_hand((10_000, "6.62", 181)) == 32828
    assert by_hand((10_000, "10.62", 181)) == 52664


def test_periods_split_at_half_years_and_payments():
    calc = default_interest(1_000_000, date(2023, 1, 1), date(2024, 7, 1), BUSINESS_MARGIN, DE,
                            [(date(2023, 4, 1), 300_000)])
    assert [(p.start, p.end, p.days, p.principal_cents, p.base_rate) for p in calc.periods] == [
        (date(2023, 1, 1), date(2023, 4, 1), 90, 1_000_000, D("1.62")),
        (date(2023, 4, 1), date(2023, 7, 1), 91, 700_000, D("1.62")),
        (date(2023, 7, 1), date(2024, 1, 1), 184, 700_000, D("3.12")),
        (date(2024, 1, 1), date(2024, 7, 1), 182, 700_000, D("3.62")),
    ]
    assert [p.rate for p in calc.periods] == [D("10.62"), D("10.62"), D("12.12"), D("12.62")]


def test_rounding_is_once_on_the_exact_sum():
    # at 3.65 % a year, 1 cent a day earns 0.0001 cent; three periods of exactly 0.5 cent:
    # 50.00 EUR x 1 day, 25.00 x 2 days, 12.50 x 4 days = 1.5 cents -> 2, not 1 + 1 + 1 = 3
    table = RateTable("t", ((date(2023, 1, 1), D("0.00")),))
    calc = default_interest(5_000, date(2023, 3, 1), date(2023, 3, 8), D("3.65"), table,
                            [(date(2023, 3, 2), 2_500), (date(2023, 3, 4), 1_250)])
    assert [(p.principal_cents, p.days) for p in calc.periods] == [(5000, 1), (2500, 2), (1250, 4)]
    assert [p.interest * 100 for p in calc.periods] == [D("0.5")] * 3
    assert calc.exact * 100 == D("1.5") and calc.total_cents == 2
    assert sum(p.interest_cents for p in calc.periods) == 3


def test_rate_never_below_zero():
    table = RateTable("t", ((date(2020, 1, 1), D("-0.88")),))
    calc = default_interest(1_000_000, date(2020, 1, 1), date(2020, 7, 1), D(0), table)
    assert calc.periods[0].base_rate == D("-0.88")
    assert calc.periods[0].rate == 0 and calc.total_cents == 0


def test_missing_half_year_is_refused_with_the_same_message_everywhere():
    with pytest.raises(RateMissing) as direct:
        DE.rate_on(date(2026, 11, 27))
    with pytest.raises(RateMissing) as via_calc:
        default_interest(100_00, date(2026, 1, 1), date(2026, 11, 27), CONSUMER_MARGIN, DE)
    assert direct.value.half_year == via_calc.value.half_year == date(2026, 7, 1)
    assert str(direct.value) == str(via_calc.value)
    assert "2026-07-01" in str(direct.value) and "2. Halbjahr 2026" in str(direct.value)
    assert "Settings" in str(direct.value)
    result = CliRunner().invoke(main, ["interest", "100", "--from", "2026-01-01", "--to",
                                       "2026-11-27", "--consumer"])
    assert result.exit_code == 2
    assert str(direct.value) in " ".join(result.output.split())


def test_before_the_table_is_refused_too():
    with pytest.raises(RateMissing) as exc:
        default_interest(100_00, date(2012, 12, 1), date(2013, 2, 1), EU_MARGIN, EU)
    assert exc.value.half_year == date(2012, 7, 1) and "ECB" in str(exc.value)


def test_the_end_of_the_table_is_exact():
    assert DE.end == date(2026, 7, 1)
    default_interest(100_00, date(2026, 1, 1), date(2026, 7, 1), CONSUMER_MARGIN, DE)  # covered
    with pytest.raises(RateMissing):
        default_interest(100_00, date(2026, 1, 1), date(2026, 7, 2), CONSUMER_MARGIN, DE)


def test_eu_variant_uses_the_ecb_rate_plus_eight():
    # ECB MRO on 2023-07-01: 4.00 (from 2023-06-21); 2024-01-01: 4.50 (from 2023-09-20)
    calc = default_interest(1_000_000, date(2023, 7, 1), date(2024, 7, 1), EU_MARGIN, EU)
    assert calc.total_cents == by_hand((10_000, "12.00", 184), (10_000, "12.50", 182))


# --- default_start (§ 286 BGB) ------------------------------------------------------------

START_CASES = [
    # (case, due, invoice, business, notice, reminder, expected first day of default)
    ("business, due date", "2024-03-15", "2024-02-14", True, False, None, "2024-03-16"),
    ("business, no due date: day 31", None, "2024-01-10", True, False, None, "2024-02-10"),
    ("consumer with notice, due date", "2024-03-15", "2024-02-14", False, True, None,
     "2024-03-16"),
    ("consumer with notice, no due date", None, "2024-01-10", False, True, None, "2024-02-10"),
    ("consumer without notice: not yet", "2024-03-15", "2024-02-14", False, False, None, None),
    ("consumer without notice: from a reminder", "2024-03-15", "2024-02-14", False, False,
     "2024-04-02", "2024-04-03"),
    ("consumer: reminder before due does not count", "2024-03-15", "2024-02-14", False, False,
     "2024-03-10", None),
    ("consumer: reminder on the due date does not count", "2024-03-15", "2024-02-14", False,
     False, "2024-03-15", None),
    ("consumer, no due date: reminder after the invoice", None, "2024-01-10", False, False,
     "2024-01-20", "2024-01-21"),
    ("business: an earlier reminder wins over day 31", None, "2024-01-10", True, False,
     "2024-01-20", "2024-01-21"),
    ("nothing known", None, None, True, True, None, None),
]


@pytest.mark.parametrize(("case", "due", "invoice", "business", "notice", "reminder", "expected"),
                         START_CASES, ids=[c[0] for c in START_CASES])
def test_default_start(case, due, invoice, business, notice, reminder, expected):
    def as_date(text):
        return None if text is None else date.fromisoformat(text)

    got = default_start(as_date(due), as_date(invoice), business, notice, as_date(reminder))
    assert got == as_date(expected)


def test_day_31_is_thirty_full_days_after_the_invoice():
    invoice = date(2024, 1, 10)
    start = default_start(None, invoice, True, False, None)
    # the 30 days are Jan 11 .. Feb 9 (§ 187 (1) BGB: the invoice day does not count)
    assert start == date(2024, 2, 10) and (start - invoice).days == 31


# --- properties -----------------------------------------------------------------------------

days_in_de = st.dates(min_value=date(2002, 1, 1), max_value=date(2026, 6, 30))
cents = st.integers(min_value=0, max_value=10**11)
margins = st.decimals(min_value=-10, max_value=12, places=2)


@settings(max_examples=150, deadline=None)
@given(cents, days_in_de, days_in_de, days_in_de, margins)
def test_interest_is_additive_across_any_split(principal, a, b, c, margin):
    a, b, c = sorted((a, b, c))
    whole = default_interest(principal, a, c, margin, DE).exact
    with localcontext() as ctx:
        ctx.prec = 80  # add without losing digits: the periods are kept to 60
        parts = (default_interest(principal, a, b, margin, DE).exact
                 + default_interest(principal, b, c, margin, DE).exact)
        assert abs(whole - parts) < D("1e-40")


@settings(max_examples=150, deadline=None)
@given(cents, cents, days_in_de, days_in_de, margins,
       st.lists(st.tuples(days_in_de, st.integers(1, 10**9)), max_size=4))
def test_never_negative_and_monotone_in_principal(p1, p2, a, b, margin, payments):
    a, b = sorted((a, b))
    low, high = sorted((p1, p2))
    small = default_interest(low, a, b, margin, DE, payments)
    big = default_interest(high, a, b, margin, DE, payments)
    assert all(p.interest >= 0 and p.rate >= 0 for p in small.periods)
    assert 0 <= small.total_cents <= big.total_cents
    assert small.exact <= big.exact


# --- building a table from Settings rows ---------------------------------------------------

def test_table_from_rows_accepts_the_usual_spellings():
    rows = [(date(2025, 1, 1), "2,27", 5), ("2025-07-01", "1.27", 6), ("01.01.2026", 1.27, 7),
            ("2026-07", D("-0.88"), 8), ("", None, 9), ("07.2027", "\u22120,5 %", 10),
            ("2027-01-01", 2, 11)]
    table, problems = rate_table_from_rows(rows, "Basiszins", "test", sheet="Settings")
    assert problems == []
    assert table.points == ((date(2025, 1, 1), D("2.27")), (date(2025, 7, 1), D("1.27")),
                            (date(2026, 1, 1), D("1.27")), (date(2026, 7, 1), D("-0.88")),
                            (date(2027, 1, 1), D(2)), (date(2027, 7, 1), D("-0.5")))


def test_table_from_rows_reports_each_problem_with_its_place():
    rows = [
        ("2025-01-01", "2,27", 4),
        ("2025-03-01", "2,00", 5),  # not a half-year start
        ("2025-07-01", "abc", 6),  # not a rate
        ("soon", "1,00", 7),  # not a date
        ("2025-01-01", "2,27", 8),  # listed twice
        ("2026-01-01", 0.0127, 9),  # a %-formatted cell
        ("2027-01-01", "1,27", 10),  # leaves 2025-07 .. 2026-12 uncovered
    ]
    table, problems = rate_table_from_rows(rows, "Basiszins", "test", sheet="Einstellungen",
                                           columns=("Halbjahr ab", "Satz %"))
    places = [(p.sheet, p.row, p.column) for p in problems]
    assert places == [
        ("Einstellungen", 5, "Halbjahr ab"),
        ("Einstellungen", 6, "Satz %"),
        ("Einstellungen", 7, "Halbjahr ab"),
        ("Einstellungen", 8, "Halbjahr ab"),
        ("Einstellungen", 9, "Satz %"),
        ("Einstellungen", 10, "Halbjahr ab"),
    ]
    assert "2025-07-01" in problems[-1].message and "2026-12-31" in problems[-1].message
    assert "row 4" in problems[3].message
    assert table.points == ((date(2025, 1, 1), D("2.27")), (date(2027, 1, 1), D("1.27")))
    with pytest.raises(RateMissing) as hole:
        default_interest(100_00, date(2025, 6, 1), date(2025, 8, 1), CONSUMER_MARGIN, table)
    assert hole.value.half_year == date(2025, 7, 1)


def test_an_empty_table_is_a_problem():
    table, problems = rate_table_from_rows([(None, None, 3)], "Basiszins", "test", "Settings")
    assert table.points == () and len(problems) == 1


# --- the calculator command ------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["10000", "10000.00", "10.000,00"])
def test_cli_prints_the_oracle(amount):
    result = CliRunner().invoke(main, ["interest", amount, "--from", "2023-01-01", "--to",
                                       "2023-07-01", "--consumer"])
    assert result.exit_code == 0, result.output
    assert "328.28" in result.output and "181" in result.output
    assert "actual days / 365" in " ".join(result.output.split())
    assert "40.00" not in result.output  # no flat fee for consumers


def test_cli_business_with_a_payment_and_the_flat_fee():
    result = CliRunner().invoke(main, ["interest", "10.000,00", "--from", "01.01.2023", "--to",
                                       "2023-07-01", "--business", "--payment", "2023-04-01=3000"])
    assert result.exit_code == 0, result.output
    expected = by_hand((10_000, "10.62", 90), (7_000, "10.62", 91))
    assert f"{expected / 100:,.2f}" in result.output and "7,000.00" in result.output
    assert "40.00" in result.output


def test_cli_refuses_bad_input():
    runner = CliRunner()
    bad_amount = runner.invoke(main, ["interest", "ten", "--from", "2023-01-01", "--to",
                                      "2023-07-01", "--consumer"])
    assert bad_amount.exit_code == 2 and "not an amount" in bad_amount.output
    eu_consumer = runner.invoke(main, ["interest", "100", "--from", "2023-01-01", "--to",
                                       "2023-07-01", "--consumer", "--variant", "eu"])
    assert eu_consumer.exit_code == 2 and "businesses only" in eu_consumer.output
    backwards = runner.invoke(main, ["interest", "100", "--from", "2023-07-01", "--to",
                                     "2023-01-01", "--business"])
    assert backwards.exit_code == 2 and "before the start" in backwards.output


# --- the packaged tables ---------------------------------------------------------------------

def _half_years(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day = date(day.year, 7, 1) if day.month == 1 else date(day.year + 1, 1, 1)


@pytest.mark.skipif(not BASE_RATES_JSON.exists(), reason=f"{BASE_RATES_JSON} is absent")
def test_base_rate_table_equals_the_bundesbank_series():
    data = json.loads(BASE_RATES_JSON.read_text(encoding="utf-8"))["data"]
    changes = {date.fromisoformat(k + "-01"): D(str(v)) for k, v in data.items()}
    changes[date(2026, 1, 1)] = D("1.27")  # extdata/README.md: announced, unchanged
    rate = None
    for day in _half_years(date(2002, 1, 1), date(2026, 1, 1)):
        rate = changes.get(day, rate)  # a change point holds until the next one
        assert DE.rate_on(day) == rate, day
    assert DE.first == date(2002, 1, 1) and "Bundesbank" in DE.source and DE.updated


def test_ecb_table_follows_the_published_decisions():
    decisions = {  # MRO rate, effective date of each ECB decision (brief and ECB press releases)
        "2012-07-11": "0.75", "2013-05-08": "0.50", "2013-11-13": "0.25", "2014-06-11": "0.15",
        "2014-09-10": "0.05", "2016-03-16": "0.00", "2022-07-27": "0.50", "2022-09-14": "1.25",
        "2022-11-02": "2.00", "2022-12-21": "2.50", "2023-02-08": "3.00", "2023-03-22": "3.50",
        "2023-05-10": "3.75", "2023-06-21": "4.00", "2023-08-02": "4.25", "2023-09-20": "4.50",
        "2024-06-12": "4.25", "2024-09-18": "3.65", "2024-10-23": "3.40", "2024-12-18": "3.15",
        "2025-02-05": "2.90", "2025-03-12": "2.65", "2025-04-23": "2.40", "2025-06-11": "2.15",
    }
    for day in _half_years(date(2013, 1, 1), date(2026, 1, 1)):
        in_force = max(k for k in decisions if date.fromisoformat(k) <= day)
        assert EU.rate_on(day) == D(decisions[in_force]), day
    assert EU.end == date(2026, 7, 1)
    with pytest.raises(RateMissing):
        EU.rate_on(date(2012, 12, 31))


def test_packaged_tables_list_every_half_year():
    for table in (DE, EU):
        starts = [start for start, _rate in table.points]
        assert starts == list(_half_years(starts[0], starts[-1]))


def test_table_problems_show_hostile_cells_on_one_short_line():
    rows = [("=HYPERLINK(\"x\")\n" + "A" * 200, "1,00", 3), ("2025-01-01", None, 4),
            ("2025-07-01", "1,270", 5)]
    table, problems = rate_table_from_rows(rows, "Basiszins", "test", "Settings")
    assert len(problems) == 2
    assert "\n" not in problems[0].message and len(problems[0].message) < 140
    assert "empty cell" in problems[1].message
    assert table.points == ((date(2025, 7, 1), D("1.27")),)  # 1,270 is 1.27
