"""The application-service registration: the YAML a homeserver loads, and the token the import uses.

Why an appservice: only an application service may act as other users (identity assertion,
`?user_id=`) and back-date events (`?ts=`), and `rate_limited: false` exempts it from the
homeserver's per-user message limits. The registration lists what the service may act for:
every virtual user (`@<user_prefix>…`, exclusive), every room alias it creates
(`#<alias_prefix>…`, exclusive) and, non-exclusively, each existing account the users mapping
names, so those people post as themselves.

The YAML is written without a YAML library: every scalar is a JSON string, which is valid YAML.
The tokens are generated once and kept when the file is written again (a homeserver that loaded
the old file keeps working once restarted). They are read from the environment or a file and
never printed or logged (the CLI prints the file's path, not its content).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from rsemigrate.errors import InputError

SERVICE_ID = "rsemigrate"
_TOKEN_LINE = re.compile(r'^(as_token|hs_token):\s*"([^"\\]+)"\s*$', re.MULTILINE)


@dataclass(frozen=True)
class Namespaces:
    """Who and what the service acts for on one homeserver."""

    server_name: str
    user_prefix: str
    alias_prefix: str
    sender_localpart: str
    #: existing accounts (full Matrix ids) the users mapping names: asserted, never registered.
    existing: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        return f"@{self.sender_localpart}:{self.server_name}"

    def user_regex(self) -> str:
        return f"@{re.escape(self.user_prefix)}.*:{re.escape(self.server_name)}"

    def alias_regex(self) -> str:
        return f"#{re.escape(self.alias_prefix)}.*:{re.escape(self.server_name)}"

    def is_virtual(self, user_id: str) -> bool:
        return re.fullmatch(self.user_regex(), user_id) is not None


@dataclass(frozen=True)
class Tokens:
    #: what the service sends to the homeserver (the import's bearer token).
    as_token: str
    #: what the homeserver would send to the service (unused: `url` is null), required by the format.
    hs_token: str

    def __repr__(self) -> str:  # never show a token in a traceback or a log line
        return "Tokens(as_token=REDACTED, hs_token=REDACTED)"


def new_tokens() -> Tokens:
    return Tokens(secrets.token_urlsafe(32), secrets.token_urlsafe(32))


def read_tokens(path: Path) -> Tokens:
    """The tokens of a registration file this tool wrote."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the appservice registration: {exc.strerror}", file=str(path)) from None
    found = dict(_TOKEN_LINE.findall(text))
    if set(found) != {"as_token", "hs_token"}:
        raise InputError(
            "no as_token/hs_token lines: not a registration written by `rsemigrate matrix register`",
            file=str(path),
        )
    return Tokens(found["as_token"], found["hs_token"])


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def registration_yaml(ns: Namespaces, tokens: Tokens) -> str:
    """The registration file's text (see the module doc)."""
    users = [f"    - exclusive: true\n      regex: {_q(ns.user_regex())}"]
    users += [
        f"    - exclusive: false\n      regex: {_q(re.escape(user_id))}"
        for user_id in sorted(set(ns.existing))
    ]
    return "\n".join([
        "# Application service registration for rsemigrate (written by `rsemigrate matrix register`).",
        "# Keep it secret: the tokens below let their holder act as every user listed in `namespaces`.",
        f"id: {_q(SERVICE_ID)}",
        "url: null                # the import only calls the homeserver; nothing is pushed to it",
        f"as_token: {_q(tokens.as_token)}",
        f"hs_token: {_q(tokens.hs_token)}",
        f"sender_localpart: {_q(ns.sender_localpart)}",
        "rate_limited: false      # exempt the import from per-user message rate limits",
        "namespaces:",
        "  users:",
        *users,
        "  aliases:",
        f"    - exclusive: true\n      regex: {_q(ns.alias_regex())}",
        "  rooms: []",
        "",
    ])


def write_registration(path: Path, ns: Namespaces, *, renew: bool = False) -> Tokens:
    """Write the registration (mode 0600), keeping the tokens of an existing file unless `renew`."""
    tokens = read_tokens(path) if path.exists() and not renew else new_tokens()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(registration_yaml(ns, tokens))
    os.chmod(path, 0o600)
    return tokens


def load_as_token(env: str, registration: Path | None) -> str:
    """The as_token: from the environment variable `env`, else from the registration file."""
    token = os.environ.get(env, "").strip()
    if token:
        return token
    if registration is None:
        raise InputError(f"no appservice token: set {env}, or [matrix] registration to the file "
                         "`rsemigrate matrix register` wrote")
    if not registration.is_file():
        raise InputError(
            f"no appservice registration at {registration}: run `rsemigrate matrix register --plan "
            f"PLAN` first (or set {env})"
        )
    return read_tokens(registration).as_token
