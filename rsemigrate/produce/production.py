"""A production: the selection as `.rsmf` files plus a load file, in a sealed BagIt bag.

    PRODUCTION/                  BagIt 1.0, SHA-256 (`rsemigrate verify` checks it)
      production.json            provenance: source archive and its seal, the exact selection,
                                 options, tool version, time, counts (a tag file)
      data/loadfile.csv          one row per file (loadfile.py)
      data/rsmf/PREFIX000001.rsmf

The archive streams one channel at a time and one slice's events are in memory at a time (with
the channel's thread roots, kept for context); a zip whose contents pass 64 MB is built in a
scratch file, and it is base64-encoded into the bag as it is read, so a file near 2 GB is never
held whole. With several workers, each process holds that much for the file it writes. The bag
is built beside the target and renamed into place only when sealed, so a failure never leaves
something that looks like a production.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from ..archive import Archive, BagWriter, Channel, Group, HashingWriter, Tool, format_utc, tool
from ..errors import ArchiveError, RsemigrateError
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
#: a slice's zip is built in memory when its contents are smaller, else in a file in the staging folder.
_IN_MEMORY = 64 << 20
#: conversations go to a worker in batches of about this many messages: few enough that sending
#: them costs nothing, small enough that the workers finish together.
BATCH_MESSAGES = 2000


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
            options: Options = Options(), workers: int = 1) -> Produced:
    """`workers` > 1 writes the files in that many processes; the production is the same."""
    header = archive.header
    source = Source(header.source.platform, {u.id: u for u in archive.users()},
                    {a.id: a for a in archive.attachments()}, options.custodian)
    generator = tool()
    counts, rows = Counts(), []
    writer = BagWriter(target)
    try:
        (writer.data / RSMF_DIR).mkdir()
        job = _Job(archive, source, {g.id: g for g in archive.groups()}, chosen, options,
                   f"{generator.name} {generator.version}", writer.root)
        with closing(_written(job, workers)) as written:
            for done in written:
                number = loadfile.control_number(options.prefix, counts.files + 1)
                if done.path != (final := job.numbered(number)):  # a worker's, not numbered yet
                    os.rename(done.path, final)
                writer.record(_relpath(number), done.row.sha256, done.row.size)
                rows.append(done.row._replace(control_number=number, path=f"data/{_relpath(number)}"))
                _count(counts, done)
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
class _Job:
    """What writing any file of the production needs; each worker process gets it once."""

    archive: Archive
    source: Source
    groups: dict[str, Group]
    chosen: Chosen
    options: Options
    generator: str
    #: the bag's staging folder: zips spill there, workers write their files there.
    staging: Path

    def numbered(self, number: str) -> str:
        """Where the file of this control number goes."""
        return f"{self.staging}/data/{_relpath(number)}"

    @property
    def unnumbered(self) -> Path:
        """Where workers write files whose control numbers are not known yet."""
        return self.staging / "unnumbered"


def _relpath(number: str) -> str:
    """A file's path in the payload: its name is its control number."""
    return f"{RSMF_DIR}/{number}.rsmf"


class _Written(NamedTuple):
    """One `.rsmf` written: its load file row, whose control number and path are given in
    production order, and how many of its events are thread roots carried for context."""

    path: str
    row: loadfile.Row
    context: int


@dataclass(frozen=True, slots=True)
class _Batch:
    """Consecutive conversations, written by one worker."""

    index: int
    channels: tuple[Channel, ...]
    messages: int


def _written(job: _Job, workers: int) -> Iterator[_Written]:
    """The files in production order: conversation by conversation, slice by slice; with one
    worker (or one batch), written in this process and numbered as they are written."""
    batches: Iterable[_Batch] = _batches(job.archive)
    if workers > 1:
        batches = list(batches)
        if len(batches) > 1:
            yield from _in_pool(job, batches, workers)
            return
    sequence = itertools.count(1)
    prefix = job.options.prefix
    for batch in batches:
        yield from _files(job, batch.channels,
                          lambda: job.numbered(loadfile.control_number(prefix, next(sequence))))


def _in_pool(job: _Job, batches: list[_Batch], workers: int) -> Iterator[_Written]:
    """Each worker writes its batches' files under provisional names; the batches are given back
    in order (those that come back early wait, as a few rows), so the files are numbered exactly
    as one worker numbers them.

    On any failure (here, in a worker, or a worker killed) the batches not started are dropped and
    the ones running end (a few seconds at most) before the caller removes the staging folder."""
    job.unnumbered.mkdir()
    waiting: dict[int, list[_Written]] = {}
    ready = 0
    pool = ProcessPoolExecutor(min(workers, len(batches)), initializer=_start_worker, initargs=(job,))
    try:
        for done in as_completed([pool.submit(_write_batch, b) for b in _big_first(batches, workers)]):
            try:
                index, written = done.result()
            except BrokenProcessPool:
                raise RsemigrateError("a worker process writing the production ended abruptly (killed, or "
                                      "out of memory?); nothing was written, try fewer --workers") from None
            waiting[index] = written
            while ready in waiting:
                yield from waiting.pop(ready)
                os.rmdir(job.unnumbered / str(ready))  # its files have their numbers now
                ready += 1
    finally:
        pool.shutdown(cancel_futures=True)
    job.unnumbered.rmdir()


