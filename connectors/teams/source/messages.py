"""Saved chatMessages into Messages, streamed one conversation at a time.

- Ids: Teams message ids are unique only within their channel or chat (source-formats.md §4.5), so
  a message is `<channel or chat id>:<message id>`; the raw id stays in `source.id`. A root is its
  own thread; a reply answers its root (`replyToId`); chat messages are each their own thread.
- Body: `body.content` as written, format `teams-html` (or `text` for contentType text); `text` is
  its plain rendering. `subject` is the title. A `systemEventMessage` is kind `system`, its text a
  line built from `eventDetail` (`events`), its author the event's initiator.
- `lastEditedDateTime` is the edit time; `lastModifiedDateTime` is not (reactions move it too).
- System events: `messageType` systemEventMessage, or `unknownFutureValue` with an `eventDetail`:
  what Graph answers for a system event when the request lacks `Prefer:
  include-unknown-enum-members` (collections saved before the collector sent it, or by other tools).
- Deleted: only with `deletedDateTime`. An empty body alone proves nothing (a system event read as
  `unknownFutureValue`, a card-only message): such a message is kept as it is and reported.
- Incomplete threads: a root whose expanded `replies` were cut (`replies@odata.nextLink`) but whose
  /replies pages were not collected is read from its partial inline list and reported.
- Team names: a `teamDisplayName` in a team's event messages (renamed, created) names a team whose
  team.json has no `displayName` (see reader).
- Mentions from `<at id>` spans and `mentions[]` (`mentions`); one Reaction per person and type,
  with its time; inline images, files and cards as attachments (`attachments`).
- An item without an id or `createdDateTime` is quarantined with its JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rsemigrate.archive import Body, Message, MessageKind, Reaction, Record, ReportEntry, Timestamp
from rsemigrate.export import Census, dump_record, guarded

from . import wire
from .attachments import Attachments
from .directory import Directory, timestamp
from .events import describe, event_kind, identity_id
from .layout import Collection, SavedMessage
from .markup import BODY_FORMAT, is_emptied, parse
from .mentions import mentions

_CONSUMED = frozenset(
    {
        "body",
        "mentions",
        "reactions",
        "createdDateTime",
        "lastEditedDateTime",
        "deletedDateTime",
        "subject",
        "attachments",
        "replies",
        "replies@odata.nextLink",
    }
)
_TEAM_NAMING = frozenset({"teamRenamed", "teamCreated"})


def message_key(conversation_id: str, message_id: str) -> str:
    return f"{conversation_id}:{message_id}"


class MessageReader:
    def __init__(self, collection: Collection, directory: Directory, attachments: Attachments,
                 census: Census) -> None:
        self._collection = collection
        self._directory = directory
        self._attachments = attachments
        self._census = census
        #: team id → (time, name) of the latest event message naming the team.
        self._team_names: dict[str, tuple[str, str]] = {}

    def team_name(self, team_id: str) -> str | None:
        """The team's name as its latest renamed or created event gave it, if one was read."""
        named = self._team_names.get(team_id)
        return named[1] if named else None

    def conversation(self, conversation: wire.Conversation) -> Iterator[Record]:
        for saved in self._collection.messages(conversation):
            yield from guarded(self._message(conversation, saved), "message", saved.item, saved.location)

    def _message(self, conversation: wire.Conversation, saved: SavedMessage) -> Iterator[Record]:
        item, location = saved.item, saved.location
        if not isinstance(item, dict) or not item.get("id") or not item.get("createdDateTime"):
            yield ReportEntry("quarantined", "message", None, "unreadable message: no id or createdDateTime",
                              location=location, raw=dump_record(item, location))
            return
        mid = str(item["id"])
        key = message_key(conversation.id, mid)
        self._census.see("message", item, key, location)
        author_id, revealed = self._directory.author(item, location)
        yield from revealed
        body = wire.obj(item.get("body"))
        content = str(body.get("content") or "")
        html = str(body.get("contentType") or "html").lower() == "html"
        parsed = parse(content, html)
        detail = item.get("eventDetail")
        system = item.get("messageType") in wire.SYSTEM_TYPES or (
            item.get("messageType") == wire.UNKNOWN_ENUM and isinstance(detail, dict) and bool(detail))
        if system and isinstance(detail, dict) and event_kind(detail) in _TEAM_NAMING:
            self._learn_team_name(detail, str(item["createdDateTime"]))
        found, problems = mentions(content, parsed.spans, item.get("mentions"), key, location)
        yield from problems
        announced = self._attachments.announce(conversation, key, mid, item, parsed.hosted, location)
        yield from announced.records
        source = {k: v for k, v in item.items() if k not in _CONSUMED}
        if announced.kept:
            source["attachments"] = announced.kept
        deleted_at = timestamp(item.get("deletedDateTime"), location)
        if deleted_at is None and not system and is_emptied(content) and not item.get("attachments"):
            yield ReportEntry("degraded", "message", key, _EMPTY.get(item.get("messageType"), _EMPTY[None]),
                              location=location)
        if saved.root_id is None and item.get("replies@odata.nextLink") \
                and not self._collection.listed(conversation.replies(mid)):
            yield _incomplete_thread(key, item, location)
        root = message_key(conversation.id, saved.root_id) if saved.root_id else None
        kind: MessageKind = "system" if system else ("reply" if root else "post")
        created = timestamp(item["createdDateTime"], location)
        assert created is not None
        yield Message(
            id=key,
            channel_id=conversation.id,
            thread_id=root or key,
            author_id=author_id,
            created_at=created,
            body=Body(BODY_FORMAT if html else "text", content),
            text=describe(item.get("eventDetail"), self._directory.name) if system else parsed.text,
            kind=kind,
            reply_to_id=root,
            title=item.get("subject") or None,
            edited_at=timestamp(item.get("lastEditedDateTime"), location),
            deleted_at=deleted_at,
            mentions=found,
            attachment_ids=announced.ids,
            reactions=_reactions(item.get("reactions"), location),
            source=source,
        )


    def _learn_team_name(self, detail: dict[str, Any], at: str) -> None:
        team_id, name = detail.get("teamId"), detail.get("teamDisplayName")
        if isinstance(team_id, str) and isinstance(name, str) and name:
            if team_id not in self._team_names or self._team_names[team_id][0] < at:
                self._team_names[team_id] = (at, name)


