"""Visible lines for what a target cannot express natively: titles and message kinds, edits,
deletions, system events, flattened and orphaned replies.

Targets without edit history, announcements or nested replies still show readers what the source
showed. Every line added here is recorded as a degradation, so the dry run can count it. The
wording is a parameter (`Labels`) for plans in other languages.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .draft import Draft


@dataclass(frozen=True, slots=True)
class Labels:
    edited: str = "(edited)"
    deleted: str = "(deleted in the source)"
    tombstone: str = "(This message was deleted in the source; its replies are kept.)"
    system: str = "System event"
    orphan: str = "(Reply to a conversation that is not in the archive.)"
    in_reply_to: str = "In reply to {name}"
    kinds: dict[str, str] = field(default_factory=lambda: {
        "announcement": "Announcement", "question": "Question", "poll": "Poll",
        "praise": "Praise", "event": "Event",
    })


def _line(text: str, strong: bool = False) -> str:
    tag = "strong" if strong else "em"
    return f"<p><{tag}>{html.escape(text)}</{tag}></p>"


def annotate(drafts: Iterable[Draft], labels: Labels = Labels(), *, edited_marker: bool = True,
             reply_author: Callable[[str], str | None] = lambda message_id: None) -> Iterator[Draft]:
    """Add the lines; `reply_author(message id)` names the author a nested reply answered."""
    for draft in drafts:
        m = draft.message
        kinds = {d.kind for d in draft.degradations}
        if "deleted-root-tombstone" in kinds:
            draft.html, draft.refs = _line(labels.tombstone), []
            yield draft
            continue
        head: list[str] = []
        tail: list[str] = []
        if "orphan-reply" in kinds:
            head.append(_line(labels.orphan))
        if "nested-reply" in kinds and m.reply_to_id:
            name = reply_author(m.reply_to_id)
            if name:
                head.append(_line(labels.in_reply_to.format(name=name)))
        label = labels.kinds.get(m.kind)
        if label:
            draft.degrade("kind-as-text", m.kind)
            title = f"{label}: {m.title}" if m.title else label
            head.append(f"<p><strong>{html.escape(title)}</strong></p>")
        elif m.title:
            head.append(f"<p><strong>{html.escape(m.title)}</strong></p>")
        if m.kind == "system":
            if "system-as-text" not in kinds:
                draft.degrade("system-as-text")
            head.append(_line(labels.system))
        if m.deleted_at is not None:
            draft.degrade("deleted-kept")
            tail.append(_line(labels.deleted))
        if m.edited_at is not None and edited_marker:
            draft.degrade("edited")
            tail.append(_line(labels.edited))
        draft.html = "".join(head) + draft.html + "".join(tail)
        yield draft
