"""Where an archive's index lives, which back end opens it, and when it is rebuilt.

Kept apart from `backend.py` (the protocol every back end implements) so that the protocol does
not import its implementations: `sqlite/` imports the protocol, and only this module picks one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import seal_of
from ..errors import ArchiveError, InputError
from .backend import BuildProgress, BuildReport, SearchBackend

if TYPE_CHECKING:
    from ..archive import Archive

INDEX_SUFFIX = ".index.sqlite"


def index_location(archive: Path, requested: Path | None) -> Path:
    """Where the index lives: `requested`, or `ARCHIVE.index.sqlite` beside the archive folder.

    Never inside the bag: a file added to its payload would break the bag's fixity.
    """
    folder = archive.resolve()
    location = (requested or folder.parent / f"{folder.name}{INDEX_SUFFIX}").resolve()
    if location.is_relative_to(folder):
        raise InputError(f"{location}: the index must live outside the archive folder {folder}, "
                         "whose content is sealed")
    return location


def open_backend(location: Path) -> SearchBackend:
    """The default back end (SQLite FTS5). Others would be chosen here, by location or option."""
    from .sqlite.backend import SqliteBackend  # imported when used: it brings SQLAlchemy

    return SqliteBackend(location)


def is_current(backend: SearchBackend, archive: Path) -> bool:
    """Whether the index was built from this very archive, known from the seals alone: a
    search on a current index reads no archive record (nor loads what parses them)."""
    try:
        return backend.built_from() == seal_of(archive)
    except ArchiveError:  # not a sealed archive: opening it says why
        return False


def ensure_current(backend: SearchBackend, archive: Archive, progress: BuildProgress, *,
                   force: bool = False) -> tuple[str, BuildReport] | None:
    """Build the index if it is missing or stale: (why, report), or None when it was current."""
    reason = "a rebuild was requested" if force else backend.staleness(archive)
    if reason is None:
        return None
    return reason, backend.build(archive, progress)
