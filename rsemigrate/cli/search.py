"""The `index`, `search`, `thread` and `hits` commands.

Imports of the search machinery stay inside the functions, so `rsemigrate --help` stays fast.
Every command (re)builds the index first when it is missing or the archive's seal has changed,
with a progress bar on stderr; stdout carries only results.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
import orjson

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..search import Query, SearchBackend

ARCHIVE = click.argument("archive", type=click.Path(path_type=Path, file_okay=False))
INDEX = click.option(
    "--index", "index_path", type=click.Path(path_type=Path, dir_okay=False),
    help="The index file. Default: ARCHIVE.index.sqlite beside the archive folder (never inside it).")


@click.command()
@ARCHIVE
@INDEX
@click.option("--force", is_flag=True, help="Rebuild even if the index matches the archive.")
def index(archive: Path, index_path: Path | None, force: bool) -> None:
    """Build the search index of ARCHIVE, or check that it is current (then nothing is done)."""
    backend, built = _open(archive, index_path, force=force)
    if not built:
        click.echo(f"Index is current (the archive's seal is unchanged): {backend.location}")


@click.command(context_settings={"ignore_unknown_options": True})  # so that -word is a query
@ARCHIVE
@click.argument("query")
@INDEX
@click.option("--sort", type=click.Choice(["newest", "oldest", "relevance"]), default="newest",
              show_default=True, help="Order of the results (relevance needs words to rank).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip this many results (for the next page).")
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching messages.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
def search(archive: Path, query: str, index_path: Path | None, sort: str, limit: int, offset: int,
           count_only: bool, fmt: str) -> None:
    """Find messages in ARCHIVE matching QUERY, newest first (syntax: docs/search.md).

    \b
    Examples:
      rsemigrate search ARCHIVE 'budget "mise à jour" -annulé'
      rsemigrate search ARCHIVE 'from:ann@example.com after:2019-01-01 has:attachment'
      rsemigrate search ARCHIVE 'NEAR(audit incident, 5) OR confor*' --format csv
    """
    from ..search import parse, write_hits_csv, write_hits_json, write_hits_table

    parsed = parse(query)  # before any indexing: a typo should fail at once
    backend, _ = _open(archive, index_path)
    _warn_unmatched(backend, parsed)
    if count_only:
        click.echo(backend.count(parsed))
        return
    hits = backend.search(parsed, sort=sort, limit=limit, offset=offset)  # type: ignore[arg-type]
    out = sys.stdout
    if fmt == "json":
        write_hits_json(hits, out)
    elif fmt == "csv":
        write_hits_csv(hits, out)
    else:
        write_hits_table(hits, styled=out.isatty())
        shown = f"{offset + 1}-{offset + len(hits)}" if hits else "no"
        more = f"; next page: --offset {offset + limit}" if len(hits) == limit else ""
        click.echo(f"({shown} result{'s' if len(hits) != 1 else ''}, {sort} first{more})", err=True)


@click.command()
@ARCHIVE
@click.argument("message_id")
@INDEX
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def thread(archive: Path, message_id: str, index_path: Path | None, fmt: str) -> None:
    """Show the whole thread MESSAGE_ID belongs to, replies nested, attachments re-verified."""
    from ..archive import Archive
    from ..search import build_tree, render_thread, thread_json

    backend, _ = _open(archive, index_path)
    found = backend.thread(message_id)
    root = build_tree(found, Archive(archive))
    if fmt == "json":
        click.echo(orjson.dumps(thread_json(found, root), option=orjson.OPT_INDENT_2).decode())
    else:
        for line in render_thread(found, root, message_id):
            click.echo(line)


@click.command()
@ARCHIVE
@click.option("--terms", "terms_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="One query a line (search syntax); blank lines and # comments are ignored.")
@INDEX
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of stdout.")
def hits(archive: Path, terms_file: Path, index_path: Path | None, fmt: str, output: Path | None) -> None:
    """Search-term hit report: hits, unique hits and threads for each term of a list."""
    from ..archive import seal_of
    from ..search import read_terms, write_term_report_csv, write_term_report_json

    terms = read_terms(terms_file)
    backend, _ = _open(archive, index_path)
    for term in terms:
        _warn_unmatched(backend, term.query, f"{terms_file} line {term.line}: ")
    report = backend.hit_report([term.query for term in terms], with_thread_ids=fmt == "json")
    with _output(output) as out:
        if fmt == "json":
            write_term_report_json(terms, report, out, archive=str(archive), seal=seal_of(archive))
        else:
            write_term_report_csv(terms, report, out)


def _warn_unmatched(backend: SearchBackend, query: Query, where: str = "") -> None:
    """A zero count must not pass for "never discussed" when a name simply matched nobody."""
    from ..search import From

    for name in backend.unmatched(query):
        typed, what = (f"from:{name.who}", "nobody") if isinstance(name, From) else \
            (f"in:{name.where}", "no channel or group")
        click.echo(f"warning: {where}{typed} matches {what} in this archive, so it selects nothing; "
                   "check the spelling", err=True)


def _open(archive_path: Path, index_path: Path | None, *,
          force: bool = False) -> tuple[SearchBackend, bool]:
    """The archive's current index and whether it was (re)built just now (progress on stderr).

    An index built from this very archive (same seal) is used without opening the archive."""
    from ..search import ensure_current, index_location, is_current, open_backend

    backend = open_backend(index_location(archive_path, index_path))
    click.get_current_context().call_on_close(backend.close)
    if not force and is_current(backend, archive_path):
        return backend, False
    from ..archive import Archive

    with _progress() as progress:
        built = ensure_current(backend, Archive(archive_path), progress, force=force)
    if built is not None:
        reason, report = built
        click.echo(f"Indexed {report.messages:,} messages in {report.seconds:.1f} s ({reason}): "
                   f"{report.location}", err=True)
    return backend, built is not None


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress callback for the index build; the bar (rich) is made on its first call, so a
    search on a current index never loads it."""
    with ExitStack() as stack:
        bar: Progress | None = None
        tasks: dict[str, TaskID] = {}

        def update(phase: str, advance: int, total: int | None) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(_bar())
            for other, task in tasks.items():  # a new phase means the previous ones are done
                if other != phase:
                    bar.update(task, visible=False)
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], advance=advance)

        yield update


def _bar() -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        yield out
