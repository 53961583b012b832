"""Who viewed which thread, ran which query, downloaded which file, and when: auditing the auditors.

An append-only JSONL file: one line per event, never rewritten. Every worker process of the
server writes to the same file, opened once before they fork: each record is one `write` to a
descriptor opened with O_APPEND, which the kernel appends whole, so lines from concurrent
threads and processes never interleave.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..archive import format_utc


class AccessLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)

    def record(self, who: str, action: str, **detail: Any) -> None:
        line = orjson.dumps({"at": format_utc(datetime.now(UTC)), "who": who, "action": action, **detail})
        written = os.write(self._fd, line + b"\n")
        if written != len(line) + 1:  # a regular file only writes short when the disk is full
            raise OSError(f"{self.path}: the access log could not be written whole ({written} of "
                          f"{len(line) + 1} bytes): is the disk full?")

    def close(self) -> None:
        os.close(self._fd)


def default_location(index: Path) -> Path:
    """Beside the (first) archive's index: ARCHIVE.access.jsonl."""
    return index.with_name(index.name.removesuffix(".index.sqlite") + ".access.jsonl")
