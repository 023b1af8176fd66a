"""The journal: a SQLite file beside the workbook that records every action before it happens.

DESIGN decision 4. A reminder is written here as *intended* (and committed) before its draft is
written or its email sent, then marked *drafted*, *sent* or *failed*. The workbook's Reminders
sheet is only a view of this table, rewritten from it on every run, so a crash between sending
and saving the workbook loses nothing: the next run writes what the journal holds.

Never twice: each reminder has an idempotency key (customer, stage, the set of invoices, day).
A second run on the same day finds the key and does nothing. An *intended* record left behind by
a run that died (between the send and the mark) is not retried but turned into *uncertain*: the
email may have gone out, so arbook reports it and counts it as issued rather than risk a second
send. Only *failed* reminders (the server refused them) are tried again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from arbook.core.problems import ArbookError

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    run_id        TEXT NOT NULL,
    day           TEXT NOT NULL,          -- the as-of date of the decision (ISO)
    customer_id   TEXT NOT NULL,
    stage_no      INTEGER NOT NULL,
    stage_name    TEXT NOT NULL,
    invoice_nos   TEXT NOT NULL,          -- JSON list, sorted
    item_stages   TEXT NOT NULL,          -- JSON {invoice no: its stage in this reminder}
    totals        TEXT NOT NULL,          -- JSON {currency: open cents}
    interest      TEXT NOT NULL,          -- JSON {currency: cents}
    fees          TEXT NOT NULL,          -- JSON {currency: cents}
    channel       TEXT NOT NULL,          -- 'draft' or 'email'
    state         TEXT NOT NULL,
    recipients    TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL DEFAULT '',
    path          TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_customer ON reminders (customer_id, day);
"""

# Each migration takes a journal from the version before it to its own number.
_MIGRATIONS = {
    2: """
CREATE TABLE IF NOT EXISTS reviews (
    id            INTEGER PRIMARY KEY,
    day           TEXT NOT NULL,          -- period end = as-of date (ISO)
    period        TEXT NOT NULL,          -- 'week' or 'month'
    start         TEXT NOT NULL,          -- period start (ISO)
    currency      TEXT NOT NULL,
    receivables   INTEGER NOT NULL,       -- cents, all open items at period end
    current       INTEGER NOT NULL,       -- cents, not yet due
    overdue       INTEGER NOT NULL,
    over_90       INTEGER NOT NULL,
    credit_sales  INTEGER NOT NULL,
    buckets       TEXT NOT NULL,          -- JSON {bucket key: cents}
    figures       TEXT NOT NULL,          -- JSON {kpi: "12.3" or null}
    created       TEXT NOT NULL,
    UNIQUE (day, period)
);
""",
}


class State(StrEnum):
    INTENDED = "intended"  # recorded; nothing written or sent yet (or the run died)
    DRAFTED = "drafted"  # .eml written to the outbox for a person to send
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # the server refused it, or the draft could not be written: retried
    UNCERTAIN = "uncertain"  # an earlier run died between intent and result: never retried


# States after which the reminder counts as issued to the customer (the stage advances).
ISSUED = (State.DRAFTED, State.SENT, State.UNCERTAIN)


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    key: str
    day: date
    customer_id: str
    stage_no: int
    stage_name: str
    invoice_nos: tuple[str, ...]
    item_stages: dict[str, int]
    totals: dict[str, int]
    interest: dict[str, int]
    fees: dict[str, int]
    channel: str
    state: State
    recipients: str = ""
    message_id: str = ""
    path: str = ""
    error: str = ""

    @property
    def issued(self) -> bool:
        return self.state in ISSUED


