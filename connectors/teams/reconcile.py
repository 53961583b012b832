"""`rsemigrate reconcile` for Teams: what to expect, and what the target shows.

Expected posts are planned again from the archive and the plan, with the accounts the import
found missing (recorded in the ledger), so they match the frozen posts key by key. The target is
read back over Graph (every root and its replies; ChannelMessage.Read.All and Chat.Read.All), or,
for a rehearsal, from the emulator state the rehearsal saved. Without read access the comparison
stops at archive against ledger, and the report says so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from rsemigrate.archive import Archive
from rsemigrate.errors import InputError
from rsemigrate.migrate import (
    Container,
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

from .credential import Identity, make_credential
from .freeze import migration_for
from .plan import TeamsPlan, load_plan
from .prepare import drafts, prepare
from .render import content_digest
from .session import default_rehearsal_dir

NOT_READ = "not read back"


def reconcile(request: ReconcileRequest) -> Reconciliation:
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    folder = default_rehearsal_dir(plan.path)
    url = (
        f"sqlite:///{folder / 'ledger.sqlite'}"
        if request.rehearsal
        else request.ledger_url or default_url(plan.path)
    )
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise InputError(f"no ledger at {url}: nothing was imported with this plan"
                         + (" (run `import --rehearse` first)" if request.rehearsal else ""))
    with Ledger(url) as ledger:
        migration = ledger.migration()
        if migration is None:
            raise InputError(f"the ledger {url} holds no migration")
        rec = Reconciliation("teams", migration.mode, url, NOT_READ)
        differences = ledger.differences(
            migration_for(archive, plan, Identity(migration.owner, migration.tenant), migration.mode),
            identity=False,
        )
        rec.problems.extend(f"the ledger does not match: {d}" for d in differences)
        expected = (
            None if differences else _expected(archive, plan, frozenset(orjson.loads(migration.unresolved)))
        )
        observed = _observe(ledger, plan, request, folder, rec)
        parents = {c.key: c for c in ledger.containers() if c.is_parent}
        skips = ledger.skips()
        files = ledger.files()
        for c in ledger.containers():
            if c.is_parent:
                continue
            label = f"{parents[c.parent_key].name} / {c.name}" if c.parent_key in parents else c.name
            rec.conversations.append(check_conversation(
                c, label, ledger.messages(c.key), [f for f in files if f.container_key == c.key],
                [s for s in skips if s.container_key == c.key],
                None if expected is None else expected.get(c.key, []),
                None if observed is None else observed.get(c.key, [])))
        rec.not_planned = {s.reason: s.count for s in skips if s.container_key.startswith("source:")}
        for team in parents.values():
            if team.kind == "team" and team.finish_state != "sent":
                rec.problems.append(f"team {team.name!r} is not completed (still in migration mode)")
            failed = [m for m in ledger.members(team.key) if m.state != "sent"]
            if failed and team.kind == "team":
                rec.problems.append(f"team {team.name!r}: {len(failed)} member(s) not added "
                                    f"({failed[0].name}: {failed[0].error or failed[0].state})")
        return rec


def _expected(archive: Archive, plan: TeamsPlan, unresolved: frozenset[str]) -> dict[str, list[Expected]]:
    prep = prepare(archive, plan, user_mapping(plan.common, unresolved))
    return {
        c.key: [Expected(d.key, content_digest(d.html)) for d in drafts(prep, c)] for c in plan.containers
    }


def _observe(ledger: Ledger, plan: TeamsPlan, request: ReconcileRequest, folder: Path,
             rec: Reconciliation) -> dict[str, list[Observed]] | None:
    if request.offline:
        rec.target_read = f"{NOT_READ} (--offline)"
        return None
    if ledger.migration().mode == "rehearsal":  # type: ignore[union-attr]
        state = folder / "target.json"
        if not state.is_file():
            rec.target_read = f"{NOT_READ}: the rehearsal left no {state.name}"
            return None
        rec.target_read = f"read back from the rehearsal's emulator state ({state})"
        return _from_snapshot(ledger.containers(), orjson.loads(state.read_bytes()))
    return asyncio.run(_from_graph(ledger, plan, rec))


def _from_snapshot(containers: list[Container], snapshot: dict[str, Any]) -> dict[str, list[Observed]]:
    conversations = [c for t in snapshot["teams"] for c in t["channels"]] + snapshot["chats"]
    by_id = {c["id"]: c for c in conversations}
    out: dict[str, list[Observed]] = {}
    for row in containers:
        conv = by_id.get(row.target_id or "")
        if conv is not None:
            out[row.key] = [Observed(m["createdMs"], m["payload"]["from"]["user"]["id"],
                                     content_digest(m["payload"]["body"]["content"]), m["id"])
                            for m in conv["messages"]]
    return out


async def _from_graph(
    ledger: Ledger, plan: TeamsPlan, rec: Reconciliation
) -> dict[str, list[Observed]] | None:
    from .client import GraphClient, GraphFailure
    from .poster import ConversationPoster

    rates = plan.common.rates
    credential = make_credential(plan.connection, plan.path.parent)
    g = GraphClient(plan.connection.graph_url, credential, RateLimiter(rates.per_channel, rates.tenant))
    containers = ledger.containers()
    parents = {c.key: c for c in containers if c.is_parent}
    out: dict[str, list[Observed]] = {}
    try:
        for row in containers:
            if row.is_parent or not row.target_id:
                continue
            team = parents.get(row.parent_key or "")
            poster = ConversationPoster(g, row, team.target_id if team else None, {})
            out[row.key] = await poster.read_all()
    except GraphFailure as failure:
        rec.target_read = (
            f"{NOT_READ}: Graph refused to list messages ({failure}); grant ChannelMessage.Read.All "
            "and Chat.Read.All (protected APIs) to compare with the target"
        )
        return None
    finally:
        await g.close()
        await credential.close()
    rec.target_read = f"read back from {plan.connection.graph_url}"
    return out
