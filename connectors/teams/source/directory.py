"""People, teams, channels and chats of a collection into Users, Groups and Channels.

- People come from every member listing (team, private and shared channel, chat) and from the
  `/users/{id}` answers of the users whose chats were asked for; one person appears in many of
  them, so all are read first and each User is announced once, merged: name and email from the
  memberships, title, department, office and account state from the user object. A `guest` role,
  a `#EXT#` UPN or `userType` Guest makes a guest.
- A message author no listing names (someone who left the team, a person of another tenant) is
  rebuilt from the message's `from` as `User(origin="message")` and reported `degraded`. An app
  (a bot, a connector) is a `bot` user; a system event without an initiator is by `teams:system`.
- A team is a Group (private when its `visibility` is private); each channel a Channel of kind
  `channel` (private for private and shared channels, whose members are their own; a standard
  channel's members are the team's). A chat is a `direct` (oneOnOne) or `group_direct` (group,
  meeting) Channel named by its topic, else by its members.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rsemigrate.archive import Channel, Group, Record, ReportEntry, Timestamp, User, parse_timestamp
from rsemigrate.errors import InputError
from rsemigrate.export import Census, container_time, dump_record

from . import wire
from .events import identity_id
from .layout import Collection, Saved

SYSTEM_AUTHOR = "teams:system"
#: the `/users/{id}` fields User fields hold; the others are kept in its `source`.
_USER_MAPPED = ("id", "displayName", "mail", "jobTitle", "department", "officeLocation", "accountEnabled")
_GUEST_IDENTITIES = frozenset({"anonymousGuest", "federatedUser", "personalMicrosoftAccountUser", "skypeUser",
                               "phoneUser", "emailUser"})


@dataclass
class _Person:
    id: str
    name: str | None = None
    email: str | None = None
    guest: bool = False
    title: str | None = None
    department: str | None = None
    location: str | None = None
    suspended: bool = False
    source: dict[str, Any] = field(default_factory=dict)

    def user(self) -> User:
        return User(self.id, self.name or self.email or f"user {self.id}", self.email, guest=self.guest,
                    state="suspended" if self.suspended else "active", title=self.title,
                    department=self.department, location=self.location, source=self.source)


@dataclass
class Directory:
    people: dict[str, _Person] = field(default_factory=dict)
    #: ids of users announced (listed ones, then the rebuilt ones as they are met).
    announced: set[str] = field(default_factory=set)

    def learn_member(self, member: dict[str, Any], census: Census, location: str) -> None:
        """A conversationMember (of a team, channel or chat), merged in."""
        uid = member_id(member)
        if uid is None:
            return
        census.see("member", member, uid, location)
        person = self.people.setdefault(uid, _Person(uid))
        person.name = person.name or member.get("displayName") or None
        person.email = person.email or member.get("email") or None
        person.guest = person.guest or "guest" in (member.get("roles") or [])
        if member.get("tenantId"):
            person.source.setdefault("tenantId", member["tenantId"])

    def learn_user(self, node: dict[str, Any], census: Census, location: str) -> None:
        """A `/users/{id}` answer; what no User field holds is kept in its `source`."""
        census.see("user", node, str(node["id"]), location)
        person = self.people.setdefault(str(node["id"]), _Person(str(node["id"])))
        person.name = node.get("displayName") or person.name
        person.email = node.get("mail") or person.email
        upn = str(node.get("userPrincipalName") or "")
        person.guest = person.guest or "#EXT#" in upn or node.get("userType") == "Guest"
        person.title, person.department = node.get("jobTitle") or None, node.get("department") or None
        person.location = node.get("officeLocation") or None
        person.suspended = node.get("accountEnabled") is False
        person.source.update((k, v) for k, v in _rest(node, _USER_MAPPED).items() if v not in (None, "", []))

    def users(self) -> Iterator[User]:
        for person in self.people.values():
            self.announced.add(person.id)
            yield person.user()

    def name(self, uid: str) -> str | None:
        person = self.people.get(uid)
        return person.name if person else None

    def author(self, item: dict[str, Any], location: str) -> tuple[str, list[Record]]:
        """The id of a message's author, and the records its first sighting makes when no listing
        named it. A system event is by its initiator, else by `teams:system`."""
        sender = item.get("from")
        if not isinstance(sender, dict) or identity_id(sender) is None:
            detail = item.get("eventDetail")
            sender = detail.get("initiator") if isinstance(detail, dict) else None
        uid = identity_id(sender)
        if uid is None:
            return self._rebuilt(
                SYSTEM_AUTHOR, User(SYSTEM_AUTHOR, "Microsoft Teams", bot=True, origin="message")
            )
        if uid in self.announced:
            return uid, []
        assert isinstance(sender, dict)
        if isinstance(sender.get("application"), dict) and not isinstance(sender.get("user"), dict):
            app = sender["application"]
            return self._rebuilt(
                uid,
                User(
                    uid,
                    app.get("displayName") or f"app {uid}",
                    bot=True,
                    origin="message",
                    source={"applicationIdentityType": app.get("applicationIdentityType")},
                ),
            )
        node = next((n for n in sender.values() if isinstance(n, dict)), {})
        guest = node.get("userIdentityType") in _GUEST_IDENTITIES
        user = User(uid, node.get("displayName") or f"user {uid}", guest=guest, origin="message",
                    source={k: node[k] for k in ("userIdentityType", "tenantId") if node.get(k)})
        uid, records = self._rebuilt(uid, user)
        return uid, [*records, ReportEntry(
            "degraded", "user", uid, "not in any collected member list (left the team or chat since, or from "
            "another tenant); rebuilt from the message's `from` (name only)", location=location)]

    def _rebuilt(self, uid: str, user: User) -> tuple[str, list[Record]]:
        if uid in self.announced:
            return uid, []
        self.announced.add(uid)
        self.people.setdefault(uid, _Person(uid, user.name))
        return uid, [user]


def member_id(member: Any) -> str | None:
    """The user id of a conversationMember, None when it has none."""
    return str(member["userId"]) if isinstance(member, dict) and member.get("userId") else None


def read_people(collection: Collection, directory: Directory, census: Census) -> Iterator[ReportEntry]:
    """Learn everyone every listing names (before any User is announced)."""
    for team_id in collection.request.teams:
        base = wire.team_folder(team_id)
        yield from _members(collection, directory, f"{base}/{wire.MEMBERS}", census)
        for saved in _valid(collection, f"{base}/{wire.CHANNELS}", "channel"):
            if isinstance(saved, ReportEntry):
                yield saved
                continue
            folder = wire.Conversation.channel(team_id, str(saved.item["id"])).folder
            yield from _members(collection, directory, f"{folder}/{wire.MEMBERS}", census)
    for ref in collection.request.users:
        path = f"{wire.user_folder(ref)}/{wire.USER}"
        node = collection.document(path)
        if node and node.get("id"):
            directory.learn_user(node, census, collection.entry(path))
        for saved in _valid(collection, f"{wire.user_folder(ref)}/{wire.CHATS}", "chat"):
            if isinstance(saved, ReportEntry):
                yield saved
                continue
            for n, member in enumerate(saved.item.get("members") or [], 1):
                if isinstance(member, dict):
                    directory.learn_member(member, census, f"{saved.location} member {n}")


def _members(collection: Collection, directory: Directory, folder: str,
             census: Census) -> Iterator[ReportEntry]:
    for saved in _valid(collection, folder, "user", "userId"):
        if isinstance(saved, ReportEntry):
            yield saved
        else:
            directory.learn_member(saved.item, census, saved.location)


def _valid(
    collection: Collection, folder: str, record_type: str, key: str = "id"
) -> Iterator[Saved | ReportEntry]:
    """The items of a listing that are objects with an id (`key`); the others quarantined."""
    for saved in collection.items(folder):
        if isinstance(saved.item, dict) and saved.item.get(key):
            yield saved
        else:
            yield ReportEntry(
                "quarantined",
                record_type,
                None,
                f"unreadable {record_type}: not an object with {'an id' if key == 'id' else key}",
                location=saved.location,
                raw=dump_record(saved.item, saved.location),
            )


@dataclass
class _Roster:
    """The people of one member listing: who they are, and which of them own it."""

    ids: list[str]
    owners: list[str]

    @classmethod
    def of(cls, members: Iterable[Any]) -> _Roster:
        ids, owners = {}, {}
        for member in members:
            if uid := member_id(member):
                ids[uid] = None
                if "owner" in (member.get("roles") or []):
                    owners[uid] = None
        return cls(list(ids), list(owners))

    def keep(self, source: dict[str, Any]) -> dict[str, Any]:
        """`source` with the owners (the `owner` role of the listing's members), when there are any."""
        if self.owners:
            source["owners"] = self.owners
        return source


def _roster(collection: Collection, folder: str) -> _Roster:
    return _Roster.of(saved.item for saved in collection.items(folder))


def team_records(collection: Collection, team_id: str, census: Census) -> Iterator[Record]:
    """The team's Group and its channels' Channels (a `skipped` entry for a team Graph refused).
    Unreadable channel entries are quarantined by `read_people`, which reads every listing first."""
    base = wire.team_folder(team_id)
    node = collection.document(f"{base}/{wire.TEAM}")
    if node is None:
        yield not_collected(collection, base, "group", team_id)
        return
    where = collection.entry(f"{base}/{wire.TEAM}")
    census.see("team", node, team_id, where)
    created, unread = container_time(node.get("createdDateTime"), where, "group", team_id)
    if unread:
        yield unread
    team = _roster(collection, f"{base}/{wire.MEMBERS}")
    # no displayName: "" here, named by the reader from what else was collected
    yield Group(
        team_id,
        str(node.get("displayName") or ""),
        node.get("description") or None,
        private=node.get("visibility") == "private",
        created_at=created,
        source=team.keep(_rest(node, ("id", "displayName", "description", "createdDateTime"))),
    )
    for saved in collection.items(f"{base}/{wire.CHANNELS}"):
        channel = saved.item
        if not isinstance(channel, dict) or not channel.get("id"):
            continue
        conversation = wire.Conversation.channel(team_id, str(channel["id"]))
        census.see("channel", channel, conversation.id, saved.location)
        own = channel.get("membershipType") in wire.OWN_MEMBERS
        created, unread = container_time(channel.get("createdDateTime"), saved.location, "channel",
                                         conversation.id)
        if unread:
            yield unread
        source = _rest(channel, ("id", "displayName", "description", "createdDateTime"))
        members = _roster(collection, f"{conversation.folder}/{wire.MEMBERS}") if own else team
        yield Channel(
            conversation.id,
            "channel",
            str(channel.get("displayName") or channel["id"]),
            group_id=team_id,
            private=own,
            member_ids=members.ids,
            description=channel.get("description") or None,
            created_at=created,
            source=members.keep(source) if own else source,  # a standard channel's owners are the team's
        )


def chat_records(collection: Collection, directory: Directory,
                 census: Census) -> Iterator[Channel | ReportEntry]:
    """Each chat of the chosen users once (the first listing that names it wins)."""
    seen: set[str] = set()
    for ref in collection.request.users:
        for saved in collection.items(f"{wire.user_folder(ref)}/{wire.CHATS}"):
            chat = saved.item
            if not isinstance(chat, dict) or not chat.get("id") or str(chat["id"]) in seen:
                continue
            seen.add(str(chat["id"]))
            census.see("chat", chat, str(chat["id"]), saved.location)
            roster = _Roster.of(chat.get("members") or [])
            members = roster.ids
            named = ", ".join(directory.name(uid) or uid for uid in members)
            created, unread = container_time(chat.get("createdDateTime"), saved.location, "channel",
                                             str(chat["id"]))
            if unread:
                yield unread
            yield Channel(str(chat["id"]), "direct" if chat.get("chatType") == "oneOnOne" else "group_direct",
                          str(chat.get("topic") or named or chat["id"]), private=True, member_ids=members,
                          created_at=created,
                          source=roster.keep(_rest(chat, ("id", "topic", "createdDateTime", "members"))))


def not_collected(collection: Collection, folder: str, record_type: str, ident: str,
                  what: str = "not collected") -> ReportEntry:
    """`skipped`: something asked for that Graph refused (refused.json), or that is simply absent."""
    refused = collection.refused(folder)
    if refused is None:
        return ReportEntry("skipped", record_type, ident, f"{what}: the collection holds nothing of it",
                           location=collection.entry(folder))
    error = refused.get("error") or {}
    return ReportEntry(
        "skipped",
        record_type,
        ident,
        f"{what}: Graph refused it ({refused.get('status')} {error.get('code')}: {error.get('message')})",
        location=collection.entry(f"{folder}/{wire.REFUSED}"),
    )


def timestamp(value: object, where: str) -> Timestamp | None:
    """An optional Graph time (`2024-03-04T09:00:00.123Z`); any other form is an InputError."""
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(str(value))
    except ValueError as exc:
        raise InputError(str(exc), file=where) from None


def _rest(node: dict[str, Any], consumed: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in consumed and not k.startswith("@odata.")}
