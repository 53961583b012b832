"""Writes the SQLite search index from the rows `read.py` yields, in bounded memory.

Messages arrive in time order, so rowids are chronological as rows are appended. FTS5 is fed
large chunks of the message table (it writes one segment per statement, and fewer segments mean
less merging); the message table's secondary indexes come last, as bulk loading is faster
without them. The index is
written to a temporary file renamed into place when complete: a crash never leaves a half-built
index that looks finished.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ...archive import Archive, format_utc, tool
from ...errors import DiskFullError, is_disk_full
from ..backend import BuildProgress, BuildReport
from .read import MESSAGE_COLUMNS, NULL_AS_ZERO, read_batches
from .tables import (
    CHANNEL_INDEXES,
    FTS_COLUMNS,
    FTS_TABLE,
    LOOKUP_INDEXES,
    MESSAGE_INDEXES,
    SCHEMA_VERSION,
    TABLES,
)

#: FTS5 is fed from the message table every this many rows, while they are still in the page cache.
_FTS_CHUNK = 100_000
#: FTS5 options for the bulk load (measured on a million messages). 'hashsize': the bytes of
#: terms gathered in memory before a segment is written; its default, 1 MB, makes many small
#: segments that FTS5 keeps merging (32 MB: 3.5 s instead of 5 s; more gains nothing; the option
#: is not in FTS5's documentation, but every FTS5 has it). 'automerge': merge segments 16 at a
#: time rather than 4 (a chunk of _FTS_CHUNK rows makes one segment, so a million messages make
#: 10 segments and no merging: 0.6 s less, queries 0.1 ms slower at the median). A final
#: 'optimize' would cost 0.6 s for no measurable gain in queries.
_FTS_OPTIONS = {"hashsize": 32 << 20, "automerge": 16}
#: bytes; SQLite's page cache during the build (bounded, like everything else).
_CACHE_BYTES = 64 << 20
_BUILD_PRAGMAS = (
    # Page size first: it only applies before the first table is created. 8 KiB pages make the
    # message table (rows of a few hundred bytes) a little smaller and faster to write and index.
    "PRAGMA page_size=8192; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
    f" PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=FILE; PRAGMA cache_size=-{_CACHE_BYTES >> 10};"
    " PRAGMA analysis_limit=1000;"
)
#: for CREATE INDEX, a small cache: SQLite then sorts the keys in runs that fit the CPU caches
#: and merges them, about twice as fast as one large in-memory sort; its worker threads cost
#: more than they bring (measured on a million messages: 1.2 s instead of 2.0 s).
_INDEX_PRAGMAS = ("PRAGMA cache_size=-2048", "PRAGMA threads=0")
_ARG = {column: f"?{number}" for number, column in enumerate(MESSAGE_COLUMNS, 1)}
_NO_ATTACHMENT = f"{_ARG['attachment_ids']} = '[]'"
#: message columns computed from the row read.py sends (see MESSAGE_COLUMNS).
_MESSAGE_VALUES = {
    **{column: f"NULLIF({arg}, 0)" if column in NULL_AS_ZERO else arg for column, arg in _ARG.items()},
    "deleted": f"({_ARG['deleted_at']} IS NOT 0)",
    "edited": f"({_ARG['edited_at']} IS NOT 0)",
    "reply": f"({_ARG['reply_to_id']} IS NOT 0 OR {_ARG['thread_id']} != {_ARG['message_id']})",
    "has_attachment": f"(NOT {_NO_ATTACHMENT})",
    # A message's attachment names (or URLs) become a searchable column, looked up by id.
    "files": (
        f"CASE WHEN {_NO_ATTACHMENT} THEN '' ELSE"
        " (SELECT group_concat(replace(coalesce(a.name, a.url, j.value), char(10), ' '), char(10))"
        f" FROM json_each({_ARG['attachment_ids']}) j LEFT JOIN attachment a ON a.attachment_id = j.value) "
        "END"
    ),
}
_INSERTS = {
    "person": "INSERT INTO person VALUES (?, ?, ?, ?, ?, ?)",
    "channel": "INSERT INTO channel VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "attachment": "INSERT INTO attachment (attachment_id, kind, status, name, sha256, url)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    "message": f"INSERT INTO message ({', '.join(_MESSAGE_VALUES)}) VALUES "
               f"({', '.join(_MESSAGE_VALUES.values())})",
}
_TO_FTS = (f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)})"
           f" SELECT seq, {', '.join(FTS_COLUMNS)} FROM message WHERE seq > ?")


def build_index(archive: Archive, target: Path, progress: BuildProgress) -> BuildReport:
    """Build the index for `archive` at `target`, replacing what is there only on success."""
    started = time.monotonic()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial, isolation_level=None)) as db, _no_cyclic_gc():
            messages = _write(db, archive, progress)
        os.replace(partial, target)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise DiskFullError(f"{target.parent}: the disk is full ({exc}); the unfinished index was "
                                "removed: free some space or give --index on another disk") from None
        raise
    return BuildReport(str(target), messages, time.monotonic() - started)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Without the cycle collector: the build makes millions of short-lived rows and no cycles,
    which the collector would walk again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(db: sqlite3.Connection, archive: Archive, progress: BuildProgress) -> int:
    db.executescript(_BUILD_PRAGMAS)
    db.execute("BEGIN")
    # The small tables' indexes from the start: they cost little to keep up while those tables
    # load, which happens while the reader process starts on the messages.
    for ddl in (*TABLES, *LOOKUP_INDEXES, *CHANNEL_INDEXES):
        db.execute(ddl)
    _configure_fts(db)
    expected = archive.header.counts.messages
    messages = indexed = 0
    with closing(read_batches(archive)) as batches:  # closing stops the reader on an error
        for table, rows in batches:
            db.executemany(_INSERTS[table], rows)
            if table == "message":
                messages += len(rows)
                if messages - indexed >= _FTS_CHUNK:
                    db.execute(_TO_FTS, (indexed,))
                    indexed = messages
                progress("indexing messages", len(rows), expected)
    db.execute(_TO_FTS, (indexed,))
    progress("secondary indexes", 0, None)
    for ddl in (*_INDEX_PRAGMAS, *MESSAGE_INDEXES):
        db.execute(ddl)
    db.execute("ANALYZE")
    db.executemany("INSERT INTO meta VALUES (?, ?)", _meta(archive, messages).items())
    db.execute("COMMIT")
    return messages


def _configure_fts(db: sqlite3.Connection) -> None:
    for option, value in _FTS_OPTIONS.items():
        try:
            db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES (?, ?)", (option, value))
        except sqlite3.DatabaseError:  # an FTS5 without the option: the build is only slower
            pass


def _meta(archive: Archive, messages: int) -> dict[str, str]:
    return {
        "schema_version": SCHEMA_VERSION,
        "seal": archive.seal(),
        "format_version": archive.header.format_version,
        "archive_id": archive.header.archive_id,
        "messages": str(messages),
        "built_at": format_utc(datetime.now(UTC)),
        "built_by": f"{tool().name} {tool().version}",
    }
