"""Throttling like Graph's: token buckets for each documented limit, 429 with Retry-After.

The Teams limits of Graph's throttling-limits page ("Microsoft Teams service limits", per app per
tenant): at most 4 requests/s on a given team or channel (so a chat too), 50/s channel-message
posts, 20/s chat-message posts, 10/s POST /teams, 30/s other Teams calls. A request counts toward
every limit that applies to it and is refused (429, with Retry-After) when any one is empty. A
bucket holds one second's worth of requests, so short bursts pass and sustained excess is
refused. A rate of 0 disables a limit.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Requests per second; the defaults are the documented ones (docs/teams.md cites each)."""

    per_conversation: float = 4.0
    per_team: float = 4.0
    channel_posts: float = 50.0
    chat_posts: float = 20.0
    team_creates: float = 10.0
    teams_calls: float = 30.0
    #: any request at all: no documented Teams limit; for tests that want one overall ceiling.
    overall: float = 0.0


#: no throttling at all.
UNLIMITED = Limits(0, 0, 0, 0, 0, 0, 0)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Throttle:
    limits: Limits = field(default_factory=Limits)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0

    def _wait(self, key: str, rate: float, now: float) -> float:
        """Seconds until `key` has a token (0: now); refills the bucket first."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, now)
        # Threads read the clock before they queue for the lock: a later arrival may carry an
        # earlier time, which must not take tokens back.
        bucket.tokens = min(rate, bucket.tokens + max(0.0, now - bucket.at) * rate)
        bucket.at = max(bucket.at, now)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / rate

    def admit(self, buckets: list[tuple[str, float]], now: float) -> int | None:
        """None when the request may proceed (a token taken from each bucket), else the
        Retry-After in whole seconds (>= 1) and nothing taken."""
        active = [(key, rate) for key, rate in buckets if rate > 0]
        with self._lock:
            wait = max((self._wait(key, rate, now) for key, rate in active), default=0.0)
            if wait <= 0:
                for key, _ in active:
                    self._buckets[key].tokens -= 1
                return None
            self.refused += 1
            return max(1, math.ceil(wait))


def buckets_for(limits: Limits, method: str, path: str, params: dict[str, str]) -> list[tuple[str, float]]:
    """The limits one request counts toward, from its route."""
    out = [("overall", limits.overall)]
    conversation = params.get("channel") or params.get("chat")
    if conversation:
        out.append(("conversation:" + conversation, limits.per_conversation))
    if params.get("team"):
        out.append(("team:" + params["team"], limits.per_team))
    if method == "POST" and path.endswith(("/messages", "/replies")):
        chat = bool(params.get("chat"))
        out.append(("chat-posts", limits.chat_posts) if chat else ("channel-posts", limits.channel_posts))
    elif method == "POST" and path == "/v1.0/teams":
        out.append(("team-creates", limits.team_creates))
    elif path.startswith(("/v1.0/teams", "/v1.0/chats")) or "/chats" in path:
        out.append(("teams-calls", limits.teams_calls))
    return out
