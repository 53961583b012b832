"""Matrix as a migration target, through an application service on the homeserver (Synapse).

Modules: plan (the plan's [matrix] table and a room per source channel), planinit (the
commented starting plan), appservice (the registration YAML and the token), render (Matrix
HTML, pills, event contents, sizes), prepare (the shared transform passes, then the events of
each room), check and preflight (the dry run), cli (`rsemigrate matrix register`). The import:
importer (the order of work), client (the client-server API with pacing and retries), freeze
(the plan into the shared ledger), rooms (accounts, rooms, members, files) and poster (the
events, found again by reading the room back), reconcile. Everything heavy loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rsemigrate.dryrun import DryRunReport
from rsemigrate.target import CheckRequest, InitRequest, Target

if TYPE_CHECKING:
    from rsemigrate.importer import ImportReport, ImportRequest
    from rsemigrate.reconcile import ReconcileRequest, Reconciliation


def _init_plan(request: InitRequest) -> str:
    from .planinit import init_plan

    return init_plan(request)


def _check(request: CheckRequest) -> DryRunReport:
    from .check import check

    return check(request)


def _import(request: ImportRequest) -> ImportReport:
    from .importer import run_import

    return run_import(request)


def _reconcile(request: ReconcileRequest) -> Reconciliation:
    from .reconcile import reconcile

    return reconcile(request)


def _commands() -> list[Any]:
    from .cli import commands

    return commands()


target = Target(
    name="matrix",
    description="Matrix (Synapse) through an application service: plan, dry run, import, reconcile.",
    init_plan=_init_plan,
    check=_check,
    commands=_commands,
    run_import=_import,
    reconcile=_reconcile,
)
