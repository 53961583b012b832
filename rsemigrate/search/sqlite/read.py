"""Reads an archive as rows for the index tables, messages in time order, in bounded memory.

Each channel file is already in time order: the files are merged a window at a time (see
`_in_time_order`), reading each a bounded number of lines at a time and reopening it as needed,
so neither memory nor open files grow with the archive. Lines are parsed with orjson (several
times faster than validating); a line of the wrong shape is then validated properly, so the
error names its file, line and field. Only the person lookup grows, with the users.

For large archives the reading runs in a child process, so that parsing (Python) and writing
(SQLite) use two cores; the rows are the same either way.
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson

from ...archive import RECORD_FILES, Archive, Attachment, Channel, Group, Message, User, decode, utc_micros
from ...errors import ArchiveError
from .folding import fold

Table = Literal["person", "channel", "attachment", "message"]
Batch = tuple[Table, list[tuple]]
BATCH = 5_000
#: message rows held in read buffers across all channels (about 500 bytes each).
_ROW_BUDGET = 100_000
#: from this many messages on, reading in a child process pays for its start-up.
_CHILD_FROM = 100_000
_PRIVATE_KINDS = ("direct", "group_direct")
#: a message row, as read.py sends it: starts with its time-order key (at_us, message_id) and
#: channel_seq, so rows compare as tuples (rows of two channels differ by channel_seq at the
#: latest). A missing value (None) is sent as 0 and flags as ints: binding None or a bool costs
#: Python's sqlite3 ten times what an int does (it tries the adaptation protocol for them), about
#: 1.5 s a million messages; the INSERT turns 0 back into NULL (NULLIF: a text '0' is not 0).
MESSAGE_COLUMNS = ("at_us", "message_id", "channel_seq", "thread_id", "reply_to_id", "author_seq",
                   "created_at", "edited_at", "deleted_at", "private", "title", "text",
                   "attachment_ids", "record_at")
#: the columns of MESSAGE_COLUMNS where 0 stands for NULL.
NULL_AS_ZERO = ("reply_to_id", "edited_at", "deleted_at", "title")
_TIME_KEY = itemgetter(0, 1)  # (at_us, message_id)
T = TypeVar("T")


def read_batches(archive: Archive) -> Generator[Batch, None, None]:
    """(table, rows) for every table, in an order the writer can follow as it goes."""
    if archive.header.counts.messages < _CHILD_FROM or not sys.executable:
        return _ArchiveRows(archive).batches()
    return _from_child(archive.path)


#: what the child writes on its stdout: frames of a tag and a length, then the payload: a batch
#: (marshal: several times cheaper than pickle for these rows, and both ends are the same
#: Python), the exception that stopped the child (pickle), or the end.
_FRAME = struct.Struct("<cQ")
_BATCH, _ERROR, _END = b"B", b"E", b"."
#: batches serialised ahead of the pipe in the child (each about 1 MB).
_AHEAD = 8
_CHILD_CODE = "from rsemigrate.search.sqlite.read import _serve; _serve()"


def _from_child(path: Path) -> Generator[Batch, None, None]:
    """The batches, read by a child process: a plain interpreter running `_serve`, which starts
    in a fraction of a second (multiprocessing's spawn would re-import the parent's main module)."""
    root = str(Path(__file__).resolve().parents[3])  # where this rsemigrate package is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD_CODE, str(path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    try:
        while True:
            header = child.stdout.read(_FRAME.size)
            tag, size = _FRAME.unpack(header) if len(header) == _FRAME.size else (b"", 0)
            payload = child.stdout.read(size)
            if len(payload) < size or tag not in (_BATCH, _ERROR, _END):
                raise ArchiveError(f"the index reader stopped unexpectedly (exit code {child.wait()})")
            if tag == _BATCH:
                yield marshal.loads(payload)
            elif tag == _ERROR:
                raise pickle.loads(payload)
            else:
                return
    finally:
        child.kill()  # when the writer stops early
        child.wait()
        child.stdout.close()


def _serve() -> None:
    """The child process: the archive's batches as frames on stdout.

    A thread writes the frames, so reading goes on while the pipe is full (the thread waits on
    the pipe without holding the GIL). Stdout is kept for the frames alone: anything else
    printed goes to stderr.
    """
    gc.disable()  # the reader makes no reference cycles, and millions of short-lived objects
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops the child
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    ready: queue.Queue[tuple[bytes, bytes]] = queue.Queue(maxsize=_AHEAD)

    def send() -> None:
        while True:
            tag, payload = ready.get()
            try:
                out.write(_FRAME.pack(tag, len(payload)))
                out.write(payload)
                out.flush()
            except OSError:  # the parent is gone: nobody needs the rest
                os._exit(1)
            if tag != _BATCH:
                return

    sender = threading.Thread(target=send, name="rsemigrate-index-sender", daemon=True)
    sender.start()
    try:
        for batch in _ArchiveRows(Archive(Path(sys.argv[1]))).batches():
            ready.put((_BATCH, marshal.dumps(batch)))
        ready.put((_END, b""))
    except Exception as exc:  # noqa: BLE001 (re-raised by the parent)
        try:
            error = pickle.dumps(exc)
        except Exception:  # noqa: BLE001 (an exception that cannot travel)
            error = pickle.dumps(ArchiveError(f"the index reader failed: {exc!r}"))
        ready.put((_ERROR, error))
    sender.join()
    out.close()


def _parsed(lines: Iterable[tuple[int, bytes]], cls: type, relpath: str,
            row: Callable[[dict[str, Any]], T]) -> Iterator[T]:
    """`row(record)` for each JSONL line; a line of the wrong shape gets the validator's error."""
    for lineno, line in lines:
        try:
            value = row(orjson.loads(line))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
            where = f"data/{relpath} line {lineno}"
            decode(cls, line, where)
            raise ArchiveError(f"{where}: a record the index cannot read") from None
        yield value


