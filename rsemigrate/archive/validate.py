"""`validate`: every record matches its schema and every reference resolves.

It also warns (without failing) about messages that say nothing although they are neither system
events nor deleted: the mark of content a connector did not find.

A reference may only dangle when the archive's report lists its target as known missing (a
reply whose root predates the export window, say). Ids go into a scratch SQLite database outside
the archive, so checking a million messages takes bounded memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .header import Counts
from .layout import stored_file
from .reader import MESSAGES_DIR, RECORD_FILES, Archive, adapter, first_error, span_lines
from .records import Attachment, Channel, Group, Message, MessageSpan, ReportEntry, User
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
               " WHERE m.channel_id NOT IN (SELECT id FROM entity WHERE kind = 'channel')"
               " AND m.channel_id NOT IN (SELECT id FROM known_missing WHERE kind = 'channel')",
    "attachment": "SELECT a.location, a.message_id, a.attachment_id FROM message_attachment a"
                  " WHERE a.attachment_id NOT IN (SELECT id FROM entity WHERE kind = 'attachment')"
                  " AND a.attachment_id NOT IN (SELECT id FROM known_missing WHERE kind = 'attachment')",
}


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    #: a finding that does not make the archive invalid, but says content was probably lost.
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass
class _Empty:
    """Messages that say nothing although they are neither system events nor deleted: no text and
    no attachment. A connector that missed where the content was leaves exactly these."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def see(self, message: Message, where: str) -> None:
        if message.kind == "system" or message.deleted_at is not None or message.attachment_ids \
                or message.text.strip():
            return
        self.count += 1
        if len(self.examples) < 5:
            self.examples.append(f"{message.id} ({where})")

    def warning(self) -> Problem | None:
        if not self.count:
            return None
        return Problem("data/messages", f"{self.count} message(s) are neither system events nor deleted but "
                       "have empty text and no attachments: content was probably lost in the export (check "
                       f"the report's `unmapped` entries); e.g. {', '.join(self.examples)}", warning=True)


def validate(archive: Archive) -> Iterator[Problem]:
    with tempfile.TemporaryDirectory(prefix="rsemigrate-validate-") as scratch:
        db = sqlite3.connect(Path(scratch) / "ids.sqlite", isolation_level=None)
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        db.execute("BEGIN")
        empty = _Empty()
        try:
            yield from _load(archive, db, empty)
            db.execute("CREATE INDEX message_id ON message (id)")
            for what, sql in _REFERENCES.items():
                for location, mid, target in db.execute(sql):
                    yield Problem(location, f"message {mid}: {what} {target} is not in the archive "
                                            "and not reported as known missing")
            yield from _check_counts(archive, db)
            if (warning := empty.warning()) is not None:
                yield warning
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


def _load(archive: Archive, db: sqlite3.Connection, empty: _Empty) -> Iterator[Problem]:
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
    for _where, record in _records(archive, ReportEntry, RECORD_FILES[ReportEntry]):
        if isinstance(record, Problem):
            yield record
        elif record.action == "missing":
            db.execute("INSERT INTO known_missing VALUES (?, ?)", (record.record_type, record.record_id))
            if record.record_type == "channel" and record.record_id:
                channel_ids.append(record.record_id)  # its messages are kept, so it has a span
    yield from _load_messages(archive, db, set(channel_ids), empty)


def _load_messages(archive: Archive, db: sqlite3.Connection, channel_ids: set[str],
                   empty: _Empty) -> Iterator[Problem]:
    """Check the index (every byte of every message file in exactly one channel's span, each
    channel at most once) and load the messages of every span."""
    index = f"data/{RECORD_FILES[MessageSpan]}"
    by_file: dict[str, list[MessageSpan]] = {}
    seen: set[str] = set()
    for where, span in _records(archive, MessageSpan, RECORD_FILES[MessageSpan]):
        if isinstance(span, Problem):
            yield span
            continue
        assert isinstance(span, MessageSpan)
        if span.channel_id in seen:
            yield Problem(where, f"channel {span.channel_id} has a second span")
            continue
        seen.add(span.channel_id)
        if span.channel_id not in channel_ids:
            yield Problem(
                where,
                f"span of channel {span.channel_id}, which is neither in data/channels.jsonl "
                "nor reported missing",
            )
        by_file.setdefault(span.file, []).append(span)
    on_disk = {f"{MESSAGES_DIR}/{p.name}" for p in (archive.data / MESSAGES_DIR).glob("*")}
    for relpath in sorted(on_disk - by_file.keys()):
        yield Problem(f"data/{relpath}", f"message file that {index} does not list")
    for relpath in sorted(by_file.keys() - on_disk):
        yield Problem(index, f"lists data/{relpath}, which does not exist")
    for relpath, spans in sorted(by_file.items()):
        if relpath in on_disk:
            spans.sort(key=lambda span: span.offset)
            yield from _check_tiling(relpath, spans, (archive.data / relpath).stat().st_size)
            for span in spans:
                yield from _load_span(archive, db, span, empty)


def _check_tiling(relpath: str, spans: list[MessageSpan], size: int) -> Iterator[Problem]:
    """Spans of one file (by offset) must follow each other, from its start to its end."""
    offset, line = 0, 1
    for span in spans:
        if (span.offset, span.first_line) != (offset, line):
            yield Problem(
                f"data/{relpath}",
                f"channel {span.channel_id}'s span starts at byte {span.offset}, "
                f"line {span.first_line}; the span before it ends at byte "
                f"{offset}, line {line}",
            )
        offset, line = span.offset + span.length, span.first_line + span.count
    if offset != size:
        yield Problem(f"data/{relpath}", f"{size} bytes, but its spans in data/{RECORD_FILES[MessageSpan]} "
                                         f"end at byte {offset}")


def _load_span(archive: Archive, db: sqlite3.Connection, span: MessageSpan,
               empty: _Empty) -> Iterator[Problem]:
    check = adapter(Message)
    previous = None
    rows, links = [], []
    lines = size = 0
    for lineno, line in span_lines(archive.data, span):
        lines, size = lines + 1, size + len(line)
        where = f"data/{span.file} line {lineno}"
        try:
            message = check.validate_json(line)
        except ValidationError as exc:
            yield Problem(where, first_error(exc))
            continue
        if message.channel_id != span.channel_id:
            yield Problem(where, f"message {message.id} belongs to channel {message.channel_id}, "
                                 f"not to the span's channel {span.channel_id}")
        at = utc_micros(message.created_at.utc)
        if previous is not None and at < previous:
            yield Problem(where, f"message {message.id} is older than the line before it "
                                 "(a channel's messages are chronological)")
        previous = at
        empty.see(message, where)
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
    if (lines, size) != (span.count, span.length):
        yield Problem(f"data/{span.file}", f"channel {span.channel_id}'s span is {span.count} lines and "
                                           f"{span.length} bytes from byte {span.offset}, but the file holds "
                                           f"{lines} lines and {size} bytes there")


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
            yield Problem(
                "archive.json", f"counts.{key} is {getattr(header, key)} but the payload holds {value}"
            )

