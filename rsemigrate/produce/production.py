"""A production: the selection as `.rsmf` files plus a load file, in a sealed BagIt bag.

    PRODUCTION/                  BagIt 1.0, SHA-256 (`rsemigrate verify` checks it)
      production.json            provenance: source archive and its seal, the exact selection,
                                 options, tool version, time, counts (a tag file)
      data/loadfile.csv          one row per file (loadfile.py)
      data/rsmf/PREFIX000001.rsmf

The archive streams one channel at a time and one slice's events are in memory at a time (with
the channel's thread roots, kept for context); its zip spills to a scratch file past 64 MB and
is base64-encoded into the bag as it is read, so a file near 2 GB is never held whole. The bag
is built beside the target and renamed into place only when sealed, so a failure never leaves
something that looks like a production.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..archive import Archive, BagWriter, Channel, HashingWriter, Tool, format_utc, tool
from ..errors import ArchiveError
from ..search import Chosen, Selection
from . import eml, loadfile
from .manifest import VERSION, Built, Slice, Source, build
from .slicing import Limits, slices
from .transcript import transcript

PROVENANCE_FILE = "production.json"
FORMAT_NAME = "rsemigrate-production"
FORMAT_VERSION = "1.0"
RSMF_DIR = "rsmf"
LOADFILE = "loadfile.csv"
#: a slice's zip stays in memory up to this size, then spills to a file in the staging folder.
_IN_MEMORY = 64 << 20


@dataclass(frozen=True, slots=True)
class Options:
    limits: Limits = Limits()
    custodian: str | None = None
    prefix: str = "RSMF"


@dataclass(slots=True)
class Counts:
    files: int = 0
    conversations: int = 0
    #: selected messages, each written exactly once as an event.
    messages: int = 0
    #: thread roots repeated as context in a file that holds their replies.
    context_events: int = 0
    events: int = 0
    attachments: int = 0
    bytes: int = 0
    #: selected messages per conversation id.
    per_conversation: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Produced:
    path: Path
    seal: str
    counts: Counts


def produce(archive: Archive, target: Path, selection: Selection, chosen: Chosen,
            options: Options = Options()) -> Produced:
    header = archive.header
    source = Source(header.source.platform, {u.id: u for u in archive.users()},
                    {a.id: a for a in archive.attachments()}, options.custodian)
    groups = {g.id: g for g in archive.groups()}
    generator = tool()
    counts, rows = Counts(), []
    writer = BagWriter(target)
    try:
        (writer.data / RSMF_DIR).mkdir()
        for channel in archive.channels():
            collection_id = _collection_id(header.archive_id, channel)
            group = groups.get(channel.group_id) if channel.group_id else None
            for piece in slices(channel, group, collection_id, archive.messages(channel.id), chosen,
                                options.limits, source.attachments):
                built = build(piece, source)
                number = loadfile.control_number(options.prefix, counts.files + 1)
                relpath = f"{RSMF_DIR}/{number}.rsmf"
                with tempfile.SpooledTemporaryFile(_IN_MEMORY, dir=writer.root) as zipped:
                    chunks = _rsmf(piece, built, archive, source, options,
                                   f"{generator.name} {generator.version}", zipped)
                    digests = _write(writer, relpath, chunks)
                rows.append(_row(number, relpath, piece, built, source, options, digests))
                _count(counts, piece, built, digests.size)
        writer.write_payload(LOADFILE, iter([loadfile.csv_bytes(rows)]))
        provenance = _provenance(archive, selection, options, counts, chosen, generator)
        seal = writer.seal(
            {PROVENANCE_FILE: orjson.dumps(provenance, option=orjson.OPT_INDENT_2)},
            {"Bag-Software-Agent": f"{generator.name} {generator.version}",
             "External-Description": f"RSMF {VERSION} production of archive {header.archive_id}",
             "Internal-Sender-Description": f"source archive seal {provenance['source']['seal']}"},
        )
    except BaseException:
        writer.abort()
        raise
    return Produced(target, seal, counts)


@dataclass(frozen=True, slots=True)
class _Digests:
    md5: str
    sha256: str
    size: int


def _write(writer: BagWriter, relpath: str, chunks: Iterator[bytes]) -> _Digests:
    """Write a payload file, taking on the way the MD5 the load file lists beside the SHA-256 the
    bag's manifest and the load file share (hashed once)."""
    md5 = hashlib.md5(usedforsecurity=False)
    out = HashingWriter(writer.data / relpath)
    try:
        for chunk in chunks:
            md5.update(chunk)
            out.write(chunk)
    finally:
        out.close()
    writer.record(relpath, out.hexdigest(), out.size)
    return _Digests(md5.hexdigest(), out.hexdigest(), out.size)


