"""The SQLite index schema: plain tables plus an external-content FTS5 table over messages.

`message.seq` is the rowid and follows creation time (ties by message id), so "newest first"
is `ORDER BY rowid DESC` and stops after one page, and a date bound is a rowid bound. The FTS
table stores no text of its own (`content=message`): its columns are named like the message
columns it indexes, as `snippet()` requires. Secondary indexes are created after the bulk load.

Written as SQL rather than through an ORM: the search command reads the index with sqlite3
alone, so that it starts in a fraction of the time importing SQLAlchemy takes.
"""

from __future__ import annotations

#: bump when the schema or the meaning of a column changes: older indexes are then rebuilt.
SCHEMA_VERSION = "3"
FTS_TABLE = "message_fts"
FTS_COLUMNS = ("title", "text", "files")
TOKENIZER = "unicode61 remove_diacritics 2"

#: CREATE TABLE statements, without secondary indexes (faster bulk loading of messages).
TABLES = (
    # What the index was built from: the archive's seal and format version, and when.
    """CREATE TABLE meta (
        "key" VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        PRIMARY KEY ("key"))""",
    # name_key, email_key: fold()ed name and e-mail, for case- and accent-insensitive `from:`.
    """CREATE TABLE person (
        seq INTEGER NOT NULL,
        user_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        email VARCHAR,
        name_key VARCHAR NOT NULL,
        email_key VARCHAR,
        PRIMARY KEY (seq))""",
    # name_key, group_key: fold()ed channel and group names, for `in:`.
    """CREATE TABLE channel (
        seq INTEGER NOT NULL,
        channel_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        group_id VARCHAR,
        group_name VARCHAR,
        name_key VARCHAR NOT NULL,
        group_key VARCHAR,
        PRIMARY KEY (seq))""",
    """CREATE TABLE attachment (
        seq INTEGER NOT NULL,
        attachment_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        name VARCHAR,
        sha256 VARCHAR,
        url VARCHAR,
        PRIMARY KEY (seq))""",
    # at_us: created_at as microseconds since the epoch, non-decreasing with seq. private: in a
    # direct or group-direct conversation. files: attachment names (or URLs), one a line,
    # searchable like the text. attachment_ids: JSON array, in the message's order. record_at: the
    # byte offset of the record in its channel's message file, so that a viewer reads the whole
    # record (body, mentions, reactions) without scanning the channel.
    """CREATE TABLE message (
        seq INTEGER NOT NULL,
        message_id VARCHAR NOT NULL,
        thread_id VARCHAR NOT NULL,
        reply_to_id VARCHAR,
        channel_seq INTEGER NOT NULL,
        author_seq INTEGER NOT NULL,
        at_us INTEGER NOT NULL,
        created_at VARCHAR NOT NULL,
        edited_at VARCHAR,
        deleted_at VARCHAR,
        deleted BOOLEAN NOT NULL,
        edited BOOLEAN NOT NULL,
        private BOOLEAN NOT NULL,
        reply BOOLEAN NOT NULL,
        has_attachment BOOLEAN NOT NULL,
        title VARCHAR,
        text VARCHAR NOT NULL,
        files VARCHAR NOT NULL,
        attachment_ids VARCHAR NOT NULL,
        record_at INTEGER NOT NULL,
        PRIMARY KEY (seq),
        FOREIGN KEY(channel_seq) REFERENCES channel (seq),
        FOREIGN KEY(author_seq) REFERENCES person (seq))""",
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, content='message',"
    f" content_rowid='seq', tokenize='{TOKENIZER}', detail=full)",
)
#: the lookups message rows need while they are loaded.
LOOKUP_INDEXES = (
    "CREATE INDEX person_user ON person (user_id)",
    "CREATE INDEX attachment_id ON attachment (attachment_id)",
)
#: what `in:` looks a channel up by (id, group id, folded names): each OR term needs its own
#: index, or a network of 100,000 private conversations scans them all on every channel page.
CHANNEL_INDEXES = (
    "CREATE INDEX channel_id ON channel (channel_id)",
    "CREATE INDEX channel_group ON channel (group_id)",
    "CREATE INDEX channel_name ON channel (name_key)",
    "CREATE INDEX channel_group_name ON channel (group_key)",
)
#: the message table's indexes, created once it is loaded. Only the rarest flag pays for an
#: index: for is:edited, is:private or has:attachment (a few percent of the messages each) the
#: planner prefers a range scan of the table anyway.
MESSAGE_INDEXES = (
    "CREATE INDEX message_author ON message (author_seq)",
    "CREATE INDEX message_channel ON message (channel_seq)",
    "CREATE INDEX message_deleted ON message (deleted) WHERE deleted",
    "CREATE INDEX message_id ON message (message_id)",
    "CREATE INDEX message_thread ON message (thread_id)",
)
