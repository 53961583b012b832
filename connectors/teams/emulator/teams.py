"""Teams, channels and chats: creation in migration mode, start and complete, members.

Ordering rules enforced (ImportDoc, GraphImportConcept, msteams-docs#13317):
- a team created with `teamCreationMode = migration` uses the standard template, is back-dated
  to a past `createdDateTime`, and its General channel starts in migration mode with it;
- `completeMigration` on a team fails with "All channels must be finalized before team." while
  any channel (General included) is still in migration;
- a channel is created in migration mode only in a team under migration (msteams-docs#11973);
- completing General before the team's other migrating channels marks the team as migrated and
  strands them (channel-completemigration page);
- members can be added to such a team only after it is completed;
- only the app that started a conversation's migration may import into it or complete it.
"""

from __future__ import annotations

import re
from typing import Any

from ..plan import channel_name_problem
from .call import Call, Reply
from .rules import GraphError, bad, iso, parse_time
from .state import Channel, Chat, Conversation, Team

MIGRATE = "Teamwork.Migrate.All"
#: the permissions each Graph reference page lists (Teamwork.Migrate.All is not among them).
READ_TEAM = ("Team.ReadBasic.All", "TeamSettings.Read.All", "Group.Read.All", "Directory.Read.All")
READ_CHANNEL = ("Channel.ReadBasic.All", "ChannelSettings.Read.All", "Group.Read.All", "Directory.Read.All")
MEMBERS = ("TeamMember.ReadWrite.All",)
_USER_BIND = re.compile(r"users\('([^']+)'\)")


def team_of(call: Call) -> Team:
    team = call.tenant.teams.get(call.params["team"])
    if team is None:
        raise GraphError(404, "NotFound", f"No team {call.params['team']}")
    return team


def channel_of(call: Call) -> Channel:
    channel = team_of(call).channels.get(call.params["channel"])
    if channel is None:
        raise GraphError(404, "NotFound", f"No channel {call.params['channel']} in this team")
    return channel


def chat_of(call: Call) -> Chat:
    chat = call.tenant.chats.get(call.params["chat"])
    if chat is None:
        raise GraphError(404, "NotFound", f"No chat {call.params['chat']}")
    return chat


def team_json(team: Team) -> dict[str, Any]:
    return {"id": team.id, "displayName": team.display_name, "description": team.description,
            "createdDateTime": iso(team.created_ms), "isArchived": False}


def channel_json(c: Channel) -> dict[str, Any]:
    out = {"id": c.id, "displayName": c.display_name, "description": c.description,
           "membershipType": c.membership_type, "createdDateTime": iso(c.created_ms),
           "webUrl": f"https://teams.microsoft.com/l/channel/{c.id}"}
    if c.migration:
        out["migrationMode"] = c.migration
    return out


def chat_json(c: Chat) -> dict[str, Any]:
    out = {"id": c.id, "chatType": c.chat_type, "topic": c.topic, "createdDateTime": iso(c.created_ms)}
    if c.migration:
        out["migrationMode"] = c.migration
    return out


def _past(call: Call, body: dict[str, Any], mode_key: str, kind: str) -> tuple[bool, int]:
    """(created in migration mode?, createdDateTime) for a team or channel creation request."""
    mode = body.get(mode_key)
    if mode is not None and mode != "migration":
        raise bad(f"{mode_key} must be 'migration'")
    if "createdDateTime" in body and mode is None:
        raise bad(f"createdDateTime can only be set on a {kind} created with {mode_key} = migration")
    if mode is None:
        return False, call.now_ms
    created = (
        parse_time(body.get("createdDateTime"), "createdDateTime")
        if "createdDateTime" in body
        else call.now_ms
    )
    if created > call.now_ms:
        raise bad("createdDateTime is in the future")
    return True, created


