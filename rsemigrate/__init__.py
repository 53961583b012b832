"""rsemigrate: move enterprise social network content between platforms, losing nothing.

Data flows one way: source → connector → archive → transforms → target connector.
"""

from .archive import Archive
from .connector import Connector
from .errors import ArchiveError, InputError, RsemigrateError, UnsafeInputError
from .exporter import ExportInfo, run_export

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
