"""Throttling like Graph's: token buckets per conversation and per tenant, 429 with Retry-After.

Defaults follow the import docs (5 requests/s per channel) and the Teams throttling table
(50 requests/s per app per tenant for channel message posts). A bucket holds one second's worth
of requests, so short bursts pass and sustained excess is refused. A rate of 0 disables a bucket.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Throttle:
    per_conversation: float = 5.0
    tenant: float = 50.0
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0

    def _take(self, key: str, rate: float, now: float) -> float | None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, now)
        bucket.tokens = min(rate, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / rate

    def admit(self, conversation: str | None, now: float) -> int | None:
        """None when the request may proceed, else the Retry-After in whole seconds (>= 1)."""
        with self._lock:
            wait = self._take("tenant", self.tenant, now) if self.tenant > 0 else None
            if wait is None and conversation and self.per_conversation > 0:
                wait = self._take("conv:" + conversation, self.per_conversation, now)
                if wait is not None and self.tenant > 0:
                    self._buckets["tenant"].tokens += 1  # refused: give the tenant token back
            if wait is None:
                return None
            self.refused += 1
            return max(1, math.ceil(wait))
