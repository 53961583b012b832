"""rsemigrate: move enterprise social network content between platforms, losing nothing.

Data flows one way: source → connector → archive → transforms → target connector.
"""

import sys

from .errors import ArchiveError, InputError, RsemigrateError, UnsafeInputError
from .imports import load_on_first_use

# The archive and export packages bring pydantic: commands that need neither start without it.
load_on_first_use(sys.modules[__name__], {
    "Archive": ".archive", "Connector": ".export", "ExportInfo": ".export", "run_export": ".export",
})

__all__ = [
    "Archive",
    "ArchiveError",
    "Connector",
    "ExportInfo",
    "InputError",
    "RsemigrateError",
    "UnsafeInputError",
    "run_export",
]
