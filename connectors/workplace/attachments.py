"""Attachments and subattachments into Attachment records; saved media into the file store.

- with `media` (photo, video, album cover): an image or a file, `present` when its file was saved
  beside the JSON (`media/<key>.<ext>`), else `missing`: signed CDN URLs expire within days, so
  an unsaved one is gone;
- without `media` (a shared link, a file card): a link or a file, `external`: it points at a
  page, not a file.

A post of the older Graph API gives its photo, video or link through its own fields (`object_id`,
`picture`, `source`, `link`, `name`; see `wire.legacy_node`): they become the same attachment.
A media file that was not saved is reported. The id is the attached object's id (`target.id`, a
photo or video id) when it has one, else `<owner id>:attachment:<position>`. An object attached
to several posts is announced once.
Subattachments keep their parent's position in `source.parent`.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from rsemigrate.archive import Attachment, AttachmentKind, FileStore, ReportEntry

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

    def announce(self, group_id: str, owner_id: str, owner: dict[str, Any],
                 location: str) -> tuple[list[str], list[Attachment | ReportEntry]]:
        """(ids of the owner's attachments, records of those not announced before, and a report
        entry for each media file that was not saved)."""
        ids: list[str] = []
        new: list[Attachment | ReportEntry] = []
        for position, node in wire.attachment_nodes(owner):
            target = (node.get("target") or {}).get("id")
            aid = str(target) if target else f"{owner_id}:attachment:{position}"
            ids.append(aid)
            if aid not in self._seen:
                self._seen.add(aid)
                attachment = self._build(group_id, owner_id, position, aid, node)
                if attachment.status == "missing":
                    new.append(ReportEntry("degraded", "attachment", aid, f"{node.get('type') or 'media'} "
                                           "file not saved with the collection (its signed CDN URL expires "
                                           "within days); only its URLs are kept", location=location))
                new.append(attachment)
        return list(dict.fromkeys(ids)), new

    def _build(
        self, group_id: str, owner_id: str, position: str, aid: str, node: wire.AttachmentNode
    ) -> Attachment:
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
