"""The Matrix part of a migration plan: the homeserver, the appservice, and a room per source channel.

    [matrix]                        homeserver, appservice namespaces, limits (token from env or file)
    [destination."SOURCE-ID"]       a source group (or group-less channel) → its room's name and topic

Every source channel becomes one room (a community with several channels gives several rooms,
named in `rooms`). Rooms are grouped in one space when `[matrix] space` names it. Private
conversations become private rooms of their members, or are skipped ([options]
private_conversations). Loading raises `PlanError` (exit 2) for a malformed plan; problems in a
well-formed plan (a source with no destination) come back as dry-run problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass as plain_dataclass
from dataclasses import field
from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic.dataclasses import dataclass

from rsemigrate.archive import Archive, Channel, Group
from rsemigrate.migrate import STRICT, CommonPlan, PlanDocument, Problem, load_common
from transforms import load_mapping_csv

from .appservice import Namespaces

TABLES = frozenset({"plan", "matrix", "users", "options", "rates", "destination"})
#: Synapse refuses a PDU over 65 536 bytes; the envelope (ids, hashes, signatures) needs ~2 KB and
#: the body travels twice (plain and HTML), so the content is planned well under it.
BUDGET_BYTES = 48_000
MAX_EVENT_BYTES = 65_536
MAX_ROOM_NAME = 255
_LOCALPART = re.compile(r"[a-z0-9._=/+-]+")
_USER_ID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.:\[\]-]+")
_SERVER_NAME = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


@dataclass(config=STRICT)
class MatrixSection:
    homeserver_url: str = "http://127.0.0.1:8008"
    #: the homeserver's `server_name`: the part after ':' in its user ids.
    server_name: str = "localhost"
    #: the registration file (relative to the plan) that `rsemigrate matrix register` writes;
    #: the token is read from it unless `as_token_env` is set.
    registration: str | None = "rsemigrate-appservice.yaml"
    as_token_env: str = "RSEMIGRATE_MATRIX_AS_TOKEN"
    user_prefix: str = "rsemigrate_"
    alias_prefix: str = "rsemigrate_"
    sender_localpart: str = "rsemigrate"
    #: the space that groups the imported rooms; empty or absent: no space.
    space: str | None = None
    placeholder_name: str = "Migration placeholder"
    message_budget: int = BUDGET_BYTES
    #: Synapse's `max_upload_size` (default 50M).
    max_upload_bytes: int = 50 * 1024 * 1024
    #: rooms are set up (name, topic, members) this long before their first message.
    container_margin_seconds: int = 60

    @field_validator("homeserver_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL (the client-server API's base)")
        return value.rstrip("/")

    @field_validator("server_name")
    @classmethod
    def _server(cls, value: str) -> str:
        if not _SERVER_NAME.fullmatch(value):
            raise ValueError("is not a valid Matrix server name (e.g. example.org or localhost:8448)")
        return value

    @field_validator("user_prefix", "alias_prefix", "sender_localpart")
    @classmethod
    def _localpart(cls, value: str) -> str:
        if not _LOCALPART.fullmatch(value):
            raise ValueError("may only hold a-z, 0-9 and . _ = - / +")
        return value

    @field_validator("message_budget")
    @classmethod
    def _budget(cls, value: int) -> int:
        if not 2_000 <= value <= MAX_EVENT_BYTES - 4_000:
            raise ValueError(f"must be between 2000 and {MAX_EVENT_BYTES - 4_000} bytes")
        return value

    @field_validator("container_margin_seconds", "max_upload_bytes")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value


@dataclass(config=STRICT)
class DestinationSection:
    #: the room's name (default: the source's name); `rooms` names them per source channel.
    room: str | None = None
    topic: str | None = None
    skip: bool = False
    rooms: dict[str, str] = field(default_factory=dict)

    @field_validator("room")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("a room name cannot be empty (leave the key out to use the source's name)")
        return value


RoomKind = Literal["room", "private"]


@plain_dataclass
class Room:
    """One Matrix room that receives the messages of one source channel."""

    key: str
    kind: RoomKind
    name: str
    topic: str | None
    source: Channel
    where: str = ""


@plain_dataclass
class MatrixPlan:
    path: Path
    common: CommonPlan
    connection: MatrixSection
    namespaces: Namespaces
    rooms: list[Room]
    problems: list[Problem]
    #: source channels left out on purpose, with the reason.
    skipped: list[tuple[Channel, str]]

    @property
    def registration_path(self) -> Path | None:
        reg = self.connection.registration
        return (self.path.parent / reg).resolve() if reg else None


def is_user_id(value: str) -> bool:
    return _USER_ID.fullmatch(value) is not None


def namespaces(connection: MatrixSection, common: CommonPlan) -> Namespaces:
    """The appservice namespaces, with the existing accounts the users mapping names."""
    explicit = load_mapping_csv(common.mapping_path) if common.mapping_path else {}
    candidates = set(explicit.values()) | {common.users.placeholder or ""}
    ns = Namespaces(connection.server_name, connection.user_prefix, connection.alias_prefix,
                    connection.sender_localpart)
    existing = tuple(sorted(t for t in candidates if t.startswith("@") and not ns.is_virtual(t)))
    return Namespaces(ns.server_name, ns.user_prefix, ns.alias_prefix, ns.sender_localpart, existing)


def load_document(path: Path) -> tuple[PlanDocument, CommonPlan, MatrixSection]:
    """The plan's shared sections and its [matrix] table (enough for `matrix register`)."""
    doc = PlanDocument.load(path)
    for key in doc.data:
        if key not in TABLES:
            raise doc.error((key,), f"unknown table (a Matrix plan has {', '.join(sorted(TABLES))})")
    common = load_common(doc)
    if common.header.target != "matrix":
        raise doc.error(("plan", "target"), f"this plan is for {common.header.target!r}, not for Matrix")
    return doc, common, doc.section(("matrix",), MatrixSection)


