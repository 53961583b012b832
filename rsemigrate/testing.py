"""Builders for tests, public so that a third-party connector's tests can use them too.

`archive_from_records` runs the real export step (spool, bag writer, seal) over records given
in memory, so a test of anything downstream of the archive starts from a genuine archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from click.testing import CliRunner, Result

from .archive import Attachment, FileStore, Record
from .export import Connector, ExportInfo, SourceTree, run_export

#: A file to store: (attachment without sha256/size, opener of its content).
FileSpec = tuple[Attachment, Callable[[], BinaryIO]]


def memory_connector(records: Iterable[Record | FileSpec], name: str = "memory") -> Connector:
    """A source connector that yields the given records; FileSpecs are stored, then yielded."""

    def read(tree: SourceTree, files: FileStore) -> Iterator[Record]:
        for item in records:
            if isinstance(item, tuple):
                attachment, opener = item
                with opener() as stream:
                    stored = files.put(stream)
                attachment.sha256, attachment.size = stored.sha256, stored.size
                yield attachment
            else:
                yield item

    return Connector(name=name, description="records held in memory (tests)", read=read)


def archive_from_records(
    folder: Path, records: Iterable[Record | FileSpec], name: str = "archive"
) -> ExportInfo:
    """Export `records` into `folder/name`; the (empty) source folder is `folder/name-source`."""
    source = folder / f"{name}-source"
    source.mkdir(parents=True, exist_ok=True)
    return run_export(memory_connector(records), source, folder / name)


def run_cli(*args: object, env: Mapping[str, str] | None = None) -> Result:
    """`rsemigrate ARGS…` run in-process as a user would type it; `env` adds environment variables."""
    from .cli import main

    return CliRunner().invoke(main, [str(a) for a in args], env=dict(env) if env else None)
