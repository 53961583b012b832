"""Teams containers: teams and channels in migration mode, existing channels and group chats taken
into migration, then completion and members, each write recorded in the ledger before it leaves.

Creates are not idempotent on Graph (a second POST /teams makes a second team), so a create whose
outcome is unknown (a crash, a 503, a lost answer: the row is `sending`) is looked for before it
is sent again: a team by its name and its back-dated creation time, a channel by its name in the
team, a chat by its topic and members in its first member's chats. startMigration and
completeMigration answer 400 when already done; after an unknown outcome the state is read back.

Order (ImportDoc): team → its channels → (files, messages) → every other channel completed →
General completed → the team completed → members and owners added. Completing General first marks
the team as migrated and strands its other channels (channel-completemigration page); the
importer keeps this order, on --resume too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NoReturn

import orjson
from msgraph.generated.chats.item.start_migration.start_migration_post_request_body import (
    StartMigrationPostRequestBody as ChatStartMigration,
)
from msgraph.generated.models.channel import Channel as GraphChannel
from msgraph.generated.models.chat import Chat
from msgraph.generated.models.team import Team
from msgraph.generated.teams.item.channels.item.start_migration.start_migration_post_request_body import (
    StartMigrationPostRequestBody as ChannelStartMigration,
)
from msgraph.generated.teams.item.members.add.add_post_request_body import AddPostRequestBody

from rsemigrate.migrate import FAILED, SENDING, SENT, Container, Ledger, Unavailable, crash_point

from .client import GraphClient, GraphFailure, Uncertain, model, response_header, with_headers
from .render import iso_ms

TEMPLATE = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')"
MEMBER_TYPE = "#microsoft.graph.aadUserConversationMember"
#: members per POST /teams/{id}/members/add.
MEMBERS_PER_CALL = 20
#: a chat member's visibleHistoryStartDateTime that shares the whole history (imported included).
ALL_HISTORY = "0001-01-01T00:00:00Z"
OPERATION_POLLS = 60


@dataclass
class Containers:
    g: GraphClient
    ledger: Ledger

    # ── teams ──────────────────────────────────────────────────────────────────────────────────

    async def open_team(self, row: Container) -> None:
        """Create the team in migration mode (or find the existing one), and record its General."""
        if row.state == SENT:
            return
        if row.kind == "existing-team":
            await self._existing_team(row)
            return
        for _ in range(3):
            if row.state == SENDING:
                team_id = row.target_id or await self._find_team(row)
                if team_id:
                    await self._team_ready(row, team_id)
                    return
            self.ledger.mark(row, state=SENDING)
            body = {"@microsoft.graph.teamCreationMode": "migration", "template@odata.bind": TEMPLATE,
                    "displayName": row.name, "createdDateTime": iso_ms(row.planned_ms or 0)}
            if row.facts().get("description"):
                body["description"] = row.facts()["description"]
            option, config = with_headers()
            try:
                await self.g.call(
                    row.key,
                    partial(self.g.sdk.teams.post, model(Team, body), request_configuration=config),
                    idempotent=False,
                    kind="team-create",
                )
            except Uncertain:
                continue
            except GraphFailure as failure:
                self._fail(row, f"cannot create the team: {failure} ({failure.advice})")
            crash_point("team-applied")
            location = response_header(option, "Location") or ""
            team_id, _, rest = location.partition("teams('")[2].partition("')")
            operation = rest.partition("operations('")[2].partition("')")[0]
            self.ledger.mark(row, target_id=team_id, detail=_merge(row, operation=operation))
            await self._team_ready(row, team_id)
            return
        self._fail(row, "Graph kept failing while creating the team; resume later")

    async def _find_team(self, row: Container) -> str | None:
        """The team this migration created earlier: same name, same back-dated creation time."""
        name = row.name.replace("'", "''")
        found = await self.g.call(row.key, lambda: self.g.sdk.groups.with_url(
            self.g.url(f"/groups?$filter=displayName eq '{name}'")).get(), idempotent=True, kind="other")
        for group in (found.value if found else None) or []:
            team = await self.g.call(row.key, self.g.sdk.teams.by_team_id(str(group.id)).get, idempotent=True)
            if team and _ms(team.created_date_time) == row.planned_ms:
                self.ledger.note("adopted", row.key, f"team {group.id} found by name and creation time")
                return str(group.id)
        return None

    async def _team_ready(self, row: Container, team_id: str) -> None:
        operation = row.facts().get("operation")
        for _ in range(OPERATION_POLLS if operation else 0):
            try:
                op = await self.g.call(row.key, lambda: self.g.sdk.teams.by_team_id(team_id).operations
                                       .by_teams_async_operation_id(operation).get(), idempotent=True)
            except GraphFailure as failure:
                if failure.status != 404:
                    raise
                op = None  # the operation is not readable yet (replication delay): poll again
            status = str(getattr(op.status, "value", op.status) if op else "")
            if status == "succeeded":
                break
            if status == "failed":
                self._fail(row, f"Graph could not create the team (operation {operation} failed)")
            await asyncio.sleep(2)
        channels = await self._channels(row.key, team_id)
        general = next((c for c in channels if (c.display_name or "").casefold() == "general"), None)
        if general is None:
            self._fail(row, f"team {team_id} has no General channel yet; resume in a few minutes")
        for child in self.ledger.containers():
            if child.parent_key == row.key and child.kind == "general":
                self.ledger.mark(child, state=SENT, target_id=str(general.id))
        self.ledger.mark(row, state=SENT, target_id=team_id)
        crash_point("team-recorded")

    async def _existing_team(self, row: Container) -> None:
        team_id = row.facts().get("id")
        if not team_id:
            name = row.name.replace("'", "''")
            found = await self.g.call(row.key, lambda: self.g.sdk.groups.with_url(
                self.g.url(f"/groups?$filter=displayName eq '{name}'")).get(), idempotent=True, kind="other")
            ids = [str(g.id) for g in (found.value if found else None) or []]
            if len(ids) != 1:
                self._fail(row, f"{len(ids)} teams are named {row.name!r}: set id in the plan's [team] table")
            team_id = ids[0]
        self.ledger.mark(row, state=SENT, target_id=team_id)

    async def _channels(self, key: str, team_id: str) -> list[Any]:
        found = await self.g.call(
            key, lambda: self.g.sdk.teams.by_team_id(team_id).channels.get(), idempotent=True
        )
        return list((found.value if found else None) or [])

    # ── channels and chats ─────────────────────────────────────────────────────────────────────

    async def open_conversation(self, row: Container, parent: Container | None) -> None:
        """Make the conversation ready for import: created in migration mode, or migration started."""
        if row.state == SENT:
            return
        if row.kind == "new-channel" and parent is not None and parent.kind == "existing-team":
            assert parent.target_id
            await self._standard_channel(row, parent.target_id)
        elif row.kind == "new-channel":
            assert parent is not None and parent.target_id
            await self._new_channel(row, parent.target_id)
        elif row.kind == "existing-channel":
            assert parent is not None and parent.target_id
            await self._existing_channel(row, parent.target_id)
        elif row.kind == "chat":
            await self._chat(row)
        else:
            self._fail(row, "its team was not created")

    async def _new_channel(self, row: Container, team_id: str) -> None:
        for _ in range(3):
            if row.state == SENDING:
                found = await self._channel_named(row, team_id)
                if found is not None:
                    if _ms(found.created_date_time) != row.planned_ms:
                        self._fail(
                            row,
                            f"the team already has a channel named {row.name!r} that this import did not "
                            "create",
                        )
                    self.ledger.mark(row, state=SENT, target_id=str(found.id))
                    return
            made = await self._create_channel(row, team_id, {
                "@microsoft.graph.channelCreationMode": "migration", "displayName": row.name,
                "membershipType": "standard", "createdDateTime": iso_ms(row.planned_ms or 0)})
            if made:
                self.ledger.mark(row, state=SENT, target_id=made)
                return
        self._fail(row, "Graph kept failing while creating the channel; resume later")

    async def _create_channel(self, row: Container, team_id: str, body: dict[str, Any]) -> str | None:
        """POST the channel, recorded `sending` first; its id, or None when the outcome is unknown."""
        self.ledger.mark(row, state=SENDING)
        try:
            made = await self.g.call(row.key, partial(self.g.sdk.teams.by_team_id(team_id).channels.post,
                                                      model(GraphChannel, body)), idempotent=False)
        except Uncertain:
            return None
        except GraphFailure as failure:
            self._fail(row, f"cannot create the channel: {failure} ({failure.advice})")
        crash_point("channel-applied")
        return str(made.id)

    async def _standard_channel(self, row: Container, team_id: str) -> None:
        """A new channel in an existing team: Graph creates migration channels only in a team under
        migration (msteams-docs#11973), so a standard channel is created, then taken into migration."""
        for _ in range(3):
            if row.target_id:
                break
            if row.state == SENDING:
                found = await self._channel_named(row, team_id)
                if found is not None:  # the plan check refuses names already taken: this one is ours
                    self.ledger.mark(row, target_id=str(found.id))
                    self.ledger.note("adopted", row.key, f"channel {found.id} found by name")
                    break
            standard = {"displayName": row.name, "membershipType": "standard"}
            made = await self._create_channel(row, team_id, standard)
            if made:
                self.ledger.mark(row, target_id=made)
        if not row.target_id:
            self._fail(row, "Graph kept failing while creating the channel; resume later")
        builder = self.g.sdk.teams.by_team_id(team_id).channels.by_channel_id(str(row.target_id))
        when = {"conversationCreationDateTime": iso_ms(row.planned_ms or 0)}
        start = builder.start_migration
        await self._start(row, lambda: start.post(model(ChannelStartMigration, when)), builder.get)

    async def _channel_named(self, row: Container, team_id: str) -> Any:
        return next((c for c in await self._channels(row.key, team_id)
                     if (c.display_name or "").casefold() == row.name.casefold()), None)

    async def _existing_channel(self, row: Container, team_id: str) -> None:
        channel = await self._channel_named(row, team_id)
        if channel is None:
            self._fail(row, f"no channel named {row.name!r} in the team")
        current = _ms(channel.created_date_time)
        when = min(row.planned_ms or current, current - 1)
        builder = self.g.sdk.teams.by_team_id(team_id).channels.by_channel_id(str(channel.id))
        self.ledger.mark(row, target_id=str(channel.id))
        await self._start(row, lambda: builder.start_migration.post(
            model(ChannelStartMigration, {"conversationCreationDateTime": iso_ms(when)})), builder.get)

    async def _chat(self, row: Container) -> None:
        members: list[str] = row.facts()["members"]
        for _ in range(3):
            if row.target_id:
                break
            if row.state == SENDING:
                found = await self._chat_with(row, members)
                if found:
                    self.ledger.mark(row, target_id=found)
                    break
            self.ledger.mark(row, state=SENDING)
            body = {"chatType": "group", "topic": row.name, "members": [
                {"@odata.type": MEMBER_TYPE, "roles": ["owner"],
                 "user@odata.bind": self.g.url(f"/users('{m}')"), "visibleHistoryStartDateTime": ALL_HISTORY}
                for m in members]}
            try:
                made = await self.g.call(
                    row.key, partial(self.g.sdk.chats.post, model(Chat, body)), idempotent=False
                )
            except Uncertain:
                continue
            except GraphFailure as failure:
                self._fail(row, f"cannot create the chat: {failure} ({failure.advice})")
            crash_point("chat-applied")
            self.ledger.mark(row, target_id=str(made.id))
        if not row.target_id:
            self._fail(row, "Graph kept failing while creating the chat; resume later")
        builder = self.g.sdk.chats.by_chat_id(str(row.target_id))
        await self._start(
            row,
            lambda: builder.start_migration.post(
                model(ChatStartMigration, {"conversationCreationDateTime": iso_ms(row.planned_ms or 0)})
            ),
            builder.get,
        )

    async def _chat_with(self, row: Container, members: list[str]) -> str | None:
        """A chat this migration created earlier: same topic and members, in its first member's chats."""
        link: str | None = f"/users/{members[0]}/chats?$expand=members"
        while link:
            page = await self.g.send_json(row.key, "GET", link, idempotent=True) or {}
            for chat in page.get("value") or []:
                ids = sorted(str(m.get("userId")) for m in chat.get("members") or [])
                if chat.get("topic") == row.name and ids == sorted(members):
                    self.ledger.note("adopted", row.key, f"chat {chat['id']} found by topic and members")
                    return str(chat["id"])
            link = page.get("@odata.nextLink")
        return None

    async def _start(self, row: Container, start: Any, read: Any) -> None:
        """startMigration, recorded; 'already in migration' after an unknown outcome is success."""
        was_sending = row.state == SENDING
        self.ledger.mark(row, state=SENDING)
        try:
            await self.g.call(row.key, start, idempotent=True)
        except GraphFailure as failure:
            state = await self.g.call(row.key, read, idempotent=True)
            mode = str(getattr(state.migration_mode, "value", state.migration_mode) or "")
            if not (
                failure.status == 400 and mode == "inProgress" and (was_sending or failure.maybe_applied)
            ):
                self._fail(row, f"cannot start the migration: {failure} ({failure.advice})")
        crash_point("start-applied")
        self.ledger.mark(row, state=SENT)

    # ── completion and members ─────────────────────────────────────────────────────────────────

    async def finish_conversation(self, row: Container, parent: Container | None) -> None:
        """completeMigration on a channel (General included) or a chat."""
        if row.finish_state == SENT:
            return
        if row.kind == "chat":
            builder: Any = self.g.sdk.chats.by_chat_id(str(row.target_id))
        else:
            assert parent is not None and parent.target_id
            builder = self.g.sdk.teams.by_team_id(parent.target_id).channels.by_channel_id(str(row.target_id))
        was_sending = row.finish_state == SENDING
        self.ledger.mark(row, finish_state=SENDING)
        try:
            await self.g.call(row.key, builder.complete_migration.post, idempotent=True)
        except GraphFailure as failure:
            state = await self.g.call(row.key, builder.get, idempotent=True)
            mode = str(getattr(state.migration_mode, "value", state.migration_mode) or "")
            if not (mode == "completed" and (was_sending or failure.maybe_applied)):
                self.ledger.mark(row, finish_state=FAILED, error=f"cannot complete the migration: {failure}")
                return
        crash_point("complete-applied")
        self.ledger.mark(row, finish_state=SENT)

    async def finish_team(self, row: Container) -> None:
        """completeMigration on the team (after every channel), then its members and owners."""
        if row.kind == "team" and row.finish_state != SENT:
            was_sending = row.finish_state == SENDING
            self.ledger.mark(row, finish_state=SENDING)
            builder = self.g.sdk.teams.by_team_id(str(row.target_id))
            try:
                await self.g.call(row.key, builder.complete_migration.post, idempotent=True)
            except GraphFailure as failure:
                # Graph keeps no readable flag on the team: "not in migration" after a lost answer is done.
                if not (failure.status == 400 and (was_sending or failure.maybe_applied)):
                    self.ledger.mark(row, finish_state=FAILED, error=f"cannot complete the team: {failure}")
                    return
            crash_point("team-complete-applied")
            self.ledger.mark(row, finish_state=SENT)
        if row.kind == "team":
            await self._add_members(row)

    async def _add_members(self, row: Container) -> None:
        todo = [m for m in self.ledger.members(row.key) if m.state != SENT]
        for start in range(0, len(todo), MEMBERS_PER_CALL):
            chunk = todo[start:start + MEMBERS_PER_CALL]
            self.ledger.mark_all(chunk, state=SENDING)
            body = {"values": [{"@odata.type": MEMBER_TYPE, "roles": ["owner"] if m.role == "owner" else [],
                                "user@odata.bind": self.g.url(f"/users('{m.account}')")} for m in chunk]}
            try:
                add = self.g.sdk.teams.by_team_id(str(row.target_id)).members.add
                result = await self.g.call(
                    row.key, partial(add.post, model(AddPostRequestBody, body)), idempotent=True
                )
            except GraphFailure as failure:
                self.ledger.mark_all(chunk, state=FAILED, error=str(failure))
                continue
            crash_point("members-applied")
            parts = list((result.value if result else None) or [])
            added = {str(getattr(p, "user_id", "")) for p in parts if not getattr(p, "error", None)}
            errors = [str(getattr(p.error, "message", p.error)) for p in parts if getattr(p, "error", None)]
            for m in chunk:
                if m.account in added:
                    self.ledger.mark(m, state=SENT, error=None)
                else:
                    self.ledger.mark(m, state=FAILED, error=errors.pop(0) if errors else "not added")

    def _fail(self, row: Container, reason: str) -> NoReturn:
        self.ledger.mark(row, state=FAILED, error=reason)
        self.ledger.note("failed", row.key, reason)
        raise Unavailable(f"{row.name}: {reason}")


def _merge(row: Container, **facts: object) -> str:
    return orjson.dumps(row.facts() | facts).decode()


def _ms(stamp: datetime | None) -> int | None:
    return None if stamp is None else int(stamp.timestamp() * 1000)
