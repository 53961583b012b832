"""The `serve` command: a read-only browser window onto one or more archives."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("archives", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback requires --auth.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--auth", "auth_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Users file (NAME:HASH a line): readers must sign in.")
@click.option("--access-log", type=click.Path(path_type=Path, dir_okay=False),
              help="Append-only JSONL of who viewed, searched and downloaded what. "
                   "Default: FIRST-ARCHIVE.access.jsonl beside its index.")
@click.option("--workers", type=click.IntRange(1, 256), metavar="N",
              help="Server processes, each answering many requests at once.  "
                   "[default: the number of CPUs this process may use]")
@click.option("--add-user", metavar="NAME",
              help="Add a user to the --auth file (the password is asked for), then exit.")
def serve(archives: tuple[Path, ...], host: str, port: int, auth_file: Path | None, access_log: Path | None,
          workers: int | None, add_user: str | None) -> None:
    """Serve ARCHIVES read-only in a browser: search, threads, people and verified files.

    Builds or reuses each archive's search index, prints the URL, and opens nothing by itself.
    """
    from ..viewer import (
        AccessLog,
        Sessions,
        SharedState,
        Viewer,
        check_exposure,
        default_location,
        default_workers,
        open_shelf,
        read_users,
    )
    from ..viewer import add_user as add
    from ..viewer import serve as run
    from .search import _progress

    if add_user is not None:
        if auth_file is None:
            raise click.UsageError("--add-user needs --auth FILE")
        add(auth_file, add_user, click.prompt(f"Password for {add_user}", hide_input=True,
                                              confirmation_prompt=True))
        click.echo(f"Added {add_user} to {auth_file}", err=True)
        return
    check_exposure(host, auth_file is not None)  # before any indexing
    users = read_users(auth_file) if auth_file else None
    state = SharedState.private()
    try:
        with _progress() as progress:
            shelf = open_shelf(list(archives), progress, state)
        log = AccessLog(access_log or default_location(shelf[0].index))
        viewer = Viewer(shelf, log, Sessions(users, state) if users else None)
        workers = workers or default_workers()

        def ready(url: str) -> None:
            click.echo(f"Serving {len(shelf)} archive(s) read-only at {url}")
            click.echo(f"{workers} worker process(es). Access log: {log.path}. Ctrl-C stops.", err=True)

        run(viewer, host, port, ready, workers)
    finally:
        state.remove()
