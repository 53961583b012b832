"""The published schema, the code and the human spec must never drift apart."""

import re
from pathlib import Path

import jsonschema

from rsemigrate.archive.schema import render, schemas

SCHEMA_DIR = Path(__file__).parents[2] / "schema"


def test_committed_schemas_match_the_models():
    generated = schemas()
    committed = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    assert committed == set(generated), "regenerate with: python -m rsemigrate.schema schema/"
    for name, schema in generated.items():
        assert (SCHEMA_DIR / name).read_bytes() == render(schema), (
            f"schema/{name} is stale; regenerate with: python -m rsemigrate.schema schema/")


def test_schemas_are_valid_2020_12_documents():
    for schema in schemas().values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_field_is_described_in_the_spec():
    spec = re.sub(r"```.*?```", "", (SCHEMA_DIR / "README.md").read_text(), flags=re.S)
    described = {word for span in re.findall(r"`([^`]+)`", spec) for word in re.findall(r"[a-z_0-9]+", span)}
    undocumented = set()
    for name, schema in schemas().items():
        for doc in [schema, *schema.get("$defs", {}).values()]:
            undocumented |= {f"{name}: {field}" for field in doc["properties"] if field not in described}
    assert not undocumented, f"fields missing from schema/README.md: {sorted(undocumented)}"
