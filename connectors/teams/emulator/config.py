"""What an emulated tenant is started with: identity, apps, users, limits and seeded content.

Its own module so that the request handlers (`call.py`) and the server can both name it without
importing each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..render import MAX_REACTIONS, TEAMS_LIMIT_BYTES
from .state import DEFAULT_TENANT, App, User


@dataclass
class EmulatorConfig:
    tenant_id: str = DEFAULT_TENANT
    domain: str = "contoso.onmicrosoft.com"
    apps: list[App] = field(default_factory=lambda: [App()])
    users: list[User] = field(default_factory=list)
    per_channel_rps: float = 5.0
    tenant_rps: float = 50.0
    max_message_bytes: int = TEAMS_LIMIT_BYTES
    max_reactions: int = MAX_REACTIONS
    simple_upload_max: int = 250 * 1000 * 1000
    upload_session_seconds: int = 3600
    #: how many polls of a team-creation operation answer inProgress before succeeded.
    operation_polls: int = 0
    seed: int | None = 0
    clock: Callable[[], float] = time.time
    log_requests: bool = False
    #: saved Teams collections (folders or zips) whose content the tenant starts with (seed.py).
    content: list[Path] = field(default_factory=list)
    #: replies inside each root answered with `$expand=replies` (Graph: 1000).
    expanded_replies: int = 1000
