"""The binaries of messages: inline images (hostedContents) and the drive files of `reference`
attachments, each saved once beside a `.json` sidecar that says what happened.

- An inline image is `GET …/messages/{id}[/replies/{id}]/hostedContents/{hosted}/$value` with the
  app's token (the path is built from the conversation and the ids, never taken from the body, so
  a doctored `src` cannot send the token elsewhere). Teams answers 403 for some images of people
  added to a team later (microsoftgraph/msgraph-sdk issue 5178): the sidecar records the refusal
  and the reader marks the image `missing`.
- A reference file is looked up with `GET /shares/{u!…}/driveItem` (Graph's encoded sharing URL,
  which works for channel files in SharePoint and chat files in OneDrive alike), then its bytes are
  streamed from the item's pre-authenticated `@microsoft.graph.downloadUrl` without the token. That
  URL is a credential for an hour: it is dropped from the saved item. A refusal (403, 404…) is
  recorded and the reader keeps the file as an `external` link. With `--files links`, nothing is
  fetched and every file is a link.
A sidecar is written after its `.bin`: when it exists the download is done, and a resumed run
skips it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from ..client import GraphClient
from . import wire
from .fetch import Refused, download, get_bytes, get_json
from .folder import CollectionFolder
from .markup import inline_images

FILES_KEY = "files"


class Downloads:
    def __init__(self, g: GraphClient, folder: CollectionFolder, files: str, counts: Counter[str]) -> None:
        self._g = g
        self._folder = folder
        self._fetch_files = files == "download"
        self._counts = counts

    async def message(
        self, conversation: wire.Conversation, item: dict[str, Any], root_id: str | None
    ) -> None:
        """Everything one message needs downloaded: its inline images, then its reference files."""
        content = wire.obj(item.get("body")).get("content")
        if isinstance(content, str):
            for hosted in inline_images(content):
                await self._hosted(conversation, str(item["id"]), root_id, hosted)
        for attachment in item.get("attachments") or []:
            if (isinstance(attachment, dict) and attachment.get("contentType") == wire.REFERENCE
                    and attachment.get("contentUrl") and self._fetch_files):
                await self._file(attachment)

    async def _hosted(self, conversation: wire.Conversation, message_id: str, root_id: str | None,
                      hosted: str) -> None:
        saved = conversation.hosted(message_id, hosted)
        if self._folder.exists(f"{saved}.json"):
            return
        message = conversation.graph_message(message_id, root_id)
        path = f"{message}/hostedContents/{quote(hosted, safe='')}/$value"
        try:
            data, content_type = await get_bytes(self._g, conversation.id, path)
        except Refused as refused:
            self._folder.save(f"{saved}.json", refused.record(id=hosted))
            self._counts["refused"] += 1
            return
        self._folder.save_bytes(f"{saved}.bin", data)
        self._folder.save(f"{saved}.json", {"id": hosted, "status": 200, "contentType": content_type,
                                            "size": len(data)})
        self._counts["inline images"] += 1

    async def _file(self, attachment: dict[str, Any]) -> None:
        saved = wire.file_path(wire.file_key(attachment))
        if self._folder.exists(f"{saved}.json"):
            return
        url = str(attachment["contentUrl"])
        context = {"id": attachment.get("id"), "contentUrl": url}
        try:
            item = await get_json(self._g, FILES_KEY, f"/shares/{wire.share_id(url)}/driveItem")
            link = item.pop(wire.DOWNLOAD_URL, None)
            if not isinstance(link, str) or "file" not in item:
                raise Refused(404, "notAFile", "the drive item has no file content to download")
            tmp = self._folder.partial(f"{saved}.bin")
            size = await download(self._g.uploads, link, tmp)
        except Refused as refused:
            self._folder.save(f"{saved}.json", refused.record(**context))
            self._counts["refused"] += 1
            return
        self._folder.commit(tmp, f"{saved}.bin")
        self._folder.save(f"{saved}.json", {**context, "status": 200, "size": size, "driveItem": item})
        self._counts["files"] += 1
