"""System event messages (`messageType` systemEventMessage) as one readable line.

Their body is an empty `<systemEventMessage/>`; what happened is in `eventDetail`, whose
`@odata.type` names the event (the Graph eventMessageDetail types: members added/removed/joined/
left, channel added/renamed/description updated, chat renamed, team renamed, calls, pins, tabs…)
and whose people are ids (display names are often null). The line is built from the type and the
names the directory knows; the whole `eventDetail` stays in the message's `source`. An event type
this table does not know still gets a line ("Ann: message pinned"), made from its type name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: a person's id → their name, or None when no listing named them.
Names = Callable[[str], str | None]

_TEMPLATES = {
    "membersAdded": "{initiator} added {members}",
    "membersDeleted": "{initiator} removed {members}",
    "membersJoined": "{members} joined",
    "membersLeft": "{members} left",
    "channelAdded": "{initiator} created the channel {channelDisplayName}",
    "channelDeleted": "{initiator} deleted the channel {channelDisplayName}",
    "channelRenamed": "{initiator} renamed the channel to {channelDisplayName}",
    "channelDescriptionUpdated": "{initiator} changed the channel description to: {channelDescription}",
    "chatRenamed": "{initiator} renamed the chat to {chatDisplayName}",
    "teamRenamed": "{initiator} renamed the team to {teamDisplayName}",
    "teamDescriptionUpdated": "{initiator} changed the team description to: {teamDescription}",
    "teamCreated": "{initiator} created the team {teamDisplayName}",
    "teamArchived": "{initiator} archived the team",
    "teamUnarchived": "{initiator} restored the team",
    "callStarted": "{initiator} started a call",
    "callEnded": "Call ended after {duration}",
    "callRecording": "{initiator}: call recording {callRecordingStatus}",
    "messagePinned": "{initiator} pinned a message",
    "messageUnpinned": "{initiator} unpinned a message",
    "conversationMemberRoleUpdated": "{initiator} made {conversationMemberUser} {conversationMemberRoles}",
}
_TYPE = re.compile(r"#?(?:microsoft\.graph\.)?(\w+?)EventMessageDetail$")


def event_kind(detail: dict[str, Any]) -> str:
    """`membersAdded` for `#microsoft.graph.membersAddedEventMessageDetail`; "" when unknown."""
    match = _TYPE.match(str(detail.get("@odata.type") or ""))
    return match[1] if match else ""


def identity_id(identity: Any) -> str | None:
    """The id inside a Graph identitySet (`{"user": {...}}`, `{"application": {...}}`…)."""
    if isinstance(identity, dict):
        for kind in ("user", "application", "device"):
            node = identity.get(kind)
            if isinstance(node, dict) and node.get("id"):
                return str(node["id"])
        if identity.get("id"):
            return str(identity["id"])
    return None


def describe(detail: Any, names: Names) -> str:
    """One line saying what the event was."""
    if not isinstance(detail, dict):
        return "System event"
    kind = event_kind(detail)
    fields = {k: _value(v, names) for k, v in detail.items() if not k.startswith("@")}
    fields["initiator"] = _person(detail.get("initiator"), names) or "Someone"
    fields["duration"] = _duration(str(detail.get("callDuration") or ""))
    template = _TEMPLATES.get(kind)
    if template is None:
        words = re.sub(r"(?<!^)([A-Z])", r" \1", kind).lower() or "system event"
        return f"{fields['initiator']}: {words}"
    return re.sub(r"\{(\w+)\}", lambda m: str(fields.get(m[1]) or "?"), template)


def _duration(iso: str) -> str | None:
    """`PT1H5M30S` as `1 h 5 min 30 s` (an ISO 8601 duration, as Graph writes call lengths)."""
    match = re.fullmatch(r"P(?:\d+D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", iso)
    if not iso or not match:
        return iso or None
    parts = [f"{v} {unit}" for v, unit in zip(match.groups(), ("h", "min", "s"), strict=True) if v]
    return " ".join(parts) or iso


def _person(identity: Any, names: Names) -> str | None:
    ident = identity_id(identity)
    if ident is None:
        return None
    shown = next((node.get("displayName") for node in identity.values()
                  if isinstance(node, dict) and node.get("displayName")), None)
    return names(ident) or shown or f"user {ident}"


def _value(value: Any, names: Names) -> str | None:
    if isinstance(value, list):
        shown = [_value(v, names) for v in value]
        return ", ".join(s for s in shown if s) or None
    if isinstance(value, dict):
        if "id" in value and ("displayName" in value or len(value) <= 3):
            return names(str(value["id"])) or value.get("displayName") or f"user {value['id']}"
        return _person(value, names)
    return None if value is None else str(value)
