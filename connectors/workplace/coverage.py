"""What the Workplace reader does with every field of the saved Graph answers it knows.

The census (rsemigrate/export/census.py) reports every other non-empty field it meets as
`unmapped`; docs/workplace.md shows these declarations as its field-coverage table. Fields of
the older consumer Graph API (2014: `likes`, `object_id`, `picture`…) are declared too: the
same family of API, and the only public real feed these were tested on.
"""

from __future__ import annotations

from rsemigrate.export import Coverage, Field, ignored, kept, kept_all, mapped

_COMMON = (
    mapped("id", "`id`"),
    mapped("from", "`author_id`; an author who is no member is rebuilt from it"),
    mapped("message", "`body.content` and `text`"),
    mapped("message_tags", "`mentions` (user, group or page)"),
    mapped("created_time", "`created_at`"),
    mapped("comments", "the replies (saved `/<id>/comments` pages, else the inline list; a cut list "
           "is reported)"),
    mapped("reactions", "`reactions` (saved `/<id>/reactions` pages, else the inline list and its summary)"),
    mapped("likes", "`reactions` of kind LIKE (older answers); a cut list is reported"),
    kept("permalink_url"),
)

POST = Coverage("post", "post of a group feed (`groups/<id>/feed` pages)", (
    *_COMMON,
    mapped("formatting", "`body.format` (markdown or plaintext)"),
    mapped("story", "`text` of a post without message (kind system); kept in `source`"),
    mapped("attachments", "attachments (with `subattachments`); media files when saved"),
    *(mapped(k, "one attachment when the post has no `attachments` (older API): photo, video or link")
      for k in ("object_id", "picture", "source", "link")),
    *(mapped(k, "that attachment's `name` and `source.description`")
      for k in ("name", "caption", "description")),
    *kept_all("type", "status_type", "updated_time", "to", "poll", "properties", "privacy", "shares",
           "application", "place", "with_tags", "event", "is_hidden", "is_published"),
    ignored("actions", "links to the Comment and Like buttons of the post's page"),
    ignored("icon", "the icon of the post type"),
))

COMMENT = Coverage("comment", "comment or reply (inline `comments`, or `groups/<id>/comments/<id>` pages)", (
    *_COMMON,
    mapped("attachment", "the comment's one attachment; its media file when saved"),
    mapped("like_count", "`reactions` by unknown people beyond those listed"),
    *kept_all("comment_count", "parent"),
    ignored("can_remove", "whether the collecting token may delete it"),
    ignored("user_likes", "whether the collecting token's user liked it"),
))

_USER_FIELDS = (
    mapped("id", "`id`"),
    mapped("name", "`name`"),
    mapped("email", "`email`"),
    mapped("title", "`title`"),
    mapped("department", "`department`"),
    mapped("active", "`state` (suspended when false)"),
    mapped("account_invite_time", "`state` (pending: invited, never claimed); kept in `source`"),
    mapped("account_claim_time", "`state` (claimed: not pending); kept in `source`"),
    *kept_all("locale", "first_name", "last_name", "picture", "link", "primary_phone", "primary_address",
              "organization", "division", "cost_center", "employee_number", "start_date", "manager",
              "updated_time"),
)

USER = Coverage("user", "member of the community (`members` pages: GET /community/members)", _USER_FIELDS)

#: a group's members list the people of other companies too, whom the community's listing lacks.
MEMBER = Coverage("member", "member of a group (`groups/<id>/members` pages: GET /<group>/members); "
                  "the User of a person the community's members listing lacks (another company)", (
    mapped("id", "the feed channel's `member_ids`"),
    *(Field(f.path, f.handling, f"{f.note} (only of a person the community's listing lacks)")
      for f in _USER_FIELDS if f.path != "id"),
    mapped("administrator", "the group's `source.admins`"),
))

GROUP = Coverage("group", "group (`groups` listing and nested `groups/<id>/groups` pages, merged with "
                 "`groups/<id>/group.json`: GET /<group>)", (
    mapped("id", "`id`"),
    mapped("name", "`name`"),
    mapped("description", "`description`"),
    mapped("privacy", "`private` (CLOSED or SECRET); kept in `source`"),
    mapped("purpose", "`external` (WORK_MULTI_COMPANY); kept in `source`"),
    mapped("updated_time", "`updated_at`"),
    *kept_all("archived", "owner", "icon", "cover", "post_requires_admin_approval", "email",
              "is_workplace_default"),
))

REACTION = Coverage("reaction", "reaction (`groups/<id>/reactions/<id>` pages, or a post's or comment's "
                    "inline `reactions` or `likes`)", (
    mapped("id", "the Reaction's `user_id`"),
    mapped("type", "the Reaction's `kind` (a `likes` entry has none: LIKE)"),
    mapped("name", "the `name` of a person no members listing names (a User rebuilt from it, reported)"),
))

COMMUNITY = Coverage("community", "the community (community.json: GET /community)", (
    mapped("id", "the archive's source `id`"),
    mapped("name", "the archive's source `name`"),
))

COVERAGE = (POST, COMMENT, USER, MEMBER, GROUP, REACTION, COMMUNITY)
