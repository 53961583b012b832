"""The read endpoints a Teams export uses, over imported and seeded content alike.

Documented behaviour followed (channel-list-messages, chatmessage-list-replies,
chatmessage-list-hostedcontents, shares-get, channel-list-members, chat-list): pages of `$top`
(at most 50 for messages and chats) with `@odata.nextLink` carrying every other query option;
`$expand=replies` puts up to `EmulatorConfig.expanded_replies` replies (Graph: 1000) inside each
root and a `replies@odata.nextLink` when there are more; `…/hostedContents/{id}/$value` answers
the image bytes; `GET /shares/{u!…}/driveItem` resolves a sharing URL to its item with a
pre-authenticated `@microsoft.graph.downloadUrl` (here on the emulator's open `/_files/` route,
carrying a `tempauth` token as SharePoint's do). Reading messages with application permissions
is a protected API on the real service; the emulator only checks the roles.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, unquote

from ..source.wire import UNKNOWN_ENUM, shared_url
from . import messages, teams
from .call import Call, Reply, page
from .drive import FILES_READ
from .rules import GraphError, bad, iso
from .seeded import SeededChannel, SeededChat, SeededItem, SeededMessage, SeededTeam
from .state import Conversation, Message, User

CHANNEL_MESSAGES = ("ChannelMessage.Read.All",)
CHAT_MESSAGES = ("Chat.Read.All", "Chat.ReadWrite.All")
MEMBERS_READ = ("TeamMember.Read.All", "TeamMember.ReadWrite.All", "Group.Read.All")
CHANNEL_MEMBERS = ("ChannelMember.Read.All", "ChannelMember.ReadWrite.All", "Group.Read.All")


def message_json(conv: Conversation, m: Message, team_id: str | None, call: Call) -> dict[str, Any]:
    out = dict(m.graph) if isinstance(m, SeededMessage) else messages.message_json(conv, m, team_id)
    if out.get("messageType") not in _V1_MESSAGE_TYPES and not _prefers_new_enums(call):
        out["messageType"] = UNKNOWN_ENUM
    return out


#: chatMessageType members of v1.0's first release; newer ones (systemEventMessage) are answered
#: as `unknownFutureValue` unless the request says `Prefer: include-unknown-enum-members`
#: (channel-list-messages and chat-list-messages, examples 1 and 2; "Best practices: evolvable
#: enumerations", learn.microsoft.com/graph/best-practices-concept, "Handling future members in
#: evolvable enumerations").
_V1_MESSAGE_TYPES = frozenset({"message", "chatEvent", "typing", UNKNOWN_ENUM})


def _prefers_new_enums(call: Call) -> bool:
    return "include-unknown-enum-members" in call.headers.get("prefer", "")


def _conversation_messages(conv: Conversation) -> None:
    if isinstance(conv, SeededChannel) and conv.refused:
        raise GraphError(conv.refused, "Forbidden", "The app may not read this channel's messages "
                         "(a shared channel of another tenant).")


def _message(conv: Conversation, message_id: str, reply_to: str | None = None) -> Message:
    m = conv.messages.get(message_id)
    if m is None or m.reply_to != reply_to:
        raise GraphError(404, "NotFound", f"No message {message_id}")
    return m


def _with_replies(call: Call, conv: Conversation, m: Message) -> dict[str, Any]:
    out = message_json(conv, m, call.params["team"], call)
    replies = [message_json(conv, conv.messages[r], call.params["team"], call) for r in m.replies]
    limit = call.config.expanded_replies
    out["replies"] = replies[:limit]
    if len(replies) > limit:
        out["replies@odata.nextLink"] = f"{call.base_url}{call.path}/{quote(m.id)}/replies?$skiptoken={limit}"
    return out


def list_channel_messages(call: Call) -> Reply:
    call.need(*CHANNEL_MESSAGES)
    conv = teams.channel_of(call)
    _conversation_messages(conv)
    expand = call.args.get("$expand", "")
    if expand not in ("", "replies"):
        raise bad("the emulator supports $expand=replies only")
    roots = [m for m in conv.messages.values() if m.reply_to is None]
    render = (lambda m: _with_replies(call, conv, m)) if expand else (
        lambda m: message_json(conv, m, call.params["team"], call))
    return page(call, [render(m) for m in roots])


def get_channel_message(call: Call) -> Reply:
    call.need(*CHANNEL_MESSAGES)
    conv = teams.channel_of(call)
    _conversation_messages(conv)
    return Reply(200, message_json(conv, _message(conv, call.params["message"]), call.params["team"], call))


def list_replies(call: Call) -> Reply:
    call.need(*CHANNEL_MESSAGES)
    conv = teams.channel_of(call)
    _conversation_messages(conv)
    root = _message(conv, call.params["message"])
    return page(call, [message_json(conv, conv.messages[r], call.params["team"], call) for r in root.replies])


def get_reply(call: Call) -> Reply:
    call.need(*CHANNEL_MESSAGES)
    conv = teams.channel_of(call)
    _conversation_messages(conv)
    m = _message(conv, call.params["reply"], call.params["message"])
    return Reply(200, message_json(conv, m, call.params["team"], call))


def list_chat_messages(call: Call) -> Reply:
    call.need(*CHAT_MESSAGES)
    conv = teams.chat_of(call)
    return page(call, [message_json(conv, m, None, call) for m in conv.messages.values()])


def get_chat_message(call: Call) -> Reply:
    call.need(*CHAT_MESSAGES)
    conv = teams.chat_of(call)
    return Reply(200, message_json(conv, _message(conv, call.params["message"]), None, call))


def _hosted_owner(call: Call) -> SeededMessage | None:
    if "chat" in call.params:
        call.need(*CHAT_MESSAGES)
        conv: Conversation = teams.chat_of(call)
        m = _message(conv, call.params["message"])
    else:
        call.need(*CHANNEL_MESSAGES)
        conv = teams.channel_of(call)
        m = (_message(conv, call.params["reply"], call.params["message"]) if "reply" in call.params
             else _message(conv, call.params["message"]))
    return m if isinstance(m, SeededMessage) else None


def list_hosted(call: Call) -> Reply:
    owner = _hosted_owner(call)
    hosted = owner.hosted if owner else {}
    return Reply(200, {"value": [{"id": hid, "contentBytes": None, "contentType": h.content_type}
                                 for hid, h in hosted.items()]})


def hosted_value(call: Call) -> Reply:
    owner = _hosted_owner(call)
    found = owner.hosted.get(call.params["hosted"]) if owner else None
    if found is None:
        raise GraphError(404, "NotFound", f"No hosted content {call.params['hosted']}")
    if found.refused:
        raise GraphError(403, "Forbidden", "Access to this hosted content is denied.")
    return Reply(200, found.content, {"Content-Type": found.content_type})


def get_team(call: Call) -> Reply:
    team = teams.team_of(call)
    if isinstance(team, SeededTeam):
        call.need(*teams.READ_TEAM)
        return Reply(200, dict(team.graph))
    return teams.get_team(call)


def _channel_json(c: Any) -> dict[str, Any]:
    return dict(c.graph) if isinstance(c, SeededChannel) else teams.channel_json(c)


def list_channels(call: Call) -> Reply:
    """Every channel in one answer: Graph does not page channels (at most 1000 a team)."""
    call.need(*teams.READ_CHANNEL)
    return Reply(200, {"value": [_channel_json(c) for c in teams.team_of(call).channels.values()]})


def get_channel(call: Call) -> Reply:
    call.need(*teams.READ_CHANNEL)
    return Reply(200, _channel_json(teams.channel_of(call)))


def _member(call: Call, user_id: str, roles: list[str], scope: str) -> dict[str, Any]:
    user = call.tenant.users.get(user_id) or User(user_id, "", "")
    return {"@odata.type": "#microsoft.graph.aadUserConversationMember", "id": f"{scope}#{user_id}",
            "roles": roles, "displayName": user.display_name or None, "userId": user_id, "email": user.mail,
            "tenantId": call.tenant.id}


def list_team_members(call: Call) -> Reply:
    call.need(*MEMBERS_READ)
    team = teams.team_of(call)
    return page(call, [_member(call, uid, roles, team.id) for uid, roles in team.members.items()])


def list_channel_members(call: Call) -> Reply:
    call.need(*CHANNEL_MEMBERS)
    team, channel = teams.team_of(call), teams.channel_of(call)
    members = (
        channel.members
        if isinstance(channel, SeededChannel) and channel.membership_type != "standard"
        else team.members
    )
    return page(call, [_member(call, uid, roles, channel.id) for uid, roles in members.items()])


def get_chat(call: Call) -> Reply:
    chat = teams.chat_of(call)
    if isinstance(chat, SeededChat):
        call.need(*CHAT_MESSAGES)
        return Reply(200, dict(chat.graph))
    return teams.get_chat(call)


def list_user_chats(call: Call) -> Reply:
    """A user's chats; `$expand=members` adds each chat's members as Graph shows them."""
    call.need("Chat.ReadBasic.All", *CHAT_MESSAGES)
    user = call.tenant.find_user(call.params["user"])
    if user is None:
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{call.params['user']}' does not exist")
    expand = call.args.get("$expand", "") == "members"
    found = []
    for chat in call.tenant.chats.values():
        if user.id not in chat.members:
            continue
        out = dict(chat.graph) if isinstance(chat, SeededChat) else teams.chat_json(chat)
        if expand:
            roles = chat.roles if isinstance(chat, SeededChat) else {}
            out["members"] = [_member(call, m, roles.get(m, ["owner"]), chat.id) | _history(chat, m)
                              for m in chat.members]
        found.append(out)
    return page(call, found)


def _history(chat: Any, member: str) -> dict[str, str]:
    since = getattr(chat, "visible_from", {}).get(member)
    return {} if since is None else {"visibleHistoryStartDateTime": iso(since)}


def _shared_item(call: Call) -> SeededItem:
    call.need(*FILES_READ)
    url = shared_url(call.params["share"])
    if url is None:
        raise bad("the share id must be u! followed by the base64url of a sharing URL", "invalidRequest")
    wanted = unquote(url)
    item = next((i for i in call.tenant.items.values()
                 if isinstance(i, SeededItem) and unquote(i.web_url) == wanted), None)
    if item is None:
        raise GraphError(
            404, "itemNotFound", "The sharing link no longer exists, or you do not have permission"
        )
    if item.restricted:
        raise GraphError(403, "accessDenied", "The caller does not have permission to perform the action.")
    return item


def _download_url(call: Call, item: SeededItem) -> str:
    token = secrets.token_urlsafe(24)
    return f"{call.root_url}/_files/{item.drive_id}/{item.id}/{quote(item.name)}?tempauth={token}"


def shared_drive_item(call: Call) -> Reply:
    item = _shared_item(call)
    return Reply(200, {**item.json(), "@microsoft.graph.downloadUrl": _download_url(call, item)})


def shared_content(call: Call) -> Reply:
    item = _shared_item(call)
    return Reply(302, None, {"Location": _download_url(call, item)})


_CHANNEL = "/v1.0/teams/<team>/channels/<channel>"
_ROOT = _CHANNEL + "/messages/<message>"
_CHAT = "/v1.0/chats/<chat>/messages/<message>"
ROUTES = [
    ("GET", "/v1.0/teams/<team>", get_team),
    ("GET", "/v1.0/teams/<team>/members", list_team_members),
    ("GET", "/v1.0/teams/<team>/channels", list_channels),
    ("GET", _CHANNEL, get_channel),
    ("GET", _CHANNEL + "/members", list_channel_members),
    ("GET", _CHANNEL + "/messages", list_channel_messages),
    ("GET", _ROOT, get_channel_message),
    ("GET", _ROOT + "/replies", list_replies),
    ("GET", _ROOT + "/replies/<reply>", get_reply),
    ("GET", _ROOT + "/hostedContents", list_hosted),
    ("GET", _ROOT + "/hostedContents/<hosted>/$value", hosted_value),
    ("GET", _ROOT + "/replies/<reply>/hostedContents", list_hosted),
    ("GET", _ROOT + "/replies/<reply>/hostedContents/<hosted>/$value", hosted_value),
    ("GET", "/v1.0/chats/<chat>", get_chat),
    ("GET", "/v1.0/chats/<chat>/messages", list_chat_messages),
    ("GET", _CHAT, get_chat_message),
    ("GET", _CHAT + "/hostedContents", list_hosted),
    ("GET", _CHAT + "/hostedContents/<hosted>/$value", hosted_value),
    ("GET", "/v1.0/users/<user>/chats", list_user_chats),
    ("GET", "/v1.0/shares/<share>/driveItem", shared_drive_item),
    ("GET", "/v1.0/shares/<share>/driveItem/content", shared_content),
]
