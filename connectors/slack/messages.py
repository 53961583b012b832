"""Day files, streamed: a Message per record, plus what a record reveals for the first time.

- Ids: `ts` is unique only within a channel, so a message is `<channel id>:<ts>` (ts kept in
  `source.ts`); its thread is `<channel id>:<thread_ts>`. A reply (`thread_ts` ≠ `ts`) answers
  the root: Slack threads are flat. A `thread_broadcast` is such a reply that was also shown in
  the channel; it is one message, flagged by `source.subtype`. Replies may sit in later day
  files than their root, or have a root outside the export (the engine reports those).
- Kinds: the channel-event subtypes of `wire.SYSTEM_SUBTYPES` are `system`; other subtypes,
  known or not, stay ordinary posts and replies with `source.subtype`.
- Authors: `user`; for `bot_message` the bot user owning `bot_id`, else `user`, else `bot_id`,
  else `username:<username>`; for a `file_comment` before 2019, `comment.user`. A sender the
  user lists do not know is rebuilt (see directory); a `bot_add` tells which integration a bot is.
- Text: the body keeps `text` as written; the neutral `text` also renders Block Kit `blocks`
  (when `text` is empty) and legacy integration cards (`attachments[]`), where bots put all they
  say (`markup.attachments_text`). Files: the `files` list, or the single `file` of older exports.
- A `tombstone` is the placeholder Slack leaves for a deleted root that still has replies: kept,
  so the thread holds together, and reported `degraded` (its text, author and deletion time
  are gone).
- `edited.ts` gives `edited_at` (Slack exports only the final text); reactions give one Reaction
  per user (Slack keeps no per-user time); a reaction `count` larger than its `users` list is
  kept in `source.reaction_counts`.
- A record that is not an object with a valid `ts`, or that the reader fails on, is quarantined
  with its JSON text and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rsemigrate.archive import Body, Message, MessageKind, Reaction, Record, ReportEntry, Timestamp
from rsemigrate.errors import InputError
from rsemigrate.export import Census, SourceTree, dump_record, guarded, read_json

from . import wire
from .directory import Directory
from .files import SlackFiles, link_cards
from .markup import BODY_FORMAT, attachments_text, blocks_text, render


class MessageReader:
    def __init__(self, tree: SourceTree, directory: Directory, files: SlackFiles, census: Census) -> None:
        self._tree = tree
        self._directory = directory
        self._files = files
        self._census = census

    def read_day(self, channel_id: str, path: str) -> Iterator[Record]:
        """Every record of one day file (a JSON array of message objects)."""
        data = read_json(self._tree, path)
        if not isinstance(data, list):
            raise InputError(
                f"expected a JSON array of messages, found {type(data).__name__}", file=path, line=1
            )
        for n, item in enumerate(data, 1):
            location = f"{path} record {n}"
            problem = _unreadable(item)
            if problem:
                yield ReportEntry("quarantined", "message", None, f"unreadable message: {problem}",
                                  location=location, raw=dump_record(item, location))
            else:
                yield from guarded(self._build(channel_id, item, location), "message", item, location)

    def _build(self, channel_id: str, item: dict[str, Any], location: str) -> Iterator[Record]:
        ts: str = item["ts"]
        mid = f"{channel_id}:{ts}"
        self._census.see("message", item, mid, location)
        subtype = item.get("subtype") or ""
        thread_ts = item.get("thread_ts")
        reply = isinstance(thread_ts, str) and thread_ts != ts
        author_id = self._author(item)
        yield from self._directory.sender(author_id, item, location)  # type: ignore[arg-type]
        if subtype == wire.BOT_ADD and item.get("bot_id"):
            self._directory.bot_added(str(item["bot_id"]), channel_id, ts, str(item.get("text") or ""))
        text, mentions = render(_content(item), self._directory.names, self._directory.channel_names)
        source: dict[str, Any] = {
            "ts": ts,
            **{k: v for k, v in item.items() if k not in wire.MESSAGE_CONSUMED},
        }
        attachment_ids: list[str] = []
        for file in wire.file_objects(item):
            yield from self._files.announce(file, location)
            attachment_ids.append(file["id"])
        for card in link_cards(mid, item.get("attachments") or []):
            yield card
            attachment_ids.append(card.id)
        if subtype == wire.TOMBSTONE:
            yield ReportEntry("degraded", "message", mid, "thread root deleted in Slack: only its tombstone "
                              "is exported (original text, author and deletion time are lost); kept so its "
                              "replies keep their thread", location=location)
        kind: MessageKind = "system" if subtype in wire.SYSTEM_SUBTYPES else "reply" if reply else "post"
        yield Message(
            id=mid,
            channel_id=channel_id,
            thread_id=f"{channel_id}:{thread_ts}" if reply else mid,
            author_id=author_id,
            created_at=wire.ts_timestamp(ts),
            body=Body(BODY_FORMAT, item.get("text") or ""),
            text=text,
            kind=kind,
            reply_to_id=f"{channel_id}:{thread_ts}" if reply else None,
            edited_at=self._edited(item, source),
            mentions=mentions,
            attachment_ids=list(dict.fromkeys(attachment_ids)),
            reactions=_reactions(item.get("reactions"), source),
            source=source,
        )

    def _author(self, item: dict[str, Any]) -> str:
        user, bot_id = item.get("user"), item.get("bot_id")
        if item.get("subtype") == wire.FILE_COMMENT and not user:
            # pre-2019 exports: the comment's author is only in `comment.user`
            commenter = (item.get("comment") or {}).get("user")
            if isinstance(commenter, str) and commenter:
                return commenter
        if item.get("subtype") == wire.BOT_MESSAGE or (bot_id and not user):
            if bot_id and bot_id in self._directory.bots:
                return self._directory.bots[bot_id]
            if user or bot_id:
                return user or bot_id
            if item.get("username"):
                return f"username:{item['username']}"
        return user or wire.UNKNOWN_AUTHOR

    def _edited(self, item: dict[str, Any], source: dict[str, Any]) -> Timestamp | None:
        edited = item.get("edited")
        if not isinstance(edited, dict) or not isinstance(edited.get("ts"), str):
            return None
        try:
            stamp = wire.ts_timestamp(edited["ts"])
        except ValueError:
            source["edited"] = edited  # kept as it was rather than guessed
            return None
        if edited.get("user"):
            source["edited_by"] = edited["user"]
        return stamp


def _content(item: dict[str, Any]) -> str:
    """The mrkdwn a message shows: its `text`, then what its integration cards say; its Block Kit
    `blocks` when it has no text (its `text` is otherwise their fallback, said already)."""
    text = item.get("text") or ""
    if not isinstance(text, str):
        raise TypeError(f"`text` is a JSON {type(text).__name__}, not a string")
    if not item.get("attachments") and (text or not item.get("blocks")):
        return text  # most messages
    if not text and item.get("blocks"):
        text = blocks_text(item["blocks"])
    if cards := attachments_text(item.get("attachments")):
        text = f"{text}\n\n{cards}" if text else cards
    return text


def _reactions(raw: object, source: dict[str, Any]) -> list[Reaction]:
    if not isinstance(raw, list):
        return []
    found: list[Reaction] = []
    counts: dict[str, int] = {}
    for reaction in raw:
        if not isinstance(reaction, dict) or not reaction.get("name"):
            continue
        users = [u for u in reaction.get("users") or [] if isinstance(u, str)]
        found.extend(Reaction(reaction["name"], u) for u in users)
        if isinstance(reaction.get("count"), int) and reaction["count"] > len(users):
            counts[reaction["name"]] = reaction["count"]
    if counts:
        source["reaction_counts"] = counts
    return found


def _unreadable(item: object) -> str | None:
    if not isinstance(item, dict):
        return f"a JSON {type(item).__name__}, not an object"
    ts = item.get("ts")
    if not isinstance(ts, str):
        return "no ts"
    try:
        wire.ts_timestamp(ts)
    except ValueError as exc:
        return str(exc)
    return None
