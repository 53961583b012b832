"""What a connector is: a declaration the engine can discover, list and call.

A connector is data, not a framework: its name, a one-line description and the functions it
offers. A source connector's `read` streams neutral records out of an export; the engine owns
everything after that (sorting, de-duplication, the archive). Targets add a write side later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .archive import FileStore
from .records import Record
from .sources import SourceTree

#: read(export, files) -> records. Files are put into `files` and referenced by the returned
#: digest; records may come in any order, and the same entity may be announced more than once.
ReadFn = Callable[[SourceTree, FileStore], Iterator[Record]]


@dataclass(frozen=True)
class Connector:
    name: str
    description: str
    read: ReadFn | None = None
