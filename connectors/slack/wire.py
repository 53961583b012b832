"""The raw shapes of a Slack workspace export: file names, JSON objects, subtypes, ts strings.

Facts from Slack's export documentation and public parsers of real exports (reference:
source-formats.md §3; mattermost/mmetl `services/slack/models.go`). Every field is optional:
exports differ by plan and by year, so objects are read by key, and keys this module does not
name stay in the records' `source`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from rsemigrate.archive import ChannelKind, Timestamp, format_utc

USERS = "users.json"
#: Enterprise Grid org-wide exports list the org's users here instead of (or beside) users.json.
ORG_USERS = "org_users.json"
#: index file → (channel kind, private). A workspace root is a folder holding any of these.
CHANNEL_INDEXES: dict[str, tuple[ChannelKind, bool]] = {
    "channels.json": ("channel", False),
    "groups.json": ("channel", True),
    "dms.json": ("direct", True),
    "mpims.json": ("group_direct", True),
}
#: day files: `<channel folder>/YYYY-MM-DD.json`.
DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
#: binaries fetched by slack-advanced-exporter / slackdump ("Mattermost" layout):
#: `__uploads/<file id>/<name>`; slackdump's "standard" layout: `<channel>/attachments/<id>-<name>`.
UPLOADS_DIR = "__uploads"
ATTACHMENTS_DIR = "attachments"
FILE_ID = re.compile(r"F[A-Z0-9]{6,}")
#: the only origin a Slack token is ever sent to (unless reconfigured for a rehearsal).
FILES_ORIGIN = "https://files.slack.com"

#: the built-in Slackbot, author of tombstones and reminders; often absent from users.json.
SLACKBOT = "USLACKBOT"
#: author of a message that names no user, bot or username at all.
UNKNOWN_AUTHOR = "unknown"

#: subtypes that record something happening to the conversation rather than something said.
SYSTEM_SUBTYPES = frozenset({
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
    "channel_archive", "channel_unarchive", "channel_posting_permissions", "channel_convert_to_private",
    "group_join", "group_leave", "group_topic", "group_purpose", "group_name", "group_archive",
    "group_unarchive", "pinned_item", "unpinned_item", "bot_add", "bot_remove", "reminder_add",
})
TOMBSTONE = "tombstone"
BOT_MESSAGE = "bot_message"
BOT_ADD = "bot_add"
FILE_COMMENT = "file_comment"
THREAD_BROADCAST = "thread_broadcast"
#: Slack's record of integrations added and removed (who, when, in which channel, which service).
INTEGRATION_LOGS = "integration_logs.json"
#: the files of a workspace root the reader reads; any other JSON file there is reported.
READ_JSON = frozenset({USERS, ORG_USERS, INTEGRATION_LOGS, *CHANNEL_INDEXES})


class Profile(TypedDict, total=False):
    real_name: str
    display_name: str
    email: str
    title: str
    bot_id: str


class UserObject(TypedDict, total=False):
    id: str
    team_id: str
    name: str
    real_name: str
    deleted: bool
    is_bot: bool
    is_app_user: bool
    #: guests: single-channel (ultra) and multi-channel (restricted).
    is_restricted: bool
    is_ultra_restricted: bool
    profile: Profile


#: user fields carried by neutral User fields; the rest stays in `source`.
USER_CONSUMED = frozenset({"id", "real_name", "deleted", "is_bot", "is_restricted", "is_ultra_restricted"})


class Topic(TypedDict, total=False):
    value: str
    creator: str
    last_set: int


class ChannelObject(TypedDict, total=False):
    id: str
    name: str
    created: int
    creator: str
    is_archived: bool
    members: list[str]
    topic: Topic
    purpose: Topic
    #: DMs: the two members' ids are in `members`; older exports had `user`.
    user: str


class Reaction(TypedDict, total=False):
    name: str
    count: int
    users: list[str]


class Edited(TypedDict, total=False):
    user: str
    ts: str


class FileObject(TypedDict, total=False):
    id: str
    name: str
    title: str
    mimetype: str
    filetype: str
    size: int
    url_private: str
    url_private_download: str
    permalink: str
    #: `hosted` (normal), `external` (Google Drive…), `tombstone` (deleted), `hidden_by_limit`.
    mode: str
    is_external: bool


FILE_CONSUMED = frozenset({"id", "name", "mimetype", "size"})


class Comment(TypedDict, total=False):
    id: str
    user: str
    comment: str
    timestamp: int


class MessageObject(TypedDict, total=False):
    type: str
    subtype: str
    ts: str
    user: str
    bot_id: str
    username: str
    text: str
    thread_ts: str
    parent_user_id: str
    edited: Edited
    reactions: list[Reaction]
    files: list[FileObject]
    #: exports before 2019: the one file of a `file_share` or `file_comment` (not a list).
    file: FileObject
    #: exports before 2019: a `file_comment`'s comment, whose `user` is the message's author.
    comment: Comment
    bot_profile: dict[str, object]
    #: legacy link cards and bot attachments.
    attachments: list[dict[str, object]]
    user_profile: Profile


#: message fields carried by neutral Message fields; the rest (blocks, attachments, reply_count,
#: client_msg_id…) stays in `source`.
MESSAGE_CONSUMED = frozenset({"type", "ts", "user", "text", "thread_ts", "edited", "reactions", "files",
                              "file"})


def file_objects(item: MessageObject) -> list[FileObject]:
    """The file objects of a message, each once: `files` (since 2019) and the older single `file`."""
    files, single = item.get("files"), item.get("file")
    if not files and not single:
        return []
    found = [*(files or []), single] if single else files
    unique = {f["id"]: f for f in found if isinstance(f, dict) and isinstance(f.get("id"), str) and f["id"]}
    return list(unique.values())

_TS = re.compile(r"(\d{1,12})(?:\.(\d{1,6}))?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts_timestamp(ts: str) -> Timestamp:
    """A message `ts` ("1355517523.000005") as a Timestamp with microseconds; ValueError otherwise.

    Integer arithmetic, not float: a float loses the last microsecond digits that make each ts
    unique within its channel.
    """
    match = _TS.fullmatch(ts)
    if match is None:
        raise ValueError(f"not a Slack ts (expected '<epoch seconds>.<microseconds>'): {ts!r}")
    try:
        stamp = _EPOCH + timedelta(seconds=int(match[1]), microseconds=int((match[2] or "").ljust(6, "0")))
    except OverflowError:
        raise ValueError(f"Slack ts {ts!r} is after the year 9999") from None
    return Timestamp(stamp.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z", ts)


def epoch_timestamp(seconds: float | str | None) -> Timestamp | None:
    """A channel's `created` (epoch seconds); None when absent, zero, not a number or out of range."""
    try:
        value = float(seconds or 0)
        return Timestamp(format_utc(_EPOCH + timedelta(seconds=value)), str(seconds)) if value else None
    except (TypeError, ValueError, OverflowError):
        return None
