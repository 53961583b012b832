"""Writes the SQLite search index from the rows `read.py` yields, in bounded memory.

Messages arrive in time order, so rowids are chronological as rows are appended. FTS5 is fed
large chunks of the message table (it writes one segment per statement, and fewer segments mean
less merging); secondary indexes come last, as bulk loading is faster without them. The index is
written to a temporary file renamed into place when complete: a crash never leaves a half-built
index that looks finished.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from ...archive import Archive
from ...exporter import tool
from ...timestamps import format_utc
from ..backend import BuildProgress, BuildReport
from .read import MESSAGE_COLUMNS, read_batches
from .tables import (
    FTS_COLUMNS,
    FTS_TABLE,
    SCHEMA_VERSION,
    AttachmentRow,
    MessageRow,
    PersonRow,
    index_ddl,
    table_ddl,
)

_FTS_CHUNK = 100_000
_IDS = f"?{len(MESSAGE_COLUMNS)}"  # the attachment_ids parameter, a JSON array
_INSERTS = {
    "person": "INSERT INTO person VALUES (?, ?, ?, ?, ?, ?)",
    "channel": "INSERT INTO channel VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "attachment": "INSERT INTO attachment (attachment_id, kind, status, name, sha256, url)"
                  " VALUES (?, ?, ?, ?, ?, ?)",
    # A message's attachment names (or URLs) become a searchable column, looked up by id.
    "message": (
        f"INSERT INTO message ({', '.join(MESSAGE_COLUMNS)}, files)"
        f" VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))}, CASE WHEN {_IDS} = '[]' THEN '' ELSE"
        " (SELECT group_concat(replace(coalesce(a.name, a.url, j.value), char(10), ' '), char(10))"
        f" FROM json_each({_IDS}) j LEFT JOIN attachment a ON a.attachment_id = j.value) END)"
    ),
}
_TO_FTS = (f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)})"
           f" SELECT seq, {', '.join(FTS_COLUMNS)} FROM message WHERE seq > ?")


def build_index(archive: Archive, target: Path, progress: BuildProgress) -> BuildReport:
    """Build the index for `archive` at `target`, replacing what is there only on success."""
    started = time.monotonic()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial, isolation_level=None)) as db:
            messages = _write(db, archive, progress)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BuildReport(str(target), messages, time.monotonic() - started)


def _write(db: sqlite3.Connection, archive: Archive, progress: BuildProgress) -> int:
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                     "PRAGMA cache_size=-65536; PRAGMA threads=2; PRAGMA analysis_limit=1000;")
    db.execute("BEGIN")
    for ddl in table_ddl():
        db.execute(ddl)
    expected = archive.header.counts.messages
    messages = indexed = 0
    for table, rows in read_batches(archive):
        if table == "message" and not messages:  # lookups the message rows need
            for ddl in index_ddl(PersonRow) + index_ddl(AttachmentRow):
                db.execute(ddl)
        db.executemany(_INSERTS[table], rows)
        if table == "message":
            messages += len(rows)
            if messages - indexed >= _FTS_CHUNK:
                db.execute(_TO_FTS, (indexed,))
                indexed = messages
            progress("indexing messages", len(rows), expected)
    db.execute(_TO_FTS, (indexed,))
    progress("merging the text index", 0, None)
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
    progress("secondary indexes", 0, None)
    for ddl in index_ddl(MessageRow):
        db.execute(ddl)
    db.execute("ANALYZE")
    db.executemany("INSERT INTO meta VALUES (?, ?)", _meta(archive, messages).items())
    db.execute("COMMIT")
    return messages


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
