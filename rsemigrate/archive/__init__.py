"""The neutral archive: its records, its sealed BagIt layout, and reading and checking it.

    records.py     the records (User, Group, Channel, Message, Attachment, ReportEntry, …)
    header.py      archive.json: format, source, window, counts, provenance events
    timestamps.py  canonical UTC timestamps and their sort keys
    bag.py         BagIt writing, sealing and `verify`
    reader.py      the layout inside the bag, the file store, and `Archive`, the reader
    validate.py    every record against the schema, every reference resolved
    schema.py      JSON Schemas generated from the records (`python -m rsemigrate.archive.schema`)

Everything downstream (export, search, migrate, report, viewer, productions) reads and writes
archives only through the names below.
"""

from .bag import BagWriter, HashingWriter, seal_of, verify
from .header import Counts, Event, Header, Source, Tool, Window, tool
from .reader import (
    HEADER_FILE,
    MESSAGE_FILE_SIZE,
    RECORD_FILES,
    Archive,
    FileStore,
    decode,
    message_file,
    stored_file,
)
from .records import (
    Attachment,
    AttachmentKind,
    Body,
    Channel,
    ChannelKind,
    Group,
    Mention,
    MentionKind,
    Message,
    MessageKind,
    MessageSpan,
    Reaction,
    Record,
    ReportEntry,
    SourceInfo,
    Timestamp,
    User,
    UserState,
)
from .timestamps import format_utc, parse_timestamp, sort_key, utc_micros, utc_of_key
from .validate import validate

__all__ = [
    "Archive",
    "Attachment",
    "AttachmentKind",
    "BagWriter",
    "Body",
    "Channel",
    "ChannelKind",
    "Counts",
    "Event",
    "FileStore",
    "Group",
    "HEADER_FILE",
    "HashingWriter",
    "Header",
    "MESSAGE_FILE_SIZE",
    "Mention",
    "MentionKind",
    "Message",
    "MessageKind",
    "MessageSpan",
    "RECORD_FILES",
    "Reaction",
    "Record",
    "ReportEntry",
    "Source",
    "SourceInfo",
    "Timestamp",
    "Tool",
    "User",
    "UserState",
    "Window",
    "decode",
    "format_utc",
    "message_file",
    "parse_timestamp",
    "seal_of",
    "sort_key",
    "stored_file",
    "tool",
    "utc_micros",
    "utc_of_key",
    "validate",
    "verify",
]
