"""rsemigrate: move enterprise social network content between platforms, losing nothing.

Data flows one way: source → connector → archive → transforms → target connector.
"""

from .errors import ArchiveError, InputError, RsemigrateError, UnsafeInputError
from .imports import on_first_use

# The archive and export packages bring pydantic: commands that need neither start without it.
__getattr__ = on_first_use(__name__, {
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
