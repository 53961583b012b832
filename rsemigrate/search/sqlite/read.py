"""Reads an archive as rows for the index tables, messages in time order, in bounded memory.

Each channel file is already in time order, so a k-way merge of the files yields every message
in time order without sorting. Files are read a bounded number of lines at a time and reopened
as needed, so neither memory nor open files grow with the archive. Lines are parsed with orjson
(several times faster than validating); a line of the wrong shape is then validated properly,
so the error names its file, line and field. Only the person lookup grows, with the users.

For large archives the reading runs in a child process, so that parsing (Python) and writing
(SQLite) use two cores; the rows are the same either way.
"""

from __future__ import annotations

import heapq
import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson

from ...archive import RECORD_FILES, Archive, decode, message_file
from ...errors import ArchiveError
from ...records import Attachment, Channel, Group, Message, User
from ...timestamps import utc_micros
from .tables import fold

Table = Literal["person", "channel", "attachment", "message"]
Batch = tuple[Table, list[tuple]]
BATCH = 5_000
#: message lines held in read buffers across all channels (about 300 bytes each).
_LINE_BUDGET = 100_000
#: from this many messages on, reading in a child process pays for its start-up.
_CHILD_FROM = 100_000
_PRIVATE_KINDS = ("direct", "group_direct")
MESSAGE_COLUMNS = ("message_id", "thread_id", "reply_to_id", "channel_seq", "author_seq", "at_us",
                   "created_at", "edited_at", "deleted_at", "deleted", "edited", "private", "reply",
                   "has_attachment", "title", "text", "attachment_ids")
_TIME_ORDER = itemgetter(MESSAGE_COLUMNS.index("at_us"), MESSAGE_COLUMNS.index("message_id"))
T = TypeVar("T")


def read_batches(archive: Archive) -> Iterator[Batch]:
    """(table, rows) for every table, in an order the writer can follow as it goes."""
    if archive.header.counts.messages < _CHILD_FROM:
        return _ArchiveRows(archive).batches()
    return _from_child(archive.path)


def _from_child(path: Path) -> Iterator[Batch]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue(maxsize=4)
    child = context.Process(target=_read_into, args=(path, ready), name="rsemigrate-index-reader",
                            daemon=True)
    child.start()
    try:
        while True:
            try:
                item = ready.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise ArchiveError("the index reader stopped unexpectedly "
                                       f"(exit code {child.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        child.terminate()
        child.join()


def _read_into(path: Path, ready: Any) -> None:
    """The child process: every batch into `ready`, then None (or the exception that stopped it)."""
    try:
        for batch in _ArchiveRows(Archive(path)).batches():
            ready.put(batch)
        ready.put(None)
    except Exception as exc:  # re-raised by the parent
        ready.put(exc)


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


def _reopening_lines(path: Path, per_read: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file, reading `per_read` lines per open, so few files stay open."""
    offset, lineno = 0, 0
    while True:
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                lines = list(islice(fh, per_read))
                offset = fh.tell()
        except FileNotFoundError:
            return  # a channel without messages has no file
        for line in lines:
            lineno += 1
            yield lineno, line
        if len(lines) < per_read:
            return


def _batched(table: Table, rows: Iterable[tuple]) -> Iterator[Batch]:
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        yield table, batch


def _utc(stamp: dict[str, str] | None) -> str | None:
    return stamp["utc"] if stamp else None


class _ArchiveRows:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.people: dict[str, int] = {}
        #: people met as authors but missing from users.jsonl, not yet handed out.
        self.unknown_authors: list[tuple] = []
        #: (channel id, private) in channels.jsonl order: channel seq n is channels[n - 1].
        self.channels: list[tuple[str, bool]] = []

    def batches(self) -> Iterator[Batch]:
        yield from _batched("person", (self._person(*user) for user in self._records(
            User, lambda r: (r["id"], r["name"], r.get("email")))))
        yield from _batched("channel", self._channels())
        yield from _batched("attachment", self._records(Attachment, lambda r: (
            r["id"], r["kind"], r["status"], r.get("name"), r.get("sha256"), r.get("url"))))
        for _, batch in _batched("message", self._in_time_order()):
            if self.unknown_authors:  # the people a batch refers to always come before it
                yield "person", self.unknown_authors
                self.unknown_authors = []
            yield "message", batch

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

    def _in_time_order(self) -> Iterator[tuple]:
        per_read = max(16, min(1_000, _LINE_BUDGET // max(1, len(self.channels))))
        streams = []
        for channel_seq, (channel_id, private) in enumerate(self.channels, 1):
            relpath = message_file(channel_id)
            lines = _reopening_lines(self.archive.data / relpath, per_read)
            row = partial(self._message_row, channel_seq=channel_seq, private=private)
            streams.append(_parsed(lines, Message, relpath, row))
        return heapq.merge(*streams, key=_TIME_ORDER)

    def _message_row(self, r: dict[str, Any], *, channel_seq: int, private: bool) -> tuple:
        """A message record as a row of MESSAGE_COLUMNS."""
        created = r["created_at"]["utc"]
        reply_to = r.get("reply_to_id")
        attachments = r.get("attachment_ids")
        return (r["id"], r["thread_id"], reply_to, channel_seq, self._author(r["author_id"]),
                utc_micros(created), created, _utc(r.get("edited_at")), _utc(r.get("deleted_at")),
                r.get("deleted_at") is not None, r.get("edited_at") is not None, private,
                reply_to is not None or r["thread_id"] != r["id"], bool(attachments),
                r.get("title"), r["text"], orjson.dumps(attachments).decode() if attachments else "[]")
