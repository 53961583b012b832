"""The collection folder while it is being written: it is its own checkpoint.

Why no separate checkpoint file: every answer is saved as it arrives, each file atomically (a
`.partial-<pid>` file renamed into place), so whatever the folder holds is whole, and a resumed run
only needs to look at it: a listing continues from its last saved page's `@odata.nextLink`; a
download is done when its `.json` sidecar exists. A lock (flock) keeps two runs off one folder, and
the `.partial-*` leftovers of a killed run are removed when the next one starts.

Secrets never reach the disk: every text written goes through `redact` with the run's secrets.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from rsemigrate.errors import InputError
from rsemigrate.http import redact

from . import wire

LOCK = ".collect.lock"
_PARTIAL = ".partial-"


class CollectionFolder:
    def __init__(self, root: Path, secrets: Iterable[str | None] = ()) -> None:
        self.root = root
        self._secrets = tuple(s for s in secrets if s)
        self._lock: int | None = None
        self._created = False

    def open(self) -> None:
        """Create or reopen the folder, take its lock and clear a killed run's partial files."""
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root}: exists and is not a folder")
        if self.root.is_dir() and any(self.root.iterdir()) and not (self.root / wire.COLLECT).is_file():
            raise InputError(f"{self.root}: not empty and not a Teams collection (no {wire.COLLECT}); "
                             "collect into a new folder")
        self._created = not self.root.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.root / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise InputError(f"{self.root}: another `collect teams` is writing this folder") from None
        for leftover in self.root.rglob(f"*{_PARTIAL}*"):
            leftover.unlink()

    def close(self) -> None:
        """Release the lock; a folder this run created and never wrote into is removed."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
            (self.root / LOCK).unlink(missing_ok=True)
            if self._created and not any(self.root.iterdir()):
                self.root.rmdir()

    def exists(self, relpath: str) -> bool:
        return (self.root / relpath).is_file()

    def load(self, relpath: str) -> Any:
        return orjson.loads((self.root / relpath).read_bytes())

    def save(self, relpath: str, data: object) -> None:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
        self.save_bytes(relpath, (redact(text, *self._secrets) + "\n").encode())

    def save_bytes(self, relpath: str, data: bytes) -> None:
        tmp = self.partial(relpath)
        tmp.write_bytes(data)
        self.commit(tmp, relpath)

    def partial(self, relpath: str) -> Path:
        """A temporary path for `relpath` (for streamed downloads); `commit` puts it in place."""
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.with_name(f"{target.name}{_PARTIAL}{os.getpid()}")

    def commit(self, tmp: Path, relpath: str) -> None:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / relpath)

    def pages(self, folder: str) -> list[tuple[int, str]]:
        """(number, relative path) of the pages saved in `folder`, in order."""
        found = []
        directory = self.root / folder
        if directory.is_dir():
            for path in directory.iterdir():
                if match := wire.PAGE.fullmatch(path.name):
                    found.append((int(match[1]), f"{folder}/{path.name}"))
        return sorted(found)

    def forget(self, folder: str) -> None:
        """Remove a listing's saved pages (its saved continuation link was refused)."""
        for _, relpath in self.pages(folder):
            (self.root / relpath).unlink()
