"""The `rsemigrate` command line. Only this package prints or chooses an exit code.

    main.py       the top-level group, export, collect, validate, verify, stats, connectors
    plan.py       `plan init|check|targets` and each target's own commands (loaded lazily)
    migrate.py    `import` and `reconcile`
    search.py     `index`, `search`, `thread` and `hits`
    produce.py    `produce`: RSMF productions of a selection
    publish.py    `publish`: a static HTML edition
    progress.py   export progress on the terminal
    importview.py import progress on the terminal

Each command module imports only click at load time; the work happens in the package a
command belongs to (archive, export, migrate, search, …), imported inside the command.
A new command lives in its own module here and is added to `main` below.
"""

from .main import main
from .migrate import import_, reconcile
from .plan import plan, target_groups
from .produce import produce
from .publish import publish
from .search import hits, index, search, thread

for _command in (plan, *target_groups(), index, search, thread, hits, import_, reconcile):
    main.add_command(_command)
main.add_command(produce)
main.add_command(publish)

__all__ = ["main"]
