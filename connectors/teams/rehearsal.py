"""`rsemigrate import --rehearse`: the complete import, against the built-in Graph emulator.

The admin's full dress rehearsal: the same code path as the real import (sign-in, accounts,
freeze, containers, files, posts, completion, members) over real HTTP, into an emulator started
for the occasion with Graph's documented Teams throttling limits, so the report also says how
long the real run may take. It writes, beside the plan,

    PLAN.rehearsal/ledger.sqlite       the rehearsal's own ledger (the real one is never touched)
    PLAN.rehearsal/target.json         everything the emulated tenant holds afterwards
    PLAN.rehearsal/transcripts/*.txt   one readable transcript per channel and chat

The emulated tenant has every account the plan maps people to (only `plan check --online` can
say whether the real one has them), and the existing teams and channels the plan names.
A rehearsal always starts over: the emulator keeps nothing once it stops.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import replace

import orjson

from rsemigrate.archive import Archive
from rsemigrate.migrate import ImportReport, ImportRequest
from transforms import UserMap, user_mapping

from .credential import LoopbackSecretCredential
from .emulator import App, EmulatorConfig, GraphEmulator, Limits, User
from .emulator.state import DEFAULT_CLIENT_ID, DEFAULT_TENANT, Channel, Team
from .guests import external_authors
from .plan import GENERAL, TeamsPlan
from .session import Session, default_rehearsal_dir

#: the importer's `run_session`, handed in so that this module never imports the importer.
RunSession = Callable[[ImportRequest, Archive, TeamsPlan, Session], ImportReport]


def rehearse(request: ImportRequest, archive: Archive, plan: TeamsPlan,
             run_session: RunSession) -> ImportReport:
    folder = default_rehearsal_dir(plan.path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    app = App(plan.connection.client_id or DEFAULT_CLIENT_ID, secrets.token_urlsafe(24))
    tenant_id = plan.connection.tenant_id or DEFAULT_TENANT
    domain = EmulatorConfig.domain
    users = _accounts(archive, plan, domain)
    emulator = GraphEmulator(EmulatorConfig(tenant_id=tenant_id, apps=[app], users=users,
                                            limits=Limits(), seed=None))
    with emulator as url:
        _existing(emulator, plan)
        connection = replace(
            plan.connection,
            graph_url=emulator.graph_url,
            login_url=url,
            tenant_id=tenant_id,
            client_id=app.client_id,
        )
        credential = LoopbackSecretCredential(emulator.token_url, app.client_id, app.secret)
        session = Session("rehearsal", connection, f"sqlite:///{folder / 'ledger.sqlite'}", credential)
        report = run_session(replace(request, resume=False), archive, plan, session)
        snapshot = emulator.tenant.snapshot()
    (folder / "target.json").write_bytes(orjson.dumps(snapshot, option=orjson.OPT_INDENT_2))
    from .transcript import write_transcripts

    written = write_transcripts(snapshot, folder / "transcripts")
    report.notes.append("Rehearsal against the built-in Graph EMULATOR (not Microsoft Graph), throttled at "
                        "Graph's documented Teams limits (4 requests/s per team, channel or chat; 50/s "
                        "channel posts, 20/s chat posts, 10/s POST /teams, 30/s other Teams calls).")
    report.notes.append(
        f"Transcripts ({len(written)}): {folder / 'transcripts'}; emulator state: {folder / 'target.json'}"
    )
    return report


def _accounts(archive: Archive, plan: TeamsPlan, domain: str) -> list[User]:
    """Every account the plan maps someone to, the placeholder and the owners, as tenant users;
    external authors only as guests, and only when the plan takes them as such (guests.py)."""
    users = UserMap(archive.users(), user_mapping(plan.common))
    external = {e.source_id: e for e in external_authors(plan, users)}
    found: dict[str, User] = {}
    for user_id, user in users.users.items():
        who = users.identity(user_id)
        if user_id in external:
            if plan.connection.external_authors == "guest":
                found[who.target.lower()] = User.guest(external[user_id].email, user.name, domain)
        elif who.target and who.target.lower() not in found:
            found[who.target.lower()] = User.make(who.target, user.name if who.mapped else None)
    for ref in [plan.common.users.placeholder, *(o for t in plan.teams.values() for o in t.owners)]:
        if ref and ref.lower() not in found:
            found[ref.lower()] = User.make(ref)
    return list(found.values())


def _existing(emulator: GraphEmulator, plan: TeamsPlan) -> None:
    """The existing teams and channels the plan imports into, as live (not migrating) ones."""
    tenant = emulator.tenant
    now = int(emulator.config.clock() * 1000)
    with tenant.lock:
        for team in (t for t in plan.teams.values() if t.existing):
            made = Team(team.id or tenant.new_guid(), team.name, team.description, now, False, None)
            made.drive_id = "b!" + tenant.new_guid().replace("-", "")
            names = {GENERAL} | {
                c.name for c in plan.containers if c.team is team and c.kind == "existing-channel"
            }
            for name in sorted(names):
                channel = Channel(
                    tenant.new_thread_id("thread.tacv2"),
                    now,
                    team_id=made.id,
                    display_name=name,
                    general=name == GENERAL,
                )
                made.channels[channel.id] = channel
            tenant.teams[made.id] = made
