"""One request as handlers see it, and the answer they give: plain data, no framework types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .rules import bad
from .state import App, Tenant

if TYPE_CHECKING:
    from .config import EmulatorConfig


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


def page(call: Call, items: list[dict[str, Any]], *, top: int = 20, most: int = 50) -> Reply:
    """One page of `items` from `$skiptoken` (default `top`, at most `most`); the
    `@odata.nextLink` keeps every other query option (`$expand`…), as Graph's do."""
    try:
        size = min(most, max(1, int(call.args.get("$top", str(top)))))
        skip = max(0, int(call.args.get("$skiptoken", "0")))
    except ValueError:
        raise bad("$top and $skiptoken must be integers") from None
    out: dict[str, Any] = {"value": items[skip:skip + size]}
    if skip + size < len(items):
        kept = [(k, v) for k, v in call.args.items() if k not in ("$skiptoken", "$top")]
        query = "&".join(f"{k}={quote(v, safe=',')}" for k, v in [*kept, ("$top", str(size)),
                                                                  ("$skiptoken", str(skip + size))])
        out["@odata.nextLink"] = f"{call.base_url}{call.path}?{query}"
    return Reply(200, out)
