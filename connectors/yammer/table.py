"""One CSV file of the export, streamed row by row, with errors that say where.

Yammer's CSVs are RFC 4180 with every field quoted, doubled quotes, line breaks inside bodies, an
optional UTF-8 BOM and CRLF line ends. The file is fed to `csv` one physical line at a time,
decoded here rather than by a text wrapper, so that:
- an invalid UTF-8 byte is reported at its physical line and CSV column, not at a chunk offset;
- the physical lines of the current record are at hand, so a quarantined row keeps its exact text;
- `csv`'s `line_num` counts physical lines, which is what every location names.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from rsemigrate.archive import ReportEntry, Timestamp, parse_timestamp
from rsemigrate.errors import InputError
from rsemigrate.export import SourceTree

#: a body can be megabytes long; a runaway quote must still stop somewhere, with a clear error.
FIELD_SIZE_LIMIT = 256 * 1024 * 1024
_BOM = "\ufeff"
_FLAGS = {"true": True, "false": False, "": False}

#: a good row: its first physical line, and its cells.
Row = tuple[int, list[str]]
#: a chunk of the file's rows, cut where a row ends: its first line's number, and its bytes.
Chunk = tuple[int, bytes]
#: a chunk with no cut that looks like a row's end in it goes on to this size at most (then the
#: reader of the chunk finds its last row cut short, and the rest is read in one piece).
MAX_CHUNK = 64 * 1024 * 1024


class Table:
    """A CSV file of the export: its header, then its rows as `Row` or quarantine entries."""

    def __init__(self, tree: SourceTree, path: str, record_type: str, required: Iterable[str] = ()) -> None:
        self.name = path
        self.record_type = record_type
        self.header: list[str] = []
        self._stream: BinaryIO = tree.open(path)
        #: physical lines of the record being parsed, for quarantine and error locations.
        self._record: list[str] = []
        #: lines of the file before the first this table reads (a part of it, see `part`).
        self._line0 = 0
        #: whether the lines ran out: a row that comes after that was ended by the end of input.
        self.exhausted = False
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        self._reader = csv.reader(self._lines(self._stream, bom=True))
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise self._malformed(exc) from None
        if header is None:
            raise InputError("the file is empty; expected a header line", file=path, line=1)
        self.header = [column.strip() for column in header]
        self._record.clear()
        for column in required:
            if column not in self.header:
                raise InputError(f"required column {column!r} is missing (header: {', '.join(self.header)})",
                                 file=path, line=1, column=column)

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()

    def part(self, lines: Iterable[bytes], first_line: int) -> Table:
        """This table over other physical lines of its file, the first of them numbered
        `first_line`: a chunk of the rows (see messages.py), read with the header already known."""
        part = copy.copy(self)
        part._record, part._line0, part.exhausted = [], first_line - 1, False
        part._reader = csv.reader(part._lines(iter(lines), bom=False))
        return part

    def blocks(self, size: int) -> Iterator[bytes]:
        """The bytes of the file after the lines read so far (the header), `size` at a time."""
        while block := self._stream.read(size):
            yield block

    @property
    def next_line(self) -> int:
        """The number of the first physical line not read yet."""
        return self._line0 + self._reader.line_num + 1

    def record_text(self) -> str:
        """The physical lines of the row just read, as they were."""
        return "".join(self._record)

    def index(self, column: str) -> int:
        """Position of `column` in a row, or `len(header)`: `rows()` pads each row with one ""."""
        return self.header.index(column) if column in self.header else len(self.header)

    def rows(self, key: str) -> Iterator[Row | ReportEntry]:
        """Rows with the header's width and a non-empty `key`; any other row is quarantined.

        Each row gets one extra "" at its end, the value of every absent column (see `index`).
        Blank lines carry nothing and are passed over.
        """
        width = len(self.header)
        key_at = self.index(key)
        record = self._record
        reader = self._reader
        line0 = self._line0
        start = line0 + reader.line_num + 1
        try:
            for row in reader:
                if len(row) != width:
                    if row:
                        yield self.quarantine(start, f"{len(row)} fields where the header has {width}")
                elif not row[key_at].strip():
                    yield self.quarantine(start, f"empty {key!r}")
                else:
                    row.append("")
                    yield start, row
                record.clear()
                start = line0 + reader.line_num + 1
        except csv.Error as exc:
            raise self._malformed(exc) from None

    def dicts(self, key: str) -> Iterator[tuple[int, dict[str, str]] | ReportEntry]:
        """`rows()` as {column: cell} dicts: for the small files, where clarity beats speed."""
        header = self.header
        for item in self.rows(key):
            if isinstance(item, ReportEntry):
                yield item
            else:  # zip stops at the header's end, before the "" pad
                yield item[0], dict(zip(header, item[1], strict=False))

    def quarantine(self, line: int, reason: str) -> ReportEntry:
        """A report entry keeping the current record's original text. A record of many physical
        lines that does not fit the header is most likely rows joined by a quote left open: the
        reason says how many lines it swallowed, so that it is not read as one lost row."""
        raw = self.record_text().rstrip("\r\n")
        if (lines := len(self._record)) > 2:
            reason += (f"; it spans {lines} physical lines ({line}-{line + lines - 1}): a quote left open "
                       "probably joined several rows into this one")
        return ReportEntry("quarantined", self.record_type, None, f"unreadable row: {reason}",
                           location=self.where(line), raw=raw)

    def where(self, line: int) -> str:
        return f"{self.name} line {line}"

    def timestamp(self, value: str, line: int, column: str) -> Timestamp | None:
        """An optional timestamp cell: None when empty; an unknown form is an InputError, which
        quarantines the row (see __init__.py)."""
        if not value:
            return None
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise InputError(str(exc), file=self.name, line=line, column=column) from None

    def flag(self, value: str, line: int, column: str) -> bool:
        """A `true`/`false` cell (any case; empty is false). Guessing a privacy flag is not an option."""
        try:
            return _FLAGS[value.strip().lower()]
        except KeyError:
            raise InputError(f"expected true or false, found {value!r}",
                             file=self.name, line=line, column=column) from None

    def _malformed(self, exc: csv.Error) -> InputError:
        return InputError(f"malformed CSV ({exc})", file=self.name, line=self.next_line - 1)

    def _lines(self, stream: Iterable[bytes], bom: bool) -> Iterator[str]:
        record = self._record
        first = bom
        for raw in stream:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self._decode_error(raw, exc) from None
            if first:
                line = line.removeprefix(_BOM)
                first = False
            record.append(line)
            yield line
        self.exhausted = True

    def _decode_error(self, raw: bytes, exc: UnicodeDecodeError) -> InputError:
        """Name the line (the one being fetched) and, when past the header, the CSV column."""
        line = self.next_line
        before = raw[: exc.start].decode("utf-8")
        column = None
        if self.header:
            cells = next(csv.reader(("".join(self._record) + before).splitlines(keepends=True)), [])
            column = self.header[max(len(cells), 1) - 1] if len(cells) <= len(self.header) else None
        return InputError(f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at character {len(before) + 1} "
                          "of the line); the export must be UTF-8", file=self.name, line=line, column=column)


def chunks(blocks: Iterable[bytes], first_line: int, size: int) -> Iterator[Chunk]:
    """The bytes of `blocks`, cut into chunks of whole lines of about `size` bytes.

    A cut falls after a line feed with an even number of quotes before it: where a row of an RFC
    4180 file ends, since quotes come in pairs (`"` opens and closes a cell, `""` is one quote
    inside it) and a line feed inside a cell is between them. A stray quote in a malformed file
    can mislead that count; the reader of the chunk then finds its last row cut short by the end
    of the chunk, which is how such a cut is caught (see messages.py).
    """
    buffer = bytearray()
    for block in blocks:
        buffer += block
        if len(buffer) >= size and (cut := _row_end(buffer) or _last_line_end(buffer)):
            with memoryview(buffer) as whole:  # one copy of the chunk, not two (`buffer[:cut]`)
                chunk = bytes(whole[:cut])
            del buffer[:cut]
            yield first_line, chunk
            first_line += chunk.count(b"\n")
    if buffer:
        yield first_line, bytes(buffer)


def _row_end(buffer: bytearray) -> int:
    """Where the last line of `buffer` with an even number of quotes before its end ends, or 0."""
    quotes = buffer.count(b'"')
    end = len(buffer)
    while (feed := buffer.rfind(b"\n", 0, end)) >= 0:
        quotes -= buffer.count(b'"', feed + 1, end)
        if quotes % 2 == 0:
            return feed + 1
        end = feed
    return 0


def _last_line_end(buffer: bytearray) -> int:
    """Past MAX_CHUNK, the end of the last whole line, even inside a quoted cell; else 0."""
    return buffer.rfind(b"\n") + 1 if len(buffer) >= MAX_CHUNK else 0
