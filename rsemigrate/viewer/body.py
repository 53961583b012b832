"""A message body as safe HTML for the viewer: the shared markup conversion, a strict allow-list.

`transforms.reading_html` converts the source markup and sanitises it with nh3 (the READING
allow-list, as in the static edition); each mention then becomes a link to the person's page,
or plain text when it names no person.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from markupsafe import Markup

from transforms import reading_html

from ..archive import Mention, Message


def message_html(message: Message, person_url: Callable[[str], str],
                 names: Callable[[str], str | None]) -> Markup:
    def mention(ref: Mention) -> str:
        label = ref.name or (names(ref.target_id) if ref.target_id else None) or ref.target_id or ref.raw
        if ref.kind == "user" and ref.target_id:
            return (f'<a class="mention" href="{html.escape(person_url(ref.target_id))}">'
                    f"@{html.escape(label.removeprefix('@'))}</a>")
        return html.escape(label)

    return Markup(reading_html(message, mention))  # noqa: S704 (nh3, then escaped)
