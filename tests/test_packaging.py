"""A plain, non-editable install carries everything arbook needs at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _clean_source(tmp_path: Path) -> Path:
    """The project without build leftovers: an old *.egg-info/SOURCES.txt or build/ would
    smuggle in files that pyproject.toml no longer ships."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "arbook", src / "arbook",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "mailtemplates", src / "mailtemplates",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "setup.py"):
        shutil.copy2(ROOT / name, src / name)
    return src


def test_non_editable_install_builds_and_refreshes_a_book_and_renders_a_letter(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(_clean_source(tmp_path))],
        check=True, capture_output=True, timeout=300,
    )
    assert not (target / "arbook" / "__editable__").exists()
    script = (
        "import arbook, sys; from datetime import date; from arbook import jobs\n"
        "assert arbook.__file__.startswith(sys.argv[1]), arbook.__file__\n"
        "p = sys.argv[2]; jobs.init_book(p, sample=30, today=date(2026, 11, 26))\n"
        "r = jobs.refresh(p, date(2026, 11, 26)); print(r.rows)\n"
        "from arbook.io.lawdata import load_rate_table\n"
        "for v in ('de', 'eu'): t = load_rate_table(v); print(v, t.first, t.end, len(t.points))\n"
        "from arbook.mail.render import default_dir, render\n"
        "assert str(default_dir()).startswith(sys.argv[1]), default_dir()\n"
        "ctx = dict(company=dict(name='Nordlicht GmbH', address='', email='', phone='',\n"
        "  iban='', bic='', bank=''), customer=dict(id='K-7', name='Jörg', address='',\n"
        "  email='', business=False), items=[], totals=[], fees=[], interest_note='',\n"
        "  as_of=date(2026, 11, 26), reference='K-7')\n"
        "print(render('statement', 'de', ctx).subject)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", script, str(target), str(tmp_path / "b.xlsx")],
        check=True, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    rows, de, eu, subject = out.stdout.strip().splitlines()
    assert int(rows) >= 30
    assert de == "de 2002-01-01 2026-07-01 49" and eu == "eu 2013-01-01 2026-07-01 27"
    assert (target / "arbook" / "data" / "base_rates_de.toml").is_file()
    assert subject == "Kontoauszug zum 26.11.2026 – Kundennummer K-7"  # from the installed copy
