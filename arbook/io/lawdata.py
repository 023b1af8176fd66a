"""Law data shipped with arbook: the default rate tables (package data, read with tomllib)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from typing import Literal

from arbook.core.interest import RateTable, rate_table_from_rows
from arbook.core.problems import ArbookError

RATE_FILES = {"de": "base_rates_de.toml", "eu": "ecb_rates.toml"}


def load_rate_table(variant: Literal["de", "eu"] = "de") -> RateTable:
    """The packaged table: German base rate ("de", § 247 BGB) or ECB MRO rate ("eu")."""
    if variant not in RATE_FILES:
        raise ArbookError(f"unknown interest variant '{variant}'; use de or eu")
    name = RATE_FILES[variant]
    text = resources.files("arbook").joinpath("data", name).read_text(encoding="utf-8")
    data = tomllib.loads(text, parse_float=Decimal)
    rows = [(start, rate, i) for i, (start, rate) in enumerate(data["rates"].items(), start=1)]
    table, problems = rate_table_from_rows(rows, data["name"], data["source"], sheet=name,
                                           updated=str(data.get("updated", "")))
    if problems:  # shipped data is checked by the tests; this guards against a broken install
        raise ArbookError(f"{name} is damaged: " + "; ".join(map(str, problems)))
    return table
