"""What a connector is: a declaration the engine can discover, list and call.

A connector is data, not a framework: its name, a one-line description, the functions it
offers and the options they take. A source connector's `read` streams neutral records out of an
export; the engine owns everything after that (sorting, de-duplication, the archive). A `collect`
function saves a live service's content as an export that `read` accepts, for platforms whose
only complete export is their API; with `export_collects`, `export NAME` without SRC runs both.
Targets add a write side later.

Options are declared, not parsed by the connector: the CLI turns each into `--NAME` (falling back
to an environment variable), so `--help` and the docs come from one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..archive import FileStore, Record
from .census import Coverage
from .sources import SourceTree


@dataclass(frozen=True)
class Option:
    """A string setting of `read` or `collect`, passed by keyword under `name` (None when unset).

    The CLI spells it `--name-with-dashes` and reads `env` when the flag is absent. A `secret`
    (a token) also gets `--NAME-file`; its value is never echoed, logged or written anywhere.
    """

    name: str
    help: str
    env: str | None = None
    default: str | None = None
    secret: bool = False


class ReadFn(Protocol):
    """read(export, files, **options) -> records. Files are put into `files` and referenced by
    the returned digest; records may come in any order, and the same entity may be announced
    more than once."""

    def __call__(self, tree: SourceTree, files: FileStore, /, **options: str | None) -> Iterator[Record]: ...


class CollectFn(Protocol):
    """collect(folder, **options) -> counts of what was saved, for the summary line."""

    def __call__(self, folder: Path, /, **options: str | None) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class Connector:
    name: str
    description: str
    read: ReadFn | None = None
    #: options of `read` (`export NAME --OPTION`).
    options: tuple[Option, ...] = ()
    collect: CollectFn | None = None
    #: options of `collect` (`collect NAME --OPTION`).
    collect_options: tuple[Option, ...] = ()
    #: `export NAME` may then be run without SRC: it collects first (with `collect_options`) into
    #: `collection_beside(ARCHIVE)`, where an interrupted collection resumes, and reads that.
    export_collects: bool = False
    #: what `read` does with each field of each source record type (census.py): the census counts
    #: every other field it meets, and the connector's doc shows these as its coverage table.
    coverage: tuple[Coverage, ...] = ()


def collection_beside(archive: Path, name: str) -> Path:
    """Where `export NAME -o ARCHIVE` without SRC keeps what it collects: beside the archive."""
    return archive.parent / f"{archive.name}.{name}-collection"
