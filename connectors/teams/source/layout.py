"""A saved Teams collection (folder or zip): its request, its listings and their items.

Read by the reader (into neutral records) and by the emulator's seeding (into an emulated tenant),
so the two can never disagree on the layout (`wire`). Only names are indexed up front; a page is
parsed when its items are wanted, so memory stays bounded by one page. A missing collect.json, a
page that is not JSON or not `{"value": [...]}` is an InputError naming the file; an item that is
not an object with an id is the reader's to quarantine.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from rsemigrate.errors import InputError
from rsemigrate.export import SourceTree, read_json

from . import wire


@dataclass(frozen=True)
class Request:
    """What a collection was asked to hold (collect.json), and whether the collector finished."""

    teams: tuple[str, ...]
    users: tuple[str, ...]
    #: "download": reference files were fetched from the drive; "links": recorded as links only.
    files: str
    graph_url: str
    tenant_id: str | None
    started_at: str | None
    finished_at: str | None

    @classmethod
    def parse(cls, data: dict[str, Any], where: str) -> Request:
        asked = data.get("request")
        if not isinstance(asked, dict):
            raise InputError("no \"request\" object: not a collection saved by `rsemigrate collect teams`",
                             file=where, line=1)
        return cls(
            tuple(str(t) for t in asked.get("teams") or []),
            tuple(str(u) for u in asked.get("users") or []),
            str(asked.get("files") or "download"),
            str(data.get("graph_url") or wire.GRAPH_URL),
            asked.get("tenant_id") or None,
            data.get("started_at"),
            data.get("finished_at"),
        )

    def same_as(self, other: Request) -> bool:
        return (self.teams, self.users, self.files, self.graph_url, self.tenant_id) == \
            (other.teams, other.users, other.files, other.graph_url, other.tenant_id)


@dataclass(frozen=True)
class Saved:
    """One item of a saved page; `location` is `<page> record <n>` for reports."""

    location: str
    item: Any


@dataclass(frozen=True)
class SavedMessage(Saved):
    #: the Graph id of the thread root, for a channel reply; None for roots and chat messages.
    root_id: str | None = None


class Collection:
    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        anchor = tree.find(wire.COLLECT)
        if anchor is None:
            raise InputError(f"{tree.path}: no {wire.COLLECT} found: not a Teams collection saved by "
                             "`rsemigrate collect teams` (layout: docs/teams-source.md)")
        parent = PurePosixPath(anchor).parent.as_posix()
        self.root = "" if parent == "." else f"{parent}/"
        # One sorted list, searched by bisection: a tenant's chats are each a folder of their own
        # (100,000 at a million messages), and a set of the names beside a map of the page
        # folders doubled the reader's memory for them (25 MB more at a million messages).
        self._names = sorted(n[len(self.root):] for n in tree.names() if n.startswith(self.root))
        self.request = Request.parse(self.document(wire.COLLECT) or {}, self.entry(wire.COLLECT))

    def entry(self, relpath: str) -> str:
        """The tree entry of a path relative to the collection."""
        return f"{self.root}{relpath}"

    def has(self, relpath: str) -> bool:
        at = bisect_left(self._names, relpath)
        return at < len(self._names) and self._names[at] == relpath

    def _under(self, prefix: str) -> list[str]:
        """The saved names that start with `prefix`, in order."""
        at = bisect_left(self._names, prefix)
        found = []
        while at < len(self._names) and self._names[at].startswith(prefix):
            found.append(self._names[at])
            at += 1
        return found

    def _pages(self, folder: str) -> list[str]:
        """The pages saved in `folder` (not below it), in page order."""
        prefix = f"{folder}/"
        pages = [(int(m[1]), name) for name in self._under(f"{prefix}page-")
                 if (m := wire.PAGE.fullmatch(name[len(prefix):]))]
        return [name for _, name in sorted(pages)]

    def open(self, relpath: str) -> BinaryIO:
        return self.tree.open(self.entry(relpath))

    def names_under(self, folder: str) -> list[str]:
        """Every saved file below `folder` (relative paths, sorted)."""
        return self._under(folder.rstrip("/") + "/")

    def document(self, relpath: str) -> dict[str, Any] | None:
        """A single saved object (collect.json, team.json, a sidecar), None when absent."""
        if not self.has(relpath):
            return None
        data = read_json(self.tree, self.entry(relpath))
        if not isinstance(data, dict):
            raise InputError(
                f"expected a JSON object, found {type(data).__name__}", file=self.entry(relpath), line=1
            )
        return data

    def refused(self, folder: str) -> dict[str, Any] | None:
        """What Graph answered when it refused this listing or item (refused.json), if it did."""
        return self.document(f"{folder}/{wire.REFUSED}")

    def listed(self, folder: str) -> bool:
        return bool(self._pages(folder))

    def items(self, folder: str) -> Iterator[Saved]:
        """Every item of the pages saved in `folder`, in order."""
        for name in self._pages(folder):
            entry = self.entry(name)
            page = read_json(self.tree, entry)
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise InputError(
                    'expected a Graph page {"value": [...], "@odata.nextLink": ...}', file=entry, line=1
                )
            for n, item in enumerate(page["value"], 1):
                yield Saved(f"{entry} record {n}", item)

    def messages(self, conversation: wire.Conversation) -> Iterator[SavedMessage]:
        """A conversation's messages: each root followed by its replies (the /replies pages when
        saved, which supersede the expansion; else the root's expanded `replies`)."""
        for saved in self.items(conversation.messages):
            item = saved.item
            yield SavedMessage(saved.location, item)
            if conversation.team_id is None or not isinstance(item, dict) or not item.get("id"):
                continue
            root = str(item["id"])
            if self.listed(conversation.replies(root)):
                for reply in self.items(conversation.replies(root)):
                    yield SavedMessage(reply.location, reply.item, root)
            else:
                inline = item.get("replies")
                for n, reply in enumerate(inline if isinstance(inline, list) else [], 1):
                    yield SavedMessage(f"{saved.location} reply {n}", reply, root)
