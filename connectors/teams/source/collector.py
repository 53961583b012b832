"""`rsemigrate collect teams`: page through Graph and save what `reader` reads, resumably.

Walk: per team, its node, members and channels (standard, private and shared); per channel its
members (private and shared only), its root messages with `$expand=replies` (50 a page), and for
a root whose expansion was cut (`replies@odata.nextLink`) all of `/replies`; per message its inline
images and reference files (`downloads`). Then per chosen user, the user and their chats with their
members; per chat (each once, however many chosen users share it) its messages and their binaries.

Why not `getAllMessages`: it answers a whole team's channels interleaved, so an interrupted run
could not tell which channel was done, and it was long a metered API; per-channel listing is
resumable page by page and needs the same permission (ChannelMessage.Read.All).

Resuming: the folder is the checkpoint (`folder`). A listing starts again from its last saved
page's `@odata.nextLink` (or from the start, if Graph no longer accepts that link); saved pages are
re-read from disk and no download with a sidecar is repeated. A run is finished when collect.json
has `finished_at`; another run on a finished folder does nothing and reports its counts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rsemigrate.archive import format_utc
from rsemigrate.errors import InputError

from ..client import GraphClient
from . import wire
from .downloads import Downloads
from .fetch import Refused, get_json
from .folder import CollectionFolder
from .layout import Request

#: a signed-in Graph client for the duration of the walk.
Connect = Callable[[], AbstractAsyncContextManager[GraphClient]]
#: statuses after which a saved continuation link is given up and its listing fetched again.
STALE_LINK = frozenset({400, 404, 410})


def now() -> str:
    return format_utc(datetime.now(UTC))


async def run_collect(
    target: Path, connect: Connect, request: Request, secrets: tuple[str, ...] = ()
) -> dict[str, int]:
    """Collect `request` into `target` (new, or an interrupted collection of the same request)."""
    folder = CollectionFolder(target, secrets)
    folder.open()
    try:
        saved = _saved_state(folder, request)
        if saved and saved.get("finished_at"):
            return dict(saved.get("counts") or {})
        async with connect() as g:  # signed in: only now is anything written
            state = _begin(folder, request, saved)
            counts = await _Walk(g, folder, request).run()
            counts["requests"] = g.stats.requests
        folder.save(wire.COLLECT, {**state, "finished_at": now(), "counts": counts})
        return counts
    finally:
        folder.close()


def _saved_state(folder: CollectionFolder, request: Request) -> dict[str, Any] | None:
    """An earlier run's collect.json, checked to be of the same request; None for a new folder."""
    if not folder.exists(wire.COLLECT):
        return None
    state: dict[str, Any] = folder.load(wire.COLLECT)
    saved = Request.parse(state, str(folder.root / wire.COLLECT))
    if not saved.same_as(request):
        raise InputError(f"{folder.root} holds a collection of another request ({_describe(saved)}); "
                         f"this run asks for {_describe(request)}: collect into a new folder")
    return state


def _begin(folder: CollectionFolder, request: Request, saved: dict[str, Any] | None) -> dict[str, Any]:
    """collect.json for this run: the interrupted run's, counted as resumed, or a new one."""
    if saved is not None:
        state = {**saved, "resumed": int(saved.get("resumed") or 0) + 1}
        folder.save(wire.COLLECT, state)
        return state
    state = {
        "tool": {"name": "rsemigrate", "version": version("rsemigrate")},
        "graph_url": request.graph_url,
        "request": {"teams": list(request.teams), "users": list(request.users), "files": request.files,
                    "tenant_id": request.tenant_id},
        "started_at": now(), "finished_at": None, "resumed": 0,
    }
    folder.save(wire.COLLECT, state)
    return state


def _describe(request: Request) -> str:
    return ", ".join(
        f"{k}={v!r}" for k, v in asdict(request).items() if k not in ("started_at", "finished_at")
    )


