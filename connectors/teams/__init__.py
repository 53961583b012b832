"""Microsoft Teams: a migration target (Graph's import API) and a source (Graph's read API).

`target` is the import side; `connector` the read side (`collect teams`, `export teams`), whose
modules live in `source/` (see its docstring and docs/teams-source.md). Both sign in the same way
and share the client, the pacing and the emulator.

Modules: plan (the plan's Teams tables), planinit (the commented starting plan), render (Teams
HTML, payloads, sizes), prepare (the transform pipeline per channel or chat), check (the dry run),
preflight and graph (read-only online checks), emulator/ (a local Graph emulator for tests and
rehearsals), cli (`rsemigrate teams …`). The import: importer (the order of work), credential
and client (sign-in, msgraph-sdk with pacing and retries), accounts and freeze (the plan into the
ledger), guests (authors from outside the tenant), containers, files and poster (the writes),
session (where a run writes), rehearsal and transcript (`--rehearse`), reconcile. Everything heavy
is imported on first use.
"""

from __future__ import annotations

from rsemigrate.export import Connector
from rsemigrate.migrate import Target
from rsemigrate.registry import lazy

from .source.coverage import COVERAGE
from .source.options import COLLECT_OPTIONS

target = Target(
    name="teams",
    description="Microsoft Teams through Graph's import API (migration mode): plan, dry run, import, "
                "emulator.",
    init_plan=lazy("connectors.teams.planinit:init_plan"),
    check=lazy("connectors.teams.check:check"),
    commands=lazy("connectors.teams.cli:commands"),
    run_import=lazy("connectors.teams.importer:run_import"),
    reconcile=lazy("connectors.teams.reconcile:reconcile"),
)


connector = Connector(
    name="teams",
    description="Microsoft Teams channels (standard, private, shared) and chosen users' chats, read through "
                "Microsoft Graph: a collection saved by `rsemigrate collect teams`.",
    read=lazy("connectors.teams.source.reader:read"),
    collect=lazy("connectors.teams.source.session:collect"),
    collect_options=COLLECT_OPTIONS,
    export_collects=True,
    coverage=COVERAGE,
)

__all__ = ["connector", "target"]
