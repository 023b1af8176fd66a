"""Worksheet functions (xlwings UDFs): =ARB_DAYSOVERDUE(...), =ARB_BUCKET(...), ...

Each calls the core function the jobs use, so a cell formula and a refresh agree. Values from
Excel arrive as floats and datetimes; they are converted once, here. Money goes back as a float
of exact cents (Excel has no other number type). Importable on Linux; only Excel calls them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import xlwings as xw

from arbook.core.ageing import overdue_buckets, overdue_days
from arbook.core.dunning_policy import default_policy
from arbook.core.labels import bucket_label
from arbook.core.settings import DEFAULT_BUCKET_EDGES, parse_bucket_edges
from arbook.jobs import interest_claim


def _day(value: object, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{what}: not a date")


def _as_of(value: object) -> date:
    return date.today() if value in (None, "") else _day(value, "as_of")


def days_overdue(due: date, as_of: date) -> int:
    """Days past ``due`` on ``as_of``, as the refresh computes them."""
    return int(overdue_days(np.array([np.datetime64(due, "D")]), as_of)[0])


def _edges(text: object) -> tuple[int, ...]:
    if text in (None, ""):
        return DEFAULT_BUCKET_EDGES
    edges = parse_bucket_edges(str(int(text)) if isinstance(text, float) else str(text))
    if edges is None:
        raise ValueError("edges: use e.g. 30;60;90")
    return edges


@xw.func
@xw.arg("due", doc="due date / Fälligkeit")
@xw.arg("as_of", doc="as of (default today) / Stichtag")
def ARB_DAYSOVERDUE(due, as_of=None):  # noqa: N802 - Excel function names are upper case
    """Days overdue / Tage überfällig (0 when not yet due)."""
    return days_overdue(_day(due, "due"), _as_of(as_of))


@xw.func
@xw.arg("days", doc="days overdue / Tage überfällig")
@xw.arg("lang", doc="de or en")
@xw.arg("edges", doc="bucket edges, e.g. 30;60;90")
def ARB_BUCKET(days, lang="de", edges=None):  # noqa: N802
    """Ageing bucket / Altersband for a number of days overdue."""
    key = overdue_buckets(np.array([int(days or 0)]), _edges(edges))[0]
    return bucket_label(str(key), "en" if str(lang).lower() == "en" else "de")


@xw.func
@xw.arg("days", doc="days overdue / Tage überfällig")
@xw.arg("lang", doc="de or en")
def ARB_STAGE(days, lang="de"):  # noqa: N802
    """Dunning stage due / fällige Mahnstufe by the default policy ("" before the first)."""
    stage = default_policy("en" if str(lang).lower() == "en" else "de").stage_for_days(
        int(days or 0))
    return "" if stage is None else stage.name


@xw.func
@xw.arg("amount", doc="principal / Forderung")
@xw.arg("start", doc="first day of default / Verzugsbeginn")
@xw.arg("end", doc="end, not counted / Ende (ohne)")
@xw.arg("business", doc="TRUE: business (base + 9), FALSE: consumer (base + 5)")
def ARB_INTEREST(amount, start, end, business=True):  # noqa: N802
    """Default interest / Verzugszinsen (§ 288 BGB), in the currency of the amount."""
    cents = int((Decimal(repr(float(amount))) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    calc, _fee = interest_claim(cents, _day(start, "start"), _day(end, "end"), bool(business))
    return float(Decimal(calc.total_cents) / 100)


UDFS = (ARB_DAYSOVERDUE, ARB_BUCKET, ARB_STAGE, ARB_INTEREST)
