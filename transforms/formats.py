"""Source markups to (unsanitised) HTML, and the mention tokens each markup uses.

Mentions are not rendered here: the tokens (`[[user:ID]]`, Slack `<@U…>`) are first swapped for
private-use sentinels that survive escaping and markdown untouched, and `mentions.resolve_mentions`
later turns each sentinel into the target's markup or into plain text. Every converter escapes
all source text; the result still goes through the allow-list in `markup.sanitize`.
"""

from __future__ import annotations

import html
import re
from functools import cache

from rsemigrate.archive import Mention

SENTINEL = re.compile("\ue000(\\d+)\ue001")
_PRIVATE_USE = re.compile("[\ue000-\ue003]")

#: mention grammars by body format: regex → (kind, target id, name) of each match.
_YAMMER = re.compile(r"\[\[(user|group|tag):([^\]\s]+)\]\]")
_SLACK = re.compile(r"<(@|#|!subteam\^|!)([^>|\s]+)(?:\|([^>]*))?>")
_SLACK_KINDS = {"@": "user", "#": "channel", "!subteam^": "usergroup"}
_SLACK_BROADCASTS = frozenset({"here", "channel", "everyone"})


def sentinel(index: int) -> str:
    return f"\ue000{index}\ue001"


def find_mentions(fmt: str, text: str, listed: list[Mention]) -> list[Mention]:
    """The mentions of a body: those the connector listed, then any token it did not list."""
    # A link is markup the body converter renders as <a href>: as a mention it would lose its URL.
    refs = [m for m in listed if m.raw and m.raw in text and m.kind != "link"]
    seen = {m.raw for m in refs}
    if fmt.startswith("yammer"):
        for match in _YAMMER.finditer(text):
            if match[0] not in seen:
                seen.add(match[0])
                refs.append(Mention(match[1], match[0], match[2]))  # type: ignore[arg-type]
    elif fmt in ("slack-mrkdwn", "mrkdwn"):
        for match in _SLACK.finditer(text):
            if match[0] in seen:
                continue
            seen.add(match[0])
            sigil, ident, label = match[1], match[2], match[3]
            if sigil == "!":
                if ident not in _SLACK_BROADCASTS:  # <!date^…|fallback> and the like: no one is notified
                    continue
                kind = "here" if ident == "here" else "all"
                refs.append(Mention(kind, match[0], None, label or ident))  # type: ignore[arg-type]
            else:
                refs.append(Mention(_SLACK_KINDS[sigil], match[0], ident, label or None))  # type: ignore[arg-type]
    return refs


def protect(text: str, refs: list[Mention]) -> str:
    """Strip stray private-use sentinels from the source, then swap each mention token for one."""
    text = _PRIVATE_USE.sub("", text)
    if not refs:
        return text
    index = {m.raw: i for i, m in enumerate(refs)}
    pattern = re.compile("|".join(re.escape(raw) for raw in sorted(index, key=len, reverse=True)))
    return pattern.sub(lambda match: sentinel(index[match[0]]), text)


_URL = re.compile(r"\bhttps?://[^\s<>\"\ue000-\ue003]+", re.IGNORECASE)


def _autolink(escaped: str) -> str:
    def link(match: re.Match[str]) -> str:
        url = match[0]
        trail = ""
        while url and url[-1] in ".,;:!?)'":
            url, trail = url[:-1], url[-1] + trail
        return f'<a href="{url}">{url}</a>{trail}'

    return _URL.sub(link, escaped)


def plain_to_html(text: str) -> str:
    """Paragraphs on blank lines, `<br>` on single line breaks, bare URLs made into links."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n")) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(_autolink(html.escape(line)) for line in para.split("\n")) + "</p>"
        for para in paragraphs
    )


@cache
def _markdown():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


def markdown_to_html(text: str) -> str:
    """CommonMark with tables and strikethrough; raw HTML in the source is escaped, not kept."""
    return _markdown().render(text)


_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^>|\s]+)(?:\|([^>]*))?>")
#: `<!date^…|fallback>` and other specials that are no mention: Slack shows their fallback text.
_SLACK_SPECIAL = re.compile(r"<!([^>|]*)(?:\|([^>]*))?>")
_SLACK_STYLES = [
    (re.compile(r"```\n?(.+?)```", re.DOTALL), lambda m: f"<pre>{m[1]}</pre>"),
    (re.compile(r"`([^`\n]+)`"), lambda m: f"<code>{m[1]}</code>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), lambda m: f"<b>{m[1]}</b>"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), lambda m: f"<i>{m[1]}</i>"),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), lambda m: f"<s>{m[1]}</s>"),
]


def mrkdwn_to_html(text: str) -> str:
    """Slack mrkdwn: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes, <url|label> links.

    Slack escapes `&`, `<` and `>` in message text; they are unescaped once, then everything is
    escaped again, so no source text can become markup.
    """
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        url, label = html.unescape(match[1]), html.unescape(match[2] or match[1])
        links.append(f'<a href="{html.escape(url)}">{html.escape(label)}</a>')
        return f"\ue002{len(links) - 1}\ue003"

    text = _SLACK_LINK.sub(keep_link, text)
    text = _SLACK_SPECIAL.sub(lambda m: m[2] if m[2] is not None else m[0], text)
    text = html.escape(html.unescape(text), quote=False)
    for pattern, repl in _SLACK_STYLES:
        text = pattern.sub(repl, text)
    lines, out, quote = text.replace("\r\n", "\n").split("\n"), [], []
    for line in lines + [""]:
        if line.startswith("&gt; ") or line == "&gt;":
            quote.append(line[5:])
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(line)
    body = "<br>".join(out[:-1] if out and out[-1] == "" else out).replace(
        "</blockquote><br>", "</blockquote>"
    )
    body = re.sub("\ue002(\\d+)\ue003", lambda m: links[int(m[1])], body)
    return f"<p>{body}</p>" if body else ""


#: Teams marks where a file or card sat with an empty `<attachment id="…">` element. The
#: attachment itself travels in `attachment_ids`, so the marker is dropped, not counted as markup
#: the target refused.
_TEAMS_ATTACHMENT = re.compile(r"<attachment\b[^>]*?(?:/>|>\s*</attachment\s*>)", re.IGNORECASE)


def teams_html_to_html(text: str) -> str:
    return _TEAMS_ATTACHMENT.sub("", text)


#: body format → converter. Formats not listed are escaped as plain text (and counted).
CONVERTERS = {
    "plain": plain_to_html,
    "text": plain_to_html,
    "plaintext": plain_to_html,  # Workplace posts without formatting
    "yammer-plain": plain_to_html,
    "markdown": markdown_to_html,
    "md": markdown_to_html,
    "slack-mrkdwn": mrkdwn_to_html,
    "mrkdwn": mrkdwn_to_html,
    "html": lambda text: text,
    "yammer-html": lambda text: text,
    "teams-html": teams_html_to_html,
    "workplace-html": lambda text: text,
}
