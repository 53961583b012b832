"""Body conversion: any source markup → HTML that passes a target's allow-list.

Sanitising is an allow-list, not a block-list: a tag the target does not list is unwrapped (its
text stays), a dangerous container (script, style, iframe…) is removed with its content, every
attribute not listed is dropped, and a link keeps its href only for http, https and mailto. The
allow-list is a parameter, so each target states its own (Teams: `connectors.teams.render`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction
from bs4.element import CData, Tag

from .draft import Draft
from .formats import CONVERTERS, find_mentions, protect

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


#: a conservative default that most chat targets render.
BASIC = AllowList(
    tags=frozenset({
        "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "del", "a", "ul", "ol",
        "li", "blockquote", "pre", "code", "h1", "h2", "h3", "hr", "sub", "sup",
        "table", "thead", "tbody", "tr", "th", "td",
    }),
    attributes={"a": frozenset({"href"})},
)


def _safe_url(url: str, schemes: frozenset[str]) -> bool:
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in schemes


@dataclass(slots=True)
class Sanitized:
    html: str
    removed: int = 0
    images: int = 0


def sanitize(fragment: str, allow: AllowList) -> Sanitized:
    """Apply the allow-list to an HTML fragment; counts what was removed and images relinked."""
    soup = BeautifulSoup(fragment, "html.parser")
    result = Sanitized("")
    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Declaration, Doctype,
                                                               ProcessingInstruction, CData))):
        node.extract()
        result.removed += 1
    for el in soup.find_all(True):
        if el.decomposed or not isinstance(el, Tag):
            continue
        name = el.name.lower()
        if name == "img":
            src = str(el.get("src") or "")
            if allow.images_as_links and _safe_url(src, allow.url_schemes) and "a" in allow.tags:
                link = soup.new_tag("a", href=src)
                link.string = str(el.get("alt") or "image")
                el.replace_with(link)
                result.images += 1
            else:
                el.decompose()
                result.removed += 1
            continue
        if name in DANGEROUS:
            el.decompose()
            result.removed += 1
            continue
        if name not in allow.tags:
            el.unwrap()
            result.removed += 1
            continue
        allowed = allow.attributes.get(name, frozenset())
        kept: dict[str, Any] = {}
        for key, value in el.attrs.items():
            key, value = key.lower(), " ".join(value) if isinstance(value, list) else str(value)
            if key not in allowed:
                # presentation attributes (class, style) go quietly; event handlers are counted.
                result.removed += key.startswith("on")
                continue
            if key in URL_ATTRIBUTES and not _safe_url(value, allow.url_schemes):
                result.removed += 1
                continue
            kept[key] = value
        el.attrs = kept
    result.html = soup.decode(formatter="minimal")
    return result


def to_html(fmt: str, content: str, allow: AllowList) -> tuple[Sanitized, bool]:
    """Convert then sanitise one body; the flag says the format was unknown (escaped as plain)."""
    converter = CONVERTERS.get(fmt)
    known = converter is not None
    return sanitize((converter or CONVERTERS["plain"])(content), allow), known


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
