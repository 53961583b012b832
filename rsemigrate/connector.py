"""The path the 0.1 README documented for `Connector`; kept so third-party connectors keep working.

New code imports `from rsemigrate import Connector` (or `from rsemigrate.export import …`).
"""

from .export import Connector, Option

__all__ = ["Connector", "Option"]
