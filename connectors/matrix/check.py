"""`rsemigrate plan check` for Matrix: the dry run. Reads the archive and the plan, writes nothing.

Offline it plans every room's events exactly as the import would (prepare.room_events), then
checks sizes against the event budget, planned times, authors (a mapped account must be a valid
Matrix id), files (present, right size and hash, under the upload limit) and counts every
fallback. With `--online` it first runs the read-only preflight (preflight.py). The report is
the engine's (the same as every target's): the space is the parent, rooms are its conversations,
and a post is one event (a message's text, one of its files, one reaction).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import orjson

from rsemigrate.archive import Archive
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
from transforms import DEGRADATIONS, user_mapping

from .plan import MatrixPlan, Room, is_user_id, load_plan
from .prepare import PlannedEvent, Preparation, drafts, prepare, room_events
from .render import iso_ms

#: requests besides events: create the room, link it into the space (two state events).
ROOM_REQUESTS = 3


@dataclass
class _Scan(Findings):
    authors: Counter[str] = field(default_factory=Counter)
    methods: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str | None] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)
    files: dict[str, str | None] = field(default_factory=dict)
    requests: int = 0
    upload_bytes: int = 0
    slowest_room: int = 0


def check(request: CheckRequest) -> DryRunReport:
    archive = Archive(request.archive)
    plan = load_plan(request.plan, archive)
    report = DryRunReport("matrix", str(request.archive), str(request.plan), online=request.online,
                          parent_label="spaces", loose_label="Rooms")
    report.problems.extend(plan.problems)
    report.problems.extend(plan_written_for(plan.common.header, archive))
    report.problems.extend(archive_damage(archive))
    if request.online:
        from .preflight import run_preflight

        result = run_preflight(plan)
        report.preflight = result.checks
        report.problems.extend(result.problems)
    prep = prepare(archive, plan, user_mapping(plan.common))
    scan = _Scan()
    now_ms = int(time.time() * 1000)
    for room in plan.rooms:
        planned = _scan_room(prep, room, scan, now_ms)
        if planned.posts:  # a room left empty by the options is not created at all
            report.containers.append(planned)
    if plan.connection.space and report.containers:
        starts = [c.created_at for c in report.containers if c.created_at]
        report.parents.append(
            ParentPlan("space", plan.connection.space, "create space", min(starts) if starts else None)
        )
    scan.report_into(report, DEGRADATIONS)
    report_people(report, prep.users.users, scan.methods, scan.targets, scan.authors)
    report.skipped = dict(prep.skipped) | dict(skipped_channels(archive, plan.skipped))
    report.left_out = {channel.id: why for channel, why in plan.skipped}
    report.estimate = _estimate(plan, report, scan)
    return report


def _scan_room(prep: Preparation, room: Room, scan: _Scan, now_ms: int) -> ContainerPlan:
    action = "create room" if room.kind == "room" else "create private room"
    plan = ContainerPlan(
        room.key,
        room.kind,
        room.name,
        action,
        parent="space" if prep.plan.connection.space else None,
        sources=[f"{room.source.id} ({room.source.name})"],
        channel_ids=[room.source.id],
    )
    first = last = None
    members: set[str] = set()
    for event in room_events(prep, drafts(prep, room)):
        plan.posts += 1
        draft = event.draft
        if event.key == draft.message.id:  # the first event of a message
            plan.messages += 1
            plan.threads += draft.root_id is None
            scan.degradations.update(d.kind for d in draft.degradations)
            for d in draft.degradations:
                plan.degradations[d.kind] = plan.degradations.get(d.kind, 0) + 1
            assert draft.author is not None
            scan.authors[draft.author.source_id] += 1
            scan.methods[draft.author.source_id] = draft.author.method
            scan.targets[draft.author.source_id] = draft.author.target
        first = event.created_ms if first is None else first
        last = event.created_ms
        members.add(event.sender)
        _check_event(prep, room, event, scan, now_ms, plan)
    margin = prep.plan.connection.container_margin_seconds * 1000
    plan.first, plan.last = (
        (iso_ms(first) if first is not None else None),
        (iso_ms(last) if last is not None else None),
    )
    plan.created_at = iso_ms(first - margin) if first is not None else None
    if plan.posts:
        scan.requests += plan.posts + ROOM_REQUESTS + 2 * len(members)
        scan.accounts |= members
        scan.slowest_room = max(scan.slowest_room, plan.posts)
    return plan


def _check_event(prep: Preparation, room: Room, event: PlannedEvent, scan: _Scan, now_ms: int,
                 plan: ContainerPlan) -> None:
    where = f"{room.name}: message {event.draft.key}"
    if event.sender.startswith("@") and not is_user_id(event.sender):
        scan.problem(
            "invalid-user-id",
            "refused",
            where,
            f"{event.sender} is not a valid Matrix user id (@localpart:server, lower-case localpart)",
        )
    if event.kind == "text":
        size = len(orjson.dumps(event.content))
        budget = prep.plan.connection.message_budget
        if size > budget:
            scan.problem("oversize", "refused", where,
                         f"{size} bytes after splitting (budget {budget}): its mentions alone exceed it")
    if event.created_ms > now_ms:
        scan.problem("future-time", "refused", where, f"planned at {iso_ms(event.created_ms)}, in the future")
    att = event.attachment
    if att is None:
        return
    plan.files += 1
    plan.file_bytes += att.size or 0
    key = att.sha256 or f"no digest: {att.id}"
    if key not in scan.files:
        scan.files[key] = verify_stored(prep.archive, att.sha256, att.size)
        if scan.files[key] is None:
            scan.upload_bytes += att.size or 0
            scan.requests += 1
    if scan.files[key]:
        scan.problem("file-unavailable", "lost", f"{where}: file {att.name or att.id}", str(scan.files[key]))
    limit = prep.plan.connection.max_upload_bytes
    if (att.size or 0) > limit:
        scan.problem("file-too-large", "refused", f"{where}: file {att.name or att.id}",
                     f"{att.size} bytes; the homeserver accepts at most {limit} (matrix.max_upload_bytes)")


def _estimate(plan: MatrixPlan, report: DryRunReport, scan: _Scan) -> Estimate:
    rates = plan.common.rates
    requests = scan.requests + 2 * len(scan.accounts) + (ROOM_REQUESTS if report.parents else 0)
    seconds = max(scan.slowest_room / rates.per_channel, requests / rates.tenant)
    seconds += scan.upload_bytes / rates.upload_bytes_per_second
    return Estimate(requests, scan.upload_bytes, round(seconds, 1),
                    f"{rates.per_channel:g} requests/s per room, {rates.tenant:g}/s for the homeserver, "
                    f"rooms in parallel, uploads at {rates.upload_bytes_per_second / 1e6:g} MB/s")
