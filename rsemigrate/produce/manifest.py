"""One slice of a conversation as an RSMF 2.0 manifest (`rsmf_manifest.json`).

The mapping (docs/productions.md has it as a table): users become participants (id = the
archive's user id, a stable string), the channel becomes the conversation, each message an event.
A reply's `parent` is its thread root, the only depth Relativity's Viewer is known to draw; the
message it actually answers is kept in `custom`. Everything that has no RSMF field (titles,
kinds, mentions, source ids, platform fields, attachments that were never stored) goes into
`custom` as name/value strings, so nothing is dropped. Only keys of the 2.0 schema are written:
anything else would be Relativity's ManifestUndefinedProperty warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..archive import Attachment, Channel, Group, Message, User, sort_key

VERSION = "2.0.0"
#: Relativity draws reaction names up to this length; longer ones are cut, the full name kept in custom.
REACTION_LENGTH = 30
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: a system message whose source type ends like this is a join or a leave.
_MEMBERSHIP = re.compile(r"(?:^|_)(join|leave)$")

Custom = list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class Source:
    """What every slice of a production shares: the directory and the platform."""

    platform: str
    users: dict[str, User]
    attachments: dict[str, Attachment]
    #: --custodian as given (a name, e-mail or user id); it also becomes a conversation's custodian
    #: when it names one of its participants.
    custodian: str | None = None
    #: each person's manifest entry, built the first time a file names them.
    participants: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(slots=True)
class Slice:
    """The messages of one conversation going into one file, oldest first."""

    channel: Channel
    group: Group | None
    collection_id: str
    #: the slice's period (`2019-03-04`, `2019-W10`, `2019-03` or `all`) and part within it.
    period: str
    part: int
    messages: list[Message] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    #: thread roots outside the selection or the period, carried so replies' `parent` resolves.
    context: set[str] = field(default_factory=set)

    def add(self, message: Message, *, context: bool = False) -> None:
        self.messages.append(message)
        self.ids.add(message.id)
        if context:
            self.context.add(message.id)


@dataclass(frozen=True, slots=True)
class ZipFile:
    """A stored attachment going into the zip under `name`."""

    name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Built:
    manifest: dict[str, Any]
    files: tuple[ZipFile, ...]
    begin: str
    end: str
    attachments: int
    #: participants as (display, email) in manifest order, for the e-mail headers.
    people: tuple[tuple[str, str | None], ...]


def build(piece: Slice, source: Source) -> Built:
    """The manifest of one slice and the files its zip must hold."""
    events, files = [], {}
    piece.messages.sort(key=lambda m: sort_key(m.created_at.utc))  # a context root came in late
    for message in piece.messages:
        event, stored = _event(message, piece, source)
        events.append(event)
        files.update((f.name, f) for f in stored)
    ids = list(dict.fromkeys(_people_of(piece)))
    participants = [_participant(uid, source) for uid in ids]
    custodian = _custodian(source, ids)
    conversation = _strip({
        "id": piece.channel.id,
        "display": piece.channel.name,
        "platform": source.platform,
        "type": "direct" if piece.channel.kind in ("direct", "group_direct") else "channel",
        "participants": ids,
        "custodian": custodian,
        "custom": _conversation_custom(piece),
    })
    manifest = {"version": VERSION, "eventcollectionid": piece.collection_id,
                "participants": participants, "conversations": [conversation], "events": events}
    return Built(manifest, tuple(files.values()), events[0]["timestamp"], events[-1]["timestamp"],
                 sum(len(e.get("attachments", ())) for e in events),
                 tuple((p.get("display") or p["id"], p.get("email")) for p in participants))


def zip_name(attachment: Attachment) -> str:
    """A flat, unique zip entry: the attachment id then its name, with path separators removed."""
    name = f"{attachment.id}_{attachment.name or 'file'}"
    return _UNSAFE_NAME.sub("_", name).strip("._")[:180] or attachment.sha256 or "file"


def event_type(message: Message) -> str:
    if message.kind != "system":
        return "message"
    for key in ("subtype", "type", "event"):
        value = message.source.get(key)
        if isinstance(value, str) and (found := _MEMBERSHIP.search(value)):
            return found[1]
    return "disclaimer"


def _event(message: Message, piece: Slice, source: Source) -> tuple[dict[str, Any], list[ZipFile]]:
    fields: list[tuple[str, object]] = [
        ("source_id", message.id), ("kind", message.kind), ("title", message.title),
        ("thread_id", message.thread_id), ("reply_to_id", message.reply_to_id),
        ("body_format", message.body.format)]
    parent = None
    if message.id != message.thread_id:
        if message.thread_id in piece.ids:
            parent = message.thread_id
        else:
            fields.append(("thread_root_not_in_file", message.thread_id))
    if message.id in piece.context:
        fields.append(("context", "thread root included for context; not selected itself"))
    fields += [("mention", " ".join(x for x in (m.kind, m.target_id or "", m.name or "") if x))
               for m in message.mentions]
    if message.deleted_at:
        fields.append(("deleted_at", message.deleted_at.utc))
    fields.append(("deleted_by_id", message.deleted_by_id))
    attachments, stored = [], []
    for attachment_id in message.attachment_ids:
        attachment = source.attachments.get(attachment_id)
        if attachment is None:
            fields.append(("attachment_not_in_archive", attachment_id))
        elif attachment.status == "present" and attachment.sha256:
            name = zip_name(attachment)
            stored.append(ZipFile(name, attachment.sha256))
            attachments.append(_strip({"id": name, "display": attachment.name or name,
                                       "size": attachment.size}))
            fields.append(("attachment_sha256", f"{name} {attachment.sha256}"))
        else:
            fields.append((f"attachment_{attachment.status}", " ".join(
                x for x in (attachment.id, attachment.name, attachment.url) if x)))
    fields += _source_fields(message.source)
    custom = _custom(fields)
    reactions = list(_reactions(message, custom))
    event = {
        "id": message.id,
        "type": event_type(message),
        "parent": parent,
        "body": message.text,
        "participant": message.author_id,
        "conversation": message.channel_id,
        "timestamp": message.created_at.utc,
        "deleted": True if message.deleted_at or message.deleted_by_id else None,
        "reactions": reactions,
        "attachments": attachments,
        "edits": [{"participant": message.author_id, "timestamp": message.edited_at.utc}]
        if message.edited_at else None,
        "custom": custom,
    }
    return _strip(event), stored


def _reactions(message: Message, custom: Custom) -> Iterator[dict[str, Any]]:
    by_kind: dict[str, list[str | None]] = {}
    for reaction in message.reactions:
        by_kind.setdefault(reaction.kind, []).append(reaction.user_id)
    for kind, users in by_kind.items():
        if len(kind) > REACTION_LENGTH:
            custom.append({"name": "reaction", "value": kind})
        who = list(dict.fromkeys(u for u in users if u))
        yield _strip({"value": kind[:REACTION_LENGTH] or "?", "count": len(users), "participants": who})


def _people_of(piece: Slice) -> Iterator[str]:
    """Everyone the manifest names: members of a direct conversation, authors, reactors, deleters."""
    if piece.channel.kind in ("direct", "group_direct"):
        yield from piece.channel.member_ids
    for message in piece.messages:
        yield message.author_id
        yield from (r.user_id for r in message.reactions if r.user_id)
        if message.deleted_by_id:
            yield message.deleted_by_id


def _participant(uid: str, source: Source) -> dict[str, Any]:
    """The same for every file that names this person: built once per production."""
    if (known := source.participants.get(uid)) is None:
        known = source.participants[uid] = _new_participant(uid, source.users.get(uid))
    return known


def _new_participant(uid: str, user: User | None) -> dict[str, Any]:
    if user is None:
        return {"id": uid, "display": uid,
                "custom": _custom([("directory", "not in the archive's user directory")])}
    email = user.email if user.email and _EMAIL.match(user.email) else None
    custom = _custom([
        ("email", user.email if not email else None), ("state", user.state), ("title", user.title),
        ("department", user.department), ("location", user.location), ("origin", user.origin),
        ("guest", "true" if user.guest else None), ("bot", "true" if user.bot else None)])
    return _strip({"id": uid, "display": user.name, "email": email, "account_id": uid, "custom": custom})


def _custodian(source: Source, ids: list[str]) -> str | None:
    wanted = (source.custodian or "").casefold()
    if not wanted:
        return None
    for uid in ids:
        user = source.users.get(uid)
        names = (uid, user.name, user.email or "") if user else (uid,)
        if wanted in (name.casefold() for name in names):
            return uid
    return None


def _conversation_custom(piece: Slice) -> Custom:
    channel = piece.channel
    return _custom([
        ("channel_kind", channel.kind), ("group", piece.group.name if piece.group else None),
        ("group_id", channel.group_id), ("private", "true" if channel.private else None),
        ("description", channel.description),
        ("slice", piece.period if piece.part == 1 else f"{piece.period} part {piece.part}"),
        ("member_ids", ",".join(channel.member_ids)
         if channel.kind not in ("direct", "group_direct") else None),
        *_source_fields(channel.source)])


def _source_fields(source: dict[str, Any]) -> list[tuple[str, object]]:
    return [(f"source.{key}", value if isinstance(value, str) else orjson.dumps(value).decode())
            for key, value in source.items()]


def _custom(fields: list[tuple[str, object]]) -> Custom:
    """RSMF wants names and values as non-empty strings, so empty and None values are skipped."""
    return [{"name": name, "value": str(value)} for name, value in fields
            if value is not None and value != ""]


def _strip(record: dict[str, Any]) -> dict[str, Any]:
    """Without None values and empty lists: absent is what the schema means by 'not known'.
    (Not `v != []`, which builds a list to compare each value with, in every event.)"""
    return {k: v for k, v in record.items() if v is not None and (v or type(v) is not list)}
