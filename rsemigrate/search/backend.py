"""What every search back end offers, and the plain results it hands back.

The CLI, the thread view and the hit report speak only to `SearchBackend`; SQLite FTS5
(`sqlite/`) is the default implementation. A PostgreSQL or OpenSearch back end implements the
same protocol and translates the same `Query` tree, so none of the commands change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from .query import From, In, Query

if TYPE_CHECKING:
    from ..archive import Archive

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
    #: the author's user id, for links to the person (not part of the CLI's JSON and CSV).
    author_id: str | None = None


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
    author_id: str | None = None
    #: byte offset of the whole record in its channel's message file (see `Thread.channel_id`).
    record_at: int | None = None


@dataclass(frozen=True, slots=True)
class Thread:
    thread_id: str
    channel: str
    group: str | None
    #: every message of the thread in the archive, oldest first.
    messages: tuple[ThreadMessage, ...]
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """A channel as a browser lists it: what it is and how active."""

    channel_id: str
    kind: str
    name: str
    group_id: str | None
    group: str | None
    messages: int
    #: RFC 3339 of its newest message; None when it has none.
    last_at: str | None


@dataclass(frozen=True, slots=True)
class Facets:
    """How the hits of a query spread, counted over its newest `counted` hits."""

    counted: int
    #: True when the query has more hits than were counted.
    capped: bool
    #: (channel id, name, group, hits), most hits first.
    channels: tuple[tuple[str, str, str | None, int], ...]
    #: (user id, name, e-mail, hits), most hits first.
    authors: tuple[tuple[str, str, str | None, int], ...]
    #: (year, hits), newest first.
    years: tuple[tuple[int, int], ...]
    with_attachment: int


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

    def built_from(self) -> str | None:
        """The seal of the archive the index was built from; None without a usable index."""

    def build(self, archive: Archive, progress: BuildProgress) -> BuildReport:
        """(Re)build the whole index from the archive, replacing the old one only when done."""

    def search(self, query: Query, *, sort: Sort, limit: int, offset: int) -> list[Hit]: ...

    def count(self, query: Query, *, limit: int | None = None) -> int:
        """How many messages match, counting no further than `limit` when given (a page's "10,000+")."""

    def matches(self, query: Query) -> Iterator[tuple[str, str]]:
        """(message id, thread id) of every matching message, in archive order: for selections."""

    def unmatched(self, query: Query) -> list[From | In]:
        """The query's `from:` and `in:` filters that name nobody and no channel in the archive."""

    def thread(self, message_id: str) -> Thread:
        """The thread holding `message_id` (any of its messages); InputError when unknown."""

    def hit_report(self, terms: Sequence[Query], *, with_thread_ids: bool) -> HitReport:
        """Hits per term, in order, computed without holding hit lists in memory."""

    def attachment(self, attachment_id: str) -> AttachmentRef | None:
        """The attachment record with this id, or None when the archive has none."""

    def facets(self, query: Query, *, cap: int, top: int) -> Facets:
        """The `top` channels and authors, the years and has:attachment of the newest `cap` hits."""

    def channel_summaries(self) -> list[ChannelSummary]:
        """Every channel with its message count and newest message, in the archive's order."""

    def close(self) -> None: ...
