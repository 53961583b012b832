"""From `collect teams` options to a signed-in Graph client, then the collector.

Sign-in, client, pacing and retries are the import's (`credential`, `client`): one code path to
trust with a tenant, and the same emulator for rehearsals. What `collect` adds is checking the
options, which arrive as strings from the CLI (or the environment).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from rsemigrate.errors import InputError
from rsemigrate.http import RetryPolicy
from rsemigrate.migrate import RateLimiter

from ..client import GraphClient
from ..credential import make_credential, signed_in_as
from ..plan import ConnectionSection
from . import wire
from .collector import collect_sync
from .fetch import READ_POLICY
from .layout import Request
from .options import DEFAULT_RATE, FILES_MODES, TENANT_RATE


def collect(folder: Path, /, **options: str | None) -> dict[str, int]:
    """The `collect` entry point: options as the CLI gives them (strings), checked here."""
    return collect_with(folder, READ_POLICY, **options)


def collect_with(
    folder: Path,
    policy: RetryPolicy,
    /,
    team: str | None = None,
    user: str | None = None,
    tenant_id: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    client_certificate_file: str | None = None,
    graph_url: str | None = None,
    login_url: str | None = None,
    files: str | None = None,
    rate: str | None = None,
) -> dict[str, int]:
    """`collect` with a retry policy of one's own (tests make it fast)."""
    teams, users = _ids(team), _ids(user)
    if not teams and not users:
        raise InputError("nothing to collect: give --team ID (several: comma-separated) and/or --user UPN")
    if not tenant_id or not client_id:
        raise InputError("signing in needs --tenant-id and --client-id (or RSEMIGRATE_TEAMS_TENANT_ID and "
                         "RSEMIGRATE_TEAMS_CLIENT_ID): the app registration")
    if not client_secret and not client_certificate_file:
        raise InputError("signing in needs the app's secret (--client-secret-file FILE or "
                         "RSEMIGRATE_TEAMS_CLIENT_SECRET) or --client-certificate-file")
    mode = files or "download"
    if mode not in FILES_MODES:
        raise InputError(f"--files must be one of {', '.join(FILES_MODES)}, not {mode!r}")
    graph, login = graph_url or wire.GRAPH_URL, login_url or wire.LOGIN_URL
    for flag, url in (("--graph-url", graph), ("--login-url", login)):
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise InputError(f"{flag} must be an http(s) URL, not {url!r}")
    per_key = _rate(rate)
    request = Request(teams, users, mode, graph.rstrip("/"), tenant_id, None, None)
    connection = ConnectionSection(tenant_id=tenant_id, client_id=client_id, graph_url=graph, login_url=login,
                                   client_certificate_file=client_certificate_file)

    @asynccontextmanager
    async def connect() -> AsyncIterator[GraphClient]:
        credential = make_credential(connection, Path.cwd(), secret=client_secret)
        try:
            await signed_in_as(credential, connection)
            limiter = RateLimiter(per_key or None, TENANT_RATE if per_key else None)
            g = GraphClient(request.graph_url, credential, limiter, policy=policy)
            try:
                yield g
            finally:
                await g.close()
        finally:
            await credential.close()

    return collect_sync(folder, connect, request, secrets=(client_secret or "",))


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def _rate(value: str | None) -> float:
    try:
        rate = float(value if value is not None else DEFAULT_RATE)
    except ValueError:
        raise InputError(f"--rate must be a number of requests per second, not {value!r}") from None
    if rate < 0:
        raise InputError("--rate cannot be negative (0 turns pacing off)")
    return rate
