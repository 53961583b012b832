"""People, workspaces and channels: users.json, org_users.json and the channel index files.

- A user is deleted when `deleted` is true and a guest when `is_restricted` (multi-channel guest)
  or `is_ultra_restricted` (single-channel guest) is; `email` is often absent (Slack leaves it out
  unless the exporting admin's plan shows it), and is then null, never invented.
- Bots are users with `is_bot`; a bot's `profile.bot_id` (B…) is what `bot_message`s carry, so
  it maps those messages back to the bot user.
- A sender no user list knows is rebuilt from the message (its `user_profile`, `username` or
  `bot_profile`) as `User(origin="message")` and reported `degraded`, once.
- Each workspace root becomes a Group (`workspace` for the top folder, `workspace:<folder>` for
  a Grid per-workspace folder); each index entry a Channel of that group, keyed by its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rsemigrate.archive import Channel, Group, ReportEntry, User, UserState
from rsemigrate.errors import InputError
from rsemigrate.export import Census, dump_record, read_json

from . import wire
from .layout import Layout, Root

TOP_WORKSPACE = "workspace"
#: the name in a bot_add message's link to the integration: `<https://x.slack.com/services/B…|github>`.
_SERVICE_LABEL = re.compile(r"<https?://[^|>]*/services/[^|>]*\|([^>]+)>")
#: names of senders that are no person of the export.
_PLACEHOLDER_NAMES = {wire.SLACKBOT: "Slackbot", wire.UNKNOWN_AUTHOR: "Unknown sender"}


@dataclass
class _Bot:
    """A bot no user list knows, as its messages show it."""

    name: str | None
    profile: dict[str, Any]
    location: str


@dataclass
class Directory:
    """What messages need to know about people: names for mentions, bot ids, known ids."""

    names: dict[str, str] = field(default_factory=dict)
    #: bot id (B…) → the bot user's id.
    bots: dict[str, str] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    _bots: dict[str, _Bot] = field(default_factory=dict)
    #: (channel id, epoch second) → the service an integration log says was added there then.
    _services: dict[tuple[str, str], str] = field(default_factory=dict)
    #: bot id → (service, bot_add label).
    _integrations: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: workspace root folder → its integration_logs.json entries, for its Group's `source`.
    integration_logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def read_users(self, layout: Layout, census: Census) -> Iterator[User | ReportEntry]:
        """Every user of every user list, once; on Grid org_users.json comes first and wins."""
        for path in layout.users:
            for n, item in enumerate(_array(layout, path), 1):
                if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                    where = f"{path} record {n}"
                    yield ReportEntry("quarantined", "user", None, "unreadable user: not an object with "
                                      "an id", location=where, raw=dump_record(item, where))
                    continue
                if item["id"] in self.names:
                    continue
                census.see("user", item, item["id"], f"{path} record {n}")
                user = build_user(item)  # type: ignore[arg-type]
                self.names[user.id] = user.name
                if bot_id := (item.get("profile") or {}).get("bot_id"):
                    self.bots.setdefault(bot_id, user.id)
                yield user

    def sender(
        self, user_id: str, message: wire.MessageObject, location: str
    ) -> Iterator[User | ReportEntry]:
        """A user known only from a message; later sightings yield nothing. A bot no user list
        knows is announced at the end (`rebuilt_bots`): a later message may name it better."""
        known = user_id in self.names
        if known and (user_id not in self._bots or self._bots[user_id].name):
            return  # the once-per-message path: nothing to learn
        profile: dict[str, Any] = dict(message.get("user_profile") or message.get("bot_profile") or {})  # type: ignore[call-overload]
        name = (profile.get("real_name") or profile.get("display_name") or profile.get("name")
                or message.get("username") or None)
        if known:
            if name:
                self._bots[user_id].name, self._bots[user_id].profile = name, profile
            return
        self.names[user_id] = name or _PLACEHOLDER_NAMES.get(user_id) or f"user {user_id}"
        if user_id.startswith("B"):
            self._bots[user_id] = _Bot(name, profile, location)
            return
        is_bot = user_id == wire.SLACKBOT or "bot_id" in message
        yield User(user_id, self.names[user_id], bot=is_bot, origin="message",
                   source={"profile": profile} if profile else {})
        yield ReportEntry("degraded", "user", user_id, "not in the export's user list; rebuilt from a "
                          "message (name only)", location=location)

    def read_integrations(self, layout: Layout, census: Census) -> Iterator[ReportEntry]:
        """Which service each integration was (integration_logs.json), by channel and second: what
        names a bot that its messages and bot_add do not name better. Each root's log is kept in
        `integration_logs` for its workspace Group; an entry that is no object is quarantined."""
        for root in layout.roots:
            if (path := layout.beside(root, wire.INTEGRATION_LOGS)) is None:
                continue
            kept = self.integration_logs[root.folder] = []
            for n, entry in enumerate(_array(layout, path), 1):
                where = f"{path} record {n}"
                raw = dump_record(entry, where)  # kept as it is: one nested too deep to write stops here
                if not isinstance(entry, dict):
                    yield ReportEntry("quarantined", "integration", None, "unreadable integration log entry: "
                                      "not an object", location=where, raw=raw)
                    continue
                kept.append(entry)
                ident = entry.get("service_id") or entry.get("app_id")
                census.see("integration", entry, str(ident) if ident else None, where)
                service = entry.get("service_type") or entry.get("app_type")
                if entry.get("channel") and entry.get("date") and isinstance(service, str) and service:
                    self._services[str(entry["channel"]), str(entry["date"])] = service

    def bot_added(self, bot_id: str, channel_id: str, ts: str, text: str) -> None:
        """A `bot_add` message: its link names the bot (`<…/services/B…|github>`) and its time
        matches the integration log's entry of the service."""
        label = _SERVICE_LABEL.search(text)
        service = self._services.get((channel_id, ts.partition(".")[0]))
        self._integrations.setdefault(bot_id, (service, label[1] if label else None))

    def rebuilt_bots(self) -> Iterator[User | ReportEntry]:
        """The bots no user list knows, each with the best name anything in the export gave it."""
        for bot_id, bot in self._bots.items():
            service, label = self._integrations.get(bot_id, (None, None))
            name = bot.name or service or label or f"bot {bot_id}"
            source: dict[str, Any] = {"profile": bot.profile} if bot.profile else {}
            if service:
                source["integration"] = service
            named = ("its messages' bot_profile or username" if bot.name else
                     "the integration log and its bot_add message" if service or label else
                     "nothing: no name")
            yield User(bot_id, name, bot=True, origin="message", source=source)
            yield ReportEntry("degraded", "user", bot_id, f"bot not in the export's user list; rebuilt from "
                              f"its messages, named by {named}", location=bot.location)


