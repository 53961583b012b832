"""What every worker process must see alike: who is signed in, and each archive's verify result.

The server runs several processes (server.py), so neither can live in one process's memory. They
live in a small SQLite file in a private directory (mode 0700) that the server creates at start
and removes at exit. A session is stored under the SHA-256 of its token, never the token itself,
so the file holds nothing that would let anyone sign in. Each process opens its own connection
on first use: a connection must never cross a fork, and `close()` is called before forking.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import orjson

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS session (
    token_sha256 TEXT PRIMARY KEY, user TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS verification (
    archive TEXT PRIMARY KEY, state TEXT NOT NULL, findings BLOB NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Verification:
    """A fresh `verify` of one bag: `running` until the one background check records its result."""

    state: str = "running"
    findings: list[str] = field(default_factory=list)


class SharedState:
    """The state file, and this process's connection to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()
        with self._connection() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def private(cls) -> SharedState:
        """A new state file in a fresh directory only this user may enter (mkdtemp makes it 0700)."""
        return cls(Path(tempfile.mkdtemp(prefix="rsemigrate-serve-")) / "state.sqlite")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This process's connection, shared by its threads one at a time."""
        with self._lock:
            if self._db is not None and self._pid != os.getpid():
                raise RuntimeError(f"{self.path}: a connection crossed a fork (close() before forking)")
            if self._db is None:
                self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                           timeout=10)
                self._pid = os.getpid()
            yield self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def remove(self) -> None:
        """Delete the state file (at the server's exit), and its directory once that is empty."""
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        with suppress(OSError):  # not empty: the directory was not made for the state alone
            self.path.parent.rmdir()

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, token: str, user: str, expires: float) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM session WHERE expires < ?", (time.time(),))  # swept at each sign-in
            db.execute("INSERT INTO session VALUES (?, ?, ?)", (_digest(token), user, expires))

    def session_user(self, token: str, now: float) -> str | None:
        """Who holds this token, or None when nobody does or the session has expired."""
        with self._connection() as db:
            row = db.execute("SELECT user, expires FROM session WHERE token_sha256 = ?",
                             (_digest(token),)).fetchone()
            if row is not None and row[1] < now:
                db.execute("DELETE FROM session WHERE token_sha256 = ?", (_digest(token),))
                return None
        return row[0] if row else None

    def end_session(self, token: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM session WHERE token_sha256 = ?", (_digest(token),))

    # -- verify results -------------------------------------------------------------------------

    def record_verification(self, archive: str, verification: Verification) -> None:
        with self._connection() as db:
            db.execute("INSERT OR REPLACE INTO verification VALUES (?, ?, ?)",
                       (archive, verification.state, orjson.dumps(verification.findings)))

    def verification(self, archive: str) -> Verification:
        with self._connection() as db:
            row = db.execute("SELECT state, findings FROM verification WHERE archive = ?",
                             (archive,)).fetchone()
        return Verification(row[0], orjson.loads(row[1])) if row else Verification()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
