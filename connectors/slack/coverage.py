"""What the Slack reader does with every field it knows, per source record type.

The census (rsemigrate/export/census.py) reports every other non-empty field it meets as
`unmapped`; docs/slack.md shows these declarations as its field-coverage table.
"""

from __future__ import annotations

from rsemigrate.export import Coverage, ignored, kept, kept_all, mapped

_CARD = "attachments[]"

MESSAGE = Coverage("message", "message object of a day file (`<channel>/YYYY-MM-DD.json`)", (
    mapped("ts", "`id` (`<channel id>:<ts>`), `created_at`, `source.ts`"),
    mapped("text", "`body.content` as written (slack-mrkdwn); `text` rendered, `mentions`"),
    mapped("user", "`author_id`"),
    mapped("subtype", "`kind` (`system` for channel events); `source.subtype`"),
    mapped("thread_ts", "`thread_id`, `reply_to_id`"),
    mapped("edited", "`edited_at` (`edited.ts`); `source.edited_by` (`edited.user`)"),
    mapped("reactions", "`reactions` (one per user); `source.reaction_counts` when `count` exceeds `users`"),
    mapped("files", "`attachment_ids`; each file an Attachment whose `source` keeps the file object"),
    mapped("file", "as `files` (exports before 2019: the one file of a file_share or file_comment)"),
    mapped("comment", "`author_id` (`comment.user`) of a file_comment; the comment is in `text`; "
           "kept in `source`"),
    mapped("bot_id", "`author_id` (the bot user owning it, else the bot id)"),
    mapped("bot_profile", "the name of a bot no user list knows; kept in `source`"),
    mapped("username", "the name of a bot or webhook no user list knows; kept in `source`"),
    mapped("user_profile", "the name of a sender no user list knows; kept in `source`"),
    mapped("blocks", "`text` when the message has no `text` (Block Kit rendered); kept in `source`"),
    mapped(_CARD, "kept in `source`; integration cards rendered into `text`, link unfurls become `link` "
           "attachments"),
    mapped(f"{_CARD}.pretext", "`text`"),
    mapped(f"{_CARD}.author_name", "`text`"),
    mapped(f"{_CARD}.title", "`text`; the link attachment's `name`"),
    mapped(f"{_CARD}.text", "`text`"),
    mapped(f"{_CARD}.fields", "`text` (`title: value` lines)"),
    mapped(f"{_CARD}.footer", "`text`"),
    mapped(f"{_CARD}.fallback", "`text` when the card has nothing else"),
    mapped(f"{_CARD}.from_url", "a `link` attachment's `url`"),
    mapped(f"{_CARD}.original_url", "a `link` attachment's `url`"),
    mapped(f"{_CARD}.title_link", "a `link` attachment's `url`"),
    mapped(f"{_CARD}.service_name", "a `link` attachment's `name` when it has no title"),
    mapped(f"{_CARD}.id", "the link attachment's id"),
    *kept_all(*(f"{_CARD}.{k}" for k in (
        "color", "mrkdwn_in", "thumb_url", "thumb_width", "thumb_height", "service_url", "service_icon",
        "author_link", "author_icon", "author_subname", "video_html", "video_html_width", "video_html_height",
        "image_url", "image_width", "image_height", "image_bytes", "footer_icon", "ts", "callback_id",
        "actions", "fallback_text", "app_unfurl_url", "is_app_unfurl", "app_id", "bot_id", "is_share",
        "is_msg_unfurl", "message_blocks", "channel_id", "channel_name", "channel_team", "is_animated",
        "blocks")), note="kept in `source.attachments` (decoration, or a preview of another page)"),
    ignored("type", "always `message`"),
    kept("root", "kept in `source` (a thread_broadcast's copy of its thread root, itself a message)"),
    kept("room", "kept in `source` (a huddle: its call, participants and times; the text says it began)"),
    kept("no_notifications", "kept in `source` (a huddle's notification setting)"),
    *kept_all("parent_user_id", "reply_count", "reply_users", "reply_users_count", "replies", "latest_reply",
           "last_read", "subscribed", note="kept in `source` (thread summary; the replies are messages)"),
    *kept_all("client_msg_id", "team", "user_team", "source_team", "replace_original", "delete_original",
           "metadata", "hidden", "inviter", "upload", "display_as_bot", "is_intro", "icons", "is_starred",
           "pinned_to", "pinned_info", "channel", "name", "old_name", "purpose", "topic", "is_locked",
           "app_id", "x_files", "permalink"),
))

USER = Coverage("user", "user object of users.json / org_users.json", (
    mapped("id", "`id`"),
    mapped("profile", "`name` (`real_name`, `display_name`), `email`, `title`; `bot_id` links a bot's "
           "messages to it; kept in `source`"),
    mapped("real_name", "`name`"),
    mapped("name", "`name` when no real or display name; kept in `source`"),
    mapped("deleted", "`state` deleted"),
    mapped("is_bot", "`bot`"),
    mapped("is_restricted", "`guest` (multi-channel guest)"),
    mapped("is_ultra_restricted", "`guest` (single-channel guest)"),
    *kept_all("team_id", "color", "tz", "tz_label", "tz_offset", "is_admin", "is_owner", "is_primary_owner",
           "updated", "is_app_user", "has_2fa", "two_factor_type", "has_files", "presence", "locale",
           "enterprise_user", "is_invited_user", "is_stranger", "is_email_confirmed", "is_workflow_bot",
           "who_can_share_contact_card", "always_active"),
))

CHANNEL = Coverage("channel", "entry of channels.json, groups.json, dms.json or mpims.json", (
    mapped("id", "`id`"),
    mapped("name", "`name` (DMs and group DMs: named after their members); the folder of its day files"),
    mapped("members", "`member_ids`"),
    mapped("user", "`member_ids` of an old-style DM without `members`; kept in `source`"),
    mapped("created", "`created_at`"),
    mapped("purpose", "`description` (`purpose.value`); kept in `source`"),
    *kept_all("creator", "topic", "is_archived", "is_general", "is_channel", "is_group", "is_im", "is_mpim",
           "is_private", "is_member", "is_open", "is_shared", "is_ext_shared", "is_org_shared",
           "is_global_shared", "is_pending_ext_shared", "is_read_only", "shared_team_ids", "last_read",
           "locale", "name_normalized", "num_members", "priority", "properties", "unlinked", "pins",
           "is_frozen", "is_moved", "context_team_id", "conversation_host_id", "internal_team_ids",
           "pending_shared", "pending_connected_team_ids", "parent_conversation", "previous_names"),
))

INTEGRATION = Coverage("integration", "entry of integration_logs.json (an app or integration added, "
                       "changed or removed)", (
    mapped("service_type", "the name of a bot no user list names (matched by `channel` and `date` to its "
           "bot_add message)"),
    mapped("app_type", "as `service_type`, for apps"),
    mapped("channel", "matches the entry to a bot_add message"),
    mapped("date", "matches the entry to a bot_add message"),
    *kept_all("user_id", "user_name", "change_type", "service_id", "app_id", "scope", "reason", "rss_feed",
              "rss_feed_change_type", "rss_feed_title", "rss_feed_url",
              note="kept: the whole log is in the workspace group's `source.integration_logs`"),
))

COVERAGE = (MESSAGE, USER, CHANNEL, INTEGRATION)
