"""Reads an archive as rows for the index tables, messages in time order, in bounded memory.

Each channel's span is already in time order: the spans are merged a slice of time at a time
(see `_in_time_order`), each read a chunk at a time as the merge reaches it, so the work follows
the messages whatever the number of channels, and memory holds one slice, one chunk per busy
channel and a few hundred bytes per channel. Message lines are decoded by msgspec into the few
fields the index reads (three times faster than orjson building the whole record, body and source
included; ten than validating); a line of the wrong shape is then validated properly, so the error
names its file, line and field. The person lookup grows with the users.

For large archives the reading runs in a child process, so that parsing (Python) and writing
(SQLite) use two cores; the rows are the same either way.
"""

from __future__ import annotations

import gc
import heapq
import marshal
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from bisect import bisect_left
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import msgspec
import orjson

from ...archive import (
    RECORD_FILES,
    Archive,
    Attachment,
    Channel,
    Group,
    Message,
    MessageSpan,
    User,
    decode,
    utc_micros,
)
from ...errors import ArchiveError
from .folding import fold

Table = Literal["person", "channel", "attachment", "message"]
Batch = tuple[Table, list[tuple]]
BATCH = 5_000
#: message rows held at most in a slice of the merge (about 800 bytes each, parsed). At a million
#: messages the reader process peaks at 200 MB with 50,000 and 245 MB with 100,000, at one speed.
_ROW_BUDGET = 50_000
#: bytes read from a channel's span at a time: a private conversation at once, a community in
#: a few dozen messages. Every channel reached and unfinished keeps up to this much read, so it
#: bounds memory with the number of busy channels (2,000 communities: 32 MB).
_CHUNK = 16 << 10
#: message files kept open at once.
_OPEN_FILES = 64
#: from this many messages on, reading in a child process pays for its start-up.
_CHILD_FROM = 100_000
_PRIVATE_KINDS = ("direct", "group_direct")
#: a message row, as read.py sends it: starts with its time-order key (at_us, message_id),
#: channel_seq and record_at, so rows are sorted as plain tuples, without a key function (twice
#: as fast): two rows differ by channel_seq at the latest, or by their line's offset, which is
#: unique in a channel even if a message id were repeated. A missing value (None) is sent as 0
#: and flags as ints: binding None or a bool costs Python's sqlite3 ten times what an int does
#: (it tries the adaptation protocol for them), about 1.5 s a million messages; the INSERT turns
#: 0 back into NULL (NULLIF: a text '0' is not 0).
MESSAGE_COLUMNS = ("at_us", "message_id", "channel_seq", "record_at", "thread_id", "reply_to_id",
                   "author_seq", "created_at", "edited_at", "deleted_at", "private", "title", "text",
                   "attachment_ids")
#: the columns of MESSAGE_COLUMNS where 0 stands for NULL.
NULL_AS_ZERO = ("reply_to_id", "edited_at", "deleted_at", "title")
T = TypeVar("T")


class _Stamp(msgspec.Struct):
    utc: str


class _Indexed(msgspec.Struct):
    """The fields of a message line the index reads; the others (body, source…) are skipped."""

    id: str
    thread_id: str
    author_id: str
    created_at: _Stamp
    text: str
    reply_to_id: str | None = None
    title: str | None = None
    edited_at: _Stamp | None = None
    deleted_at: _Stamp | None = None
    attachment_ids: list[str] = []


_decode_message = msgspec.json.Decoder(_Indexed).decode


def read_batches(archive: Archive) -> Generator[Batch, None, None]:
    """(table, rows) for every table, in an order the writer can follow as it goes."""
    if archive.header.counts.messages < _CHILD_FROM or not sys.executable:
        rows = _ArchiveRows(archive)
        yield from rows.tables()
        yield from rows.messages()
        return
    # The child reads the messages while this process reads (and the writer loads) the other
    # tables: they would otherwise wait for each other at the start.
    with _reader_process(archive.path) as child:
        yield from _ArchiveRows(archive).tables()
        yield from _from_child(child)


#: what the child writes on its stdout: frames of a tag and a length, then the payload: a batch
#: (marshal: several times cheaper than pickle for these rows, and both ends are the same
#: Python), the exception that stopped the child (pickle), or the end.
_FRAME = struct.Struct("<cQ")
_BATCH, _ERROR, _END = b"B", b"E", b"."
#: batches serialised ahead of the pipe in the child (each about 1 MB).
_AHEAD = 8
_CHILD_CODE = "from rsemigrate.search.sqlite.read import _serve; _serve()"


