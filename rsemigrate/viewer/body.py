"""A message body as safe HTML for the viewer: the shared markup conversion, a strict allow-list.

`transforms.body_to_html` converts the source markup and sanitises it with nh3, as for a
migration; each mention then becomes a link to the person's page, or plain text when it names
no person.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from markupsafe import Markup

from transforms import BASIC, AllowList, body_to_html, to_html

from ..archive import Mention, Message

#: no images at all (an image tag would load a remote URL: it becomes a link), links only to
#: http, https and mailto, and every link opens without a referrer or an opener.
VIEWER_HTML = AllowList(tags=BASIC.tags, attributes={"a": frozenset({"href"})},
                        url_schemes=frozenset({"http", "https", "mailto"}), images_as_links=True,
                        link_rel="noopener noreferrer nofollow")


def message_html(message: Message, person_url: Callable[[str], str],
                 names: Callable[[str], str | None]) -> Markup:
    def mention(ref: Mention) -> str:
        label = ref.name or (names(ref.target_id) if ref.target_id else None) or ref.target_id or ref.raw
        if ref.kind == "user" and ref.target_id:
            return (f'<a class="mention" href="{html.escape(person_url(ref.target_id))}">'
                    f"@{html.escape(label.removeprefix('@'))}</a>")
        return html.escape(label)

    if not message.body.content.strip() and message.text.strip():  # e.g. a story with no body of its own
        return Markup(to_html("plain", message.text, VIEWER_HTML)[0].html)  # noqa: S704 (escaped, nh3)
    return Markup(body_to_html(message, VIEWER_HTML, mention).html)  # noqa: S704 (nh3, then escaped)
