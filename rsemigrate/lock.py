"""One run at a time per output: an exclusive lock file beside what a run writes.

Two operators starting the same export (or a script started twice) must not both write: the
second is refused at once, told who holds the lock. The lock is `flock(2)` on a small file
holding the holder's PID and start time; the kernel drops it when the holder dies, even by
`kill -9`, so a stale file never blocks a later run, and a file whose lock nobody holds
means no run is active.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from .errors import RsemigrateError

#: looks, 10 ms apart, for the holder's PID in a lock file found still empty.
_HOLDER_LOOKS = 100


class LockedError(RsemigrateError):
    """Another run holds the lock."""


def lock_path(output: Path) -> Path:
    """The lock file of `output`: hidden, beside it, so it never lands inside an archive."""
    return output.parent / f".{output.name}.lock"


@contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold the lock at `path` for the block; raise LockedError naming the holder if another run has it."""
    fd = _acquire(path, what)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
        yield
    finally:
        with suppress(FileNotFoundError):
            path.unlink()  # before the lock is released: a waiting run then locks a new file
        os.close(fd)


def is_held(path: Path) -> bool:
    """Whether a live run holds the lock at `path`."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _holder(fd: int) -> list[str]:
    """The PID and start time in a lock file held by another run. The holder writes them just
    after it locks: a run that comes in between finds the file empty, so it looks again for a
    moment rather than name nobody."""
    for _ in range(_HOLDER_LOOKS):
        if text := os.pread(fd, 200, 0).decode(errors="replace").split():
            return text
        time.sleep(0.01)
    return []


def _acquire(path: Path, what: str) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            pid, started = (holder + ["?", "?"])[:2]
            raise LockedError(f"{what} is in use by another run (PID {pid}, started {started}); "
                              f"wait for it to finish (lock file {path})") from None
        # The holder we waited for may have removed the file before we locked it: lock the new one.
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
