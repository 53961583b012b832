"""Who may read: a file of users with hashed passwords, and sessions held in cookies.

Hashing is werkzeug.security's (scrypt, salted), never ours. The file has one `name:hash` a
line (`rsemigrate serve --auth FILE --add-user NAME` writes them); blank lines and `#` comments
are ignored. Sessions live in the server's shared state (state.py), which goes when it stops:
restarting the server signs everyone out.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import InputError
from .state import SharedState

COOKIE = "rsemigrate_session"
#: seconds a session lasts without a new login.
SESSION_SECONDS = 8 * 3600
#: a hash to check against when the name is unknown, so a wrong name costs as much as a wrong password.
_DECOY = generate_password_hash(secrets.token_hex(16))


def read_users(path: Path) -> dict[str, str]:
    """name → password hash; a malformed line is an InputError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the users file ({exc.strerror})") from None
    users: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if not sep or not name or "$" not in hashed:
            raise InputError(f"{path} line {lineno}: expected NAME:HASH with a werkzeug password hash "
                             "(write it with `rsemigrate serve --auth FILE --add-user NAME`)")
        users[name] = hashed
    if not users:
        raise InputError(f"{path}: no users; add one with `rsemigrate serve --auth {path} --add-user NAME`")
    return users


def add_user(path: Path, name: str, password: str) -> None:
    if not name or ":" in name or name != name.strip():
        raise InputError(f"user name {name!r}: must be non-empty, without ':' or surrounding spaces")
    existing = read_users(path) if path.exists() and path.stat().st_size else {}
    if name in existing:
        raise InputError(f"{path}: user {name!r} already exists")
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{name}:{generate_password_hash(password)}\n")
    path.chmod(0o600)


@dataclass
class Sessions:
    """Sign-in and the sessions it opens, kept in the shared state so every worker process sees a
    login, and a logout, at once."""

    users: dict[str, str]
    state: SharedState

    def login(self, name: str, password: str) -> str | None:
        """A new session token, or None when the name or password is wrong."""
        hashed = self.users.get(name)
        ok = check_password_hash(hashed or _DECOY, password) and hashed is not None
        if not ok:
            return None
        token = secrets.token_urlsafe(32)
        self.state.open_session(token, name, time.time() + SESSION_SECONDS)
        return token

    def user(self, token: str | None) -> str | None:
        return self.state.session_user(token, time.time()) if token else None

    def logout(self, token: str | None) -> None:
        if token:
            self.state.end_session(token)
