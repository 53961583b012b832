"""The one HTTP layer connectors share: an httpx client that retries politely and keeps its token.

- The bearer token goes only to the origin (scheme, host, port) of `base_url`. A URL on any other
  origin (a CDN, or a hostile link inside an export) is fetched without it, and httpx drops the
  header itself on a redirect that leaves the origin. `rebase` moves a URL the service handed out
  (a paging link, a file link) onto `base_url`, so a configured base also reroutes those.
- 429, 5xx, transport errors and whatever the caller's `throttled` recognises (the Graph API's
  rate-limit error codes in a 400 body, say) are retried: after `Retry-After` when the answer has
  one (seconds or an HTTP date), else with exponential back-off; every wait is capped by
  `RetryPolicy.max_wait`. tenacity drives the loop. When the attempts run out, the last answer is
  returned for the caller to judge; a transport error becomes a `RemoteError`.
- No message ever holds the token: `redact` removes it and every `access_token=` value from any
  text, and every `RemoteError` goes through it. Tokens are sent in a header, never in a URL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from .errors import RsemigrateError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ACCESS_TOKEN = re.compile(r"(access_token=)[^&\s\"'#]+", re.IGNORECASE)
REDACTED = "REDACTED"


class RemoteError(RsemigrateError):
    """A service could not be reached or refused a request; the message names what, never a token."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    #: first back-off in seconds when the answer gives no Retry-After; doubles on each attempt.
    backoff: float = 2.0
    max_wait: float = 300.0


class Again(Exception):
    """A throttled or transient answer: the request is retried after `wait` seconds (None: back off)."""

    def __init__(self, wait: float | None) -> None:
        super().__init__(wait)
        self.wait = wait


class Uncertain(Exception):
    """A non-idempotent request may or may not have been applied: look before sending it again."""


@dataclass
class CallStats:
    """Counts for an import's report: requests sent, answered 429, and retried."""

    requests: int = 0
    throttled: int = 0
    retried: int = 0


def redact(text: str, *secrets: str | None) -> str:
    """`text` without the given secrets and without any `access_token=` query value."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _ACCESS_TOKEN.sub(rf"\g<1>{REDACTED}", text)


def without_params(url: str, *names: str) -> str:
    """`url` with the named query parameters removed (a token a paging link carries, say)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


def rebase(url: str, base_url: str) -> str:
    """`url`'s path and query on `base_url`'s origin (and below its path when `url` is relative)."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    if not parts.scheme:
        path = base.path.rstrip("/") + "/" + parts.path.lstrip("/")
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the answer's Retry-After asks for (a number or an HTTP date), if it has one."""
    return parse_retry_after(response.headers.get("Retry-After", ""))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header value asks for (a number or an HTTP date), if any."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


class Client:
    """GETs against one service. Use as a context manager, or call `close()`."""

    def __init__(self, base_url: str, token: str | None = None, *, retry: RetryPolicy = RetryPolicy(),
                 throttled: Callable[[httpx.Response], bool] | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self._token = token
        self._retry = retry
        self._throttled = throttled
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout, follow_redirects=True,
                                    headers={"User-Agent": "rsemigrate"})

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        """The answer to GET `url` (relative to `base_url` when it has no scheme), body read."""
        return self._send(url, params, stream=False)

    @contextmanager
    def stream(self, url: str) -> Iterator[httpx.Response]:
        """The answer to GET `url` with its body not yet read, for downloads of any size."""
        response = self._send(url, None, stream=True)
        try:
            yield response
        except httpx.TransportError as exc:
            raise RemoteError(self.redact(f"GET {url}: the download broke off ({exc})")) from None
        finally:
            response.close()

    def _send(self, url: str, params: dict[str, str] | None, *, stream: bool) -> httpx.Response:
        if not urlsplit(url).scheme:
            url = rebase(url, self.base_url)
        headers = (
            {"Authorization": f"Bearer {self._token}"}
            if self._token and same_origin(url, self.base_url)
            else {}
        )
        retrying = Retrying(stop=stop_after_attempt(self._retry.attempts), wait=waiting(self._retry),
                            retry=retry_if_exception_type((Again, httpx.TransportError)),
                            sleep=self._sleep, reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    request = self._client.build_request("GET", url, params=params, headers=headers)
                    response = self._client.send(request, stream=stream)
                    if attempt.retry_state.attempt_number < self._retry.attempts and self._retryable(
                        response
                    ):
                        wait = retry_after(response)
                        response.close()
                        raise Again(wait)
                    return response
        except httpx.TransportError as exc:
            raise RemoteError(self.redact(f"GET {url}: {type(exc).__name__}: {exc}")) from None
        except httpx.HTTPError as exc:  # too many redirects, an invalid URL…
            raise RemoteError(self.redact(f"GET {url}: {exc}")) from None
        raise AssertionError("unreachable: tenacity either returns, retries or re-raises")

    def _retryable(self, response: httpx.Response) -> bool:
        if response.status_code in RETRY_STATUSES:
            return True
        if response.status_code >= 400 and self._throttled is not None:
            response.read()
            return self._throttled(response)
        return False

def waiting(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """tenacity's wait: what the last `Again` asked for (Retry-After), else back-off (`retry_wait`)."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return retry_wait(policy, state.attempt_number, error.wait if isinstance(error, Again) else None)

    return wait


def async_retrying(policy: RetryPolicy, stats: CallStats) -> AsyncRetrying:
    """The attempts of one async call: retried on `Again` up to `policy.attempts`, waiting as
    `waiting` says, each retry counted in `stats`; the last `Again` is re-raised."""

    def count(state: RetryCallState) -> None:
        stats.retried += 1

    return AsyncRetrying(stop=stop_after_attempt(policy.attempts), wait=waiting(policy), before_sleep=count,
                         retry=retry_if_exception_type(Again), reraise=True)


def retry_wait(policy: RetryPolicy, attempt: int, asked: float | None) -> float:
    """How long to wait after failed attempt number `attempt`: what Retry-After asked for, else
    exponential back-off; never more than `policy.max_wait`."""
    return min(asked if asked is not None else policy.backoff * 2 ** (attempt - 1), policy.max_wait)