def build_user(item: wire.UserObject) -> User:
    profile = item.get("profile") or {}
    deleted = bool(item.get("deleted"))
    state: UserState = "deleted" if deleted else "active"
    name = (profile.get("real_name") or item.get("real_name") or profile.get("display_name")
            or item.get("name") or item["id"])
    return User(
        id=item["id"],
        name=name,
        email=profile.get("email") or None,
        state=state,
        guest=bool(item.get("is_restricted") or item.get("is_ultra_restricted")),
        bot=bool(item.get("is_bot")) or item["id"] == wire.SLACKBOT,
        title=profile.get("title") or None,
        source={k: v for k, v in item.items() if k not in wire.USER_CONSUMED},
    )


def workspace(layout: Layout, root: Root, integration_logs: list[Any] | None = None) -> Group:
    """The Group standing for one workspace root of the export; it keeps the root's integration log."""
    source: dict[str, Any] = {"folder": root.folder}
    if integration_logs:
        source["integration_logs"] = integration_logs
    if not root.folder:
        name = layout.tree.name.removesuffix(".zip")
        return Group(TOP_WORKSPACE, name, description="Slack workspace export", source=source)
    return Group(
        f"{TOP_WORKSPACE}:{root.label}",
        root.label.rpartition("/")[2],
        description="Slack workspace (Enterprise Grid per-workspace folder)",
        source=source,
    )


def read_channels(layout: Layout, root: Root, group: Group, directory: Directory, census: Census
                  ) -> Iterator[tuple[Channel, str | None] | ReportEntry]:
    """(channel, its folder or None) for each entry of the root's index files."""
    for index, path in root.indexes.items():
        kind, private = wire.CHANNEL_INDEXES[index]
        for n, item in enumerate(_array(layout, path), 1):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                where = f"{path} record {n}"
                yield ReportEntry("quarantined", "channel", None, "unreadable channel: not an object with "
                                  "an id", location=where, raw=dump_record(item, where))
                continue
            census.see("channel", item, item["id"], f"{path} record {n}")
            channel = build_channel(item, kind, private, group.id, directory)  # type: ignore[arg-type]
            channel.source["index"] = index
            directory.channel_names[channel.id] = item.get("name") or channel.id
            yield channel, layout.channel_folder(root, item.get("name"), item["id"])


def build_channel(
    item: wire.ChannelObject, kind: str, private: bool, group_id: str, directory: Directory
) -> Channel:
    members = [m for m in item.get("members") or [] if isinstance(m, str)]
    if not members and item.get("user"):
        members = [item["user"]]
    if kind == "direct":
        name = "Direct message: " + ", ".join(directory.names.get(m, m) for m in members)
    elif kind == "group_direct":
        name = "Group message: " + ", ".join(directory.names.get(m, m) for m in members)
    else:
        name = item.get("name") or item["id"]
    purpose = (item.get("purpose") or {}).get("value") or None
    created = wire.epoch_timestamp(item.get("created"))
    # a `created` that is no time (not a number, out of range) stays in `source` as it was
    consumed = ("id", "members", "created") if created or not item.get("created") else ("id", "members")
    return Channel(
        id=item["id"],
        kind=kind,  # type: ignore[arg-type]
        name=name,
        group_id=group_id,
        private=private,
        member_ids=members,
        description=purpose,
        created_at=created,
        source={k: v for k, v in item.items() if k not in consumed},
    )


def unlisted_channel(root_group: Group, folder: str) -> tuple[Channel, ReportEntry]:
    """A channel for a folder of day files that no index file lists; its messages are kept."""
    name = folder.rstrip("/").rpartition("/")[2]
    channel = Channel(f"unlisted:{folder.rstrip('/')}", "channel", name, group_id=root_group.id,
                      source={"folder": folder})
    return channel, ReportEntry("degraded", "channel", channel.id, f"folder {folder} holds day files but no "
                                "index file lists it; its messages are kept in a channel named after the "
                                "folder (id, privacy and members unknown)", location=folder)


def _array(layout: Layout, path: str) -> list[Any]:
    data = read_json(layout.tree, path)
    if not isinstance(data, list):
        raise InputError(f"expected a JSON array, found {type(data).__name__}", file=path, line=1)
    return data
