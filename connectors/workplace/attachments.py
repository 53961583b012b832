"""Attachments and subattachments into Attachment records; saved media into the file store.

| node                                   | kind   | status                                      |
|----------------------------------------|--------|---------------------------------------------|
| with `media` (photo, video, album cover) | image or file | `present` when its file was saved beside the JSON (`media/<key>.<ext>`), else `missing`: signed CDN URLs expire within days, so an unsaved one is gone |
| without `media` (a shared link, a file card) | link or file | `external`: it points at a page, not a file  |

The id is the attached object's id (`target.id`, a photo or video id) when it has one, else
`<owner id>:attachment:<position>`. An object attached to several posts is announced once.
Subattachments keep their parent's position in `source.parent`.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from rsemigrate.archive import Attachment, AttachmentKind, FileStore

from . import wire
from .layout import Collection

_MEDIA_TYPES = mimetypes.MimeTypes()
_IMAGE_TYPES = frozenset({"photo", "cover_photo", "profile_media", "sticker", "animated_image_share"})
_FILE_TYPES = frozenset({"file_upload", "document"})
_CONSUMED = frozenset({"title", "subattachments"})


class Attachments:
    def __init__(self, collection: Collection, files: FileStore) -> None:
        self._collection = collection
        self._files = files
        self._seen: set[str] = set()

    def announce(self, group_id: str, owner_id: str, owner: dict[str, Any]) -> tuple[list[str], list[Attachment]]:
        """(ids of the owner's attachments, records of those not announced before)."""
        ids: list[str] = []
        new: list[Attachment] = []
        for position, node in wire.attachment_nodes(owner):
            target = (node.get("target") or {}).get("id")
            aid = str(target) if target else f"{owner_id}:attachment:{position}"
            ids.append(aid)
            if aid not in self._seen:
                self._seen.add(aid)
                new.append(self._build(group_id, owner_id, position, aid, node))
        return list(dict.fromkeys(ids)), new

    def _build(self, group_id: str, owner_id: str, position: str, aid: str, node: wire.AttachmentNode) -> Attachment:
        media = wire.media_url(node)
        url = media or node.get("unshimmed_url") or node.get("url")
        source: dict[str, Any] = {k: v for k, v in node.items() if k not in _CONSUMED}
        if "-" in position:
            source["parent"] = position.partition("-")[0]
        attachment = Attachment(aid, _kind(node), "external", aid, name=node.get("title") or None,
                                media_type=_media_type(url), url=url, source=source)
        if media:
            entry = self._collection.media(group_id, wire.media_key(owner_id, position, node))
            attachment.status = "missing"
            if entry is not None:
                with self._collection.tree.open(entry) as stream:
                    stored = self._files.put(stream)
                attachment.status, attachment.sha256, attachment.size = "present", stored.sha256, stored.size
                attachment.media_type = _media_type(entry) or attachment.media_type
                source["export_path"] = entry
        return attachment


def _kind(node: wire.AttachmentNode) -> AttachmentKind:
    kind = node.get("type", "")
    if kind in _IMAGE_TYPES:
        return "image"
    if kind in _FILE_TYPES or kind.startswith("video") or kind == "animated_image_video":
        return "file"
    return "link"


def _media_type(url: str | None) -> str | None:
    if not url:
        return None
    return _MEDIA_TYPES.guess_type(PurePosixPath(urlsplit(url).path).name, strict=False)[0]
