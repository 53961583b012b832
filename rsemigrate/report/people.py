"""People of interest (`--people`) and keyed pseudonyms (`--pseudonymise`).

The people file is a CSV with an `email` and a `role` column (executive, manager…); one person a
line. Pseudonyms are HMAC-SHA256 of the user's id under a secret key, so the same person gets
the same pseudonym in every report made with that key, and nobody without the key can go back
from a pseudonym to a name. The key comes from the environment or a file and is never written.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from ..archive import User
from ..errors import InputError

KEY_ENV = "RSEMIGRATE_PSEUDONYM_KEY"
PSEUDONYM_DOMAIN = "pseudonym.invalid"
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class Interest:
    email: str
    role: str


def read_people(path: Path) -> list[Interest]:
    """The people of interest, in file order; a line without an email or a role is an error."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = {c.strip().lower(): c for c in reader.fieldnames or []}
            if "email" not in columns or "role" not in columns:
                raise InputError("needs a header with the columns email and role", file=str(path), line=1)
            people: dict[str, Interest] = {}
            for row in reader:
                email = (row[columns["email"]] or "").strip().lower()
                role = (row[columns["role"]] or "").strip()
                if not email or "@" not in email or not role:
                    raise InputError(f"needs an email and a role, found {email!r} and {role!r}",
                                     file=str(path), line=reader.line_num)
                people.setdefault(email, Interest(email, role))
    except OSError as exc:
        raise InputError(f"cannot read the people file ({exc.strerror})", file=str(path)) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"not a UTF-8 CSV ({exc})", file=str(path)) from None
    return list(people.values())


def pseudonym_key(key_file: Path | None) -> bytes:
    """The secret: the file's bytes when given, else the environment variable; too short is refused."""
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise InputError(f"cannot read the pseudonym key ({exc.strerror})", file=str(key_file)) from None
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if len(key) < MIN_KEY_BYTES:
        where = str(key_file) if key_file else f"${KEY_ENV}"
        raise InputError(f"--pseudonymise needs a secret key of at least {MIN_KEY_BYTES} bytes in {where} "
                         f"(for example: export {KEY_ENV}=$(openssl rand -hex 32))")
    return key


@dataclass(frozen=True)
class Naming:
    """How people appear in a report: as themselves, or as keyed pseudonyms."""

    key: bytes | None = None

    def pseudonym(self, identity: str) -> str:
        assert self.key is not None
        return "P-" + hmac.new(self.key, identity.encode(), hashlib.sha256).hexdigest()[:10]

    def name(self, user: User) -> str:
        return self.pseudonym(user.id) if self.key else user.name

    def person(self, email: str, user: User | None) -> tuple[str, str]:
        """(name, email) of a person of interest, found in the archive as `user` or not."""
        if not self.key:
            return (user.name if user else email), email
        alias = self.pseudonym(user.id if user else email)
        return alias, f"{alias.lower()}@{PSEUDONYM_DOMAIN}"
