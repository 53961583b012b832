"""A saved Workplace collection (folder or zip): where each page and media file is, and its items.

The layout is described in `wire`. Only names are indexed up front; pages are parsed one at a
time when their items are wanted, so memory stays bounded by one page. A missing index
(community.json, or the first members or groups page), a page that is not JSON, or not
`{"data": [...]}`, is an InputError naming the file; an item of a page that is not an object with
an id is the reader's to quarantine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from rsemigrate.errors import InputError
from rsemigrate.export import SourceTree, read_json

from . import wire

#: (group id or "", edge, object id or "") — e.g. ("", "members", ""), ("12", "comments", "12_34").
PageKey = tuple[str, str, str]


class Collection:
    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        anchor = tree.find(wire.COMMUNITY) or tree.find(wire.COLLECT)
        if anchor is None:
            raise InputError(f"{tree.path}: no {wire.COMMUNITY} found: not a Workplace collection "
                             "saved by `rsemigrate collect workplace` (layout: docs/workplace.md)")
        parent = PurePosixPath(anchor).parent.as_posix()
        self.root = "" if parent == "." else f"{parent}/"
        self._pages: dict[PageKey, list[tuple[int, str]]] = defaultdict(list)
        #: group id → media key → entry.
        self._media: dict[str, dict[str, str]] = defaultdict(dict)
        #: groups with a folder of their own, in the order their entries come.
        self.group_folders: dict[str, None] = {}
        self._names = set(tree.names())
        for name in tree.names():
            if name.startswith(self.root):
                self._index(name, name[len(self.root):].split("/"))
        for pages in self._pages.values():
            pages.sort()
        for edge in (wire.MEMBERS, wire.GROUPS):  # the collector always saves both, even when empty
            if ("", edge, "") not in self._pages:
                raise InputError(
                    f"{tree.path}: no {self.root}{edge}/{wire.page_name(1)} found: the community's "
                    f"{edge} listing is missing (an incomplete collection?)"
                )

    def _index(self, name: str, parts: list[str]) -> None:
        page = wire.PAGE.fullmatch(parts[-1])
        if len(parts) == 2 and page and parts[0] in (wire.MEMBERS, wire.GROUPS):
            self._pages["", parts[0], ""].append((int(page[1]), name))
        elif len(parts) >= 3 and parts[0] == wire.GROUPS:
            group = parts[1]
            self.group_folders[group] = None
            if len(parts) == 4 and page and parts[2] in (wire.MEMBERS, wire.GROUPS, wire.FEED):
                self._pages[group, parts[2], ""].append((int(page[1]), name))
            elif len(parts) == 5 and page and parts[2] in (wire.COMMENTS, wire.REACTIONS):
                self._pages[group, parts[2], parts[3]].append((int(page[1]), name))
            elif len(parts) == 4 and parts[2] == wire.MEDIA:
                self._media[group][parts[3].partition(".")[0]] = name

    def path(self, filename: str) -> str | None:
        name = f"{self.root}{filename}"
        return name if name in self._names else None

    def document(self, filename: str) -> dict[str, Any]:
        """A single saved object (community.json, collect.json, group.json), {} when absent."""
        name = self.path(filename)
        if name is None:
            return {}
        data = read_json(self.tree, name)
        if not isinstance(data, dict):
            raise InputError(f"expected a JSON object, found {type(data).__name__}", file=name, line=1)
        return data

    def page_keys(self) -> list[PageKey]:
        return list(self._pages)

    def media_files(self) -> Iterator[tuple[str, str, str]]:
        """(group id, media key, entry) of every saved media file."""
        for group_id, files in self._media.items():
            for key, entry in files.items():
                yield group_id, key, entry

    def has(self, key: PageKey) -> bool:
        return key in self._pages

    def items(self, key: PageKey) -> Iterator[tuple[str, int, Any]]:
        """(page entry, position in the page, item) of every page saved under `key`, in order."""
        for _, name in self._pages.get(key, []):
            page = read_json(self.tree, name)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise InputError(
                    'expected a Graph API page {"data": [...], "paging": {...}}', file=name, line=1
                )
            for n, item in enumerate(page["data"], 1):
                yield name, n, item

    def media(self, group_id: str, key: str) -> str | None:
        return self._media.get(group_id, {}).get(key)
