"""Which messages go to the target, and under which thread root.

Rules (the plan's options):
- the date window applies to thread *roots*; replies follow their thread, so a thread is never
  cut in half;
- deleted and system messages are skipped when asked, except a deleted or system root that still
  has kept replies: it becomes a tombstone so the replies keep their thread;
- a reply whose root is not in the archive becomes a thread of its own (with a note);
- `flatten` turns every message into a root (chats have no threads).

Choosing needs to know each channel's threads first, so `ThreadIndex` is built in a first, cheap
pass over the channel (ids and times only) and `select` streams the second pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rsemigrate.archive import Message, utc_micros

from .draft import Draft


@dataclass(frozen=True, slots=True)
class Selection:
    skip_deleted: bool = True
    skip_system: bool = True
    #: window on thread roots, milliseconds since the epoch; `since` inclusive, `until` exclusive.
    since_ms: int | None = None
    until_ms: int | None = None
    #: every message becomes a root (group chats).
    flatten: bool = False

    def in_window(self, ms: int) -> bool:
        return (self.since_ms is None or ms >= self.since_ms) and (
            self.until_ms is None or ms < self.until_ms
        )


def message_ms(message: Message) -> int:
    """Creation time in milliseconds since the epoch (sub-millisecond digits are truncated)."""
    return utc_micros(message.created_at.utc) // 1000


def _own_skip(message: Message, selection: Selection) -> str | None:
    if message.deleted_at is not None and selection.skip_deleted:
        return "deleted"
    if message.kind == "system" and selection.skip_system:
        return "system"
    return None


@dataclass(slots=True)
class ThreadIndex:
    """A channel's thread structure: root times, authors, and which threads keep replies."""

    root_ms: dict[str, int] = field(default_factory=dict)
    authors: dict[str, str] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, messages: Iterable[Message], selection: Selection) -> ThreadIndex:
        index = cls()
        replies: list[tuple[str, int]] = []
        for m in messages:
            index.authors[m.id] = m.author_id
            if m.thread_id == m.id or selection.flatten:
                index.root_ms[m.id] = message_ms(m)
            elif _own_skip(m, selection) is None:
                replies.append((m.thread_id, message_ms(m)))
        for thread_id, ms in replies:
            root = index.root_ms.get(thread_id)
            if selection.in_window(root if root is not None else ms):
                index.live.add(thread_id)
        return index


def select(messages: Iterable[Message], container: str, index: ThreadIndex, selection: Selection,
           skipped: Counter[str]) -> Iterator[Draft]:
    """Drafts for the kept messages of one source channel; `skipped` counts the rest by reason."""
    for m in messages:
        is_root = m.thread_id == m.id or selection.flatten
        if is_root:
            if not selection.in_window(message_ms(m)):
                skipped["outside the date window"] += 1
                continue
            reason = _own_skip(m, selection)
            if reason and m.id not in index.live:
                skipped[reason] += 1
                continue
            draft = Draft(m, container)
            if reason == "deleted":
                draft.degrade("deleted-root-tombstone")
            elif reason == "system":
                draft.degrade("system-as-text")
            yield draft
            continue
        root = index.root_ms.get(m.thread_id)
        if not selection.in_window(root if root is not None else message_ms(m)):
            skipped["outside the date window"] += 1
            continue
        reason = _own_skip(m, selection)
        if reason:
            skipped[reason] += 1
            continue
        draft = Draft(m, container, root_id=m.thread_id if root is not None else None)
        if root is None:
            draft.degrade("orphan-reply", m.thread_id)
        elif m.reply_to_id and m.reply_to_id != m.thread_id:
            draft.degrade("nested-reply", m.reply_to_id)
        yield draft
