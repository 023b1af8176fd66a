"""What was imported: files and bank entries, kept in the journal so nothing is applied twice.

Every imported file is recorded by its content hash, every bank entry by its key (statement id,
entry reference, date, amount: ``core.bank.entry_key``). An entry is *applied* (its payments
went to the Payments sheet), *queued* (waiting for the user on the queue sheet: tried again on
every import) or *ignored* (the user said so). Applied and ignored entries are never matched
again, whichever file or overlapping statement brings them back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from arbook.core.bank import BankEntry
from arbook.io.journal import Journal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imported_files (
    id        INTEGER PRIMARY KEY,
    sha256    TEXT NOT NULL,
    kind      TEXT NOT NULL,          -- 'bank' or 'invoices'
    name      TEXT NOT NULL,
    imported  TEXT NOT NULL,
    summary   TEXT NOT NULL DEFAULT '',
    UNIQUE (sha256, kind)
);
CREATE TABLE IF NOT EXISTS bank_entries (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    entry       TEXT NOT NULL,        -- JSON of the BankEntry fields, to match it again later
    state       TEXT NOT NULL,        -- applied, queued, ignored
    customer_id TEXT NOT NULL DEFAULT '',
    allocations TEXT NOT NULL DEFAULT '[]',
    reason      TEXT NOT NULL DEFAULT '',
    file        TEXT NOT NULL DEFAULT '',
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL
);
"""

APPLIED, QUEUED, IGNORED = "applied", "queued", "ignored"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EntryRecord:
    key: str
    entry: BankEntry
    state: str
    customer_id: str
    allocations: list[dict]
    reason: str


class ImportLog:
    """Imported files and bank entries, in the workbook's journal file."""

    def __init__(self, journal: Journal):
        self._db = journal.connection
        self._db.executescript(_SCHEMA)

    def file_seen(self, sha256: str, kind: str) -> tuple[str, str] | None:
        """(name, when) of an earlier import of the same content, else None."""
        row = self._db.execute("SELECT name, imported FROM imported_files WHERE sha256=? AND "
                               "kind=?", (sha256, kind)).fetchone()
        return None if row is None else (row[0], row[1])

    def record_file(self, sha256: str, kind: str, name: str, summary: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO imported_files (sha256, kind, name, imported, summary) "
            "VALUES (?,?,?,?,?)", (sha256, kind, name, _now(), summary))

    def entry(self, key: str) -> EntryRecord | None:
        rows = self._entries("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def queued(self) -> list[EntryRecord]:
        return self._entries("WHERE state = ?", (QUEUED,))

    def entries(self) -> list[EntryRecord]:
        return self._entries("", ())

    def record_entry(self, key: str, entry: BankEntry, state: str, customer_id: str,
                     allocations: list[dict], reason: str) -> None:
        """Insert or update an entry; an applied or ignored entry never changes again."""
        existing = self.entry(key)
        if existing is not None and existing.state != QUEUED:
            raise ValueError(f"bank entry {key} is already {existing.state}")
        now = _now()
        values = (json.dumps(_entry_json(entry), ensure_ascii=False), state, customer_id or "",
                  json.dumps(allocations, ensure_ascii=False), reason, entry.file)
        if existing is None:
            self._db.execute(
                "INSERT INTO bank_entries (entry, state, customer_id, allocations, reason, file, "
                "key, created, updated) VALUES (?,?,?,?,?,?,?,?,?)", (*values, key, now, now))
        else:
            self._db.execute(
                "UPDATE bank_entries SET entry=?, state=?, customer_id=?, allocations=?, "
                "reason=?, file=?, updated=? WHERE key=?", (*values, now, key))

    def record_entries(self, records: list[tuple[str, BankEntry, str, str, list[dict], str]]
                       ) -> None:
        """``record_entry`` for many entries, in one transaction: all or none are recorded."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                self.record_entry(*record)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _entries(self, where: str, args: tuple) -> list[EntryRecord]:
        cursor = self._db.execute(
            "SELECT key, entry, state, customer_id, allocations, reason FROM bank_entries "
            f"{where} ORDER BY id", args)
        return [EntryRecord(row[0], _entry_from_json(json.loads(row[1])), row[2], row[3],
                            json.loads(row[4]), row[5]) for row in cursor.fetchall()]


def _entry_json(entry: BankEntry) -> dict:
    out = dict(entry.__dict__)
    for name in ("booking_date", "value_date"):
        out[name] = out[name].isoformat() if out[name] else None
    return out


def _entry_from_json(data: dict) -> BankEntry:
    for name in ("booking_date", "value_date"):
        data[name] = date.fromisoformat(data[name]) if data.get(name) else None
    return BankEntry(**data)


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