def create_team(call: Call) -> Reply:
    body = call.json()
    migration, created = _past(call, body, "@microsoft.graph.teamCreationMode", "team")
    call.need(MIGRATE) if migration else call.need("Team.Create", MIGRATE)
    if not str(body.get("template@odata.bind", "")).endswith("teamsTemplates('standard')"):
        raise bad(
            "template@odata.bind must be the standard template (the only one allowed in migration mode)"
        )
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad("displayName is required")
    t = call.tenant
    app = call.app.client_id if call.app else None
    team = Team(t.new_guid(), name, body.get("description"), created, migration, app if migration else None)
    team.drive_id = "b!" + t.new_guid().replace("-", "")
    general = Channel(t.new_thread_id("thread.tacv2"), created, "inProgress" if migration else None,
                      team.migration_app, team_id=team.id, display_name="General", general=True)
    team.channels[general.id] = general
    op = t.new_guid()
    team.operations[op] = call.config.operation_polls
    t.teams[team.id] = team
    return Reply(202, None, {"Location": f"/teams('{team.id}')/operations('{op}')",
                             "Content-Location": f"/teams('{team.id}')"})


def get_operation(call: Call) -> Reply:
    team = team_of(call)
    op = call.params["operation"]
    if op not in team.operations:
        raise GraphError(404, "NotFound", f"No operation {op}")
    pending = team.operations[op]
    team.operations[op] = max(0, pending - 1)
    status = "inProgress" if pending else "succeeded"
    return Reply(200, {"id": op, "operationType": "createTeam", "status": status, "targetResourceId": team.id,
                       "targetResourceLocation": f"/teams('{team.id}')", "attemptsCount": 1})


def get_team(call: Call) -> Reply:
    call.need(*READ_TEAM)
    return Reply(200, team_json(team_of(call)))


def create_channel(call: Call) -> Reply:
    team, body = team_of(call), call.json()
    migration, created = _past(call, body, "@microsoft.graph.channelCreationMode", "channel")
    call.need(MIGRATE) if migration else call.need("Channel.Create")
    name = body.get("displayName")
    if not isinstance(name, str):
        raise bad("displayName is required")
    if problem := channel_name_problem(name):
        raise bad(f"Invalid channel name: it {problem}")
    if any(c.display_name.casefold() == name.casefold() for c in team.channels.values()):
        raise bad("Channel name already existed, please use other name.", "NameAlreadyExists")
    kind = body.get("membershipType", "standard")
    if migration and (not team.in_migration or team.marked_migrated):
        raise bad("Migration channels can only be created in a team under migration.")
    if migration and kind != "standard":
        raise bad("only standard channels can be created in migration mode")
    app = call.app.client_id if call.app else None
    channel = Channel(call.tenant.new_thread_id("thread.tacv2"), created, "inProgress" if migration else None,
                      app if migration else None, team_id=team.id, display_name=name,
                      description=body.get("description"), membership_type=kind)
    team.channels[channel.id] = channel
    return Reply(201, channel_json(channel))


def _start(call: Call, conv: Conversation) -> Reply:
    app = call.need(MIGRATE)
    if conv.migration == "inProgress":
        raise bad("The conversation is already in migration mode.")
    body = call.json()
    if "conversationCreationDateTime" in body:
        when = parse_time(body["conversationCreationDateTime"], "conversationCreationDateTime")
        if when > call.now_ms:
            raise bad("conversationCreationDateTime is in the future")
        if when >= conv.created_ms:
            raise bad(f"conversationCreationDateTime must be older than the conversation's current "
                      f"createdDateTime {iso(conv.created_ms)}; it can never be moved forward")
        conv.created_ms = when
    conv.migration, conv.migration_app = "inProgress", app.client_id
    return Reply(204)


def _complete(call: Call, conv: Conversation) -> Reply:
    app = call.need(MIGRATE)
    if conv.migration != "inProgress":
        raise bad("The conversation is not in migration mode.")
    if conv.migration_app != app.client_id:
        raise GraphError(403, "Forbidden", "Only the app that started the migration may complete it.")
    conv.migration = "completed"
    return Reply(204)


def start_channel(call: Call) -> Reply:
    return _start(call, channel_of(call))


