"""The raw shapes of a Yammer network data export: file names, CSV columns, cell encodings.

Facts from the export itself (reference: source-formats.md §1). Every column is optional unless it
is listed as required: the column set grew over the years, so rows are read by header name, never
by position, and columns this module does not name are kept in `source` untouched.
"""

from __future__ import annotations

from typing import NamedTuple, TypedDict

MESSAGES = "Messages.csv"
USERS = "Users.csv"
GROUPS = "Groups.csv"
FILES = "Files.csv"
PAGES = "Pages.csv"
TOPICS = "Topics.csv"
NETWORKS = "Networks.csv"
REQUEST = "request.txt"
#: the CSV files the reader reads (lower case); any other one beside Messages.csv is reported.
READ_CSV = frozenset(n.lower() for n in (MESSAGES, USERS, GROUPS, FILES, PAGES, TOPICS, NETWORKS))
#: folders holding natively stored binaries named `<id>.<ext>`.
FILES_DIR = "Files"
PAGES_DIR = "Pages"

#: `scope_type` of a private conversation in newer exports.
PRIVATE_SCOPE = "YAMMER_PRIVATE_CONVERSATION"


class MessageRow(NamedTuple):
    """The Messages.csv cells the reader interprets, in this order; an absent column reads as ""."""

    id: str
    thread_id: str
    replied_to_id: str
    group_id: str
    group_name: str
    participants: str
    in_private_group: str
    in_private_conversation: str
    scope_type: str
    sender_id: str
    sender_name: str
    sender_email: str
    body: str
    title: str
    message_type: str
    attachments: str
    deleted_by_id: str
    deleted_at: str
    created_at: str


MESSAGE_REQUIRED = ("id", "thread_id", "sender_id", "body", "created_at")
#: columns fully carried by neutral fields; every other non-empty cell goes to `Message.source`.
MESSAGE_CONSUMED = frozenset({
    "id", "thread_id", "replied_to_id", "group_id", "group_name", "participants",
    "in_private_conversation", "sender_id", "sender_name", "sender_email", "body", "title",
    "attachments", "deleted_by_id", "deleted_at", "created_at",
})


class UserRow(TypedDict, total=False):
    id: str
    name: str
    email: str
    job_title: str
    location: str
    department: str
    api_url: str
    deleted_by_id: str
    deleted_by_type: str
    joined_at: str
    deleted_at: str
    suspended_by_id: str
    suspended_by_type: str
    suspended_at: str
    guid: str
    #: `active` or `soft_delete` (pending, suspended or deleted, told apart by the dates).
    state: str


USER_REQUIRED = ("id", "name")
USER_CONSUMED = frozenset({
    "id", "name", "email", "job_title", "location", "department", "joined_at", "deleted_at",
    "suspended_at",
})


class GroupRow(TypedDict, total=False):
    id: str
    name: str
    description: str
    private: str
    deleted: str
    external: str
    created_at: str
    updated_at: str


GROUP_REQUIRED = ("id", "name")
GROUP_CONSUMED = frozenset(GroupRow.__annotations__)


class FileRow(TypedDict, total=False):
    """One row per file *version*: `id` is the version, `file_id` the file messages refer to."""

    id: str
    file_id: str
    name: str
    description: str
    uploader_id: str
    group_id: str
    download_url: str
    #: where the binary sits inside the export, when it was included.
    path: str
    uploaded_at: str
    deleted_at: str


class PageRow(TypedDict, total=False):
    id: str
    page_id: str
    name: str
    creator_user_id: str
    group_id: str
    download_url: str
    path: str
    published_at: str


FILE_REQUIRED = ("file_id",)
PAGE_REQUIRED = ("page_id",)
#: Files.csv/Pages.csv columns carried by neutral Attachment fields.
STORED_CONSUMED = frozenset({"file_id", "page_id", "name", "download_url"})


class NetworkRow(TypedDict, total=False):
    id: str
    name: str
    #: e.g. `https://www.yammer.com/contoso.com`: the last segment is the home email domain.
    url: str
