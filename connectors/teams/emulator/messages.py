"""Importing messages and replies, and the directory reads a preflight makes.

Reading messages back (imported or seeded) is `reads.py`; `message_json` is how an imported one reads.
"""

from __future__ import annotations

import re
from typing import Any

from .call import Call, Reply, page
from .rules import GraphError, bad, check_message, iso
from .state import Conversation, Message
from .teams import MIGRATE, channel_of, chat_of

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


def get_user(call: Call) -> Reply:
    call.need("User.Read.All", "Directory.Read.All")
    user = call.tenant.find_user(call.params["user"])
    if user is None:
        raise GraphError(
            404,
            "Request_ResourceNotFound",
            f"Resource '{call.params['user']}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    return Reply(200, _selected(call, user.json()))


#: what GET /users returns without $select: "by default only a subset of the more commonly used
#: properties" (https://learn.microsoft.com/graph/api/user-get, Properties); of those the
#: emulator's users have these. accountEnabled and userType come only when selected.
_USER_DEFAULT = ("id", "userPrincipalName", "displayName", "mail")


def _selected(call: Call, user: dict[str, Any]) -> dict[str, Any]:
    wanted = call.args.get("$select")
    keys = [key.strip() for key in wanted.split(",")] if wanted else _USER_DEFAULT
    return {key: user[key] for key in ("id", *keys) if key in user}


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
    return page(call, [_selected(call, user) for user in users])


def list_groups(call: Call) -> Reply:
    """Teams are groups: `GET /groups?$filter=displayName eq 'X'` finds name collisions."""
    call.need("Group.Read.All", "Directory.Read.All", "GroupMember.Read.All")
    groups = [{"id": t.id, "displayName": t.display_name, "resourceProvisioningOptions": ["Team"]}
              for t in call.tenant.teams.values()]
    if cond := _equals(call):
        groups = [g for g in groups if str(g.get(cond[0]) or "").lower() == cond[1].lower()]
    return page(call, groups)


def list_teams(call: Call) -> Reply:
    call.need("Team.ReadBasic.All", "Group.Read.All", "Directory.Read.All")
    teams = [{"id": t.id, "displayName": t.display_name, "description": t.description}
             for t in call.tenant.teams.values()]
    if cond := _equals(call):
        teams = [g for g in teams if str(g.get(cond[0]) or "").lower() == cond[1].lower()]
    return page(call, teams)

