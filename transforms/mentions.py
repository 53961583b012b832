"""Mention rewriting: each mention sentinel left by `markup.convert_bodies` becomes either a real
mention in the target's markup or plain text with the person's name.

A mention is real only when the person is mapped to their own target account: mentioning the
placeholder account instead would notify the wrong person. Tags, groups, channels and @all have
no target equivalent and become plain text. The target supplies `render(id, text)` (Teams:
`<at id="0">Jane Smith</at>`); ids count from 0 in each message.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator

from rsemigrate.archive import Mention

from .draft import Draft, OutMention
from .formats import SENTINEL
from .identities import UserMap

#: render(mention id, display text) -> markup; the renderer escapes the text itself.
MentionRenderer = Callable[[int, str], str]


def _plain(ref: Mention) -> str:
    label = ref.name or ref.target_id or ref.raw
    if ref.kind in ("tag", "channel"):
        return label if label.startswith("#") else f"#{label}"
    if ref.kind == "group":
        return ref.name or f"group {ref.target_id or ref.raw}"
    if ref.kind in ("all", "here", "usergroup", "user"):
        return label if label.startswith("@") else f"@{label}"
    return label


def resolve_mentions(drafts: Iterable[Draft], users: UserMap, render: MentionRenderer) -> Iterator[Draft]:
    for draft in drafts:

        def replace(match, draft: Draft = draft) -> str:  # type: ignore[no-untyped-def]
            index = int(match[1])
            if index >= len(draft.refs):  # cannot happen: protect() only writes known indexes
                return ""
            ref = draft.refs[index]
            if ref.kind != "user" or not ref.target_id:
                return html.escape(_plain(ref))
            who = users.identity(ref.target_id)
            name = who.name if ref.target_id in users.users or not ref.name else ref.name
            if not who.mapped:
                draft.degrade("unmapped-mention", ref.target_id)
                return html.escape(_plain(Mention("user", ref.raw, ref.target_id, name)))
            n = len(draft.mentions)
            markup = render(n, name)
            draft.mentions.append(OutMention(n, name, who, markup))
            return markup

        draft.html = SENTINEL.sub(replace, draft.html)
        yield draft
