"""How many worker processes to start by default: one per CPU this process may use."""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker per CPU this process may run on (Linux knows which; elsewhere, every CPU)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