_EMPTY = {
    None: "empty body, no attachment and no deletedDateTime: kept as an empty message, not taken as "
          "deleted (Graph dates every deletion it reports; the content may have been lost before collection)",
    wire.UNKNOWN_ENUM: "messageType unknownFutureValue without an eventDetail and with an empty body: a "
                       "message of a kind Graph did not name (collected without `Prefer: "
                       "include-unknown-enum-members`); kept as an empty message, not taken as deleted",
}


def _incomplete_thread(key: str, item: dict[str, Any], location: str) -> ReportEntry:
    inline = item.get("replies") if isinstance(item.get("replies"), list) else []
    total = item.get("replies@odata.count")
    of = f" of {total}" if isinstance(total, int) else ""
    return ReportEntry("degraded", "message", key, f"incomplete thread: only {len(inline)}{of} replies were "
                       "collected (those inline in the root); its `replies@odata.nextLink` was not followed, "
                       "so the later replies are not in the archive: collect the channel again",
                       location=location)


def _reactions(items: Any, location: str) -> list[Reaction]:
    found: dict[tuple[str, str | None], Reaction] = {}
    for r in items if isinstance(items, list) else []:
        if isinstance(r, dict) and r.get("reactionType"):
            user = identity_id(r.get("user"))
            at: Timestamp | None = timestamp(r.get("createdDateTime"), location)
            found.setdefault((str(r["reactionType"]), user), Reaction(str(r["reactionType"]), user, at))
    return list(found.values())
