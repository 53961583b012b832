"""Files: each stored attachment uploaded once per conversation, before the posts that reference it.

A channel's files go into its SharePoint folder (`filesFolder`), a chat's into the author's
OneDrive under "Microsoft Teams Chat Files", like Teams does, at a deterministic path
(`Imported/<year>/<attachment id>-<name>`) with conflictBehavior=fail. So an upload is idempotent:
a 409 nameAlreadyExists after a crash or a lost answer means the earlier upload landed; the item
is read back and adopted when its size matches. Files up to 4 MiB go in one PUT; larger ones
through an upload session in 320 KiB-multiple fragments, whose URL the ledger keeps so an
interrupted upload continues from `nextExpectedRanges` instead of starting over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from kiota_abstractions.api_error import APIError
from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
    CreateUploadSessionPostRequestBody,
)
from msgraph.generated.models.drive_item import DriveItem

from rsemigrate.archive import Archive
from rsemigrate.migrate import FAILED, SENDING, SENT, Container, File, Ledger, crash_point, refuse_stored_file

from .check import FRAGMENT, SIMPLE_UPLOAD_MAX
from .client import GraphClient, GraphFailure, model

#: seconds between asks while a channel's files folder answers 404 (not provisioned yet).
FOLDER_WAITS = (2.0, 4.0, 8.0, 16.0, 30.0, 60.0, 60.0, 60.0, 60.0)


@dataclass(frozen=True)
class Folder:
    drive: str
    item: str


@dataclass
class Uploader:
    g: GraphClient
    ledger: Ledger
    archive: Archive
    _folders: dict[str, Folder] = field(default_factory=dict)

    async def upload_all(self, row: Container, team_id: str | None, stop: Any) -> None:
        """Upload every file of `row` not uploaded yet; a failure is recorded on the file."""
        for f in self.ledger.files(row.key):
            if stop:
                return
            if f.state == SENT or refuse_stored_file(self.ledger, self.archive, f):
                continue
            try:
                folder = await self._folder(row, team_id, f)
                await self._upload(row.key, f, folder)
            except GraphFailure as failure:
                self.ledger.mark(f, state=FAILED, error=str(failure))
                self.ledger.note("failed", f"{row.key}:{f.key}", str(failure))

    async def _folder(self, row: Container, team_id: str | None, f: File) -> Folder:
        owner = f.owner or ""
        key = owner or row.key
        if key not in self._folders:
            if owner:
                item = await self.g.call(row.key, lambda: self.g.sdk.users.by_user_id(owner).drive.with_url(
                    self.g.url(f"/users/{owner}/drive/root")).get(), idempotent=True, kind="other")
            else:
                item = await self._channel_folder(row, str(team_id))
            self._folders[key] = Folder(str(item.parent_reference.drive_id), str(item.id))
        return self._folders[key]

    async def _channel_folder(self, row: Container, team_id: str) -> Any:
        """A new channel's SharePoint folder can answer 404 until it is provisioned (team-post page):
        asked again with growing waits (about 5 minutes in all) before the channel's files fail."""
        builder = self.g.sdk.teams.by_team_id(team_id).channels.by_channel_id(str(row.target_id)).files_folder
        for wait in (*FOLDER_WAITS, None):
            try:
                return await self.g.call(row.key, builder.get, idempotent=True)
            except GraphFailure as failure:
                if failure.status != 404 or wait is None:
                    raise
                self.ledger.note("folder-pending", row.key,
                                 f"filesFolder answered 404; asking again in {wait:g} s")
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _item_url(self, folder: Folder, path: str, action: str = "") -> str:
        tail = f":/{action}" if action else ""
        return self.g.url(f"/drives/{folder.drive}/items/{folder.item}:/{quote(path)}{tail}")

    async def _upload(self, key: str, f: File, folder: Folder) -> None:
        self.ledger.mark(f, state=SENDING)
        crash_point("file-sending")
        items = self.g.sdk.drives.by_drive_id(folder.drive).items.by_drive_item_id(folder.item)
        try:
            if f.size <= SIMPLE_UPLOAD_MAX:
                data = self.archive.file_path(f.sha256).read_bytes()
                url = self._item_url(folder, f.path, "content") + "?@microsoft.graph.conflictBehavior=fail"
                item = await self.g.call(key, lambda: items.content.with_url(url).put(data), idempotent=True,
                                         kind="other")
            else:
                item = await self._session(key, f, folder)
        except GraphFailure as failure:
            if failure.status != 409:
                raise
            item = await self._adopt(key, f, folder)
        crash_point("file-applied")
        guid = str(item.e_tag or "").split("{")[-1].split("}")[0].lower()
        url = item.web_dav_url or await self._direct_url(key, folder, str(item.id))
        self.ledger.mark(f, state=SENT, target_id=str(item.id), target_ref=guid, url=url, upload_url=None,
                         error=None)

    async def _direct_url(self, key: str, folder: Folder, item_id: str) -> str:
        """The file's own URL (webDavUrl), which a reference attachment's contentUrl must be: an
        Office file's webUrl is a Doc.aspx viewer page, which Graph refuses ("File contentUrl
        extension … and name extension … do not match"). Asked for with $select where not returned."""
        url = self.g.url(f"/drives/{folder.drive}/items/{item_id}?$select=id,webDavUrl")
        found = await self.g.send_json(key, "GET", url, idempotent=True) or {}
        if not found.get("webDavUrl"):
            raise GraphFailure(404, "itemNotFound", f"item {item_id} has no webDavUrl")
        return str(found["webDavUrl"])

    async def _adopt(self, key: str, f: File, folder: Folder) -> Any:
        """The file already at our path: ours when its size matches (an earlier upload landed)."""
        items = self.g.sdk.drives.by_drive_id(folder.drive).items.by_drive_item_id(folder.item)
        item = await self.g.call(key, lambda: items.with_url(self._item_url(folder, f.path)).get(),
                                 idempotent=True, kind="other")
        if item is None or item.size != f.size:
            raise GraphFailure(409, "nameAlreadyExists", f"a different file already exists at {f.path}")
        self.ledger.note("adopted", f"{f.container_key}:{f.key}", f"file {item.id} already uploaded")
        return item

    async def _session(self, key: str, f: File, folder: Folder) -> Any:
        offset = await self._session_offset(key, f)
        if offset is None:
            items = self.g.sdk.drives.by_drive_id(folder.drive).items.by_drive_item_id(folder.item)
            body = model(
                CreateUploadSessionPostRequestBody,
                {"item": {"@microsoft.graph.conflictBehavior": "fail", "name": f.path.rsplit("/", 1)[-1]}},
            )
            session = await self.g.call(key, lambda: items.create_upload_session.with_url(
                self._item_url(folder, f.path, "createUploadSession")).post(body), idempotent=True,
                kind="other")
            expires = (
                int(session.expiration_date_time.timestamp() * 1000) if session.expiration_date_time else None
            )
            self.ledger.mark(f, upload_url=session.upload_url, upload_expires_ms=expires)
            offset = 0
        path = self.archive.file_path(f.sha256)
        while True:
            chunk = await asyncio.to_thread(_read, path, offset, FRAGMENT)
            end = offset + len(chunk) - 1
            answer = await self.g.call(
                key,
                partial(self._put_fragment, str(f.upload_url), chunk, offset, end, f.size),
                idempotent=True,
                kind="other",
            )
            crash_point("file-fragment")
            if answer.status_code in (200, 201):
                return model(DriveItem, answer.json())
            offset = _next_offset(answer.json()) or end + 1

    async def _session_offset(self, key: str, f: File) -> int | None:
        """Where an earlier session stopped, or None when there is none left to continue."""
        if not f.upload_url or (f.upload_expires_ms or 0) < time.time() * 1000 + 60_000:
            return None
        answer = await self.g.call(key, lambda: self._raw("GET", str(f.upload_url)), idempotent=True,
                                   kind="other")
        return _next_offset(answer.json()) if answer.status_code == 200 else None

    async def _put_fragment(self, url: str, chunk: bytes, start: int, end: int, total: int) -> httpx.Response:
        return await self._raw(
            "PUT", url, content=chunk, headers={"Content-Range": f"bytes {start}-{end}/{total}"}
        )

    async def _raw(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request to a pre-authenticated upload URL (no token), errors raised like the SDK's."""
        answer = await self.g.uploads.request(method, url, **kwargs)
        if answer.status_code == 404 and method == "GET":
            return answer
        if answer.status_code >= 400:
            raise APIError(answer.text[:300], answer.status_code, answer.headers)  # type: ignore[arg-type]
        return answer


def _read(path: Path, offset: int, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read(size)


def _next_offset(status: dict[str, Any]) -> int | None:
    ranges = status.get("nextExpectedRanges") or []
    return int(str(ranges[0]).split("-")[0]) if ranges else None

