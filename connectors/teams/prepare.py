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

from .guests import SKIPPED, external_authors
from .plan import Container, TeamsPlan
from .render import PLANNED_REACTIONS, TEAMS_HTML, file_markup, measure, mention_markup, teams_reaction


@dataclass
class Preparation:
    archive: Archive
    plan: TeamsPlan
    users: UserMap
    attachments: dict[str, Attachment]
    #: messages left out by the plan's options, by reason.
    skipped: Counter[str] = field(default_factory=Counter)
    #: source authors whose messages are left out (external authors with external_authors = skip).
    left_out: frozenset[str] = frozenset()


def prepare(archive: Archive, plan: TeamsPlan, mapping: UserMapping) -> Preparation:
    users = UserMap(archive.users(), mapping)
    left_out = frozenset(e.source_id for e in external_authors(plan, users)) \
        if plan.connection.external_authors == "skip" else frozenset()
    return Preparation(archive, plan, users, {a.id: a for a in archive.attachments()}, left_out=left_out)


def _without(drafts: Iterator[Draft], authors: frozenset[str], skipped: Counter[str]) -> Iterator[Draft]:
    for draft in drafts:
        if draft.message.author_id in authors:
            skipped[SKIPPED] += 1
        else:
            yield draft


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
            partial(
                annotate, labels=Labels(), edited_marker=options.edited_marker, reply_author=reply_author
            ),
            partial(map_authors, users=users, attribution=prep.plan.common.users.attribution),
            partial(resolve_mentions, users=users, render=mention_markup),
            partial(
                attach,
                attachments=prep.attachments,
                render_file=file_markup,
                policy=FilePolicy(mode=options.files),
            ),
            partial(
                react,
                users=users,
                policy=ReactionPolicy(
                    mode=options.reactions, limit=PLANNED_REACTIONS, convert=teams_reaction
                ),
            ),
            partial(split_long, budget=prep.plan.connection.message_budget, measure=measure),
        )
        kept = select(prep.archive.messages(channel.id), container.key, index, selection, prep.skipped)
        streams.append(passes(_without(kept, prep.left_out, prep.skipped) if prep.left_out else kept))
    return assign_times(merge(streams))
