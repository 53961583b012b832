"""The transform pipeline for Teams: archive messages → drafts ready to post, per container.

The same function feeds the dry run (which measures and counts) and the import (which posts), so
what the check approves is exactly what would be sent. Each source channel is read twice: once
cheaply for its thread structure, once to stream its messages through the passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

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
    merge,
    react,
    resolve_mentions,
    select,
    split_long,
)

from .plan import Container, TeamsPlan
from .render import MAX_REACTIONS, REACTION_TYPES, TEAMS_HTML, file_markup, measure, mention_markup


@dataclass
class Preparation:
    archive: Archive
    plan: TeamsPlan
    users: UserMap
    attachments: dict[str, Attachment]
    #: messages left out by the plan's options, by reason.
    skipped: Counter[str] = field(default_factory=Counter)


def prepare(archive: Archive, plan: TeamsPlan, mapping: UserMapping) -> Preparation:
    return Preparation(archive, plan, UserMap(archive.users(), mapping),
                       {a.id: a for a in archive.attachments()})


def drafts(prep: Preparation, container: Container) -> Iterator[Draft]:
    """Every draft of one container, split and timed, in posting order."""
    options = prep.plan.common.options
    users = prep.users
    selection = Selection(options.skip_deleted, options.skip_system, options.since_ms, options.until_ms,
                          flatten=container.kind == "chat")
    streams = []
    for channel in container.sources:
        index = ThreadIndex.build(prep.archive.messages(channel.id), selection)

        def reply_author(message_id: str, index: ThreadIndex = index) -> str | None:
            author = index.authors.get(message_id)
            return users.name(author) if author else None

        passes = chain(
            partial(convert_bodies, allow=TEAMS_HTML),
            partial(annotate, labels=Labels(), edited_marker=options.edited_marker, reply_author=reply_author),
            partial(map_authors, users=users, attribution=prep.plan.common.users.attribution),
            partial(resolve_mentions, users=users, render=mention_markup),
            partial(attach, attachments=prep.attachments, render_file=file_markup,
                    policy=FilePolicy(mode=options.files)),
            partial(react, users=users, policy=ReactionPolicy(mode=options.reactions, limit=MAX_REACTIONS,
                                                              kinds=REACTION_TYPES)),
            partial(split_long, budget=prep.plan.connection.message_budget, measure=measure),
        )
        streams.append(passes(select(prep.archive.messages(channel.id), container.key, index, selection,
                                     prep.skipped)))
    return assign_times(merge(streams))
