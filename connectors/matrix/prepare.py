"""The transform pipeline for Matrix: archive messages → drafts → the events of each room, in order.

The passes are the shared ones (transforms/), given Matrix's allow-list, markup and limits. A
draft then becomes one or more events, because Matrix carries files and reactions as events of
their own: its text (`m.text`), one `m.file`/`m.image` per uploaded file, one `m.reaction` per
reaction. Each event gets a key unique in its room (the ledger's key, and `org.rsemigrate.source`
in its content) and a planned `ts`, strictly increasing in sending order, so the room's order
and its timestamps agree. Relations are planned by key and bound to event ids at send time:
- a reply is an `m.thread` event under its thread root, with `m.in_reply_to` the previous event
  of the thread as the fallback for clients without threads (`is_falling_back`);
- a reply to a reply also names the message it answers in `m.in_reply_to` (no fallback);
- a root's files follow it in the room; a reply's files follow it in the thread;
- a reaction annotates the first event of its message.
The dry run, the freeze and reconciliation all read this same stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from rsemigrate.archive import Archive, Attachment
from transforms import (
    Draft,
    FilePolicy,
    Labels,
    ReactionPolicy,
    Selection,
    ThreadIndex,
    UserMap,
    UserMapping,
    annotate,
    assign_times,
    attach,
    chain,
    convert_bodies,
    map_authors,
    react,
    resolve_mentions,
    select,
    split_long,
)

from .plan import MatrixPlan, Room
from .render import (
    MATRIX_HTML,
    MAX_REACTIONS,
    UserIds,
    file_content,
    file_markup,
    has_text,
    measure,
    mention_markup,
    reaction_content,
    text_content,
)

EventKind = Literal["text", "file", "reaction"]



@dataclass
class Preparation:
    archive: Archive
    plan: MatrixPlan
    users: UserMap
    user_ids: UserIds
    attachments: dict[str, Attachment]
    #: messages left out by the plan's options, by reason.
    skipped: Counter[str] = field(default_factory=Counter)


def prepare(archive: Archive, plan: MatrixPlan, mapping: UserMapping) -> Preparation:
    return Preparation(archive, plan, UserMap(archive.users(), mapping), UserIds(plan.namespaces),
                       {a.id: a for a in archive.attachments()})


def drafts(prep: Preparation, room: Room) -> Iterator[Draft]:
    """Every draft of one room, split and timed, in posting order."""
    options = prep.plan.common.options
    users = prep.users
    selection = Selection(options.skip_deleted, options.skip_system, options.since_ms, options.until_ms)
    channel = room.source
    index = ThreadIndex.build(prep.archive.messages(channel.id), selection)
    passes = chain(
        partial(convert_bodies, allow=MATRIX_HTML),
        # A reply to a reply is a real reply in Matrix (m.in_reply_to): no "In reply to" line.
        partial(annotate, labels=Labels(), edited_marker=options.edited_marker, reply_author=lambda _: None),
        partial(map_authors, users=users, attribution=prep.plan.common.users.attribution),
        partial(resolve_mentions, users=users, render=mention_markup),
        partial(
            attach,
            attachments=prep.attachments,
            render_file=file_markup,
            policy=FilePolicy(mode=options.files),
        ),
        partial(react, users=users, policy=ReactionPolicy(mode=options.reactions, limit=MAX_REACTIONS)),
        # The text travels twice (plain `body` and `formatted_body`) while split_long cuts the HTML:
        # halving both the budget and the measure makes each cut piece fit once doubled.
        partial(
            split_long,
            budget=prep.plan.connection.message_budget // 2,
            measure=partial(_half_size, user_ids=prep.user_ids),
        ),
    )
    return assign_times(
        passes(select(prep.archive.messages(channel.id), room.key, index, selection, prep.skipped))
    )


def _half_size(draft: Draft, user_ids: UserIds) -> int:
    return -(-measure(draft, user_ids) // 2)


@dataclass(frozen=True)
class PlannedEvent:
    """One event to send into a room; relations name other events of the room by key."""

    key: str
    kind: EventKind
    draft: Draft
    sender: str
    created_ms: int
    content: dict[str, Any]
    #: key of the thread root event (an m.thread relation), of the event in `m.in_reply_to`,
    #: whether that reply is only the thread's fallback, and the event a reaction annotates.
    thread: str | None = None
    reply_to: str | None = None
    falling_back: bool = False
    annotates: str | None = None
    attachment: Attachment | None = None

    @property
    def event_type(self) -> str:
        return "m.reaction" if self.kind == "reaction" else "m.room.message"

    @property
    def depends_on(self) -> str | None:
        """The event that must exist before this one can be sent."""
        return self.annotates or self.thread

    def payload(self) -> dict[str, Any]:
        """What the ledger freezes: everything but the ids the homeserver assigns."""
        return {
            "type": self.event_type,
            "content": self.content,
            "thread": self.thread,
            "reply_to": self.reply_to,
            "falling_back": self.falling_back,
            "annotates": self.annotates,
        }


def _external_url(draft: Draft) -> str | None:
    source = draft.message.source or {}
    for name in ("web_url", "permalink"):
        value = source.get(name)
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    return None


@dataclass
class _Threads:
    """Bookkeeping while events are planned: first event of each message, last event of each thread."""

    first: dict[str, str] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)
    last_ms: int | None = None

    def at(self, wanted: int) -> int:
        self.last_ms = wanted if self.last_ms is None else max(wanted, self.last_ms + 1)
        return self.last_ms


def room_events(prep: Preparation, stream: Iterable[Draft]) -> Iterator[PlannedEvent]:
    """The events of one room from its drafts (see the module doc), in sending order."""
    threads = _Threads()
    for draft in stream:
        yield from _draft_events(prep, draft, threads)


def _relation(draft: Draft, threads: _Threads) -> tuple[str | None, str | None, bool]:
    """(thread root key, in-reply-to key, is that reply only a fallback) of a draft's first event."""
    thread = threads.first.get(draft.root_id) if draft.root_id else None
    if thread is None:
        return None, None, False
    answered = draft.message.reply_to_id
    if draft.part == 1 and answered and answered != draft.root_id:
        target = threads.first.get(answered)
        if target is not None:  # a real reply: not a degradation in Matrix
            draft.degradations = [d for d in draft.degradations if d.kind != "nested-reply"]
            return thread, target, False
    return thread, threads.last.get(thread, thread), True


