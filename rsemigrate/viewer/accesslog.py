"""Who viewed which thread, ran which query, downloaded which file, and when: auditing the auditors.

An append-only JSONL file: one line per event, flushed at once, never rewritten.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..archive import format_utc


class AccessLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(path, "ab", buffering=0)  # noqa: SIM115 (open for the server's lifetime)
        self._lock = threading.Lock()

    def record(self, who: str, action: str, **detail: Any) -> None:
        line = orjson.dumps({"at": format_utc(datetime.now(UTC)), "who": who, "action": action, **detail})
        with self._lock:
            self._out.write(line + b"\n")

    def close(self) -> None:
        self._out.close()


def default_location(index: Path) -> Path:
    """Beside the (first) archive's index: ARCHIVE.access.jsonl."""
    return index.with_name(index.name.removesuffix(".index.sqlite") + ".access.jsonl")
