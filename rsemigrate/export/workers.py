"""Runs work of the export in a child process, so that it uses both cores: the connector's
`read` while the parent spools, and half of the message files while the parent writes the other.

The child is forked, so neither the connector nor the open export has to be pickled. It turns
each record into the spool's prepared tuple (serialising the body, the costliest step), appends
message bodies to the spool's body log itself, and sends only the small tuples through a pipe
in batches; the parent only indexes them. Where `fork` does not exist the
same batches are made in-process. A failure in the child arrives in the parent as the same
exception, and a child that dies is an error, never a silently short archive.

`ready` and `ready_all` serialise records in whichever process makes them: a connector's own
worker processes (parallel.py) then send back the small tuples, their bodies already in a body
log of their own, and the reader process passes them on unread.

A child never outlives its parent: it asks the kernel to kill it when the parent dies (Linux),
else a thread watches for it, so a `kill -9` of an export leaves no worker behind. It closes
its copy of the pipe's read end (holding it, a child whose parent died would block on a full
pipe forever) and points its standard streams at /dev/null, so it never keeps the caller's
terminal or pipe open.
"""

from __future__ import annotations

import ctypes
import gc
import marshal
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

import orjson

from ..archive import FileStore, Record, SourceInfo
from ..errors import RsemigrateError
from .quarantine import unwritable
from .spool import BodyLog, Prepared, prepare

_BATCH = 1000
#: a run (`ready_all`) counts as this many bytes a record toward a batch: about its marshalled size.
_RUN_BYTES_PER_RECORD = 128
_PIPE_SIZE = 1 << 20
T = TypeVar("T")


@dataclass
class Batch:
    #: prepared records, and runs of them (`ready_all`) marshalled as one value.
    items: list[Prepared | bytes]
    #: files the connector stored meanwhile: (payload path, sha256, size) for the manifest.
    stored: list[tuple[str, str, int]] = field(default_factory=list)
    #: what the connector said about the export, on the last batch.
    info: SourceInfo | None = None

    def __reduce__(self) -> tuple[Callable[..., Batch], tuple[object, ...]]:
        """Pickled with its items marshalled (see `marshalled`): they cross once per record."""
        return _batch, (marshalled(self.items), self.stored, self.info)


def _batch(items: bytes, stored: list[tuple[str, str, int]], info: SourceInfo | None) -> Batch:
    return Batch(unmarshalled(items), stored, info)  # type: ignore[arg-type]


def marshalled(value: object) -> bytes:
    """`value` as bytes: marshalled where it can be (tuples of strings, numbers and bytes, which
    marshal writes and reads two to three times as fast as pickle), else pickled (records, or a
    value marshal does not know, such as a subclass of str)."""
    try:
        return b"M" + marshal.dumps(value)
    except ValueError:
        return b"P" + pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def unmarshalled(data: bytes) -> object:
    """The value `marshalled` made `data` of."""
    body = memoryview(data)[1:]
    return marshal.loads(body) if data[:1] == b"M" else pickle.loads(body)


def prepared_batches(records: Iterator[Record | Prepared], files: FileStore, log_path: Path
                     ) -> Iterator[Batch]:
    """Prepared records in batches; message bodies go straight to the body log at `log_path`,
    which is complete when the last batch is yielded. A record the connector prepared already
    (`ready`, in a worker of its own) is a tuple, taken as it is."""
    items: list[Prepared | bytes] = []
    weight = 0  # records in `items`, runs counted by their size: a batch crosses per _BATCH
    info = None
    log = BodyLog(log_path)
    try:
        with preparing(log):
            for record in records:
                if record.__class__ is tuple:
                    items.append(record)  # type: ignore[arg-type]
                    weight += 1
                elif record.__class__ is bytes:  # a run (`ready_all`), passed on unread
                    # Runs end at each row that names attachments: a batch per run was one per
                    # 17 messages of a real network, and each batch costs both processes.
                    items.append(record)  # type: ignore[arg-type]
                    weight += len(record) // _RUN_BYTES_PER_RECORD
                elif isinstance(record, SourceInfo):
                    info = record
                    continue
                else:
                    items.append(prepared(record, log))  # type: ignore[arg-type]
                    weight += 1
                if weight >= _BATCH:
                    yield Batch(items, files.drain())
                    items, weight = [], 0
    finally:
        log.close()
    yield Batch(items, files.drain(), info)


def prepared(record: Record, log: BodyLog) -> Prepared:
    """`record` as the spool takes it; one the archive cannot hold as JSON is quarantined."""
    try:
        return prepare(record, log)  # type: ignore[arg-type]
    except orjson.JSONEncodeError as exc:  # read, but not writable as JSON (nested too deep)
        return prepare(unwritable(record, exc), log)


#: the body log `ready` prepares into in this process, while an export runs here.
_log: BodyLog | None = None


