"""Cutting a conversation into files: by period first, then by Relativity's size limits.

Relativity advises one file per conversation per day for chat, and at most 10,000 events and 2 GB
per file. Periods are UTC days, ISO weeks or calendar months, or the whole conversation (`none`).
A busy period is split into parts. A reply whose thread root is not in its file gets the root
carried along as a context event, so its `parent` resolves (as Relativity does when it slices).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..archive import Attachment, Channel, Group, Message
from ..search import Chosen
from .manifest import Slice

Period = Literal["day", "week", "month", "none"]
MAX_EVENTS = 10_000
#: raw bytes (text and attachments) per file: base64 and the zip's overhead stay under 2 GB.
MAX_BYTES = 1_400_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    period: Period = "day"
    max_events: int = MAX_EVENTS
    max_bytes: int = MAX_BYTES


def period_of(utc: str, period: Period) -> str:
    if period == "day":
        return utc[:10]
    if period == "month":
        return utc[:7]
    if period == "week":
        year, week, _ = date.fromisoformat(utc[:10]).isocalendar()
        return f"{year}-W{week:02d}"
    return "all"


def slices(channel: Channel, group: Group | None, collection_id: str, messages: Iterator[Message],
           chosen: Chosen, limits: Limits, attachments: dict[str, Attachment]) -> Iterator[Slice]:
    """The slices of one channel's selected messages, oldest first; memory holds one slice and the
    channel's thread roots."""
    roots: dict[str, Message] = {}
    current: Slice | None = None
    size = 0
    for message in messages:
        if message.id == message.thread_id:
            roots[message.id] = message
        if not chosen.keeps(message):
            continue
        period = period_of(message.created_at.utc, limits.period)
        root = roots.get(message.thread_id)
        root = root if root is not message else None
        weight = _weight(message, attachments)
        if current is not None:
            context = _weight(root, attachments) if root and root.id not in current.ids else 0
            if (current.period != period or size + weight + context > limits.max_bytes
                    or len(current.messages) + 2 > limits.max_events):
                part = current.part + 1 if current.period == period else 1
                yield current
                current = None
        else:
            part = 1
        if current is None:
            current, size = Slice(channel, group, collection_id, period, part), 0
        if root is not None and root.id not in current.ids:
            current.add(root, context=True)
            size += _weight(root, attachments)
        current.add(message)
        size += weight
    if current is not None:
        yield current


def _weight(message: Message | None, attachments: dict[str, Attachment]) -> int:
    """What a message adds to a file: its text and its stored attachments."""
    if message is None:
        return 0
    return len(message.text.encode()) + sum(
        (a.size or 0) for a in (attachments.get(i) for i in message.attachment_ids) if a)