def _draft_events(prep: Preparation, draft: Draft, threads: _Threads) -> Iterator[PlannedEvent]:
    assert draft.author is not None and draft.created_ms is not None, (
        "drafts come out of map_authors and timing"
    )
    sender = prep.user_ids(draft.author)
    thread, reply_to, falling_back = _relation(draft, threads)
    mid = draft.message.id
    first = last = None
    if has_text(draft) or not draft.files:
        first = last = draft.key
        yield PlannedEvent(
            draft.key,
            "text",
            draft,
            sender,
            threads.at(draft.created_ms),
            text_content(draft, prep.user_ids, draft.key, _external_url(draft)),
            thread,
            reply_to,
            falling_back,
        )
    for ref in draft.files:
        key = f"{draft.key}/file/{ref.attachment.id}" if first else draft.key
        if last is not None:  # the file follows the message's text (in its thread, if any)
            reply_to, falling_back = (last if thread else None), bool(thread)
        first, last = first or key, key
        yield PlannedEvent(key, "file", draft, sender, threads.at(draft.created_ms),
                           file_content(ref.attachment, key, mid), thread, reply_to, falling_back,
                           attachment=ref.attachment)
    assert first is not None and last is not None
    if thread is not None:
        threads.last[thread] = last
    elif draft.part == 1:
        threads.last[first] = first
    if draft.part == 1:
        threads.first[mid] = first
    for n, reaction in enumerate(draft.reactions):
        key = f"{draft.key}/reaction/{n}"
        yield PlannedEvent(key, "reaction", draft, prep.user_ids(reaction.user), threads.at(draft.created_ms),
                           reaction_content(reaction.kind, key, mid), annotates=first)
