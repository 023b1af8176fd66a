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
from collections.abc import Iterable
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
_KEYS_PER_QUERY = 500  # below SQLite's limit of bound parameters


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

    def states(self, keys: Iterable[str]) -> dict[str, str]:
        """The state of each of ``keys`` the journal has: one query per few hundred keys, not
        one per key (a day's statement has thousands of entries)."""
        keys = list(keys)
        out: dict[str, str] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start:start + _KEYS_PER_QUERY]
            out.update(self._db.execute(
                f"SELECT key, state FROM bank_entries WHERE key IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
        return out

    def record_entry(self, key: str, entry: BankEntry, state: str, customer_id: str,
                     allocations: list[dict], reason: str) -> None:
        """Insert or update an entry; an applied or ignored entry never changes again."""
        self._write([(key, entry, state, customer_id, allocations, reason)])

    def record_entries(self, records: list[tuple[str, BankEntry, str, str, list[dict], str]]
                       ) -> None:
        """``record_entry`` for many entries, in one transaction: all or none are recorded."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            keys = [r[0] for r in records]
            if len(set(keys)) == len(keys):
                self._write(records)
            else:  # the same key twice: each sees the one before, as one by one
                for record in records:
                    self._write([record])
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, records: list[tuple[str, BankEntry, str, str, list[dict], str]]) -> None:
        """Insert new entries and update queued ones (distinct keys); refuse all if one of
        them is applied or ignored already."""
        states = self.states(r[0] for r in records)
        now = _now()
        inserts, updates = [], []
        for key, entry, state, customer_id, allocations, reason in records:
            known = states.get(key)
            if known is not None and known != QUEUED:
                raise ValueError(f"bank entry {key} is already {known}")
            values = (json.dumps(_entry_json(entry), ensure_ascii=False), state,
                      customer_id or "", json.dumps(allocations, ensure_ascii=False), reason,
                      entry.file)
            if known is None:
                inserts.append((*values, key, now, now))
            else:
                updates.append((*values, now, key))
        self._db.executemany(
            "INSERT INTO bank_entries (entry, state, customer_id, allocations, reason, file, "
            "key, created, updated) VALUES (?,?,?,?,?,?,?,?,?)", inserts)
        self._db.executemany(
            "UPDATE bank_entries SET entry=?, state=?, customer_id=?, allocations=?, "
            "reason=?, file=?, updated=? WHERE key=?", updates)

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
