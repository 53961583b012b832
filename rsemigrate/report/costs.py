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
    import_hours: float = 0.0


@dataclass
class PlanSummary:
    target: str
    plan: str
    clean: bool
    import_hours: float
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
    for container in report.containers:
        keys = {owner[c] for c in container.channel_ids if c in owner}
        for key in keys:
            col = columns.setdefault(key, PlanColumns(""))
            actions.setdefault(key, []).append(f"{container.action} → {container.name}")
            col.messages += container.messages
            col.posts += container.posts
            col.files += container.files
            col.file_bytes += container.file_bytes
            col.degradations += sum(container.degradations.values())
            col.import_hours += (container.posts / rates.per_channel
                                 + container.file_bytes / rates.upload_bytes_per_second) / 3600
    for key, channels in channels_of.items():
        col = columns.setdefault(key, PlanColumns(""))
        col.import_hours = round(col.import_hours, 2)
        reasons = sorted({report.left_out[c] for c in channels if c in report.left_out})
        decision = "; ".join(dict.fromkeys(actions.get(key, [])))
        if reasons:
            decision = "; ".join(filter(None, [decision, "left out: " + "; ".join(reasons)]))
        col.decision = decision or "nothing to import"
    summary = PlanSummary(target, str(plan), report.clean, round(report.estimate.seconds / 3600, 2),
                          report.estimate.assumptions)
    return summary, columns