def load_plan(path: Path, archive: Archive) -> MatrixPlan:
    doc, common, connection = load_document(path)
    destinations = doc.section(("destination",), dict[str, DestinationSection])
    plan = MatrixPlan(path, common, connection, namespaces(connection, common), [], [], [])
    _resolve(plan, doc, archive, destinations)
    return plan


def _resolve(plan: MatrixPlan, doc: PlanDocument, archive: Archive,
             destinations: dict[str, DestinationSection]) -> None:
    groups: dict[str, Group] = {g.id: g for g in archive.groups()}
    channels = list(archive.channels())
    known = set(groups) | {c.id for c in channels}
    for key, section in destinations.items():
        if key not in known:
            raise doc.error(("destination", key), "no group or channel with this id in the archive")
        for channel_id in section.rooms:
            if channel_id not in known:
                raise doc.error(
                    ("destination", key, "rooms", channel_id), "no channel with this id in the archive"
                )
    names: dict[str, Room] = {}
    for channel in channels:
        if channel.kind in ("direct", "group_direct"):
            if plan.common.options.private_conversations == "skip":
                plan.skipped.append(
                    (channel, 'private conversation (options.private_conversations = "skip")')
                )
            else:
                plan.rooms.append(
                    Room(
                        f"room:{channel.id}",
                        "private",
                        channel.name or f"chat {channel.id}",
                        None,
                        channel,
                        f"private conversation {channel.id}",
                    )
                )
            continue
        group = groups.get(channel.group_id or "")
        dest_key = channel.group_id if channel.group_id in destinations else channel.id
        dest = destinations.get(dest_key or "")
        if dest is None:
            label = group.name if group else channel.name
            plan.problems.append(
                Problem(
                    "no-destination",
                    "lost",
                    f"source {dest_key} ({label})",
                    "has no [destination] in the plan: its messages would not be migrated (add one, or skip "
                    "= true)",
                )
            )
            continue
        if dest.skip:
            plan.skipped.append((channel, f"destination {dest_key} has skip = true"))
            continue
        name = (
            dest.rooms.get(channel.id) or dest.room or (group.name if group else channel.name) or channel.id
        )
        topic = (
            dest.topic
            if dest.topic is not None
            else channel.description or (group.description if group else None)
        )
        line = doc.line(("destination", dest_key or ""))
        room = Room(f"room:{channel.id}", "room", name[:MAX_ROOM_NAME], topic, channel,
                    f"{doc.path.name} line {line}" if line else doc.path.name)
        other = names.get(name.casefold())
        if other is not None:
            plan.problems.append(Problem("duplicate-room-name", "warning", f"{room.where}: room {name!r}",
                                         f"{other.where} gives another room the same name; both are created"))
        names.setdefault(name.casefold(), room)
        plan.rooms.append(room)
