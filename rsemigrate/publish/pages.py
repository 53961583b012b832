"""Rendering: Jinja templates with autoescape, and message bodies through the allow-list sanitizer.

The archive's content is hostile input. Every value goes through Jinja's autoescaping, except a
message body, which is converted from its source markup and sanitised by `transforms.markup`
with the edition's allow-list before it is marked safe. Pages also carry a Content-Security-Policy
that forbids inline scripts and any network source, a second wall behind the sanitizer.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from transforms import reading_html

from ..archive import Attachment, Mention, Message, User

_SLUG = re.compile(r"[^a-z0-9]+")


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("rsemigrate.publish", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def template(name: str) -> Template:
    return environment().get_template(name)


def body_html(message: Message, users: dict[str, User]) -> Markup:
    """The body, sanitised as in the viewer, each mention shown as the name it names."""

    def mention(ref: Mention) -> str:
        user = users.get(ref.target_id or "") if ref.kind == "user" else None
        label = ref.name or (user.name if user else None) or ref.target_id or ref.raw
        return html.escape(label if ref.kind != "user" else "@" + label.removeprefix("@"))

    return Markup(reading_html(message, mention))  # noqa: S704 - allow-listed, mentions escaped


def key(*parts: str) -> str:
    """A short stable digest naming a file or anchor, whatever characters the ids hold."""
    return hashlib.sha1("\0".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def slug(name: str, ident: str) -> str:
    """A readable, safe folder name: the name's ASCII letters and digits, then a digest of the id."""
    readable = _SLUG.sub("-", name.lower()).strip("-")[:40]
    return f"{readable}-{key(ident)[:8]}" if readable else key(ident)


def thread_path(channel_id: str, thread_id: str) -> str:
    """Relative to the edition's data folder; two levels deep like channel pages, so links match."""
    digest = key(channel_id, thread_id)
    return f"threads/{digest[:2]}/{digest}.html"


def file_path(attachment: Attachment) -> str:
    """Where a stored file is published: its digest as folder, its own (made safe) name inside."""
    name = re.sub(r"[^\w.-]+", "_", attachment.name or "file").strip("._") or "file"
    return f"files/{attachment.sha256}/{name[:120]}"


@dataclass(frozen=True, slots=True)
class FileLink:
    name: str
    status: str
    href: str | None = None
    size: int | None = None
    sha256: str | None = None


def message_html(message: Message, users: dict[str, User], attachments: dict[str, Attachment]) -> str:
    """One message as a fragment for a page two levels below the edition's root (month and thread
    pages both are), so one rendering serves both."""
    author = users.get(message.author_id)
    files = []
    for attachment_id in message.attachment_ids:
        a = attachments.get(attachment_id)
        if a is None:
            files.append(FileLink(attachment_id, "not in the archive"))
        elif a.status == "present" and a.sha256:
            files.append(FileLink(a.name or a.id, a.status, f"../../{file_path(a)}", a.size, a.sha256))
        else:
            files.append(FileLink(a.name or a.url or a.id, "link" if a.url else a.status))
    reactions: dict[str, int] = {}
    for reaction in message.reactions:
        reactions[reaction.kind] = reactions.get(reaction.kind, 0) + 1
    thread_href = f"../../{thread_path(message.channel_id, message.thread_id)}"
    return template("message.html").render(
        m=message, author=author.name if author else message.author_id, body=body_html(message, users),
        files=files, reactions=[f"{kind} ×{count}" for kind, count in reactions.items()],
        anchor=key(message.id), parent_anchor=key(message.reply_to_id or ""),
        thread_href=thread_href)
