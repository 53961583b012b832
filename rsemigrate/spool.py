"""A scratch SQLite database that sorts, de-duplicates and cross-checks records on disk.

Sources arrive in whatever order the platform wrote them (Yammer: newest first, one CSV for
every channel; Slack: one file a day). The archive wants each channel's messages in time order,
one copy of each id, and every dangling reference reported. Doing that in memory would grow with
the export, so records go to SQLite (an external sort with a fixed cache) as pre-serialised JSON
and come back out in archive order. The spool is deleted before the bag is sealed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson

from .header import Counts
from .timestamps import format_micros, utc_micros
from .records import Attachment, Channel, Group, Message, ReportEntry, User

_BATCH = 5000
_ENTITY_KINDS = {User: "user", Group: "group", Channel: "channel", Attachment: "attachment"}

_SCHEMA = """
CREATE TABLE entity (kind TEXT, id TEXT, seq INTEGER, changed INTEGER DEFAULT 0,
                     attr TEXT, body BLOB, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE message (id TEXT PRIMARY KEY, channel_id TEXT, thread_id TEXT, reply_to_id TEXT,
                      author_id TEXT, at_us INTEGER, deleted INTEGER, copies INTEGER DEFAULT 1,
                      body BLOB);
CREATE TABLE report (seq INTEGER PRIMARY KEY, action TEXT, body BLOB);
"""


class Spool:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "PRAGMA cache_size=-32000;" + _SCHEMA
        )
        self._db.execute("BEGIN")
        self._entities: list[tuple] = []
        self._messages: list[tuple] = []
        self._seq = 0

    def add(self, record: User | Group | Channel | Attachment | Message | ReportEntry) -> None:
        self._seq += 1
        body = orjson.dumps(record)
        if isinstance(record, Message):
            self._messages.append((
                record.id, record.channel_id, record.thread_id, record.reply_to_id,
                record.author_id, utc_micros(record.created_at.utc),
                record.deleted_at is not None, body,
            ))
            if len(self._messages) >= _BATCH:
                self._flush()
        elif isinstance(record, ReportEntry):
            self._db.execute("INSERT INTO report (seq, action, body) VALUES (?, ?, ?)",
                             (self._seq, record.action, body))
        else:
            # attr: the one field counts need (a channel's kind, an attachment's status).
            attr = getattr(record, "kind", None) if isinstance(record, Channel) else getattr(record, "status", None)
            self._entities.append((_ENTITY_KINDS[type(record)], record.id, self._seq, attr, body))
            if len(self._entities) >= _BATCH:
                self._flush()

    def _flush(self) -> None:
        # A message seen again replaces the earlier row (the latest export of it wins) and is
        # counted; an entity announced again unchanged is not a duplicate, a changed one is.
        self._db.executemany(
            "INSERT INTO message (id, channel_id, thread_id, reply_to_id, author_id, at_us, deleted, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " channel_id=excluded.channel_id, thread_id=excluded.thread_id,"
            " reply_to_id=excluded.reply_to_id, author_id=excluded.author_id, at_us=excluded.at_us,"
            " deleted=excluded.deleted, body=excluded.body, copies=copies+1",
            self._messages,
        )
        self._db.executemany(
            "INSERT INTO entity (kind, id, seq, attr, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id)"
            " DO UPDATE SET changed = changed + (body != excluded.body), attr=excluded.attr,"
            " body=excluded.body",
            self._entities,
        )
        self._messages.clear()
        self._entities.clear()

    def finish(self) -> None:
        """Index for the archive order and report duplicates and dangling references."""
        self._flush()
        db = self._db
        db.execute("CREATE INDEX message_order ON message (channel_id, at_us, id)")
        for mid, copies in db.execute("SELECT id, copies FROM message WHERE copies > 1").fetchall():
            self.add(ReportEntry("duplicate", "message", mid,
                                 f"exported {copies} times; the last copy was kept"))
        for kind, eid, changed in db.execute(
            "SELECT kind, id, changed FROM entity WHERE changed > 0").fetchall():
            self.add(ReportEntry("duplicate", kind, eid,
                                 f"listed {changed + 1} times with different content; the last was kept"))
        self._report_dangling()
        db.execute("COMMIT")

    def _report_dangling(self) -> None:
        checks = [
            ("message", "thread_id", "message", "is the root of a thread whose {n} message(s) were "
             "exported without it (outside the export window?); they are kept"),
            ("message", "reply_to_id", "message", "is answered by {n} exported message(s) but is not "
             "in the export itself; the replies are kept"),
            ("user", "author_id", "user", "wrote {n} message(s) but is not in the export's users"),
            ("channel", "channel_id", "channel", "holds {n} message(s) but is not in the export's channels"),
        ]
        for record_type, column, kind, reason in checks:
            if kind == "message":
                missing = f"SELECT m.{column}, count(*) FROM message m WHERE m.{column} IS NOT NULL " \
                          f"AND NOT EXISTS (SELECT 1 FROM message p WHERE p.id = m.{column}) GROUP BY 1"
            else:
                missing = f"SELECT m.{column}, count(*) FROM message m WHERE NOT EXISTS (SELECT 1 FROM " \
                          f"entity e WHERE e.kind = '{kind}' AND e.id = m.{column}) GROUP BY 1"
            for target, n in self._db.execute(missing).fetchall():
                self.add(ReportEntry("missing", record_type, target, f"{record_type} {target} " +
                                     reason.format(n=n)))

    def entities(self, kind: str) -> Iterator[bytes]:
        for (body,) in self._db.execute("SELECT body FROM entity WHERE kind = ? ORDER BY seq", (kind,)):
            yield body

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(channel id, serialised message), grouped by channel, oldest first, ties by id."""
        yield from self._db.execute("SELECT channel_id, body FROM message ORDER BY channel_id, at_us, id")

    def report(self) -> Iterator[bytes]:
        for (body,) in self._db.execute("SELECT body FROM report ORDER BY seq"):
            yield body

    def counts(self) -> Counts:
        db = self._db

        def one(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        return Counts(
            users=one("SELECT count(*) FROM entity WHERE kind='user'"),
            groups=one("SELECT count(*) FROM entity WHERE kind='group'"),
            channels=one("SELECT count(*) FROM entity WHERE kind='channel'"),
            threads=one("SELECT count(DISTINCT thread_id) FROM message"),
            messages=one("SELECT count(*) FROM message"),
            deleted_messages=one("SELECT count(*) FROM message WHERE deleted"),
            private_messages=one(
                "SELECT count(*) FROM message m JOIN entity c ON c.kind='channel' AND c.id=m.channel_id"
                 " WHERE c.attr IN ('direct', 'group_direct')"),
            attachments=one("SELECT count(*) FROM entity WHERE kind='attachment'"),
            missing_files=one(
                "SELECT count(*) FROM entity WHERE kind='attachment' AND attr = 'missing'"),
            report=dict(db.execute("SELECT action, count(*) FROM report GROUP BY action ORDER BY action")),
        )

    def window(self) -> tuple[str | None, str | None]:
        """RFC 3339 times of the oldest and newest message."""
        first, last = self._db.execute("SELECT min(at_us), max(at_us) FROM message").fetchone()
        return (None, None) if first is None else (format_micros(first), format_micros(last))

    def close(self) -> None:
        self._db.close()
