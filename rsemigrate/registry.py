"""Connector discovery through the `rsemigrate.connectors` entry-point group.

Built-in connectors are registered the same way as third-party ones (see pyproject.toml), so
there is one path to test. A plugin that fails to load becomes a warning, not a crash: one broken
package must not stop an export from another platform.
"""

from __future__ import annotations

import warnings
from functools import cache
from importlib.metadata import entry_points

from .connector import Connector
from .errors import InputError

GROUP = "rsemigrate.connectors"


@cache
def connectors() -> dict[str, Connector]:
    found: dict[str, Connector] = {}
    for ep in entry_points(group=GROUP):
        try:
            connector = ep.load()
        except Exception as exc:  # a third-party plugin may fail in any way
            warnings.warn(f"connector plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)
            continue
        if not isinstance(connector, Connector):
            warnings.warn(f"connector plugin {ep.name!r} ({ep.value}) is not a Connector; ignored", stacklevel=2)
            continue
        found[connector.name] = connector
    return dict(sorted(found.items()))


def source_connector(name: str) -> Connector:
    known = {n: c for n, c in connectors().items() if c.read is not None}
    if name not in known:
        raise InputError(f"no source connector named {name!r}; installed: {', '.join(known) or 'none'}")
    return known[name]
