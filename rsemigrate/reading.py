"""Runs a connector's `read` in a child process, so that parsing an export and spooling it to
disk use both cores.

The child is forked, so neither the connector nor the open export has to be pickled. It turns
each record into the spool's prepared tuple (serialising the body, the costliest step) and sends
them through a pipe in batches; the parent only stores them. Where `fork` does not exist the
same batches are made in-process. A failure in the child arrives in the parent as the same
exception, and a child that dies is an error, never a silently short archive.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .archive import FileStore
from .errors import RsemigrateError
from .records import Record, SourceInfo
from .spool import Prepared, prepare

_BATCH = 1000


@dataclass
class Batch:
    items: list[Prepared]
    #: files the connector stored meanwhile: (payload path, sha256, size) for the manifest.
    stored: list[tuple[str, str, int]] = field(default_factory=list)
    #: what the connector said about the export, on the last batch.
    info: SourceInfo | None = None


def prepared_batches(records: Iterator[Record], files: FileStore) -> Iterator[Batch]:
    items: list[Prepared] = []
    info = None
    for record in records:
        if isinstance(record, SourceInfo):
            info = record
            continue
        items.append(prepare(record))
        if len(items) >= _BATCH:
            yield Batch(items, files.drain())
            items = []
    yield Batch(items, files.drain(), info)


def in_child(produce: Callable[[], Iterator[Batch]]) -> Iterator[Batch]:
    """The batches of `produce()`, computed in a forked child process when the platform can."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from produce()
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(produce, sender), name="rsemigrate-reader", daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise RsemigrateError("the export reader process stopped unexpectedly "
                                      f"(exit code {child.join(5) or child.exitcode})") from None
            if kind == "error":
                raise payload
            if kind == "done":
                return
            yield payload
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(produce: Callable[[], Iterator[Batch]], sender: multiprocessing.connection.Connection) -> None:
    try:
        for batch in produce():
            sender.send(("batch", batch))
        sender.send(("done", None))
    except BaseException as exc:  # everything, Ctrl-C included, must reach the parent
        try:
            sender.send(("error", exc))
        except Exception:  # an exception that cannot be pickled still arrives, as text
            sender.send(("error", RsemigrateError(f"{type(exc).__name__}: {exc}")))