@contextmanager
def _reader_process(path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process reading the messages: a plain interpreter running `_serve`, which starts
    in a fraction of a second (multiprocessing's spawn would re-import the parent's main module)."""
    root = str(Path(__file__).resolve().parents[3])  # where this rsemigrate package is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD_CODE, str(path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    try:
        yield child
    finally:
        child.kill()  # when the writer stops early
        child.wait()
        child.stdout.close()


def _from_child(child: subprocess.Popen[bytes]) -> Generator[Batch, None, None]:
    """The message batches the child sends, then its end or its error."""
    assert child.stdout is not None
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


def _serve() -> None:
    """The child process: the archive's message batches (and unknown authors) as frames on stdout.

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
        rows = _ArchiveRows(Archive(Path(sys.argv[1])))
        rows.lookups()
        for batch in rows.messages():
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
            _bad_record(cls, f"data/{relpath} line {lineno}", line)
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

    def tables(self) -> Iterator[Batch]:
        """The person, channel and attachment rows; fills the lookups message rows need."""
        yield from _batched("person", (self._person(*user) for user in self._records(
            User, lambda r: (r["id"], r["name"], r.get("email")))))
        yield from _batched("channel", self._channels())
        yield from _batched("attachment", self._records(Attachment, lambda r: (
            r["id"], r["kind"], r["status"], r.get("name"), r.get("sha256"), r.get("url"))))

    def lookups(self) -> None:
        """The lookups alone, as `tables` fills them, for a reader process whose parent sends
        the tables: the same seqs, none of the folding."""
        for user_id in self._records(User, itemgetter("id")):
            self._number(user_id)
        for channel_id, kind in self._records(Channel, itemgetter("id", "kind")):
            self._listed(channel_id, kind)

    def messages(self) -> Iterator[Batch]:
        """The message rows in time order, preceded by the people first met as their authors."""
        for slice_ in self._in_time_order():
            if self.unknown_authors:  # the people a batch refers to always come before it
                yield "person", self.unknown_authors
                self.unknown_authors = []
            for start in range(0, len(slice_), BATCH):
                yield "message", slice_[start:start + BATCH]

    def _records(self, cls: type, row: Callable[[dict[str, Any]], T]) -> Iterator[T]:
        relpath = RECORD_FILES[cls]
        return _parsed(self.archive.lines(relpath), cls, relpath, row)

    def _number(self, user_id: str) -> int:
        """The person's seq: users.jsonl's order, then the unknown authors' as they are met."""
        seq = self.people[user_id] = len(self.people) + 1
        return seq

    def _listed(self, channel_id: str, kind: str) -> int:
        """The channel's seq: channels.jsonl's order."""
        self.channels.append((channel_id, kind in _PRIVATE_KINDS))
        return len(self.channels)

    def _person(self, user_id: str, name: str, email: str | None) -> tuple:
        return self._number(user_id), user_id, name, email, fold(name), fold(email) if email else None

    def _author(self, user_id: str) -> int:
        """The person's seq; an author missing from users.jsonl is indexed under their id."""
        if (seq := self.people.get(user_id)) is None:
            self.unknown_authors.append(person := self._person(user_id, user_id, None))
            seq = person[0]
        return seq

    def _channels(self) -> Iterator[tuple]:
        groups = dict(self._records(Group, lambda r: (r["id"], r["name"])))
        for channel_id, kind, name, group_id in self._records(
                Channel, lambda r: (r["id"], r["kind"], r["name"], r.get("group_id"))):
            group = groups.get(group_id) if group_id else None
            yield (self._listed(channel_id, kind), channel_id, kind, name, group_id, group, fold(name),
                   fold(group) if group else None)

    def _in_time_order(self) -> Iterator[list[tuple]]:
        """Every message row in time order, a slice (a list) at a time, in bounded memory and in
        time linear in the messages, however many channels hold them.

        Each channel's span is in time order. A heap holds each unfinished channel under the key
        of its next row (at first the key of its first line, read alone). A slice takes every row
        up to a horizon (a time): channels are popped from the heap in key order and parsed until
        their next row passes the horizon; that row waits, parsed, as the channel's new key. The
        slice is then sorted (in C: timsort merges the channels' runs) and handed out. Its cost is
        its rows plus the channels it touches, never every channel: tens of thousands of tiny
        private conversations cost what their messages cost. (Merging a window of every channel
        at a time grew with channels × windows: ten minutes for 0.9 million messages in 20,000
        channels.) The horizon moves so that a slice holds about _ROW_BUDGET / 2 rows. If a slice
        reaches _ROW_BUDGET first (many messages at one instant), only its rows before the heap's
        smallest key are handed out, as no unread row can come before it; the others go back to
        their channels, parsed, and the horizon draws nearer. Ties on (time, id) keep the
        channels' order.
        """
        spans = dict(self._records(MessageSpan, lambda r: (r["channel_id"], (
            r["file"], r["offset"], r["offset"] + r["length"], r["first_line"] - 1))))
        paths = {file: str(self.archive.data / file) for file in {span[0] for span in spans.values()}}
        by_seq: dict[int, _ChannelSpan] = {}
        for seq, (channel_id, private) in enumerate(self.channels, 1):
            if (span := spans.get(channel_id)) is not None:
                file, offset, end, lineno = span
                by_seq[seq] = _ChannelSpan(paths[file], file, seq, int(private), offset, end, lineno)
        del spans
        with _Files() as files:
            heap = [(*self._first_key(channel, files), seq, channel) for seq, channel in by_seq.items()]
            if not heap:
                return
            heapq.heapify(heap)
            target = _ROW_BUDGET // 2
            # The first slice: a small part of the time a slice of rows takes if the channels'
            # starts are spread like their messages; each next one is sized on the one before.
            firsts = sorted(at for at, *_ in heap)
            messages = max(1, self.archive.header.counts.messages)
            step = max(1, (firsts[-1] - firsts[0]) * target // messages // 8)
            horizon = firsts[0] + step
            del firsts
            while heap:
                rows: list[tuple] = []
                while heap and heap[0][0] <= horizon and len(rows) < _ROW_BUDGET:
                    self._drain(heapq.heappop(heap)[-1], horizon, rows, heap, files)
                rows.sort()
                # a (time, id, channel) key sorts before the rows that start with it
                cut = bisect_left(rows, heap[0][:3]) if heap else len(rows)
                yield rows[:cut]  # never empty: the first channel popped held the smallest key
                if cut < len(rows):
                    heap = self._give_back(rows[cut:], heap, by_seq)
                step = max(step // 4, 1, min(step * 2, step * target // len(rows)))
                if heap:  # after a full slice, from the earliest row left
                    horizon = max(horizon + step, heap[0][0]) if cut == len(rows) else heap[0][0] + step

    @staticmethod
    def _give_back(rows: list[tuple], heap: list[tuple], by_seq: dict[int, _ChannelSpan]) -> list[tuple]:
        """Put rows read past a full slice back at the head of their channels, and the channels
        back on the heap under their new first row (rare: the heap is rebuilt)."""
        back: dict[int, list[tuple]] = {}
        for row in rows:
            back.setdefault(row[2], []).append(row)
        heap = [entry for entry in heap if entry[2] not in back]
        for seq, parsed in back.items():
            channel = by_seq[seq]
            channel.parsed = [*parsed, *channel.parsed]
            heap.append((*parsed[0][:3], channel))
        heapq.heapify(heap)
        return heap

    def _first_key(self, channel: _ChannelSpan, files: _Files) -> tuple[int, str]:
        """(at_us, message id) of the channel's first message, read alone: the rest is read when
        the merge reaches it."""
        size = min(2048, channel.end - channel.offset)
        while True:
            data = os.pread(files.fd(channel.path), size, channel.offset)
            line = data[:data.find(b"\n") + 1 or len(data)]
            if line.endswith(b"\n") or size >= channel.end - channel.offset or len(data) < size:
                break
            size *= 2
        try:
            record = _decode_message(line)
            return utc_micros(record.created_at.utc), record.id
        except (msgspec.DecodeError, ValueError):
            _bad_record(Message, f"data/{channel.relpath} line {channel.lineno + 1}", line)

    def _drain(self, channel: _ChannelSpan, horizon: int, rows: list[tuple], heap: list[tuple],
               files: _Files) -> None:
        """Move the channel's rows into `rows` while they are no later than `horizon` and fewer
        than _ROW_BUDGET, then put it back on the heap under its next row (the hot loop of the
        reader: the rows already parsed, then lines)."""
        people, author_of, decode_line, dumps = self.people, self._author, _decode_message, orjson.dumps
        seq, private, append, budget = channel.seq, channel.private, rows.append, _ROW_BUDGET
        if parsed := channel.parsed:
            ready = 0
            while ready < len(parsed) and parsed[ready][0] <= horizon and len(rows) + ready < budget:
                ready += 1
            rows += parsed[:ready]
            channel.parsed = parsed[ready:]
            if channel.parsed:
                heapq.heappush(heap, (*channel.parsed[0][:3], channel))
                return
        while channel.lines or channel.read(files):
            lines, channel.lines = channel.lines, ()
            at = channel.line_at
            for index, line in enumerate(lines):
                try:
                    r = decode_line(line)
                    created, author = r.created_at.utc, r.author_id
                    reply_to, edited, deleted, title = r.reply_to_id, r.edited_at, r.deleted_at, r.title
                    row = (utc_micros(created), r.id, seq, at, r.thread_id,
                           0 if reply_to is None else reply_to, people.get(author) or author_of(author),
                           created, edited.utc if edited else 0, deleted.utc if deleted else 0,
                           private, 0 if title is None else title, r.text,
                           dumps(r.attachment_ids).decode() if r.attachment_ids else "[]")
                except (msgspec.DecodeError, ValueError):
                    _bad_record(Message, f"data/{channel.relpath} line {channel.lineno + index + 1}", line)
                at += len(line) + 1  # the lines were split at their newlines
                if row[0] > horizon or len(rows) >= budget:
                    channel.parsed, channel.lines, channel.line_at = [row], lines[index + 1:], at
                    channel.lineno += index + 1
                    heapq.heappush(heap, (*row[:3], channel))
                    return
                append(row)
            channel.lineno += len(lines)


def _bad_record(cls: type, where: str, line: bytes) -> NoReturn:
    """The validator's error for a line the fast path could not read (it names the field), else ours."""
    decode(cls, line, where)
    raise ArchiveError(f"{where}: a record the index cannot read") from None


class _Files:
    """Message files open for reading, at most _OPEN_FILES at a time (an archive may have thousands)."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def fd(self, path: str) -> int:
        if (fd := self.open.get(path)) is None:
            if len(self.open) >= _OPEN_FILES:
                os.close(self.open.pop(next(iter(self.open))))
            try:
                fd = self.open[path] = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                raise ArchiveError(f"{path}: missing, though data/message_index.jsonl lists messages "
                                   "in it") from None
        return fd

    def __enter__(self) -> _Files:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.open.values():
            os.close(fd)
        self.open.clear()


@dataclass(slots=True)
class _ChannelSpan:
    """A channel's span of a message file, read a chunk at a time as the merge reaches it."""

    path: str
    relpath: str
    seq: int
    private: int
    #: where the next chunk starts.
    offset: int
    #: where the span ends.
    end: int
    #: line number of the last line parsed.
    lineno: int
    #: lines read, not parsed yet (a tuple when none: a hundred thousand channels wait empty).
    lines: Sequence[bytes] = ()
    #: where the first of `lines` starts in the file: each row records its line's offset.
    line_at: int = 0
    #: rows parsed and not handed out, in order: the first comes after the horizon of the slice
    #: that read it (more only when a full slice gave them back).
    parsed: Sequence[tuple] = ()

    def read(self, files: _Files) -> bool:
        """Read the next chunk of whole lines into `lines`; False at the end of the span."""
        size = min(_CHUNK, self.end - self.offset)
        while size > 0:
            data = os.pread(files.fd(self.path), size, self.offset)
            # the span's last chunk, or a short read: a span past the end of its file stops there
            last = len(data) < size or self.offset + size >= self.end
            cut = len(data) if last else data.rfind(b"\n") + 1
            if cut:
                self.lines = data[:cut].split(b"\n")
                if not self.lines[-1]:
                    self.lines.pop()
                self.line_at = self.offset
                self.offset = self.end if last else self.offset + cut
                return bool(self.lines)
            size = min(size * 2, self.end - self.offset)  # a line longer than a chunk
        return False
