"""One bad record must not cost an archivist the million good ones around it.

A connector builds each source record's neutral records inside `guarded`: when that raises (a
typo'd timestamp, a field of the wrong type, anything the reader did not foresee), the record
becomes a `quarantined` report entry holding its raw JSON text and the exact reason, and the
reader goes on with the next one. Records the failed one had already revealed (its author, its
files) are kept: they are true whatever happened after.

Errors about the export as a whole are not caught here: an unsafe zip entry stays fatal, and a
file that is not JSON fails before any of its records is read. `export --strict` restores the
old rule, abort on the first bad record: the exporter stops at the first `quarantined` entry
(`strict_error`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import orjson

from ..archive import Record, ReportEntry, Timestamp, parse_timestamp
from ..errors import InputError, UnsafeInputError
from .jsonfile import dump_record

#: what a reader may raise on one malformed record; anything else is a bug or an outside failure.
RECORD_ERRORS = (InputError, ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError,
                 RecursionError)


def guarded(records: Iterator[Record], record_type: str, raw: object, location: str) -> Iterator[Record]:
    """`records` (those one source record makes), or after a failure a `quarantined` entry."""
    try:
        yield from records
    except RECORD_ERRORS as exc:
        yield quarantined(record_type, raw, location, failure(exc))


def container_time(value: object, where: str, record_type: str,
                   record_id: str) -> tuple[Timestamp | None, ReportEntry | None]:
    """A container's optional time (a team's, a channel's, a chat's, a group's), and the report
    entry when it cannot be read. Unlike a message's, an unreadable time costs only itself: the
    container and all it holds are kept without it, and the raw value is reported (`degraded`),
    since quarantining the container would cut every message in it from its conversation."""
    if value is None or value == "":
        return None, None
    try:
        return parse_timestamp(str(value)), None
    except (ValueError, OverflowError) as exc:
        return None, ReportEntry("degraded", record_type, record_id, f"time {str(value)!r} not read ({exc}): "
                                 f"the {record_type} is kept without it", location=where)


def failure(exc: BaseException) -> str:
    """Why a record is quarantined, for one of `RECORD_ERRORS` caught while reading it; an
    UnsafeInputError is raised again: it condemns the whole input, not one record."""
    if isinstance(exc, UnsafeInputError):
        raise exc
    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return f"the reader failed on it ({type(exc).__name__}: {exc})"


def quarantined(record_type: str, raw: object, location: str, reason: str) -> ReportEntry:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    return ReportEntry("quarantined", record_type, None if record_id is None else str(record_id),
                       f"unreadable {record_type}: {reason}", location=location, raw=_raw(raw))


def unwritable(record: Record, exc: orjson.JSONEncodeError) -> ReportEntry:
    """A record the connector read but the archive cannot hold as JSON Lines (orjson writes 254
    levels of nesting at most, so a source field nested deeper stops it): quarantined, with the
    record as the standard library's JSON writes it, which goes deeper."""
    record_type = type(record).__name__.lower()
    try:
        raw = json.dumps(dataclasses.asdict(record), ensure_ascii=False)  # type: ignore[call-overload]
    except (TypeError, ValueError, RecursionError):
        raw = repr(record)
    return ReportEntry("quarantined", record_type, getattr(record, "id", None),
                       f"unwritable {record_type}: {exc} (a field nested too deeply to write as JSON)",
                       raw=raw)


def strict_error(entry_json: bytes) -> InputError:
    """The error `export --strict` stops with at a quarantined record."""
    entry = orjson.loads(entry_json)
    reason, location = entry["reason"], entry.get("location")
    if location and location in reason:
        location = None  # said once: the reader's own error names it already
    return InputError(f"{reason} (--strict stops at the first unreadable record; without it the record is "
                      "quarantined and the export goes on)", file=location)


def _raw(raw: object) -> str:
    try:
        return dump_record(raw)
    except (TypeError, orjson.JSONEncodeError):
        return repr(raw)
