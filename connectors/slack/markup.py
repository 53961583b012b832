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
