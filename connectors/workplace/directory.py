"""Community members and groups: members pages into Users, groups into Groups and feed Channels.

- A member with `active` false is a deactivated account (`suspended`); an invited member who never
  claimed the account (`account_invite_time` without `account_claim_time`) is `pending`.
- An author absent from the community's members (a person of another company in a multi-company
  group, an account removed since, or content whose author the token may not see: no `from` at
  all) is rebuilt from the message's `from` as `User(origin="message")` and reported `degraded`.
- Each group is a Group plus one `feed` Channel with the group's id, as for Yammer. Private means
  `privacy` CLOSED or SECRET; a multi-company group (`purpose` WORK_MULTI_COMPANY) is `external`.
  Nested groups come from `groups/<parent>/groups/` pages and keep `source.parent_group_id`.
  `group.json` (the group node itself) wins over the community listing's shorter entry. The
  group's members are its feed's `member_ids`; its administrators are kept in `source.admins`, and
  a member the community's listing lacks (of another company) is a User from the group's listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rsemigrate.archive import Channel, Group, ReportEntry, Timestamp, User, UserState, parse_timestamp
from rsemigrate.errors import InputError
from rsemigrate.export import Census, container_time, dump_record

from . import wire
from .layout import Collection

#: author of content whose `from` the API did not return.
UNKNOWN_AUTHOR = "unknown"
_PRIVATE = frozenset({"CLOSED", "SECRET"})
_NO_MEMBER = ("not a member of this community (another company in a multi-company group, or an account "
              "removed since)")
_USER_CONSUMED = frozenset({"id", "name", "email", "title", "department", "active"})
_GROUP_CONSUMED = frozenset({"id", "name", "description", "privacy", "updated_time"})


@dataclass
class Directory:
    names: dict[str, str] = field(default_factory=dict)

    def read_members(self, collection: Collection, census: Census) -> Iterator[User | ReportEntry]:
        for path, n, item in collection.items(("", wire.MEMBERS, "")):
            if not _has_id(item):
                yield _quarantine("user", item, path, n)
                continue
            census.see("user", item, str(item["id"]), f"{path} record {n}")
            user = build_user(item)
            self.names[user.id] = user.name
            yield user

    def group_members(self, collection: Collection, group_id: str,
                      census: Census) -> Iterator[tuple[str, bool] | User]:
        """(id, whether an administrator) of a group's members, each preceded by its User when the
        community's members listing lacks it (a person of another company in a multi-company group)."""
        for path, n, item in collection.items((group_id, wire.MEMBERS, "")):
            if not _has_id(item):
                continue
            census.see("member", item, str(item["id"]), f"{path} record {n}")
            if str(item["id"]) not in self.names:  # `administrator` is of this group, not of the person
                user = build_user({k: v for k, v in item.items() if k != "administrator"})
                self.names[user.id] = user.name
                yield user
            yield str(item["id"]), item.get("administrator") is True

    def author(self, item: dict[str, Any], location: str) -> tuple[str, list[User | ReportEntry]]:
        """The id of the item's author, and the records a first sighting of an unknown one makes."""
        author = item.get("from")
        author_id = str(author["id"]) if isinstance(author, dict) and author.get("id") else UNKNOWN_AUTHOR
        if author_id in self.names:
            return author_id, []
        name = (author or {}).get("name") or (
            "Unknown author" if author_id == UNKNOWN_AUTHOR else f"user {author_id}"
        )
        self.names[author_id] = name
        why = ("the API returned no author (`from`) for this content" if author_id == UNKNOWN_AUTHOR else
               f"{_NO_MEMBER}; rebuilt from the content's `from` (name only)")
        return author_id, [User(author_id, name, (author or {}).get("email") or None, origin="message"),
                           ReportEntry("degraded", "user", author_id, why, location=location)]

    def reactor(self, reaction: dict[str, Any], location: str) -> list[User | ReportEntry]:
        """The records a first sighting of a person who reacted and is no member makes."""
        uid = str(reaction["id"])
        if uid in self.names:
            return []
        self.names[uid] = str(reaction.get("name") or f"user {uid}")
        return [User(uid, self.names[uid], origin="message"),
                ReportEntry("degraded", "user", uid, f"{_NO_MEMBER}; rebuilt from a reaction (name only)",
                            location=location)]


