"""Package names imported on first use (PEP 562), so that a command loads only what it runs.

`rsemigrate --help` and `rsemigrate search` must start in a fraction of a second; SQLAlchemy
(the ledger) or pydantic (the archive records) would each cost more than that. A package lists
its heavy names here instead of importing them; `from package import Name` still works, and
`__all__` stays complete.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def on_first_use(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each of `names` (name → relative submodule) is
    imported from its submodule when first asked for, then kept as a plain attribute."""

    def __getattr__(name: str) -> Any:
        if (module := names.get(name)) is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
