"""No import cycle between the Teams importer and the rehearsal (issue 12, from #17): neither at
module level, nor under TYPE_CHECKING, nor inside a function."""

import ast
from pathlib import Path

TEAMS = Path(__file__).resolve().parents[2] / "connectors" / "teams"


def imported_modules(name):
    tree = ast.parse((TEAMS / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.add(module.removeprefix("connectors.teams.").lstrip("."))
            found.update(alias.name for alias in node.names if not module)
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix("connectors.teams.") for alias in node.names)
    return found


def test_the_rehearsal_never_imports_the_importer():
    assert "importer" not in imported_modules("rehearsal")
    assert "rehearsal" in imported_modules("importer")  # the one direction that remains


def test_what_both_share_lives_in_a_module_that_imports_neither():
    assert {"importer", "rehearsal"}.isdisjoint(imported_modules("session"))
