"""Matrix message rules: the HTML allow-list, pills, the plain-text fallback, event contents, sizes.

Spec: https://spec.matrix.org/v1.11/client-server-api/#mroommessage-msgtypes (HTML subset,
`m.text`, `m.file`, `m.image`), #user-and-room-mentions (pills and `m.mentions`),
#mreaction (annotations). Every event carries `org.rsemigrate.source` (the ledger key of the
event and the source message id), so an import can find what it already sent by reading the room
back, whatever happened to transaction ids. Every message also carries `m.mentions` (empty when
nobody is mentioned): clients then notify only the people really mentioned, never someone whose
name merely appears in a years-old message.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from bs4 import BeautifulSoup, NavigableString
from bs4.element import Tag

from rsemigrate.archive import Attachment
from transforms import BASIC, LINK_SCHEMES, AllowList, Draft, Identity

from .appservice import Namespaces

SOURCE = "org.rsemigrate.source"
HTML_FORMAT = "org.matrix.custom.html"
#: the spec's suggested subset (client-server API, "m.room.message msgtypes"), images as links:
#: an `<img>` must point at `mxc://`, and a source image URL is not one. Links: http(s) and mailto
#: only (transforms/links.py), narrower than the spec's list (no ftp, no magnet).
MATRIX_HTML = AllowList(
    tags=BASIC.tags | frozenset({"h4", "h5", "h6", "caption", "details", "summary"}),
    attributes={"a": frozenset({"href"}), "ol": frozenset({"start"})},
    url_schemes=LINK_SCHEMES,
)
#: source reaction names → the emoji Matrix clients show; other names are sent as they are.
REACTION_KEYS = {
    "like": "👍", "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "love": "❤️", "heart": "❤️",
    "laugh": "😆", "haha": "😆", "joy": "😂", "smile": "😄", "wow": "😮", "surprised": "😮", "sad": "😢",
    "cry": "😢", "angry": "😠", "tada": "🎉", "clap": "👏", "eyes": "👀", "fire": "🔥", "rocket": "🚀",
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "pray": "🙏", "thinking_face": "🤔", "100": "💯",
}
#: Matrix has no per-message reaction limit; this only keeps one message's fan-out bounded.
MAX_REACTIONS = 1_000
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "tr",
        "details",
        "summary",
        "caption",
    }
)
_ATTACHMENT_TAG = re.compile(r'<attachment id="[^"]*"></attachment>')
_MENTION_TAG = re.compile(r'<a href="mention:\d+">')
_ALLOWED_LOCALPART = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as RFC 3339 UTC with milliseconds (the report's times)."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def mention_markup(n: int, text: str) -> str:
    """A stand-in the mentions pass writes; `text_content` turns it into a pill."""
    return f'<a href="mention:{n}">{html.escape(text)}</a>'


def file_markup(tag_id: str) -> str:
    """Where a file was attached; files travel as their own events, so the tag never reaches Matrix."""
    return f'<attachment id="{tag_id}"></attachment>'


def pill(user_id: str, text: str) -> str:
    return f'<a href="https://matrix.to/#/{html.escape(user_id)}">{html.escape(text)}</a>'


def encode_localpart(text: str) -> str:
    """A Matrix localpart for any text (an email, an id): lower-case, other characters as =XX bytes."""
    out: list[str] = []
    for ch in text.strip().lower():
        out.append(ch if ch in _ALLOWED_LOCALPART else "".join(f"={b:02x}" for b in ch.encode("utf-8")))
    return "".join(out)


@dataclass(frozen=True)
class UserIds:
    """Who a person is on the homeserver: an existing account (`@…` in the mapping) or a virtual user."""

    ns: Namespaces

    def __call__(self, who: Identity) -> str:
        target = who.target or ""
        if target.startswith("@"):
            return target
        return f"@{self.ns.user_prefix}{encode_localpart(target)}:{self.ns.server_name}"


def plain_text(fragment: str) -> str:
    """The `body` fallback of an HTML fragment: its text, blocks on their own lines, lists bulleted,
    a link's address after its text when they differ (a pill is just the name)."""
    soup = BeautifulSoup(fragment, "html.parser")
    out: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                out.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name == "br":
                out.append("\n")
                continue
            block = name in _BLOCKS
            if block:
                out.append("\n")
            if name == "li":
                out.append("• ")
            walk(child)
            href = str(child.get("href") or "") if name == "a" else ""
            text = child.get_text()
            if (
                href
                and not href.startswith("https://matrix.to/")
                and href.removeprefix("mailto:") != text.strip()
            ):
                out.append(f" ({href})")
            if block:
                out.append("\n")

    walk(soup)
    lines = [" ".join(line.split()) if not line.startswith("• ") else "• " + " ".join(line[2:].split())
             for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def source_block(key: str, message_id: str) -> dict[str, str]:
    return {"key": key, "message": message_id}


def text_html(draft: Draft, user_ids: UserIds) -> str:
    """The draft's HTML as Matrix gets it: file tags removed, mention stand-ins turned into pills."""
    out = _ATTACHMENT_TAG.sub("", draft.html)
    for m in draft.mentions:
        out = out.replace(m.markup, pill(user_ids(m.user), m.text))
    return _MENTION_TAG.sub("<a>", out)  # a stand-in whose mention did not survive (cannot happen)


def text_content(
    draft: Draft, user_ids: UserIds, key: str, external_url: str | None = None
) -> dict[str, Any]:
    """The `m.text` content of one draft (relations are added at send time, when ids are known)."""
    formatted = text_html(draft, user_ids)
    content: dict[str, Any] = {
        "msgtype": "m.text",
        "body": plain_text(formatted),
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        "m.mentions": {"user_ids": sorted({user_ids(m.user) for m in draft.mentions})}
        if draft.mentions
        else {},
        SOURCE: source_block(key, draft.message.id),
    }
    if external_url:
        content["external_url"] = external_url
    return content


def has_text(draft: Draft) -> bool:
    return bool(_ATTACHMENT_TAG.sub("", draft.html).strip())


def file_content(attachment: Attachment, key: str, message_id: str) -> dict[str, Any]:
    """The `m.file` or `m.image` content of an uploaded file; `url` (the mxc URI) is added at send time."""
    name = attachment.name or attachment.source_ref or attachment.id
    mimetype = attachment.media_type or "application/octet-stream"
    image = attachment.kind == "image" or mimetype.startswith("image/")
    return {
        "msgtype": "m.image" if image else "m.file",
        "body": name,
        "filename": name,
        "info": {"mimetype": mimetype, "size": attachment.size or 0},
        SOURCE: source_block(key, message_id),
    }


def reaction_content(kind: str, key: str, message_id: str) -> dict[str, Any]:
    """An `m.reaction` content without its target (added at send time)."""
    return {"m.relates_to": {"rel_type": "m.annotation", "key": REACTION_KEYS.get(kind, kind)},
            SOURCE: source_block(key, message_id)}


def measure(draft: Draft, user_ids: UserIds) -> int:
    """Bytes of the draft's text event content as JSON (what counts toward Synapse's event limit)."""
    return len(orjson.dumps(text_content(draft, user_ids, draft.key)))


def content_digest(content: Mapping[str, Any]) -> str:
    """sha256 of an event content without what only the homeserver or the send knows (event ids, mxc
    URIs, the thread and reply relations), so a planned event and the same event read back from the
    room have the same digest. A reaction's relation is planned (`rel_type` and `key`), so it counts;
    a thread relation is only added when the event is sent, so it must not (else every reply read
    back would look like someone else's event, and its duplicates would go unseen)."""
    data = {k: v for k, v in content.items() if k not in ("m.relates_to", "url")}
    relates = content.get("m.relates_to") or {}
    annotation = relates.get("rel_type") == "m.annotation"
    data["m.relates_to"] = {k: relates[k] for k in ("rel_type", "key") if k in relates} if annotation else {}
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
