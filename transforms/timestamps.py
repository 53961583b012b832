"""Planned creation times: deterministic, unique to the millisecond per target container, in order.

Targets that import history (Teams) key messages by their creation time: two messages may not
share a millisecond in one channel, and a message may not predate its container. Times are
derived from the archive alone (never from "now"), so planning twice gives the same plan, and a
duplicate-time refusal on import can be told apart from a real collision.

Rules, in stream order (oldest first; ties by source id, then part):
- a draft gets `max(its source time truncated to ms, previous planned time + 1)`;
- a reply also comes after its root; a reply older than its root (clock skew in the source) waits
  until its root has been planned;
- the container is created `margin` before its first planned message.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from .draft import Draft
from .select import message_ms


def order_key(draft: Draft) -> tuple[int, str, int]:
    return message_ms(draft.message), draft.message.id, draft.part


def merge(streams: Iterable[Iterable[Draft]]) -> Iterator[Draft]:
    """Merge the streams of several source channels that go to one container, in time order."""
    return heapq.merge(*streams, key=order_key)


def assign_times(drafts: Iterable[Draft]) -> Iterator[Draft]:
    """Set `created_ms` on every draft of one container; input must be in `order_key` order."""
    last: int | None = None
    planned: dict[str, int] = {}
    waiting: dict[str, list[Draft]] = {}

    def place(draft: Draft) -> Iterator[Draft]:
        nonlocal last
        source = message_ms(draft.message)
        at = source if last is None else max(source, last + 1)
        if draft.root_id is not None and draft.root_id in planned:
            at = max(at, planned[draft.root_id] + 1)
        if at != source and draft.part == 1:
            draft.degrade("time-nudged", str(at - source))
        draft.created_ms = last = at
        if draft.part == 1:
            planned[draft.message.id] = at
        yield draft
        for early in waiting.pop(draft.message.id, []) if draft.part == draft.parts else []:
            yield from place(early)

    for draft in drafts:
        root = draft.root_id
        if root is not None and root not in planned:
            waiting.setdefault(root, []).append(draft)
            continue
        yield from place(draft)
    for early in waiting.values():  # roots that never came: keep the replies, in order
        for draft in early:
            draft.root_id = None if draft.root_id not in planned else draft.root_id
            yield from place(draft)


def container_time(first_ms: int, margin_ms: int) -> int:
    """When the container must be created: `margin_ms` before its first message."""
    return first_ms - margin_ms
