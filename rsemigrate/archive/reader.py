"""The neutral archive (format v1): its layout inside the bag, its file store and its reader.

    ARCHIVE/                      a BagIt 1.0 bag (see bag.py)
      archive.json                header: format, source, window, counts, provenance events
      data/users.jsonl            one record a line, in the order the source listed them
      data/groups.jsonl
      data/channels.jsonl
      data/attachments.jsonl
      data/messages/NNNNN.jsonl   messages: whole channels packed into numbered files, each
                                  channel's lines contiguous and chronological
      data/message_index.jsonl    where each channel's messages are (a MessageSpan a line)
      data/files/<ab>/<sha256>        attachment content, stored once per distinct content
      data/report.jsonl           everything skipped, quarantined, degraded, duplicated or missing

The human-readable spec is `schema/README.md`; the JSON Schemas beside it are generated from
`records.py` and `header.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import BinaryIO, TypeVar

import orjson
from pydantic import TypeAdapter, ValidationError

from ..errors import ArchiveError
from . import bag
from .header import Header
from .records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Attachment,
    Channel,
    Group,
    Message,
    MessageSpan,
    ReportEntry,
    User,
)

HEADER_FILE = "archive.json"
RECORD_FILES = {
    User: "users.jsonl",
    Group: "groups.jsonl",
    Channel: "channels.jsonl",
    Attachment: "attachments.jsonl",
    MessageSpan: "message_index.jsonl",
    ReportEntry: "report.jsonl",
}
MESSAGES_DIR = "messages"
FILES_DIR = "files"
#: a message file is closed once it holds this much; a channel is never split across files, so
#: a channel larger than this has a file of its own.
MESSAGE_FILE_SIZE = 64 << 20

T = TypeVar("T")


def message_file(number: int) -> str:
    """Payload path (relative to `data/`) of message file `number` (1, 2, …)."""
    return f"{MESSAGES_DIR}/{number:05d}.jsonl"


def stored_file(sha256: str) -> str:
    """Payload path (relative to `data/`) of content with this digest."""
    return f"{FILES_DIR}/{sha256[:2]}/{sha256}"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileStore:
    """Content-addressed attachment storage inside a bag being written.

    Content is hashed while it is copied, so identical files are stored once and the manifest
    entry costs no second read. New files are listed by `drain()` for the bag's manifest rather
    than entered directly, because the store may run in the export's reader process.
    """

    def __init__(self, writer: bag.BagWriter) -> None:
        self._data = writer.data
        self._seen: set[str] = set()
        self._new: list[tuple[str, str, int]] = []
        self._tmp = writer.data / FILES_DIR / ".incoming"
        self._tmp.mkdir(parents=True)

    def put(self, stream: BinaryIO) -> StoredFile:
        tmp = self._tmp / f"{len(self._seen)}-{os.getpid()}"
        digest, size = bag.copy_hashing(stream, tmp)
        if digest in self._seen:
            tmp.unlink()
        else:
            dest = self._data / stored_file(digest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            self._new.append((stored_file(digest), digest, size))
            self._seen.add(digest)
        return StoredFile(digest, size)

    def drain(self) -> list[tuple[str, str, int]]:
        """(payload path, sha256, size) of the files stored since the last call."""
        new, self._new = self._new, []
        return new

    def close(self) -> None:
        self._tmp.rmdir()


@cache
def adapter(cls: type[T]) -> TypeAdapter[T]:
    return TypeAdapter(cls)


def decode(cls: type[T], line: bytes, where: str) -> T:
    """One JSONL line as a typed record; an invalid line is an ArchiveError naming it."""
    try:
        return adapter(cls).validate_json(line)
    except ValidationError as exc:
        raise ArchiveError(f"{where}: {first_error(exc)}") from None


def first_error(exc: ValidationError) -> str:
    """`field.path: what is wrong` for the first problem of a record."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"{field}: {first['msg']}"


