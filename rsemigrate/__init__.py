"""rsemigrate: move enterprise social network content between platforms, losing nothing.

Data flows one way: source → connector → archive → transforms → target connector.
"""

from .archive import Archive
from .errors import ArchiveError, InputError, RsemigrateError, UnsafeInputError
from .export import Connector, ExportInfo, run_export

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
