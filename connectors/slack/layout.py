"""Where things are in a Slack export: workspace roots, index files, channel folders, day files.

A workspace root is any folder holding an index file (channels.json, groups.json, dms.json,
mpims.json): the top of a normal export, and each per-workspace folder of an Enterprise Grid
export (`teams/<workspace>/…` in multi-workspace exports). A channel's messages sit in a folder
of its root named after the channel's `name` (channels, private channels, group DMs) or its
`id` (DMs, and some tools' exports): the folder is only found through the index, and the
channel keeps the index's id whatever the folder is called, so renames cannot split or merge
channels. Folders no index lists are still read (see `Layout.unlisted`).

Only names are held: the tree's file list, grouped once by folder.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from rsemigrate.errors import InputError
from rsemigrate.export import SourceTree

from . import wire


@dataclass
class Root:
    """One workspace: its folder ("" for the top) and the index files it holds."""

    folder: str
    indexes: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> str:
        return f"{self.folder}{name}"

    @property
    def label(self) -> str:
        return self.folder.rstrip("/")


class Layout:
    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        #: folder ("" or "a/b/") → names of the files directly inside it.
        self._files: dict[str, list[str]] = defaultdict(list)
        for name in tree.names():
            parent, _, base = name.rpartition("/")
            self._files[f"{parent}/" if parent else ""].append(base)
        self.roots = self._roots()
        self.users = [path for folder in sorted(self._files, key=_depth) for base in self._files[folder]
                      if base in (wire.ORG_USERS, wire.USERS) and (path := f"{folder}{base}")]
        if not self.users:
            raise InputError(f"{tree.path}: no {wire.USERS} or {wire.ORG_USERS} found: the export's "
                             "user list is missing (not a complete Slack export?)")
        # org_users.json first: on Grid it is the authoritative, org-wide list.
        self.users.sort(key=lambda p: (PurePosixPath(p).name != wire.ORG_USERS, _depth(p)))
        self._claimed: set[str] = set()

    def _roots(self) -> list[Root]:
        roots = []
        for folder in sorted(self._files, key=lambda f: (_depth(f), f)):
            indexes = {n: f"{folder}{n}" for n in wire.CHANNEL_INDEXES if n in self._files[folder]}
            if indexes:
                roots.append(Root(folder, indexes))
        if not any("channels.json" in r.indexes for r in roots):
            raise InputError(f"{self.tree.path}: no channels.json found: not a Slack workspace export "
                             "(the index files name the channels; without them no folder can be read)")
        return roots

    def beside(self, root: Root, name: str) -> str | None:
        """The entry of file `name` in the root's own folder, when the export has it."""
        return root.path(name) if name in self._files.get(root.folder, ()) else None

    def channel_folder(self, root: Root, *names: str | None) -> str | None:
        """The folder of `root` holding day files under the first of `names` that exists."""
        for name in names:
            if name and (folder := f"{root.folder}{name}/") in self._files and folder not in self._claimed:
                self._claimed.add(folder)
                return folder
        return None

    def day_files(self, folder: str) -> tuple[list[str], list[str]]:
        """(day files in date order, other files of the folder) as entry names."""
        days, others = [], []
        for base in sorted(self._files.get(folder, [])):
            (days if wire.DAY_FILE.fullmatch(base) else others).append(f"{folder}{base}")
        return days, others

    def unlisted(self) -> list[tuple[Root, str]]:
        """(root, folder) of folders with day files that no index file claimed, after all were read."""
        found = []
        for root in self.roots:
            for folder, files in self._files.items():
                if (folder.startswith(root.folder) and folder not in self._claimed
                        and folder[len(root.folder):].count("/") == 1
                        and any(wire.DAY_FILE.fullmatch(f) for f in files)):
                    found.append((root, folder))
        return sorted(found, key=lambda rf: rf[1])

    def unread(self) -> list[str]:
        """The JSON files of the top folder and of each workspace root that no reader reads
        (canvases.json, content_flags.json…): their content is not in the archive."""
        folders = dict.fromkeys(["", *(root.folder for root in self.roots)])
        return [f"{folder}{base}" for folder in folders for base in sorted(self._files.get(folder, []))
                if base.endswith(".json") and base not in wire.READ_JSON]

    def binaries(self) -> dict[str, dict[str, str]]:
        """{file id: {file name: entry}} of binaries the export carries (`__uploads/F…/name`,
        `<channel>/attachments/F…-name`); normally one per file id."""
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for folder, files in self._files.items():
            parts = folder.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == wire.UPLOADS_DIR and wire.FILE_ID.fullmatch(parts[-1]):
                for base in sorted(files):
                    found[parts[-1]].setdefault(base, f"{folder}{base}")
            elif parts[-1] == wire.ATTACHMENTS_DIR:
                for base in sorted(files):
                    file_id, _, name = base.partition("-")
                    if wire.FILE_ID.fullmatch(file_id):
                        found[file_id].setdefault(name, f"{folder}{base}")
        return dict(found)


def _depth(path: str) -> int:
    return path.count("/")
