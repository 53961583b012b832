"""A Slack workspace export (zip or folder) into neutral records, one day file at a time.

Order of work: the user lists; each workspace root's Group and channels (from the index files),
then the folders of day files no index lists; then each channel's day files in date order.
Users, channel names and the set of announced file ids are kept in memory; messages never are: a
day file is parsed, turned into records and let go.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from rsemigrate.archive import FileStore, Record, ReportEntry, SourceInfo
from rsemigrate.export import Census, SourceTree

from . import wire
from .coverage import COVERAGE
from .directory import Directory, read_channels, unlisted_channel, workspace
from .files import Downloader, SlackFiles
from .layout import Layout
from .messages import MessageReader


def read(tree: SourceTree, files: FileStore, /, token: str | None = None,
         files_url: str | None = None) -> Iterator[Record]:
    """Every record of the export. With `token`, binaries the export lacks are downloaded from
    `files_url` (files.slack.com unless a rehearsal points it elsewhere)."""
    layout = Layout(tree)
    downloader = Downloader(token, files_url or wire.FILES_ORIGIN) if token else None
    try:
        yield from _read(layout, files, downloader)
    finally:
        if downloader is not None:
            downloader.close()


def _read(layout: Layout, files: FileStore, downloader: Downloader | None) -> Iterator[Record]:
    tree = layout.tree
    directory = Directory()
    yield SourceInfo("slack", None, tree.name.removesuffix(".zip"))
    census = Census(COVERAGE)
    yield from directory.read_users(layout, census)
    yield from directory.read_integrations(layout, census)
    messages = MessageReader(tree, directory, SlackFiles(tree, layout.binaries(), files, downloader), census)
    groups = {}
    folders: list[tuple[str, str]] = []
    # Every index first, so that `<#C…>` reads as `#name` whichever channel's day file mentions it.
    for root in layout.roots:
        group = groups[root.folder] = workspace(layout, root, directory.integration_logs.get(root.folder))
        yield group
        for item in read_channels(layout, root, group, directory, census):
            if isinstance(item, ReportEntry):
                yield item
                continue
            channel, folder = item
            yield channel
            if folder is not None:
                folders.append((channel.id, folder))
    for root, folder in layout.unlisted():
        channel, entry = unlisted_channel(groups[root.folder], folder)
        yield channel
        yield entry
        folders.append((channel.id, folder))
    for channel_id, folder in folders:
        yield from _read_folder(layout, messages, channel_id, folder)
    yield from directory.rebuilt_bots()
    for path in layout.unread():
        yield ReportEntry("skipped", "file", None, f"{path} is not read by the Slack connector: its content "
                          "is not in the archive", location=path)
    yield from census.entries()


def _read_folder(layout: Layout, messages: MessageReader, channel_id: str, folder: str) -> Iterator[Record]:
    days, others = layout.day_files(folder)
    for path in days:
        yield from messages.read_day(channel_id, path)
    for path in others:
        if PurePosixPath(path).suffix == ".json":
            yield ReportEntry("skipped", "file", None, f"{path} is not a day file (YYYY-MM-DD.json); "
                              "not read", location=path)
