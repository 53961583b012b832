"""The `publish` command: a static HTML edition of an archive (docs/productions.md).

Only click is imported at load time; the work happens in `rsemigrate.publish`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from .produce import INDEX, resolved, selection_of, selection_options


@click.command()
@click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The edition folder to create (a sealed BagIt bag); it must not exist.")
@click.option("--search/--no-search", default=True, show_default=True,
              help="Build the Pagefind search index (in-browser full-text search).")
@selection_options
@INDEX
def publish(archive: Path, output: Path, search: bool, query: str | None, channels: tuple[str, ...],
            people: tuple[str, ...], since: datetime | None, until: datetime | None, threads: str,
            index_path: Path | None) -> None:
    """Write ARCHIVE as a static HTML edition that opens from a folder, with no server or network.

    \b
    Open EDITION/index.html in a browser. Search runs when the folder is served by any static
    host (browsers refuse Pagefind's index on file:// URLs); reading needs neither. The
    selection options are those of `produce`; without them the whole archive is published.
    """
    from ..archive import Archive
    from ..publish import publish as run

    selection = selection_of(query, channels, people, since, until, threads)
    opened = Archive(archive)
    done = run(opened, output, search=search, selection=selection,
               chosen=resolved(opened, selection, index_path))
    search = f", {done.indexes} Pagefind index(es)" if done.search else ""
    click.echo(f"{done.path}: {done.channels} channel(s), {done.threads} thread page(s), {done.messages} "
               f"message(s), {done.files} file(s){search}; seal {done.seal}")