def _batches(archive: Archive) -> Iterator[_Batch]:
    channels: list[Channel] = []
    messages = index = 0
    for channel in archive.channels():
        channels.append(channel)
        messages += archive.message_count(channel.id)
        if messages >= BATCH_MESSAGES:
            yield _Batch(index, tuple(channels), messages)
            channels, messages, index = [], 0, index + 1
    if channels:
        yield _Batch(index, tuple(channels), messages)


def _big_first(batches: list[_Batch], workers: int) -> list[_Batch]:
    """Batches in order, but those big enough to keep one worker busy while the others run out
    of work (an eighth of a worker's share) first, biggest first."""
    big = sum(b.messages for b in batches) / (8 * workers)
    return sorted(batches, key=lambda b: (-b.messages if b.messages >= big else 0, b.index))


#: a worker process's job, set when it starts.
_job: _Job | None = None


def _start_worker(job: _Job) -> None:
    global _job
    _job = job
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _write_batch(batch: _Batch) -> tuple[int, list[_Written]]:
    assert _job is not None, "a worker's job is set when it starts"
    folder, names = _job.unnumbered / str(batch.index), itertools.count()
    folder.mkdir()  # a folder per batch: workers creating files in one folder would wait on its lock
    return batch.index, list(_files(_job, batch.channels, lambda: f"{folder}/{next(names)}"))


def _files(job: _Job, channels: Iterable[Channel], place: Callable[[], str]) -> Iterator[_Written]:
    """Each slice of each channel written as an `.rsmf` where `place()` says."""
    archive, options = job.archive, job.options
    for channel in channels:
        collection_id = _collection_id(archive.header.archive_id, channel)
        group = job.groups.get(channel.group_id) if channel.group_id else None
        for piece in slices(channel, group, collection_id, archive.messages(channel.id), job.chosen,
                            options.limits, job.source.attachments):
            built = build(piece, job.source)
            path = place()
            with _zipped(built, job) as zipped:
                digests = _write(path, _rsmf(piece, built, job, zipped))
            yield _Written(path, _row(piece, built, job, digests), len(piece.context))


@dataclass(frozen=True, slots=True)
class _Digests:
    md5: str
    sha256: str
    size: int


def _write(path: str, chunks: Iterator[bytes]) -> _Digests:
    """Write a file, taking on the way the MD5 the load file lists beside the SHA-256 the bag's
    manifest and the load file share (hashed once)."""
    md5 = hashlib.md5(usedforsecurity=False)
    out = HashingWriter(path)
    try:
        for chunk in chunks:
            md5.update(chunk)
            out.write(chunk)
    finally:
        out.close()
    return _Digests(md5.hexdigest(), out.hexdigest(), out.size)


def _zipped(built: Built, job: _Job) -> BinaryIO:
    """The slice's zip: in memory, unless its contents (which deflate never grows by more than a
    little) could pass _IN_MEMORY; then in a scratch file in the staging folder."""
    archive = job.archive
    manifest = orjson.dumps(built.manifest)
    files, size = [], len(manifest)
    for stored in built.files:
        path = archive.file_path(stored.sha256)
        try:
            size += path.stat().st_size
        except FileNotFoundError:
            missing = path.relative_to(archive.path)
            raise ArchiveError(f"{archive.path}: stored file {missing} is missing (attachment "
                               f"{stored.name}); run `rsemigrate verify` on the archive") from None
        files.append((stored.name, path))
    out = io.BytesIO() if size < _IN_MEMORY else tempfile.TemporaryFile(dir=job.staging)
    try:
        eml.write_zip(manifest, files, out)
    except BaseException:
        out.close()
        raise
    return out


def _rsmf(piece: Slice, built: Built, job: _Job, zipped: BinaryIO) -> Iterator[bytes]:
    options = job.options
    headers = eml.Headers(
        version=VERSION, generator=job.generator, begin=built.begin, end=built.end,
        events=len(built.manifest["events"]), attachments=built.attachments,
        participants=built.people, application=job.source.platform, collection_id=piece.collection_id,
        custodian=options.custodian, subject=f"{piece.channel.name} {_period(piece)}",
        slice=f"{options.limits.period} {_period(piece)} UTC")
    return eml.message_chunks(headers, transcript(built.manifest), zipped)


def _period(piece: Slice) -> str:
    return piece.period if piece.part == 1 else f"{piece.period} part {piece.part}"


def _row(piece: Slice, built: Built, job: _Job, digests: _Digests) -> loadfile.Row:
    conversation = built.manifest["conversations"][0]
    return loadfile.Row(
        control_number="", conversation_id=piece.channel.id, conversation=piece.channel.name,
        platform=job.source.platform, conversation_type=conversation["type"], slice=_period(piece),
        event_collection_id=piece.collection_id, begin_date=built.begin, end_date=built.end,
        custodian=job.options.custodian or "", participants="; ".join(name for name, _ in built.people),
        participant_count=len(built.people), event_count=len(built.manifest["events"]),
        attachment_count=built.attachments, md5=digests.md5, sha256=digests.sha256, size=digests.size,
        path="")


def _count(counts: Counts, done: _Written) -> None:
    row, conversation = done.row, done.row.conversation_id
    selected = row.event_count - done.context
    if conversation not in counts.per_conversation:
        counts.conversations += 1
    counts.per_conversation[conversation] = counts.per_conversation.get(conversation, 0) + selected
    counts.files += 1
    counts.messages += selected
    counts.context_events += done.context
    counts.events += row.event_count
    counts.attachments += row.attachment_count
    counts.bytes += row.size


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
