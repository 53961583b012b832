"""Which URLs may become a link in markup we write: http(s) and mailto, nothing else.

Why a rule of its own: the sanitizer (markup.py) cleans source bodies, but some links are built
after it ran (a link card's URL, a permalink), and a `javascript:` or `data:` URL there would
reach Teams or Matrix as a live link. Browsers ignore ASCII whitespace and control characters
inside a scheme (`java\tscript:`), so the scheme is read the way they read it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: the only schemes a link we write may use.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def link_scheme(url: str) -> str:
    """The scheme a browser would see in `url` (lower case), or "" when it has none or is invalid."""
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        return urlsplit(cleaned).scheme.lower()
    except ValueError:
        return ""


def safe_link(url: str | None) -> str | None:
    """`url` when it may become a link (http, https or mailto, with something after the scheme),
    else None."""
    if not url or link_scheme(url) not in LINK_SCHEMES:
        return None
    return url.strip()
