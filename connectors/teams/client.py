"""msgraph-sdk for the import, with our own pacing and retries (the SDK's retry handler is left out).

Why leave it out: kiota's RetryHandler re-sends any POST after a 503 or 504, although a gateway
error may come after the service applied the request; for a team, a channel or a chat that would
create a second one. Here every request goes through `GraphClient.call`: it waits for a slot
of the `RateLimiter` (per conversation and per tenant), and tenacity retries after
`Retry-After` (or exponential back-off):
- 429 always (a throttled request was not applied), and the limiter holds that conversation;
- 503, 504 and broken connections only when the request is idempotent (`idempotent=True`:
  reads, message posts, which Teams deduplicates by createdDateTime, uploads with
  conflictBehavior=fail); a create raises `Uncertain`, and the caller looks before it re-creates.
Payloads are plain Graph JSON (what the dry run measured); `model()` turns them into SDK models.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
import orjson
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware import (
    HeadersInspectionHandler,
    ParametersNameDecodingHandler,
    RedirectHandler,
    UrlReplaceHandler,
    UserAgentHandler,
)
from kiota_http.middleware.options.headers_inspection_handler_option import HeadersInspectionHandlerOption
from kiota_serialization_json.json_parse_node import JsonParseNode
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core import GraphClientFactory

from rsemigrate.http import (
    Again,
    CallStats,
    RetryPolicy,
    Uncertain,
    async_retrying,
    parse_retry_after,
    rebase,
)
from rsemigrate.migrate import RateLimiter, Unavailable

from .credential import TokenCredential
from .graph import SCOPE
from .plan import ConnectionSection

# msgraph's request builders warn about their own deprecated configuration classes on every call
# (msgraph-sdk-python#812); the generic RequestConfiguration is used here.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(msgraph|kiota_abstractions)\.")

T = TypeVar("T")
M = TypeVar("M")
#: statuses after which a request may or may not have been applied.
UNKNOWN_OUTCOME = frozenset({500, 502, 503, 504})
#: never sent: safe to retry even for a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
ERRORS: dict[str, Any] = {"XXX": ODataError}
#: writes keep trying through throttling storms; each wait honours Retry-After.
WRITE_POLICY = RetryPolicy(attempts=12, backoff=1.0, max_wait=120.0)


#: which of Graph's Teams limits a request counts toward (besides its conversation and the tenant).
Kind = Literal["channel-post", "chat-post", "team-create", "teams", "other"]
_POST = re.compile(r"/(messages|replies)/?$")


@dataclass(frozen=True)
class Pace:
    """Graph's per-app-per-tenant Teams limits, kept below by the client (throttling-limits page,
    "Microsoft Teams service limits"): 4 requests/s on a given team, 50/s channel-message posts,
    20/s chat-message posts, 10/s POST /teams, 30/s other Teams calls."""

    per_team: float = 4.0
    channel_posts: float = 50.0
    chat_posts: float = 20.0
    team_creates: float = 10.0
    teams_calls: float = 30.0


def pace_of(connection: ConnectionSection) -> Pace:
    """The plan's [teams] limits."""
    c = connection
    return Pace(c.per_team_rps, c.channel_posts_rps, c.chat_posts_rps, c.team_creates_rps, c.teams_calls_rps)


def request_kind(method: str, path: str) -> Kind:
    """The limit a plain request counts toward: message posts, other Teams calls, or none
    (directory and SharePoint calls are other services)."""
    where = urlsplit(path).path
    if method == "POST" and _POST.search(where):
        return "chat-post" if "/chats/" in where else "channel-post"
    return "teams" if "/teams" in where or "/chats" in where else "other"


class GraphFailure(Exception):
    """Graph answered with an error status that retrying will not change."""

    def __init__(self, status: int, code: str, message: str, *, maybe_applied: bool = False) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        #: an earlier attempt of the same request may have been applied (its answer was lost).
        self.maybe_applied = maybe_applied

    @property
    def advice(self) -> str:
        """What the admin does about it; the ledger keeps everything done so far."""
        if self.status in (401, 403):
            return ("grant the app the permission Graph names, with admin consent (`plan check --online` "
                    "lists them), then run again with --resume")
        if self.status == 404:
            return "it is gone or not provisioned yet: wait a few minutes, then run again with --resume"
        if self.status == 409:
            return ("something with this name or time already exists: see `rsemigrate reconcile`, "
                    "then --resume")
        return ("fix what Graph names (docs/teams.md: rules from the documentation), then run again "
                "with --resume")


class GraphUnavailable(Unavailable):
    """Graph kept failing (retries exhausted); the ledger keeps the state for --resume."""


def model(cls: Callable[..., M], data: dict[str, Any]) -> M:
    """An SDK model parsed from plain Graph JSON (unknown keys land in `additional_data`)."""
    return JsonParseNode(data).get_object_value(cls)  # type: ignore[arg-type]


def _status(error: APIError) -> int:
    return int(error.response_status_code or 0)


def _first(headers: Any, name: str) -> str | None:
    """One header's first value from an httpx or kiota header map (kiota's values are sets)."""
    value = headers.get(name.lower()) if headers is not None else None
    if isinstance(value, (set, list, tuple)):
        return next(iter(value), None)
    return None if value is None else str(value)


