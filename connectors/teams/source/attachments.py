"""A message's inline images, files and cards into Attachment records, binaries into the file store.

- inline image (`hostedContents`): an image, `present` when saved; else `missing`, reported (it
  lives only inside Teams);
- `reference` attachment (a drive file): a file or an image, `present` when downloaded; else
  `external` (its SharePoint/OneDrive URL), reported when Graph refused it;
- card (`application/vnd.microsoft.card.*`): a module, `external`; the card's JSON in
  `source.content`.

Other attachment types (quoted replies `messageReference`, forwarded messages…) are no files: they
stay in the message's `source.attachments`. A file shared in several messages is announced once,
under its Teams id (the file's GUID). An inline image's id is `<message id>:image:<n>`.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

import orjson

from rsemigrate.archive import Attachment, AttachmentKind, FileStore, Record, ReportEntry
from rsemigrate.export import Census

from . import wire
from .layout import Collection

_CONSUMED = frozenset({"id", "name", "contentUrl", "content"})
#: the driveItem fields Attachment fields hold; its others (but annotations) are kept in `source.driveItem`.
_DRIVE_ITEM_MAPPED = frozenset({"name", "size"})


@dataclass
class Announced:
    ids: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    #: attachments that are no file (quoted or forwarded messages…), kept raw in the message.
    kept: list[Any] = field(default_factory=list)


class Attachments:
    def __init__(self, collection: Collection, files: FileStore, census: Census) -> None:
        self._collection = collection
        self._files = files
        self._census = census
        self._seen: set[str] = set()

    def announce(self, conversation: wire.Conversation, key: str, message_id: str, item: dict[str, Any],
                 hosted: list[str], location: str) -> Announced:
        out = Announced()
        for n, hosted_id in enumerate(hosted, 1):
            out.ids.append(f"{key}:image:{n}")
            self._hosted(out, conversation.hosted(message_id, hosted_id), f"{key}:image:{n}", hosted_id,
                         f"{message_id}-{n}", location)
        for n, node in enumerate(item.get("attachments") or [], 1):
            content_type = str(node.get("contentType") or "") if isinstance(node, dict) else ""
            if content_type == wire.REFERENCE and node.get("contentUrl"):
                aid = str(node.get("id") or wire.file_key(node))
                out.ids.append(aid)
                if aid not in self._seen:
                    self._seen.add(aid)
                    self._file(out, aid, node, location)
            elif content_type.startswith(wire.CARD_PREFIX):
                aid = f"{key}:card:{node.get('id') or n}"
                out.ids.append(aid)
                out.records.append(_card(aid, node))
            else:
                out.kept.append(node)
        out.ids = list(dict.fromkeys(out.ids))
        return out

    def _hosted(self, out: Announced, saved: str, aid: str, hosted_id: str, stem: str, location: str) -> None:
        sidecar = self._collection.document(f"{saved}.json")
        attachment = Attachment(aid, "image", "missing", hosted_id, source={"hostedContentId": hosted_id})
        if sidecar is not None and sidecar.get("status") == 200 and self._collection.has(f"{saved}.bin"):
            media_type = str(sidecar.get("contentType") or "") or None
            self._store(attachment, f"{saved}.bin")
            attachment.media_type = media_type
            attachment.name = f"{stem}{_extension(media_type)}"
        else:
            why = _refusal(sidecar) if sidecar else "not collected"
            out.records.append(
                ReportEntry(
                    "degraded",
                    "attachment",
                    aid,
                    f"inline image not saved ({why}); it exists only inside Teams",
                    location=location,
                )
            )
        out.records.append(attachment)

    def _file(self, out: Announced, aid: str, node: dict[str, Any], location: str) -> None:
        url = str(node["contentUrl"])
        saved = wire.file_path(wire.file_key(node))
        sidecar = self._collection.document(f"{saved}.json")
        item = wire.obj((sidecar or {}).get("driveItem"))
        name = str(node.get("name") or item.get("name") or url.rsplit("/", 1)[-1])
        media_type = wire.obj(item.get("file")).get("mimeType") or mimetypes.guess_type(name, strict=False)[0]
        kind: AttachmentKind = "image" if media_type and media_type.startswith("image/") else "file"
        source = {k: v for k, v in node.items() if k not in _CONSUMED and v is not None}
        if item:
            self._census.see("file", item, aid, self._collection.entry(f"{saved}.json"))
            source["driveItem"] = {k: v for k, v in item.items()
                                   if k not in _DRIVE_ITEM_MAPPED and not k.startswith("@")}
        attachment = Attachment(aid, kind, "external", url, name=name, media_type=media_type,
                                size=item.get("size"), url=url, source=source)
        if sidecar is not None and sidecar.get("status") == 200 and self._collection.has(f"{saved}.bin"):
            self._store(attachment, f"{saved}.bin")
        elif sidecar is not None:
            out.records.append(
                ReportEntry(
                    "degraded",
                    "attachment",
                    aid,
                    f"file not downloaded ({_refusal(sidecar)}); kept as a link to its drive",
                    location=location,
                )
            )
        out.records.append(attachment)

    def _store(self, attachment: Attachment, relpath: str) -> None:
        with self._collection.open(relpath) as stream:
            stored = self._files.put(stream)
        attachment.status, attachment.sha256, attachment.size = "present", stored.sha256, stored.size
        attachment.source["export_path"] = self._collection.entry(relpath)


def _card(aid: str, node: dict[str, Any]) -> Attachment:
    content = node.get("content")
    if isinstance(content, str):
        try:
            content = orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    kind = str(node["contentType"]).removeprefix(wire.CARD_PREFIX)
    return Attachment(
        aid,
        "module",
        "external",
        str(node["contentType"]),
        name=node.get("name") or f"{kind} card",
        url=node.get("contentUrl") or None,
        source={"contentType": node["contentType"], "content": content},
    )


def _refusal(sidecar: dict[str, Any]) -> str:
    error = sidecar.get("error") or {}
    code, message = error.get("code") or "", error.get("message") or ""
    return f"Graph answered {sidecar.get('status')} {code}: {message}".strip()


def _extension(media_type: str | None) -> str:
    return (mimetypes.guess_extension(media_type) if media_type else None) or ".bin"
