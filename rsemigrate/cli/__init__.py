"""The `rsemigrate` command line. Only this package prints or chooses an exit code.

    archive.py    the top-level group, and export, collect, validate, verify, stats, connectors
    plan.py       `plan init|check|targets` and each target's own commands (loaded lazily)
    migrate.py    `import` and `reconcile`
    search.py     `index`, `search`, `thread` and `hits`
    report.py     `report`: the network triage report
    serve.py      `serve`: the read-only viewer in a browser
    produce.py    `produce`: RSMF productions of a selection
    publish.py    `publish`: a static HTML edition
    progress.py   export progress on the terminal
    importview.py import progress on the terminal

Each command module imports only click at load time; the work happens in the package a
command belongs to (archive, export, migrate, search, …), imported inside the command.
A new command lives in its own module here and is added to `main` below.
"""

from .archive import main
from .migrate import import_, reconcile
from .plan import plan, target_groups
from .produce import produce
from .publish import publish
from .report import report
from .search import hits, index, search, thread
from .serve import serve

for _command in (plan, index, search, thread, hits, serve, import_, reconcile, report, produce, publish):
    main.add_command(_command)
main.discovered = target_groups  # type: ignore[attr-defined]  # listed from entry points when needed

__all__ = ["main"]
