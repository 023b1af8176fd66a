"""The dunning policy: stages with their timing, thresholds, fees and tone (DESIGN decision 6).

Law and habits are data: the clerk edits the stages in the Settings sheet (tblDunning). A cell
that does not fit is a Problem with its place, and the stage keeps that field's default, so
one typo never stops the reminder run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from arbook.core.cells import RawTable, typed_frame
from arbook.core.problems import Problem, Severity
from arbook.core.schema import DUNNING, TEMPLATE_KINDS, TONES

TONE_KEYS = ("friendly", "firm", "final")
STAGE_NAMES = {
    "de": ("Zahlungserinnerung", "1. Mahnung", "2. Mahnung", "letzte Mahnung"),
    "en": ("Payment reminder", "First reminder", "Second reminder", "Final reminder"),
}
# German defaults: days after due, min days since previous, min amount, fee, deadline, tone.
_DEFAULTS = (
    (7, 0, 1000, 0, 10, "friendly", "reminder"),
    (21, 14, 1000, 0, 10, "firm", "dunning1"),
    (35, 14, 1000, 250, 7, "firm", "dunning2"),
    (49, 14, 1000, 500, 7, "final", "final"),
)


@dataclass(frozen=True)
class Stage:
    number: int  # 1 = first reminder
    name: str  # as the letter calls it, in the book's language
    days_after_due: int
    min_days_since_last: int  # since the previous reminder to the same customer
    min_amount_cents: int  # open total (per currency) below this: no reminder
    fee_cents: int
    deadline_days: int  # payment deadline the letter sets
    tone: str  # friendly / firm / final
    template: str  # mail template kind: reminder / dunning1 / dunning2 / final


@dataclass(frozen=True)
class DunningPolicy:
    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        numbers = [s.number for s in self.stages]
        days = [s.days_after_due for s in self.stages]
        if not self.stages or numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"stages must be numbered 1..n, got {numbers}")
        if any(b <= a for a, b in zip(days, days[1:], strict=False)):
            raise ValueError(f"stage days must ascend, got {days}")

    def stage(self, number: int) -> Stage:
        return self.stages[number - 1]

    @property
    def last(self) -> Stage:
        return self.stages[-1]

    @property
    def days(self) -> tuple[int, ...]:
        return tuple(s.days_after_due for s in self.stages)

    def stage_for_days(self, days_overdue: int) -> Stage | None:
        """The highest stage whose days after due is reached; None before the first."""
        reached = [s for s in self.stages if s.days_after_due <= days_overdue]
        return reached[-1] if reached else None


def default_policy(lang: str = "de") -> DunningPolicy:
    """The German default stages, named in ``lang``."""
    names = STAGE_NAMES.get(lang, STAGE_NAMES["de"])
    return DunningPolicy(tuple(
        Stage(i, names[i - 1], *values) for i, values in enumerate(_DEFAULTS, start=1)
    ))


def _text(value: object) -> str | None:
    """A text cell as typed frames hold it (None or NaN when empty), stripped."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value).strip() or None


def _tone_key(text: str) -> str | None:
    wanted = text.casefold()
    for words in (dict(zip(TONE_KEYS, TONE_KEYS, strict=True)), *TONES.values()):
        for key, word in words.items():
            if word.casefold() == wanted:
                return key
    return None


