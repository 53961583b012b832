"""`rsemigrate import` for Matrix: the appservice writes each room's history, over the shared ledger.

    whoami (the appservice token works) → (first run) freeze the plan into the ledger
                                        → (resume) refuse if the archive, plan or appservice changed
    1. accounts: register and name every virtual user; check every existing account can be asserted
    2. the space, then every room in parallel: create it (by alias), link it, join its members
    3. per room, in parallel: upload its files, then send its events in planned order (`ts`
       massaged, `user_id` asserted), through the engine's exactly-once loop
    4. a room whose events are all sent is finished; the space once all its rooms are

A room with a failed event is not finished; the report and `rsemigrate reconcile` say why, and a
resume (after a fix, or with --accept-gaps) finishes it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass

from rsemigrate.archive import Archive, Attachment
from rsemigrate.errors import InputError
from rsemigrate.migrate import (
    DONE,
    SENT,
    Container,
    ImportReport,
    ImportRequest,
    Ledger,
    RateLimiter,
    RunContext,
    Stop,
    Unavailable,
    accept_gaps,
    admit,
    crash_point,
    default_url,
    in_parallel,
    outcomes,
    run_until_stopped,
    send_messages,
)
from transforms import user_mapping

from .appservice import load_as_token
from .check import check
from .client import MatrixClient, MatrixError
from .freeze import SPACE, USERS, freeze, migration_for
from .plan import MatrixPlan, load_plan
from .poster import RoomPoster
from .prepare import prepare
from .rooms import Rooms

#: rooms worked on at once: enough to keep a homeserver busy while the client records each event.
DEFAULT_PARALLEL = 6


def run_import(request: ImportRequest) -> ImportReport:
    if request.rehearse:
        raise InputError("Matrix has no built-in emulator: rehearse against a local Synapse "
                         "(docs/matrix.md, \"A dress rehearsal\")")
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    token = load_as_token(plan.connection.as_token_env, plan.registration_path)
    with Ledger(request.ledger_url or default_url(request.plan), locked=True) as ledger:
        admit(ledger, request, check)
        return run_until_stopped(lambda stop: _run(request, archive, plan, token, ledger, stop))


async def _owner(client: MatrixClient, plan: MatrixPlan) -> str:
    """The appservice's own user: proves the token and the registration are loaded."""
    try:
        owner = await client.whoami()
    except MatrixError as error:
        raise InputError(f"the homeserver at {plan.connection.homeserver_url} refused the appservice token "
                         f"({error}): is the registration listed in app_service_config_files, and was the "
                         "homeserver restarted after it was added?") from None
    if owner != plan.namespaces.sender:
        raise InputError(f"the token belongs to {owner}, and the plan's appservice sender is "
                         f"{plan.namespaces.sender}: check [matrix] sender_localpart and server_name")
    return owner


async def _run(request: ImportRequest, archive: Archive, plan: MatrixPlan, token: str, ledger: Ledger,
               stop: Stop) -> ImportReport:
    begun = time.monotonic()
    rates = plan.common.rates
    limiter = RateLimiter(
        request.per_container_rate or rates.per_channel, request.overall_rate or rates.tenant
    )
    client = MatrixClient(plan.connection.homeserver_url, token, limiter)
    report = ImportReport("matrix", "live", ledger.url)
    work: _Work | None = None
    failed = True
    try:
        owner = await _owner(client, plan)
        if ledger.migration() is None:
            request.view.phase("Freezing the plan")
            ledger.freeze(freeze(prepare(archive, plan, user_mapping(plan.common)), owner))
            crash_point("frozen")
        else:
            ledger.refuse_resume(migration_for(archive, plan, owner))
        ledger.start_run("live")
        work = _Work(
            RunContext(ledger, request.view, stop),
            Rooms(client, ledger, plan.connection.server_name),
            archive,
            {a.id: a for a in archive.attachments()},
            request.accept_gaps,
            report,
        )
        await work.all(request.parallel or DEFAULT_PARALLEL)
        failed = False
    finally:
        report.interrupted = bool(stop)
        report.seconds = time.monotonic() - begun
        report.requests, report.throttled, report.retried = (client.stats.requests, client.stats.throttled,
                                                             client.stats.retried)
        if ledger.migration() is not None:
            report.containers = outcomes(ledger)
            report.sent_this_run = work.ctx.sent if work else 0
            ledger.end_run(
                "failed" if failed else "interrupted" if stop else "completed" if report.complete else "gaps"
            )
        await client.close()
    return report


@dataclass
class _Work:
    ctx: RunContext
    rooms: Rooms
    archive: Archive
    attachments: dict[str, Attachment]
    accept_gaps: bool
    report: ImportReport

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    async def all(self, parallel: int) -> None:
        self.ctx.view.phase("Registering virtual users, checking existing accounts")
        accounts = [m for m in self.ledger.members(USERS) if m.state != SENT]
        await in_parallel(accounts, lambda m: self._guard(m.account, self.rooms.account(m)), parallel)
        if self.ctx.stop or self.report.errors:
            return
        rows = self.ledger.containers()
        space = next((c for c in rows if c.key == SPACE), None)
        rooms = [c for c in rows if not c.is_parent]
        self.ctx.view.phase("Creating the space and the rooms, joining members")
        if space is not None:
            await self._guard(space.name, self.rooms.open(space, None))
        await in_parallel(rooms, lambda row: self._guard(row.name, self.rooms.open(row, space)), parallel)
        if self.ctx.stop:
            return
        self.ctx.view.phase("Uploading files and sending events")
        ready = [
            c for c in rooms if c.state == SENT and all(m.state == SENT for m in self.ledger.members(c.key))
        ]
        await in_parallel(ready, lambda row: self._guard(row.name, self._room(row)), parallel)
        if space is not None and not self.ctx.stop and all(c.finish_state == SENT for c in rooms):
            self.ledger.mark(space, finish_state=SENT)

    async def _guard(self, name: str, step: Awaitable[None]) -> None:
        """Run one step; a room (or account) that cannot go on stops alone, the others continue."""
        try:
            await step
        except Unavailable as exc:
            self.report.errors.append(f"{name}: {exc}")
            self.ledger.note("stopped", name, str(exc))
            self.ctx.view.note(f"[red]{name}[/]: {exc}")

    async def _room(self, row: Container) -> None:
        if self.ctx.stop:
            return
        await self.rooms.upload_all(row, self.archive, self.attachments, self.ctx.stop)
        poster = RoomPoster.for_room(self.rooms.client, row, self.ledger.messages(row.key),
                                     {f.key: f for f in self.ledger.files(row.key)})
        await send_messages(self.ctx, row, poster)
        if self.ctx.stop:
            return
        if self.accept_gaps:
            accept_gaps(self.ledger, row)
        if all(m.state in DONE for m in self.ledger.messages(row.key)):
            self.ledger.mark(row, finish_state=SENT)
        self.ctx.view.finish(row.key)
