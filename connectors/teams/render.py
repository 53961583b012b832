"""Teams message rules: the HTML allow-list, mention and file markup, the chatMessage payload an
import posts, and how its size is counted against the ~28 KB message limit.

Size: Teams' published limit (~28 KB) covers "the message itself (text, image links, etc.),
@-mentions … and reactions". Graph's import docs give no figure. This tool counts the UTF-8 bytes
of the body plus the JSON of the mentions, attachments and reactions arrays, plans against a
24 000-byte budget (margin for the unknown), and the emulator refuses above 28 KiB by the same
measure.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import emoji
import orjson
from bs4 import BeautifulSoup

from transforms import BASIC, AllowList, Draft, Identity

TEAMS_HTML = AllowList(tags=BASIC.tags, attributes={"a": frozenset({"href"})})
BUDGET_BYTES = 24_000
TEAMS_LIMIT_BYTES = 28 * 1024
MAX_REACTIONS = 250
#: reactions imported as such on one message; beyond, a summary line. 250 (the import scope) would
#: take ~40 KB of JSON, over the ~28 KB limit that counts reactions: the two documented figures
#: conflict, and the safer reading keeps a message's reactions within ~16 KB.
PLANNED_REACTIONS = 100

#: the reactionType values the chatMessageReaction reference documents, besides a Unicode emoji.
REACTION_TYPES = frozenset({"like", "heart", "laugh", "sad", "angry", "surprised"})
#: source reaction names (Yammer, Workplace, Slack short codes) → a documented reactionType.
REACTION_NAMES = {
    "love": "heart", "haha": "laugh", "wow": "surprised", "+1": "like", "thumbsup": "like",
    "joy": "laugh", "laughing": "laugh", "open_mouth": "surprised", "astonished": "surprised",
    "cry": "sad", "disappointed": "sad", "rage": "angry",
}


def teams_reaction(kind: str) -> str | None:
    """The reactionType Teams accepts for a source reaction: a documented type, or a Unicode emoji
    (a Slack short code like `tada` becomes 🎉); None for a custom emoji Teams cannot show."""
    name = kind.strip().strip(":").casefold()
    if name in REACTION_TYPES:
        return name
    if name in REACTION_NAMES:
        return REACTION_NAMES[name]
    if emoji.is_emoji(kind.strip()):
        return kind.strip()
    named = emoji.emojize(f":{name}:", language="alias")
    return named if emoji.is_emoji(named) else None

#: stand-ins used when sizing at planning time (the real values are only known at import).
_PLANNED_ID = "00000000-0000-0000-0000-000000000000"
_PLANNED_URL = "https://tenant.sharepoint.com/sites/team/Shared%20Documents/channel/Imported/" + "x" * 60


def mention_markup(n: int, text: str) -> str:
    return f'<at id="{n}">{html.escape(text)}</at>'


def file_markup(tag_id: str) -> str:
    return f'<attachment id="{tag_id}"></attachment>'


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as Graph's createdDateTime (UTC, millisecond precision)."""
    stamp = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{stamp.year:04d}" + stamp.strftime("-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """What an upload returned: the eTag GUID the attachment id must equal, and the file URL."""

    guid: str
    url: str
    name: str


def _user(who: Identity, resolve: Callable[[Identity], str]) -> dict[str, Any]:
    return {"user": {"id": resolve(who), "displayName": who.name, "userIdentityType": "aadUser"}}


def message_payload(draft: Draft, *, resolve: Callable[[Identity], str],
                    files: Mapping[str, UploadedFile] | None = None) -> dict[str, Any]:
    """The chatMessage JSON for one draft. `resolve` gives a person's Entra object id; `files`
    maps each file's planning tag id to its upload (absent: planning stand-ins are used)."""
    if draft.author is None or draft.created_ms is None:
        raise ValueError(f"message {draft.key} has no author or planned time yet")
    payload: dict[str, Any] = {
        "createdDateTime": iso_ms(draft.created_ms),
        "from": _user(draft.author, resolve),
        "body": {"contentType": "html", "content": draft.html},
    }
    if draft.mentions:
        payload["mentions"] = [
            {"id": m.id, "mentionText": m.text, "mentioned": _user(m.user, resolve)} for m in draft.mentions
        ]
    if draft.files:
        payload["attachments"] = [{"id": ref.tag_id, "contentType": "reference", "contentUrl": _PLANNED_URL,
                                   "name": ref.attachment.name or "file"} for ref in draft.files]
    if draft.reactions:
        payload["reactions"] = [
            {
                "reactionType": r.kind,
                "createdDateTime": r.at or iso_ms(draft.created_ms),
                "user": _user(r.user, resolve),
            }
            for r in draft.reactions
        ]
    return bind_files(payload, files) if files else payload


def bind_files(payload: dict[str, Any], files: Mapping[str, UploadedFile]) -> dict[str, Any]:
    """`payload` with each planning tag id (key of `files`) swapped for its upload: the eTag GUID
    in the body's `<attachment id>` and in the reference attachment, with the file's URL."""
    content = str(payload["body"]["content"])
    attachments = []
    for attachment in payload.get("attachments") or []:
        up = files.get(attachment["id"])
        if up is None:
            attachments.append(attachment)
            continue
        content = content.replace(file_markup(attachment["id"]), file_markup(up.guid))
        attachments.append({"id": up.guid, "contentType": "reference", "contentUrl": up.url, "name": up.name})
    bound = payload | {"body": payload["body"] | {"content": content}}
    if attachments:
        bound["attachments"] = attachments
    return bound


_ATTACHMENT_TAG = re.compile(r'<attachment id="[^"]*"></attachment>')


def content_digest(content: str) -> str:
    """sha256 of a body's text, blind to attachment ids (planning stand-ins or eTag GUIDs) and to
    whitespace, so a message read back from the target is recognised whatever ids it got."""
    text = BeautifulSoup(_ATTACHMENT_TAG.sub("[file]", content), "html.parser").get_text(" ")
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def payload_size(payload: Mapping[str, Any]) -> int:
    """Bytes counted against the ~28 KB message limit, which "includes the message itself (text,
    image links, etc.), @-mentions, … and reactions" (Teams limits page): body, mentions,
    attachments and reactions."""
    body = payload.get("body") or {}
    size = len(str(body.get("content") or "").encode("utf-8"))
    for key in ("mentions", "attachments", "reactions"):
        if payload.get(key):
            size += len(orjson.dumps(payload[key]))
    return size


def measure(draft: Draft) -> int:
    """Size of a draft as planned (ids and URLs are stand-ins of realistic length)."""
    planned = replace(draft, created_ms=draft.created_ms or 0,
                      author=draft.author or Identity("", "", None, "none"))
    return payload_size(message_payload(planned, resolve=lambda who: _PLANNED_ID))
