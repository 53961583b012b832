"""The export step: source connector → spool → sealed archive.

The only place that knows the order of work. Everything is written into a staging folder; a
failure or Ctrl-C at any point removes it, and a `kill -9` leaves only a `.NAME.partial-*`
folder, which `verify` refuses and the next export to that folder lists (or removes, asked to),
so nothing half-written ever passes for an archive. One export at a time may write to an output
path (a lock beside it), and a full disk is one clear error, the staging folder removed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import count, groupby
from operator import itemgetter
from pathlib import Path

import orjson

from ..archive import (
    HEADER_FILE,
    MESSAGE_FILE_SIZE,
    RECORD_FILES,
    Attachment,
    BagWriter,
    Channel,
    Counts,
    Event,
    FileStore,
    Group,
    HashingWriter,
    Header,
    MessageSpan,
    ReportEntry,
    Source,
    SourceInfo,
    User,
    Window,
    format_utc,
    message_file,
    staging_folders,
    staging_name,
    tool,
)
from ..errors import DiskFullError, InputError, is_disk_full
from ..lock import exclusive, is_held, lock_path
from .connector import Connector, ReadFn
from .quarantine import strict_error
from .sources import SourceLimits, SourceTree, open_source
from .spool import Spool
from .workers import collecting_less, in_child, prepared_batches, unpacked

#: progress(phase, amount done so far): records in phase "read", bytes in phase "write".
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ExportInfo:
    path: Path
    seal: str
    counts: Counts
    #: staging folders that interrupted exports left beside the output (removed if asked to).
    leftovers: list[Path]


def run_export(connector: Connector, source: Path, output: Path, *,
               limits: SourceLimits | None = None, progress: Progress | None = None,
               options: Mapping[str, str | None] | None = None,
               clean_partials: bool = False, strict: bool = False) -> ExportInfo:
    """Export `source` into a new sealed archive at `output`; `options` go to the connector's
    `read` by keyword (see `Connector.options`) and are never recorded in the archive. A record
    the connector could not read is quarantined and the export goes on; `strict` stops at it.
    `clean_partials` removes what interrupted exports left beside `output` first."""
    if connector.read is None:
        raise InputError(f"connector {connector.name!r} cannot read exports")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive(lock_path(output), f"output {output}"):
            leftovers = leftover_partials(output.parent)
            if clean_partials:
                for folder in leftovers:
                    shutil.rmtree(folder)
            path, seal, counts = _export(connector, source, output, limits or SourceLimits(), progress,
                                         options, strict)
    except (OSError, sqlite3.OperationalError) as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(f"{output.parent}: the disk is full ({exc}); the unfinished archive was "
                            "removed: free some space or choose another output folder") from None
    return ExportInfo(path, seal, counts, leftovers)


def leftover_partials(parent: Path) -> list[Path]:
    """Staging folders in `parent` that no running export owns: what killed exports left."""
    return [folder for folder in staging_folders(parent)
            if not is_held(lock_path(parent / str(staging_name(folder))))]


def _export(connector: Connector, source: Path, output: Path, limits: SourceLimits,
            progress: Progress | None, options: Mapping[str, str | None] | None,
            strict: bool) -> tuple[Path, str, Counts]:
    assert connector.read is not None
    progress = progress or (lambda phase, n: None)
    read = partial(connector.read, **(options or {}))
    with open_source(source, limits) as tree, collecting_less():
        writer = BagWriter(output)
        try:
            spool, info, input_sha256 = _read_into_spool(read, tree, writer, progress, strict)
            info = info or SourceInfo(platform=connector.name)
            _write_payload(writer, spool, progress)
            header = _header(spool, info, tree.name, input_sha256)
            spool.close()
            seal = writer.seal(
                {HEADER_FILE: orjson.dumps(header, option=orjson.OPT_INDENT_2)},
                {
                    "External-Identifier": header.archive_id,
                    "Bag-Software-Agent": f"{header.tool.name} {header.tool.version}",
                    "Internal-Sender-Description":
                        f"{info.platform} export {tree.name}, sha256 {input_sha256}",
                },
            )
        except BaseException:
            writer.abort()
            raise
    return output, seal, header.counts


def _read_into_spool(read: ReadFn, tree: SourceTree, writer: BagWriter,
                     progress: Progress, strict: bool = False) -> tuple[Spool, SourceInfo | None, str]:
    """Spool every record the connector reads (in a worker process, see workers.py), while a
    thread here hashes the input, so the provenance checksum costs no extra wall time."""
    spool = Spool(writer.root / "spool")
    files = FileStore(writer)
    info = None
    # The pool's thread starts at submit, after the fork, as threads must; on a failure the
    # worker is ended first, then the digest is waited for.
    with ThreadPoolExecutor(1) as pool, \
            in_child(lambda: prepared_batches(read(tree, files), files, spool.log_path)) as batches:
        digest = pool.submit(tree.digest)
        done = 0
        for batch in batches:
            for stored in batch.stored:
                writer.record(*stored)
            for items in unpacked(batch.items):
                if strict and (bad := [i for i in items if i[0] == "r" and i[1] == "quarantined"]):
                    raise strict_error(bad[0][2])
                spool.add_all(items)
                done += len(items)
            info = batch.info or info
            progress("read", done)
        input_sha256 = digest.result()
    spool.finish()
    files.close()
    return spool, info, input_sha256


#: below this many records, one process writes every message file: forking would cost more.
_PARALLEL_FROM = 50_000
#: the channels a worker writes the message files of, and this process, by number modulo 16. This
#: one also writes the entity files and runs the checks' thread: an even split left it writing
#: alone for half a second at the end of a million messages (docs/performance.md).
_MODULUS, _THEIRS, _OURS = 16, range(7, 16), range(7)


def _write_payload(writer: BagWriter, spool: Spool, progress: Progress) -> None:
    # Messages arrive grouped by channel, oldest first. On a large export, a worker process packs
    # 9 channels in 16 into message files of its own while this one packs the rest: hashing and
    # writing use both cores. The files are numbered alternately, so the names never clash.
    # The worker sends its list once, at the end, so it never waits on this process to read.
    # The spool's checks (dangling references, counts) run meanwhile, in a thread started after
    # the fork; the report they complete is written after the message files, and recorded in
    # the manifest before them, as ever.
    data, scratch = writer.data, spool.folder
    shared = spool.records >= _PARALLEL_FROM
    def theirs() -> Iterator[list[tuple[str, str, int, Path]]]:
        return iter([list(_message_files(data, scratch, spool.messages(_THEIRS, _MODULUS), count(2, 2)))])

    worker = in_child(theirs) if shared else nullcontext(iter(()))
    files, done = [], 0
    with worker as from_worker:
        spool.check()
        for cls, kind in ((User, "user"), (Group, "group"), (Channel, "channel"), (Attachment, "attachment")):
            writer.write_payload(RECORD_FILES[cls], _lines(spool.entities(kind)))
        ours = spool.messages(_OURS, _MODULUS) if shared else spool.messages()
        for file in _message_files(data, scratch, ours, count(1, 2 if shared else 1)):
            files.append(file)
            done += file[2]
            progress("write", done)
        for their_files in from_worker:
            files += their_files
    writer.write_payload(RECORD_FILES[ReportEntry], _lines(spool.report()))
    # Renumbered 1, 2, 3… in order: a gap in the names (one process wrote more files than the
    # other) would look like a lost file to whoever lists the folder.
    finals = []
    files.sort(key=lambda file: (len(file[0]), file[0]))
    for number, (relpath, digest, size, spans) in enumerate(files, 1):
        if relpath != (final := message_file(number)):
            os.rename(data / relpath, data / final)
        writer.record(final, digest, size)
        finals.append((relpath, final, spans))
    writer.write_payload(RECORD_FILES[MessageSpan], _span_lines(finals))


def _message_files(data: Path, scratch: Path, rows: Iterator[tuple[str, bytes]],
                   numbers: Iterator[int]) -> Iterator[tuple[str, str, int, Path]]:
    """Pack whole channels, in order, into message files of about MESSAGE_FILE_SIZE, numbered
    from `numbers`; yields (payload path, sha256, size, where its spans are) per file.

    The spans (one per channel) go to a scratch file in `scratch`, not into memory: a network of
    100,000 private conversations has as many spans, and memory must not grow with them.
    """
    out: HashingWriter | None = None
    relpath, next_line = "", 1
    for channel_id, group in groupby(rows, key=itemgetter(0)):
        if out is None:
            number = next(numbers)
            relpath, next_line = message_file(number), 1
            (data / relpath).parent.mkdir(exist_ok=True)
            out = HashingWriter(data / relpath)
            spans_path = scratch / f"spans-{number}.jsonl"
            spans = open(spans_path, "wb")  # closed with its message file
        offset, n = out.position, 0
        for _, line in group:
            out.write(line)
            n += 1
        span = MessageSpan(channel_id, relpath, offset, out.position - offset, next_line, n)
        spans.write(orjson.dumps(span) + b"\n")
        next_line += n
        if out.position >= MESSAGE_FILE_SIZE:
            out.close()
            spans.close()
            yield relpath, out.hexdigest(), out.size, spans_path
            out = None
    if out is not None:
        out.close()
        spans.close()
        yield relpath, out.hexdigest(), out.size, spans_path


def _span_lines(files: list[tuple[str, str, Path]]) -> Iterator[bytes]:
    """message_index.jsonl: each file's spans, in file order, under the file's final name.

    The spans were written whole under the name the file had then, which is its final one
    unless the renumbering changed it; `"file":"` cannot occur inside a JSON string (its quotes
    would be escaped), so only the file's name is replaced.
    """
    for relpath, final, spans_path in files:
        before, after = (orjson.dumps({"file": name})[1:-1] for name in (relpath, final))
        with open(spans_path, "rb") as spans:
            if before == after:
                yield from spans
            else:
                yield from (line.replace(before, after, 1) for line in spans)


def _lines(bodies: Iterator[bytes]) -> Iterator[bytes]:
    return (body + b"\n" for body in bodies)


def _header(spool: Spool, info: SourceInfo, input_name: str, input_sha256: str) -> Header:
    now = format_utc(datetime.now(UTC))
    first, last = spool.window()
    counts = spool.counts()
    return Header(
        archive_id=str(uuid.uuid4()),
        created_at=now,
        tool=tool(),
        source=Source(info.platform, input_name, input_sha256, info.network_id, info.network_name),
        window=Window(first, last, info.requested_since, info.requested_until),
        counts=counts,
        events=[Event("export", now, tool(), input_sha256,
                      detail={"connector": info.platform, "input": input_name,
                              "messages": counts.messages, "report": counts.report})],
    )
