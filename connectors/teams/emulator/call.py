"""One request as handlers see it, and the answer they give: plain data, no framework types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .rules import bad
from .state import App, Tenant

if TYPE_CHECKING:
    from . import EmulatorConfig


@dataclass
class Call:
    tenant: Tenant
    app: App | None
    config: EmulatorConfig
    now_ms: int
    params: dict[str, str]
    args: dict[str, str]
    body: bytes
    headers: dict[str, str]
    base_url: str
    path: str = ""
    method: str = "GET"
    #: the emulator's own root URL (upload sessions and file downloads live there).
    root_url: str = ""

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise bad("the request body is not valid JSON") from None

    def need(self, *roles: str) -> App:
        """The calling app, if it holds any of `roles`; else 403 like Graph."""
        from .rules import GraphError

        assert self.app is not None
        if not roles or self.app.roles & set(roles):
            return self.app
        raise GraphError(403, "Forbidden", f"Missing role: this call needs one of {', '.join(roles)} "
                                           "(application permission, admin consent)")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
