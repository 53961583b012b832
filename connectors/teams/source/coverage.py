"""What the Teams reader does with every field of Graph's answers it knows, per record type.

The census (rsemigrate/export/census.py) reports every other non-empty field it meets as
`unmapped`; docs/teams-source.md shows these declarations as its field-coverage table.
"""

from __future__ import annotations

from rsemigrate.export import Coverage, Field, ignored, kept, kept_all, mapped


def _odata(*extra: str) -> tuple[Field, ...]:
    return tuple(ignored(p, "OData annotation of the answer, not content")
                 for p in ("@odata.type", "@odata.context", "@odata.etag", "@odata.id", *extra))


MESSAGE = Coverage("message", "chatMessage (channel root, reply or chat message)", (
    mapped("id", "`id` (`<channel or chat id>:<id>`); `source.id`"),
    mapped("createdDateTime", "`created_at`"),
    mapped("from", "`author_id` (user or application); a sender no listing names is rebuilt from it"),
    mapped("body", "`body` as written (teams-html or text); `text` rendered; inline images"),
    mapped("subject", "`title`"),
    mapped("messageType", "`kind` (`system` for systemEventMessage, or unknownFutureValue with an "
           "eventDetail); kept in `source`"),
    mapped("eventDetail", "`text` of a system event (one line), its author (`initiator`); kept in `source`"),
    mapped("lastEditedDateTime", "`edited_at`"),
    mapped("deletedDateTime", "`deleted_at`"),
    mapped("mentions", "`mentions`"),
    mapped("reactions", "`reactions` (one per person and type, with its time)"),
    mapped("attachments", "`attachment_ids`: files, cards; others (quoted messages) kept in `source`"),
    mapped("replyToId", "`reply_to_id` of a reply (with the root's thread); kept in `source`"),
    mapped("replies", "the root's replies when no /replies pages were collected"),
    mapped("replies@odata.nextLink", "followed by the collector; a root whose link was not is reported"),
    kept("replies@odata.count", "kept in `source` (said in the incomplete-thread report)"),
    ignored("replies@odata.context", "OData annotation of the expansion, not content"),
    *kept_all("etag", "lastModifiedDateTime", "summary", "chatId", "importance", "locale", "webUrl",
           "channelIdentity", "policyViolation", "messageHistory", "onBehalfOf"),
    *_odata(),
))

TEAM = Coverage("team", "team (team.json: GET /teams/{id})", (
    mapped("id", "`id`"),
    mapped("displayName", "`name`; without it, a renamed/created event's name, or the id (reported)"),
    mapped("description", "`description`"),
    mapped("createdDateTime", "`created_at`"),
    mapped("visibility", "`private`; kept in `source`"),
    *kept_all("isArchived", "memberSettings", "guestSettings", "messagingSettings", "funSettings",
           "discoverySettings", "internalId", "classification", "specialization", "webUrl", "tenantId",
           "summary", "isMembershipLimitedToOwners", "firstChannelName"),
    *_odata(),
))

CHANNEL = Coverage("channel", "channel (a channels page: GET /teams/{id}/channels)", (
    mapped("id", "`id`"),
    mapped("displayName", "`name`"),
    mapped("description", "`description`"),
    mapped("createdDateTime", "`created_at`"),
    mapped("membershipType", "`private` and `member_ids` (private and shared channels list their own); "
           "kept in `source`"),
    *kept_all("email", "webUrl", "isFavoriteByDefault", "tenantId", "isArchived", "moderationSettings",
           "summary", "filesFolderWebUrl"),
    *_odata(),
))

CHAT = Coverage("chat", "chat (a chats page: GET /users/{id}/chats?$expand=members)", (
    mapped("id", "`id`"),
    mapped("topic", "`name` (else the members' names)"),
    mapped("chatType", "`kind` (oneOnOne: direct; group, meeting: group_direct); kept in `source`"),
    mapped("members", "`member_ids`; the people's names and emails"),
    mapped("createdDateTime", "`created_at`"),
    ignored("members@odata.context", "OData annotation of the expansion, not content"),
    *kept_all("lastUpdatedDateTime", "webUrl", "tenantId", "onlineMeetingInfo", "viewpoint",
           "isHiddenForAllMembers", "lastMessagePreview"),
    *_odata(),
))

COVERAGE = (MESSAGE, TEAM, CHANNEL, CHAT)
