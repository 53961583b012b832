"""Posting the frozen messages of one channel or chat, and finding them again by reading back.

Teams has no client message id, but refuses a second message at the same createdDateTime in a
conversation (409). The planned times are unique per conversation, so a post is idempotent: the
engine (rsemigrate.importer) may re-send a message whose first answer was lost, and the 409 it
then gets is settled by reading the conversation back (`find`). Reading back needs
ChannelMessage.Read.All (a protected API on the real service) or Chat.Read.All; without it the
engine still never posts twice, it only cannot learn the id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from rsemigrate.archive import parse_timestamp, utc_micros
from rsemigrate.migrate import (
    SENT,
    Conflict,
    Container,
    File,
    Message,
    Observed,
    ReadBack,
    Refused,
    Unavailable,
)
from transforms import tag_id

from .client import GraphClient, GraphFailure
from .render import UploadedFile, bind_files, content_digest, iso_ms

#: statuses that stop the whole conversation (the app may not write here at all).
DENIED = frozenset({401, 403})


def graph_ms(value: str) -> int:
    """A Graph createdDateTime (any number of fraction digits) in milliseconds since the epoch."""
    return utc_micros(parse_timestamp(value).utc) // 1000


@dataclass
class ConversationPoster:
    g: GraphClient
    container: Container
    #: the team's id for a channel; None for a chat.
    team_id: str | None
    files: Mapping[str, File]

    def _path(self, root: Message | str | None = None) -> str:
        conv = quote(str(self.container.target_id), safe="")
        if self.team_id is None:
            return f"/chats/{conv}/messages"
        base = f"/teams/{quote(self.team_id, safe='')}/channels/{conv}/messages"
        root_id = root.target_id if isinstance(root, Message) else root
        return base if root_id is None else f"{base}/{quote(str(root_id), safe='')}/replies"

    def payload(self, message: Message) -> dict[str, Any]:
        """The chatMessage to send: the frozen payload, its time, and the uploaded files' ids."""
        payload = orjson.loads(message.payload) | {"createdDateTime": iso_ms(message.created_ms)}
        uploads: dict[str, UploadedFile] = {}
        for attachment_id in orjson.loads(message.files):
            f = self.files.get(attachment_id)
            if f is None or f.state != SENT or not f.target_ref:
                raise Refused(f"its file {f.name if f else attachment_id} is not uploaded"
                              + (f": {f.error}" if f and f.error else ""))
            uploads[tag_id(attachment_id)] = UploadedFile(f.target_ref, str(f.url), f.name)
        return bind_files(payload, uploads) if uploads else payload

    async def post(self, message: Message, root: Message | None) -> str:
        try:
            made = await self.g.send_json(self.container.key, "POST", self._path(root), self.payload(message),
                                          idempotent=True)
        except GraphFailure as failure:
            if failure.status == 409:
                raise Conflict(failure.maybe_applied) from None
            if failure.status in DENIED:
                raise Unavailable(f"{self.container.name}: Graph refused the import ({failure})") from None
            raise Refused(str(failure)) from None
        return str((made or {}).get("id"))

    async def find(self, message: Message, root: Message | None) -> ReadBack:
        seen: list[dict[str, Any]] = []
        try:
            async for page in self._pages(self._path(root)):
                seen.extend(page)
                if any(graph_ms(m["createdDateTime"]) == message.created_ms for m in page):
                    break
        except GraphFailure as failure:
            if failure.status in DENIED or failure.status == 404:
                return ReadBack(readable=False)
            raise
        taken = frozenset(graph_ms(m["createdDateTime"]) for m in seen)
        hit = next((m for m in seen if graph_ms(m["createdDateTime"]) == message.created_ms), None)
        if hit is None:
            return ReadBack(readable=True, taken=taken)
        found = _observed(hit)
        ours = found.author == message.author and found.content_hash == message.content_hash
        return ReadBack(readable=True, target_id=found.target_id, ours=ours, taken=taken)

    async def read_all(self) -> list[Observed]:
        """Every post of the conversation: roots, and each root's replies (raises GraphFailure)."""
        out: list[Observed] = []
        async for page in self._pages(self._path()):
            for m in page:
                out.append(_observed(m))
                if self.team_id is not None:
                    async for replies in self._pages(self._path(str(m["id"]))):
                        out.extend(_observed(r) for r in replies)
        return out

    async def _pages(self, path: str) -> AsyncIterator[list[dict[str, Any]]]:
        link: str | None = path
        while link:
            page = await self.g.send_json(self.container.key, "GET", link, idempotent=True) or {}
            yield list(page.get("value") or [])
            link = page.get("@odata.nextLink")


def _observed(m: dict[str, Any]) -> Observed:
    author = str(((m.get("from") or {}).get("user") or {}).get("id") or "")
    content = str((m.get("body") or {}).get("content") or "")
    return Observed(graph_ms(m["createdDateTime"]), author, content_digest(content), str(m["id"]))
