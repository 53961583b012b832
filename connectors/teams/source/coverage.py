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

MEMBER = Coverage("member", "conversationMember of a member listing (GET /teams/{id}/members, "
                  "…/channels/{id}/members) or of a chat's `members`", (
    mapped("userId", "the person's User `id`; the container's `member_ids`"),
    mapped("displayName", "the User's `name` (a `/users/{id}` answer's wins)"),
    mapped("email", "the User's `email` (a `/users/{id}` answer's `mail` wins)"),
    mapped("roles", "the User's `guest` (role `guest`); the container's `source.owners` (role `owner`)"),
    mapped("tenantId", "the User's `source.tenantId` (a person of another tenant in a shared channel)"),
    ignored("id", "the membership's id, not the person's (`userId`)"),
    ignored("visibleHistoryStartDateTime", "from when the member may read the history: a permission, "
            "not content (every message collected is in the archive)"),
    *_odata(),
))

USER = Coverage("user", "user (user.json: GET /users/{id}, a user whose chats were collected)", (
    mapped("id", "`id`"),
    mapped("displayName", "`name`"),
    mapped("mail", "`email`"),
    mapped("jobTitle", "`title`"),
    mapped("department", "`department`"),
    mapped("officeLocation", "`location`"),
    mapped("accountEnabled", "`state` (suspended when false)"),
    mapped("userPrincipalName", "`guest` (a `#EXT#` name); kept in `source`"),
    mapped("userType", "`guest` (Guest); kept in `source`"),
    *kept_all("businessPhones", "givenName", "surname", "mobilePhone", "preferredLanguage", "employeeId",
              "companyName", "country", "city", "usageLocation", "onPremisesSamAccountName"),
    *_odata(),
))

FILE = Coverage("file", "driveItem of a `reference` attachment's file (files/<file>.json: GET "
                "/shares/{id}/driveItem)", (
    mapped("name", "the attachment's `name` when the message gives none"),
    mapped("size", "`size` (the stored binary's own size wins)"),
    mapped("file", "`media_type` (`file.mimeType`); kept in `source.driveItem`"),
    *kept_all("id", "webUrl", "webDavUrl", "eTag", "cTag", "parentReference", "createdDateTime",
              "lastModifiedDateTime", "createdBy", "lastModifiedBy", "fileSystemInfo", "shared",
              "sharepointIds", "description", note="kept in `source.driveItem`"),
    ignored("@microsoft.graph.downloadUrl", "a pre-authenticated link (a bearer credential for an hour): "
            "never saved by the collector, never kept"),
    *_odata(),
))

COVERAGE = (MESSAGE, TEAM, CHANNEL, CHAT, MEMBER, USER, FILE)
