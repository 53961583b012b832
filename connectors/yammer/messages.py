"""Messages.csv, streamed: a Message per row, plus what the row reveals for the first time.

A row may be the first sight of a sender missing from Users.csv, of a group missing from
Groups.csv, of an attachment or of a private conversation; those records are announced once, just
before the message. Private conversations become channels only after the last row, because their
member list is the union of every row's `participants` (people can be added along the way).

This is the only code that runs once per message, so it avoids per-row work that does not pay:
cells are picked by one itemgetter built from the header, bodies without `[` skip the mention
regex, and state (known channels, senders, conversations) is plain dicts and sets keyed by id.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter

from rsemigrate.archive import (
    Body,
    Channel,
    Group,
    Message,
    MessageKind,
    Record,
    ReportEntry,
    parse_timestamp,
)
from rsemigrate.export import RECORD_ERRORS, Census, failure

from . import wire
from .attachments import Attachments
from .coverage import MESSAGE_COLUMNS
from .directory import ALL_COMPANY_ID, Directory, feed
from .markup import attachment_tokens, participants, render
from .table import Table

#: message_type values with a neutral kind of their own; any other (update, chat…) is post or reply.
_KINDS: dict[str, MessageKind] = {
    "announcement": "announcement", "question": "question", "system": "system", "poll": "poll",
    "praise": "praise", "event": "event",
}
BODY_FORMAT = "yammer-plain"
PRIVATE_PREFIX = "private-"


@dataclass(slots=True)
class _Conversation:
    """A private conversation seen so far: members in order of first appearance, and the root's
    created_at cell (parsed again at the end: it parsed once already).

    Kept small: a network holds tens of thousands of them until the last row, so tuples and the
    cell rather than dicts and a Timestamp (the 1M-message export's reader peaked 40 MB lower).
    """

    members: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    created: str = ""


#: a row's cells as a MessageRow without `_make`'s length check: `_pick` gives every field.
_new_row = tuple.__new__


def _joined(known: tuple[str, ...], more: Sequence[str]) -> tuple[str, ...]:
    """`known`, then the ids of `more` it lacks, in order of first appearance (most rows add none).

    The ids are interned: a network's conversations are among its few thousand people, and each
    row's cells are new strings, which tens of thousands of conversations would otherwise keep.
    """
    if all(map(known.__contains__, more)):  # in C: no frame for the usual row
        return known
    return (*known, *map(sys.intern, dict.fromkeys(one for one in more if one not in known)))


class MessageReader:
    """Iterates the records of Messages.csv; the per-export state lives here, not in globals."""

    def __init__(self, table: Table, directory: Directory, attachments: Attachments, census: Census) -> None:
        self._table = table
        self._directory = directory
        self._attachments = attachments
        self._pick = itemgetter(*(table.index(column) for column in wire.MessageRow._fields))
        self._extras = [(c, i) for i, c in enumerate(table.header) if c not in wire.MESSAGE_CONSUMED]
        self._census = census
        #: the columns the census counts: those the coverage does not declare (usually none).
        self._undeclared = [(c, i) for i, c in enumerate(table.header) if c not in MESSAGE_COLUMNS]
        self._users = directory.names["user"]
        self._feeds: set[str] = {ALL_COMPANY_ID, *directory.names["group"]}
        self._conversations: dict[str, _Conversation] = {}
        #: records a row revealed, yielded just before its message.
        self._pending: list[Record] = []

    def __iter__(self) -> Iterator[Record]:
        pending = self._pending
        build = self._build
        for item in self._table.rows("id"):
            if item.__class__ is ReportEntry:
                yield item  # type: ignore[misc]
                continue
            try:
                message = build(*item)  # type: ignore[misc]
            except RECORD_ERRORS as exc:
                message = None
                pending.append(self._table.quarantine(item[0], failure(exc)))  # type: ignore[index]
            if pending:
                yield from pending
                pending.clear()
            if message is not None:
                yield message
        yield from self._conversation_channels()

    def _build(self, line: int, cells: list[str]) -> Message | None:
        row: wire.MessageRow = _new_row(wire.MessageRow, self._pick(cells))
        table = self._table
        if not row.created_at or not row.sender_id.strip():
            missing = "created_at" if not row.created_at else "sender_id"
            self._pending.append(table.quarantine(line, f"empty {missing!r}"))
            return None
        mid = row.id
        if self._undeclared and (cells_met := {c: cells[i] for c, i in self._undeclared if cells[i]}):
            self._census.see("message", cells_met, mid, table.where(line))
        thread_id = row.thread_id or mid
        created_at = table.timestamp(row.created_at, line, "created_at")
        source = {name: cells[i] for name, i in self._extras if cells[i]}
        if not row.thread_id:
            self._pending.append(ReportEntry("degraded", "message", mid, "empty thread_id: taken as "
                                             "the root of its own thread", location=table.where(line)))
        if row.sender_id not in self._users:
            self._pending.extend(self._directory.sender(
                row.sender_id, row.sender_name, row.sender_email,
                {"sender_type": source["sender_type"]} if "sender_type" in source else {}, table.where(line)))
        text, mentions = render(row.body, self._directory.names)
        attachment_ids = self._attach(row.attachments, mid, line, source) if row.attachments else []
        return Message(
            id=mid,
            channel_id=self._channel(line, row, thread_id),
            thread_id=thread_id,
            author_id=row.sender_id,
            created_at=created_at,  # type: ignore[arg-type]
            body=Body(BODY_FORMAT, row.body),
            text=text,
            kind=_KINDS.get(row.message_type.lower()) or ("post" if mid == thread_id else "reply"),
            reply_to_id=row.replied_to_id or None,
            title=row.title or None,
            deleted_at=table.timestamp(row.deleted_at, line, "deleted_at") if row.deleted_at else None,
            deleted_by_id=row.deleted_by_id or None,
            mentions=mentions,
            attachment_ids=attachment_ids,
            source=source,
        )

    def _channel(self, line: int, row: wire.MessageRow, thread_id: str) -> str:
        """The row's channel id: its private conversation, its group's feed or All Company."""
        table = self._table
        flag = row.in_private_conversation
        if flag == "true" or row.scope_type == wire.PRIVATE_SCOPE \
                or (flag not in ("false", "") and table.flag(flag, line, "in_private_conversation")):
            return self._join_conversation(row, thread_id, row.created_at if row.id == thread_id else "")
        if not row.group_id:
            return ALL_COMPANY_ID
        if row.group_id not in self._feeds:
            self._feeds.add(row.group_id)
            group = Group(row.group_id, row.group_name or f"group {row.group_id}",
                          private=table.flag(row.in_private_group, line, "in_private_group"))
            self._pending += [group, feed(group), ReportEntry(
                "degraded", "group", group.id, "not in Groups.csv (unchanged during the export window?); "
                "rebuilt from the group_id, group_name and in_private_group cells of a message: "
                "description, dates and the deleted and external flags are unknown",
                location=table.where(line))]
        return row.group_id

    def _join_conversation(self, row: wire.MessageRow, thread_id: str, root_created: str) -> str:
        conversation = self._conversations.get(thread_id)
        if conversation is None:
            conversation = self._conversations[thread_id] = _Conversation()
        users, others = participants(row.participants)
        users.append(row.sender_id)
        conversation.members = _joined(conversation.members, users)
        if others:
            conversation.others = _joined(conversation.others, others)
        if root_created:
            conversation.created = root_created
        return PRIVATE_PREFIX + thread_id

    def _attach(self, cell: str, mid: str, line: int, source: dict[str, str]) -> list[str]:
        """Ids of the row's attachments, announcing new ones; text that is no token stays in source."""
        tokens, leftover = attachment_tokens(cell)
        where = self._table.where(line)
        for token in tokens:
            self._pending.extend(self._attachments.announce(token, where))
        if leftover:
            source["attachments"] = cell
            self._pending.append(ReportEntry("degraded", "message", mid, f"attachments cell holds text "
                                             f"that is no attachment token ({leftover!r}); the whole cell "
                                             "is kept in source.attachments", location=where))
        return list(dict.fromkeys(token.id for token in tokens))

    def _conversation_channels(self) -> Iterator[Channel]:
        """One direct (two members) or group_direct channel per private conversation."""
        names = self._users
        for thread_id, conversation in self._conversations.items():
            members = list(conversation.members)
            source: dict[str, object] = {"thread_id": thread_id}
            if conversation.others:
                source["other_participants"] = list(conversation.others)
            yield Channel(
                PRIVATE_PREFIX + thread_id,
                "direct" if len(members) <= 2 else "group_direct",
                "Private conversation: " + ", ".join(names.get(m, f"user {m}") for m in members),
                private=True,
                member_ids=members,
                created_at=parse_timestamp(conversation.created) if conversation.created else None,
                source=source,
            )
