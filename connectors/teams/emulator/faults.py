"""Fault injection: make chosen requests fail the ways real networks and Graph fail.

A fault matches requests by method and a regular expression searched in the path, and fires on
the `nth` match, on `every` k-th match, or on every match, at most `times` times:
- `status` (503 or 504, or any code) answers that status with a Retry-After header;
- `drop` closes the connection before the request is applied (the client sees a reset);
- `lost` applies the request, then closes the connection without answering: the import sees a
  failure although the message was created — exactly what a ledger must reconcile.
Faults are set in Python (`GraphEmulator.faults.add`), over HTTP (`POST /_emulator/faults`) or
on the command line (`--fault "POST /messages$ lost nth=3"`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal

Action = Literal["status", "drop", "lost"]


@dataclass
class Fault:
    action: Action = "status"
    method: str = "*"
    path: str = ".*"
    status: int = 503
    retry_after: int | None = 1
    nth: int | None = None
    every: int | None = None
    times: int | None = 1
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str, *, fire: bool = True) -> bool:
        """Count a matching request; True (and counted as fired) when the fault applies to it.

        With `fire=False` the request is only counted (another fault already applies to it), so
        `nth` and `every` always count every matching request."""
        if self.method not in ("*", method.upper()) or not re.search(self.path, path):
            return False
        self.seen += 1
        if not fire or (self.times is not None and self.fired >= self.times):
            return False
        if self.nth is not None and self.seen != self.nth:
            return False
        if self.every is not None and self.seen % self.every:
            return False
        self.fired += 1
        return True

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """`METHOD PATH-REGEX ACTION [nth=N] [every=N] [times=N|unlimited] [retry_after=S]`;
        ACTION is drop, lost or an HTTP status (503, 504, 500…)."""
        parts = spec.split()
        if len(parts) < 3:
            raise ValueError(f"fault {spec!r}: expected METHOD PATH-REGEX ACTION [key=value…]")
        method, path, action = parts[0].upper(), parts[1], parts[2].lower()
        try:
            re.compile(path)
        except re.error as exc:
            raise ValueError(f"fault {spec!r}: bad path regex: {exc}") from None
        fault = cls(method=method, path=path)
        if action in ("drop", "lost"):
            fault.action = action  # type: ignore[assignment]
        elif action.isdigit():
            fault.status = int(action)
        else:
            raise ValueError(f"fault {spec!r}: action must be drop, lost or an HTTP status")
        for option in parts[3:]:
            key, _, value = option.partition("=")
            if key not in ("nth", "every", "times", "retry_after"):
                raise ValueError(f"fault {spec!r}: unknown option {key!r}")
            setattr(fault, key, None if value == "unlimited" else int(value))
        return fault


@dataclass
class Faults:
    rules: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault | str) -> Fault:
        fault = Fault.parse(fault) if isinstance(fault, str) else fault
        with self._lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> Fault | None:
        """The first fault that applies to this request; every rule counts it."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self.rules:
                if fault.matches(method, path, fire=chosen is None):
                    chosen = fault
        return chosen
