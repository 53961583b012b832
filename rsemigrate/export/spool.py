"""A scratch store that sorts, de-duplicates and cross-checks records on disk.

Sources arrive in whatever order the platform wrote them (Yammer: newest first, one CSV for
every channel; Slack: one file a day). The archive wants each channel's messages in time order,
one copy of each id, and every dangling reference reported. Doing that in memory would grow with
the export, so it is done on disk with a fixed cache:

- each message is serialised once, appended to a body log, and never parsed again;
- SQLite holds only its keys (ids, channel, time, and the body's place in the logs), so inserts
  stay small; the id index is built once after loading, which is far cheaper than keeping it up
  to date row by row;
- the archive order is sorted by each process that writes message files, for its share of the
  channels, so the sort runs on both cores; each body is read back with one `pread`;
- only de-duplication comes before that; the dangling references and the counts are found by a
  thread while the message files are written (`check`).

The spool lives in a folder of its own, deleted before the bag is sealed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..archive import Attachment, Channel, Counts, Group, Message, ReportEntry, User, sort_key, utc_of_key

_BATCH = 5000
_LOG_BLOCK = 1 << 20
_ENTITY_KINDS = {User: "user", Group: "group", Channel: "channel", Attachment: "attachment"}
#: what the entities say of a channel number (see `Spool._channel_kinds`).
_UNLISTED, _LISTED, _PRIVATE = 0, 1, 2

_SCHEMA = """
CREATE TABLE entity (kind TEXT, id TEXT, seq INTEGER, changed INTEGER DEFAULT 0,
                     attr TEXT, body BLOB, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE message (seq INTEGER PRIMARY KEY, id TEXT, channel INTEGER, thread_id TEXT,
                      reply_to_id TEXT, author_id TEXT, at TEXT, deleted INTEGER,
                      offset INTEGER, length INTEGER);
CREATE TABLE report (seq INTEGER PRIMARY KEY, action TEXT, body BLOB);
"""


#: A record reduced to what the spool stores: a tag and its keys, with its serialised body, or for
#: a message the body's place in the body log. Tuples, because they cross a process boundary
#: once per message (see workers.py); message bodies, the bulk, never do.
Prepared = tuple


#: a body's place in the logs is one integer: the log's number above this bit, the offset below.
_LOG_SHIFT = 48


def body_log_path(folder: Path, number: int) -> Path:
    """Log 0 is the reader process's; a connector's worker processes write logs 1, 2…"""
    return folder / ("bodies" if number == 0 else f"bodies-{number}")


class BodyLog:
    """An append-only file of serialised message bodies, each ending in a line feed, so that
    the archive's JSONL lines are read back whole. Written by whoever prepares them: the
    reader process, and each worker process a connector starts (see parallel.py).

    Bodies are gathered in a list and written a megabyte at a time: a `write` call per body
    cost 0.5 µs, a tenth of what the reader process spends on a message besides the connector.
    The process that prepares them writes them: a thread that wrote the blocks cost the workers
    11% more CPU (waking it, handing it the GIL), and their cores are busy anyway.
    """

    def __init__(self, path: Path, number: int = 0) -> None:
        self.path = path
        self._fh = open(path, "ab")
        self.size = self._fh.tell()
        self._base = number << _LOG_SHIFT
        self._pending: list[bytes] = []
        self._flushed = self.size

    def append(self, body: bytes) -> int:
        """Write `body` and a line feed (`len(body) + 1` bytes); returns where they start."""
        offset = self._base + self.size
        pending = self._pending
        pending.append(body)
        pending.append(b"\n")
        self.size += len(body) + 1
        if self.size - self._flushed >= _LOG_BLOCK:
            self._flush()
        return offset

    def _flush(self) -> None:
        self._fh.write(b"".join(self._pending))
        self._pending.clear()
        self._flushed = self.size

    def close(self) -> None:
        """Write what is left; the file is closed even when that fails (a full disk)."""
        try:
            self._flush()
        finally:
            self._fh.close()


def prepare(record: User | Group | Channel | Attachment | Message | ReportEntry, log: BodyLog) -> Prepared:
    body = orjson.dumps(record)
    if record.__class__ is Message:
        m: Message = record  # type: ignore[assignment]
        return ("m", m.id, m.channel_id, m.thread_id, m.reply_to_id, m.author_id,
                m.created_at.utc, m.deleted_at is not None, log.append(body), len(body) + 1)
    if isinstance(record, ReportEntry):
        return ("r", record.action, body)
    # attr: the one field counts need (a channel's kind, an attachment's status).
    attr = record.kind if isinstance(record, Channel) else getattr(record, "status", None)
    return ("e", _ENTITY_KINDS[type(record)], record.id, attr, body)


@dataclass(frozen=True)
class _Totals:
    """What `finish` counted of the messages kept (times are sort keys)."""

    messages: int
    deleted: int
    threads: int
    private: int
    first: str | None
    last: str | None


class Spool:
    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.folder = folder
        #: where the reader process appends message bodies (see BodyLog).
        self.log_path = body_log_path(folder, 0)
        #: channel ids as small integers, numbered in insertion order: a cheaper sort key than
        #: the id strings, and `list()` of it maps a number back to its id.
        self._channel_numbers: dict[str, int] = {}
        #: every author met: the candidates for the missing-author check, which this makes a set
        #: difference instead of a lookup per message (memory grows with people, not messages).
        self._authors: set[str] = set()
        self._db = sqlite3.connect(folder / "keys.sqlite", isolation_level=None)
        # An 8 MB page cache: messages are appended (a rowid table), so a larger cache only grew
        # the peak with the size of the export (32 MB: 75 -> 133 MB from 100k to 1M messages).
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "PRAGMA cache_size=-8000;" + _SCHEMA
        )
        self._db.execute("BEGIN")
        self._entities: list[tuple] = []
        self._messages: list[tuple] = []
        self._seq = 0
        #: the running checks (see `check`), then what they counted.
        self._checks: Future[tuple[_Totals, list[ReportEntry]]] | None = None
        self._totals: _Totals | None = None

    @property
    def records(self) -> int:
        """How many records were added, duplicates included."""
        return self._seq

    def add_all(self, items: Iterable[Prepared]) -> None:
        """Store prepared records; the order of calls and items is the source order (later wins).
        One loop for all: it runs once per message, so it is kept lean."""
        numbers, authors, messages = self._channel_numbers, self._authors, self._messages
        seq = self._seq
        for item in items:
            seq += 1
            if item[0] == "m":
                _, mid, channel_id, thread_id, reply_to_id, author_id, utc, deleted, offset, size = item
                channel = numbers.get(channel_id)
                if channel is None:
                    channel = numbers[channel_id] = len(numbers)
                authors.add(author_id)
                messages.append((seq, mid, channel, thread_id, reply_to_id, author_id, sort_key(utc),
                                 deleted, offset, size))
                if len(messages) >= _BATCH:
                    self._flush()
            elif item[0] == "r":
                self._db.execute("INSERT INTO report (seq, action, body) VALUES (?, ?, ?)",
                                 (seq, item[1], item[2]))
            else:
                self._entities.append((item[1], item[2], seq, item[3], item[4]))
                if len(self._entities) >= _BATCH:
                    self._flush()
        self._seq = seq

    def _report(self, entry: ReportEntry) -> None:
        self.add_all((("r", entry.action, orjson.dumps(entry)),))

    def _flush(self) -> None:
        # An entity announced again unchanged is not a duplicate, a changed one is. Messages
        # are de-duplicated once everything is loaded (see finish).
        self._db.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._messages)
        self._db.executemany(
            "INSERT INTO entity (kind, id, seq, attr, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id)"
            " DO UPDATE SET changed = changed + (body != excluded.body), attr=excluded.attr,"
            " body=excluded.body",
            self._entities,
        )
        self._messages.clear()
        self._entities.clear()

    def finish(self) -> None:
        """De-duplicate: what writing the messages needs. The rest of the checks (dangling
        references, counts) is `check`'s, which may run while the messages are written."""
        self._flush()
        db = self._db
        db.execute("COMMIT")
        # Ids are usually unique, which a unique index checks as it is built: half the time of
        # building an index and then looking for duplicates (0.3 s and 0.3 s at a million). A build
        # that fails must roll back cleanly, which takes a journal: one in memory, for that
        # statement alone (the index's new pages need none; many deletions would fill it).
        db.execute("PRAGMA journal_mode=MEMORY")
        try:
            db.execute("CREATE UNIQUE INDEX message_id ON message (id)")
            duplicates = []
        except sqlite3.IntegrityError:
            db.execute("CREATE INDEX message_id ON message (id)")
            duplicates = db.execute(
                "SELECT id, count(*), max(seq) FROM message GROUP BY id HAVING count(*) > 1").fetchall()
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("BEGIN")
        # A message seen again replaces the earlier copies: the latest export of it wins.
        for mid, copies, latest in duplicates:
            db.execute("DELETE FROM message WHERE id = ? AND seq != ?", (mid, latest))
            self._report(ReportEntry("duplicate", "message", mid,
                                 f"exported {copies} times; the last copy was kept"))
        for kind, eid, changed in db.execute(
            "SELECT kind, id, changed FROM entity WHERE changed > 0").fetchall():
            self._report(ReportEntry("duplicate", kind, eid,
                                 f"listed {changed + 1} times with different content; the last was kept"))
        db.execute("COMMIT")

    def check(self) -> None:
        """Start reporting dangling references and counting what is left, in a thread with a
        connection of its own: SQLite lets go of the GIL, so the scans (one to two seconds of a
        million messages) run beside whatever the caller does next. Once `finish` ran, and after any
        fork: a child forked while a thread holds one of SQLite's locks would wait forever."""
        pool = ThreadPoolExecutor(1, thread_name_prefix="rsemigrate-spool-check")
        self._checks = pool.submit(self._dangling_and_totals)
        pool.shutdown(wait=False)  # its thread ends with its work

    def _checked(self) -> _Totals:
        """The totals, once the checks are done and their report entries stored."""
        if self._checks is None:
            self.check()
        if self._totals is None:
            totals, entries = self._checks.result()  # type: ignore[union-attr]
            for entry in entries:
                self._report(entry)
            self._totals = totals
        return self._totals

    def _read_only(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.folder / 'keys.sqlite'}?mode=ro", uri=True)

    def _dangling_and_totals(self) -> tuple[_Totals, list[ReportEntry]]:
        db = self._read_only()
        # Its memory adds to the message writers': a smaller cache than SQLite's 2 MB default.
        db.execute("PRAGMA cache_size=-1000")
        try:
            channels = self._channel_kinds(db)
            entries = self._dangling_messages(db)
            totals = self._message_totals(db, channels)
            return totals, entries + self._dangling_entities(db, channels)
        finally:
            db.close()

    def _channel_kinds(self, db: sqlite3.Connection) -> bytearray:
        """By channel number: _UNLISTED, _LISTED or _PRIVATE (a direct or group_direct channel).

        A byte per channel, not sets of ids: these checks run while the message files are
        written, and sets of 100,000 private conversations' ids raised that peak by 12 MB.
        """
        numbers = self._channel_numbers
        kinds = bytearray(len(numbers))  # _UNLISTED
        for cid, attr in db.execute("SELECT id, attr FROM entity WHERE kind = 'channel'"):
            if (number := numbers.get(cid)) is not None:
                kinds[number] = _PRIVATE if attr in ("direct", "group_direct") else _LISTED
        return kinds

    def _dangling_messages(self, db: sqlite3.Connection) -> list[ReportEntry]:
        """Thread roots and reply parents that are not in the export.

        A reply to its thread's root lacks its parent exactly when the root is missing, so only the
        other replies are looked up one by one (three in five replies answer the root: half the
        lookups of a million messages); the rest are counted for the missing roots alone.
        """
        # a thread's root names itself: it is there, and is not looked up (a third of a network)
        roots = dict(db.execute(
            "SELECT thread_id, count(*) FROM message m WHERE thread_id IS NOT NULL AND thread_id != m.id"
            " AND NOT EXISTS (SELECT 1 FROM message p WHERE p.id = m.thread_id) GROUP BY 1"))
        parents = Counter(dict(db.execute(
            "SELECT reply_to_id, count(*) FROM message m WHERE reply_to_id IS NOT NULL"
            " AND reply_to_id != m.id AND reply_to_id IS NOT thread_id"
            " AND NOT EXISTS (SELECT 1 FROM message p WHERE p.id = m.reply_to_id) GROUP BY 1")))
        parents.update(_count_by(db, "reply_to_id", roots, "reply_to_id = thread_id AND thread_id != id"))
        return [
            *(ReportEntry("missing", "message", target, f"message {target} is the root of a thread whose "
                          f"{n} message(s) were exported without it (outside the export window?); "
                          "they are kept") for target, n in sorted(roots.items())),
            *(ReportEntry("missing", "message", target, f"message {target} is answered by {n} exported "
                          "message(s) but is not in the export itself; the replies are kept")
              for target, n in sorted(parents.items())),
        ]

    def _dangling_entities(self, db: sqlite3.Connection, channels: bytearray) -> list[ReportEntry]:
        """Authors and channels that are not in the export: only the few ids not among the entities
        are counted, in one pass. A candidate whose messages de-duplication all removed has no count."""
        entries = []
        users = {uid for (uid,) in db.execute("SELECT id FROM entity WHERE kind = 'user'")}
        for author, n in sorted(_count_by(db, "author_id", self._authors - users).items()):
            entries.append(ReportEntry("missing", "user", author, f"user {author} wrote {n} message(s) "
                                       "but is not in the export's users"))
        unknown = {number: cid for cid, number in self._channel_numbers.items()
                   if channels[number] == _UNLISTED}
        for channel_id, n in sorted((unknown[c], n) for c, n in _count_by(db, "channel", unknown).items()):
            entries.append(ReportEntry("missing", "channel", channel_id, f"channel {channel_id} holds {n} "
                                       "message(s) but is not in the export's channels"))
        return entries

    def _message_totals(self, db: sqlite3.Connection, channels: bytearray) -> _Totals:
        messages, deleted, first, last = db.execute(
            "SELECT count(*), coalesce(sum(deleted), 0), min(at), max(at) FROM message").fetchone()
        threads = db.execute("SELECT count(DISTINCT thread_id) FROM message").fetchone()[0]
        # The kind of each message's channel looked up in the bytes themselves: no sort, no set.
        private = db.execute("SELECT count(*) FROM message WHERE substr(?, channel + 1, 1) = ?",
                             (bytes(channels), bytes([_PRIVATE]))).fetchone()[0]
        return _Totals(messages, deleted, threads, private, first, last)

    def entities(self, kind: str) -> Iterator[bytes]:
        for (body,) in self._db.execute("SELECT body FROM entity WHERE kind = ? ORDER BY seq", (kind,)):
            yield body

    def messages(self, share: range = range(1), modulus: int = 1) -> Iterator[tuple[str, bytes]]:
        """(channel id, the message's JSONL line), grouped by channel, oldest first, ties by id.

        Only the channels whose number modulo `modulus` is in `share`, so that several processes
        can write the payload at once, each its share; each reads through its own read-only
        connection, which is what makes this safe in a forked process.
        """
        names = list(self._channel_numbers)  # number -> id (not a second dict: 100,000 channels)
        db = self._read_only()
        # The sorter keeps this much in memory before it spills to disk: 8 MB sorts as fast as 32 MB
        # (measured at 1M messages) and keeps the peak of each writing process 36 MB lower.
        db.execute("PRAGMA cache_size=-8000")
        fds: dict[int, int] = {}
        mask = (1 << _LOG_SHIFT) - 1
        try:
            for channel, place, length in db.execute(
                    "SELECT channel, offset, length FROM message WHERE channel % ? BETWEEN ? AND ?"
                    " ORDER BY channel, at, id", (modulus, share.start, share.stop - 1)):
                fd = fds.get(log := place >> _LOG_SHIFT)
                if fd is None:
                    fd = fds[log] = os.open(body_log_path(self.folder, log), os.O_RDONLY)
                yield names[channel], os.pread(fd, length, place & mask)
        finally:
            for fd in fds.values():
                os.close(fd)
            db.close()

    def report(self) -> Iterator[bytes]:
        self._checked()
        for (body,) in self._db.execute("SELECT body FROM report ORDER BY seq"):
            yield body

    def counts(self) -> Counts:
        """The archive's counts; valid once `finish` ran."""
        db = self._db

        def one(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        totals = self._checked()
        return Counts(
            users=one("SELECT count(*) FROM entity WHERE kind='user'"),
            groups=one("SELECT count(*) FROM entity WHERE kind='group'"),
            channels=one("SELECT count(*) FROM entity WHERE kind='channel'"),
            threads=totals.threads,
            messages=totals.messages,
            deleted_messages=totals.deleted,
            private_messages=totals.private,
            attachments=one("SELECT count(*) FROM entity WHERE kind='attachment'"),
            missing_files=one(
                "SELECT count(*) FROM entity WHERE kind='attachment' AND attr = 'missing'"),
            report=dict(db.execute("SELECT action, count(*) FROM report GROUP BY action ORDER BY action")),
        )

    def window(self) -> tuple[str | None, str | None]:
        """RFC 3339 times of the oldest and newest message; valid once `finish` ran."""
        totals = self._checked()
        first, last = totals.first, totals.last
        return (None, None) if first is None else (utc_of_key(first), utc_of_key(last))

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self.folder)


def _count_by(db: sqlite3.Connection, column: str, values: Collection[object], where: str = "TRUE"
              ) -> dict[object, int]:
    """{value: messages with it (and `where`)} for the given values of `column`; values without any
    are left out."""
    if not values:
        return {}
    db.execute("CREATE TEMP TABLE wanted (value PRIMARY KEY) WITHOUT ROWID")
    try:
        db.executemany("INSERT INTO temp.wanted VALUES (?)", ((v,) for v in values))
        return dict(db.execute(f"SELECT {column}, count(*) FROM message WHERE {column} IN temp.wanted"
                               f" AND {where} GROUP BY 1"))
    finally:
        db.execute("DROP TABLE temp.wanted")