def _batched(table: Table, rows: Iterable[tuple]) -> Iterator[Batch]:
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        yield table, batch


class _ArchiveRows:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.people: dict[str, int] = {}
        #: people met as authors but missing from users.jsonl, not yet handed out.
        self.unknown_authors: list[tuple] = []
        #: (channel id, private) in channels.jsonl order: channel seq n is channels[n - 1].
        self.channels: list[tuple[str, bool]] = []

    def batches(self) -> Generator[Batch, None, None]:
        yield from _batched("person", (self._person(*user) for user in self._records(
            User, lambda r: (r["id"], r["name"], r.get("email")))))
        yield from _batched("channel", self._channels())
        yield from _batched("attachment", self._records(Attachment, lambda r: (
            r["id"], r["kind"], r["status"], r.get("name"), r.get("sha256"), r.get("url"))))
        for window in self._in_time_order():
            if self.unknown_authors:  # the people a batch refers to always come before it
                yield "person", self.unknown_authors
                self.unknown_authors = []
            for start in range(0, len(window), BATCH):
                yield "message", window[start:start + BATCH]

    def _records(self, cls: type, row: Callable[[dict[str, Any]], T]) -> Iterator[T]:
        relpath = RECORD_FILES[cls]
        return _parsed(self.archive.lines(relpath), cls, relpath, row)

    def _person(self, user_id: str, name: str, email: str | None) -> tuple:
        seq = self.people[user_id] = len(self.people) + 1
        return seq, user_id, name, email, fold(name), fold(email) if email else None

    def _author(self, user_id: str) -> int:
        """The person's seq; an author missing from users.jsonl is indexed under their id."""
        if (seq := self.people.get(user_id)) is None:
            self.unknown_authors.append(self._person(user_id, user_id, None))
            seq = len(self.people)
        return seq

    def _channels(self) -> Iterator[tuple]:
        groups = dict(self._records(Group, lambda r: (r["id"], r["name"])))
        for channel_id, kind, name, group_id in self._records(
                Channel, lambda r: (r["id"], r["kind"], r["name"], r.get("group_id"))):
            self.channels.append((channel_id, kind in _PRIVATE_KINDS))
            group = groups.get(group_id) if group_id else None
            yield (len(self.channels), channel_id, kind, name, group_id, group, fold(name),
                   fold(group) if group else None)

    def _in_time_order(self) -> Iterator[list[tuple]]:
        """Every message row in time order, a window (a list) at a time, in bounded memory.

        Each channel file is in time order and is parsed a chunk of lines at a time into a
        buffer. A window ends at a horizon: the median of the buffers' last keys, every buffer
        being read on until it passes the horizon (or its file ends). No row still unread can
        then come before the horizon, so the buffered rows up to it are sorted (in C: timsort
        merges the channels' runs) and handed out. Compared with a k-way merge (heapq.merge),
        this saves a Python-level heap step per row (0.6 s a million messages, a tenth of the
        reader's time). If the buffers reach the row budget first (a channel far busier than the
        others), the window ends at the earliest last key of a buffer instead, which is always
        safe. Ties keep the channels' order, the sort being stable.
        """
        per_read = max(16, min(1_000, _ROW_BUDGET // 2 // max(1, len(self.channels))))
        spans = {span.channel_id: span for span in self.archive.spans()}
        files = [_ChannelFile(str(self.archive.data / span.file), span.file, seq, private, span.offset,
                              span.offset + span.length, span.first_line - 1)
                 for seq, (channel_id, private) in enumerate(self.channels, 1)
                 if (span := spans.get(channel_id))]
        for file in files:  # a few lines each at first, and a first window up to the earliest
            self._fill(file, 8)  # last key: the writer starts sooner
        files = [file for file in files if file.rows]
        first = True
        while files:
            lasts = sorted(_TIME_KEY(file.rows[-1]) for file in files)
            horizon, first = lasts[0 if first else len(lasts) // 2], False
            buffered = sum(len(file.rows) for file in files)
            for file in files:
                while not file.ended and buffered < _ROW_BUDGET and _TIME_KEY(file.rows[-1]) <= horizon:
                    buffered += self._fill(file, per_read)
            limit = min([horizon, *(_TIME_KEY(file.rows[-1]) for file in files if not file.ended)])
            window: list[tuple] = []
            for file in files:
                rows = file.rows
                if _TIME_KEY(rows[-1]) <= limit:
                    window += rows
                    rows.clear()
                elif _TIME_KEY(rows[0]) <= limit:
                    cut = bisect_right(rows, limit, key=_TIME_KEY)
                    window += rows[:cut]
                    del rows[:cut]
            window.sort(key=_TIME_KEY)
            yield window
            files = [file for file in files if file.rows or self._fill(file, per_read)]

    def _fill(self, file: _ChannelFile, per_read: int) -> int:
        """Parse the next `per_read` lines of a channel file into rows of MESSAGE_COLUMNS, at the
        end of its buffer (the hot loop of the reader); the number of rows added."""
        at = file.offset  # where the first line read starts, in the message file
        lines = file.next_lines(per_read)
        people, author_of, loads, dumps = self.people, self._author, orjson.loads, orjson.dumps
        seq, private, append = file.seq, int(file.private), file.rows.append
        for lineno, line in enumerate(lines, file.lineno + 1):
            try:
                r = loads(line)
                created, author = r["created_at"]["utc"], r["author_id"]
                reply_to, edited, deleted = r.get("reply_to_id"), r.get("edited_at"), r.get("deleted_at")
                title, attachments = r.get("title"), r.get("attachment_ids")
                append(
                    (
                        utc_micros(created),
                        r["id"],
                        seq,
                        r["thread_id"],
                        0 if reply_to is None else reply_to,
                        people.get(author) or author_of(author),
                        created,
                        edited["utc"] if edited else 0,
                        deleted["utc"] if deleted else 0,
                        private,
                        0 if title is None else title,
                        r["text"],
                        dumps(attachments).decode() if attachments else "[]",
                        at,
                    )
                )
                at += len(line)
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
                where = f"data/{file.relpath} line {lineno}"
                decode(Message, line, where)
                raise ArchiveError(f"{where}: a record the index cannot read") from None
        file.lineno += len(lines)
        return len(lines)


@dataclass(slots=True)
class _ChannelFile:
    """A channel's span of a message file, read a chunk of lines per open so that few files stay open."""

    path: str
    relpath: str
    seq: int
    private: bool
    #: where the next chunk starts.
    offset: int
    #: where the span ends.
    end: int
    #: line number of the last line read.
    lineno: int
    #: whether every line has been read.
    ended: bool = False
    #: parsed rows not handed out yet, in file order.
    rows: list[tuple] = field(default_factory=list)

    def next_lines(self, count: int) -> list[bytes]:
        lines: list[bytes] = []
        if self.ended:
            return lines
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            for line in fh:
                lines.append(line)
                self.offset += len(line)
                if self.offset >= self.end or len(lines) == count:
                    break
        self.ended = self.offset >= self.end or len(lines) < count
        return lines
