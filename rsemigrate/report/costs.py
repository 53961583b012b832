"""`--plan`: what moving each community would cost, from the target's own dry run.

The dry run (`plan check`) already renders every message as the import would; this joins its
conversations back to the communities they come from. A community's import time is its posts
at the plan's per-conversation rate plus its files at the upload rate, as if it ran alone: the
whole migration's estimate, which runs conversations in parallel, is shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..migrate import CheckRequest, DryRunReport, PlanDocument, get_target, load_common, plan_target


@dataclass
class PlanColumns:
    decision: str
    messages: int = 0
    posts: int = 0
    files: int = 0
    file_bytes: int = 0
    degradations: int = 0
    import_seconds: float = 0.0


@dataclass
class PlanSummary:
    target: str
    plan: str
    clean: bool
    #: the whole migration, conversations in parallel (the dry run's estimate).
    import_seconds: float
    assumptions: str


def plan_costs(archive: Path, plan: Path, channels_of: dict[str, list[str]]
               ) -> tuple[PlanSummary, dict[str, PlanColumns]]:
    """The dry run's summary, and each community's columns (keyed like `channels_of`: community id
    -> its channel ids)."""
    target = plan_target(plan)
    report: DryRunReport = get_target(target).check(CheckRequest(archive, plan))
    rates = load_common(PlanDocument.load(plan)).rates
    owner = {channel: key for key, channels in channels_of.items() for channel in channels}
    columns: dict[str, PlanColumns] = {}
    actions: dict[str, list[str]] = {}
    parents = {p.key: p.name for p in report.parents}
    for container in report.containers:
        keys = {owner[c] for c in container.channel_ids if c in owner}
        where = " / ".join(filter(None, [parents.get(container.parent or ""), container.name]))
        for key in keys:
            col = columns.setdefault(key, PlanColumns(""))
            actions.setdefault(key, []).append(f"{container.action}: {where}")
            col.messages += container.messages
            col.posts += container.posts
            col.files += container.files
            col.file_bytes += container.file_bytes
            col.degradations += sum(container.degradations.values())
            col.import_seconds += (container.posts / rates.per_channel
                                   + container.file_bytes / rates.upload_bytes_per_second)
    for key, channels in channels_of.items():
        col = columns.setdefault(key, PlanColumns(""))
        col.import_seconds = round(col.import_seconds, 1)
        reasons = sorted({report.left_out[c] for c in channels if c in report.left_out})
        decision = "; ".join(dict.fromkeys(actions.get(key, [])))
        if reasons:
            decision = "; ".join(filter(None, [decision, "left out: " + "; ".join(reasons)]))
        col.decision = decision or "nothing to import"
    estimate = report.estimate
    return PlanSummary(target, str(plan), report.clean, estimate.seconds, estimate.assumptions), columns
