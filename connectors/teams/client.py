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

import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
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
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from rsemigrate.http import Again, CallStats, RetryPolicy, Uncertain, parse_retry_after, rebase, retry_wait
from rsemigrate.migrate import RateLimiter, Unavailable

from .credential import TokenCredential
from .graph import SCOPE

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


class GraphFailure(Exception):
    """Graph answered with an error status that retrying will not change."""

    def __init__(self, status: int, code: str, message: str, *, maybe_applied: bool = False) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        #: an earlier attempt of the same request may have been applied (its answer was lost).
        self.maybe_applied = maybe_applied


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
                 policy: RetryPolicy = WRITE_POLICY, timeout: float = 60.0) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.limiter, self.policy, self.stats = limiter, policy, CallStats()
        host = urlsplit(self.graph_url).hostname or ""
        auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])  # type: ignore[arg-type]
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=30.0))
        middleware = [RedirectHandler(), ParametersNameDecodingHandler(), UrlReplaceHandler(), UserAgentHandler(),
                      HeadersInspectionHandler()]
        self.adapter = GraphRequestAdapter(auth, GraphClientFactory.create_with_custom_middleware(middleware,
                                                                                                   client=self.http))
        self.adapter.base_url = self.graph_url
        self.sdk = GraphServiceClient(request_adapter=self.adapter)
        self.uploads = httpx.AsyncClient(timeout=httpx.Timeout(timeout * 5, connect=30.0))

    async def close(self) -> None:
        await self.http.aclose()
        await self.uploads.aclose()

    def url(self, path: str) -> str:
        """An absolute Graph URL for a path the SDK has no builder for (path-based drive items)."""
        return self.graph_url + path

    async def call(self, key: str, send: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        """Send one request (`send` builds and awaits it) under the limits, with retries.

        Raises GraphFailure for an error answer, Uncertain when a non-idempotent request may have
        been applied, GraphUnavailable when the attempts run out."""
        maybe_applied = False
        retrying = AsyncRetrying(stop=stop_after_attempt(self.policy.attempts), wait=self._wait,
                                 retry=retry_if_exception_type(Again), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.stats.retried += 1
                    await self.limiter.acquire(key)
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

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return retry_wait(self.policy, state.attempt_number, error.wait if isinstance(error, Again) else None)


    async def send_json(self, key: str, method: str, path: str, body: dict[str, Any] | None = None, *,
                        idempotent: bool) -> dict[str, Any] | None:
        """`call` for plain JSON through the SDK's request adapter (auth, middleware, errors), without
        its typed models: parsing a chatMessage into them costs ~10 ms of CPU, so the hot paths
        (posts, read-backs, account look-ups) send and read the JSON the dry run measured."""
        info = RequestInformation(Method[method])
        info.url = rebase(path, self.graph_url) if path.startswith("http") else self.url(path)
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.set_stream_content(orjson.dumps(body), "application/json")
        raw = await self.call(key, lambda: self.adapter.send_primitive_async(info, "bytes", ERRORS), idempotent=idempotent)
        return orjson.loads(raw) if raw else None


def with_headers() -> tuple[HeadersInspectionHandlerOption, RequestConfiguration[Any]]:
    """A request configuration that keeps the response headers (the Location of a 202)."""
    option = HeadersInspectionHandlerOption(inspect_response_headers=True)
    return option, RequestConfiguration(options=[option])


def response_header(option: HeadersInspectionHandlerOption, name: str) -> str | None:
    return _first(option.response_headers, name)
