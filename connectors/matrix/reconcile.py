"""`rsemigrate reconcile` for Matrix: what to expect, and what the rooms show.

Expected events are planned again from the archive and the plan (prepare.room_events), so they
match the frozen ones key by key. Every room is read back through the client-server API as the
appservice (`/messages`, oldest first); each message or reaction event counts, with its sender,
`origin_server_ts` and content digest (event ids and mxc URIs left out). Events without our
source key are someone else's, and are reported as such.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rsemigrate.archive import Archive
from rsemigrate.errors import InputError
from rsemigrate.migrate import (
    SENT,
    Expected,
    Ledger,
    Observed,
    RateLimiter,
    ReconcileRequest,
    Reconciliation,
    check_conversation,
    default_url,
)
from transforms import user_mapping

from .appservice import load_as_token
from .client import MatrixClient, MatrixError, MatrixUnavailable
from .freeze import USERS, migration_for
from .plan import MatrixPlan, load_plan
from .poster import RoomPoster
from .prepare import drafts, prepare, room_events
from .render import content_digest

NOT_READ = "not read back"
EVENT_TYPES = frozenset({"m.room.message", "m.reaction"})


def reconcile(request: ReconcileRequest) -> Reconciliation:
    if request.rehearsal:
        raise InputError(
            "Matrix has no rehearsal to reconcile: reconcile the import itself (drop --rehearse)"
        )
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    url = request.ledger_url or default_url(plan.path)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise InputError(f"no ledger at {url}: nothing was imported with this plan")
    with Ledger(url) as ledger:
        migration = ledger.migration()
        if migration is None:
            raise InputError(f"the ledger {url} holds no migration")
        rec = Reconciliation("matrix", migration.mode, url, NOT_READ)
        differences = ledger.differences(
            migration_for(archive, plan, migration.owner, migration.mode), identity=False
        )
        rec.problems.extend(f"the ledger does not match: {d}" for d in differences)
        expected = None if differences else _expected(archive, plan)
        observed = None
        if request.offline:
            rec.target_read = f"{NOT_READ} (--offline)"
        else:
            observed = asyncio.run(_from_homeserver(ledger, plan, rec))
        skips, files = ledger.skips(), ledger.files()
        for room in ledger.containers():
            if room.is_parent:
                continue
            rec.conversations.append(check_conversation(
                room, room.name, ledger.messages(room.key), [f for f in files if f.container_key == room.key],
                [s for s in skips if s.container_key == room.key],
                None if expected is None else expected.get(room.key, []),
                None if observed is None else observed.get(room.key, [])))
        rec.not_planned = {s.reason: s.count for s in skips if s.container_key.startswith("source:")}
        failed = [m for m in ledger.members(USERS) if m.state != SENT]
        if failed:
            rec.problems.append(f"{len(failed)} account(s) not ready ({failed[0].account}: "
                                f"{failed[0].error or failed[0].state})")
        return rec


def _expected(archive: Archive, plan: MatrixPlan) -> dict[str, list[Expected]]:
    prep = prepare(archive, plan, user_mapping(plan.common))
    return {
        room.key: [Expected(e.key, content_digest(e.content)) for e in room_events(prep, drafts(prep, room))]
        for room in plan.rooms
    }


async def _from_homeserver(
    ledger: Ledger, plan: MatrixPlan, rec: Reconciliation
) -> dict[str, list[Observed]] | None:
    token = load_as_token(plan.connection.as_token_env, plan.registration_path)
    rates = plan.common.rates
    client = MatrixClient(plan.connection.homeserver_url, token, RateLimiter(rates.per_channel, rates.tenant))
    out: dict[str, list[Observed]] = {}
    try:
        for room in ledger.containers():
            if room.is_parent or not room.target_id:
                continue
            events = await RoomPoster.for_room(client, room, [], {}).read_all()
            out[room.key] = [
                Observed(
                    int(e["origin_server_ts"]),
                    str(e["sender"]),
                    content_digest(e.get("content") or {}),
                    str(e["event_id"]),
                )
                for e in events
                if e.get("type") in EVENT_TYPES and "state_key" not in e and e.get("content")
            ]
    except (MatrixError, MatrixUnavailable) as error:
        rec.target_read = f"{NOT_READ}: the homeserver refused to list the rooms ({error})"
        return None
    finally:
        await client.close()
    rec.target_read = f"read back from {plan.connection.homeserver_url}"
    return out

