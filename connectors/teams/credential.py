"""App-only sign-in for the import: azure-identity for Entra ID, a loopback credential for the emulator.

azure-identity insists on an https authority, which is right for Entra ID and impossible for a
local emulator. So an https `login_url` gets azure-identity's `ClientSecretCredential` (or
`CertificateCredential` when `client_certificate_file` is set), and a loopback `http://` URL (the
built-in emulator, nothing else) gets `LoopbackSecretCredential`, a plain client-credentials
request. Both are async token credentials, as msgraph-sdk's auth provider expects.

Secrets come from the environment or a file named in the plan, go only to the token endpoint, and
never appear in a message, a log line or the ledger. azure-identity's own async classes need
aiohttp; the sync ones are used from a worker thread instead, once per token lifetime.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx
from azure.core.credentials import AccessToken

from rsemigrate.errors import InputError
from rsemigrate.http import redact

from .graph import SCOPE, read_secret, token_claims
from .plan import ConnectionSection

#: a token is renewed this long before it expires.
RENEW_SECONDS = 300
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TokenCredential(Protocol):
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Identity:
    """Who the import signs in as: the app (client id) and its tenant, from the token itself."""

    app: str
    tenant: str


class LoopbackSecretCredential:
    """Client credentials against a loopback token endpoint (the emulator): one POST per token."""

    def __init__(self, token_url: str, client_id: str, secret: str) -> None:
        host = urlsplit(token_url).hostname or ""
        if host not in _LOOPBACK and not host.startswith("127."):
            raise InputError(f"an http:// login_url is only accepted on a loopback address (an emulator); "
                             f"use https for {host}")
        self._url, self._client_id, self._secret = token_url, client_id, secret
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        async with self._lock:
            if self._token is None or self._token.expires_on - RENEW_SECONDS < time.time():
                self._token = await self._request(scopes or (SCOPE,))
            return self._token

    async def _request(self, scopes: tuple[str, ...]) -> AccessToken:
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._secret, "scope": " ".join(scopes)}
        try:
            async with httpx.AsyncClient(timeout=30.0) as client:
                response = await client.post(self._url, data=form)
        except httpx.HTTPError as exc:
            raise InputError(
                redact(f"cannot reach the token endpoint {self._url}: {exc}", self._secret)
            ) from None
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code != 200:
            raise InputError(redact(f"sign-in refused ({response.status_code} {body.get('error', '')}): "
                                    f"{body.get('error_description', response.text[:200])}", self._secret))
        return AccessToken(str(body["access_token"]), int(time.time()) + int(body.get("expires_in", 3599)))

    async def close(self) -> None:
        pass


class ThreadedCredential:
    """An azure-identity (sync) credential used from asyncio: tokens are fetched in a worker thread
    and reused until shortly before they expire."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        async with self._lock:
            if self._token is None or self._token.expires_on - RENEW_SECONDS < time.time():
                self._token = await asyncio.to_thread(self._credential.get_token, *(scopes or (SCOPE,)))
            return self._token

    async def close(self) -> None:
        self._credential.close()


def make_credential(
    connection: ConnectionSection, plan_dir: Path, secret: str | None = None
) -> TokenCredential:
    """The credential the plan's [teams] table describes; secrets are read here, never stored.
    `secret`, when given (the Teams source's --client-secret), is used instead of reading one."""
    if not connection.tenant_id or not connection.client_id:
        raise InputError(
            "the import needs teams.tenant_id and teams.client_id in the plan (the app registration)"
        )
    login = connection.login_url.rstrip("/")
    if urlsplit(login).scheme == "http":
        token_url = f"{login}/{quote(connection.tenant_id)}/oauth2/v2.0/token"
        return LoopbackSecretCredential(token_url, connection.client_id,
                                        secret or read_secret(connection, plan_dir, "the import"))
    from azure.identity import CertificateCredential, ClientSecretCredential

    if connection.client_certificate_file:
        path = (plan_dir / connection.client_certificate_file).expanduser()
        if not path.is_file():
            raise InputError("teams.client_certificate_file: no such file", file=str(path))
        password = os.environ.get(connection.client_certificate_password_env) or None
        return ThreadedCredential(CertificateCredential(connection.tenant_id, connection.client_id,
                                                        certificate_path=str(path), password=password,
                                                        authority=login))
    secret = secret or read_secret(connection, plan_dir, "the import")
    return ThreadedCredential(ClientSecretCredential(connection.tenant_id, connection.client_id, secret,
                                                     authority=login))


async def signed_in_as(credential: TokenCredential, connection: ConnectionSection) -> Identity:
    """Sign in once and read who we are from the token (`appid`, `tid`): the ledger records it."""
    try:
        token = await credential.get_token(SCOPE)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - azure-identity raises ClientAuthenticationError and others
        raise InputError(f"sign-in failed for app {connection.client_id}: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    claims = token_claims(token.token)
    return Identity(str(claims.get("appid") or claims.get("azp") or connection.client_id),
                    str(claims.get("tid") or connection.tenant_id))
