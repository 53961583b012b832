"""`rsemigrate plan check` for Teams: the dry run. Reads the archive and the plan, writes nothing.

Offline it renders every message exactly as the import would (prepare.drafts), then checks sizes,
planned times, authors, files (present, right size, right hash), channel names and chats, and
counts every fallback. With `--online` it first runs the read-only preflight (preflight.py), whose
findings feed the same report: an email that does not resolve moves that person to the
placeholder, an explicit mapping that does not resolve is refused.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

from rsemigrate.archive import Archive, Attachment
from rsemigrate.migrate import (
    CheckRequest,
    ContainerPlan,
    DryRunReport,
    Estimate,
    Findings,
    ParentPlan,
    archive_damage,
    plan_written_for,
    report_people,
    skipped_channels,
    verify_stored,
)
from transforms import DEGRADATIONS, Identity, UserMap, user_mapping

from .guests import external_problems, unresolved_from_start
from .plan import Container, TeamsPlan, load_plan
from .prepare import Preparation, drafts, prepare
from .render import MAX_REACTIONS, iso_ms, measure

#: requests besides posting messages, for the duration estimate.
TEAM_CREATE_REQUESTS = 4  # POST /teams, two operation polls, list channels
SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024
FRAGMENT = 10 * 327_680


@dataclass
class _Scan(Findings):
    """Per-check accumulators."""

    authors: Counter[str] = field(default_factory=Counter)
    identities: dict[str, Identity] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    requests: int = 0
    upload_bytes: int = 0


def check(request: CheckRequest) -> DryRunReport:
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    report = DryRunReport("teams", str(request.archive), str(request.plan), online=request.online)
    report.problems.extend(plan.problems)
    report.problems.extend(plan_written_for(plan.common.header, archive))
    report.problems.extend(archive_damage(archive))
    unresolved: frozenset[str] = frozenset()
    if request.online:
        from .preflight import run_preflight

        result = run_preflight(plan, archive)
        report.preflight, unresolved = result.checks, result.unresolved
        report.problems.extend(result.problems)
    people = UserMap(archive.users(), user_mapping(plan.common))
    report.problems.extend(external_problems(plan, people))
    prep = prepare(archive, plan, user_mapping(plan.common, unresolved | unresolved_from_start(plan, people)))
    scan = _Scan()
    now_ms = int(time.time() * 1000)
    for container in plan.containers:
        planned = _scan_container(prep, container, scan, now_ms)
        if planned.posts:  # a container left empty by the options is not created at all
            report.containers.append(planned)
    _teams(plan, report)
    scan.report_into(report, DEGRADATIONS)
    report_people(report, prep.users.users, {sid: who.method for sid, who in scan.identities.items()},
                  {sid: who.target for sid, who in scan.identities.items()}, scan.authors)
    report.skipped = dict(prep.skipped) | {
        reason: n for reason, n in skipped_channels(archive, plan.skipped).items()
    }
    report.left_out = {channel.id: why for channel, why in plan.skipped}
    report.estimate = _estimate(plan, report, scan)
    return report


def _scan_container(prep: Preparation, container: Container, scan: _Scan, now_ms: int) -> ContainerPlan:
    action = {"general": "import into General", "new-channel": "create channel (migration)",
              "existing-channel": "startMigration on existing", "chat": "create group chat"}[container.kind]
    plan = ContainerPlan(container.key, container.kind, container.name, action,
                         parent=container.team.key if container.team else None,
                         sources=[f"{c.id} ({c.name})" for c in container.sources],
                         channel_ids=[c.id for c in container.sources])
    budget = prep.plan.connection.message_budget
    first = last = None
    threads = 0
    members: set[str] = set()
    for draft in drafts(prep, container):
        plan.posts += 1
        if draft.part == 1:
            plan.messages += 1
            threads += draft.root_id is None
            for d in draft.degradations:
                scan.degradations[d.kind] += 1
                plan.degradations[d.kind] = plan.degradations.get(d.kind, 0) + 1
        assert draft.created_ms is not None and draft.author is not None
        first = draft.created_ms if first is None else first
        last = draft.created_ms
        where = f"{container.name}: message {draft.key}"
        if draft.part == 1:
            scan.authors[draft.author.source_id] += 1
            scan.identities[draft.author.source_id] = draft.author
        if draft.author.target:
            members.add(draft.author.target)
        size = measure(draft)
        if size > budget:
            scan.problem(
                "oversize",
                "refused",
                where,
                f"{size} bytes after splitting (budget {budget}): its mentions or files alone exceed it",
            )
        if draft.created_ms > now_ms:
            scan.problem(
                "future-time", "refused", where, f"planned at {iso_ms(draft.created_ms)}, in the future"
            )
        if len(draft.reactions) > MAX_REACTIONS:
            scan.problem("too-many-reactions", "refused", where, f"{len(draft.reactions)} reactions")
        for ref in draft.files:
            plan.files += 1
            plan.file_bytes += ref.attachment.size or 0
            _check_file(prep.archive, ref.attachment, where, scan)
    margin = prep.plan.connection.container_margin_seconds * 1000
    plan.first, plan.last = (iso_ms(first) if first is not None else None), (iso_ms(last) if last else None)
    if first is not None:
        plan.created_at = iso_ms(first - margin)
    plan.threads = threads
    scan.requests += plan.posts + 2 if plan.posts else 0  # create or start, complete
    if container.kind == "chat":
        for member_id in container.sources[0].member_ids:
            target = prep.users.identity(member_id).target
            if target:
                members.add(target)
        if len(members) < 2 and plan.messages:
            scan.problem("chat-members", "lost", container.name,
                         "fewer than two distinct target accounts take part: the chat cannot be created")
    return plan


def _check_file(archive: Archive, attachment: Attachment, where: str, scan: _Scan) -> None:
    digest = attachment.sha256
    key = digest or f"no digest: {attachment.id}"
    if key in scan.files:
        problem = scan.files[key]
    else:
        problem = verify_stored(archive, digest, attachment.size)
        scan.files[key] = problem
        if problem is None and attachment.size:
            scan.upload_bytes += attachment.size
            scan.requests += (
                1 if attachment.size <= SIMPLE_UPLOAD_MAX else 1 + math.ceil(attachment.size / FRAGMENT)
            )
    if problem:
        scan.problem("file-unavailable", "lost", f"{where}: file {attachment.name or attachment.id}", problem)


def _teams(plan: TeamsPlan, report: DryRunReport) -> None:
    for team in plan.teams.values():
        mine = [c for c in report.containers if c.parent == team.key]
        if not mine:
            continue
        created = None
        if not team.existing:
            starts = [c.created_at for c in mine if c.created_at]
            created = min(starts) if starts else None
        report.parents.append(ParentPlan(team.key, team.name,
                                         "use existing team" if team.existing else "create team (migration)",
                                         created))


def _estimate(plan: TeamsPlan, report: DryRunReport, scan: _Scan) -> Estimate:
    """The import's duration under every documented limit at once: each team's requests at the
    per-team rate (its channels share it), each chat's at the per-conversation rate, channel and
    chat posts at their tenant-wide rates, POST /teams at its own, and everything at [rates].tenant;
    the slowest of these bounds the run (conversations run in parallel), plus the uploads."""
    rates, c = plan.common.rates, plan.connection
    creates = sum(1 for p in report.parents if p.action.startswith("create"))
    requests = scan.requests + creates * (TEAM_CREATE_REQUESTS + 1) + len(report.containers)
    per_team: Counter[str] = Counter()
    channel_posts = chat_posts = slowest_chat = 0
    for container in report.containers:
        if container.parent is None:
            chat_posts += container.posts
            slowest_chat = max(slowest_chat, container.posts + 2)
        else:
            channel_posts += container.posts
            per_team[container.parent] += container.posts + 3  # create or start, complete, channel list
    for parent in report.parents:
        per_team[parent.key] += TEAM_CREATE_REQUESTS + 2 if parent.action.startswith("create") else 1
    bounds = [max(per_team.values(), default=0) / c.per_team_rps, slowest_chat / rates.per_channel,
              channel_posts / c.channel_posts_rps, chat_posts / c.chat_posts_rps,
              creates / c.team_creates_rps,
              requests / rates.tenant]
    seconds = max(bounds) + scan.upload_bytes / rates.upload_bytes_per_second
    return Estimate(requests, scan.upload_bytes, round(seconds, 1),
                    f"Graph's Teams limits: {c.per_team_rps:g} requests/s per team (its channels share it), "
                    f"{rates.per_channel:g}/s per chat, {c.channel_posts_rps:g}/s channel posts, "
                    f"{c.chat_posts_rps:g}/s chat posts, {rates.tenant:g}/s in all; "
                    f"uploads at {rates.upload_bytes_per_second / 1e6:g} MB/s")
