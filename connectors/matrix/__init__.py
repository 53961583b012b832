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

from rsemigrate.migrate import Target
from rsemigrate.registry import lazy

target = Target(
    name="matrix",
    description="Matrix (Synapse) through an application service: plan, dry run, import, reconcile.",
    init_plan=lazy("connectors.matrix.planinit:init_plan"),
    check=lazy("connectors.matrix.check:check"),
    commands=lazy("connectors.matrix.cli:commands"),
    run_import=lazy("connectors.matrix.importer:run_import"),
    reconcile=lazy("connectors.matrix.reconcile:reconcile"),
)

__all__ = ["target"]
