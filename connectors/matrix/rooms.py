"""Everything written before a room's events: the accounts, the space, the rooms, members, files.

Each write is recorded in the ledger before it leaves and again once answered, and each can be
repeated safely after a crash:
- a virtual user is registered (`M_USER_IN_USE` means done) and named; an existing account is
  only checked (`whoami?user_id=`: the appservice may act as it), never renamed;
- a room is created with its alias, so an answer lost in a crash is recovered by resolving the
  alias (`M_ROOM_IN_USE` on a second create says the same), never by creating a second room. The
  room found is adopted only once it proves to be this container's: the appservice joins it (a
  crash can stop Synapse's creation after the alias is registered and before the creator joins)
  and reads its marker. A room still without a marker after a short wait is an unfinished
  creation that never held an event of ours: its alias is removed and the room made again;
- a room that cannot be opened (created, adopted, linked) fails alone: the other rooms go on;
- a member is invited by the appservice, then joins as themself, both back-dated (`ts`) to the
  room's planned creation time, before its first message; state events are idempotent, and the
  membership is read first when an earlier attempt may have applied;
- a file upload lost in a crash is uploaded again: the first copy stays unreferenced in the
  media repository, invisible to users (Synapse has no idempotent upload).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from rsemigrate.archive import Archive, Attachment
from rsemigrate.migrate import (
    FAILED,
    SENDING,
    SENT,
    Container,
    Ledger,
    Member,
    Stop,
    Unavailable,
    crash_point,
    refuse_stored_file,
)

from .client import MatrixClient, MatrixError

#: a state event marking a room as made by this migration (its ledger key and alias).
MARKER = "org.rsemigrate.container"
#: how often (and how long apart, in seconds) a room without a marker is read again before it
#: counts as unfinished: Synapse may still be creating it (it answers the alias first).
ADOPT_TRIES = 4
ADOPT_WAIT = 0.5


@dataclass
class Rooms:
    client: MatrixClient
    ledger: Ledger
    server_name: str

    async def account(self, member: Member) -> None:
        """Make sure the import can act as this account (see the module doc)."""
        if member.state == SENT:
            return
        try:
            if member.role == "virtual":
                await self.client.register(member.account[1:].split(":", 1)[0])
                await self.client.set_displayname(member.account, member.name)
            else:
                await self.client.whoami(member.account)
        except MatrixError as error:
            self.ledger.mark(member, state=FAILED, error=str(error))
            raise Unavailable(
                f"cannot act as {member.account}: {error}"
                + (
                    " (is it listed in the appservice registration? rerun `rsemigrate matrix "
                    "register` and restart the homeserver)"
                    if member.role == "existing"
                    else ""
                )
            ) from None
        self.ledger.mark(member, state=SENT, error=None)

    async def open(self, row: Container, space: Container | None) -> None:
        """Create the room (or space) if needed, link it into the space, and join its members."""
        try:
            if row.state != SENT:
                await self._create(row)
            if row.is_parent:
                return
            if space is not None and space.target_id and not row.facts().get("linked"):
                await self._link(row, space)
        except MatrixError as error:
            self.ledger.mark(row, error=str(error))
            raise Unavailable(f"cannot open the room {row.name!r}: {error}") from None
        for member in self.ledger.members(row.key):
            if member.state != SENT:
                await self._join(row, member)

    async def _create(self, row: Container) -> None:
        facts = row.facts()
        alias = str(facts["alias"])
        again = row.state == SENDING  # an earlier attempt may have created it
        self.ledger.mark(row, state=SENDING)
        crash_point("room-sending")
        room_id = await self._existing(row, alias) if again else None
        if room_id is None:
            room_id = await self._new_room(row, facts, alias)
        crash_point("room-applied")
        self.ledger.mark(row, state=SENT, target_id=room_id, error=None)
        self.ledger.note("created", row.key, f"{room_id} {alias}")

    async def _new_room(self, row: Container, facts: dict[str, Any], alias: str) -> str:
        for _ in range(2):  # a second time only after an unfinished room's alias was removed
            try:
                return await self.client.create_room(row.key, self._create_body(row, facts))
            except MatrixError as error:
                if error.errcode != "M_ROOM_IN_USE":
                    self.ledger.mark(row, state=FAILED, error=str(error))
                    raise Unavailable(f"cannot create the room {row.name!r}: {error}") from None
            room_id = await self._existing(row, alias)
            if room_id is not None:
                return room_id
        raise Unavailable(f"the alias {alias} of {row.name!r} is taken again each time it is freed")

    async def _existing(self, row: Container, alias: str) -> str | None:
        """The room `alias` points to, once it proves to be this container's (see the module doc);
        None when there is none, or when it was an unfinished creation (its alias is then removed)."""
        room_id = await self.client.resolve_alias(row.key, alias)
        if room_id is None:
            return None
        marker = await self._marker(row.key, room_id)
        if marker is None:
            try:
                await self.client.join(row.key, room_id)
            except MatrixError as error:
                self.ledger.note("join-refused", row.key, f"{room_id}: {error}")
            for _ in range(ADOPT_TRIES):
                marker = await self._marker(row.key, room_id)
                if marker is not None:
                    break
                await asyncio.sleep(ADOPT_WAIT)
        if marker is None:
            await self.client.delete_alias(row.key, alias)
            self.ledger.note("abandoned-room", row.key,
                             f"{room_id} {alias}: an unfinished creation without our marker; "
                             "the alias was removed, the room is made again")
            return None
        if marker.get("key") != row.key:
            raise Unavailable(f"the alias {alias} points to {room_id}, which was made for "
                              f"{marker.get('key')!r}, not for {row.name!r}: remove the alias on the "
                              "homeserver, then resume")
        return room_id

    async def _marker(self, key: str, room_id: str) -> dict[str, Any] | None:
        """The room's migration marker, or None when it has none or the appservice is not in the room."""
        try:
            return await self.client.state(key, room_id, MARKER)
        except MatrixError as error:
            if error.status == 403:
                return None
            raise

    def _create_body(self, row: Container, facts: dict[str, Any]) -> dict[str, Any]:
        alias = str(facts["alias"])
        body: dict[str, Any] = {
            "preset": "private_chat", "visibility": "private", "name": row.name,
            "room_alias_name": alias[1:].split(":", 1)[0],
            "initial_state": [{"type": MARKER, "state_key": "", "content": {"key": row.key, "alias": alias}}],
        }
        if facts.get("topic"):
            body["topic"] = facts["topic"]
        if row.is_parent:
            body["creation_content"] = {"type": "m.space"}
        return body

    async def _link(self, row: Container, space: Container) -> None:
        """The room as a child of the space, and the space as its parent (idempotent state events)."""
        assert row.target_id and space.target_id
        via = {"via": [self.server_name]}
        await self.client.put_state(row.key, space.target_id, "m.space.child", row.target_id, via)
        await self.client.put_state(
            row.key, row.target_id, "m.space.parent", space.target_id, via | {"canonical": True}
        )
        self.ledger.mark(row, detail=_with(row, linked=True))

    async def _join(self, row: Container, member: Member) -> None:
        assert row.target_id
        again = member.state == SENDING
        self.ledger.mark(member, state=SENDING)
        current = None
        if again:
            state = await self.client.state(row.key, row.target_id, "m.room.member", member.account)
            current = (state or {}).get("membership")
        try:
            if current != "join":
                if current != "invite":
                    await self.client.put_state(row.key, row.target_id, "m.room.member", member.account,
                                                {"membership": "invite"}, ts=row.planned_ms)
                await self.client.put_state(row.key, row.target_id, "m.room.member", member.account,
                                            {"membership": "join"}, as_user=member.account, ts=row.planned_ms)
        except MatrixError as error:
            self.ledger.mark(member, state=FAILED, error=str(error))
            raise Unavailable(f"{member.account} cannot join {row.name!r}: {error}") from None
        crash_point("member-applied")
        self.ledger.mark(member, state=SENT, error=None)

    async def upload_all(self, row: Container, archive: Archive, attachments: Mapping[str, Attachment],
                         stop: Stop) -> None:
        """Upload the room's files that are not uploaded yet; a refused file is recorded as failed."""
        for f in self.ledger.files(row.key):
            if f.state == SENT or stop or refuse_stored_file(self.ledger, archive, f):
                continue
            att = attachments.get(f.key)
            mimetype = (att.media_type if att else None) or "application/octet-stream"
            self.ledger.mark(f, state=SENDING)
            try:
                data = archive.file_path(f.sha256).read_bytes()
                uri = await self.client.upload(row.key, f.name, mimetype, data)
            except (OSError, MatrixError) as error:
                self.ledger.mark(f, state=FAILED, error=str(error))
                self.ledger.note("failed", f"file {f.key}", str(error))
                continue
            crash_point("file-applied")
            self.ledger.mark(f, state=SENT, target_ref=uri, url=uri, error=None)


def _with(row: Container, **facts: Any) -> str:
    return orjson.dumps(row.facts() | facts).decode()
