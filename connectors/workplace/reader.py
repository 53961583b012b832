"""A saved Workplace collection (folder or zip) into neutral records, one page at a time.

Order of work: the community, what the collector could not read (collect.json), the members,
the groups with their feed channels, then each group's feed: every post followed by its comments
and their replies. Member names, group ids and the set of announced attachments are kept in
memory; posts never are: a page is parsed, turned into records and let go.
"""

from __future__ import annotations

from collections.abc import Iterator

from rsemigrate.archive import FileStore, Record, ReportEntry, SourceInfo
from rsemigrate.export import Census, SourceTree

from . import wire
from .attachments import Attachments
from .coverage import COVERAGE
from .directory import Directory, read_groups
from .layout import Collection
from .messages import FeedReader


def read(tree: SourceTree, files: FileStore, /) -> Iterator[Record]:
    collection = Collection(tree)
    census = Census(COVERAGE)
    community = collection.document(wire.COMMUNITY)
    community_id = str(community["id"]) if community.get("id") else None
    census.see("community", community, community_id, collection.path(wire.COMMUNITY))
    yield SourceInfo("workplace", community_id, community.get("name"))
    yield from _not_collected(collection)
    directory = Directory()
    yield from directory.read_members(collection, census)
    group_ids = []
    for item in read_groups(collection, directory, census):
        if isinstance(item, tuple):
            yield from item
            group_ids.append(item[0].id)
        else:
            yield item
    feeds = FeedReader(collection, directory, Attachments(collection, files), census)
    for group_id in group_ids:
        yield from feeds.read_group(group_id)
    yield from census.entries()


def _not_collected(collection: Collection) -> Iterator[ReportEntry]:
    """What the collector asked for and the API refused (a group the token may not read…)."""
    for entry in collection.document(wire.COLLECT).get("skipped") or []:
        if isinstance(entry, dict):
            yield ReportEntry("skipped", str(entry.get("kind") or "object"), entry.get("id"),
                              f"not collected: {entry.get('error') or 'refused by the API'}",
                              location=f"{wire.COLLECT} ({entry.get('path')})")
