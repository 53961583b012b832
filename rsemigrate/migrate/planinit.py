"""What every target's `plan init` starts from: the archive's destinations, the users line, TOML.

A target writes its own commented plan (its sections differ), but which source communities
become destinations, which channels go with each, how many private conversations there are and
how the users mapping is referenced are the same for every target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from ..archive import Archive, Channel, Group
from .target import InitRequest

PRIVATE_KINDS = ("direct", "group_direct")


def toml_value(value: object) -> str:
    """`value` written as TOML (quoted and escaped as needed)."""
    return tomlkit.item(value).as_string()


def toml_key(key: str) -> str:
    """`key` written as a TOML key (bare when it can be, else quoted)."""
    return tomlkit.key(key).as_string()


@dataclass(frozen=True)
class Destinations:
    """The archive's communities as a plan lists them: one destination per group (or per
    group-less channel), with its channels in archive order; private conversations counted."""

    groups: dict[str, Group]
    channels: dict[str, list[Channel]]
    private: int

    def name(self, dest_id: str) -> str:
        group = self.groups.get(dest_id)
        return (group.name if group else self.channels[dest_id][0].name) or dest_id


def destinations(archive: Archive) -> Destinations:
    groups = {g.id: g for g in archive.groups()}
    by_dest: dict[str, list[Channel]] = {}
    private = 0
    for channel in archive.channels():
        if channel.kind in PRIVATE_KINDS:
            private += 1
            continue
        by_dest.setdefault(channel.group_id if channel.group_id in groups else channel.id, []).append(channel)
    return Destinations(groups, by_dest, private)


def mapping_line(request: InitRequest) -> str:
    """The `[users]` mapping line: the CSV given to `plan init`, relative to the plan when it can
    be, else a commented example."""
    if not request.users_csv:
        return '# mapping = "users.csv"\n'
    path: Path = request.users_csv.resolve()
    try:
        path = path.relative_to(request.output.resolve().parent)
    except ValueError:
        pass
    return f"mapping = {toml_value(str(path))}\n"
