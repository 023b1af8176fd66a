"""Settings the clerk edits on the Settings sheet (key / value), with defaults and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from arbook.core.problems import Problem, Severity

DEFAULT_BUCKET_EDGES = (30, 60, 90)


@dataclass(frozen=True)
class Settings:
    language: str = "de"
    bucket_edges: tuple[int, ...] = DEFAULT_BUCKET_EDGES
    company_name: str = ""
    home_currency: str = "EUR"
    extra: dict[str, str] = field(default_factory=dict)


# key -> (default text, German description, English description)
SETTING_ROWS: dict[str, tuple[str, str, str]] = {
    "language": ("de", "Sprache des Arbeitsbuchs (de oder en)", "Workbook language (de or en)"),
    "bucket_edges": (
        "30, 60, 90",
        "Obergrenzen der Altersklassen in Tagen überfällig, aufsteigend",
        "Upper limits of the ageing buckets in days overdue, ascending",
    ),
    "company_name": ("", "Ihr Firmenname (für Mahnungen)", "Your company name (for reminders)"),
    "home_currency": ("EUR", "Hauswährung", "Home currency"),
}


def parse_bucket_edges(text: str) -> tuple[int, ...] | None:
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        edges = tuple(int(float(p)) for p in parts)
    except ValueError:
        return None
    if not edges or any(e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
        return None
    return edges


def settings_from_pairs(
    pairs: dict[str, tuple[str, int]], sheet: str = "Settings"
) -> tuple[Settings, list[Problem]]:
    """Build Settings from ``{key: (value text, row)}``; bad values fall back to the default."""
    problems: list[Problem] = []
    values = {key: text for key, (text, _row) in pairs.items()}
    edges = DEFAULT_BUCKET_EDGES
    if "bucket_edges" in pairs:
        text, row = pairs["bucket_edges"]
        parsed = parse_bucket_edges(text)
        if parsed is None:
            problems.append(
                Problem(
                    f"bucket_edges '{text}' must be ascending whole days such as '30, 60, 90'; "
                    "using 30, 60, 90",
                    sheet=sheet,
                    row=row,
                    column="Value",
                    severity=Severity.WARNING,
                )
            )
        else:
            edges = parsed
    language = (values.get("language") or "de").strip().lower()
    if language not in ("de", "en"):
        language = "de"
    known = {"language", "bucket_edges", "company_name", "home_currency"}
    return (
        Settings(
            language=language,
            bucket_edges=edges,
            company_name=values.get("company_name", "") or "",
            home_currency=(values.get("home_currency") or "EUR").strip().upper(),
            extra={k: v for k, v in values.items() if k not in known},
        ),
        problems,
    )