def complete_channel(call: Call) -> Reply:
    """Completing General while other channels still migrate marks the team as migrated, which
    strands them (channel-completemigration page; msteams-docs#11973)."""
    team, channel = team_of(call), channel_of(call)
    if team.marked_migrated and not channel.general:
        raise bad("The team is already marked as migrated (its General channel was completed before this "
                  "channel); this channel can no longer be completed.")
    reply = _complete(call, channel)
    others = [c for c in team.channels.values() if c is not channel and c.migration == "inProgress"]
    if channel.general and team.in_migration and others:
        team.marked_migrated = True
    return reply


def complete_team(call: Call) -> Reply:
    call.need(MIGRATE)
    team = team_of(call)
    if not team.in_migration:
        raise bad("The team is not in migration mode.")
    if any(c.migration == "inProgress" for c in team.channels.values()):
        raise bad("All channels must be finalized before team.")
    team.in_migration = False
    return Reply(204)


def create_chat(call: Call) -> Reply:
    call.need("Chat.Create", "Chat.ReadWrite.All")
    body = call.json()
    kind = body.get("chatType")
    if kind not in ("group", "oneOnOne"):
        raise bad("chatType must be group or oneOnOne")
    members, visible_from = [], {}
    for i, member in enumerate(body.get("members") or []):
        match = _USER_BIND.search(str((member or {}).get("user@odata.bind", "")))
        user = call.tenant.find_user(match[1]) if match else None
        if user is None:
            raise bad(f"members[{i}]: user@odata.bind must name a user of this tenant")
        members.append(user.id)
        # Unset, the safer reading: a member sees the chat from its creation on, so history imported
        # before it stays hidden from them (chat-post-members; conversationMember).
        stated = member.get("visibleHistoryStartDateTime")
        visible_from[user.id] = parse_time(stated, f"members[{i}].visibleHistoryStartDateTime") if stated \
            else call.now_ms
    if kind == "oneOnOne" and len(set(members)) != 2:
        raise bad("a oneOnOne chat has exactly two members")
    if kind == "group" and len(set(members)) < 2:
        raise bad("a group chat needs at least two distinct members")
    chat = Chat(call.tenant.new_thread_id("thread.v2"), call.now_ms, chat_type=kind, topic=body.get("topic"),
                members=members, visible_from=visible_from)
    call.tenant.chats[chat.id] = chat
    return Reply(201, chat_json(chat))


def get_chat(call: Call) -> Reply:
    call.need("Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All")
    return Reply(200, chat_json(chat_of(call)))


def start_chat(call: Call) -> Reply:
    return _start(call, chat_of(call))


def complete_chat(call: Call) -> Reply:
    return _complete(call, chat_of(call))


def _member(call: Call, team: Team, entry: Any) -> str:
    match = _USER_BIND.search(str((entry or {}).get("user@odata.bind", "")))
    user = call.tenant.find_user(match[1]) if match else None
    if user is None:
        raise bad("user@odata.bind must name a user of this tenant", "NotFound")
    roles = [r for r in (entry.get("roles") or []) if r == "owner"]
    team.members[user.id] = roles
    return user.id


def _members_allowed(team: Team) -> None:
    if team.in_migration:
        raise bad("Members can be added only after the team's migration is completed (completeMigration).")


def add_member(call: Call) -> Reply:
    call.need(*MEMBERS)
    team = team_of(call)
    _members_allowed(team)
    user_id = _member(call, team, call.json())
    return Reply(201, {"@odata.type": "#microsoft.graph.aadUserConversationMember", "userId": user_id,
                       "roles": team.members[user_id]})


def add_members(call: Call) -> Reply:
    call.need(*MEMBERS)
    team = team_of(call)
    _members_allowed(team)
    results: list[dict[str, Any]] = []
    failed = False
    for entry in call.json().get("values") or []:
        try:
            results.append({"@odata.type": "#microsoft.graph.aadUserConversationMemberResult",
                            "userId": _member(call, team, entry), "error": None})
        except GraphError as exc:
            failed = True
            results.append({"@odata.type": "#microsoft.graph.aadUserConversationMemberResult", "userId": None,
                            "error": {"code": exc.code, "message": exc.message}})
    return Reply(207 if failed else 200, {"value": results})
