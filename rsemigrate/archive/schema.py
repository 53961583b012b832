"""JSON Schemas (2020-12) of the archive's records and header, generated from the dataclasses.

`schema/*.schema.json` in the repository is this module's output; a test regenerates it and
fails when the committed files and the code disagree. Regenerate with
`python -m rsemigrate.schema schema/`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter

from .header import Header
from .records import FORMAT_VERSION, PAYLOAD_RECORDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = f"urn:rsemigrate:archive:{FORMAT_VERSION}:"


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every payload record type and for `archive.json`."""
    documents = {**PAYLOAD_RECORDS, "archive": Header}
    out = {}
    for name, cls in documents.items():
        schema = TypeAdapter(cls).json_schema(mode="serialization")
        filename = f"{name}.schema.json"
        out[filename] = {"$schema": DIALECT, "$id": BASE_ID + filename, **schema}
    return out


def render(schema: dict[str, Any]) -> bytes:
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in schemas().items():
        (folder / filename).write_bytes(render(schema))
        written.append(folder / filename)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "schema")):
        print(path)