def policy_from_rows(raw: RawTable, lang: str = "de") -> tuple[DunningPolicy, list[Problem]]:
    """The policy from tblDunning's rows, and a Problem for every cell that does not fit.

    A bad or empty cell keeps that stage's default for the field; a missing stage row keeps the
    whole default stage; days after due that do not ascend from stage to stage fall back to the
    default schedule (the engine relies on the order).
    """
    frame, problems = typed_frame(raw, DUNNING)
    reported = {(p.row, p.column) for p in problems}
    defaults = default_policy(lang).stages

    def label(key: str) -> str:
        return raw.headers.get(key, DUNNING.column(key).label(lang))

    def warn(row: int | None, key: str | None, message: str) -> None:
        problems.append(Problem(message, sheet=raw.sheet, row=row,
                                column=label(key) if key else "", severity=Severity.WARNING))

    by_number: dict[int, dict] = {}
    for rec in frame.to_dict("records"):
        number = rec["stage"]
        if pd.isna(number):
            if (rec["row"], label("stage")) not in reported:
                warn(rec["row"], "stage", "stage number is missing; row ignored")
        elif not 1 <= number <= len(defaults):
            warn(rec["row"], "stage", f"stage {number} does not exist: use 1 to {len(defaults)}; "
                 "row ignored")
        elif number in by_number:
            warn(rec["row"], "stage", f"stage {number} appears twice; the first row counts")
        else:
            by_number[int(number)] = rec

    def whole(rec: dict, key: str, default: int, least: int) -> int:
        value = rec[key]
        if pd.isna(value):
            if (rec["row"], label(key)) not in reported:
                warn(rec["row"], key, f"empty; using the default {default}")
            return default
        if value < least:
            warn(rec["row"], key, f"{value} must be at least {least}; using the default {default}")
            return default
        return int(value)

    def money(rec: dict, key: str, default: int) -> int:
        cents = int(rec[f"{key}_cents"])
        if not rec[f"{key}_present"]:
            if (rec["row"], label(key)) not in reported:
                warn(rec["row"], key, f"empty; using the default {default / 100:.2f}")
            return default
        if cents < 0:
            warn(rec["row"], key, f"must not be negative; using the default {default / 100:.2f}")
            return default
        return cents

    def choice(rec: dict, key: str, parse, default: str, words: dict[str, str]) -> str:
        text = _text(rec[key])
        found = parse(text) if text else None
        if found is None:
            warn(rec["row"], key, f"'{text or ''}' is not one of {', '.join(words.values())}; "
                 f"using '{words[default]}'")
            return default
        return found

    template_of = {k: k for k in TEMPLATE_KINDS}

    def template(text: str) -> str | None:
        return template_of.get(text.casefold())

    stages = []
    for d in defaults:
        rec = by_number.get(d.number)
        if rec is None:
            warn(None, None, f"{DUNNING.name} has no row for stage {d.number}; using the default "
                 f"'{d.name}' after {d.days_after_due} days")
            stages.append(d)
            continue
        stages.append(Stage(
            number=d.number,
            name=_text(rec["name"]) or d.name,
            days_after_due=whole(rec, "days_after_due", d.days_after_due, 0),
            min_days_since_last=whole(rec, "min_days_since_last", d.min_days_since_last, 0),
            min_amount_cents=money(rec, "min_amount", d.min_amount_cents),
            fee_cents=money(rec, "fee", d.fee_cents),
            deadline_days=whole(rec, "deadline_days", d.deadline_days, 1),
            tone=choice(rec, "tone", _tone_key, d.tone, TONES.get(lang, TONES["de"])),
            template=choice(rec, "template", template, d.template, template_of),
        ))
    for prev, stage in zip(stages, stages[1:], strict=False):
        if stage.days_after_due <= prev.days_after_due:
            schedule = ", ".join(str(s.days_after_due) for s in defaults)
            rec = by_number.get(stage.number)
            warn(rec["row"] if rec else None, "days_after_due",
                 f"stage {stage.number} ({stage.days_after_due} days) must come later than stage "
                 f"{prev.number} ({prev.days_after_due} days); using the default schedule "
                 f"{schedule}")
            stages = [replace(s, days_after_due=d.days_after_due)
                      for s, d in zip(stages, defaults, strict=True)]
            break
    return DunningPolicy(tuple(stages)), problems


_SCHEDULE_SPLIT = re.compile(r"[,;/\s]+")


def parse_schedule(text: str | None, stages: int) -> tuple[int, ...] | None:
    """A customer's own schedule, '10, 20, 30, 40': days after due for each stage, ascending.

    None for an empty cell; raises ValueError (with a message for the clerk) if it does not fit.
    """
    if text is None or pd.isna(text) or not str(text).strip():
        return None
    parts = [p for p in _SCHEDULE_SPLIT.split(str(text).strip()) if p]
    if not all(p.isascii() and p.isdigit() for p in parts) or len(parts) != stages:
        raise ValueError(f"'{text}' must be {stages} whole numbers of days after the due date, "
                         f"one per stage, such as '10, 20, 30, 40'")
    days = tuple(int(p) for p in parts)
    if any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise ValueError(f"'{text}' must ascend from stage to stage")
    return days
