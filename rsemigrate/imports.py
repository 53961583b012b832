"""Package names imported on first use (PEP 562), so that a command loads only what it runs.

`rsemigrate --help` and `rsemigrate search` must start in a fraction of a second; SQLAlchemy
(the ledger) or pydantic (the archive records) would each cost more than that. A package lists
its heavy names here instead of importing them; `from package import Name` still works, and
`__all__` stays complete.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


def load_on_first_use(package: ModuleType, names: dict[str, str]) -> None:
    """Make each of `names` (name → relative submodule) an attribute of `package` imported from
    its submodule when first asked for, then kept."""

    class LazyPackage(ModuleType):
        def __getattr__(self, name: str) -> Any:
            if (module := names.get(name)) is None:
                raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
            value = getattr(importlib.import_module(module, self.__name__), name)
            setattr(self, name, value)
            return value

        def __setattr__(self, name: str, value: Any) -> None:
            # Importing a submodule makes it an attribute of its package: a name that shares its
            # submodule's name (archive.validate) must stay the name, as an eager import leaves it.
            if not (isinstance(value, ModuleType) and names.get(name) == f".{name}"):
                super().__setattr__(name, value)

    package.__class__ = LazyPackage
