"""Where the shared real-world bank files live: ../shared/extdata beside the clone (CI) or here."""

from __future__ import annotations

from pathlib import Path

import pytest

CANDIDATES = (Path(__file__).resolve().parents[2] / "shared" / "extdata",
              Path("/work/shared/extdata"))
EXTDATA = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])


def folder(name: str) -> Path:
    """The extdata subfolder, or skip the test with the reason."""
    path = EXTDATA / name
    if not path.is_dir():
        pytest.skip(f"external test data {path} not present (see shared/extdata/README.md)")
    return path


def files(name: str, pattern: str) -> list[Path]:
    """For parametrize at collection time: [] (no tests) when the folder is absent."""
    path = EXTDATA / name
    return sorted(path.glob(pattern)) if path.is_dir() else []
