"""The community table's columns: one list the HTML tables, the CSV and the docs all follow, so
the three cannot show different figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Format = Literal["text", "int", "share", "hours", "seconds", "date", "bool", "list"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    format: Format
    #: where the value is: a Community field, or (for "plan.x") a field of its plan columns.
    help: str


GROUPS: dict[str, list[Column]] = {
    "Activity": [
        Column("created", "Created", "date", "creation date (the source's, when it has one)"),
        Column("first", "First message", "date", "oldest message"),
        Column("last", "Last message", "date", "newest message"),
        Column("messages", "Messages", "int", "messages, system messages excluded"),
        Column("threads", "Threads", "int", "thread-starting posts"),
        Column("replies", "Replies", "int", "replies"),
        Column("active_months", "Active months", "int", "months with at least one message"),
        Column("last_90_days", "Last 90 days", "int", "messages in the 90 days before the as-of date"),
        Column("last_365_days", "Last 365 days", "int", "messages in the 365 days before the as-of date"),
    ],
    "Conversation": [
        Column("reply_rate", "Reply rate", "share", "share of threads with at least one reply"),
        Column("median_first_reply_hours", "Median first reply", "hours",
               "median time from a thread's post to its first reply"),
        Column("authors", "Authors", "int", "distinct authors"),
        Column("top_author", "Top author", "text", "the author of the most messages"),
        Column("top_author_share", "Top author share", "share", "share of messages by the top author"),
        Column("top_decile_share", "Top 10% share", "share",
               "share of messages by the top 10% of authors (at least one)"),
    ],
    "Content": [
        Column("files", "Files", "int", "file and image attachments"),
        Column("file_bytes", "File bytes", "int", "their size in bytes"),
        Column("deleted_share", "Deleted", "share", "share of messages deleted in the source"),
        Column("private", "Private", "bool", "a private (closed) community"),
        Column("guest_authors", "Guest authors", "int", "authors the source marks as guests"),
        Column("external_authors", "External authors", "int",
               "authors outside the organisation's e-mail domains (guests not counted again)"),
        Column("external_share", "External share", "share",
               "share of messages by guests or external authors"),
    ],
    "People and style": [
        Column("people_posts", "Leader posts", "int", "thread posts by people of interest"),
        Column("people_replies", "Leader replies", "int", "replies by people of interest"),
        Column("people_reactions", "Leader reactions", "int", "reactions by people of interest"),
        Column("people_roles", "Roles present", "list", "roles of the people of interest who took part"),
        Column("mail_style_posts", "Mail-style posts", "int",
               "thread posts written like an e-mail (greeting … sign-off)"),
        Column("mail_style_share", "Mail-style share", "share",
               "share of thread posts written like an e-mail"),
    ],
}
PLAN = [
    Column("plan.decision", "Plan decision", "text", "what the plan does with it"),
    Column("plan.messages", "Planned messages", "int", "messages the import would post"),
    Column("plan.files", "Planned files", "int", "files the import would upload"),
    Column("plan.file_bytes", "Planned bytes", "int", "their size in bytes"),
    Column("plan.degradations", "Degradations", "int", "messages kept in another form (see plan check)"),
    Column("plan.import_seconds", "Import time", "seconds",
           "posts at the plan's per-conversation rate plus uploads, as if run alone"),
]


def value(row: dict[str, Any], column: Column) -> Any:
    if column.key.startswith("plan."):
        return (row.get("plan") or {}).get(column.key.removeprefix("plan."))
    return row.get(column.key)


def shown(raw: Any, fmt: Format) -> str:
    """How the page shows a value: the JSON's figure, with a unit, never rounded further."""
    if raw is None:
        return "—"
    if fmt == "share":
        return f"{raw * 100:.1f} %"
    if fmt == "hours":
        return f"{raw:g} h"
    if fmt == "seconds":
        return duration(raw)
    if fmt == "int":
        return f"{raw:,}"
    if fmt == "date":
        return str(raw)[:10]
    if fmt == "bool":
        return "yes" if raw else "no"
    if fmt == "list":
        return ", ".join(raw) or "—"
    return str(raw)


def sort_key(raw: Any, fmt: Format) -> str:
    """The value the page's sort script compares (numbers as numbers, the rest as text)."""
    if raw is None:
        return ""
    if fmt in ("share", "hours", "seconds", "int"):
        return repr(raw)
    if fmt == "bool":
        return "1" if raw else "0"
    return shown(raw, fmt)


def duration(seconds: float) -> str:
    """`2 h 05 min`, `4 min 10 s` or `12.5 s`: what a planner reads at a glance."""
    if seconds < 60:
        return f"{seconds:g} s"
    minutes, s = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {s:02d} s"
