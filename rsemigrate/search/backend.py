"""What every search back end offers, and the plain results it hands back.

The CLI, the thread view and the hit report speak only to `SearchBackend`; SQLite FTS5
(`sqlite/`) is the default implementation. A PostgreSQL or OpenSearch back end implements the
same protocol and translates the same `Query` tree, so none of the commands change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..archive import Archive
from ..errors import InputError
from .query import From, In, Query

Sort = Literal["newest", "oldest", "relevance"]
#: progress(phase, advance, total or None): `advance` is the work done since the last call in
#: that phase (e.g. messages), `total` the phase's size when known. Phases are human labels.
BuildProgress = Callable[[str, int, int | None], None]
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class Snippet:
    """An excerpt of a message; the matched terms are wrapped in MARK_OPEN / MARK_CLOSE."""

    raw: str

    def marked(self, open_: str = "[", close: str = "]") -> str:
        return self.raw.replace(MARK_OPEN, open_).replace(MARK_CLOSE, close)

    def parts(self) -> Iterator[tuple[str, bool]]:
        """(fragment, is a match) in order: for renderers that style matches."""
        rest = self.raw
        while rest:
            before, sep, after = rest.partition(MARK_OPEN)
            if before:
                yield before, False
            if not sep:
                return
            match, _, rest = after.partition(MARK_CLOSE)
            yield match, True


@dataclass(frozen=True, slots=True)
class Hit:
    message_id: str
    thread_id: str
    reply_to_id: str | None
    channel: str
    group: str | None
    author_name: str
    author_email: str | None
    #: RFC 3339, UTC.
    created_at: str
    snippet: Snippet
    deleted: bool
    private: bool
    #: attachment names (a link's URL when it has no name).
    attachments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """An attachment as the archive records it; the thread view re-hashes stored files."""

    attachment_id: str
    name: str | None
    #: "present", "missing" or "external" as exported; None when the archive lacks the record.
    status: str | None
    sha256: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    message_id: str
    reply_to_id: str | None
    author_name: str
    author_email: str | None
    created_at: str
    edited_at: str | None
    deleted_at: str | None
    deleted: bool
    title: str | None
    text: str
    attachments: tuple[AttachmentRef, ...]


@dataclass(frozen=True, slots=True)
class Thread:
    thread_id: str
    channel: str
    group: str | None
    #: every message of the thread in the archive, oldest first.
    messages: tuple[ThreadMessage, ...]


@dataclass(frozen=True, slots=True)
class TermHits:
    """One search term's line in a hit report."""

    query: Query
    hits: int
    #: messages this term matches and no other term of the report does.
    unique_hits: int
    threads: int
    #: ids of those threads when asked for, sorted.
    thread_ids: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class HitReport:
    terms: tuple[TermHits, ...]
    #: messages and threads matched by at least one term.
    any_hits: int
    any_threads: int


@dataclass(frozen=True, slots=True)
class BuildReport:
    location: str
    messages: int
    seconds: float


class SearchBackend(Protocol):
    """A search index derived from one archive; never stored inside the archive itself."""

    location: Path | str

    def staleness(self, archive: Archive) -> str | None:
        """Why the index must be (re)built for `archive`, or None when it matches its seal."""

    def build(self, archive: Archive, progress: BuildProgress) -> BuildReport:
        """(Re)build the whole index from the archive, replacing the old one only when done."""

    def search(self, query: Query, *, sort: Sort, limit: int, offset: int) -> list[Hit]: ...

    def count(self, query: Query) -> int: ...

    def matches(self, query: Query) -> Iterator[tuple[str, str]]:
        """(message id, thread id) of every matching message, in archive order: for selections."""

    def unmatched(self, query: Query) -> list[From | In]:
        """The query's `from:` and `in:` filters that name nobody and no channel in the archive."""

    def thread(self, message_id: str) -> Thread:
        """The thread holding `message_id` (any of its messages); InputError when unknown."""

    def hit_report(self, terms: Sequence[Query], *, with_thread_ids: bool) -> HitReport:
        """Hits per term, in order, computed without holding hit lists in memory."""

    def close(self) -> None: ...


INDEX_SUFFIX = ".index.sqlite"


def index_location(archive: Path, requested: Path | None) -> Path:
    """Where the index lives: `requested`, or `ARCHIVE.index.sqlite` beside the archive folder.

    Never inside the bag: a file added to its payload would break the bag's fixity.
    """
    folder = archive.resolve()
    location = (requested or folder.parent / f"{folder.name}{INDEX_SUFFIX}").resolve()
    if location.is_relative_to(folder):
        raise InputError(f"{location}: the index must live outside the archive folder {folder}, "
                         "whose content is sealed")
    return location


def open_backend(location: Path) -> SearchBackend:
    """The default back end (SQLite FTS5). Others would be chosen here, by location or option."""
    from .sqlite.backend import SqliteBackend

    return SqliteBackend(location)


def ensure_current(backend: SearchBackend, archive: Archive, progress: BuildProgress, *,
                   force: bool = False) -> tuple[str, BuildReport] | None:
    """Build the index if it is missing or stale: (why, report), or None when it was current."""
    reason = "a rebuild was requested" if force else backend.staleness(archive)
    if reason is None:
        return None
    return reason, backend.build(archive, progress)
