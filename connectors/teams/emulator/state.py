"""What the emulated tenant holds: apps, users, teams, channels, chats, messages, drive items.

Everything imported stays here so tests (and, later, a reconciliation) can read it back, through
Python (`GraphEmulator.tenant`) or over HTTP (`GET /_emulator/state`). One lock guards the whole
tenant: the emulator favours being obviously correct over being fast.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

MigrationMode = Literal["inProgress", "completed"]

#: what the default app is granted: everything an import needs, plus read-back and group reads.
DEFAULT_ROLES = frozenset({
    "Teamwork.Migrate.All", "Files.ReadWrite.All", "TeamMember.ReadWrite.All", "User.Read.All",
    "ChannelMessage.Read.All", "Chat.Read.All", "Group.Read.All", "Channel.Create", "Chat.Create",
})
#: extensions SharePoint opens in Office for the web (its webUrl is then a Doc.aspx page).
OFFICE_ONLINE = frozenset({".doc", ".docx", ".docm", ".dot", ".dotx", ".odt", ".rtf", ".xls", ".xlsx",
                           ".xlsm", ".xlsb", ".csv", ".ods", ".ppt", ".pptx", ".pptm", ".pps", ".ppsx",
                           ".odp", ".vsdx"})
DEFAULT_CLIENT_ID = "00000000-0000-0000-0000-0000000e0a11"
DEFAULT_SECRET = "emulator-secret"
DEFAULT_TENANT = "11111111-1111-1111-1111-111111111111"


@dataclass
class App:
    client_id: str = DEFAULT_CLIENT_ID
    secret: str = DEFAULT_SECRET
    roles: frozenset[str] = DEFAULT_ROLES


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    mail: str | None = None
    enabled: bool = True
    user_type: str = "Member"

    @classmethod
    def make(cls, upn: str, display_name: str | None = None, *, enabled: bool = True) -> User:
        """A user with a deterministic object id derived from the UPN."""
        return cls(str(uuid.uuid5(uuid.NAMESPACE_URL, "user:" + upn.lower())), upn,
                   display_name or upn.split("@")[0], upn, enabled)

    @classmethod
    def guest(cls, email: str, display_name: str | None, tenant_domain: str) -> User:
        """A guest invited from outside: its UPN is `name_domain#EXT#@tenant`, its mail the email, so
        it is found by `mail`, never by `GET /users/{email}`."""
        upn = email.replace("@", "_") + "#EXT#@" + tenant_domain
        return cls(str(uuid.uuid5(uuid.NAMESPACE_URL, "user:" + upn.lower())), upn,
                   display_name or email.split("@")[0], email, True, "Guest")

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "userPrincipalName": self.upn, "displayName": self.display_name,
                "mail": self.mail, "accountEnabled": self.enabled, "userType": self.user_type}


@dataclass
class Message:
    id: str
    created_ms: int
    payload: dict[str, Any]
    reply_to: str | None = None
    replies: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    """A thread that can be in migration mode: a channel or a chat."""

    id: str
    created_ms: int
    migration: MigrationMode | None = None
    #: the app that started the migration session; only it may import or complete.
    migration_app: str | None = None
    messages: dict[str, Message] = field(default_factory=dict)
    times: set[int] = field(default_factory=set)


@dataclass
class Channel(Conversation):
    team_id: str = ""
    display_name: str = ""
    description: str | None = None
    membership_type: str = "standard"
    general: bool = False
    folder_id: str | None = None
    #: how many times filesFolder answered 404 (not provisioned yet).
    folder_misses: int = 0


@dataclass
class Chat(Conversation):
    chat_type: str = "group"
    topic: str | None = None
    members: list[str] = field(default_factory=list)
    #: member → the start of the history they see (visibleHistoryStartDateTime), in ms.
    visible_from: dict[str, int] = field(default_factory=dict)


@dataclass
class Team:
    id: str
    display_name: str
    description: str | None
    created_ms: int
    #: created in migration mode and not completed yet.
    in_migration: bool
    migration_app: str | None
    channels: dict[str, Channel] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    operations: dict[str, int] = field(default_factory=dict)
    drive_id: str = ""
    #: General was completed while other channels were still migrating: the team counts as migrated,
    #: the other channels can no longer be completed, nor new migration channels created.
    marked_migrated: bool = False


@dataclass
class DriveItem:
    id: str
    drive_id: str
    parent_id: str | None
    name: str
    folder: bool = False
    content: bytes = b""
    etag_guid: str = ""
    version: int = 1
    #: the file's direct URL (what Graph calls webDavUrl); `json()` derives webUrl from it.
    web_url: str = ""

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "webUrl": self.page_url,
            "eTag": f'"{{{self.etag_guid.upper()}}},{self.version}"',
            "parentReference": {"driveId": self.drive_id, "id": self.parent_id},
        }
        if self.folder:
            out["folder"] = {}
        else:
            out["size"] = len(self.content)
            out["file"] = {"mimeType": "application/octet-stream"}
            out["webDavUrl"] = self.web_url
        return out

    @property
    def page_url(self) -> str:
        """webUrl as SharePoint answers it: for a file Office Online opens, the viewer page
        (`Doc.aspx?…&action=default`), not the file (Microsoft365R#86); else the file's URL."""
        if self.folder or PurePosixPath(self.name).suffix.lower() not in OFFICE_ONLINE:
            return self.web_url
        root = self.web_url.partition("/_files/")[0]
        return (f"{root}/_layouts/15/Doc.aspx?sourcedoc=%7B{self.etag_guid.upper()}%7D"
                f"&file={quote(self.name)}&action=default&mobileredirect=true")


@dataclass
class UploadSession:
    id: str
    drive_id: str
    parent_id: str
    name: str
    conflict: str
    expires_ms: int
    received: bytearray = field(default_factory=bytearray)
    total: int | None = None


class Tenant:
    """The emulated tenant. Mutate only while holding `lock`."""

    def __init__(
        self, tenant_id: str, domain: str, apps: list[App], users: list[User], seed: int | None
    ) -> None:
        self.id, self.domain = tenant_id, domain
        self.apps = {a.client_id: a for a in apps}
        self.users: dict[str, User] = {}
        for user in users:
            self.add_user(user)
        self.teams: dict[str, Team] = {}
        self.chats: dict[str, Chat] = {}
        self.items: dict[str, DriveItem] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        self._last_message_id = 0

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def find_user(self, ref: str) -> User | None:
        """A user by object id or UPN (case-insensitive), like GET /users/{id | userPrincipalName}."""
        hit = self.users.get(ref)
        if hit:
            return hit
        low = ref.lower()
        return next((u for u in self.users.values() if u.upn.lower() == low), None)

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def new_thread_id(self, suffix: str) -> str:
        return f"19:{uuid.UUID(int=self._random.getrandbits(128)).hex}@{suffix}"

    def new_message_id(self, now_ms: int) -> str:
        """Like Teams: ids follow arrival time (milliseconds), not the imported createdDateTime."""
        self._last_message_id = max(now_ms, self._last_message_id + 1)
        return str(self._last_message_id)

    def conversation(self, team_id: str | None, thread_id: str) -> Conversation | None:
        if team_id is None:
            return self.chats.get(thread_id)
        team = self.teams.get(team_id)
        return team.channels.get(thread_id) if team else None

    def snapshot(self) -> dict[str, Any]:
        """Everything imported, as plain JSON (for tests, rehearsal reports and reconciliation)."""
        with self.lock:
            def conv(c: Conversation) -> dict[str, Any]:
                return {"id": c.id, "createdMs": c.created_ms, "migrationMode": c.migration,
                        "messages": [{"id": m.id, "createdMs": m.created_ms, "replyTo": m.reply_to,
                                      "payload": m.payload} for m in c.messages.values()]}

            return {
                "tenant": self.id,
                "users": [u.json() for u in self.users.values()],
                "teams": [
                    {
                        "id": t.id,
                        "displayName": t.display_name,
                        "createdMs": t.created_ms,
                        "inMigration": t.in_migration,
                        "members": t.members,
                        "channels": [conv(c) | {"displayName": c.display_name} for c in t.channels.values()],
                    }
                    for t in self.teams.values()
                ],
                "chats": [
                    conv(c) | {"members": c.members, "topic": c.topic, "visibleFrom": c.visible_from}
                    for c in self.chats.values()
                ],
                "files": [i.json() for i in self.items.values() if not i.folder],
            }
