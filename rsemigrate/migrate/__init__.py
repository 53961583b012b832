"""The migration engine every target shares: plan, dry run, write-ahead ledger, import, reconcile.

    target.py      what a target declares (`Target`) and how targets are found
    planfile.py    the plan's TOML document, with errors that name key and line
    plan.py        the plan's common part (`CommonPlan`), read the same way by every target
    dryrun.py      the dry-run report (`plan check`) and its text rendering
    drycheck.py    the checks every target's dry run shares
    ledger.py      the write-ahead ledger: every write recorded before it is sent
    importer.py    the import run loop: exactly-once posting over the ledger, in parallel
    ratelimit.py   per-conversation and tenant-wide request pacing
    reconcile.py   archive vs ledger vs target, gaps and duplicates
    crashpoint.py  named crash points for the kill -9 tests

Nothing here names a platform: targets live in `connectors/<platform>/`.
"""

from .crashpoint import crash_point
from .drycheck import Findings, plan_written_for, report_people, skipped_channels, verify_stored
from .dryrun import (
    CheckRequest,
    ContainerPlan,
    DryRunReport,
    Estimate,
    ParentPlan,
    PreflightCheck,
    Problem,
    render_dry_run,
)
from .importer import (
    Conflict,
    ImportReport,
    ImportRequest,
    ImportView,
    QuietView,
    ReadBack,
    Refused,
    RunContext,
    Stop,
    Unavailable,
    accept_gaps,
    admit,
    in_parallel,
    outcomes,
    run_until_stopped,
    send_messages,
)
from .ledger import (
    DONE,
    FAILED,
    SENDING,
    SENT,
    Container,
    File,
    Frozen,
    Ledger,
    Member,
    Message,
    Migration,
    Skip,
    default_url,
)
from .plan import STRICT, CommonPlan, load_common, plan_target
from .planfile import KeyPath, PlanDocument
from .ratelimit import RateLimiter
from .reconcile import (
    Expected,
    Observed,
    ReconcileRequest,
    Reconciliation,
    check_conversation,
    render_reconciliation,
)
from .target import InitRequest, Target, get_target, target_names, targets

__all__ = [
    "CheckRequest",
    "CommonPlan",
    "Conflict",
    "Container",
    "ContainerPlan",
    "DONE",
    "DryRunReport",
    "Estimate",
    "Expected",
    "FAILED",
    "File",
    "Findings",
    "Frozen",
    "ImportReport",
    "ImportRequest",
    "ImportView",
    "InitRequest",
    "KeyPath",
    "Ledger",
    "Member",
    "Message",
    "Migration",
    "Observed",
    "ParentPlan",
    "PlanDocument",
    "PreflightCheck",
    "Problem",
    "QuietView",
    "RateLimiter",
    "ReadBack",
    "ReconcileRequest",
    "Reconciliation",
    "Refused",
    "RunContext",
    "SENDING",
    "SENT",
    "STRICT",
    "Skip",
    "Stop",
    "Target",
    "Unavailable",
    "accept_gaps",
    "admit",
    "check_conversation",
    "crash_point",
    "default_url",
    "get_target",
    "in_parallel",
    "load_common",
    "outcomes",
    "plan_target",
    "plan_written_for",
    "render_dry_run",
    "render_reconciliation",
    "report_people",
    "run_until_stopped",
    "send_messages",
    "skipped_channels",
    "target_names",
    "targets",
    "verify_stored",
]
