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
        try:  # orjson reports bad UTF-8 at line 1: find the real line
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InputError(f"invalid UTF-8 (byte {raw[bad.start]:#04x}); the export must be UTF-8",
                             file=name, line=raw[: bad.start].count(b"\n") + 1) from None
        raise InputError(f"malformed JSON at column {exc.colno}: {exc.msg}", file=name,
                         line=exc.lineno) from None


def dump_record(item: object, where: str | None = None) -> str:
    """A record's JSON text, for the `raw` of a quarantine entry; `where` names the record
    when it cannot be kept (nested deeper than the 254 levels orjson writes)."""
    try:
        return orjson.dumps(item).decode()
    except orjson.JSONEncodeError as exc:
        raise InputError(f"a record nested too deep to keep ({exc}); the export is malformed",
                         file=where) from None
