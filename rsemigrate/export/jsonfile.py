"""One JSON file of an export, parsed whole, with errors that say file, line and column.

Exports that are JSON (Slack's day files, saved API pages) come as many small documents, so each
is parsed in one go with orjson; a whole export is never held. A file that is not JSON is bad
input the reader cannot work around (which records would it hold?), so it is an InputError
naming the entry; a record *inside* a good file that makes no sense is the connector's to
quarantine.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import InputError
from .sources import SourceTree

_BOM = b"\xef\xbb\xbf"


def read_json(tree: SourceTree, name: str) -> Any:
    with tree.open(name) as stream:
        raw = stream.read()
    try:
        return orjson.loads(raw.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON at column {exc.colno}: {exc.msg}", file=name, line=exc.lineno
        ) from None


def dump_record(item: object) -> str:
    """A record's JSON text, for the `raw` of a quarantine entry."""
    return orjson.dumps(item).decode()
