"""What the Yammer reader does with every column of the export's CSV files it knows.

The census (rsemigrate/export/census.py) reports every other non-empty column it meets as
`unmapped`; docs/yammer.md shows these declarations as its field-coverage table. Columns are
fixed per file, so the reader checks only the undeclared ones of each row: none, in every
export layout known today.
"""

from __future__ import annotations

from rsemigrate.export import Coverage, ignored, kept_all, mapped

MESSAGE = Coverage("message", "row of Messages.csv", (
    mapped("id", "`id`"),
    mapped("thread_id", "`thread_id` (empty: the row is its own thread, reported)"),
    mapped("replied_to_id", "`reply_to_id`"),
    mapped("group_id", "`channel_id` (the group's feed; empty: All Company)"),
    mapped("group_name", "the name of a group Groups.csv lacks"),
    mapped("in_private_group", "`private` of a group Groups.csv lacks"),
    mapped("in_private_conversation", "`channel_id`: the private conversation's channel"),
    mapped("scope_type", "`channel_id` (private scope); kept in `source`"),
    mapped("participants", "`member_ids` of the private conversation"),
    mapped("sender_id", "`author_id`"),
    mapped("sender_name", "the name of a sender Users.csv lacks"),
    mapped("sender_email", "the email of a sender Users.csv lacks"),
    mapped("sender_type", "`bot` of a sender Users.csv lacks; kept in `source`"),
    mapped("body", "`body.content` as written (yammer-plain); `text` rendered; `mentions`"),
    mapped("title", "`title`"),
    mapped("message_type", "`kind` (announcement, question, poll, praise, event, system); kept in `source`"),
    mapped("attachments", "`attachment_ids` (uploadedfile, page, opengraphobject tokens)"),
    mapped("deleted_at", "`deleted_at`"),
    mapped("deleted_by_id", "`deleted_by_id`"),
    mapped("created_at", "`created_at`"),
    *kept_all("parent_id", "conversation_id", "delegate_id", "html_body", "api_url", "deleted_by_type",
           "network_id", "network_name", "closed"),
    ignored("gdpr_delete_url", "an API address for erasing the message, no content"),
))

USER = Coverage("user", "row of Users.csv", (
    *(mapped(c, f"`{c}`") for c in ("id", "name", "email", "department", "location", "joined_at",
                                    "deleted_at", "suspended_at")),
    mapped("job_title", "`title`"),
    mapped("state", "`state` (with the dates); kept in `source`"),
    *kept_all("api_url", "deleted_by_id", "deleted_by_type", "suspended_by_id", "suspended_by_type", "guid",
              "user_cover_image_url"),
))

GROUP = Coverage("group", "row of Groups.csv", (
    *(mapped(c, f"`{c}`") for c in ("id", "name", "description", "private", "deleted", "external",
                                    "created_at", "updated_at")),
    *kept_all("creator_id", "web_url"),
))

_STORED = ("kept in the attachment's `source` (the file's row; a later version row of the same file "
           "replaces an earlier one)")

FILE = Coverage("file", "row of Files.csv (one per file version)", (
    mapped("file_id", "the attachment's id (`uploadedfile:<file_id>`), as messages name it"),
    mapped("name", "`name`; its extension gives `media_type` and `kind` (image or file)"),
    mapped("download_url", "`url`"),
    mapped("path", "the export entry of the binary, stored in the bag; kept in `source`"),
    *kept_all("id", "description", "uploader_id", "uploader_type", "group_id", "group_name", "reverted_to_id",
              "deleted_by_user_id", "in_private_group", "in_private_conversation", "file_api_url",
              "uploaded_at", "deleted_at", "original_network", "storage_path", note=_STORED),
))

PAGE = Coverage("page", "row of Pages.csv (a Yammer note)", (
    mapped("page_id", "the attachment's id (`page:<page_id>`), as messages name it"),
    mapped("name", "`name`"),
    mapped("download_url", "`url`"),
    mapped("path", "the export entry of the binary, stored in the bag; kept in `source`"),
    *kept_all("id", "creator_user_id", "published_by_user_id", "collaborator_user_ids", "group_id",
              "group_name", "reverted_to_id", "deleted_by_id", "deleted_by_type", "in_private_group",
              "page_api_url", "published_at", "deleted_at", note=_STORED),
))

TOPIC = Coverage("topic", "row of Topics.csv", (
    mapped("id", "the `target_id` of `[[tag:<id>]]` mentions"),
    mapped("name", "the `name` of those mentions (`#name` in `text`)"),
    ignored("created_by", "who created the topic: topics are no records of their own, only mention names"),
    ignored("created_at", "when the topic was created: topics are no records of their own"),
    ignored("api_url", "an API address of the topic, no content"),
))

NETWORK = Coverage("network", "first row of Networks.csv (the home network)", (
    mapped("id", "the archive's source `id`"),
    mapped("name", "the archive's source `name`"),
    mapped("url", "the home email domain (which tells guests); kept in the All Company group's "
           "`source.network`"),
    # the docs name these facts without their columns; the names are those of fixtures/yammer
    *kept_all("created_at", "moderated", "usage_policy_url", "user_count",
              note="kept in the All Company group's `source.network`"),
))

COVERAGE = (MESSAGE, USER, GROUP, FILE, PAGE, TOPIC, NETWORK)
#: the Messages.csv columns the coverage declares.
MESSAGE_COLUMNS = frozenset(f.path for f in MESSAGE.fields)
