"""Which messages a production or an edition takes: one selection language for every output.

A selection is a search query (the language of `rsemigrate search`) narrowed by channels, people
and a date range, all ANDed; several channels or several people are ORed among themselves. It is
resolved once against the search index into the ids it keeps, then outputs stream the archive and
ask `chosen.keeps(message)`. With `whole_threads`, a hit brings in every message of its thread,
so a reviewer sees the context of what matched. No criteria at all means the whole archive, and
then no index is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from .backend import SearchBackend
from .query import After, And, Before, From, In, Node, Or, Query, parse

if TYPE_CHECKING:
    from ..archive import Message


@dataclass(frozen=True, slots=True)
class Selection:
    """What was asked for, exactly as the user gave it: it is recorded in the output's provenance."""

    query: str | None = None
    channels: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    #: first and last day included (UTC).
    since: date | None = None
    until: date | None = None
    whole_threads: bool = False

    @property
    def everything(self) -> bool:
        return not (self.query or self.channels or self.people or self.since or self.until)

    def to_query(self) -> Query | None:
        """The selection as one query tree (None for everything); its text is runnable by `search`."""
        if self.everything:
            return None
        parts: list[tuple[str, Node]] = []
        if self.query:
            parsed = parse(self.query)
            parts.append((f"({parsed.text})", parsed.root))
        parts += _any_of(self.channels, "in", In)
        parts += _any_of(self.people, "from", From)
        if self.since:
            parts.append((f"after:{self.since.isoformat()}", After(_micros(self.since))))
        if self.until:
            after_last = self.until + timedelta(days=1)
            parts.append((f"before:{after_last.isoformat()}", Before(_micros(after_last))))
        text = " ".join(piece for piece, _ in parts)
        root = parts[0][1] if len(parts) == 1 else And(tuple(node for _, node in parts))
        return Query(text, root)

    def describe(self) -> dict[str, Any]:
        """The selection as plain JSON for provenance, with the query a search would run."""
        query = self.to_query()
        return {
            "query": self.query, "channels": list(self.channels), "people": list(self.people),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "threads": "whole" if self.whole_threads else "hits",
            "search_query": query.text if query else None,
        }


@dataclass(slots=True)
class Chosen:
    """The resolved selection: which message ids (or whole threads) it keeps."""

    #: None keeps every message.
    message_ids: frozenset[str] | None
    thread_ids: frozenset[str] = field(default_factory=frozenset)

    def keeps(self, message: Message) -> bool:
        return (self.message_ids is None or message.id in self.message_ids
                or message.thread_id in self.thread_ids)

    @property
    def hits(self) -> int | None:
        return None if self.message_ids is None else len(self.message_ids)


def resolve(selection: Selection, open_index: Callable[[], SearchBackend]) -> tuple[Chosen, list[From | In]]:
    """The ids the selection keeps, and the names in it that match nothing (to warn about).

    `open_index` returns a current index; it is called only when there are criteria, so a
    whole-archive output needs no index.
    """
    query = selection.to_query()
    if query is None:
        return Chosen(None), []
    backend = open_index()
    try:
        ids: set[str] = set()
        threads: set[str] = set()
        for message_id, thread_id in backend.matches(query):
            ids.add(message_id)
            threads.add(thread_id)
        chosen = Chosen(frozenset(ids), frozenset(threads) if selection.whole_threads else frozenset())
        return chosen, backend.unmatched(query)
    finally:
        backend.close()


def _any_of(values: tuple[str, ...], name: str, node: Callable[[str], Node]) -> list[tuple[str, Node]]:
    if not values:
        return []
    texts = [f'{name}:"{value}"' for value in values]
    if len(values) == 1:
        return [(texts[0], node(values[0]))]
    return [(f"({' OR '.join(texts)})", Or(tuple(node(value) for value in values)))]


def _micros(day: date) -> int:
    start = datetime.combine(day, time(), UTC)
    return (start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
