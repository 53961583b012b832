"""Slack mrkdwn: the `<…>` entities of a message's text, as mentions and as plain text.

Reference: Slack's "Formatting text for app surfaces" and mmetl's converter. Inside `text`, Slack
escapes `&`, `<` and `>` as `&amp; &lt; &gt;`, so every literal `<…>` is an entity:

| entity                               | mention kind | target        | plain text     |
|--------------------------------------|--------------|---------------|----------------|
| `<@U123>`, `<@U123\\|label>`          | user         | U123          | `@Real Name`   |
| `<#C123>`, `<#C123\\|name>`           | channel      | C123          | `#name`        |
| `<!here>`, `<@here>`                 | here         | —             | `@here`        |
| `<!channel>`, `<!everyone>`          | all          | —             | `@channel`…    |
| `<!subteam^S123>`, `…\\|@team>`       | usergroup    | S123          | `@team`        |
| `<https://x>`, `<https://x\\|label>`  | link         | the URL       | label, or URL  |
| `<!date^…\\|fallback>`, other `<!…>`  | —            | —             | the fallback   |

The body keeps the raw mrkdwn (format `slack-mrkdwn`); `text` is the plain rendering, unescaped,
with people shown by the names the export gives them. Bold/italic/strike markers are left as they
are: they read fine as text and removing them could eat real underscores and asterisks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from rsemigrate.archive import Mention

BODY_FORMAT = "slack-mrkdwn"
_ENTITY = re.compile(r"<([^<>\s][^<>]*)>")
_SPECIAL = {"here": ("here", "@here"), "channel": ("all", "@channel"), "everyone": ("all", "@everyone")}
#: blocks whose parts are shown one per line; the parts of any other are run together.
_BY_LINE = frozenset({"section", "context", "actions", "rich_text", "rich_text_list", "rich_text_quote"})


def render(text: str, users: Mapping[str, str], channels: Mapping[str, str]) -> tuple[str, list[Mention]]:
    """Plain text of `text` and its mentions, once per distinct entity, in order of appearance."""
    if "<" not in text:
        return (html.unescape(text) if "&" in text else text), []
    mentions: dict[str, Mention] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match[0]
        target, _, label = match[1].partition("|")
        mention, shown = _entity(target, label, users, channels, raw)
        if mention is not None and raw not in mentions:
            mentions[raw] = mention
        return shown

    plain = _ENTITY.sub(replace, text)
    return html.unescape(plain), list(mentions.values())


def _entity(target: str, label: str, users: Mapping[str, str], channels: Mapping[str, str],
            raw: str) -> tuple[Mention | None, str]:
    head, rest = target[:1], target[1:]
    if head == "@":
        if rest in ("here", "channel", "everyone"):
            kind, shown = _SPECIAL[rest]
            return Mention(kind, raw, name=rest), shown  # type: ignore[arg-type]
        name = users.get(rest) or label.removeprefix("@") or None
        return Mention("user", raw, rest, name), f"@{name or rest}"
    if head == "#":
        name = channels.get(rest) or label or None
        return Mention("channel", raw, rest, name), f"#{name or rest}"
    if head == "!":
        keyword, _, argument = rest.partition("^")
        if keyword in _SPECIAL and not argument:
            kind, shown = _SPECIAL[keyword]
            return Mention(kind, raw, name=keyword), shown  # type: ignore[arg-type]
        if keyword == "subteam" and argument:
            name = label.removeprefix("@") or None
            return Mention("usergroup", raw, argument, name), f"@{name or argument}"
        return None, label or raw  # <!date^…|fallback> and anything newer: its fallback text
    url = html.unescape(target)
    return Mention("link", raw, url, label or None), label or url


def attachments_text(cards: object) -> str:
    """The mrkdwn of the legacy `attachments[]` that carry a message's content (integration and
    bot posts: GitHub, Travis, webhooks), one paragraph each; link unfurls (`from_url`,
    `original_url`) are previews of another page and stay link attachments.

    Each card gives its `pretext`, `author_name`, `title`, `text`, then its `fields` as
    `title: value` lines and its `footer`; `fallback` (the card's plain summary) only when it
    has none of those.
    """
    paragraphs = []
    for card in cards if isinstance(cards, list) else []:
        if not isinstance(card, dict) or card.get("from_url") or card.get("original_url"):
            continue
        lines = [str(card[k]) for k in ("pretext", "author_name", "title", "text") if _shown(card.get(k))]
        for item in card.get("fields") or []:
            if isinstance(item, dict) and (_shown(item.get("title")) or _shown(item.get("value"))):
                lines.append(": ".join(str(item[k]) for k in ("title", "value") if _shown(item.get(k))))
        if _shown(card.get("footer")):
            lines.append(str(card["footer"]))
        if not lines and _shown(card.get("fallback")):
            lines.append(str(card["fallback"]))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def blocks_text(blocks: object) -> str:
    """The mrkdwn of Block Kit `blocks` (section, header, context, rich_text, image, …), one line
    per block: what Slack shows when a message has blocks and no `text`."""
    lines = []
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and (line := _block_text(block)):
            lines.append(line)
    return "\n".join(lines)


def _block_text(node: object) -> str:
    """Text of a block or block element, walked by shape: `text` objects, `fields`, `elements`."""
    if isinstance(node, list):
        return "".join(_block_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind in ("plain_text", "mrkdwn", "text"):
        return str(node.get("text") or "")
    if kind == "link":
        url, label = str(node.get("url") or ""), node.get("text")
        return f"<{url}|{label}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{node.get('user_id')}>"
    if kind == "channel":
        return f"<#{node.get('channel_id')}>"
    if kind == "usergroup":
        return f"<!subteam^{node.get('usergroup_id')}>"
    if kind == "broadcast":
        return f"<!{node.get('range')}>"
    if kind == "emoji":
        return f":{node.get('name')}:"
    if kind == "image":
        return str(node.get("alt_text") or (node.get("title") or {}).get("text") or "")
    parts = [_block_text(node.get("text")), *(_block_text(f) for f in node.get("fields") or [])]
    elements = node.get("elements") or []
    if kind in _BY_LINE:
        parts += [_block_text(e) for e in elements]
        return "\n".join(p for p in parts if p)
    return "".join(parts) + _block_text(elements)


def _shown(value: object) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip() != ""
