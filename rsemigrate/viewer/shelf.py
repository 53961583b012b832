"""The archives a viewer serves, each opened once: its reader, its index and what pages look up.

SQLite connections are not shared between concurrent requests: a request borrows a back end
from the archive's pool on first use and gives it back when it ends (the server runs each
request on a thread of its own, so a connection per thread would be a connection per request).
The server opens the shelf once and forks its workers after: what `warm` reads is shared by
them, and `close` empties the pool first, since a connection must never cross a fork.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import orjson

from ..archive import Archive, Message, decode, verify
from ..errors import ArchiveError
from ..search import ChannelSummary, SearchBackend, ensure_current, index_location, open_backend
from .state import SharedState, Verification

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str
    email: str | None
    title: str | None
    department: str | None
    state: str


@dataclass(eq=False)
class Shelved:
    """One served archive; `name` is its address in URLs (the folder's name, made unique)."""

    name: str
    archive: Archive
    index: Path
    state: SharedState
    _local: threading.local = field(default_factory=threading.local)
    _pool: queue.SimpleQueue[SearchBackend] = field(default_factory=queue.SimpleQueue)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> SearchBackend:
        """The back end this request holds, borrowed from the pool (or opened) on first use."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            try:
                backend = self._pool.get_nowait()
            except queue.Empty:
                backend = open_backend(self.index)
            self._local.backend = backend
        return backend

    @property
    def verification(self) -> Verification:
        return self.state.verification(self.name)

    def release(self) -> None:
        """Give the request's back end back to the pool (at the end of every request)."""
        backend = getattr(self._local, "backend", None)
        if backend is not None:
            self._local.backend = None
            self._pool.put(backend)

    @cached_property
    def files(self) -> dict[str, str]:
        """channel id → its message file (a channel is never split across files)."""
        return {span.channel_id: span.file for span in self.archive.spans()}

    @cached_property
    def people(self) -> dict[str, Person]:
        """Everyone in users.jsonl by id; read raw (not validated): the index build checked them."""
        people = {}
        for _, line in self.archive.lines("users.jsonl"):
            r = orjson.loads(line)
            people[r["id"]] = Person(r["id"], r["name"], r.get("email"), r.get("title"), r.get("department"),
                                     r.get("state", "active"))
        return people

    @cached_property
    def channels(self) -> list[ChannelSummary]:
        with self._lock:
            return self.backend.channel_summaries()

    @cached_property
    def channels_by_id(self) -> dict[str, ChannelSummary]:
        return {channel.channel_id: channel for channel in self.channels}

    def warm(self) -> None:
        """Read what the first pages need (people, channels), so the first visitor does not wait;
        done before the server forks, every worker shares them."""
        try:
            for lookup in ("files", "people", "channels_by_id"):
                getattr(self, lookup)
        finally:
            self.release()

    def close(self) -> None:
        """Close the pooled back ends (they reopen on use): no SQLite connection may cross a fork."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return

    def messages(self, channel_id: str, located: list[tuple[str, int]]) -> list[Message]:
        """The whole records of (message id, byte offset) pairs in the channel's message file, as
        the index locates them; a record that is not the one expected is an ArchiveError."""
        relpath = self.files.get(channel_id)
        if relpath is None:
            raise ArchiveError(f"channel {channel_id} has no messages in this archive")
        found = []
        with open(self.archive.data / relpath, "rb") as fh:
            for message_id, offset in located:
                fh.seek(offset)
                record = decode(Message, fh.readline(), f"data/{relpath} at byte {offset}")
                if record.id != message_id:
                    raise ArchiveError(f"data/{relpath} at byte {offset} holds message {record.id}, not "
                                       f"{message_id}: the index {self.index} does not match the archive")
                found.append(record)
        return found


def open_shelf(paths: list[Path], progress: Progress, state: SharedState) -> list[Shelved]:
    """Open each archive, build or reuse its index, and read what the first pages need."""
    shelf: list[Shelved] = []
    for path in paths:
        archive = Archive(path)
        index = index_location(path, None)
        backend = open_backend(index)
        try:
            ensure_current(backend, archive, progress)
        finally:
            backend.close()
        shelf.append(Shelved(_unique(path.resolve().name, {s.name for s in shelf}), archive, index, state))
    for shelved in shelf:
        shelved.warm()
    return shelf


def verify_shelf(shelf: list[Shelved]) -> None:
    """A fresh `verify` of each bag, its result recorded for every worker to show (run once, in the
    background: see server.py)."""
    for shelved in shelf:
        try:
            findings = [f"{f.kind}: {f.path}: {f.detail}" for f in verify(shelved.archive.path)]
        except ArchiveError as exc:
            findings = [str(exc)]
        except OSError as exc:  # a file that cannot be read fails the check, it does not leave it running
            findings = [f"{exc.filename or shelved.archive.path}: cannot be read ({exc.strerror})"]
        shelved.state.record_verification(shelved.name, Verification("failed" if findings else "passed",
                                                                     findings))


def _unique(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "-", name).strip("-") or "archive"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
