"""A Yammer network data export (zip or folder) into neutral records, in one streaming pass.

Order of work: the export's identity (Networks.csv, request.txt), the All Company feed, the
directory (Topics.csv, Users.csv, Groups.csv), the file indexes (Files.csv, Pages.csv), then
Messages.csv row by row, then the private conversations and the files no message referred to.
Everything but the messages is small and kept in memory; messages are never held.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import unquote

from rsemigrate.archive import FileStore, Record, ReportEntry, SourceInfo, Timestamp, parse_timestamp
from rsemigrate.errors import InputError
from rsemigrate.export import Census, SourceTree

from . import wire
from .attachments import Attachments
from .coverage import COVERAGE
from .directory import Directory, all_company, feed, home_domain, read_groups, read_topics, read_users
from .messages import MessageReader
from .table import Table

# `since=…&until=…` (the API request) or `since: …` lines (the admin UI's parameter list).
_WINDOW = re.compile(r"(?<![A-Za-z_])(since|until)\s*[=:]\s*([^&\r\n]+)", re.IGNORECASE)


def read(tree: SourceTree, files: FileStore) -> Iterator[Record]:
    """Every record of the export; see the package docstring for what is fatal and what is reported."""
    export = _Export(tree)
    census = Census(COVERAGE)
    network = export.network(census)
    since, until = export.window()
    yield SourceInfo("yammer", network.get("id") or None, network.get("name") or None, since, until)
    yield from export.skipped_networks()
    everyone = all_company(network)
    yield everyone
    yield feed(everyone)

    users_path = export.path(wire.USERS)
    directory = Directory(home_domain(network.get("url", ""), tree, users_path))
    for name, record_type, required, reader in (
        (wire.TOPICS, "topic", ("id", "name"), read_topics),
        (wire.USERS, "user", wire.USER_REQUIRED, read_users),
        (wire.GROUPS, "group", wire.GROUP_REQUIRED, read_groups),
    ):
        if path := export.path(name):
            with Table(tree, path, record_type, required) as table:
                yield from reader(table, directory, census)

    attachments = Attachments(tree, export.root, export.entries, files)
    for name, kind, required in ((wire.FILES, "uploadedfile", wire.FILE_REQUIRED),
                                 (wire.PAGES, "page", wire.PAGE_REQUIRED)):
        if path := export.path(name):
            with Table(tree, path, "attachment", required) as table:
                yield from attachments.read_index(table, kind, census)

    with Table(tree, export.messages, "message", wire.MESSAGE_REQUIRED) as table:
        yield from MessageReader(table, directory, attachments, census)
    yield from attachments.unreferenced()
    yield from export.unread()
    yield from census.entries()


class _Export:
    """Where the export's files are: the folder holding Messages.csv is the home network's."""

    def __init__(self, tree: SourceTree) -> None:
        self._tree = tree
        messages = tree.find(wire.MESSAGES)
        if messages is None:
            raise InputError(f"{tree.path}: no {wire.MESSAGES} found: not a Yammer network data export")
        self.messages = messages
        parent = PurePosixPath(messages).parent.as_posix()
        self.root = "" if parent == "." else f"{parent}/"
        #: lower-cased entry name → entry name: export tools disagree on case.
        self.entries = {name.lower(): name for name in tree.names()}

    def path(self, filename: str) -> str | None:
        """The entry of a file beside Messages.csv (any case), if the export has it."""
        return self.entries.get(f"{self.root}{filename}".lower())

    def network(self, census: Census) -> wire.NetworkRow:
        """The home network: the first row of Networks.csv, or {} without one."""
        if (path := self.path(wire.NETWORKS)) is None:
            return {}
        with Table(self._tree, path, "network", ("id",)) as table:
            for item in table.dicts("id"):
                if not isinstance(item, ReportEntry):
                    census.see("network", item[1], item[1]["id"], table.where(item[0]))
                    return item[1]  # type: ignore[return-value]
        return {}

    def window(self) -> tuple[Timestamp | None, Timestamp | None]:
        """The requested `since` and `until` from request.txt, when it says."""
        if (path := self.path(wire.REQUEST)) is None:
            return None, None
        with self._tree.open(path) as stream:
            raw = stream.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError("invalid UTF-8; the export must be UTF-8", file=path, line=line) from None
        found: dict[str, Timestamp] = {}
        for number, line_text in enumerate(text.splitlines(), 1):
            for match in _WINDOW.finditer(line_text):
                key = match[1].lower()
                value = unquote(match[2]).strip().strip("\"'")
                try:
                    found.setdefault(key, parse_timestamp(value))
                except ValueError as exc:
                    raise InputError(str(exc), file=path, line=number, column=key) from None
        return found.get("since"), found.get("until")

    def unread(self) -> Iterator[ReportEntry]:
        """The CSV files beside Messages.csv that no reader reads (MessageVersions.csv, Admins.csv,
        the newer Viva Engage ones…): their rows are not in the archive, which must say so."""
        root = self.root.lower()
        for lowered, name in sorted(self.entries.items()):
            base = lowered[len(root):]
            if not lowered.startswith(root) or "/" in base:
                continue
            if base.endswith(".csv") and base not in wire.READ_CSV:
                yield ReportEntry("skipped", "file", None, f"{name} is not read by the Yammer connector: "
                                  "its rows are not in the archive", location=name)

    def skipped_networks(self) -> Iterator[ReportEntry]:
        """External networks come as sub-folders with their own Messages.csv. Only the home network
        is read: one archive is one network, with one directory and one All Company feed."""
        for name in self._tree.names():
            if PurePosixPath(name).name.lower() == wire.MESSAGES.lower() and name != self.messages:
                folder = PurePosixPath(name).parent.as_posix()
                yield ReportEntry("skipped", "network", PurePosixPath(folder).name,
                                  f"external network folder {folder}/ was not read: only the home "
                                  "network is exported; export the external network separately",
                                  location=name)
