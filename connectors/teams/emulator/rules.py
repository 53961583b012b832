"""The documented rules an imported message must satisfy, and Graph-shaped errors.

Sources: Graph "Import messages into Microsoft Teams" (createdDateTime in the past, after the
conversation's creation, unique to the millisecond per channel or chat else 409; `from` a user of
the tenant), the Teams limits page (~28 KB per message, mentions and reactions included), the
current import scope (at most 250 reactions) and the chatMessageReaction reference (reactionType
like, heart, laugh, sad, angry, surprised, or a Unicode emoji). Where the docs name no status for
a refusal (oversize, unknown author, mention and attachment mismatches, a reaction type), the
emulator's choice is stated in docs/teams.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import emoji

from ..render import REACTION_TYPES, iso_ms, payload_size
from .state import Conversation, DriveItem, Tenant

_AT = re.compile(r"<at\s+id=\"?(\d+)\"?\s*>", re.IGNORECASE)
_ATTACHMENT = re.compile(r"<attachment\s+id=\"([^\"]+)\"\s*>", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d{3})\d+")


class GraphError(Exception):
    """An error answer: status, Graph error code and message (plus optional headers)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def bad(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def parse_time(value: Any, field: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 time with a zone; extra digits are truncated."""
    if not isinstance(value, str):
        raise bad(f"{field} is required (ISO 8601 UTC, e.g. 2019-03-04T10:00:00.000Z)")
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"{field} {value!r} is not a valid ISO 8601 date-time") from None
    if stamp.tzinfo is None:
        raise bad(f"{field} {value!r} has no time zone")
    return int(stamp.timestamp() * 1000)


def iso(ms: int) -> str:
    return iso_ms(ms)


def require_user(tenant: Tenant, identity: Any, what: str) -> str:
    user = (identity or {}).get("user") if isinstance(identity, dict) else None
    if not isinstance(user, dict) or not user.get("id"):
        raise bad(f"{what} must have user.id (an Entra user of this tenant)")
    if user.get("userIdentityType", "aadUser") != "aadUser":
        raise bad(f"{what}: userIdentityType must be aadUser")
    found = tenant.find_user(str(user["id"]))
    if found is None or found.id != user["id"]:
        raise bad(f"{what}: user {user['id']!r} is not a user of this tenant (use the object id)")
    return found.id


def check_message(tenant: Tenant, conv: Conversation, payload: Any, app_id: str, now_ms: int,
                  *, max_bytes: int, max_reactions: int) -> int:
    """Validate an import; returns the createdDateTime in ms. Raises GraphError on refusal."""
    if conv.migration != "inProgress":
        raise bad("Message POST is allowed in application-only context only for import purposes. "
                  "The conversation is not in migration mode.")
    if conv.migration_app != app_id:
        raise GraphError(403, "Forbidden", "The migration of this conversation was started by another app; "
                                           "only that app may import into it.")
    if not isinstance(payload, dict):
        raise bad("the request body must be a chatMessage object")
    created = parse_time(payload.get("createdDateTime"), "createdDateTime")
    if created > now_ms:
        raise bad(f"createdDateTime {payload['createdDateTime']} is in the future")
    if created <= conv.created_ms:
        raise bad(f"createdDateTime {payload['createdDateTime']} is not later than the conversation's "
                  f"creation time {iso(conv.created_ms)}")
    require_user(tenant, payload.get("from"), "from")
    body = payload.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        raise bad("body.content is required")
    if body.get("contentType", "text") not in ("html", "text"):
        raise bad("body.contentType must be html or text")
    reactions = payload.get("reactions") or []
    if len(reactions) > max_reactions:
        raise bad(f"{len(reactions)} reactions; at most {max_reactions} can be imported per message")
    size = payload_size(payload)
    if size > max_bytes:
        raise GraphError(413, "MessageSizeTooBig", f"The message is {size} bytes; the limit is {max_bytes} "
                                                   "(body, mentions, attachments and reactions)")
    _check_mentions(tenant, body["content"], payload.get("mentions") or [])
    _check_attachments(tenant, body["content"], payload.get("attachments") or [])
    for i, reaction in enumerate(reactions):
        require_user(
            tenant, reaction.get("user") if isinstance(reaction, dict) else None, f"reactions[{i}].user"
        )
        kind = str(reaction.get("reactionType") or "")
        if kind not in REACTION_TYPES and not emoji.is_emoji(kind):
            raise bad(f"reactions[{i}].reactionType {kind!r} is not supported: use "
                      f"{', '.join(sorted(REACTION_TYPES))} or a Unicode emoji")
    if created in conv.times:
        raise GraphError(
            409,
            "Conflict",
            f"A message with createdDateTime {iso(created)} already exists in this "
            "conversation; adjust the value and retry.",
        )
    return created


def _check_mentions(tenant: Tenant, content: str, mentions: list[Any]) -> None:
    in_body = {int(n) for n in _AT.findall(content)}
    listed: set[int] = set()
    for i, mention in enumerate(mentions):
        if not isinstance(mention, dict) or not isinstance(mention.get("id"), int):
            raise bad(f"mentions[{i}] needs an integer id")
        listed.add(mention["id"])
        require_user(tenant, mention.get("mentioned"), f"mentions[{i}].mentioned")
    if in_body != listed:
        raise bad(f"mentions do not match the <at id> tags in the body (body {sorted(in_body)}, "
                  f"mentions {sorted(listed)})")


def _check_attachments(tenant: Tenant, content: str, attachments: list[Any]) -> None:
    in_body = {a.lower() for a in _ATTACHMENT.findall(content)}
    listed: set[str] = set()
    guids = {i.etag_guid.lower(): i for i in tenant.items.values() if not i.folder}
    for i, att in enumerate(attachments):
        if not isinstance(att, dict) or not att.get("id"):
            raise bad(f"attachments[{i}] needs an id")
        if att.get("contentType") == "reference":
            item = guids.get(str(att["id"]).lower())
            if item is None:
                raise bad(f"attachments[{i}]: no uploaded file has the eTag GUID {att['id']}")
            _check_content_url(i, att, item)
        listed.add(str(att["id"]).lower())
    if in_body != listed:
        raise bad("attachments do not match the <attachment id> tags in the body")


def _extension(text: str) -> str:
    """What follows the last dot, as Graph compares them (query string included)."""
    tail = text.rsplit("/", 1)[-1]
    return "." + tail.rsplit(".", 1)[-1].lower() if "." in tail else ""


def _check_content_url(i: int, att: dict[str, Any], item: DriveItem) -> None:
    """A reference's contentUrl is the file's own URL, whose extension is the name's (Microsoft365R#86:
    an Office file's webUrl, a Doc.aspx page, is refused with this message)."""
    url, name = str(att.get("contentUrl") or ""), str(att.get("name") or item.name)
    if _extension(url) != _extension(name):
        raise bad(f"File contentUrl extension: '{_extension(url)}' and name extension: '{_extension(name)}' "
                  "do not match.")
    if url not in (item.web_url, item.page_url):
        raise bad(f"attachments[{i}].contentUrl does not point at the uploaded file")
