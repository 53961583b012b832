"""A saved Teams collection (folder or zip) into neutral records, one page at a time.

Order of work: the source (tenant, and the team's name when there is one), everyone every member
listing names (each User once), then per team its Group, its Channels and each channel's messages
(roots, each followed by its replies), then the chosen users' chats and their messages. What Graph
refused is reported `skipped`. People and the set of announced files are kept in memory; messages
never are: a page is parsed, turned into records and let go.

An unfinished collection (collect.json without `finished_at`) is refused: exporting it would
silently leave out what the interrupted run had not reached yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from rsemigrate.archive import Channel, FileStore, Group, Record, ReportEntry, SourceInfo
from rsemigrate.errors import InputError
from rsemigrate.export import Census, SourceTree

from . import wire
from .attachments import Attachments
from .coverage import COVERAGE
from .directory import Directory, chat_records, not_collected, read_people, team_records
from .layout import Collection
from .messages import MessageReader


def read(tree: SourceTree, files: FileStore, /) -> Iterator[Record]:
    collection = Collection(tree)
    request = collection.request
    if not request.finished_at:
        raise InputError(
            "the collection is not finished (collect.json has no finished_at): run the same "
            "`rsemigrate collect teams` again to complete it, then export",
            file=collection.entry(wire.COLLECT),
        )
    yield _source(collection)
    directory = Directory()
    census = Census(COVERAGE)
    yield from read_people(collection, directory, census)
    yield from directory.users()
    messages = MessageReader(collection, directory, Attachments(collection, files, census), census)
    for team_id in request.teams:
        team: Group | None = None
        for record in team_records(collection, team_id, census):
            if isinstance(record, Group):
                team = record  # announced after its messages, which may be all that names it
                continue
            yield record
            if isinstance(record, Channel):
                yield from _conversation(collection, messages, wire.Conversation.channel(team_id, record.id))
        if team is not None:
            yield from _named(team, messages.team_name(team_id), collection)
    for ref in request.users:
        if collection.document(f"{wire.user_folder(ref)}/{wire.USER}") is None:
            yield not_collected(collection, wire.user_folder(ref), "user", ref)
    for chat in chat_records(collection, directory, census):
        yield chat
        if isinstance(chat, Channel):
            yield from _conversation(collection, messages, wire.Conversation.chat(chat.id))
    yield from census.entries()


def _named(team: Group, from_events: str | None, collection: Collection) -> Iterator[Record]:
    """The team's Group; without a `displayName` in team.json, named by its latest renamed or
    created event, else by its id, and reported either way."""
    if not team.name:
        where = collection.entry(f"{wire.team_folder(team.id)}/{wire.TEAM}")
        team.name = from_events or f"team {team.id}"
        how = (f"named {from_events!r} after the latest event message that renamed or created it"
               if from_events else "no other collected answer names it, so it is named after its id")
        yield ReportEntry("degraded", "group", team.id, f"team.json has no displayName; {how}",
                          location=where)
    yield team


def _source(collection: Collection) -> SourceInfo:
    names = [
        str(node.get("displayName"))
        for team in collection.request.teams
        if (node := collection.document(f"{wire.team_folder(team)}/{wire.TEAM}")) and node.get("displayName")
    ]
    tenant = collection.request.tenant_id
    return SourceInfo("teams", tenant, names[0] if len(names) == 1 else None)


def _conversation(
    collection: Collection, messages: MessageReader, conversation: wire.Conversation
) -> Iterator[Record]:
    if collection.refused(conversation.messages) is not None:
        yield not_collected(
            collection, conversation.messages, "channel", conversation.id, "messages not collected"
        )
        return
    yield from messages.conversation(conversation)
