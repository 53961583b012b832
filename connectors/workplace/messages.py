"""Group feeds, streamed: a Message per post, comment and reply to a comment.

- Ids are the Graph ids as strings (a post's is `<group id>_<post id>`). A post is the root of its
  thread; a comment answers the post, a reply answers its comment (`reply_to_id`), all in the
  post's thread.
- Body: `message` as written, format `markdown` when the post's `formatting` is MARKDOWN, else
  `plaintext`. `story` is text Workplace generated ("Ann updated the group cover photo") and is
  kept apart in `source.story`; a post with a story and no message is a `system` message whose
  `text` is the story.
- `created_time` is the time. `updated_time` changes with every new comment, so it is no edit
  marker: it stays in `source` and `edited_at` stays null (the API exposes no edit time).
- `message_tags` (people and groups tagged inline) give mentions; reactions come from the saved
  `/<id>/reactions` pages (or an inline `reactions` expansion), one Reaction per person.
- An item that is not an object with an id and a `created_time` is quarantined with its JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rsemigrate.archive import Body, Mention, Message, Reaction, Record, ReportEntry
from rsemigrate.export import dump_record

from . import wire
from .attachments import Attachments
from .directory import Directory, timestamp
from .layout import Collection

_CONSUMED = frozenset({"id", "from", "message", "message_tags", "formatting", "created_time",
                       "attachments", "attachment", "comments", "reactions"})


class FeedReader:
    def __init__(self, collection: Collection, directory: Directory, attachments: Attachments) -> None:
        self._collection = collection
        self._directory = directory
        self._attachments = attachments

    def read_group(self, group_id: str) -> Iterator[Record]:
        for path, n, post in self._collection.items((group_id, wire.FEED, "")):
            yield from self._item(group_id, post, f"{path} record {n}", None, None)

    def _item(self, group_id: str, item: Any, location: str, thread_id: str | None,
              parent_id: str | None) -> Iterator[Record]:
        """A post (no thread yet) or a comment, then its comments, depth first."""
        if not isinstance(item, dict) or not item.get("id") or not item.get("created_time"):
            yield ReportEntry("quarantined", "message", None, "unreadable post or comment: no id or "
                              "created_time", location=location, raw=dump_record(item, location))
            return
        mid = str(item["id"])
        author_id, revealed = self._directory.author(item, location)
        yield from revealed
        attachment_ids, attachments = self._attachments.announce(group_id, mid, item)
        yield from attachments
        reactions, problems = self._reactions(group_id, mid, item, location)
        yield from problems
        message = item.get("message") or ""
        story = item.get("story") or ""
        is_post = thread_id is None
        yield Message(
            id=mid,
            channel_id=group_id,
            thread_id=thread_id or mid,
            author_id=author_id,
            created_at=timestamp(item["created_time"], location),  # type: ignore[arg-type]
            body=Body("markdown" if item.get("formatting") == "MARKDOWN" else "plaintext", message),
            text=message or story,
            kind=("system" if story and not message else "post") if is_post else "reply",
            reply_to_id=parent_id,
            mentions=_mentions(item.get("message_tags"), message),
            attachment_ids=attachment_ids,
            reactions=reactions,
            source={k: v for k, v in item.items() if k not in _CONSUMED},
        )
        for where, comment in self._children(group_id, wire.COMMENTS, mid, item, location):
            yield from self._item(group_id, comment, where, thread_id or mid, mid)

    def _children(self, group_id: str, edge: str, object_id: str, item: dict[str, Any],
                  location: str) -> Iterator[tuple[str, Any]]:
        """The saved pages of `/<object_id>/<edge>`, else the item's inline expansion of it."""
        if self._collection.has((group_id, edge, object_id)):
            for path, n, child in self._collection.items((group_id, edge, object_id)):
                yield f"{path} record {n}", child
        else:
            inline = item.get(edge)
            for n, child in enumerate((inline or {}).get("data") or [] if isinstance(inline, dict) else [], 1):
                yield f"{location} {edge} record {n}", child

    def _reactions(self, group_id: str, object_id: str, item: dict[str, Any],
                   location: str) -> tuple[list[Reaction], list[ReportEntry]]:
        reactions, problems = [], []
        for where, reaction in self._children(group_id, wire.REACTIONS, object_id, item, location):
            if isinstance(reaction, dict) and reaction.get("id") and reaction.get("type"):
                reactions.append(Reaction(str(reaction["type"]), str(reaction["id"])))
            else:
                problems.append(ReportEntry("quarantined", "reaction", object_id, "unreadable reaction: no id "
                                            "or type", location=where, raw=dump_record(reaction, where)))
        return reactions, problems


def _mentions(tags: object, message: str) -> list[Mention]:
    """Mentions from `message_tags`: a list of tags, or (older answers) a dict of lists by offset."""
    if isinstance(tags, dict):
        tags = [tag for group in tags.values() if isinstance(group, list) for tag in group]
    found: dict[str, Mention] = {}
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, dict) or not tag.get("id"):
            continue
        offset, length = tag.get("offset"), tag.get("length")
        raw = message[offset:offset + length] if isinstance(offset, int) and isinstance(length, int) else ""
        raw = raw or str(tag.get("name") or tag["id"])
        kind = "group" if tag.get("type") == "group" else "user"
        found.setdefault(f"{kind}:{tag['id']}:{raw}", Mention(kind, raw, str(tag["id"]), tag.get("name")))
    return list(found.values())
