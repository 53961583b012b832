"""What a target is: a declaration the engine can discover and call to plan and check a migration.

Targets are found through the `rsemigrate.targets` entry-point group, like connectors, so the
engine never names a platform. A target offers: write a starting plan for an archive, check a
plan against an archive without writing anything (the dry run), optionally run the import and
reconcile it, and extra CLI commands of its own (for example a local emulator of its API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..registry import load_plugins

if TYPE_CHECKING:
    from .dryrun import CheckRequest, DryRunReport
    from .importer import ImportReport, ImportRequest
    from .reconcile import ReconcileRequest, Reconciliation

GROUP = "rsemigrate.targets"


@dataclass(frozen=True)
class InitRequest:
    """What `plan init` was asked: the archive, where the plan goes, optional user hints."""

    archive: Path
    output: Path
    users_csv: Path | None = None
    placeholder: str | None = None


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    #: init_plan(request) -> the plan's TOML text (the CLI writes it).
    init_plan: Callable[[InitRequest], str]
    #: check(request) -> the dry-run report; writes nothing anywhere.
    check: Callable[[CheckRequest], DryRunReport]
    #: commands() -> extra click commands shown as `rsemigrate NAME ...`; imported lazily.
    commands: Callable[[], list[Any]] | None = None
    #: run_import(request) -> the import report (`rsemigrate import`), over the ledger.
    run_import: Callable[[ImportRequest], ImportReport] | None = None
    #: reconcile(request) -> archive vs ledger vs target (`rsemigrate reconcile`).
    reconcile: Callable[[ReconcileRequest], Reconciliation] | None = None


def target_names() -> list[str]:
    """Installed target names, without importing any target (fast: used to build `--help`)."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


@cache
def targets() -> dict[str, Target]:
    return load_plugins(GROUP, Target)


def get_target(name: str) -> Target:
    known = targets()
    if name not in known:
        raise InputError(f"no target named {name!r}; installed: {', '.join(known) or 'none'}")
    return known[name]
