"""Client-side pacing: a rate per key (a channel, a room) under one overall rate (the tenant).

Why: a target that throttles answers 429 once its own buckets are empty, and every 429 costs a
round trip plus the Retry-After wait. Pacing requests evenly below the published limits keeps the
target's buckets from ever emptying, so throughput stays at the ceiling with almost no 429s.

Scheduling follows GCRA: each schedule (a key, the overall one, and any shared limit a request
names) keeps the earliest time of its next request; an acquisition waits until every schedule it
counts toward has room, then takes a slot in each. Slots are not reserved ahead, so a request
queued on one busy limit never delays requests that do not count toward it. A 429's Retry-After
`hold`s a key (or everything) until the target is ready again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class _Schedule:
    interval: float
    #: theoretical arrival time of the next request; "now or later" means no room before it.
    next_at: float = 0.0
    hold_until: float = 0.0


@dataclass
class RateLimiter:
    """`per_key` and `overall` are requests per second; None or 0 means no limit."""

    per_key: float | None
    overall: float | None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _keys: dict[str, _Schedule] = field(default_factory=dict)
    _all: _Schedule = field(init=False)

    def __post_init__(self) -> None:
        self._all = _Schedule(1.0 / self.overall if self.overall else 0.0)

    def _schedule(self, key: str) -> _Schedule:
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = _Schedule(1.0 / self.per_key if self.per_key else 0.0)
        return found

    def _shared(self, name: str, rate: float) -> _Schedule:
        found = self._keys.get(name)
        if found is None:
            found = self._keys[name] = _Schedule(1.0 / rate if rate > 0 else 0.0)
        return found

    def reserve(self, key: str, *shared: tuple[str, float]) -> float:
        """Take a slot for one request to `key` if every schedule it counts toward has room now
        (returns 0), else take nothing and return the seconds until the busiest one may have room.
        `shared` names further limits the request counts toward, each with its own rate (the team
        that holds a channel, a kind of request the target limits on its own)."""
        now = self.clock()
        schedules = (self._schedule(key), self._all, *(self._shared(name, rate) for name, rate in shared))
        wait = max(max(s.next_at, s.hold_until) for s in schedules) - now
        if wait > 0:
            return wait
        for s in schedules:
            s.next_at = max(s.next_at, now) + s.interval
        return 0.0

    async def acquire(self, key: str, *shared: tuple[str, float]) -> None:
        """Wait until every schedule of this request has room, then take its slot. Nothing is
        reserved ahead: a request waiting on a busy limit (its team) never holds back requests
        that do not count toward that limit."""
        while (wait := self.reserve(key, *shared)) > 0:
            await self.sleep(wait)

    def hold(self, key: str | None, seconds: float) -> None:
        """Send nothing to `key` (None: to anything) for `seconds`: the target asked to wait."""
        schedule = self._schedule(key) if key is not None else self._all
        schedule.hold_until = max(schedule.hold_until, self.clock() + seconds)
