"""A message body as safe HTML for the viewer: the shared markup conversion, a strict allow-list.

Mentions are found and protected as for a migration (`transforms.formats`), converted and
sanitised by nh3 (`transforms.markup`), then each one becomes a link to the person's page, or
plain text when it names no person.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from markupsafe import Markup

from transforms.formats import SENTINEL, find_mentions, protect
from transforms.markup import BASIC, AllowList, to_html

from ..archive import Message

#: no images at all (an image tag would load a remote URL: it becomes a link), links only to
#: http, https and mailto, and every link opens without a referrer or an opener.
VIEWER_HTML = AllowList(tags=BASIC.tags, attributes={"a": frozenset({"href"})},
                        url_schemes=frozenset({"http", "https", "mailto"}), images_as_links=True,
                        link_rel="noopener noreferrer nofollow")


def body_html(message: Message, person_url: Callable[[str], str],
              names: Callable[[str], str | None]) -> Markup:
    body = message.body
    refs = find_mentions(body.format, body.content, message.mentions)
    safe, _ = to_html(body.format, protect(body.content, refs), VIEWER_HTML)

    def mention(match) -> str:  # type: ignore[no-untyped-def]
        index = int(match[1])
        if index >= len(refs):
            return ""
        ref = refs[index]
        label = ref.name or (names(ref.target_id) if ref.target_id else None) or ref.target_id or ref.raw
        if ref.kind == "user" and ref.target_id:
            return (f'<a class="mention" href="{html.escape(person_url(ref.target_id))}">'
                    f"@{html.escape(label.removeprefix('@'))}</a>")
        return html.escape(label)

    return Markup(SENTINEL.sub(mention, safe.html))  # noqa: S704 (sanitised by nh3, mentions escaped)
