"""Microsoft Graph's Teams read shapes, and the folder layout a collection is saved in.

Facts from the Graph reference (channel-list-messages, chatmessage-list-replies,
chatmessage-list-hostedcontents, shares-get; source-formats.md §4). Every list answer is a page
`{"value": [...], "@odata.nextLink": "..."}`. Channel ids look like `19:…@thread.tacv2`, chat ids
`19:…@thread.v2` or `19:<a>_<b>@unq.gbl.spaces`; message ids are epoch-millisecond strings, unique
only within their channel or chat.

`collector` writes this layout, `reader` reads it, the emulator's `seed` serves it again:

    FOLDER/
      collect.json                                   what was asked, by which tool, when; finished_at
      teams/<team>/team.json                         GET /teams/{team}
      teams/<team>/members/page-0001.json …          GET /teams/{team}/members
      teams/<team>/channels/page-0001.json …         GET /teams/{team}/channels (standard, private, shared)
      teams/<team>/channels/<channel>/members/…      GET …/channels/{channel}/members (private and
                                                     shared channels only)
      teams/<team>/channels/<channel>/messages/…     GET …/messages?$top=50&$expand=replies (roots)
      teams/<team>/channels/<channel>/replies/<message>/…   GET …/messages/{message}/replies, when the
                                                     expansion held only some replies (replies@odata.nextLink)
      teams/<team>/channels/<channel>/hosted/<message>/<hosted>.bin|.json   inline images ($value)
      users/<user>/user.json                         GET /users/{user}?$select=USER_SELECT (a user whose
                                                     chats were asked for)
      users/<user>/chats/page-0001.json …            GET /users/{user}/chats?$expand=members
      chats/<chat>/messages/page-0001.json …         GET /chats/{chat}/messages?$top=50
      chats/<chat>/hosted/<message>/<hosted>.bin|.json
      files/<file>.bin|.json                         files of `reference` attachments, from the drive
      <any listing or item folder>/refused.json      Graph refused it (403, 404…): the reader reports it

`<team>`, `<channel>`… are `folder_key(id)`: the id itself when it is a safe file name, else a safe
form plus a digest (channel ids hold `:`, which Windows and many zip tools refuse). A `.json`
sidecar is written after its `.bin`, so a sidecar means "done": the resume trusts it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"

COLLECT = "collect.json"
TEAMS = "teams"
TEAM = "team.json"
MEMBERS = "members"
CHANNELS = "channels"
MESSAGES = "messages"
REPLIES = "replies"
HOSTED = "hosted"
USERS = "users"
USER = "user.json"
CHATS = "chats"
FILES = "files"
REFUSED = "refused.json"
PAGE = re.compile(r"page-(\d{4,})\.json")

#: Graph's maximum page for channel and chat messages (and for chats).
TOP = 50
#: what `GET /users/{id}` is asked for: by default it answers only businessPhones, displayName,
#: givenName, id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname and
#: userPrincipalName (user-get, "Optional query parameters"), not what tells a suspended account
#: (`accountEnabled`), a guest (`userType`) or a department.
USER_SELECT = ("id,displayName,mail,userPrincipalName,userType,accountEnabled,jobTitle,department,"
               "officeLocation,givenName,surname,businessPhones,mobilePhone,preferredLanguage")
#: `$expand=replies` holds up to this many replies; more come through /replies.
EXPANDED_REPLIES = 1000
REFERENCE = "reference"
CARD_PREFIX = "application/vnd.microsoft.card."
SYSTEM_TYPES = frozenset({"systemEventMessage", "chatEvent"})
#: what Graph answers for an enum member newer than the caller asked for (a system event, when
#: read without `PREFER`; channel-list-messages and chat-list-messages, example 1 vs 2).
UNKNOWN_ENUM = "unknownFutureValue"
#: sent with every read, so that system events say they are (`messageType: systemEventMessage`).
PREFER = {"Prefer": "include-unknown-enum-members"}
#: channels whose members are not simply the team's.
OWN_MEMBERS = frozenset({"private", "shared"})
#: a pre-authenticated download link (a bearer credential for ~1 hour): never saved.
DOWNLOAD_URL = "@microsoft.graph.downloadUrl"

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HOSTED = re.compile(r"/hostedContents/([^/?#\"'\s]+)/\$value")


def obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {} (Graph answers null for absent objects)."""
    return value if isinstance(value, dict) else {}


def folder_key(ident: str) -> str:
    """A file name for an id: the id when safe, else a readable safe form plus a digest."""
    if _SAFE.fullmatch(ident) and not ident.endswith("."):
        return ident
    slug = re.sub(r"[^A-Za-z0-9._@-]+", "_", ident)[:64].strip("._") or "id"
    return f"{slug}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def page_name(number: int) -> str:
    return f"page-{number:04d}.json"


def hosted_id(src: str) -> str | None:
    """The hostedContents id inside an inline image's URL (`…/hostedContents/{id}/$value`)."""
    match = _HOSTED.search(src)
    return match[1] if match else None


def share_id(url: str) -> str:
    """Graph's encoded sharing URL (`u!` + unpadded base64url), for GET /shares/{id}/driveItem."""
    return "u!" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def shared_url(share: str) -> str | None:
    """The URL inside a `share_id`, None when it is not one."""
    if not share.startswith("u!"):
        return None
    body = share[2:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except ValueError:
        return None


def file_key(attachment: dict[str, object]) -> str:
    """The saved name of a reference attachment's file: its id (the file's GUID), else a digest of
    its URL. The same file shared in several messages is fetched and stored once."""
    ident = attachment.get("id")
    if isinstance(ident, str) and ident:
        return folder_key(ident)
    return hashlib.sha256(str(attachment.get("contentUrl") or "").encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Conversation:
    """Where one channel's or chat's messages are read from (Graph) and saved (the folder)."""

    #: the neutral channel id: the channel's or the chat's Graph id.
    id: str
    team_id: str | None
    folder: str

    @classmethod
    def channel(cls, team_id: str, channel_id: str) -> Conversation:
        return cls(channel_id, team_id, f"{team_folder(team_id)}/{CHANNELS}/{folder_key(channel_id)}")

    @classmethod
    def chat(cls, chat_id: str) -> Conversation:
        return cls(chat_id, None, f"{CHATS}/{folder_key(chat_id)}")

    @property
    def messages(self) -> str:
        return f"{self.folder}/{MESSAGES}"

    def replies(self, message_id: str) -> str:
        return f"{self.folder}/{REPLIES}/{folder_key(message_id)}"

    def hosted(self, message_id: str, hosted: str) -> str:
        """The saved name (no suffix) of one inline image of a message."""
        return f"{self.folder}/{HOSTED}/{folder_key(message_id)}/{folder_key(hosted)}"

    @property
    def graph(self) -> str:
        """The Graph path of the conversation itself."""
        if self.team_id is None:
            return f"/chats/{_q(self.id)}"
        return f"/teams/{_q(self.team_id)}/channels/{_q(self.id)}"

    def graph_message(self, message_id: str, root_id: str | None = None) -> str:
        """The Graph path of a message: a root or chat message, or a reply under its root."""
        if root_id is None:
            return f"{self.graph}/messages/{_q(message_id)}"
        return f"{self.graph}/messages/{_q(root_id)}/replies/{_q(message_id)}"


def _q(ident: str) -> str:
    return quote(ident, safe="")


def team_folder(team_id: str) -> str:
    return f"{TEAMS}/{folder_key(team_id)}"


def user_folder(ref: str) -> str:
    return f"{USERS}/{folder_key(ref)}"


def file_path(key: str) -> str:
    return f"{FILES}/{key}"