def _describe(error: APIError) -> tuple[str, str]:
    main = getattr(error, "error", None)
    code = str(getattr(main, "code", "") or "")
    message = str(getattr(main, "message", "") or error.message or "")
    return code, message


class GraphClient:
    """The SDK client, the limiter and the retry policy for one import run."""

    def __init__(self, graph_url: str, credential: TokenCredential, limiter: RateLimiter,
                 policy: RetryPolicy = WRITE_POLICY, timeout: float = 60.0, pace: Pace | None = None) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.limiter, self.policy, self.stats, self.pace = limiter, policy, CallStats(), pace
        #: conversation (or team) key → its team's key, for the per-team limit.
        self.team_of: dict[str, str] = {}
        host = urlsplit(self.graph_url).hostname or ""
        auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])  # type: ignore[arg-type]
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=30.0))
        middleware = [
            RedirectHandler(),
            ParametersNameDecodingHandler(),
            UrlReplaceHandler(),
            UserAgentHandler(),
            HeadersInspectionHandler(),
        ]
        self.adapter = GraphRequestAdapter(
            auth, GraphClientFactory.create_with_custom_middleware(middleware, client=self.http)
        )
        self.adapter.base_url = self.graph_url
        self.sdk = GraphServiceClient(request_adapter=self.adapter)
        self.uploads = httpx.AsyncClient(timeout=httpx.Timeout(timeout * 5, connect=30.0))

    async def close(self) -> None:
        await self.http.aclose()
        await self.uploads.aclose()

    def url(self, path: str) -> str:
        """An absolute Graph URL for a path the SDK has no builder for (path-based drive items)."""
        return self.graph_url + path

    def _limits(self, key: str, kind: Kind) -> tuple[tuple[str, float], ...]:
        """The shared limits a request to `key` of this kind counts toward, besides key and tenant."""
        pace = self.pace
        if pace is None or kind == "other":
            return ()
        rate = {"channel-post": pace.channel_posts, "chat-post": pace.chat_posts,
                "team-create": pace.team_creates}.get(kind, pace.teams_calls)
        team = self.team_of.get(key)
        limit = ("limit:" + kind, rate)
        return (limit, ("team:" + team, pace.per_team)) if team else (limit,)

    async def call(self, key: str, send: Callable[[], Awaitable[T]], *, idempotent: bool,
                   kind: Kind = "teams") -> T:
        """Send one request (`send` builds and awaits it) under the limits, with retries.

        Raises GraphFailure for an error answer, Uncertain when a non-idempotent request may have
        been applied, GraphUnavailable when the attempts run out."""
        maybe_applied = False
        try:
            async for attempt in async_retrying(self.policy, self.stats):
                with attempt:
                    await self.limiter.acquire(key, *self._limits(key, kind))
                    self.stats.requests += 1
                    try:
                        return await send()
                    except APIError as error:
                        status = _status(error)
                        wait = parse_retry_after(_first(error.response_headers, "Retry-After"))
                        if status == 429:
                            self.stats.throttled += 1
                            self.limiter.hold(key, wait if wait is not None else self.policy.backoff)
                            raise Again(wait) from None
                        if status in UNKNOWN_OUTCOME:
                            if not idempotent:
                                raise Uncertain(f"{status} from Graph") from None
                            maybe_applied = True
                            raise Again(wait) from None
                        code, message = _describe(error)
                        raise GraphFailure(status, code, message, maybe_applied=maybe_applied) from None
                    except _NOT_SENT:
                        raise Again(None) from None
                    except httpx.TransportError as error:
                        if not idempotent:
                            raise Uncertain(f"connection lost: {type(error).__name__}") from None
                        maybe_applied = True
                        raise Again(None) from None
        except Again:
            raise GraphUnavailable(f"Graph kept failing after {self.policy.attempts} attempts; "
                                   "nothing is lost: resume later with --resume") from None
        raise AssertionError("unreachable: tenacity returns, retries or re-raises")



    async def send_json(self, key: str, method: str, path: str, body: dict[str, Any] | None = None, *,
                        idempotent: bool, headers: Mapping[str, str] | None = None) -> dict[str, Any] | None:
        """`call` for plain JSON through the SDK's request adapter (auth, middleware, errors), without
        its typed models: parsing a chatMessage into them costs ~10 ms of CPU, so the hot paths
        (posts, read-backs, account look-ups) send and read the JSON the dry run measured."""
        info = RequestInformation(Method[method])
        info.url = rebase(path, self.graph_url) if path.startswith("http") else self.url(path)
        info.headers.try_add("Accept", "application/json")
        for name, value in (headers or {}).items():
            info.headers.try_add(name, value)
        if body is not None:
            info.set_stream_content(orjson.dumps(body), "application/json")
        raw = await self.call(key, lambda: self.adapter.send_primitive_async(info, "bytes", ERRORS),
                              idempotent=idempotent, kind=request_kind(method, info.url or path))
        return orjson.loads(raw) if raw else None


def with_headers() -> tuple[HeadersInspectionHandlerOption, RequestConfiguration[Any]]:
    """A request configuration that keeps the response headers (the Location of a 202)."""
    option = HeadersInspectionHandlerOption(inspect_response_headers=True)
    return option, RequestConfiguration(options=[option])


def response_header(option: HeadersInspectionHandlerOption, name: str) -> str | None:
    return _first(option.response_headers, name)
