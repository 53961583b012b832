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
- `message_tags` (people, groups and Pages tagged inline) give mentions of kind user, group or
  page; reactions come from the saved `/<id>/reactions` pages, else an inline `reactions` or
  (older answers) `likes` list, one Reaction per person; a larger count (`summary.total_count`,
  `like_count`) adds reactions by unknown people, and a list cut by `paging.next` is reported.
- An inline `comments` list cut by `paging.next`, with no saved `/<id>/comments` pages, is an
  incomplete thread: reported.
- An item that is not an object with an id and a `created_time` is quarantined with its JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rsemigrate.archive import Body, Mention, MentionKind, Message, Reaction, Record, ReportEntry, User
from rsemigrate.export import Census, dump_record, guarded

from . import wire
from .attachments import Attachments
from .directory import Directory, timestamp
from .layout import Collection

_CONSUMED = frozenset({"id", "from", "message", "message_tags", "formatting", "created_time",
                       "attachments", "attachment", "comments", "reactions", "likes"})
#: the reaction kind of a `likes` entry, as Workplace's `reactions` spell theirs.
LIKE = "LIKE"
#: `message_tags` types that are no person: a group, or a Page (of a company, a public figure…).
_TAG_KINDS: dict[str, MentionKind] = {"group": "group", "page": "page"}


class FeedReader:
    def __init__(self, collection: Collection, directory: Directory, attachments: Attachments,
                 census: Census) -> None:
        self._collection = collection
        self._directory = directory
        self._attachments = attachments
        self._census = census

    def read_group(self, group_id: str) -> Iterator[Record]:
        for path, n, post in self._collection.items((group_id, wire.FEED, "")):
            yield from self._item(group_id, post, f"{path} record {n}", None, None)

    def _item(self, group_id: str, item: Any, location: str, thread_id: str | None,
              parent_id: str | None) -> Iterator[Record]:
        """A post (no thread yet) or a comment, then its comments, depth first. A post or comment
        that cannot be read is quarantined; its comments are still read."""
        if not isinstance(item, dict) or not item.get("id") or not item.get("created_time"):
            yield ReportEntry("quarantined", "message", None, "unreadable post or comment: no id or "
                              "created_time", location=location, raw=dump_record(item, location))
            return
        mid = str(item["id"])
        records = self._message(group_id, mid, item, location, thread_id, parent_id)
        yield from guarded(records, "message", item, location)
        for where, comment in self._children(group_id, wire.COMMENTS, mid, item, location):
            yield from self._item(group_id, comment, where, thread_id or mid, mid)
        if (cut := _cut(item, wire.COMMENTS)) and not self._collection.has((group_id, wire.COMMENTS, mid)):
            yield ReportEntry("degraded", "message", mid, f"incomplete thread: only {cut} comments were "
                              "collected (those inline in the answer); its `comments.paging.next` was not "
                              "followed, so the others are not in the archive", location=location)

    def _message(self, group_id: str, mid: str, item: dict[str, Any], location: str, thread_id: str | None,
                 parent_id: str | None) -> Iterator[Record]:
        is_post = thread_id is None
        self._census.see("post" if is_post else "comment", item, mid, location)
        author_id, revealed = self._directory.author(item, location)
        yield from revealed
        attachment_ids, attachments = self._attachments.announce(group_id, mid, item, location)
        yield from attachments
        reactions, records = self._reactions(group_id, mid, item, location)
        yield from records
        message = item.get("message") or ""
        story = item.get("story") or ""
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

    def _children(self, group_id: str, edge: str, object_id: str, item: dict[str, Any],
                  location: str) -> Iterator[tuple[str, Any]]:
        """The saved pages of `/<object_id>/<edge>`, else the item's inline expansion of it."""
        if self._collection.has((group_id, edge, object_id)):
            for path, n, child in self._collection.items((group_id, edge, object_id)):
                yield f"{path} record {n}", child
        else:
            inline = item.get(edge)
            for n, child in enumerate(
                (inline or {}).get("data") or [] if isinstance(inline, dict) else [], 1
            ):
                yield f"{location} {edge} record {n}", child

    def _reactions(self, group_id: str, object_id: str, item: dict[str, Any],
                   location: str) -> tuple[list[Reaction], list[User | ReportEntry]]:
        """One Reaction per person of the saved `/reactions` pages, else of the inline `reactions`
        or (older answers) `likes` lists; a count larger than the list (a cut list, a `summary`,
        a comment's `like_count`) adds reactions by unknown people, so the total stays right. With
        them, the Users of people who reacted and are no member, and what could not be read."""
        reactions: list[Reaction] = []
        records: list[User | ReportEntry] = []
        for where, reaction in self._children(group_id, wire.REACTIONS, object_id, item, location):
            if isinstance(reaction, dict) and reaction.get("id") and reaction.get("type"):
                self._census.see("reaction", reaction, str(reaction["id"]), where)
                records += self._directory.reactor(reaction, where)
                reactions.append(Reaction(str(reaction["type"]), str(reaction["id"])))
            else:
                records.append(
                    ReportEntry(
                        "quarantined",
                        "reaction",
                        object_id,
                        "unreadable reaction: no id or type",
                        location=where,
                        raw=dump_record(reaction, where),
                    )
                )
        saved = self._collection.has((group_id, wire.REACTIONS, object_id))
        if not saved and not item.get("reactions"):
            for where, like in self._children(group_id, "likes", object_id, item, location):
                if isinstance(like, dict) and like.get("id"):
                    self._census.see("reaction", like, str(like["id"]), where)
                    records += self._directory.reactor(like, where)
                    reactions.append(Reaction(LIKE, str(like["id"])))
                else:
                    records.append(ReportEntry("quarantined", "reaction", object_id,
                                                "unreadable like: no id", location=where,
                                                raw=dump_record(like, where)))
        if saved:
            return reactions, records
        listed, total = len(reactions), _reaction_total(item)
        edge = "reactions" if item.get("reactions") else "likes"
        if total > listed:
            reactions += [Reaction(LIKE if edge == "likes" else "unknown") for _ in range(total - listed)]
        if _cut(item, edge) is not None:
            said = (f"{total - listed} more are kept without who reacted" if total > listed else
                    "how many more there were, and who, is not in the archive")
            records.append(ReportEntry("degraded", "reaction", object_id, f"`{edge}` list cut at {listed} "
                                        f"(its `paging.next` was not followed): {said}", location=location))
        return reactions, records


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
        kind = _TAG_KINDS.get(str(tag.get("type")), "user")
        found.setdefault(f"{kind}:{tag['id']}:{raw}", Mention(kind, raw, str(tag["id"]), tag.get("name")))
    return list(found.values())


def _cut(item: dict[str, Any], edge: str) -> int | None:
    """How many entries an inline list holds when the answer says there are more (`paging.next`)."""
    inline = item.get(edge)
    if isinstance(inline, dict) and (inline.get("paging") or {}).get("next"):
        return len(inline.get("data") or [])
    return None


def _reaction_total(item: dict[str, Any]) -> int:
    """How many reactions the answer says the object has: a `summary.total_count` of `reactions` or
    `likes`, an older `likes.count`, or a comment's `like_count`; 0 when it says nothing."""
    for edge in ("reactions", "likes"):
        node = item.get(edge)
        if isinstance(node, dict):
            for count in ((node.get("summary") or {}).get("total_count"), node.get("count")):
                if isinstance(count, int) and not isinstance(count, bool):
                    return count
    count = item.get("like_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else 0
