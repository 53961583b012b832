"""Sending the frozen events of one room, and finding them again by reading the room back.

Idempotency, the Matrix way: every event carries its ledger key in `org.rsemigrate.source`, and
its transaction id is derived from the room's alias (unique per migration) and that key, so it is
unique per room across all the users the appservice acts as (Synapse keys its transaction cache
by appservice and path, not by user). The cache is only a first line: it forgets on restart.
Whenever an event may already be in the room (the ledger saw it `sending` in an earlier attempt,
or the homeserver's answer was lost) the room is read back first, newest events first, and a
match of the key is adopted instead of sending it again (`Conflict`, which the engine settles
by `find`). The first read-back of a room pages back to its start; later ones stop at the first
event already seen, since new events only ever appear at the end of a room's timeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from rsemigrate.migrate import SENT, Conflict, Container, File, Message, ReadBack, Refused, Unavailable

from .client import MatrixClient, MatrixError, Uncertain
from .render import SOURCE

#: times a send with an uncertain outcome is checked and tried again before the room stops.
UNCERTAIN_TRIES = 5
PAGE = 1000


def transaction_id(alias: str, key: str) -> str:
    return "rse-" + hashlib.sha256(f"{alias}\n{key}".encode()).hexdigest()[:40]


@dataclass
class RoomPoster:
    client: MatrixClient
    room: Container
    files: Mapping[str, File]
    #: the room's alias: unique per migration, the seed of its transaction ids.
    alias: str
    #: event key → event id, for every event known to be in the room.
    ids: dict[str, str] = field(default_factory=dict)
    _seen: dict[str, str] | None = None
    _known: set[str] = field(default_factory=set)
    _adopt: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_room(cls, client: MatrixClient, room: Container, messages: list[Message],
                 files: Mapping[str, File]) -> RoomPoster:
        ids = {m.key: m.target_id for m in messages if m.target_id}
        return cls(client, room, files, str(room.facts()["alias"]), ids, _known=set(ids.values()))

    @property
    def room_id(self) -> str:
        assert self.room.target_id, "rooms are created before their events are sent"
        return self.room.target_id

    async def post(self, message: Message, root: Message | None) -> str:
        if message.attempts > 1:  # it may be in the room already: never send it twice
            found = await self.lookup(message.key)
            if found:
                self._adopt[message.key] = found
                raise Conflict(maybe_ours=True)
        payload = orjson.loads(message.payload)
        content = self.content(payload, message, root)
        txn = transaction_id(self.alias, message.key)
        for _ in range(UNCERTAIN_TRIES):
            try:
                event_id = await self.client.send(self.room.key, self.room_id, payload["type"], txn, content,
                                                  sender=message.author, ts=message.created_ms)
            except Uncertain:
                found = await self.lookup(message.key)
                if found:
                    return self._record(message.key, found)
                continue
            except MatrixError as error:
                if error.errcode == "M_DUPLICATE_ANNOTATION":
                    raise Conflict(maybe_ours=True) from None
                if error.status == 401 or error.errcode == "M_UNKNOWN_TOKEN":
                    raise Unavailable(f"the homeserver refused the appservice token ({error})") from None
                raise Refused(str(error)) from None
            return self._record(message.key, event_id)
        raise Unavailable(f"{self.room.name}: the homeserver kept failing while sending {message.key}")

    async def find(self, message: Message, root: Message | None) -> ReadBack:
        hit = self._adopt.pop(message.key, None) or await self.lookup(message.key)
        if hit is None:
            return ReadBack(readable=True)
        self._record(message.key, hit)
        return ReadBack(readable=True, target_id=hit, ours=True)

    def content(self, payload: dict[str, Any], message: Message, root: Message | None) -> dict[str, Any]:
        """The event content: the frozen one, with its relations and file bound to what exists now."""
        content = dict(payload["content"])
        if payload["annotates"]:
            content["m.relates_to"] = content["m.relates_to"] | {"event_id": self._dependency(root)}
        elif payload["thread"]:
            thread = self._dependency(root)
            reply = self.ids.get(payload["reply_to"]) if payload["reply_to"] else None
            falling_back = bool(payload["falling_back"]) or reply is None
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": falling_back,
                "m.in_reply_to": {"event_id": reply or thread},
            }
        for attachment_id in orjson.loads(message.files):
            f = self.files.get(attachment_id)
            if f is None or f.state != SENT or not f.target_ref:
                raise Refused(f"its file {f.name if f else attachment_id} is not uploaded"
                              + (f": {f.error}" if f and f.error else ""))
            content["url"] = f.target_ref
        return content

    def _dependency(self, root: Message | None) -> str:
        if root is None or not root.target_id:
            raise Refused("the event it relates to has no id")
        return root.target_id

    def _record(self, key: str, event_id: str) -> str:
        self.ids[key] = event_id
        self._known.add(event_id)
        return event_id

    async def lookup(self, key: str) -> str | None:
        """The id of the event with this key in the room, if it is there (see the module doc)."""
        if key in self.ids:
            return self.ids[key]
        full = self._seen is None
        seen = self._seen = self._seen if self._seen is not None else {}
        start: str | None = None
        while True:
            page = await self.client.messages(
                self.room.key, self.room_id, direction="b", start=start, limit=PAGE
            )
            chunk = page.get("chunk") or []
            for event in chunk:
                if not full and event["event_id"] in self._known:
                    return seen.get(key)
                source = (event.get("content") or {}).get(SOURCE)
                if isinstance(source, dict) and isinstance(source.get("key"), str):
                    seen.setdefault(source["key"], event["event_id"])
                self._known.add(event["event_id"])
            if not chunk or not page.get("end"):
                return seen.get(key)
            start = str(page["end"])

    async def read_all(self) -> list[dict[str, Any]]:
        """Every event of the room, oldest first (for reconciliation)."""
        out: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            page = await self.client.messages(
                self.room.key, self.room_id, direction="f", start=start, limit=PAGE
            )
            chunk = page.get("chunk") or []
            out.extend(chunk)
            if not chunk or not page.get("end"):
                return out
            start = str(page["end"])
