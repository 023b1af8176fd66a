"""Problems are data with a place (DESIGN decision 5): collected, shown together, never lost."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the row could not be processed as typed
    WARNING = "warning"  # processed, but someone should look
    INFO = "info"  # what was decided or skipped, for the curious (e.g. a totals row)


@dataclass(frozen=True)
class Problem:
    message: str
    sheet: str = ""
    row: int | None = None  # the row number Excel shows
    column: str = ""  # the header the user sees
    file: str = ""
    severity: Severity = Severity.ERROR

    def at_file(self, file: str) -> Problem:
        return replace(self, file=file)

    def place(self) -> str:
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        place = self.place()
        return f"{place}: {self.message}" if place else self.message


class ArbookError(Exception):
    """Something the user can fix; the message says what and how. Never a bug."""
