"""The export step: a source connector's records into a new sealed archive.

    connector.py  what a source connector declares (`Connector`, `Option`) and receives
    sources.py    the export handed over, as a .zip or a folder, read safely (`SourceTree`)
    jsonfile.py   JSON source files read with a clear error, records dumped for debugging
    exporter.py   the order of work: read → spool → message files → header → seal
    spool.py      the scratch SQLite of keys: duplicates, dangling references, counts, order
    workers.py    the reader process that runs the connector and serialises its records
    parallel.py   a connector's per-row work in worker processes, results in order (`in_workers`)
    census.py     what each connector maps of each source field; the undeclared ones, counted
    quarantine.py one unreadable record becomes a report entry, and the export goes on
"""

from .census import Census, Coverage, Field, coverage_markdown, ignored, kept, kept_all, mapped
from .connector import Connector, Option, collection_beside
from .exporter import ExportInfo, leftover_partials, run_export
from .jsonfile import dump_record, read_json
from .parallel import in_workers
from .quarantine import RECORD_ERRORS, container_time, failure, guarded
from .sources import SourceLimits, SourceTree, open_source
from .spool import Prepared
from .workers import ready, ready_all

__all__ = [
    "RECORD_ERRORS",
    "Census",
    "Connector",
    "Coverage",
    "ExportInfo",
    "Field",
    "Option",
    "Prepared",
    "SourceLimits",
    "SourceTree",
    "collection_beside",
    "container_time",
    "coverage_markdown",
    "dump_record",
    "leftover_partials",
    "failure",
    "guarded",
    "ignored",
    "in_workers",
    "kept",
    "kept_all",
    "mapped",
    "open_source",
    "read_json",
    "ready",
    "ready_all",
    "run_export",
]
