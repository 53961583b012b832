"""Microsoft Teams: a migration target (Graph's import API) and a source (Graph's read API).

`target` is the import side; `connector` the read side (`collect teams`, `export teams`), whose
modules live in `source/` (see its docstring and docs/teams-source.md). Both sign in the same way
and share the client, the pacing and the emulator.

Modules: plan (the plan's Teams tables), planinit (the commented starting plan), render (Teams
HTML, payloads, sizes), prepare (the transform pipeline per channel or chat), check (the dry run),
preflight and graph (read-only online checks), emulator/ (a local Graph emulator for tests and
rehearsals), cli (`rsemigrate teams …`). The import: importer (the order of work), credential
and client (sign-in, msgraph-sdk with pacing and retries), accounts and freeze (the plan into the
ledger), containers, files and poster (the writes), rehearsal and transcript (`--rehearse`),
reconcile. Everything heavy is imported on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rsemigrate.connector import Connector
from rsemigrate.dryrun import DryRunReport
from rsemigrate.target import CheckRequest, InitRequest, Target

from .source.options import COLLECT_OPTIONS

if TYPE_CHECKING:
    from rsemigrate.archive import FileStore
    from rsemigrate.importer import ImportReport, ImportRequest
    from rsemigrate.reconcile import ReconcileRequest, Reconciliation
    from rsemigrate.records import Record
    from rsemigrate.sources import SourceTree


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
    name="teams",
    description="Microsoft Teams through Graph's import API (migration mode): plan, dry run, import, emulator.",
    init_plan=_init_plan,
    check=_check,
    commands=_commands,
    run_import=_import,
    reconcile=_reconcile,
)


def _read(tree: SourceTree, files: FileStore, /, **options: str | None) -> Iterator[Record]:
    from .source.reader import read

    return read(tree, files, **options)


def _collect(folder: Path, /, **options: str | None) -> Mapping[str, int]:
    from .source.session import collect

    return collect(folder, **options)


connector = Connector(
    name="teams",
    description="Microsoft Teams channels (standard, private, shared) and chosen users' chats, read through "
                "Microsoft Graph: a collection saved by `rsemigrate collect teams`.",
    read=_read,
    collect=_collect,
    collect_options=COLLECT_OPTIONS,
    export_collects=True,
)
