"""Named crash points, so tests can `kill -9` an import at an exact instant.

Why: crash safety is only proven by crashing. `RSEMIGRATE_CRASH_AT=NAME` (or `NAME#N` for the
N-th time the point is reached) makes the process send itself SIGKILL there: no cleanup, no
flushing, exactly like a power cut of the process. Points are named `<what>-<moment>`:
`-sending` after the write-ahead record and before the request, `-applied` after the target
accepted a write and before the ledger records it (the hardest case), `-recorded` after both.
Unset (always, outside tests) it costs one dictionary lookup per point.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "RSEMIGRATE_CRASH_AT"
_seen: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """SIGKILL this process if `RSEMIGRATE_CRASH_AT` names this point (and occurrence)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _seen[name] += 1
    if _seen[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
