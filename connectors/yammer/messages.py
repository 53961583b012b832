"""Messages.csv, streamed: a Message per row, plus what the row reveals for the first time.

A row may be the first sight of a sender missing from Users.csv, of a group missing from
Groups.csv, of an attachment or of a private conversation; those records are announced once, just
before the message. Private conversations become channels only after the last row, because their
member list is the union of every row's `participants` (people can be added along the way).

This is the only code that runs once per message, so it avoids per-row work that does not pay:
cells are picked by one itemgetter built from the header, bodies without `[` skip the mention
regex, and state (known channels, senders, conversations) is plain dicts and sets keyed by id.

A million rows are more than one core reads in time, so the file is cut into chunks of whole
rows (table.py, `chunks`), each read by a worker process (`_Speculation`) against the directory
as it was before the messages: it builds and serialises each row's message, and sends back what
the row changes of the state (the conversation it joins, the attachments it names). The reader
applies those in the file's order, so the records and their order are those of one pass; a row
whose reading depends on earlier rows is sent back whole and read here, in order.
"""

from __future__ import annotations

import io
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from operator import itemgetter

from rsemigrate.archive import (
    Body,
    Channel,
    Group,
    Mention,
    Message,
    MessageKind,
    Record,
    ReportEntry,
    parse_timestamp,
)
from rsemigrate.export import RECORD_ERRORS, Census, Prepared, failure, in_workers, ready, ready_all

from . import wire
from .attachments import Attachments
from .coverage import MESSAGE_COLUMNS
from .directory import ALL_COMPANY_ID, Directory, feed
from .markup import Token, attachment_tokens, participants, render
from .table import Chunk, Table, chunks

