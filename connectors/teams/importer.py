"""`rsemigrate import` for Teams: the documented order, conversations in parallel, over the ledger.

    sign in → (first run) resolve accounts, freeze the plan into the ledger
           → (resume) refuse if the archive, the plan or the app identity changed
    1. containers: each team in migration mode (or the existing one), its channels, the chats
    2. per conversation, in parallel: its files, then its posts (roots before replies, in planned
       time order), then completeMigration once every post is sent
    3. per team, once all its channels (General included) are completed: completeMigration on
       the team, then members and owners

A conversation with a failed or unsent post is not completed (completion cannot be undone), so
its team is not completed either; the report and `rsemigrate reconcile` say why, and a resume
(after a fix, or with --accept-gaps) finishes it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from rsemigrate.archive import Archive
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
from transforms import UserMap, user_mapping

from .accounts import resolve_accounts
from .check import check
from .client import GraphClient, GraphFailure, pace_of
from .containers import Containers
from .credential import make_credential, signed_in_as
from .files import Uploader
from .freeze import freeze, migration_for
from .guests import external_authors, unresolved_from_start
from .plan import GENERAL, TeamsPlan, load_plan
from .poster import ConversationPoster
from .prepare import prepare
from .session import Session


def run_import(request: ImportRequest) -> ImportReport:
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    if request.rehearse:
        from .rehearsal import rehearse

        return rehearse(request, archive, plan, run_session)
    url = request.ledger_url or default_url(request.plan)
    session = Session("live", plan.connection, url, make_credential(plan.connection, plan.path.parent))
    return run_session(request, archive, plan, session)


def run_session(request: ImportRequest, archive: Archive, plan: TeamsPlan, session: Session) -> ImportReport:
    with Ledger(session.ledger_url, locked=True) as ledger:
        admit(ledger, request, check)
        return run_until_stopped(lambda stop: _run(request, archive, plan, session, ledger, stop))


async def _run(request: ImportRequest, archive: Archive, plan: TeamsPlan, session: Session, ledger: Ledger,
               stop: Stop) -> ImportReport:
    begun = time.monotonic()
    rates = plan.common.rates
    per_channel = request.per_container_rate or rates.per_channel
    tenant = request.overall_rate or rates.tenant
    limiter = RateLimiter(per_channel, tenant)
    g = GraphClient(session.connection.graph_url, session.credential, limiter,
                    pace=pace_of(session.connection))
    report = ImportReport("teams", session.mode, ledger.url)
    work: _Work | None = None
    failed = True
    try:
        identity = await signed_in_as(session.credential, session.connection)
        if ledger.migration() is None:
            request.view.phase("Resolving accounts and freezing the plan")
            extra = [o for t in plan.teams.values() for o in t.owners] + [
                p for p in [plan.common.users.placeholder] if p
            ]
            people = UserMap(archive.users(), user_mapping(plan.common))
            early = unresolved_from_start(plan, people)
            guests = {e.email.lower() for e in external_authors(plan, people)} \
                if plan.connection.external_authors == "guest" else set()
            mapped = UserMap(archive.users(), user_mapping(plan.common, early))
            accounts = await resolve_accounts(g, mapped, extra, guests=frozenset(guests))
            accounts.unresolved |= early  # recorded in the ledger: reconcile plans with the same people
            prep = prepare(archive, plan, user_mapping(plan.common, accounts.unresolved))
            ledger.freeze(freeze(prep, accounts, identity, session.mode))
            crash_point("frozen")
        else:
            ledger.refuse_resume(migration_for(archive, plan, identity, session.mode))
        ledger.start_run(session.mode)
        g.team_of = {c.key: c.parent_key or c.key for c in ledger.containers() if c.parent_key or c.is_parent}
        parallel = request.parallel or max(4, 2 * math.ceil(tenant / per_channel))
        work = _Work(
            RunContext(ledger, request.view, stop),
            g,
            Containers(g, ledger),
            Uploader(g, ledger, archive),
            request.accept_gaps,
            report,
            _labels(ledger),
        )
        await work.all(parallel)
        failed = False
    finally:
        report.interrupted = bool(stop)
        report.seconds = time.monotonic() - begun
        report.requests, report.throttled, report.retried = (
            g.stats.requests,
            g.stats.throttled,
            g.stats.retried,
        )
        if ledger.migration() is not None:
            labels = _labels(ledger)
            report.containers = outcomes(ledger, labels)
            report.sent_this_run = work.ctx.sent if work else 0
            ledger.end_run(
                "failed" if failed else "interrupted" if stop else "completed" if report.complete else "gaps"
            )
        await g.close()
        await session.credential.close()
    return report


def _labels(ledger: Ledger) -> dict[str, str]:
    parents = {c.key: c.name for c in ledger.containers() if c.is_parent}
    return {c.key: f"{parents[c.parent_key]} / {c.name}" if c.parent_key in parents else c.name
            for c in ledger.containers()}


@dataclass
class _Work:
    ctx: RunContext
    g: GraphClient
    containers: Containers
    uploader: Uploader
    accept_gaps: bool
    report: ImportReport
    #: "team / channel" for each container, so every error line names where it happened.
    labels: dict[str, str]

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    async def all(self, parallel: int) -> None:
        rows = self.ledger.containers()
        parents = {c.key: c for c in rows if c.is_parent}
        conversations = [c for c in rows if not c.is_parent]
        self.ctx.view.phase("Creating teams, channels and chats in migration mode")
        tops = list(parents.values()) + [c for c in conversations if c.parent_key is None]
        await in_parallel(tops, lambda row: self._open(row, conversations), parallel)
        if self.ctx.stop:
            return
        self.ctx.view.phase("Uploading files and posting messages")
        ready = [c for c in conversations if c.state == SENT]
        await in_parallel(
            ready, lambda row: self._conversation(row, parents.get(row.parent_key or "")), parallel
        )
        if self.ctx.stop:
            return
        self.ctx.view.phase("Completing teams, adding members")
        await in_parallel(list(parents.values()), lambda row: self._finish_team(row, conversations), parallel)
        for row in parents.values():
            if row.kind == "team" and row.finish_state != SENT:
                self.report.errors.append(f"team {row.name!r} is not completed: "
                                          + (row.error or "some of its channels are not completed"))
            missing = [m for m in self.ledger.members(row.key) if m.state != SENT]
            if missing:
                self.report.errors.append(f"team {row.name!r}: {len(missing)} member(s) not added "
                                          f"({missing[0].name}: {missing[0].error or missing[0].state})")

    async def _guard(self, row: Container, step: Awaitable[None]) -> None:
        """Run one container's step; a container that cannot go on stops alone, the others continue.
        Its failure becomes one line: which team or channel, Graph's answer, and what to do."""
        try:
            await step
        except Unavailable as exc:
            self._stopped(row, str(exc).removeprefix(f"{row.name}: "))
        except GraphFailure as failure:
            self._stopped(row, f"{failure} ({failure.advice})")

    def _stopped(self, row: Container, reason: str) -> None:
        label = self.labels.get(row.key, row.name)
        self.report.errors.append(f"{label}: {reason}")
        self.ledger.note("stopped", row.key, reason)
        self.ctx.view.note(f"[red]{label}[/]: {reason}")

    async def _open(self, row: Container, conversations: list[Container]) -> None:
        if self.ctx.stop:
            return

        async def steps() -> None:
            if row.is_parent:
                await self.containers.open_team(row)
                for child in (c for c in conversations if c.parent_key == row.key):
                    await self._guard(child, self.containers.open_conversation(child, row))
            else:
                await self.containers.open_conversation(row, None)

        await self._guard(row, steps())

    async def _conversation(self, row: Container, parent: Container | None) -> None:
        if self.ctx.stop:
            return

        async def steps() -> None:
            team_id = parent.target_id if parent else None
            await self.uploader.upload_all(row, team_id, self.ctx.stop)
            files = {f.key: f for f in self.ledger.files(row.key)}
            await send_messages(self.ctx, row, ConversationPoster(self.g, row, team_id, files))
            if self.ctx.stop:
                return
            if self.accept_gaps:
                accept_gaps(self.ledger, row)
            if not _general(row) and self._sent_all(row):
                await self.containers.finish_conversation(row, parent)
            self.ctx.view.finish(row.key)

        await self._guard(row, steps())

    def _sent_all(self, row: Container) -> bool:
        return all(m.state in DONE for m in self.ledger.messages(row.key))

    async def _finish_team(self, row: Container, conversations: list[Container]) -> None:
        """General is completed only once every other channel of its team is (completing it first
        marks the team as migrated and strands the rest), then the team. Read from the ledger, so
        a resume keeps the same order."""
        children = [c for c in conversations if c.parent_key == row.key]
        others = [c for c in children if not _general(c)]
        if self.ctx.stop or row.state != SENT or any(c.finish_state != SENT for c in others):
            return
        for general in (c for c in children if _general(c) and c.finish_state != SENT):
            if general.state == SENT and self._sent_all(general):
                await self._guard(general, self.containers.finish_conversation(general, row))
        if all(c.finish_state == SENT for c in children):
            await self._guard(row, self.containers.finish_team(row))


def _general(row: Container) -> bool:
    """A team's General channel (new or existing): always the last of its team to be completed."""
    return row.parent_key is not None and (row.kind == "general" or row.name.casefold() == GENERAL.casefold())