def ready(record: Record) -> Record | Prepared:
    """`record` serialised for the archive in this process while an export runs (a connector
    passes the result on as it is: the export takes it), else `record` itself.

    For a connector's worker processes (parallel.py): what they prepare goes into a body log of
    their own, and only the small tuple travels back.
    """
    return record if _log is None else prepared(record, _log)


def ready_all(records: list[Record]) -> list[Record | bytes]:
    """`records` prepared at once, while an export runs: one run, marshalled, which the reader
    process passes on without reading it (pass the list's items on as they are). Else `records`."""
    if _log is None:
        return list(records)
    return [marshal.dumps([prepared(record, _log) for record in records])]


def unpacked(items: list[Prepared | bytes]) -> Iterator[Sequence[Prepared]]:
    """The prepared records of a batch in order: each run (`ready_all`) unpacked, the records
    between runs together."""
    alone: list[Prepared] = []
    for item in items:
        if item.__class__ is bytes:
            if alone:
                yield alone
                alone = []
            yield marshal.loads(item)  # type: ignore[arg-type]
        else:
            alone.append(item)  # type: ignore[arg-type]
    if alone:
        yield alone


def log_in_use() -> BodyLog | None:
    return _log


@contextmanager
def preparing(log: BodyLog | None) -> Iterator[None]:
    """While the block runs, `ready` prepares into `log`."""
    global _log
    _log, before = log, _log
    try:
        yield
    finally:
        _log = before


@contextmanager
def in_child(produce: Callable[[], Iterator[T]]) -> Iterator[Iterator[T]]:
    """The items of `produce()`, computed in a forked child process when the platform can.

    The child is running on entering the block, so the caller can work in parallel before it
    takes the first item (and may start threads: the fork is behind it). Leaving the block ends
    the child at once, whatever state it is in: a failure here must not leave it writing into a
    staging folder that is being removed.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield produce()
        return
    context = multiprocessing.get_context("fork")
    # room for several batches, so the child rarely waits while this process is busy in SQLite
    receiver, sender = roomy_pipe(context)
    # Not a daemon: a daemon may not start processes, and the connector may (see parallel.py).
    # The block's end stops it, and it dies with this process, so no exit handler has to.
    child = context.Process(target=_produce, args=(produce, sender, receiver, os.getpid()),
                            name="rsemigrate-worker", daemon=False)
    child.start()
    sender.close()
    try:
        yield _receive(child, receiver)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def roomy_pipe(context: multiprocessing.context.BaseContext) -> tuple[Connection, Connection]:
    """A one-way pipe (read end, write end) of a megabyte where the system allows (Linux), not
    the default 64 KB: a writer then rarely waits for its reader to come and read."""
    receiver, sender = context.Pipe(duplex=False)
    with suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    return receiver, sender


def _receive(child: multiprocessing.process.BaseProcess, receiver: Connection) -> Iterator[T]:
    while True:
        try:
            kind, payload = receiver.recv()
        except EOFError:
            raise stopped(child) from None
        if kind == "error":
            raise payload
        if kind == "done":
            return
        yield payload


def _produce(produce: Callable[[], Iterator[T]], sender: Connection, receiver: Connection,
             parent: int) -> None:
    receiver.close()
    in_process_setup(parent)
    try:
        for item in produce():
            sender.send(("item", item))
        sender.send(("done", None))
    except BaseException as exc:  # everything, Ctrl-C included, must reach the parent
        sender.send(("error", travelling(exc)))


def stopped(process: multiprocessing.process.BaseProcess) -> RsemigrateError:
    """The error for a worker that died without a word: an error, never a short result."""
    process.join(5)
    return RsemigrateError(f"an export worker process stopped unexpectedly (exit code {process.exitcode})")


def travelling(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling both ways, else the same failure as text: whatever a worker
    raised must reach the process that waits for it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RsemigrateError(f"{type(exc).__name__}: {exc}")


def in_process_setup(parent: int) -> None:
    """What a forked worker does first: let go of the caller's terminal, die with `parent`."""
    _detach_stdio()
    _die_with(parent)
    _collect_less()


def _collect_less() -> tuple[int, int, int]:
    """Fewer garbage collections; returns the thresholds before.

    A reader allocates millions of short-lived objects. Collecting the young ones every 700
    allocations, and walking everything imported at each full collection, cost it 5-8% of its
    time (1M-message Yammer export); cycles are still collected, only less often.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return before


@contextmanager
def collecting_less() -> Iterator[None]:
    """`_collect_less` for a block of this process: the export, which spools what the reader
    process sends, then writes a million message lines."""
    before = _collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _detach_stdio() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdin = sys.stdout = sys.stderr = open(os.devnull, "r+")


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """End this process when `parent` dies: by the kernel's parent-death signal on Linux, else by
    a thread that checks every second whether the parent changed."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the signal was asked for
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="rsemigrate-parent-watch", daemon=True).start()