#: message_type values with a neutral kind of their own; any other (update, chat…) is post or reply.
_KINDS: dict[str, MessageKind] = {
    "announcement": "announcement", "question": "question", "system": "system", "poll": "poll",
    "praise": "praise", "event": "event",
}
BODY_FORMAT = "yammer-plain"
PRIVATE_PREFIX = "private-"
#: the rows a worker process reads at a time, in bytes of the file.
CHUNK_SIZE = 1 << 20


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

    def __iter__(self) -> Iterator[Record | Prepared]:
        yield from self._in_chunks()
        yield from self._conversation_channels()

    def _in_chunks(self) -> Iterator[Record | Prepared]:
        """The rows, read by worker processes a chunk at a time (`_Speculation`), their results
        applied here in order. A row a worker could not settle alone is read again here; after a
        chunk boundary that turns out not to fall between rows, the rest is read here, in order.
        """
        table = self._table
        held: deque[Chunk] = deque()  # chunks handed out, not yet applied

        def handed_out() -> Iterator[Chunk]:
            for chunk in chunks(table.blocks(CHUNK_SIZE), table.next_line, CHUNK_SIZE):
                held.append(chunk)
                yield chunk

        source = handed_out()
        if len(first := list(islice(source, 2))) < 2:  # one chunk: nothing to share out
            yield from self._in_sequence(table.part(_physical_lines(data for _, data in first),
                                                     first[0][0] if first else table.next_line))
            return
        join, announce, where = self._join, self._attachments.announce, table.where
        restart: Chunk | None = None  # where the rest must be read in order
        with in_workers(_Speculation(self).read_chunk, chain(first, source)) as results:
            for result in results:
                data = held.popleft()[1]
                for item in result:
                    tag = item[0]
                    if tag == "b":  # the usual rows: their messages, the conversations they join
                        for conversation in item[2]:
                            join(*conversation)
                        yield from item[1]
                    elif tag == "s":  # a row naming attachments: announced before its message
                        _, message, conversation, (line, tokens) = item
                        if conversation is not None:
                            join(*conversation)
                        for token in tokens:
                            yield from announce(Token(*token), where(line))
                        yield message
                    elif tag == "q":
                        yield item[1]
                    elif tag == "c":
                        yield from self._in_sequence(table.part(io.BytesIO(item[2].encode()), item[1]))
                    else:
                        restart = item[1], data[item[2]:]
                        break
                if restart is not None:
                    break
        if restart is not None:
            first_line, head = restart
            rest = chain([head], [data for _, data in held], (data for _, data in source))
            yield from self._in_sequence(table.part(_physical_lines(rest), first_line))

    def _in_sequence(self, table: Table) -> Iterator[Record]:
        """The rows of `table`, each read and applied here, in order."""
        self._table = table
        pending = self._pending
        build = self._build
        for item in table.rows("id"):
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

    def _build(self, line: int, cells: list[str]) -> Message | None:
        row: wire.MessageRow = _new_row(wire.MessageRow, self._pick(cells))
        table = self._table
        if not row.created_at or not row.sender_id.strip():
            missing = "created_at" if not row.created_at else "sender_id"
            self._pending.append(table.quarantine(line, f"empty {missing!r}"))
            return None
        mid = row.id
        if self._undeclared and (cells_met := {c: cells[i] for c, i in self._undeclared if cells[i]}):
            self._see(cells_met, mid, line)
        thread_id = row.thread_id or mid
        created_at = table.timestamp(row.created_at, line, "created_at")
        source = {name: cells[i] for name, i in self._extras if cells[i]}
        if not row.thread_id:
            self._pending.append(ReportEntry("degraded", "message", mid, "empty thread_id: taken as "
                                             "the root of its own thread", location=table.where(line)))
        if row.sender_id not in self._users:
            self._new_sender(row, source, line)
        text, mentions = self._render(row.body)
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
            self._new_feed(row, line)
        return row.group_id

    def _join_conversation(self, row: wire.MessageRow, thread_id: str, root_created: str) -> str:
        users, others = participants(row.participants)
        users.append(row.sender_id)
        self._join(thread_id, users, others, root_created)
        return PRIVATE_PREFIX + thread_id

    def _attach(self, cell: str, mid: str, line: int, source: dict[str, str]) -> list[str]:
        """Ids of the row's attachments, announcing new ones; text that is no token stays in source."""
        tokens, leftover = attachment_tokens(cell)
        if tokens:
            self._announce(tokens, line)
        if leftover:
            source["attachments"] = cell
            self._pending.append(ReportEntry(
                "degraded", "message", mid, f"attachments cell holds text that is no attachment token "
                f"({leftover!r}); the whole cell is kept in source.attachments",
                location=self._table.where(line)))
        return list(dict.fromkeys(token.id for token in tokens))

    # What a row changes or consults of the state of the whole file, one method each: a worker
    # process reading a chunk (see _Speculation) must not do any of it itself.

    def _see(self, cells: dict[str, str], mid: str, line: int) -> None:
        self._census.see("message", cells, mid, self._table.where(line))

    def _new_sender(self, row: wire.MessageRow, source: dict[str, str], line: int) -> None:
        kept = {"sender_type": source["sender_type"]} if "sender_type" in source else {}
        self._pending.extend(self._directory.sender(row.sender_id, row.sender_name, row.sender_email, kept,
                                                    self._table.where(line)))

    def _render(self, body: str) -> tuple[str, list[Mention]]:
        return render(body, self._directory.names)

    def _announce(self, tokens: list[Token], line: int) -> None:
        where = self._table.where(line)
        for token in tokens:
            self._pending.extend(self._attachments.announce(token, where))

    def _new_feed(self, row: wire.MessageRow, line: int) -> None:
        table = self._table
        self._feeds.add(row.group_id)
        group = Group(row.group_id, row.group_name or f"group {row.group_id}",
                      private=table.flag(row.in_private_group, line, "in_private_group"))
        self._pending += [group, feed(group), ReportEntry(
            "degraded", "group", group.id, "not in Groups.csv (unchanged during the export window?); "
            "rebuilt from the group_id, group_name and in_private_group cells of a message: "
            "description, dates and the deleted and external flags are unknown",
            location=table.where(line))]

    def _join(self, thread_id: str, users: Sequence[str], others: Sequence[str], root_created: str) -> None:
        conversation = self._conversations.get(thread_id)
        if conversation is None:
            conversation = self._conversations[thread_id] = _Conversation()
        conversation.members = _joined(conversation.members, users)
        if others:
            conversation.others = _joined(conversation.others, others)
        if root_created:
            conversation.created = root_created

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


