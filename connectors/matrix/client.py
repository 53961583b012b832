"""The Matrix client-server API as the appservice speaks it: httpx, our pacing, polite retries.

Every request waits for a slot of the `RateLimiter` (per room and overall) and is retried by
tenacity after `Retry-After` or `retry_after_ms` (or exponential back-off, `rsemigrate.http`'s
policy):
- 429 always (a throttled request was not applied), and the limiter holds that room;
- a request that never left (connection refused) always;
- 5xx and broken connections only when repeating the request is harmless (`safe_retry`: reads,
  state events, registrations, uploads). A message send raises `Uncertain` instead, and the
  poster reads the room back before sending again: Synapse's transaction-id cache would
  deduplicate a retry, but it forgets after a restart, so it is never relied on alone.
The token goes in the Authorization header only, and no error message ever contains it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import orjson

from rsemigrate.http import (
    Again,
    CallStats,
    RetryPolicy,
    Uncertain,
    async_retrying,
    parse_retry_after,
    redact,
)
from rsemigrate.migrate import RateLimiter, Unavailable

CLIENT = "/_matrix/client/v3"
#: statuses after which a request may or may not have been applied.
UNKNOWN_OUTCOME = frozenset({500, 502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: writes keep trying through a homeserver restart or a throttling storm.
WRITE_POLICY = RetryPolicy(attempts=12, backoff=0.5, max_wait=60.0)


class MatrixError(Exception):
    """The homeserver answered with an error that retrying will not change."""

    def __init__(self, status: int, errcode: str, error: str) -> None:
        super().__init__(f"{status} {errcode}: {error}")
        self.status, self.errcode, self.error = status, errcode, error


class MatrixUnavailable(Unavailable):
    """The homeserver kept failing (retries exhausted); the ledger keeps the state for --resume."""


def q(value: str) -> str:
    """One path segment (a room id, a user id, an alias, an event type)."""
    return quote(value, safe="")


def _error(response: httpx.Response) -> MatrixError:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return MatrixError(response.status_code, str(body.get("errcode") or "M_UNKNOWN"),
                       str(body.get("error") or response.reason_phrase))


def _wait_asked(response: httpx.Response) -> float | None:
    asked = parse_retry_after(response.headers.get("Retry-After"))
    if asked is None:
        try:
            ms = orjson.loads(response.content).get("retry_after_ms")
        except (orjson.JSONDecodeError, AttributeError):
            ms = None
        asked = ms / 1000 if isinstance(ms, (int, float)) else None
    return asked


class MatrixClient:
    """One homeserver, as the appservice (its `as_token`), for one run."""

    def __init__(self, base_url: str, token: str, limiter: RateLimiter, policy: RetryPolicy = WRITE_POLICY,
                 timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter, self.policy, self.stats = limiter, policy, CallStats()
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "rsemigrate"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, key: str, method: str, path: str, *, params: dict[str, Any] | None = None,
                   json: Any = None, content: bytes | None = None, content_type: str | None = None,
                   safe_retry: bool = True) -> dict[str, Any]:
        """The JSON answer to one request under the limits, with retries (see the module doc).

        Raises MatrixError for an error answer, Uncertain when an unsafe request may have been
        applied, MatrixUnavailable when the attempts run out."""
        headers = {"Content-Type": content_type} if content_type else None
        body = orjson.dumps(json) if json is not None else content
        if json is not None:
            headers = {"Content-Type": "application/json"}
        try:
            async for attempt in async_retrying(self.policy, self.stats):
                with attempt:
                    return await self._once(key, method, path, params, body, headers, safe_retry)
        except Again:
            raise MatrixUnavailable(
                f"the homeserver kept failing after {self.policy.attempts} attempts "
                f"({method} {path.split('?')[0]}); nothing is lost: resume later with --resume"
            ) from None
        raise AssertionError("unreachable: tenacity returns, retries or re-raises")

    async def _once(self, key: str, method: str, path: str, params: dict[str, Any] | None, body: bytes | None,
                    headers: dict[str, str] | None, safe_retry: bool) -> dict[str, Any]:
        await self.limiter.acquire(key)
        self.stats.requests += 1
        try:
            response = await self._http.request(method, path, params=params, content=body, headers=headers)
        except _NOT_SENT:
            raise Again(None) from None
        except httpx.TransportError as error:
            if not safe_retry:
                raise Uncertain(redact(f"connection lost: {type(error).__name__}", self._token)) from None
            raise Again(None) from None
        if response.status_code == 429:
            self.stats.throttled += 1
            wait = _wait_asked(response)
            self.limiter.hold(key, wait if wait is not None else self.policy.backoff)
            raise Again(wait)
        if response.status_code in UNKNOWN_OUTCOME:
            if not safe_retry:
                raise Uncertain(f"{response.status_code} from the homeserver")
            raise Again(_wait_asked(response))
        if response.status_code >= 400:
            raise _error(response)
        return dict(orjson.loads(response.content or b"{}"))


    # ── the calls the import makes ─────────────────────────────────────────────────────────────

    async def whoami(self, user_id: str | None = None) -> str:
        params = {"user_id": user_id} if user_id else None
        return str((await self.call("server", "GET", f"{CLIENT}/account/whoami", params=params))["user_id"])

    async def register(self, localpart: str) -> None:
        """Create a virtual user; one that exists already is fine."""
        try:
            await self.call("server", "POST", f"{CLIENT}/register",
                            json={"type": "m.login.application_service", "username": localpart,
                                  "inhibit_login": True})
        except MatrixError as error:
            if error.errcode != "M_USER_IN_USE":
                raise

    async def set_displayname(self, user_id: str, name: str) -> None:
        await self.call(
            "server",
            "PUT",
            f"{CLIENT}/profile/{q(user_id)}/displayname",
            params={"user_id": user_id},
            json={"displayname": name},
        )

    async def create_room(self, key: str, body: dict[str, Any]) -> str:
        return str((await self.call(key, "POST", f"{CLIENT}/createRoom", json=body))["room_id"])

    async def resolve_alias(self, key: str, alias: str) -> str | None:
        try:
            return str((await self.call(key, "GET", f"{CLIENT}/directory/room/{q(alias)}"))["room_id"])
        except MatrixError as error:
            if error.status == 404:
                return None
            raise

    async def delete_alias(self, key: str, alias: str) -> None:
        """Remove an alias of the appservice's namespace; one already gone is fine."""
        try:
            await self.call(key, "DELETE", f"{CLIENT}/directory/room/{q(alias)}")
        except MatrixError as error:
            if error.status != 404:
                raise

    async def join(self, key: str, room_id: str) -> None:
        """Join a room as the appservice's own user."""
        await self.call(key, "POST", f"{CLIENT}/rooms/{q(room_id)}/join", json={})

    async def state(
        self, key: str, room_id: str, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        try:
            return await self.call(
                key, "GET", f"{CLIENT}/rooms/{q(room_id)}/state/{q(event_type)}/{q(state_key)}"
            )
        except MatrixError as error:
            if error.status == 404:
                return None
            raise

    async def put_state(
        self,
        key: str,
        room_id: str,
        event_type: str,
        state_key: str,
        content: dict[str, Any],
        *,
        as_user: str | None = None,
        ts: int | None = None,
    ) -> str:
        params: dict[str, Any] = {}
        if as_user:
            params["user_id"] = as_user
        if ts is not None:
            params["ts"] = ts
        made = await self.call(
            key,
            "PUT",
            f"{CLIENT}/rooms/{q(room_id)}/state/{q(event_type)}/{q(state_key)}",
            params=params or None,
            json=content,
        )
        return str(made.get("event_id"))

    async def send(self, key: str, room_id: str, event_type: str, txn: str, content: dict[str, Any], *,
                   sender: str, ts: int) -> str:
        made = await self.call(key, "PUT", f"{CLIENT}/rooms/{q(room_id)}/send/{q(event_type)}/{q(txn)}",
                               params={"user_id": sender, "ts": ts}, json=content, safe_retry=False)
        return str(made["event_id"])

    async def upload(self, key: str, name: str, mimetype: str, data: bytes) -> str:
        made = await self.call(
            key,
            "POST",
            "/_matrix/media/v3/upload",
            params={"filename": name},
            content=data,
            content_type=mimetype,
        )
        return str(made["content_uri"])

    async def messages(self, key: str, room_id: str, *, direction: str, start: str | None = None,
                       limit: int = 500) -> dict[str, Any]:
        params: dict[str, Any] = {"dir": direction, "limit": limit}
        if start:
            params["from"] = start
        return await self.call(key, "GET", f"{CLIENT}/rooms/{q(room_id)}/messages", params=params)
