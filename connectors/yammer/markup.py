"""Tokens inside Yammer cells: mentions in bodies, attachment references, participants.

Bodies keep their raw tokens (`[[user:123]]`, case varies); `render` derives the plain text for
search, where a known target reads as people would see it (`@Ann Smith`) and an unknown one keeps
its token. The attachments cell is a comma-separated token list whose link cards embed URLs and
titles that may themselves hold commas, so it is tokenised by a regex aware of `[...]`, never split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rsemigrate.archive import Mention

# [[user:123]], [[group:9]], [[tag:5]] (any case), and the inline [User:123:alias], [Tag:5:text].
_MENTION = re.compile(
    r"\[\[(?P<kind>user|group|tag):(?P<id>\d+)\]\]"
    r"|\[(?P<ikind>user|tag):(?P<iid>\d+):(?P<alias>[^\]\r\n]*)\]",
    re.IGNORECASE,
)
# `type:value`, where a bracketed value runs to the `]` that ends the cell or precedes the next
# `, type:` (so `]`, `,` and `:` inside a link card's URL or title do not cut it short).
_ATTACHMENT = re.compile(
    r"(?P<type>[A-Za-z_]+):(?P<value>\[.*?\](?=\s*(?:,\s*[A-Za-z_]+:|$))|[^,]*)",
    re.DOTALL,
)
_SEPARATOR = re.compile(r"[\s,]*")
#: a participants cell of user tokens alone, as exports write it.
_USERS_ONLY = re.compile(r"user:[0-9]+(?:,user:[0-9]+)*")
# opengraphobject:[<id> : <url> : title="..." : description="..."]; title and description are
# newer and optional, and run to the quote that precedes the next ` : name=` or the final `]`.
_LINK_CARD = re.compile(
    r"\[\s*(?P<id>[^\s:\]]+)\s*:\s*(?P<url>\S+?)\s*"
    r"(?::\s*title=\"(?P<title>.*?)\"\s*(?=:\s*description=|\]$))?"
    r"(?::\s*description=\"(?P<description>.*?)\"\s*)?\]",
    re.DOTALL,
)
_PREFIX: dict[str, str] = {"user": "@", "group": "@", "tag": "#"}

#: target names by mention kind (`user`, `group`, `tag`) then id.
Names = Mapping[str, Mapping[str, str]]


def render(body: str, names: Names) -> tuple[str, list[Mention]]:
    """Plain text of `body` and its mentions, once per distinct token, in order of appearance."""
    if "[" not in body:
        return body, []
    mentions: dict[str, Mention] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match[0]
        kind = (match["kind"] or match["ikind"]).lower()
        target = match["id"] or match["iid"]
        name = names[kind].get(target) or match["alias"] or None
        if raw not in mentions:
            mentions[raw] = Mention(kind, raw, target, name)  # type: ignore[arg-type]
        return f"{_PREFIX[kind]}{name}" if name else raw

    return _MENTION.sub(replace, body), list(mentions.values())


@dataclass(frozen=True, slots=True)
class LinkCard:
    id: str
    url: str
    title: str | None
    description: str | None


def link_card(value: str) -> LinkCard | None:
    """The parts of an `opengraphobject:[...]` value, or None when it has another shape."""
    match = _LINK_CARD.fullmatch(value)
    if match is None:
        return None
    return LinkCard(match["id"], match["url"], match["title"], match["description"])


@dataclass(frozen=True, slots=True)
class Token:
    """One reference of an attachments cell: `type` lower-cased, `value` stripped, `raw` as written.

    `id` and `card` are derived once, here: both are read several times per token, and the link
    card's regex is the costliest step of a message row.
    """

    type: str
    value: str
    raw: str
    #: the attachment id: `type:id`, the link card's own id standing for the whole card.
    id: str = field(init=False)
    #: the parts of an `opengraphobject` value; None for other types and cards of another shape.
    card: LinkCard | None = field(init=False)

    def __post_init__(self) -> None:
        card = link_card(self.value) if self.type == "opengraphobject" else None
        object.__setattr__(self, "card", card)
        object.__setattr__(self, "id", f"{self.type}:{card.id if card else self.value}")


def attachment_tokens(cell: str) -> tuple[list[Token], str]:
    """The tokens of an attachments cell, and any text that is not a token (normally "")."""
    tokens: list[Token] = []
    leftover: list[str] = []
    at = _SEPARATOR.match(cell).end()  # type: ignore[union-attr]
    while at < len(cell):
        match = _ATTACHMENT.match(cell, at)
        if match is None:
            end = cell.find(",", at)
            end = len(cell) if end < 0 else end
            leftover.append(cell[at:end])
        else:
            end = match.end()
            tokens.append(Token(match["type"].lower(), match["value"].strip(), match[0].strip()))
        at = _SEPARATOR.match(cell, end).end()  # type: ignore[union-attr]
    return tokens, ", ".join(leftover)


def participants(cell: str) -> tuple[list[str], list[str]]:
    """`user:1,user:2` as (["1", "2"], []); tokens of any other kind come back in the second list."""
    if _USERS_ONLY.fullmatch(cell):  # the usual cell, cut in C (once per private message)
        return cell[5:].split(",user:"), []
    users: list[str] = []
    others: list[str] = []
    for token in filter(None, (t.strip() for t in cell.split(","))):
        kind, _, target = token.partition(":")
        if kind.lower() == "user" and target:
            users.append(target)
        else:
            others.append(token)
    return users, others
