"""A connector's costly per-row work, spread over worker processes, its results kept in order.

The export runs a connector's `read` in one reader process (workers.py). When one step of a
connector outweighs the rest (Yammer: a million rows of one CSV, each parsed, mapped and
serialised), the connector cuts its input into chunks and maps a function over them with
`in_workers`: forked processes handle the chunks, and the results come back in the order of
the chunks, so the connector still applies what must be sequential (who was seen first, in
what order people joined a conversation) in source order, in the reader process.

Inside a worker, `ready(record)` and `ready_all(records)` (workers.py) serialise records for the
archive there and then, into a body log of the worker's own, so the costliest step runs in
parallel too and only small tuples travel back; the connector yields what they returned, and
the export takes it as it is. Outside an export (a connector's `read` called on its own) they
return the records.

Workers follow the reader process's rules (see workers.py): they die with it, never hold the
caller's terminal, and a failure in one arrives as the same exception, at its chunk's turn.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import chain, islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from ..cpus import default_workers
from ..errors import RsemigrateError
from .spool import BodyLog, body_log_path
from .workers import (
    in_process_setup,
    log_in_use,
    marshalled,
    preparing,
    roomy_pipe,
    stopped,
    travelling,
    unmarshalled,
)

T = TypeVar("T")
R = TypeVar("R")

#: more workers than this only queue behind the reader process, which applies their results.
MAX_WORKERS = 4
#: the log numbers this process handed to workers so far.
_numbers = iter(range(1, 1 << 16))


@contextmanager
def in_workers(work: Callable[[T], R], items: Iterable[T], workers: int | None = None
               ) -> Iterator[Iterator[R]]:
    """`work(item)` for each of `items`, in their order, computed by up to `workers` forked
    processes (one per CPU by default, at most MAX_WORKERS).

    `items` is consumed by a thread of this process, a few items ahead of the results taken; it
    is left where that thread stopped, so a caller may go on reading it after the block. With
    fewer than two items, one worker, or no `fork`, everything runs here, lazily. Leaving the
    block ends the workers at once, whatever state they are in.
    """
    items = iter(items)
    count = min(workers or default_workers(), MAX_WORKERS)
    first = list(islice(items, 2))
    if count < 2 or len(first) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield map(work, chain(first, items))
        return
    pool = _Pool(work, count)
    try:
        yield pool.results(chain(first, items))
    finally:
        pool.stop()


class _Pool:
    """Workers fed round-robin by a thread, their results read back in the same order: item i
    goes to worker i mod n, so its result is the next one that worker sends."""

    def __init__(self, work: Callable[[T], R], count: int) -> None:
        context = multiprocessing.get_context("fork")
        self._inboxes: list[Connection] = []
        self._outboxes: list[Connection] = []
        self._processes = []
        log = log_in_use()
        for _ in range(count):
            inbox_read, inbox = roomy_pipe(context)
            outbox, outbox_write = roomy_pipe(context)
            # each worker writes the bodies it prepares into a log of its own, beside this one's
            number = next(_numbers) if log is not None else 0
            log_path = body_log_path(log.path.parent, number) if log is not None else None
            process = context.Process(target=_serve, name="rsemigrate-worker", daemon=True,
                                      args=(work, inbox_read, outbox_write, os.getpid(), log_path, number))
            process.start()
            inbox_read.close()
            outbox_write.close()
            self._inboxes.append(inbox)
            self._outboxes.append(outbox)
            self._processes.append(process)
        #: which worker holds each item sent, in order; then None, or what stopped the feeding.
        self._sent: queue.Queue[int | BaseException | None] = queue.Queue()
        self._feeder: threading.Thread | None = None

    def results(self, items: Iterator[T]) -> Iterator[R]:
        self._feeder = threading.Thread(target=self._feed, args=(items,), name="rsemigrate-feeder",
                                        daemon=True)
        self._feeder.start()
        while (worker := self._sent.get()) is not None:
            if isinstance(worker, BaseException):
                raise worker
            kind, result = self._receive(worker)
            if kind != b"R":
                raise RsemigrateError(f"an export worker ended before its last item ({kind!r})")
            yield result  # type: ignore[misc]
        for inbox in self._inboxes:
            inbox.send_bytes(b"")  # no more items: close your body log and say so
        for worker in range(len(self._processes)):
            if self._receive(worker)[0] != b"D":
                raise RsemigrateError("an export worker sent a result after its last item")

    def _feed(self, items: Iterator[T]) -> None:
        try:
            for i, item in enumerate(items):
                worker = i % len(self._inboxes)
                self._sent.put(worker)
                self._inboxes[worker].send_bytes(marshalled(item))
        except BaseException as exc:  # reading the items failed, or a worker died: raised at the
            self._sent.put(exc)       # turn of the item it stopped at (a dead worker says EOF first)
        else:
            self._sent.put(None)

    def _receive(self, worker: int) -> tuple[bytes, object]:
        """(R, a result), (D, None) once the worker is done; its error is raised here."""
        try:
            data = self._outboxes[worker].recv_bytes()
        except EOFError:
            raise stopped(self._processes[worker]) from None
        kind = data[:1]
        if kind == b"E":
            raise pickle.loads(data[1:])
        return kind, (unmarshalled(data[1:]) if kind == b"R" else None)

    def stop(self) -> None:
        # Workers first: a feeder blocked writing to one then fails at once (a broken pipe), and
        # no pipe is closed under it while it writes.
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()
        if self._feeder is not None:
            self._feeder.join()
        for connection in (*self._inboxes, *self._outboxes):
            connection.close()


def _serve(work: Callable[[T], R], inbox: Connection, outbox: Connection, parent: int,
           log_path: Path | None, number: int) -> None:
    in_process_setup(parent)
    try:
        log = BodyLog(log_path, number) if log_path is not None else None
        try:
            with preparing(log):
                while data := inbox.recv_bytes():
                    outbox.send_bytes(b"R" + marshalled(work(unmarshalled(data))))  # type: ignore[arg-type]
        finally:
            if log is not None:
                log.close()
        outbox.send_bytes(b"D")
    except BaseException as exc:  # everything, Ctrl-C included, must reach the reader process
        with suppress(Exception):
            outbox.send_bytes(b"E" + pickle.dumps(travelling(exc)))

