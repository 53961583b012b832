"""Plugin discovery through entry-point groups: connectors (`rsemigrate.connectors`) here,
targets (`rsemigrate.targets`) in target.py.

Built-in plugins are registered the same way as third-party ones (see pyproject.toml), so
there is one path to test. A plugin that fails to load becomes a warning, not a crash: one broken
package must not stop an export from another platform.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import InputError

if TYPE_CHECKING:
    from .export import Connector

GROUP = "rsemigrate.connectors"
T = TypeVar("T")


def load_plugins(group: str, cls: type[T], name: str | None = None) -> dict[str, T]:
    """name -> declaration, for each entry point of `group` (named `name`, if given) that loads
    and is a `cls`."""
    kind = cls.__name__
    found: dict[str, T] = {}
    for ep in entry_points(group=group) if name is None else entry_points(group=group, name=name):
        try:
            declared = ep.load()
        except Exception as exc:  # a third-party plugin may fail in any way
            warnings.warn(f"{kind} plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=3)
            continue
        if not isinstance(declared, cls):
            warnings.warn(f"{kind} plugin {ep.name!r} ({ep.value}) is not a {kind}; ignored", stacklevel=3)
            continue
        found[declared.name] = declared  # type: ignore[attr-defined]
    return dict(sorted(found.items()))


def lazy(where: str) -> Callable[..., Any]:
    """The function at `module:name`, imported on its first call.

    Declarations are loaded to build `--help` and to list plugins, so they must not import a
    platform's SDK or server; their functions point here instead.
    """
    module, _, name = where.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = name
    return call


@cache
def connectors() -> dict[str, Connector]:
    from .export import Connector  # with pydantic: only commands that read a source load it

    return load_plugins(GROUP, Connector)


def connector(name: str) -> Connector | None:
    """The connector `name`, loading its entry point alone when it has that name: a command for one
    platform need not import every other's reader (a fifth of a second at each start)."""
    from .export import Connector

    return load_plugins(GROUP, Connector, name).get(name) or connectors().get(name)


def source_connector(name: str) -> Connector:
    found = connector(name)
    if found is None or found.read is None:
        known = [n for n, c in connectors().items() if c.read is not None]
        raise InputError(f"no source connector named {name!r}; installed: {', '.join(known) or 'none'}")
    return found
