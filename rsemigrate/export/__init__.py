"""The export step: a source connector's records into a new sealed archive.

    connector.py  what a source connector declares (`Connector`, `Option`) and receives
    sources.py    the export handed over, as a .zip or a folder, read safely (`SourceTree`)
    jsonfile.py   JSON source files read with a clear error, records dumped for debugging
    exporter.py   the order of work: read → spool → message files → header → seal
    spool.py      the scratch SQLite of keys: duplicates, dangling references, counts, order
    workers.py    the reader process that runs the connector and serialises its records
"""

from .connector import Connector, Option, collection_beside
from .exporter import ExportInfo, leftover_partials, run_export
from .jsonfile import dump_record, read_json
from .sources import SourceLimits, SourceTree, open_source

__all__ = [
    "Connector",
    "ExportInfo",
    "Option",
    "SourceLimits",
    "SourceTree",
    "collection_beside",
    "dump_record",
    "leftover_partials",
    "open_source",
    "read_json",
    "run_export",
]
