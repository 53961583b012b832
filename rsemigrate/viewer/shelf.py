"""The archives a viewer serves, each opened once: its reader, its index and what pages look up.

SQLite connections are per thread (the server answers requests on several threads), so each
thread opens its own back end on the shared index file, read-only.
"""

from __future__ import annotations

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

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str
    email: str | None
    title: str | None
    department: str | None
    state: str


@dataclass(slots=True)
class Verification:
    """A fresh `verify` of the bag, run in the background: pages show it when it is done."""

    state: str = "running"
    findings: list[str] = field(default_factory=list)

    def run(self, path: Path) -> None:
        try:
            self.findings = [f"{f.kind}: {f.path}: {f.detail}" for f in verify(path)]
            self.state = "failed" if self.findings else "passed"
        except ArchiveError as exc:
            self.findings, self.state = [str(exc)], "failed"


@dataclass(eq=False)
class Shelved:
    """One served archive; `name` is its address in URLs (the folder's name, made unique)."""

    name: str
    archive: Archive
    index: Path
    verification: Verification = field(default_factory=Verification)
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> SearchBackend:
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self._local.backend = open_backend(self.index)
        return backend

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

    def message(self, channel_id: str, offset: int) -> Message:
        """The whole record at `offset` of the channel's message file (the index says where)."""
        relpath = self.files.get(channel_id)
        if relpath is None:
            raise ArchiveError(f"channel {channel_id} has no messages in this archive")
        with open(self.archive.data / relpath, "rb") as fh:
            fh.seek(offset)
            line = fh.readline()
        return decode(Message, line, f"data/{relpath} at byte {offset}")


def open_shelf(paths: list[Path], progress: Progress) -> list[Shelved]:
    """Open each archive, build or reuse its index, and start a fresh verify of each bag."""
    shelf: list[Shelved] = []
    for path in paths:
        archive = Archive(path)
        index = index_location(path, None)
        backend = open_backend(index)
        try:
            ensure_current(backend, archive, progress)
        finally:
            backend.close()
        shelf.append(Shelved(_unique(path.resolve().name, {s.name for s in shelf}), archive, index))
    for shelved in shelf:
        threading.Thread(target=shelved.verification.run, args=(shelved.archive.path,),
                         name=f"verify-{shelved.name}", daemon=True).start()
    return shelf


def _unique(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "-", name).strip("-") or "archive"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