def reminder_key(customer_id: str, stage_no: int, invoice_nos: Iterable[str], day: date) -> str:
    """The idempotency key: the same customer, stage, invoices and day give the same key."""
    text = json.dumps([str(customer_id), int(stage_no), sorted(map(str, invoice_nos)),
                       day.isoformat()], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def journal_path(book: Path) -> Path:
    """Where a workbook's journal lives: ``Offene-Posten.xlsx`` -> ``Offene-Posten.arbook.db``."""
    book = Path(book)
    return book.with_name(f"{book.stem}.arbook.db")


class Journal:
    """The journal of one workbook. Every change is committed before the call returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.run_id = uuid.uuid4().hex
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ArbookError(
                    f"{self.path.name} was written by a newer arbook (journal version {version}); "
                    "update arbook with 'pip install -U arbook'.")
            self._db.executescript(_SCHEMA)
            for number in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                self._db.executescript(_MIGRATIONS[number])
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise ArbookError(
                f"{self.path}: the journal cannot be opened ({exc}). It is not a SQLite file or "
                "it is damaged; restore it from a backup (never delete it: it is what stops a "
                "reminder from going out twice).") from exc

    @classmethod
    def for_book(cls, book: Path) -> Journal:
        return cls(journal_path(book))

    @property
    def connection(self) -> sqlite3.Connection:
        """For the other logs kept in the same file (autocommit: each statement is durable)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reminders -------------------------------------------------------------------------

    def reconcile(self) -> list[ReminderRecord]:
        """Turn intents left by an earlier, interrupted run into *uncertain*; return them."""
        rows = self._select("WHERE state = ? AND run_id != ?", (State.INTENDED, self.run_id))
        if rows:
            self._db.execute(
                "UPDATE reminders SET state = ?, updated = ?, error = ? "
                "WHERE state = ? AND run_id != ?",
                (State.UNCERTAIN, _now(), "the run that sent this stopped before it finished; "
                 "check the sent folder of the mailbox", State.INTENDED, self.run_id))
        return [_replace_state(r, State.UNCERTAIN) for r in rows]

    def find(self, key: str) -> ReminderRecord | None:
        rows = self._select("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def intend(self, *, day: date, customer_id: str, stage_no: int, stage_name: str,
               invoice_nos: Iterable[str], totals: dict[str, int], interest: dict[str, int],
               fees: dict[str, int], channel: str, recipients: str = "",
               item_stages: dict[str, int] | None = None) -> ReminderRecord | None:
        """Record a reminder as intended; None if the same reminder is already on record.

        A *failed* record with the same key is taken over (tried again); any other state means
        the reminder was handled already and must not be repeated.
        """
        numbers = sorted(map(str, invoice_nos))
        key = reminder_key(customer_id, stage_no, numbers, day)
        existing = self._db.execute("SELECT state FROM reminders WHERE key = ?",
                                    (key,)).fetchone()
        now = _now()
        stages = {str(n): int(s) for n, s in
                  (item_stages or dict.fromkeys(numbers, int(stage_no))).items()}
        sums = [{str(c): int(v) for c, v in d.items()} for d in (totals, interest, fees)]
        values = (self.run_id, day.isoformat(), str(customer_id), int(stage_no), stage_name,
                  json.dumps(numbers, ensure_ascii=False), json.dumps(stages, ensure_ascii=False),
                  *map(json.dumps, sums), channel, State.INTENDED, recipients)
        if existing is None:
            cursor = self._db.execute(
                "INSERT INTO reminders (run_id, day, customer_id, stage_no, stage_name, "
                "invoice_nos, item_stages, totals, interest, fees, channel, state, recipients, "
                "key, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*values, key, now, now))
            # the record as it now stands, without reading back what was just written
            return ReminderRecord(
                id=cursor.lastrowid, key=key, day=day, customer_id=str(customer_id),
                stage_no=int(stage_no), stage_name=stage_name, invoice_nos=tuple(numbers),
                totals=sums[0], interest=sums[1], fees=sums[2], channel=channel,
                state=State.INTENDED, recipients=recipients, item_stages=stages)
        if existing[0] != State.FAILED:
            return None
        self._db.execute(
            "UPDATE reminders SET run_id=?, day=?, customer_id=?, stage_no=?, stage_name=?, "
            "invoice_nos=?, item_stages=?, totals=?, interest=?, fees=?, channel=?, "
            "state=?, recipients=?, error='', updated=? WHERE key=?", (*values, now, key))
        return self.find(key)

    def mark(self, record: ReminderRecord, state: State, *, message_id: str = "",
             path: str = "", error: str = "") -> ReminderRecord:
        """Record what happened to an intended reminder (committed at once)."""
        message_id, path = message_id or record.message_id, path or record.path
        self._db.execute(
            "UPDATE reminders SET state=?, message_id=?, path=?, error=?, updated=? WHERE id=?",
            (state, message_id, path, error, _now(), record.id))
        return replace(record, state=state, message_id=message_id, path=path, error=error)

    def reminders(self, customer_id: str | None = None) -> list[ReminderRecord]:
        """Every reminder on record, oldest first (optionally of one customer)."""
        if customer_id is None:
            return self._select("", ())
        return self._select("WHERE customer_id = ?", (str(customer_id),))

    def _select(self, where: str, args: tuple) -> list[ReminderRecord]:
        cursor = self._db.execute(
            "SELECT id, key, day, customer_id, stage_no, stage_name, invoice_nos, totals, "
            "interest, fees, channel, state, recipients, message_id, path, error, item_stages "
            "FROM reminders "
            f"{where} ORDER BY day, id", args)
        return [
            ReminderRecord(
                id=row[0], key=row[1], day=date.fromisoformat(row[2]), customer_id=row[3],
                stage_no=row[4], stage_name=row[5], invoice_nos=tuple(json.loads(row[6])),
                totals=json.loads(row[7]), interest=json.loads(row[8]), fees=json.loads(row[9]),
                channel=row[10], state=State(row[11]), recipients=row[12], message_id=row[13],
                path=row[14], error=row[15], item_stages=json.loads(row[16]))
            for row in cursor.fetchall()
        ]


@dataclass(frozen=True)
class ReviewSnapshot:
    """What a review saw at its period end: the history later KPIs (CEI, trends) build on."""

    day: date
    period: str
    start: date
    currency: str
    receivables: int
    current: int
    overdue: int
    over_90: int
    credit_sales: int
    buckets: dict[str, int]
    figures: dict[str, str | None]


class ReviewLog:
    """The review snapshots in a journal (one per period end and period kind; a rerun on the
    same day replaces that day's snapshot)."""

    def __init__(self, journal: Journal):
        self._db = journal._db

    def record(self, snap: ReviewSnapshot) -> None:
        self._db.execute(
            "INSERT INTO reviews (day, period, start, currency, receivables, current, overdue, "
            "over_90, credit_sales, buckets, figures, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (day, period) DO UPDATE SET start=excluded.start, "
            "currency=excluded.currency, receivables=excluded.receivables, "
            "current=excluded.current, overdue=excluded.overdue, over_90=excluded.over_90, "
            "credit_sales=excluded.credit_sales, buckets=excluded.buckets, "
            "figures=excluded.figures, created=excluded.created",
            (snap.day.isoformat(), snap.period, snap.start.isoformat(), snap.currency,
             snap.receivables, snap.current, snap.overdue, snap.over_90, snap.credit_sales,
             json.dumps(snap.buckets), json.dumps(snap.figures), _now()))

    def snapshots(self, period: str | None = None) -> list[ReviewSnapshot]:
        """Every snapshot, oldest first (optionally of one period kind)."""
        where, args = ("WHERE period = ?", (period,)) if period else ("", ())
        rows = self._db.execute(
            "SELECT day, period, start, currency, receivables, current, overdue, over_90, "
            f"credit_sales, buckets, figures FROM reviews {where} ORDER BY day, period", args)
        return [ReviewSnapshot(date.fromisoformat(r[0]), r[1], date.fromisoformat(r[2]), r[3],
                               r[4], r[5], r[6], r[7], r[8], json.loads(r[9]),
                               json.loads(r[10])) for r in rows.fetchall()]


def _replace_state(record: ReminderRecord, state: State) -> ReminderRecord:
    return replace(record, state=state)


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