class Archive:
    """A sealed archive opened for reading. Records stream; nothing is loaded whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path / "data"
        if not (path / "bagit.txt").is_file() or not (path / bag.TAGMANIFEST).is_file():
            raise ArchiveError(
                f"{path}: not a finished rsemigrate archive (no bagit.txt or tag manifest); "
                "an interrupted export leaves only a '.NAME.partial-*' folder"
            )
        try:
            raw = orjson.loads((path / HEADER_FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ArchiveError(f"{path / HEADER_FILE}: unreadable header ({exc})") from None
        if not isinstance(raw, dict):
            raise ArchiveError(f"{path / HEADER_FILE}: the header is a JSON {type(raw).__name__}, "
                               "not an object")
        if raw.get("format") != FORMAT_NAME:
            raise ArchiveError(f"{path / HEADER_FILE}: format is {raw.get('format')!r}, not {FORMAT_NAME!r}")
        if str(raw.get("format_version", "")).split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise ArchiveError(
                f"{path / HEADER_FILE}: format version {raw.get('format_version')} is not supported "
                f"(this tool reads {FORMAT_VERSION})"
            )
        self.header: Header = decode(Header, (path / HEADER_FILE).read_bytes(), str(path / HEADER_FILE))
        if not (self.data / RECORD_FILES[MessageSpan]).is_file():  # else its messages would seem absent
            raise ArchiveError(f"{path}: no data/{RECORD_FILES[MessageSpan]}, so its messages cannot be "
                               "found (an archive written by an early development build: export it again)")

    def seal(self) -> str:
        return bag.seal_of(self.path)

    def lines(self, relpath: str) -> Iterator[tuple[int, bytes]]:
        """(line number, raw JSON) of a payload JSONL file; a missing file yields nothing."""
        path = self.data / relpath
        if not path.is_file():
            return
        with open(path, "rb") as fh:
            yield from enumerate(fh, 1)

    def records(self, cls: type[T]) -> Iterator[T]:
        relpath = RECORD_FILES[cls]
        for lineno, line in self.lines(relpath):
            yield decode(cls, line, f"data/{relpath} line {lineno}")

    def users(self) -> Iterator[User]:
        return self.records(User)

    def groups(self) -> Iterator[Group]:
        return self.records(Group)

    def channels(self) -> Iterator[Channel]:
        return self.records(Channel)

    def attachments(self) -> Iterator[Attachment]:
        return self.records(Attachment)

    def report(self) -> Iterator[ReportEntry]:
        return self.records(ReportEntry)

    def spans(self) -> Iterator[MessageSpan]:
        """Where each channel's messages are, in file order."""
        return self.records(MessageSpan)

    @cached_property
    def _spans(self) -> dict[str, MessageSpan]:
        # One entry per channel with messages: memory grows with channels, never with messages.
        return {span.channel_id: span for span in self.spans()}

    def message_count(self, channel_id: str) -> int:
        """How many messages the channel has, from the index, without reading them."""
        span = self._spans.get(channel_id)
        return span.count if span else 0

    def message_lines(self, channel_id: str | None = None) -> Iterator[tuple[str, bytes]]:
        """(location, raw JSON) of one channel's messages, or of every channel's in turn (index
        order), oldest first; nothing for an id without messages."""
        for span in self._spans_of(channel_id):
            for lineno, line in span_lines(self.data, span):
                yield f"data/{span.file} line {lineno}", line

    def messages(self, channel_id: str | None = None) -> Iterator[Message]:
        """Messages of one channel, or of every channel in turn (index order), oldest first."""
        for where, line in self.message_lines(channel_id):
            yield decode(Message, line, where)

    def _spans_of(self, channel_id: str | None) -> Iterable[MessageSpan]:
        if channel_id is None:
            return self.spans()
        span = self._spans.get(channel_id)
        return [span] if span else []

    def file_path(self, sha256: str) -> Path:
        return self.data / stored_file(sha256)


def span_lines(data: Path, span: MessageSpan) -> Iterator[tuple[int, bytes]]:
    """(line number, raw JSON) of the lines a span covers. A span reaching past the end of its file
    yields the lines there are; `validate` reports it."""
    try:
        fh = open(data / span.file, "rb")
    except FileNotFoundError:
        raise ArchiveError(f"data/{span.file}: missing, though data/message_index.jsonl lists "
                           f"channel {span.channel_id}'s messages in it") from None
    with fh:
        fh.seek(span.offset)
        left = span.length
        for lineno, line in enumerate(fh, span.first_line):
            if left <= 0:
                return
            left -= len(line)
            yield lineno, line
