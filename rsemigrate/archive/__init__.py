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

Only bag.py is imported with the package: the rest brings pydantic, which a search on a
current index (it only checks the seal) does without.
"""

import sys

from ..imports import load_on_first_use
from .bag import BagWriter, HashingWriter, seal_of, staging_folders, staging_name, verify

load_on_first_use(sys.modules[__name__], {
    "Counts": ".header", "Event": ".header", "Header": ".header", "Source": ".header", "Tool": ".header",
    "Window": ".header", "tool": ".header",
    "HEADER_FILE": ".reader", "MESSAGE_FILE_SIZE": ".reader", "RECORD_FILES": ".reader",
    "Archive": ".reader", "FileStore": ".reader", "decode": ".reader", "message_file": ".reader",
    "stored_file": ".reader",
    "Attachment": ".records", "AttachmentKind": ".records", "Body": ".records", "Channel": ".records",
    "ChannelKind": ".records", "Group": ".records", "Mention": ".records", "MentionKind": ".records",
    "Message": ".records", "MessageKind": ".records", "MessageSpan": ".records", "Reaction": ".records",
    "Record": ".records", "ReportEntry": ".records", "SourceInfo": ".records", "Timestamp": ".records",
    "User": ".records", "UserState": ".records",
    "format_utc": ".timestamps", "parse_timestamp": ".timestamps", "sort_key": ".timestamps",
    "utc_micros": ".timestamps", "utc_of_key": ".timestamps",
    "validate": ".validate",
})

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
    "staging_folders",
    "staging_name",
    "sort_key",
    "stored_file",
    "tool",
    "utc_micros",
    "utc_of_key",
    "validate",
    "verify",
]
