"""People, groups and topics: Users.csv, Groups.csv and Topics.csv into records and name maps.

The export has no guest flag: a guest is a user whose email domain is not the network's home domain
(nor a subdomain of it). The home domain is the last segment of the network URL in Networks.csv
(`https://www.yammer.com/contoso.com`); when that is not a domain, it is the most common email
domain in Users.csv. A user never listed in Users.csv but seen as a sender is rebuilt from the
message's sender cells (`origin="message"`) and reported as degraded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from rsemigrate.archive import Channel, Group, ReportEntry, User, UserState
from rsemigrate.export import RECORD_ERRORS, Census, SourceTree, failure

from . import wire
from .table import Table

#: the network-wide feed: Yammer's "All Company", where posts without a group_id go.
ALL_COMPANY_ID = "all-company"
ALL_COMPANY_NAME = "All Company"


@dataclass
class Directory:
    """What messages need to know about the people and groups of the export."""

    home_domain: str | None
    #: display names by mention kind, then id; `user` also tells known senders from unknown ones.
    names: dict[str, dict[str, str]] = field(default_factory=lambda: {"user": {}, "group": {}, "tag": {}})

    def is_guest(self, email: str) -> bool:
        _, at, domain = email.strip().lower().rpartition("@")
        home = self.home_domain
        return bool(at and domain and home) and domain != home and not domain.endswith(f".{home}")

    def sender(self, user_id: str, name: str, email: str, source: dict[str, str], location: str
               ) -> Iterator[User | ReportEntry]:
        """A user known only from a message's sender cells; later sightings yield nothing."""
        if user_id in self.names["user"]:
            return
        name = name or f"user {user_id}"
        self.names["user"][user_id] = name
        yield User(user_id, name, email or None, guest=self.is_guest(email), origin="message", source=source)
        yield ReportEntry("degraded", "user", user_id, "not in Users.csv; rebuilt from the sender cells "
                          "of a message (name and email only)", location=location)


def home_domain(network_url: str, tree: SourceTree, users_path: str | None) -> str | None:
    """The network's email domain: from its URL, else the most common domain in Users.csv."""
    last = network_url.rstrip("/").rpartition("/")[2].lower()
    if "." in last:
        return last
    if users_path is None:
        return None
    domains: Counter[str] = Counter()
    with Table(tree, users_path, "user", wire.USER_REQUIRED) as table:
        email_at = table.index("email")
        for item in table.rows("id"):
            if not isinstance(item, ReportEntry) and "@" in item[1][email_at]:
                domains[item[1][email_at].rpartition("@")[2].strip().lower()] += 1
    return domains.most_common(1)[0][0] if domains else None


def read_users(table: Table, directory: Directory, census: Census) -> Iterator[User | ReportEntry]:
    names = directory.names["user"]
    for item in table.dicts("id"):
        if isinstance(item, ReportEntry):
            yield item
            continue
        line, row = item
        census.see("user", row, row["id"], table.where(line))
        try:
            user = build_user(table, line, row, directory)  # type: ignore[arg-type]
        except RECORD_ERRORS as exc:
            yield table.quarantine(line, failure(exc))
            continue
        names[user.id] = user.name
        yield user


def build_user(table: Table, line: int, row: wire.UserRow, directory: Directory) -> User:
    deleted_at = table.timestamp(row.get("deleted_at", ""), line, "deleted_at")
    suspended_at = table.timestamp(row.get("suspended_at", ""), line, "suspended_at")
    raw_state = row.get("state", "").strip().lower()
    state: UserState
    if raw_state == "active" or not (raw_state or deleted_at or suspended_at):
        state = "active"
    else:  # soft_delete (or anything newer): the dates say which kind of inactive
        state = "deleted" if deleted_at else "suspended" if suspended_at else "pending"
    email = row.get("email", "").strip()
    return User(
        id=row["id"].strip(),
        name=row["name"],
        email=email or None,
        state=state,
        guest=directory.is_guest(email),
        title=row.get("job_title") or None,
        department=row.get("department") or None,
        location=row.get("location") or None,
        joined_at=table.timestamp(row.get("joined_at", ""), line, "joined_at"),
        suspended_at=suspended_at,
        deleted_at=deleted_at,
        source=_unconsumed(row, wire.USER_CONSUMED),  # type: ignore[arg-type]
    )


def read_groups(table: Table, directory: Directory,
                census: Census) -> Iterator[Group | Channel | ReportEntry]:
    """Each group, then its feed channel."""
    names = directory.names["group"]
    for item in table.dicts("id"):
        if isinstance(item, ReportEntry):
            yield item
            continue
        line, row = item
        census.see("group", row, row["id"], table.where(line))
        try:
            group = build_group(table, line, row)  # type: ignore[arg-type]
        except RECORD_ERRORS as exc:
            yield table.quarantine(line, failure(exc))
            continue
        names[group.id] = group.name
        yield group
        yield feed(group)


def build_group(table: Table, line: int, row: wire.GroupRow) -> Group:
    return Group(
        id=row["id"].strip(),
        name=row["name"],
        description=row.get("description") or None,
        private=table.flag(row.get("private", ""), line, "private"),
        deleted=table.flag(row.get("deleted", ""), line, "deleted"),
        external=table.flag(row.get("external", ""), line, "external"),
        created_at=table.timestamp(row.get("created_at", ""), line, "created_at"),
        updated_at=table.timestamp(row.get("updated_at", ""), line, "updated_at"),
        source=_unconsumed(row, wire.GROUP_CONSUMED),  # type: ignore[arg-type]
    )


def feed(group: Group) -> Channel:
    """A Yammer group has exactly one conversation space: its feed, with the group's id."""
    return Channel(group.id, "feed", group.name, group_id=group.id, private=group.private,
                   description=group.description, created_at=group.created_at)


def all_company(network: wire.NetworkRow) -> Group:
    """The synthetic group standing for the whole network; it keeps Networks.csv's fields."""
    source = {"network": {k: v for k, v in network.items() if v}} if network else {}
    return Group(ALL_COMPANY_ID, ALL_COMPANY_NAME, description="Posts to the whole network "
                 "(Messages.csv rows without a group_id)", source=source)


def read_topics(table: Table, directory: Directory, census: Census) -> Iterator[ReportEntry]:
    """Topic names, so `[[tag:ID]]` mentions read as `#name`. Topics are not records of their own."""
    names = directory.names["tag"]
    for item in table.dicts("id"):
        if isinstance(item, ReportEntry):
            yield item
        else:
            line, row = item
            census.see("topic", row, row["id"].strip(), table.where(line))
            names[row["id"].strip()] = row["name"]


def _unconsumed(row: dict[str, str], consumed: frozenset[str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if v and k not in consumed}
