"""The layout is the architecture (docs/architecture.md): these tests keep it so.

- every package states its public API in `__all__`, and every name there exists;
- code outside a package imports only those names, never the package's private modules;
- the core never imports a connector, a connector never imports another connector;
- no import circle between modules (imports inside functions are the lazy, one-way kind and
  are not counted; imports under `if TYPE_CHECKING:` are).

Tests and benchmarks may reach into modules: they test and measure internals.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("rsemigrate", "connectors", "transforms")


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    names: tuple[str, ...]
    line: int
    module_level: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for top in CODE for p in sorted((ROOT / top).rglob("*.py"))}


def _is_module(name: str, known: dict[str, Path]) -> bool:
    """Whether `from package import leaf` binds a module: a package may export a function named
    like one of its modules (`rsemigrate.archive.validate`), and then the function is what binds."""
    if name not in known:
        return False
    package, _, leaf = name.rpartition(".")
    exported = getattr(importlib.import_module(package), "__all__", ())
    return leaf not in exported


def _module_level(tree: ast.Module) -> set[int]:
    """Ids of the import nodes that run when the module is imported (incl. TYPE_CHECKING blocks)."""
    found: set[int] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.add(id(child))
            visit(child)

    visit(tree)
    return found


def edges(known: dict[str, Path]) -> list[Edge]:
    found = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = _module_level(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in CODE:
                        found.append(Edge(name, alias.name, (), node.lineno, id(node) in top_level))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                if base.split(".")[0] not in CODE:
                    continue
                plain = tuple(a.name for a in node.names if not _is_module(f"{base}.{a.name}", known))
                for alias in node.names:  # `from pkg import submodule` imports that module
                    if _is_module(f"{base}.{alias.name}", known):
                        found.append(
                            Edge(name, f"{base}.{alias.name}", (), node.lineno, id(node) in top_level)
                        )
                if plain or not node.names:
                    found.append(Edge(name, base, plain, node.lineno, id(node) in top_level))
    return found


def packages(known: dict[str, Path]) -> list[str]:
    """The packages that have a public API: rsemigrate's stages, transforms, each connector."""
    tops = [n for n, p in known.items() if p.name == "__init__.py" and n.count(".") == 1]
    return sorted([*tops, "transforms"])


KNOWN = modules()
EDGES = edges(KNOWN)
PACKAGES = packages(KNOWN)


def owner(module: str) -> str | None:
    """The package whose public API guards `module` (None for top-level modules like errors)."""
    return next((p for p in sorted(PACKAGES, key=len, reverse=True)
                 if module == p or module.startswith(p + ".")), None)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_states_its_public_api(package):
    module = importlib.import_module(package)
    assert isinstance(getattr(module, "__all__", None), list), f"{package}/__init__.py has no __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"


def test_other_packages_import_only_public_names():
    exported = {p: set(importlib.import_module(p).__all__) for p in PACKAGES}
    wrong = []
    for edge in EDGES:
        target = owner(edge.imported)
        if target is None or owner(edge.importer) == target:
            continue
        where = f"{KNOWN[edge.importer].relative_to(ROOT)}:{edge.line}"
        if edge.imported != target:
            wrong.append(f"{where} imports the private module {edge.imported}; import from {target}")
        else:
            private = sorted(set(edge.names) - exported[target])
            if private:
                wrong.append(f"{where} imports {private} from {target}, which does not export them")
    assert not wrong, "\n".join(wrong)


def test_the_core_never_names_a_platform_and_connectors_stay_apart():
    wrong = []
    for edge in EDGES:
        importer_top, imported_top = edge.importer.split(".")[0], edge.imported.split(".")[0]
        where = f"{KNOWN[edge.importer].relative_to(ROOT)}:{edge.line}"
        if imported_top == "connectors" and importer_top != "connectors":
            wrong.append(f"{where}: {importer_top} imports the connector {edge.imported}")
        if importer_top == imported_top == "connectors" and \
                edge.importer.split(".")[1] != edge.imported.split(".")[1]:
            wrong.append(f"{where}: a connector imports another connector ({edge.imported})")
    assert not wrong, "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in `graph`, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for edge in EDGES:
        if edge.module_level and edge.imported in KNOWN and edge.imported != edge.importer:
            graph.setdefault(edge.importer, set()).add(edge.imported)
    circle = _cycle(graph)
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_circle_finder_finds_circles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


#: which of our packages each stage may import (docs/architecture.md, rule 2). A reader of
#: archives not listed (a new capability) gets READER. The CLI and top-level glue are free.
SHARED = {
    "rsemigrate.errors",
    "rsemigrate.registry",
    "rsemigrate.http",
    "rsemigrate.imports",
    "rsemigrate.lock",
    "rsemigrate.cpus",
}
READER = {"rsemigrate.archive", "rsemigrate.search", "rsemigrate.migrate", "transforms", *SHARED}
MAY_IMPORT = {
    "rsemigrate.archive": {"rsemigrate.errors", "rsemigrate.imports"},
    "rsemigrate.export": {"rsemigrate.archive", *SHARED},
    "rsemigrate.search": {"rsemigrate.archive", *SHARED},
    "rsemigrate.migrate": {"rsemigrate.archive", *SHARED},
    "transforms": {"rsemigrate.archive", "rsemigrate.migrate", *SHARED},
}
FREE = {"rsemigrate", "rsemigrate.__main__", "rsemigrate.cli", "rsemigrate.connector", "rsemigrate.testing",
        "rsemigrate.registry", "rsemigrate.errors", "rsemigrate.http",
        "rsemigrate.imports", "rsemigrate.lock", "rsemigrate.cpus"}


def stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "rsemigrate" else parts[0]


def test_each_stage_imports_only_what_comes_before_it():
    wrong = []
    for edge in EDGES:
        here, there = stage(edge.importer), stage(edge.imported)
        if here == there or here in FREE or here == "connectors":
            continue
        if there not in MAY_IMPORT.get(here, READER):
            wrong.append(f"{KNOWN[edge.importer].relative_to(ROOT)}:{edge.line}: {here} imports {there}")
    assert not wrong, "\n".join(wrong)
