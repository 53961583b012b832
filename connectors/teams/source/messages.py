"""Saved chatMessages into Messages, streamed one conversation at a time.

- Ids: Teams message ids are unique only within their channel or chat (source-formats.md §4.5), so
  a message is `<channel or chat id>:<message id>`; the raw id stays in `source.id`. A root is its
  own thread; a reply answers its root (`replyToId`); chat messages are each their own thread.
- Body: `body.content` as written, format `teams-html` (or `text` for contentType text); `text` is
  its plain rendering. `subject` is the title. A `systemEventMessage` is kind `system`, its text a
  line built from `eventDetail` (`events`), its author the event's initiator.
- `lastEditedDateTime` is the edit time; `lastModifiedDateTime` is not (reactions move it too).
- Deleted: `deletedDateTime`, or (a 2022 Graph regression returned it null) a body emptied of
  everything with no attachment left: then `lastModifiedDateTime` is taken as the deletion time and
  the guess is reported.
- Mentions from `<at id>` spans and `mentions[]` (`mentions`); one Reaction per person and type,
  with its time; inline images, files and cards as attachments (`attachments`).
- An item without an id or `createdDateTime` is quarantined with its JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rsemigrate.archive import Body, Message, MessageKind, Reaction, Record, ReportEntry, Timestamp
from rsemigrate.export import dump_record

from . import wire
from .attachments import Attachments
from .directory import Directory, timestamp
from .events import describe, identity_id
from .layout import Collection, SavedMessage
from .markup import BODY_FORMAT, is_emptied, parse
from .mentions import mentions

_CONSUMED = frozenset({"body", "mentions", "reactions", "createdDateTime", "lastEditedDateTime", "deletedDateTime",
                       "subject", "attachments", "replies", "replies@odata.nextLink"})


def message_key(conversation_id: str, message_id: str) -> str:
    return f"{conversation_id}:{message_id}"


class MessageReader:
    def __init__(self, collection: Collection, directory: Directory, attachments: Attachments) -> None:
        self._collection = collection
        self._directory = directory
        self._attachments = attachments

    def conversation(self, conversation: wire.Conversation) -> Iterator[Record]:
        for saved in self._collection.messages(conversation):
            yield from self._message(conversation, saved)

    def _message(self, conversation: wire.Conversation, saved: SavedMessage) -> Iterator[Record]:
        item, location = saved.item, saved.location
        if not isinstance(item, dict) or not item.get("id") or not item.get("createdDateTime"):
            yield ReportEntry("quarantined", "message", None, "unreadable message: no id or createdDateTime",
                              location=location, raw=dump_record(item, location))
            return
        mid = str(item["id"])
        key = message_key(conversation.id, mid)
        author_id, revealed = self._directory.author(item, location)
        yield from revealed
        body = wire.obj(item.get("body"))
        content = str(body.get("content") or "")
        html = str(body.get("contentType") or "html").lower() == "html"
        parsed = parse(content, html)
        system = item.get("messageType") in wire.SYSTEM_TYPES
        found, problems = mentions(content, parsed.spans, item.get("mentions"), key, location)
        yield from problems
        announced = self._attachments.announce(conversation, key, mid, item, parsed.hosted, location)
        yield from announced.records
        source = {k: v for k, v in item.items() if k not in _CONSUMED}
        if announced.kept:
            source["attachments"] = announced.kept
        deleted_at = timestamp(item.get("deletedDateTime"), location)
        if deleted_at is None and not system and is_emptied(content) and not item.get("attachments"):
            deleted_at = timestamp(item.get("lastModifiedDateTime"), location) or timestamp(item["createdDateTime"], location)
            source["deleted_inferred"] = True
            yield ReportEntry("degraded", "message", key, "emptied body without deletedDateTime (a known Graph "
                              "regression): taken as deleted at its lastModifiedDateTime", location=location)
        root = message_key(conversation.id, saved.root_id) if saved.root_id else None
        kind: MessageKind = "system" if system else ("reply" if root else "post")
        created = timestamp(item["createdDateTime"], location)
        assert created is not None
        yield Message(
            id=key, channel_id=conversation.id, thread_id=root or key, author_id=author_id, created_at=created,
            body=Body(BODY_FORMAT if html else "text", content),
            text=describe(item.get("eventDetail"), self._directory.name) if system else parsed.text,
            kind=kind, reply_to_id=root, title=item.get("subject") or None,
            edited_at=timestamp(item.get("lastEditedDateTime"), location), deleted_at=deleted_at,
            mentions=found, attachment_ids=announced.ids, reactions=_reactions(item.get("reactions"), location),
            source=source,
        )


def _reactions(items: Any, location: str) -> list[Reaction]:
    found: dict[tuple[str, str | None], Reaction] = {}
    for r in items if isinstance(items, list) else []:
        if isinstance(r, dict) and r.get("reactionType"):
            user = identity_id(r.get("user"))
            at: Timestamp | None = timestamp(r.get("createdDateTime"), location)
            found.setdefault((str(r["reactionType"]), user), Reaction(str(r["reactionType"]), user, at))
    return list(found.values())
