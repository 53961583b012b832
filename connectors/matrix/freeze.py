"""Freezing a Matrix plan into the ledger: the space, every room, member, user, file and event.

The events come from `prepare.room_events`, the exact stream the dry run approved; only what the
homeserver assigns (room ids, mxc URIs, event ids) is filled in later. From then on the ledger,
not the archive, says what to send, so a resume sends exactly what the first run planned.

Ledger layout (the shared tables, platform-neutral):
- container: the space (a parent) and one row per room; `detail` holds the room's alias (its
  idempotency key: a room is created with it, and found by it after a crash), topic and privacy;
- member: each room's members (joined before its first event), and the accounts the import acts
  as under the parent key `users` (`role` virtual: registered by the import; existing: asserted);
- file and message: the uploads and the events, `root_key` being the event that must exist first.
Each run of a new migration draws a nonce into the aliases, so a second migration of the same
archive into the same homeserver never mistakes the first one's rooms for its own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version

import orjson

from rsemigrate.archive import Archive
from rsemigrate.migrate import Container, File, Frozen, Member, Message, Migration, Skip, plan_fingerprint

from .plan import MatrixPlan, Room
from .prepare import PlannedEvent, Preparation, drafts, room_events
from .render import content_digest

USERS = "users"
SPACE = "space"
#: [matrix] keys about how to connect, not what to import.
CONNECTION_KEYS = ("homeserver_url", "registration", "as_token_env")


def migration_for(archive: Archive, plan: MatrixPlan, owner: str, mode: str = "live") -> Migration:
    """The ledger's migration row for this archive, plan and appservice: what a resume must match."""
    return Migration(
        target="matrix",
        mode=mode,
        archive_id=archive.header.archive_id,
        archive_seal=archive.seal(),
        plan=plan_fingerprint(plan.common, plan.path, "matrix", CONNECTION_KEYS),
        plan_path=str(plan.path.resolve()),
        owner=owner,
        tenant=plan.connection.server_name,
        tool_version=version("rsemigrate"),
    )


def room_alias(plan: MatrixPlan, nonce: str, key: str, name: str) -> str:
    """`#<alias_prefix><slug>-<hash>:<server>`: readable, in the appservice's namespace, unique per
    migration."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:32] or "room"
    digest = hashlib.sha256(f"{nonce}|{key}".encode()).hexdigest()[:10]
    return f"#{plan.connection.alias_prefix}{slug}-{digest}:{plan.connection.server_name}"


@dataclass
class _Rows:
    containers: list[Container] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    #: every account the import acts as: Matrix id → display name.
    accounts: dict[str, str] = field(default_factory=dict)

    def container(self, **fields: object) -> Container:
        row = Container(position=len(self.containers), **fields)  # type: ignore[arg-type]
        self.containers.append(row)
        return row


def freeze(prep: Preparation, owner: str, mode: str = "live") -> Frozen:
    archive, plan = prep.archive, prep.plan
    rows = _Rows()
    nonce = secrets.token_hex(6)
    margin = plan.connection.container_margin_seconds * 1000
    planned: list[tuple[Room, list[PlannedEvent]]] = []
    for room in plan.rooms:
        before = Counter(prep.skipped)
        events = list(room_events(prep, drafts(prep, room)))
        rows.skips.extend(Skip(container_key=room.key, reason=reason, count=n)
                          for reason, n in (prep.skipped - before).items())
        if events:
            planned.append((room, events))
    space = None
    if plan.connection.space and planned:
        start = min(events[0].created_ms for _, events in planned) - margin
        space = rows.container(
            key=SPACE,
            kind="space",
            name=plan.connection.space,
            is_parent=True,
            planned_ms=start,
            detail=orjson.dumps({"alias": room_alias(plan, nonce, SPACE, plan.connection.space)}).decode(),
        )
    for room, events in planned:
        detail = {"alias": room_alias(plan, nonce, room.key, room.name), "topic": room.topic,
                  "private": room.kind == "private"}
        row = rows.container(
            key=room.key,
            kind=room.kind,
            name=room.name,
            parent_key=space.key if space else None,
            planned_ms=events[0].created_ms - margin,
            detail=orjson.dumps(detail).decode(),
        )
        _members(prep, rows, row, room, events)
        _events(rows, row, events)
    for user_id, name in sorted(rows.accounts.items()):
        role = "virtual" if plan.namespaces.is_virtual(user_id) else "existing"
        rows.members.append(Member(parent_key=USERS, account=user_id, name=name, role=role))
    for channel, reason in plan.skipped:
        n = archive.message_count(channel.id)
        if n:
            rows.skips.append(Skip(container_key=f"source:{channel.id}", reason=reason, count=n))
    return Frozen(migration_for(archive, plan, owner, mode), rows.containers, rows.files, rows.messages,
                  rows.members, rows.skips)


def _members(prep: Preparation, rows: _Rows, row: Container, room: Room, events: list[PlannedEvent]) -> None:
    """Who joins the room: everyone who sends an event in it, and its source members who are mapped
    (all of them for a private conversation). The placeholder shows its own name, not an author's."""
    placeholder = prep.plan.common.users.placeholder
    joined: dict[str, str] = {}
    for event in events:
        who = event.draft.author if event.kind != "reaction" else None
        name = prep.plan.connection.placeholder_name if who and who.method == "placeholder" else \
            who.name if who else _reactor_name(event)
        joined.setdefault(event.sender, name)
    for user_id in room.source.member_ids:
        who = prep.users.identity(user_id)
        if who.target and (who.mapped or (room.kind == "private" and who.target != placeholder)):
            joined.setdefault(prep.user_ids(who), who.name)
    for account, name in sorted(joined.items()):
        rows.members.append(Member(parent_key=row.key, account=account, name=name))
        rows.accounts.setdefault(account, name)


def _reactor_name(event: PlannedEvent) -> str:
    index = int(event.key.rsplit("/", 1)[1])
    return event.draft.reactions[index].user.name


def _events(rows: _Rows, row: Container, events: list[PlannedEvent]) -> None:
    files: dict[str, File] = {}
    for seq, event in enumerate(events):
        author = event.draft.author
        assert author is not None
        if event.attachment is not None and event.attachment.id not in files:
            att = event.attachment
            name = str(event.content["body"])
            files[att.id] = File(container_key=row.key, key=att.id, name=name, sha256=att.sha256 or "",
                                 size=att.size or 0, position=seq, path=name)
        payload = event.payload()
        reaction = event.kind == "reaction"
        rows.messages.append(
            Message(
                container_key=row.key,
                seq=seq,
                key=event.key,
                root_key=event.depends_on,
                created_ms=event.created_ms,
                author=event.sender,
                author_name=_reactor_name(event) if reaction else author.name,
                fallback=not reaction and author.method == "placeholder",
                payload=orjson.dumps(payload).decode(),
                payload_sha256=hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest(),
                content_hash=content_digest(event.content),
                files=orjson.dumps([event.attachment.id] if event.attachment else []).decode(),
            )
        )
    rows.files.extend(files.values())
