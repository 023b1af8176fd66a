"""Worksheet functions agree with the refresh and with the interest oracle.

Excel hands UDFs floats and datetimes; the tests call them that way.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import python_calamine

from arbook import jobs
from arbook.core.dunning_policy import default_policy
from arbook.excel.udfs import ARB_BUCKET, ARB_DAYSOVERDUE, ARB_INTEREST, ARB_STAGE
from tests.helpers import AS_OF, small_ledger


def excel_date(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def test_days_and_bucket_match_what_refresh_wrote(tmp_path):
    path = small_ledger(tmp_path / "b.xlsx")
    jobs.refresh(path, AS_OF)
    book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    table = book.get_table_by_name("tblInvoices")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.to_python()]
    checked = 0
    for row in rows:
        due = row["Fällig am"]
        if not isinstance(due, date):
            continue
        days = ARB_DAYSOVERDUE(excel_date(due), excel_date(AS_OF))
        assert days == row["Tage überfällig"]
        if row["Status"] != "strittig":
            assert ARB_BUCKET(float(days)) == row["Altersklasse"]
        checked += 1
    assert checked == 2


@pytest.mark.parametrize("days, expected", [(0, "nicht fällig"), (1, "1-30 Tage"),
                                            (30, "1-30 Tage"), (31, "31-60 Tage"),
                                            (91, "über 90 Tage")])
def test_bucket_edges(days, expected):
    assert ARB_BUCKET(float(days)) == expected


def test_bucket_with_own_edges_and_english():
    assert ARB_BUCKET(20.0, "en", "10;20") == "11-20 days"
    assert ARB_BUCKET(21.0, "en", "10;20") == "over 20 days"
    with pytest.raises(ValueError):
        ARB_BUCKET(5.0, "de", "20;10")


def test_stage_starts_at_each_policy_threshold():
    policy = default_policy("de")
    first = policy.stages[0]
    assert ARB_STAGE(float(first.days_after_due - 1)) == ""
    for stage in policy.stages:
        assert ARB_STAGE(float(stage.days_after_due)) == stage.name
    assert ARB_STAGE(float(policy.stages[1].days_after_due), "en") == \
        default_policy("en").stages[1].name


def test_interest_matches_the_oracle():
    # extdata/bgb-basiszins-ameax/SOURCE.md: EUR 10,000 from 2023-01-01 to 2023-07-01
    start, end = datetime(2023, 1, 1), datetime(2023, 7, 1)
    assert ARB_INTEREST(10000.0, start, end, False) == 328.28
    assert ARB_INTEREST(10000.0, start, end, True) == 526.64


def test_a_date_argument_that_is_not_a_date_is_refused():
    with pytest.raises(ValueError, match="due"):
        ARB_DAYSOVERDUE("gestern", None)
