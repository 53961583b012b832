"""Exceptions raised by the engine and connectors.

    RsemigrateError            base; the CLI prints its message, never a traceback
    ├── InputError             bad input or usage (exit code 2): names file, line, column
    │   └── UnsafeInputError   an archive entry that could escape, a zip bomb, a corrupt zip
    ├── ArchiveError           an archive that cannot be opened or read (exit code 2)
    └── DiskFullError          the disk filled up; what was being written was removed (exit code 2)

Problems *found* by `validate` or `verify` are not exceptions: they are returned as findings
and mapped to exit code 1 by the CLI.
"""

from __future__ import annotations

import errno
import sqlite3


class RsemigrateError(Exception):
    exit_code = 2


class InputError(RsemigrateError):
    """The input is malformed. The message says where (file, line, column) and what is wrong."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        where = ", ".join(
            part for part in (
                file,
                f"line {line}" if line is not None else None,
                f"column {column!r}" if column else None,
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.line, self.column = file, line, column


class UnsafeInputError(InputError):
    """The input tries to do something dangerous; it is refused whole, before anything is written."""


class ArchiveError(RsemigrateError):
    """The archive is missing, incomplete or unreadable."""


class DiskFullError(RsemigrateError):
    """The disk (or quota) filled up while writing; the unfinished output was removed."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is the disk or quota filling up, as the OS or SQLite says it."""
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