class _Unsure(Exception):
    """The row depends on what earlier rows changed: it is read again, in order."""


class _Speculation(MessageReader):
    """What a worker process makes of a chunk of rows on its own.

    Each row's message is built and prepared there (`ready`), and comes back with what the row
    changes of the file's state (the conversation it joins, the attachments it names), which the
    reader process applies in order. A row that would consult or change anything else comes back
    as its text, to be read again in order: a sender or group missing from the directory, a
    mention of someone not in it (an earlier row may name them), an undeclared column, anything
    reported about the row. Those are few; the directory is the one read before the messages.
    """

    def __init__(self, reader: MessageReader) -> None:
        super().__init__(reader._table, reader._directory, reader._attachments, reader._census)
        self._feeds = reader._feeds  # read only: a group in it stays in it
        self._conversation: tuple[str, list[str], list[str], str] | None = None
        self._tokens: tuple[int, list[tuple[str, str, str]]] | None = None

    def read_chunk(self, chunk: Chunk) -> list[tuple]:
        """In order: ("b", messages, conversations) per run of settled rows (`ready_all`, with
        the conversations they join), ("s", message, conversation, tokens) per settled row naming
        attachments, ("q", entry) per quarantined row, ("c", line, text) per row to read again;
        last ("u", line, offset) if the chunk ends inside a row: the rest of the file must then be
        read in order from there."""
        first_line, data = chunk
        table = self._table = self._table.part(io.BytesIO(data), first_line)
        pending = self._pending
        out: list[tuple] = []
        run: list[Message] = []
        joins: list[tuple[str, list[str], list[str], str]] = []

        def end_run() -> None:
            if run:
                out.append(("b", ready_all(run), joins[:]))
                run.clear()
                joins.clear()

        for item in table.rows("id"):
            if table.exhausted:  # this row ran into the end of the chunk: the cut was inside it
                offset = len(data) - len(table.record_text().encode())
                end_run()
                out.append(("u", first_line + data.count(b"\n", 0, offset), offset))
                return out
            if item.__class__ is ReportEntry:
                end_run()
                out.append(("q", ready(item)))  # type: ignore[arg-type]
                continue
            self._conversation = self._tokens = None
            try:
                message = self._build(*item)  # type: ignore[misc]
            except (_Unsure, *RECORD_ERRORS):
                message = None
            if message is None or pending:
                pending.clear()
                end_run()
                out.append(("c", item[0], table.record_text()))  # type: ignore[index]
            elif self._tokens is not None:
                end_run()
                out.append(("s", ready(message), self._conversation, self._tokens))
            else:
                run.append(message)
                if self._conversation is not None:
                    joins.append(self._conversation)
        end_run()
        return out

    def _see(self, cells: dict[str, str], mid: str, line: int) -> None:
        raise _Unsure

    def _new_sender(self, row: wire.MessageRow, source: dict[str, str], line: int) -> None:
        raise _Unsure

    def _new_feed(self, row: wire.MessageRow, line: int) -> None:
        raise _Unsure

    def _render(self, body: str) -> tuple[str, list[Mention]]:
        text, mentions = render(body, self._directory.names)
        if mentions and any(m.kind == "user" and m.target_id not in self._users for m in mentions):
            raise _Unsure
        return text, mentions

    def _announce(self, tokens: list[Token], line: int) -> None:
        self._tokens = line, [(t.type, t.value, t.raw) for t in tokens]

    def _join(self, thread_id: str, users: Sequence[str], others: Sequence[str], root_created: str) -> None:
        self._conversation = thread_id, list(users), list(others), root_created


def _physical_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    for block in blocks:
        yield from io.BytesIO(block)
