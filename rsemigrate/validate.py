"""`validate`: every record matches its schema and every reference resolves.

A reference may only dangle when the archive's report lists its target as known missing (a
reply whose root predates the export window, say). Ids go into a scratch SQLite database outside
the archive, so checking a million messages takes bounded memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .archive import RECORD_FILES, Archive, adapter, first_error, message_file, stored_file
from .header import Counts
from .records import Attachment, Channel, Group, Message, ReportEntry, User
from .timestamps import utc_micros

_SCHEMA = """
CREATE TABLE entity (kind TEXT, id TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE message (id TEXT, channel_id TEXT, thread_id TEXT, reply_to_id TEXT,
                      author_id TEXT, deleted INTEGER, location TEXT);
CREATE TABLE message_attachment (message_id TEXT, attachment_id TEXT, location TEXT);
CREATE TABLE known_missing (kind TEXT, id TEXT);
"""

# (what, SQL yielding (location, message id, missing id)) for each reference a message holds.
_REFERENCES = {
    "reply parent": "SELECT m.location, m.id, m.reply_to_id FROM message m WHERE m.reply_to_id IS NOT NULL"
                    " AND m.reply_to_id NOT IN (SELECT id FROM message)"
                    " AND m.reply_to_id NOT IN (SELECT id FROM known_missing WHERE kind = 'message')",
    "thread root": "SELECT m.location, m.id, m.thread_id FROM message m"
                   " WHERE m.thread_id NOT IN (SELECT id FROM message)"
                   " AND m.thread_id NOT IN (SELECT id FROM known_missing WHERE kind = 'message')",
    "author": "SELECT m.location, m.id, m.author_id FROM message m"
              " WHERE m.author_id NOT IN (SELECT id FROM entity WHERE kind = 'user')"
              " AND m.author_id NOT IN (SELECT id FROM known_missing WHERE kind = 'user')",
    "channel": "SELECT m.location, m.id, m.channel_id FROM message m"
               " WHERE m.channel_id NOT IN (SELECT id FROM entity WHERE kind = 'channel')",
    "attachment": "SELECT a.location, a.message_id, a.attachment_id FROM message_attachment a"
                  " WHERE a.attachment_id NOT IN (SELECT id FROM entity WHERE kind = 'attachment')"
                  " AND a.attachment_id NOT IN (SELECT id FROM known_missing WHERE kind = 'attachment')",
}


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def validate(archive: Archive) -> Iterator[Problem]:
    with tempfile.TemporaryDirectory(prefix="rsemigrate-validate-") as scratch:
        db = sqlite3.connect(Path(scratch) / "ids.sqlite", isolation_level=None)
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        db.execute("BEGIN")
        try:
            yield from _load(archive, db)
            db.execute("CREATE INDEX message_id ON message (id)")
            for what, sql in _REFERENCES.items():
                for location, mid, target in db.execute(sql):
                    yield Problem(location, f"message {mid}: {what} {target} is not in the archive "
                                            "and not reported as known missing")
            yield from _check_counts(archive, db)
        finally:
            db.close()


def _records(archive: Archive, cls: type, relpath: str) -> Iterator[tuple[str, object | Problem]]:
    """(location, record) for each line; a line that does not match its schema is a Problem."""
    check = adapter(cls)
    for lineno, line in archive.lines(relpath):
        where = f"data/{relpath} line {lineno}"
        try:
            yield where, check.validate_json(line)
        except ValidationError as exc:
            yield where, Problem(where, first_error(exc))


def _load(archive: Archive, db: sqlite3.Connection) -> Iterator[Problem]:
    channel_ids: list[str] = []
    for cls, kind in ((User, "user"), (Group, "group"), (Channel, "channel"), (Attachment, "attachment")):
        for where, record in _records(archive, cls, RECORD_FILES[cls]):
            if isinstance(record, Problem):
                yield record
                continue
            if db.execute("INSERT OR IGNORE INTO entity VALUES (?, ?)", (kind, record.id)).rowcount == 0:
                yield Problem(where, f"{kind} id {record.id} appears twice")
            if isinstance(record, Channel):
                channel_ids.append(record.id)
            if isinstance(record, Attachment) and record.status == "present":
                if not record.sha256 or not (archive.data / stored_file(record.sha256)).is_file():
                    yield Problem(where, f"attachment {record.id} is 'present' but its content "
                                         f"({record.sha256}) is not stored")
    for where, record in _records(archive, ReportEntry, RECORD_FILES[ReportEntry]):
        if isinstance(record, Problem):
            yield record
        elif record.action == "missing":
            db.execute("INSERT INTO known_missing VALUES (?, ?)", (record.record_type, record.record_id))
    expected_files = {message_file(cid): cid for cid in channel_ids}
    for path in sorted((archive.data / "messages").glob("*")):
        relpath = f"messages/{path.name}"
        if relpath not in expected_files:
            yield Problem(f"data/{relpath}", "message file of no channel in data/channels.jsonl")
    for relpath, channel_id in expected_files.items():
        yield from _load_messages(archive, db, relpath, channel_id)


def _load_messages(archive: Archive, db: sqlite3.Connection, relpath: str, channel_id: str) -> Iterator[Problem]:
    previous = None
    rows, links = [], []
    for where, message in _records(archive, Message, relpath):
        if isinstance(message, Problem):
            yield message
            continue
        assert isinstance(message, Message)
        if message.channel_id != channel_id:
            yield Problem(where, f"message {message.id} belongs to channel {message.channel_id}, "
                                 f"not to this file's channel {channel_id}")
        at = utc_micros(message.created_at.utc)
        if previous is not None and at < previous:
            yield Problem(where, f"message {message.id} is older than the line before it "
                                 "(channel files are chronological)")
        previous = at
        rows.append((message.id, message.channel_id, message.thread_id, message.reply_to_id,
                     message.author_id, message.deleted_at is not None, where))
        links.extend((message.id, aid, where) for aid in message.attachment_ids)
        if len(rows) >= 5000:
            db.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO message_attachment VALUES (?, ?, ?)", links)
            rows.clear()
            links.clear()
    db.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO message_attachment VALUES (?, ?, ?)", links)


def _check_counts(archive: Archive, db: sqlite3.Connection) -> Iterator[Problem]:
    def one(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    for mid, n in db.execute("SELECT id, count(*) FROM message GROUP BY id HAVING count(*) > 1"):
        yield Problem("data/messages", f"message id {mid} appears {n} times")
    actual = {
        "users": one("SELECT count(*) FROM entity WHERE kind = 'user'"),
        "groups": one("SELECT count(*) FROM entity WHERE kind = 'group'"),
        "channels": one("SELECT count(*) FROM entity WHERE kind = 'channel'"),
        "attachments": one("SELECT count(*) FROM entity WHERE kind = 'attachment'"),
        "messages": one("SELECT count(*) FROM message"),
        "threads": one("SELECT count(DISTINCT thread_id) FROM message"),
        "deleted_messages": one("SELECT count(*) FROM message WHERE deleted"),
    }
    header: Counts = archive.header.counts
    for key, value in actual.items():
        if getattr(header, key) != value:
            yield Problem("archive.json", f"counts.{key} is {getattr(header, key)} but the payload holds {value}")

