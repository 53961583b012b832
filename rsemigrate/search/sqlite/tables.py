"""The SQLite index schema: SQLModel tables plus an external-content FTS5 table over messages.

`message.seq` is the rowid and follows creation time (ties by message id), so "newest first"
is `ORDER BY rowid DESC` and stops after one page, and a date bound is a rowid bound. The FTS
table stores no text of its own (`content=message`): its columns are named like the message
columns it indexes, as `snippet()` requires. Secondary indexes are created after the bulk load.
"""

from __future__ import annotations

from sqlalchemy import Index, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Field, SQLModel

#: bump when the schema or the meaning of a column changes: older indexes are then rebuilt.
SCHEMA_VERSION = "2"
FTS_TABLE = "message_fts"
FTS_COLUMNS = ("title", "text", "files")
TOKENIZER = "unicode61 remove_diacritics 2"


class MetaRow(SQLModel, table=True):
    """What the index was built from: the archive's seal and format version, and when."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (Index("person_user", "user_id"),)
    seq: int = Field(primary_key=True)
    user_id: str
    name: str
    email: str | None = None
    #: fold()ed name and e-mail, for case- and accent-insensitive `from:`.
    name_key: str
    email_key: str | None = None


class ChannelRow(SQLModel, table=True):
    __tablename__ = "channel"
    seq: int = Field(primary_key=True)
    channel_id: str
    kind: str
    name: str
    group_id: str | None = None
    group_name: str | None = None
    #: fold()ed channel and group names, for `in:`.
    name_key: str
    group_key: str | None = None


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachment"
    __table_args__ = (Index("attachment_id", "attachment_id"),)
    seq: int = Field(primary_key=True)
    attachment_id: str
    kind: str
    status: str
    name: str | None = None
    sha256: str | None = None
    url: str | None = None


class MessageRow(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        Index("message_id", "message_id"),
        Index("message_thread", "thread_id"),
        Index("message_author", "author_seq"),
        Index("message_channel", "channel_seq"),
        # Only the rarest flag pays for an index: for is:edited, is:private or has:attachment (a few
        # percent of the messages each) the planner prefers a range scan of the table anyway.
        Index("message_deleted", "deleted", sqlite_where=text("deleted")),
    )
    seq: int = Field(primary_key=True)
    message_id: str
    thread_id: str
    reply_to_id: str | None = None
    channel_seq: int = Field(foreign_key="channel.seq")
    author_seq: int = Field(foreign_key="person.seq")
    #: created_at as microseconds since the epoch: non-decreasing with seq.
    at_us: int
    created_at: str
    edited_at: str | None = None
    deleted_at: str | None = None
    deleted: bool
    edited: bool
    #: in a direct or group-direct conversation.
    private: bool
    reply: bool
    has_attachment: bool
    title: str | None = None
    text: str
    #: attachment names (or URLs), one a line: searchable like the text.
    files: str
    #: JSON array of attachment ids, in the message's order.
    attachment_ids: str
    #: byte offset of the message's record in its channel's message file, so that a viewer
    #: reads the whole record (body, mentions, reactions) without scanning the channel.
    record_at: int


TABLES = [MetaRow.__table__, PersonRow.__table__, ChannelRow.__table__, AttachmentRow.__table__,
          MessageRow.__table__]


def table_ddl() -> list[str]:
    """CREATE TABLE statements, without secondary indexes (faster bulk loading)."""
    dialect = sqlite.dialect()
    return [str(CreateTable(table).compile(dialect=dialect)) for table in TABLES] + [
        (f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, "
         f"content='message', content_rowid='seq', tokenize='{TOKENIZER}', detail=full)")
    ]


def index_ddl(model: type[SQLModel]) -> list[str]:
    """CREATE INDEX statements of one table, to run once it is loaded."""
    dialect = sqlite.dialect()
    indexes = sorted(model.__table__.indexes, key=lambda index: index.name)  # type: ignore[attr-defined]
    return [str(CreateIndex(index).compile(dialect=dialect)) for index in indexes]