def _rsmf(piece: Slice, built: Built, archive: Archive, source: Source, options: Options,
          generator: str, zipped: BinaryIO) -> Iterator[bytes]:
    files = []
    for stored in built.files:
        path = archive.file_path(stored.sha256)
        if not path.is_file():
            raise ArchiveError(f"{archive.path}: stored file {path.relative_to(archive.path)} is missing "
                               f"(attachment {stored.name}); run `rsemigrate verify` on the archive")
        files.append((stored.name, path))
    eml.write_zip(built.manifest, files, zipped)
    period = piece.period if piece.part == 1 else f"{piece.period} part {piece.part}"
    headers = eml.Headers(
        version=VERSION, generator=generator, begin=built.begin, end=built.end,
        events=len(built.manifest["events"]), attachments=built.attachments,
        participants=built.people, application=source.platform, collection_id=piece.collection_id,
        custodian=options.custodian, subject=f"{piece.channel.name} {period}",
        slice=f"{options.limits.period} {period} UTC")
    return eml.message_chunks(headers, transcript(built.manifest), zipped)


def _row(number: str, relpath: str, piece: Slice, built: Built, source: Source, options: Options,
         digests: _Digests) -> loadfile.Row:
    conversation = built.manifest["conversations"][0]
    return loadfile.Row(
        control_number=number, conversation_id=piece.channel.id, conversation=piece.channel.name,
        platform=source.platform, conversation_type=conversation["type"],
        slice=piece.period if piece.part == 1 else f"{piece.period} part {piece.part}",
        event_collection_id=piece.collection_id, begin_date=built.begin, end_date=built.end,
        custodian=options.custodian or "", participants="; ".join(name for name, _ in built.people),
        participant_count=len(built.people), event_count=len(built.manifest["events"]),
        attachment_count=built.attachments, md5=digests.md5, sha256=digests.sha256, size=digests.size,
        path=f"data/{relpath}")


def _count(counts: Counts, piece: Slice, built: Built, size: int) -> None:
    selected = len(piece.messages) - len(piece.context)
    if piece.channel.id not in counts.per_conversation:
        counts.conversations += 1
    counts.per_conversation[piece.channel.id] = counts.per_conversation.get(piece.channel.id, 0) + selected
    counts.files += 1
    counts.messages += selected
    counts.context_events += len(piece.context)
    counts.events += len(built.manifest["events"])
    counts.attachments += built.attachments
    counts.bytes += size


def _collection_id(archive_id: str, channel: Channel) -> str:
    """The same for every slice of a conversation, and for every production of it from this archive."""
    return hashlib.sha256(f"{archive_id}\0{channel.id}".encode()).hexdigest()[:32]


def _provenance(archive: Archive, selection: Selection, options: Options, counts: Counts,
                chosen: Chosen, generator: Tool) -> dict[str, Any]:
    header = archive.header
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": format_utc(datetime.now(UTC)),
        "tool": {"name": generator.name, "version": generator.version},
        "source": {"archive": archive.path.name, "archive_id": header.archive_id, "seal": archive.seal(),
                   "platform": header.source.platform},
        "selection": {**selection.describe(), "hits": chosen.hits},
        "rsmf": {"version": VERSION, "slice": options.limits.period, "slice_time_zone": "UTC",
                 "max_events": options.limits.max_events, "max_bytes": options.limits.max_bytes,
                 "custodian": options.custodian, "control_prefix": options.prefix},
        "counts": {"files": counts.files, "conversations": counts.conversations,
                   "messages": counts.messages, "context_events": counts.context_events,
                   "events": counts.events, "attachments": counts.attachments, "bytes": counts.bytes},
    }
