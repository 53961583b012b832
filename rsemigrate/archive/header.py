"""`archive.json`: the archive's header, a BagIt tag file covered by the tag manifest.

It says what the archive is (format and version), where it came from (platform, network, the
input's checksum), what it holds (counts, export window) and what has been done to it (an
append-only list of provenance events, PREMIS-style: what, when, by which tool version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from .records import FORMAT_NAME, FORMAT_VERSION, STRICT, Timestamp, UtcString


@dataclass(slots=True)
class Counts:
    __pydantic_config__ = STRICT
    users: int = 0
    groups: int = 0
    channels: int = 0
    threads: int = 0
    messages: int = 0
    deleted_messages: int = 0
    #: messages in direct or group-direct conversations.
    private_messages: int = 0
    attachments: int = 0
    missing_files: int = 0
    #: report entries by action (skipped, quarantined, degraded, duplicate, missing).
    report: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Window:
    """The export window: the oldest and newest message, and what was asked for if known."""

    __pydantic_config__ = STRICT
    first: UtcString | None = None
    last: UtcString | None = None
    requested_since: Timestamp | None = None
    requested_until: Timestamp | None = None


@dataclass(slots=True)
class Source:
    __pydantic_config__ = STRICT
    platform: str
    input_name: str
    input_sha256: str
    network_id: str | None = None
    network_name: str | None = None


@dataclass(slots=True)
class Tool:
    __pydantic_config__ = STRICT
    name: str
    version: str


def tool() -> Tool:
    """This program, as provenance records name it."""
    return Tool("rsemigrate", version("rsemigrate"))


@dataclass(slots=True)
class Event:
    """One provenance event. `input_sha256` is the checksum of what the action consumed."""

    __pydantic_config__ = STRICT
    action: str
    at: UtcString
    tool: Tool
    input_sha256: str | None = None
    outcome: str = "success"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Header:
    __pydantic_config__ = STRICT
    archive_id: str
    created_at: UtcString
    tool: Tool
    source: Source
    window: Window
    counts: Counts
    events: list[Event]
    format: str = FORMAT_NAME
    format_version: str = FORMAT_VERSION
