"""Graph reads for the collector, through the import's msgraph-sdk client (`client.GraphClient`).

Why the import's client: one sign-in (azure-identity, or the loopback credential of the emulator),
one configurable base URL, one pacing (`RateLimiter`) and one retry policy for both directions.
Reads are idempotent, so 429 (after Retry-After), 5xx and broken connections are retried there;
what is left here is the verdict:
- 401 stops the run (the credential is wrong or was revoked);
- 400, 403, 404 and 410 refuse one item (a team the app may not read, a file it may not open, a
  shared channel of another tenant): `Refused`, which the walk records and goes on;
- retries that run out stop the run with a message saying a rerun resumes.
Like the import, JSON is read as plain JSON through the SDK's request adapter, not parsed into its
typed models: the raw answers are what a collection keeps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

from rsemigrate.errors import InputError
from rsemigrate.http import RemoteError, RetryPolicy, parse_retry_after, rebase, retry_wait

from ..client import ERRORS, GraphClient, GraphFailure, GraphUnavailable, response_header, with_headers
from . import wire

#: statuses that refuse one item, not the whole run.
REFUSING = frozenset({400, 403, 404, 410})
RETRYING = frozenset({429, 500, 502, 503, 504})
READ_POLICY = RetryPolicy(attempts=8, backoff=1.0, max_wait=120.0)
_CHUNK = 1 << 20


class Refused(Exception):
    """Graph refused one read for a reason that does not condemn the whole run."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def record(self, **context: object) -> dict[str, Any]:
        """What a `refused.json` or a sidecar keeps of it."""
        return {**context, "status": self.status, "error": {"code": self.code, "message": self.message}}


async def get_json(g: GraphClient, key: str, path: str) -> dict[str, Any]:
    """GET one Graph path or absolute link (a nextLink), as JSON. Every read asks for the enum
    members Graph added after v1.0 (`wire.PREFER`): without it a system event's `messageType`
    is `unknownFutureValue`, which says nothing of what the message is."""
    try:
        return await g.send_json(key, "GET", path, idempotent=True, headers=wire.PREFER) or {}
    except (GraphFailure, GraphUnavailable) as exc:
        raise _verdict(exc, path) from None


async def get_bytes(g: GraphClient, key: str, path: str) -> tuple[bytes, str | None]:
    """GET one Graph path's raw content (a hosted content's `$value`) and its Content-Type."""
    option, _ = with_headers()
    info = RequestInformation(Method.GET)
    info.url = rebase(path, g.graph_url) if path.startswith("http") else g.url(path)
    info.add_request_options([option])
    try:
        raw = await g.call(
            key, lambda: g.adapter.send_primitive_async(info, "bytes", ERRORS), idempotent=True
        )
    except (GraphFailure, GraphUnavailable) as exc:
        raise _verdict(exc, path) from None
    return raw or b"", response_header(option, "Content-Type")


def _verdict(exc: GraphFailure | GraphUnavailable, path: str) -> Exception:
    if isinstance(exc, GraphUnavailable):
        return RemoteError(f"GET {path}: {_resume_hint(str(exc))}")
    if exc.status == 401:
        return InputError(f"GET {path}: Graph refused the app's token ({exc.code}: {exc.message}); check "
                          "the tenant, client id and secret or certificate")
    if exc.status in REFUSING:
        return Refused(exc.status, exc.code, exc.message)
    return RemoteError(f"GET {path}: {exc}")


def _resume_hint(text: str) -> str:
    return text.split(";")[0] + "; nothing is lost: run the same command again and the collection resumes"


async def download(http: httpx.AsyncClient, url: str, target: Path, policy: RetryPolicy = READ_POLICY) -> int:
    """Stream a pre-authenticated download URL (no token is sent) into `target`; its size.

    Raises Refused for an answer that retrying will not change, RemoteError when retries run out."""
    for attempt in range(1, policy.attempts + 1):
        wait: float | None = None
        try:
            async with http.stream("GET", url) as response:
                if response.status_code == 200:
                    size = 0
                    fh = await asyncio.to_thread(target.open, "wb")
                    try:
                        async for chunk in response.aiter_bytes(_CHUNK):
                            await asyncio.to_thread(fh.write, chunk)
                            size += len(chunk)
                    finally:
                        fh.close()
                    return size
                if response.status_code not in RETRYING:
                    raise Refused(response.status_code, "download", response.reason_phrase)
                wait = parse_retry_after(response.headers.get("Retry-After"))
        except httpx.TransportError as exc:
            if attempt == policy.attempts:
                raise RemoteError(f"download of a drive file broke off ({type(exc).__name__}); "
                                  "run the same command again and the collection resumes") from None
        if attempt < policy.attempts:
            await asyncio.sleep(retry_wait(policy, attempt, wait))
    raise RemoteError(
        "a drive file kept failing to download; run the same command again and the collection resumes"
    )
