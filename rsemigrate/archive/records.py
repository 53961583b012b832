"""The neutral records every connector reads into and every target writes from.

Records are plain, typed dataclasses: orjson serialises them natively (several times faster
than building pydantic models for a million messages), and pydantic derives the JSON Schema in
`schema/` from these same classes, so the two cannot drift apart. They have no `__slots__` on
purpose: orjson reads a dataclass's `__dict__` directly, which serialises a Yammer message in
1.1 µs instead of 2.4 µs with slots, and records stream, so their size in memory does not matter.

Rules that hold for every record:
- ids are strings, exactly as the source gave them (Yammer ids exceed 2**53);
- every instant is a `Timestamp`: RFC 3339 in UTC plus the source's raw string;
- `source` holds the platform fields that have no neutral home, so nothing is lost.

This module imports no platform code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

FORMAT_NAME = "rsemigrate-archive"
FORMAT_VERSION = "1.0"

UserState = Literal["active", "pending", "suspended", "deleted"]
ChannelKind = Literal["feed", "channel", "direct", "group_direct"]
MessageKind = Literal["post", "reply", "system", "announcement", "question", "poll", "praise", "event"]
MentionKind = Literal["user", "group", "tag", "channel", "all", "here", "usergroup", "link", "page"]
AttachmentKind = Literal["file", "image", "link", "page", "module"]
StorageStatus = Literal["present", "missing", "external"]
ReportAction = Literal["skipped", "quarantined", "degraded", "duplicate", "missing", "unmapped"]
RFC3339_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z$"
UtcString = Annotated[str, Field(pattern=RFC3339_UTC)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
#: a message file's payload path (relative to `data/`): numbered, and never outside `messages/`.
MESSAGE_FILE = r"^messages/[0-9]{5,}\.jsonl$"

#: Unknown fields are refused and every field is always written, so the JSON Schema is exact.
STRICT = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


@dataclass(frozen=True)
class Timestamp:
    """An instant: `utc` is RFC 3339 in UTC (`2019-03-04T10:00:00Z`); `raw` is the source text."""

    __pydantic_config__ = STRICT
    utc: UtcString
    raw: str


@dataclass
class User:
    __pydantic_config__ = STRICT
    id: str
    name: str
    email: str | None = None
    state: UserState = "active"
    guest: bool = False
    bot: bool = False
    #: "directory" when the source listed the user; "message" when it was rebuilt from a
    #: message's sender fields because the directory did not know it.
    origin: Literal["directory", "message"] = "directory"
    title: str | None = None
    department: str | None = None
    location: str | None = None
    joined_at: Timestamp | None = None
    suspended_at: Timestamp | None = None
    deleted_at: Timestamp | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class Group:
    """A community, team or workspace: the container channels belong to."""

    __pydantic_config__ = STRICT

    id: str
    name: str
    description: str | None = None
    private: bool = False
    deleted: bool = False
    external: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class Channel:
    """A conversation container. Yammer and Workplace groups become one `feed` channel each."""

    __pydantic_config__ = STRICT

    id: str
    kind: ChannelKind
    name: str
    group_id: str | None = None
    private: bool = False
    member_ids: list[str] = field(default_factory=list)
    description: str | None = None
    created_at: Timestamp | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class Body:
    """The body exactly as the source had it; `format` names its markup (`yammer-plain`, `html`…)."""

    __pydantic_config__ = STRICT

    format: str
    content: str


@dataclass
class Mention:
    __pydantic_config__ = STRICT
    kind: MentionKind
    raw: str
    target_id: str | None = None
    name: str | None = None


@dataclass
class Reaction:
    __pydantic_config__ = STRICT
    kind: str
    user_id: str | None = None
    at: Timestamp | None = None


@dataclass
class Message:
    __pydantic_config__ = STRICT
    id: str
    channel_id: str
    thread_id: str
    author_id: str
    created_at: Timestamp
    body: Body
    text: str
    kind: MessageKind = "post"
    #: null for a thread root; a reply may answer another reply.
    reply_to_id: str | None = None
    title: str | None = None
    edited_at: Timestamp | None = None
    deleted_at: Timestamp | None = None
    deleted_by_id: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class Attachment:
    """A file, link card or page a message refers to; files are stored by sha256 in the bag."""

    __pydantic_config__ = STRICT

    id: str
    kind: AttachmentKind
    status: StorageStatus
    source_ref: str
    name: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: Sha256 | None = None
    url: str | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportEntry:
    """One thing that was not carried over as-is, with the reason. Nothing is dropped silently.

    `action` is `skipped` (left out on purpose), `quarantined` (unreadable; `raw` keeps the
    original text), `degraded` (kept, but something was lost or repaired), `duplicate` (the source
    held the record more than once; one copy was kept) or `missing` (a referenced record is not in
    the export: references to `record_type`/`record_id` are known gaps, not errors) or `unmapped` (a
    source field the connector does not map, met in records of `record_type`; `record_id` is one of
    them: the field census, see rsemigrate/export/census.py).
    """

    __pydantic_config__ = STRICT

    action: ReportAction
    record_type: str
    record_id: str | None
    reason: str
    location: str | None = None
    raw: str | None = None


@dataclass
class SourceInfo:
    """What a connector learned about the export as a whole; it goes into `archive.json`."""

    __pydantic_config__ = STRICT

    platform: str
    network_id: str | None = None
    network_name: str | None = None
    requested_since: Timestamp | None = None
    requested_until: Timestamp | None = None


@dataclass
class MessageSpan:
    """Where one channel's messages are: `count` lines of `file`, from byte `offset` on for
    `length` bytes, the first of them being line `first_line` of the file.

    Channels are packed whole into a few large message files rather than one file each: an
    archive of 100,000 private conversations would otherwise be 100,000 files, which every
    file system, copy tool and archival store handles far worse than a handful of big ones.
    """

    __pydantic_config__ = STRICT

    channel_id: str
    file: Annotated[str, Field(pattern=MESSAGE_FILE)]
    offset: Annotated[int, Field(ge=0)]
    length: Annotated[int, Field(ge=1)]
    first_line: Annotated[int, Field(ge=1)]
    count: Annotated[int, Field(ge=1)]


Record = User | Group | Channel | Message | Attachment | ReportEntry | SourceInfo

#: record classes stored as JSONL in the payload, in dependency order, with their schema names.
PAYLOAD_RECORDS: dict[str, type] = {
    "user": User,
    "group": Group,
    "channel": Channel,
    "attachment": Attachment,
    "message": Message,
    "message_span": MessageSpan,
    "report": ReportEntry,
}
