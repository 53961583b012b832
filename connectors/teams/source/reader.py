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

from rsemigrate.archive import Channel, FileStore, Record, SourceInfo
from rsemigrate.errors import InputError
from rsemigrate.export import SourceTree

from . import wire
from .attachments import Attachments
from .directory import Directory, chat_records, not_collected, read_people, team_records
from .layout import Collection
from .messages import MessageReader


def read(tree: SourceTree, files: FileStore, /) -> Iterator[Record]:
    collection = Collection(tree)
    request = collection.request
    if not request.finished_at:
        raise InputError("the collection is not finished (collect.json has no finished_at): run the same "
                         "`rsemigrate collect teams` again to complete it, then export", file=collection.entry(wire.COLLECT))
    yield _source(collection)
    directory = Directory()
    yield from read_people(collection, directory)
    yield from directory.users()
    messages = MessageReader(collection, directory, Attachments(collection, files))
    for team_id in request.teams:
        for record in team_records(collection, team_id):
            yield record
            if isinstance(record, Channel):
                yield from _conversation(collection, messages, wire.Conversation.channel(team_id, record.id))
    for ref in request.users:
        if collection.document(f"{wire.user_folder(ref)}/{wire.USER}") is None:
            yield not_collected(collection, wire.user_folder(ref), "user", ref)
    for chat in chat_records(collection, directory):
        yield chat
        yield from _conversation(collection, messages, wire.Conversation.chat(chat.id))


def _source(collection: Collection) -> SourceInfo:
    names = [str(node.get("displayName")) for team in collection.request.teams
             if (node := collection.document(f"{wire.team_folder(team)}/{wire.TEAM}")) and node.get("displayName")]
    tenant = collection.request.tenant_id
    return SourceInfo("teams", tenant, names[0] if len(names) == 1 else None)


def _conversation(collection: Collection, messages: MessageReader, conversation: wire.Conversation) -> Iterator[Record]:
    if collection.refused(conversation.messages) is not None:
        yield not_collected(collection, conversation.messages, "channel", conversation.id, "messages not collected")
        return
    yield from messages.conversation(conversation)