def build_user(item: dict[str, Any]) -> User:
    state: UserState = "active"
    if item.get("active") is False:
        state = "suspended"
    elif item.get("account_invite_time") and not item.get("account_claim_time"):
        state = "pending"
    return User(id=str(item["id"]), name=item.get("name") or str(item["id"]), email=item.get("email") or None,
                state=state, title=item.get("title") or None, department=item.get("department") or None,
                source={k: v for k, v in item.items() if k not in _USER_CONSUMED})


def read_groups(collection: Collection, directory: Directory,
                census: Census) -> Iterator[tuple[Group, Channel] | User | ReportEntry]:
    """Every group the listing, a nested-group page or a folder names, each once, with its feed
    (after the Users of its members no community listing named)."""
    listed: dict[str, dict[str, Any]] = {}
    parents: dict[str, str] = {}
    for path, n, item in collection.items(("", wire.GROUPS, "")):
        if _has_id(item):
            census.see("group", item, str(item["id"]), f"{path} record {n}")
            listed.setdefault(str(item["id"]), item)
        else:
            yield _quarantine("group", item, path, n)
    for parent in list(listed) + list(collection.group_folders):
        for path, n, item in collection.items((parent, wire.GROUPS, "")):
            if _has_id(item):
                census.see("group", item, str(item["id"]), f"{path} record {n}")
                listed.setdefault(str(item["id"]), item)
                parents.setdefault(str(item["id"]), parent)
            else:
                yield _quarantine("group", item, path, n)
    for group_id in collection.group_folders:
        listed.setdefault(group_id, {"id": group_id})
    for group_id, item in listed.items():
        where = f"{wire.GROUPS}/{group_id}/{wire.GROUP}"
        if document := collection.document(where):
            census.see("group", document, group_id, where)
        node = {**item, **document}
        group, unread = build_group(node, parents.get(group_id), where)
        if unread:
            yield unread
        if "name" not in node:
            yield ReportEntry("degraded", "group", group_id, "a folder of content, but neither the group "
                              "listing nor a group.json: name, privacy and description are unknown",
                              location=f"{wire.GROUPS}/{group_id}/")
        members, admins = [], []
        for member in directory.group_members(collection, group_id, census):
            if isinstance(member, User):
                yield member
                continue
            members.append(member[0])
            if member[1]:
                admins.append(member[0])
        if admins:
            group.source["admins"] = admins
        yield group, Channel(group.id, "feed", group.name, group_id=group.id, private=group.private,
                             member_ids=members, description=group.description)


def build_group(node: dict[str, Any], parent: str | None, where: str) -> tuple[Group, ReportEntry | None]:
    """The group, and a report entry when its time could not be read (the group is kept)."""
    source = {k: v for k, v in node.items() if k not in _GROUP_CONSUMED}
    if parent:
        source["parent_group_id"] = parent
    updated, unread = container_time(node.get("updated_time"), where, "group", str(node["id"]))
    return Group(id=str(node["id"]), name=node.get("name") or f"group {node['id']}",
                 description=node.get("description") or None, private=node.get("privacy") in _PRIVATE,
                 external=node.get("purpose") == "WORK_MULTI_COMPANY",
                 updated_at=updated, source=source), unread


def timestamp(value: object, where: str) -> Timestamp | None:
    """An optional Graph time (`2023-01-10T09:00:00+0000`); any other form is an InputError."""
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(str(value))
    except ValueError as exc:
        raise InputError(str(exc), file=where) from None


def _has_id(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), (str, int)) and bool(str(item["id"]))


def _quarantine(record_type: str, item: object, path: str, n: int) -> ReportEntry:
    where = f"{path} record {n}"
    return ReportEntry(
        "quarantined",
        record_type,
        None,
        f"unreadable {record_type}: not an object with an id",
        location=where,
        raw=dump_record(item, where),
    )
