"""The field census: undeclared non-empty fields counted by path, with one example; the coverage
tables of the docs generated from the same declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsemigrate.export import Census, Coverage, coverage_markdown, ignored, kept, mapped
from rsemigrate.export.coverage_docs import generated
from rsemigrate.registry import connectors

DOCS = Path(__file__).resolve().parents[2] / "docs"

MESSAGE = Coverage("message", "a message", (
    mapped("text", "`text`"),
    mapped("cards[]", "`text`"),
    mapped("cards[].title", "`text`"),
    kept("meta"),
    mapped("file", "an attachment"),
    mapped("file.id", "its id"),
    ignored("@odata.type", "annotation"),
    ignored("replies@odata.nextLink", "followed"),
    ignored("@microsoft.graph.downloadUrl", "a credential"),
))


def counted(*items: dict) -> dict[str, tuple[int, str | None, str | None]]:
    census = Census([MESSAGE])
    for n, item in enumerate(items, 1):
        census.see("message", item, f"m{n}", f"day.json record {n}")
    found = {}
    for entry in census.entries():
        assert entry.action == "unmapped" and entry.record_type == "message"
        path = entry.reason.split("`")[1]
        records = int(entry.reason.split("non-empty in ")[1].split()[0])
        found[path] = (records, entry.record_id, entry.location)
    return found


def test_declared_fields_are_not_counted_and_others_are_with_their_first_example():
    declared = {"text": "a", "meta": {"any": "thing"}, "@odata.type": "#x", "replies@odata.nextLink": "u",
                "@microsoft.graph.downloadUrl": "https://x"}
    assert counted(declared) == {}
    assert counted({"@microsoft.graph.other": 1}) == {
        "@microsoft.graph.other": (1, "m1", "day.json record 1")}
    assert counted({"text": "a", "blocks": [1]}, {"blocks": [2]}, {"text": "b"}) == {
        "blocks": (2, "m1", "day.json record 1")}


def test_empty_values_are_nothing_but_zero_is_something():
    assert counted({"a": None, "b": "", "c": False, "d": [], "e": {}}) == {}
    assert counted({"n": 0}) == {"n": (1, "m1", "day.json record 1")}


def test_declared_objects_and_lists_of_objects_are_walked_into():
    first = {"cards": [{"title": "t", "fields": [1]}, {"fields": [2], "footer": "f"}],
             "file": {"id": "F", "x": 1}}
    found = counted(first, {"cards": [{"fields": [3]}]})
    # a path met twice in one record counts that record once
    example = ("m1", "day.json record 1")
    assert found == {"cards[].fields": (2, *example), "cards[].footer": (1, *example),
                     "file.x": (1, *example)}


def test_a_declared_field_without_declared_children_covers_everything_below_it():
    assert counted({"meta": {"new": {"deeper": 1}}}) == {}


def test_the_coverage_table_lists_every_declared_field_with_its_handling():
    table = coverage_markdown([MESSAGE])
    assert "| `cards[].title` | mapped to | `text` |" in table
    assert "| `meta` | kept in `source` | kept in `source` |" in table
    assert "| `@odata.type` | ignored | annotation |" in table


@pytest.mark.parametrize("doc", ["slack.md", "teams-source.md", "workplace.md", "yammer.md"])
def test_each_connector_doc_shows_its_coverage_as_declared(doc):
    text = (DOCS / doc).read_text(encoding="utf-8")
    assert "<!-- coverage " in text
    assert generated(text) == text, f"docs/{doc} is out of step with its coverage: run `make coverage-docs`"


def test_every_source_connector_declares_its_coverage():
    for name, connector in connectors().items():
        if connector.read is not None:
            assert connector.coverage, f"{name} declares no field coverage"
            types = [c.record_type for c in connector.coverage]
            assert "message" in types or "post" in types and len(set(types)) == len(types)
