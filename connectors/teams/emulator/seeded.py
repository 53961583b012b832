"""Content that exists in the emulated tenant without having been imported: what a seed loads.

An import writes through the rules of `rules.py` and keeps its payloads; a tenant that has been in
use for years holds things an import cannot make: system events, deleted and edited messages,
reactions, inline images, files that some apps may not open. Seeded objects keep the Graph JSON
they are served as (`graph`), so the read endpoints answer exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .state import Channel, Chat, DriveItem, Message, Team


@dataclass
class Hosted:
    """One hostedContent (an inline image) of a message."""

    content: bytes
    content_type: str = "image/png"
    #: answers 403, as Teams does for some images of people added to a team later.
    refused: bool = False


@dataclass
class SeededMessage(Message):
    graph: dict[str, Any] = field(default_factory=dict)
    hosted: dict[str, Hosted] = field(default_factory=dict)


@dataclass
class SeededTeam(Team):
    graph: dict[str, Any] = field(default_factory=dict)


@dataclass
class SeededChannel(Channel):
    graph: dict[str, Any] = field(default_factory=dict)
    #: user id → roles, for private and shared channels.
    members: dict[str, list[str]] = field(default_factory=dict)
    #: a status every message read of this channel answers (403: a shared channel of another tenant).
    refused: int | None = None


@dataclass
class SeededChat(Chat):
    graph: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SeededItem(DriveItem):
    """A file in a drive, reachable through its sharing URL (`web_url`, a SharePoint-style URL)."""

    mime_type: str = "application/octet-stream"
    #: the app may not open it (403 accessDenied).
    restricted: bool = False
    graph: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The item as it was saved (ids, eTag, dates, author), else as the emulator shapes items."""
        return {**super().json(), "file": {"mimeType": self.mime_type}, **self.graph, "webUrl": self.web_url}
