"""Teams message bodies: plain text, `<at id>` mention spans, inline images, emptied bodies.

Graph's body conventions (chatMessage docs and examples): a mention is `<at id="0">Name</at>` where
`id` indexes the message's `mentions[]` (a person whose name has two words is often two mentions
of the same user, `<at id="0">Megan</at> <at id="1">Bowen</at>`); a file is an
`<attachment id="…"></attachment>` placeholder matching `attachments[].id`; an inline image is
`<img src="…/hostedContents/{id}/$value">`; emoji are `<emoji alt="😀">` or images with an `alt`.
The body itself stays as Teams wrote it (format `teams-html`); this module only reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString
from bs4.element import Comment, Tag

from . import wire

BODY_FORMAT = "teams-html"
_AT = re.compile(r"<at\b[^>]*?\bid=[\"']?(\d+)[\"']?[^>]*>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLOCKS = frozenset(
    {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"}
)
_SILENT = frozenset({"attachment", "systemeventmessage", "script", "style"})


@dataclass(frozen=True)
class AtSpan:
    """One `<at id="n">text</at>` as written in the body, and where (`start`, `end`)."""

    index: int
    raw: str
    text: str
    start: int = 0
    end: int = 0


@dataclass
class Parsed:
    text: str
    spans: list[AtSpan] = field(default_factory=list)
    #: hostedContents ids of the inline images, in order, each once.
    hosted: list[str] = field(default_factory=list)


def inline_images(content: str) -> list[str]:
    """The hostedContents ids of a body's inline images (what the collector downloads)."""
    return list(dict.fromkeys(h for src in _IMG_SRC.findall(content) if (h := wire.hosted_id(src))))


def at_spans(content: str) -> list[AtSpan]:
    return [AtSpan(int(m[1]), m[0], _TAG.sub("", m[2]), m.start(), m.end()) for m in _AT.finditer(content)]


def only_space(between: str) -> bool:
    """Whether the body text between two mention spans is blank (spaces, `&nbsp;`)."""
    return not between.replace("&nbsp;", "").replace("\u00a0", "").strip()


def is_emptied(content: str) -> bool:
    """A body with nothing left in it: what Teams leaves of a deleted message."""
    lowered = content.lower()
    return not _TAG.sub("", content).replace("&nbsp;", "").strip() and "<img" not in lowered \
        and "<attachment" not in lowered


def parse(content: str, html: bool = True) -> Parsed:
    """The body's plain text (blocks on their own lines, images as their alt text), its mention
    spans and its inline images."""
    if not html:
        return Parsed(content.strip())
    if "<" not in content and "&" not in content:
        return Parsed(content.strip())
    soup = BeautifulSoup(content, "html.parser")
    parts: list[str] = []
    _text(soup, parts)
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return Parsed(text, at_spans(content), inline_images(content))


def _text(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _SILENT:
            continue
        if name == "br":
            out.append("\n")
        elif name in ("img", "emoji"):
            alt = child.get("alt")
            inline = name == "img" and wire.hosted_id(str(child.get("src") or ""))
            out.append(str(alt) if alt and not inline else "[image]")
        else:
            _text(child, out)
            if name in _BLOCKS:
                out.append("\n")
