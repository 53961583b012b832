"""Body conversion: any source markup → HTML that passes a target's allow-list.

Sanitising is an allow-list, not a block-list, done by nh3 (the Rust `ammonia` sanitizer, which
parses as browsers do): a tag the target does not list is unwrapped (its text stays), a
dangerous container (script, style, iframe…) is removed with its content, every attribute not
listed is dropped, and a link keeps its href only for the listed schemes (http, https, mailto).
The allow-list is a parameter, so each target states its own (Teams: `connectors.teams.render`,
the viewer: `rsemigrate.viewer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

from rsemigrate.archive import Mention, Message

from .draft import Draft
from .formats import CONVERTERS, SENTINEL, find_mentions, protect

#: removed together with everything inside them, whatever the allow-list says.
DANGEROUS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template",
    "noscript", "svg", "math", "head", "title", "meta", "link", "base", "textarea", "select",
    "option", "button", "form", "input", "audio", "video", "canvas", "param", "source", "track",
})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})


@dataclass(frozen=True, slots=True)
class AllowList:
    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    url_schemes: frozenset[str] = frozenset({"http", "https", "mailto"})
    #: replace `<img src>` by a link to the image (True) or drop it (False).
    images_as_links: bool = True
    #: the `rel` every kept link gets (e.g. "noopener noreferrer" for a page we serve); None: none.
    link_rel: str | None = None


#: a conservative default that most chat targets render.
BASIC = AllowList(
    tags=frozenset({
        "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "del", "a", "ul", "ol",
        "li", "blockquote", "pre", "code", "h1", "h2", "h3", "hr", "sub", "sup",
        "table", "thead", "tbody", "tr", "th", "td",
    }),
    attributes={"a": frozenset({"href"})},
)

#: what a page showing an archive to a reader keeps (the viewer, the static edition): the basic
#: formatting, web links that open with neither referrer nor opener, and no image at all (one
#: would load a remote URL: it becomes a link to it).
READING = AllowList(tags=BASIC.tags, attributes={"a": frozenset({"href"})},
                    url_schemes=frozenset({"http", "https", "mailto"}), images_as_links=True,
                    link_rel="noopener noreferrer nofollow")

#: an image nh3 kept, in its canonical serialisation (attributes double-quoted, quotes escaped).
_KEPT_IMAGE = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


@dataclass(slots=True)
class Sanitized:
    html: str
    removed: int = 0
    images: int = 0


def sanitize(fragment: str, allow: AllowList) -> Sanitized:
    """Apply the allow-list to an HTML fragment; counts what was removed and images relinked.

    nh3 does the sanitising; the counts (what a migration reports as degraded) compare the
    markup before and after, since nh3 does not report what it dropped.
    """
    relink = allow.images_as_links and "a" in allow.tags
    tags = set(allow.tags - DANGEROUS) | ({"img"} if relink else set())
    attributes = {tag: set(names) for tag, names in allow.attributes.items()}
    if relink:
        attributes["img"] = {"src", "alt"}
    clean = nh3.clean(fragment, tags=tags, clean_content_tags=set(DANGEROUS - tags), attributes=attributes,
                      url_schemes=set(allow.url_schemes), url_relative="deny", link_rel=allow.link_rel,
                      strip_comments=True)
    images = 0

    def as_link(match: re.Match[str]) -> str:
        nonlocal images
        found = dict(_ATTRIBUTE.findall(match[1]))
        if "src" not in found:  # its URL was unsafe: nothing to link to
            return ""
        images += 1
        rel = f' rel="{allow.link_rel}"' if allow.link_rel else ""
        return f'<a href="{found["src"]}"{rel}>{found.get("alt") or "image"}</a>'

    if relink:
        clean = _KEPT_IMAGE.sub(as_link, clean)
    before, after = _Markup.count(fragment), _Markup.count(clean)
    removed = max(0, before.elements - after.elements - images) + before.other + max(
        0, before.handlers - after.handlers) + max(0, before.urls - images - after.urls)
    return Sanitized(clean, removed, images)


class _Markup(HTMLParser):
    """Counts what sanitising may remove: elements, comments and declarations, event handlers, URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements = self.other = self.handlers = self.urls = 0

    @classmethod
    def count(cls, fragment: str) -> _Markup:
        counter = cls()
        counter.feed(fragment)
        counter.close()
        return counter

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements += 1
        self.handlers += sum(name.startswith("on") for name, _ in attrs)
        self.urls += sum(name in URL_ATTRIBUTES for name, _ in attrs)

    def handle_comment(self, data: str) -> None:
        self.other += 1

    handle_decl = handle_pi = unknown_decl = handle_comment


def to_html(fmt: str, content: str, allow: AllowList) -> tuple[Sanitized, bool]:
    """Convert then sanitise one body; the flag says the format was unknown (escaped as plain)."""
    converter = CONVERTERS.get(fmt)
    known = converter is not None
    return sanitize((converter or CONVERTERS["plain"])(content), allow), known


def body_to_html(message: Message, allow: AllowList, mention: Callable[[Mention], str]) -> Sanitized:
    """One message's body as allow-listed HTML, each of its mentions replaced by `mention(ref)`:
    markup the caller builds and escapes (a link to the person, say), inserted after sanitising."""
    body = message.body
    refs = find_mentions(body.format, body.content, message.mentions)
    safe, _ = to_html(body.format, protect(body.content, refs), allow)
    safe.html = SENTINEL.sub(lambda match: mention(refs[int(match[1])]) if int(match[1]) < len(refs) else "",
                             safe.html)
    return safe


def reading_html(message: Message, mention: Callable[[Mention], str]) -> str:
    """A message as a reader sees it, allow-listed by READING: its body, or its neutral text when
    the body is empty (a Slack integration card, a Workplace story: the connector put their
    content in the text)."""
    if not message.body.content.strip() and message.text.strip():
        return to_html("plain", message.text, READING)[0].html
    return body_to_html(message, READING, mention).html


def convert_bodies(drafts: Iterable[Draft], allow: AllowList = BASIC) -> Iterator[Draft]:
    """Fill `draft.html` from the source body, with mention tokens protected as sentinels."""
    for draft in drafts:
        body = draft.message.body
        draft.refs = find_mentions(body.format, body.content, draft.message.mentions)
        safe, known = to_html(body.format, protect(body.content, draft.refs), allow)
        draft.html = safe.html
        if not known:
            draft.degrade("unknown-format", body.format)
        if safe.removed:
            draft.degrade("unsafe-markup", str(safe.removed))
        if safe.images:
            draft.degrade("inline-image", str(safe.images))
        yield draft
