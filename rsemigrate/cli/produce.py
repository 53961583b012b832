"""The `produce` command: a selection of an archive as an RSMF 2.0 production (docs/productions.md).

Only click is imported at load time; the work happens in `rsemigrate.produce`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..archive import Archive
    from ..search import Chosen, Selection

ARCHIVE = click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
DAY = click.DateTime(formats=["%Y-%m-%d"])


def selection_options(command: click.Command) -> click.Command:
    """--query, --channel, --person, --from, --to, --threads: the selection shared by outputs."""
    for option in reversed([
        click.option("--query", "-q", help="A search query (the language of `rsemigrate search`)."),
        click.option("--channel", "channels", multiple=True,
                     help="A channel or group, by name or id (repeat for several: any of them)."),
        click.option("--person", "people", multiple=True,
                     help="Messages written by this person: e-mail or name, as search's from: (repeatable)."),
        click.option("--from", "since", type=DAY, help="First day included (YYYY-MM-DD, UTC)."),
        click.option("--to", "until", type=DAY, help="Last day included (YYYY-MM-DD, UTC)."),
        click.option("--threads", type=click.Choice(["hits", "whole"]), default="hits", show_default=True,
                     help="whole: a hit brings in every message of its thread, for context."),
    ]):
        command = option(command)
    return command


def selection_of(query: str | None, channels: tuple[str, ...], people: tuple[str, ...],
                 since: datetime | None, until: datetime | None, threads: str) -> Selection:
    from ..search import Selection

    return Selection(query=query, channels=channels, people=people,
                     since=since.date() if since else None, until=until.date() if until else None,
                     whole_threads=threads == "whole")


def resolved(archive: Archive, selection: Selection, index_path: Path | None) -> Chosen:
    """The selection resolved against the archive's index (built first if needed, progress on
    stderr); a --person or --channel that matches nothing is warned about."""
    from ..search import From, SearchBackend, ensure_current, index_location, open_backend, resolve
    from .search import _progress

    def current_index() -> SearchBackend:
        backend = open_backend(index_location(archive.path, index_path))
        with _progress() as progress:
            ensure_current(backend, archive, progress)
        return backend

    chosen, unmatched = resolve(selection, current_index)
    for name in unmatched:
        typed = f"--person {name.who}" if isinstance(name, From) else f"--channel/in: {name.where}"
        click.echo(f"warning: {typed} matches nothing in this archive, so it selects nothing; "
                   "check the spelling", err=True)
    return chosen


INDEX = click.option("--index", "index_path", type=click.Path(path_type=Path, dir_okay=False),
                     help="The search index. Default: ARCHIVE.index.sqlite beside the archive folder.")


@click.command()
@ARCHIVE
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The production folder to create (a sealed BagIt bag); it must not exist.")
@click.option("--format", "fmt", type=click.Choice(["rsmf"]), default="rsmf", show_default=True)
@selection_options
@click.option("--slice", "period", type=click.Choice(["day", "week", "month", "none"]), default="day",
              show_default=True, help="One file per conversation per period (UTC).")
@click.option("--custodian", help="Who the data was collected from (X-RSMF-Custodian).")
@click.option("--prefix", default="RSMF", show_default=True, help="Control number prefix.")
@click.option("--workers", type=click.IntRange(1, 256), metavar="N",
              help="Processes writing files; the production is the same for any number.  "
                   "[default: the number of CPUs this process may use]")
@INDEX
def produce(archive: Path, output: Path, fmt: str, query: str | None, channels: tuple[str, ...],
            people: tuple[str, ...], since: datetime | None, until: datetime | None, threads: str,
            period: str, custodian: str | None, prefix: str, workers: int | None,
            index_path: Path | None) -> None:
    """Write the selected conversations of ARCHIVE as RSMF 2.0 files with a load file, in a sealed bag.

    \b
    Examples:
      rsemigrate produce ARCHIVE -o prod --query 'audit incident' --threads whole
      rsemigrate produce ARCHIVE -o prod --channel Finance --from 2019-01-01 --to 2019-03-31
    """
    from ..archive import Archive
    from ..cpus import default_workers
    from ..produce import Limits, Options
    from ..produce import produce as run

    selection = selection_of(query, channels, people, since, until, threads)
    opened = Archive(archive)
    chosen = resolved(opened, selection, index_path)
    done = run(opened, output, selection, chosen,
               Options(Limits(period), custodian, prefix),  # type: ignore[arg-type]
               workers or default_workers())
    counts = done.counts
    click.echo(f"{done.path}: {counts.files} RSMF file(s), {counts.conversations} conversation(s), "
               f"{counts.messages} message(s) (+{counts.context_events} thread root(s) as context), "
               f"{counts.attachments} attachment(s); seal {done.seal}")
