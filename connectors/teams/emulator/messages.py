"""Importing messages and replies, reading them back, and the directory reads a preflight makes.

Reading channel messages with application permissions is a *protected* API on the real service
(ChannelMessage.Read.All plus an approval form); the emulator only checks the role.
"""

from __future__ import annotations

import re
from typing import Any

from .call import Call, Reply
from .rules import GraphError, bad, check_message, iso
from .state import Conversation, Message
from .teams import MIGRATE, channel_of, chat_json, chat_of

_FILTER_EQ = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$")


def _post(call: Call, conv: Conversation, reply_to: str | None) -> Reply:
    app = call.need(MIGRATE)
    payload = call.json()
    if reply_to is not None:
        root = conv.messages.get(reply_to)
        if root is None or root.reply_to is not None:
            raise GraphError(404, "NotFound", f"No root message {reply_to} in this channel")
    created = check_message(call.tenant, conv, payload, app.client_id, call.now_ms,
                            max_bytes=call.config.max_message_bytes, max_reactions=call.config.max_reactions)
    message = Message(call.tenant.new_message_id(call.now_ms), created, payload, reply_to)
    conv.messages[message.id] = message
    conv.times.add(created)
    if reply_to is not None:
        conv.messages[reply_to].replies.append(message.id)
    return Reply(201, message_json(conv, message, call.params.get("team")))


def post_channel_message(call: Call) -> Reply:
    return _post(call, channel_of(call), None)


def post_reply(call: Call) -> Reply:
    return _post(call, channel_of(call), call.params["message"])


def post_chat_message(call: Call) -> Reply:
    return _post(call, chat_of(call), None)


def message_json(conv: Conversation, m: Message, team_id: str | None) -> dict[str, Any]:
    p = m.payload
    out: dict[str, Any] = {
        "id": m.id, "replyToId": m.reply_to, "messageType": "message",
        "createdDateTime": iso(m.created_ms), "lastModifiedDateTime": iso(m.created_ms),
        "subject": p.get("subject"), "from": p.get("from"), "body": p.get("body"),
        "mentions": p.get("mentions") or [], "attachments": p.get("attachments") or [],
        "reactions": p.get("reactions") or [],
    }
    if team_id:
        out["channelIdentity"] = {"teamId": team_id, "channelId": conv.id}
    else:
        out["chatId"] = conv.id
    return out


def _page(call: Call, items: list[dict[str, Any]]) -> Reply:
    try:
        top = min(50, max(1, int(call.args.get("$top", "20"))))
        skip = max(0, int(call.args.get("$skiptoken", "0")))
    except ValueError:
        raise bad("$top and $skiptoken must be integers") from None
    page: dict[str, Any] = {"value": items[skip:skip + top]}
    if skip + top < len(items):
        page["@odata.nextLink"] = f"{call.base_url}{call.path}?$top={top}&$skiptoken={skip + top}"
    return Reply(200, page)


def list_channel_messages(call: Call) -> Reply:
    call.need("ChannelMessage.Read.All")
    conv = channel_of(call)
    roots = [message_json(conv, m, call.params["team"]) for m in conv.messages.values() if m.reply_to is None]
    return _page(call, roots)


def get_channel_message(call: Call) -> Reply:
    call.need("ChannelMessage.Read.All")
    conv = channel_of(call)
    m = conv.messages.get(call.params["message"])
    if m is None:
        raise GraphError(404, "NotFound", f"No message {call.params['message']}")
    return Reply(200, message_json(conv, m, call.params["team"]))


def list_replies(call: Call) -> Reply:
    call.need("ChannelMessage.Read.All")
    conv = channel_of(call)
    root = conv.messages.get(call.params["message"])
    if root is None:
        raise GraphError(404, "NotFound", f"No message {call.params['message']}")
    return _page(call, [message_json(conv, conv.messages[r], call.params["team"]) for r in root.replies])


def list_chat_messages(call: Call) -> Reply:
    call.need("Chat.Read.All", "Chat.ReadWrite.All")
    conv = chat_of(call)
    return _page(call, [message_json(conv, m, None) for m in conv.messages.values()])


def list_user_chats(call: Call) -> Reply:
    """The chats a user takes part in; `$expand=members` adds their members."""
    call.need("Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All")
    user = call.tenant.find_user(call.params["user"])
    if user is None:
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{call.params['user']}' does not exist")
    expand = call.args.get("$expand", "") == "members"
    chats = [chat_json(c) | ({"members": [{"@odata.type": "#microsoft.graph.aadUserConversationMember", "userId": m}
                                          for m in c.members]} if expand else {})
             for c in call.tenant.chats.values() if user.id in c.members]
    return _page(call, chats)


def get_user(call: Call) -> Reply:
    call.need("User.Read.All", "Directory.Read.All")
    user = call.tenant.find_user(call.params["user"])
    if user is None:
        raise GraphError(404, "Request_ResourceNotFound",
                         f"Resource '{call.params['user']}' does not exist or one of its queried reference-property "
                         "objects are not present.")
    return Reply(200, user.json())


def _equals(call: Call) -> tuple[str, str] | None:
    raw = call.args.get("$filter")
    if raw is None:
        return None
    match = _FILTER_EQ.match(raw)
    if not match:
        raise bad("the emulator supports $filter=PROPERTY eq 'VALUE' only")
    return match[1], match[2].replace("''", "'")


def list_users(call: Call) -> Reply:
    call.need("User.Read.All", "Directory.Read.All")
    users = [u.json() for u in call.tenant.users.values()]
    if cond := _equals(call):
        users = [u for u in users if str(u.get(cond[0]) or "").lower() == cond[1].lower()]
    return _page(call, users)


def list_groups(call: Call) -> Reply:
    """Teams are groups: `GET /groups?$filter=displayName eq 'X'` finds name collisions."""
    call.need("Group.Read.All", "Directory.Read.All", "GroupMember.Read.All")
    groups = [{"id": t.id, "displayName": t.display_name, "resourceProvisioningOptions": ["Team"]}
              for t in call.tenant.teams.values()]
    if cond := _equals(call):
        groups = [g for g in groups if str(g.get(cond[0]) or "").lower() == cond[1].lower()]
    return _page(call, groups)


def list_teams(call: Call) -> Reply:
    call.need(*("Team.ReadBasic.All", "Group.Read.All", "Directory.Read.All", MIGRATE))
    teams = [{"id": t.id, "displayName": t.display_name, "description": t.description}
             for t in call.tenant.teams.values()]
    if cond := _equals(call):
        teams = [g for g in teams if str(g.get(cond[0]) or "").lower() == cond[1].lower()]
    return _page(call, teams)

