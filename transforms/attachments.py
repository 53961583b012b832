"""Attachments: stored files become uploads referenced from the body; link cards become links;
a file the archive does not hold becomes a visible note, so no reference silently disappears.

A link card's URL is source content written after the sanitizer ran, so it becomes a link only
when links.py allows its scheme (http, https, mailto); any other (`javascript:`, `data:`…) is
kept as visible text, never as an `href`, and counted as an `unsafe-link` degradation.

The tag that references an uploaded file is target markup (`render_file(tag_id)`); its id is only
known after the upload, so planning uses a stable stand-in of the same length (a UUID derived from
the attachment id) that the importer swaps for the real one.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from rsemigrate.archive import Attachment

from .draft import Draft, FileRef
from .links import safe_link

#: render_file(tag id) -> markup placed in the body for an uploaded file.
FileRenderer = Callable[[str], str]

_TAG_NAMESPACE = uuid.UUID("6f1c2d0e-5b7a-4f43-9c4e-2a6d1e8b7f10")


def tag_id(attachment_id: str) -> str:
    """The planning stand-in for a file's target id: deterministic, GUID-shaped."""
    return str(uuid.uuid5(_TAG_NAMESPACE, attachment_id))


@dataclass(frozen=True, slots=True)
class FilePolicy:
    mode: Literal["upload", "skip"] = "upload"
    missing_note: str = "📎 {name} (file not available in the archive)"
    skipped_note: str = "📎 {name} (file not migrated)"
    unsupported_note: str = "📎 {name} ({kind} not importable)"


def _note(text: str) -> str:
    return f"<p><em>{html.escape(text)}</em></p>"


def _link(url: str, label: str) -> str:
    return f'<p><a href="{html.escape(url)}">{html.escape(label)}</a></p>'


def _unsafe_link(url: str, label: str) -> str:
    """A card whose URL must not be a link: its name and address as text."""
    return _note(f"🔗 {label} ({url})" if label != url else f"🔗 {url}")


def attach(drafts: Iterable[Draft], attachments: Mapping[str, Attachment], render_file: FileRenderer,
           policy: FilePolicy = FilePolicy()) -> Iterator[Draft]:
    for draft in drafts:
        if any(d.kind == "deleted-root-tombstone" for d in draft.degradations):
            yield draft
            continue
        notes: list[str] = []
        tags: list[str] = []
        for attachment_id in draft.message.attachment_ids:
            att = attachments.get(attachment_id)
            if att is None:
                notes.append(_note(policy.missing_note.format(name=f"attachment {attachment_id}")))
                draft.degrade("missing-file", attachment_id)
                continue
            name = att.name or att.source_ref or att.id
            if att.kind in ("file", "image") and att.status == "present":
                if policy.mode == "skip":
                    notes.append(_note(policy.skipped_note.format(name=name)))
                    draft.degrade("file-skipped", att.id)
                    continue
                ref = FileRef(att, tag_id(att.id), render_file(tag_id(att.id)))
                draft.files.append(ref)
                tags.append(ref.markup)
            elif att.url and att.status != "missing":  # a missing file's URL is dead or refused us
                url = safe_link(att.url)
                if url is None:
                    notes.append(_unsafe_link(att.url, att.name or att.url))
                    draft.degrade("unsafe-link", att.id)
                else:
                    notes.append(_link(url, att.name or url))
                    draft.degrade("link-card", att.id)
            elif att.kind not in ("file", "image"):
                notes.append(_note(policy.unsupported_note.format(name=name, kind=att.kind)))
                draft.degrade("unsupported-attachment", att.id)
            else:
                notes.append(_note(policy.missing_note.format(name=name)))
                draft.degrade("missing-file", att.id)
        draft.html += "".join(notes) + "".join(tags)
        yield draft
