"""The field census: every source field a connector meets but does not declare, counted.

Why: a connector maps the fields it knows. A field an older export carries, or one a platform
adds next year, would otherwise vanish without a trace while `validate` and `verify` pass. So
each connector declares, per source record type, what it does with every field it knows
(`Coverage`): mapped into a neutral field, kept in `source`, or ignored on purpose (with why).
While reading, `Census.see` counts every *other* non-empty field: its path, how many records
had it, and one example record. `Census.entries` turns each into an `unmapped` report entry,
and the same declarations generate the field-coverage table of each connector's doc.

Paths name object keys joined by `.` (an annotation such as `@odata.type` is one key);
`[]` marks a list of objects (`attachments[].fields`). A
declared path without declared children covers everything below it; one with declared children
is walked into, so a new key inside it is still seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..archive import ReportEntry

Handling = Literal["mapped", "source", "ignored"]
#: one key of a path: an annotation (`@odata.type`, `replies@odata.nextLink`,
#: `@microsoft.graph.downloadUrl`) holds dots, and is always the last key.
_PART = re.compile(r"[^.@]*@.+|[^.]+")


@dataclass(frozen=True)
class Field:
    path: str
    handling: Handling
    #: the neutral field it goes to, what `source` keeps, or why it is ignored.
    note: str


def mapped(path: str, to: str) -> Field:
    return Field(path, "mapped", to)


def kept(path: str, note: str = "kept in `source`") -> Field:
    return Field(path, "source", note)


def kept_all(*paths: str, note: str = "kept in `source`") -> tuple[Field, ...]:
    """The many fields a connector keeps in `source` as they are, declared at once."""
    return tuple(kept(path, note) for path in paths)


def ignored(path: str, why: str) -> Field:
    return Field(path, "ignored", why)


@dataclass(frozen=True)
class Coverage:
    """What a connector does with each field of one source record type."""

    #: the report's record type for entries about it (`message`, `user`, `attachment`…).
    record_type: str
    #: the source's name for it, as the docs say (`message object in a day file`).
    source_type: str
    fields: tuple[Field, ...]


@dataclass
class _Node:
    """A declared object: its keys, and which of them are walked into."""

    keys: frozenset[str]
    #: key → (node of its children, whether its value is a list of objects).
    children: tuple[tuple[str, _Node, bool], ...]


def _compile(paths: Iterable[str]) -> _Node:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in _PART.findall(path):
            node = node.setdefault(part, {})

    def build(level: dict[str, Any]) -> _Node:
        keys = {part.removesuffix("[]") for part in level}
        children = tuple((part.removesuffix("[]"), build(sub), part.endswith("[]"))
                         for part, sub in level.items() if sub)
        return _Node(frozenset(keys), children)

    return build(tree)


def _filled(value: object) -> bool:
    """Whether a field holds anything: null, "", false, [] and {} are nothing."""
    return value is not None and value is not False and value != "" and value != [] and value != {}


class Census:
    """Counts the undeclared non-empty fields of the records a connector reads."""

    def __init__(self, coverages: Iterable[Coverage]) -> None:
        self._trees = {c.record_type: _compile(f.path for f in c.fields) for c in coverages}
        #: (record type, path) → [records, example id, example location].
        self._found: dict[tuple[str, str], list[Any]] = {}

    def see(self, record_type: str, item: Mapping[str, Any], record_id: str | None,
            location: str | None = None) -> None:
        """Count the undeclared fields of one source record (a JSON object or a CSV row)."""
        paths: set[str] = set()
        _walk(item, self._trees[record_type], "", paths)
        for path in paths:
            seen = self._found.get((record_type, path))
            if seen is None:
                self._found[record_type, path] = [1, record_id, location]
            else:
                seen[0] += 1

    def entries(self) -> Iterator[ReportEntry]:
        """One `unmapped` entry per undeclared field met, by record type and path: its content may
        be in the archive only as the record's raw `source`, or not at all."""
        for (record_type, path), (n, example, location) in sorted(self._found.items()):
            yield ReportEntry(
                "unmapped", record_type, example,
                f"{record_type} field `{path}` is not mapped by the connector: non-empty in {n} "
                f"record(s), e.g. {example or 'one without an id'}", location=location)


def _walk(item: Mapping[str, Any], node: _Node, prefix: str, paths: set[str]) -> None:
    # The usual case, every key declared, in one C call over the item's few keys (0.2 µs for a
    # Slack message; `item.keys() - node.keys` walks the ~100 declared keys instead: 2.6 µs).
    if not node.keys.issuperset(item):
        for key in item:
            if key not in node.keys and _filled(item[key]):
                paths.add(f"{prefix}{key}")
    for key, child, many in node.children:
        value = item.get(key)
        if not value:
            continue
        if many:
            if isinstance(value, list):
                for element in value:
                    if isinstance(element, dict):
                        _walk(element, child, f"{prefix}{key}[].", paths)
        elif isinstance(value, dict):
            _walk(value, child, f"{prefix}{key}.", paths)


def coverage_markdown(coverages: Iterable[Coverage]) -> str:
    """The field-coverage tables of a connector's doc, one per source record type."""
    out = []
    label = {"mapped": "mapped to", "source": "kept in `source`", "ignored": "ignored"}
    for coverage in coverages:
        out += [f"**{coverage.source_type}** (report record type `{coverage.record_type}`)", "",
                "| field | handling | where, or why |", "|---|---|---|"]
        out += [f"| `{f.path}` | {label[f.handling]} | {f.note.replace('|', '/')} |" for f in coverage.fields]
        out.append("")
    return "\n".join(out)
