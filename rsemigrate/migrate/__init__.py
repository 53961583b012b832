"""The migration engine every target shares: plan, dry run, write-ahead ledger, import, reconcile.

    target.py      what a target declares (`Target`) and how targets are found
    planfile.py    the plan's TOML document, with errors that name key and line
    planinit.py    what every target's `plan init` starts from: destinations, users line, TOML
    plan.py        the plan's common part (`CommonPlan`), read the same way by every target
    dryrun.py      the dry-run report (`plan check`) and its text rendering
    drycheck.py    the checks every target's dry run shares
    ledger.py      the write-ahead ledger: every write recorded before it is sent
    integrity.py   nothing is sent that differs from the archive's seal
    importer.py    the import run loop: exactly-once posting over the ledger, in parallel
    ratelimit.py   per-conversation and tenant-wide request pacing
    reconcile.py   archive vs ledger vs target, gaps and duplicates
    crashpoint.py  named crash points for the kill -9 tests
    triage.py      the communities a triage report leaves in the archive only (`plan init --triage`)

Nothing here names a platform: targets live in `connectors/<platform>/`.

Only target.py (to list the targets in `--help`) is imported with the package; the rest, the
ledger with SQLAlchemy, the plan with pydantic, asyncio, is imported on first use.
"""

import sys

from ..imports import load_on_first_use
from .target import InitRequest, Target, get_target, target_names, targets

load_on_first_use(sys.modules[__name__], {
    "crash_point": ".crashpoint",
    "CheckRequest": ".dryrun", "ContainerPlan": ".dryrun", "DryRunReport": ".dryrun", "Estimate": ".dryrun",
    "ParentPlan": ".dryrun",
    "PreflightCheck": ".dryrun", "Problem": ".dryrun", "render_dry_run": ".dryrun",
    "Findings": ".drycheck", "plan_written_for": ".drycheck", "report_people": ".drycheck",
    "skipped_channels": ".drycheck", "verify_stored": ".drycheck",
    "Conflict": ".importer", "ImportReport": ".importer", "ImportRequest": ".importer",
    "ImportView": ".importer", "QuietView": ".importer", "ReadBack": ".importer", "Refused": ".importer",
    "RunContext": ".importer", "Stop": ".importer", "Unavailable": ".importer", "accept_gaps": ".importer",
    "admit": ".importer", "in_parallel": ".importer", "outcomes": ".importer",
    "run_until_stopped": ".importer", "send_messages": ".importer",
    "Container": ".ledger", "DONE": ".ledger", "FAILED": ".ledger", "File": ".ledger", "Frozen": ".ledger",
    "Ledger": ".ledger", "Member": ".ledger", "Message": ".ledger", "Migration": ".ledger",
    "SENDING": ".ledger", "SENT": ".ledger", "Skip": ".ledger", "default_url": ".ledger",
    "CommonPlan": ".plan", "STRICT": ".plan", "load_common": ".plan", "plan_target": ".plan",
    "plan_fingerprint": ".plan",
    "Destinations": ".planinit", "destinations": ".planinit", "mapping_line": ".planinit",
    "toml_key": ".planinit", "toml_value": ".planinit",
    "KeyPath": ".planfile", "PlanDocument": ".planfile",
    "RateLimiter": ".ratelimit",
    "ArchiveChanged": ".integrity", "archive_damage": ".integrity", "refuse_stored_file": ".integrity",
    "read_text_input": ".planfile",
    "Expected": ".reconcile", "Observed": ".reconcile", "ReconcileRequest": ".reconcile",
    "Reconciliation": ".reconcile", "check_conversation": ".reconcile",
    "render_reconciliation": ".reconcile",
    "ARCHIVE_ONLY": ".triage", "archive_only": ".triage",
})

__all__ = [
    "ARCHIVE_ONLY",
    "ArchiveChanged",
    "CheckRequest",
    "CommonPlan",
    "Conflict",
    "Container",
    "ContainerPlan",
    "DONE",
    "Destinations",
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
    "archive_damage",
    "archive_only",
    "check_conversation",
    "crash_point",
    "default_url",
    "destinations",
    "get_target",
    "in_parallel",
    "load_common",
    "mapping_line",
    "outcomes",
    "plan_fingerprint",
    "plan_target",
    "plan_written_for",
    "read_text_input",
    "refuse_stored_file",
    "render_dry_run",
    "render_reconciliation",
    "report_people",
    "run_until_stopped",
    "send_messages",
    "skipped_channels",
    "target_names",
    "targets",
    "toml_key",
    "toml_value",
    "verify_stored",
]