class _Walk:
    def __init__(self, g: GraphClient, folder: CollectionFolder, request: Request) -> None:
        self._g = g
        self._folder = folder
        self._request = request
        self.counts: Counter[str] = Counter()
        self._downloads = Downloads(g, folder, request.files, self.counts)

    async def run(self) -> dict[str, int]:
        for team_id in self._request.teams:
            await self._team(team_id)
        chats: dict[str, None] = {}
        for ref in self._request.users:
            chats.update(dict.fromkeys(await self._user_chats(ref)))
        for chat_id in chats:
            self.counts["chats"] += 1
            await self._conversation(wire.Conversation.chat(chat_id))
        return dict(self.counts)

    async def _team(self, team_id: str) -> None:
        base, path = wire.team_folder(team_id), f"/teams/{quote(team_id, safe='')}"
        if await self._document(f"{base}/{wire.TEAM}", path, team_id) is None:
            return
        self.counts["teams"] += 1
        async for _ in self._listing(f"{base}/{wire.MEMBERS}", f"{path}/members", team_id):
            pass
        channels = {
            str(c["id"]): c
            async for c in self._listing(f"{base}/{wire.CHANNELS}", f"{path}/channels", team_id)
            if isinstance(c, dict) and c.get("id")
        }
        for channel in channels.values():
            self.counts["channels"] += 1
            conversation = wire.Conversation.channel(team_id, str(channel["id"]))
            if channel.get("membershipType") in wire.OWN_MEMBERS:
                async for _ in self._listing(
                    f"{conversation.folder}/{wire.MEMBERS}", f"{conversation.graph}/members", conversation.id
                ):
                    pass
            await self._conversation(conversation)

    async def _user_chats(self, ref: str) -> list[str]:
        base = wire.user_folder(ref)
        user = await self._document(f"{base}/{wire.USER}",
                                    f"/users/{quote(ref, safe='@')}?$select={wire.USER_SELECT}", "users")
        if user is None or not user.get("id"):
            return []
        listing = f"/users/{quote(str(user['id']), safe='')}/chats?$expand=members&$top={wire.TOP}"
        return list(
            dict.fromkeys(
                [
                    str(c["id"])
                    async for c in self._listing(f"{base}/{wire.CHATS}", listing, "users")
                    if isinstance(c, dict) and c.get("id")
                ]
            )
        )

    async def _conversation(self, conversation: wire.Conversation) -> None:
        channel = conversation.team_id is not None
        first = f"{conversation.graph}/messages?$top={wire.TOP}" + ("&$expand=replies" if channel else "")
        seen: set[str] = set()
        async for item in self._listing(conversation.messages, first, conversation.id):
            if not isinstance(item, dict) or not item.get("id"):
                continue
            root = str(item["id"])
            seen.add(root)
            await self._downloads.message(conversation, item, None)
            if not channel:
                continue
            inline = item.get("replies")
            replies: list[Any] = inline if isinstance(inline, list) else []
            if item.get("replies@odata.nextLink"):
                link = f"{conversation.graph_message(root)}/replies?$top={wire.TOP}"
                replies = [r async for r in self._listing(conversation.replies(root), link, conversation.id)]
            for reply in replies:
                if isinstance(reply, dict) and reply.get("id"):
                    seen.add(f"{root}/{reply['id']}")
                    await self._downloads.message(conversation, reply, root)
        self.counts["messages"] += len(seen)

    async def _document(self, relpath: str, path: str, key: str) -> dict[str, Any] | None:
        """A single object, saved (or read back when saved before); None when Graph refused it."""
        if self._folder.exists(relpath):
            return self._folder.load(relpath)
        refused = f"{relpath.rpartition('/')[0]}/{wire.REFUSED}"
        if self._folder.exists(refused):
            return None
        try:
            data = await get_json(self._g, key, path)
        except Refused as exc:
            self._folder.save(refused, exc.record(path=path))
            self.counts["refused"] += 1
            return None
        self._folder.save(relpath, data)
        return data

    async def _listing(self, folder: str, first: str, key: str) -> AsyncIterator[Any]:
        """Every item of a Graph collection, saving each page as `folder/page-NNNN.json` first;
        pages saved by an interrupted run are read back and the listing continues after them."""
        if self._folder.exists(f"{folder}/{wire.REFUSED}"):
            return
        saved = self._folder.pages(folder)
        link: str | None = first
        number = 0
        for _number, relpath in saved:
            page = self._folder.load(relpath)
            for item in page.get("value") or []:
                yield item
            link = page.get("@odata.nextLink")
            if not link:
                return
        resuming = bool(saved)
        while link:
            try:
                page = await get_json(self._g, key, link)
            except Refused as exc:
                if resuming and exc.status in STALE_LINK:
                    self._folder.forget(folder)  # Graph no longer takes the saved link: start over
                    link, number, resuming = first, 0, False
                    continue
                self._folder.save(f"{folder}/{wire.REFUSED}", exc.record(path=link))
                self.counts["refused"] += 1
                return
            resuming = False
            number += 1
            self._folder.save(f"{folder}/{wire.page_name(number)}", page)
            for item in page.get("value") or []:
                yield item
            following = page.get("@odata.nextLink")
            link = following if isinstance(following, str) and following else None


def collect_sync(
    target: Path, connect: Connect, request: Request, secrets: tuple[str, ...] = ()
) -> dict[str, int]:
    return asyncio.run(run_collect(target, connect, request, secrets))
