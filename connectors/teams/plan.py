"""The Teams part of a migration plan: connection, teams, and where each source group goes.

    [teams]                         connection and limits (secret from env or file, never inline)
    [team.KEY]                      a team: created in migration mode, or existing (by name or id)
    [destination."SOURCE-ID"]       a source group (or group-less channel) → team KEY, channel NAME

A destination's channel is the new team's General channel, a new channel created in migration
mode, or (`existing_channel = true`) an existing channel taken into migration mode. Several
destinations may name one team; a source group with several channels maps each in `channels`.
Private conversations become group chats or are skipped ([options] private_conversations).

Loading raises `PlanError` (exit 2) for a malformed plan. Problems an admin must fix in a
well-formed plan (a channel name Teams refuses, two sources on one channel name, a group with no
destination) are returned as dry-run problems instead, so they all show at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass as plain_dataclass
from dataclasses import field
from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic.dataclasses import dataclass

from rsemigrate.archive import Archive, Channel, Group
from rsemigrate.migrate import STRICT, CommonPlan, KeyPath, PlanDocument, Problem, load_common

from .render import BUDGET_BYTES, TEAMS_LIMIT_BYTES

GENERAL = "General"
MAX_CHANNEL_NAME = 50
MAX_TEAM_NAME = 256
#: channels per team in the Teams limits page consulted (check the current page).
MAX_CHANNELS = 200
TABLES = frozenset({"plan", "teams", "users", "options", "rates", "team", "destination"})
_FORBIDDEN = set('~#%&*{}+/\\:<>?|\'"')


@dataclass(config=STRICT)
class ConnectionSection:
    tenant_id: str | None = None
    client_id: str | None = None
    #: the client secret is read from this environment variable, or from `client_secret_file`.
    client_secret_env: str = "RSEMIGRATE_TEAMS_CLIENT_SECRET"
    client_secret_file: str | None = None
    #: app-only sign-in with a certificate instead of a secret (PEM or PKCS#12; real tenants only).
    client_certificate_file: str | None = None
    client_certificate_password_env: str = "RSEMIGRATE_TEAMS_CERTIFICATE_PASSWORD"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    login_url: str = "https://login.microsoftonline.com"
    message_budget: int = BUDGET_BYTES
    #: containers are created this long before their first message.
    container_margin_seconds: int = 60
    #: Graph's per-app-per-tenant Teams limits (requests/s; throttling-limits page): on one team
    #: (its channels included), channel-message posts, chat-message posts, POST /teams, other calls.
    per_team_rps: float = 4.0
    channel_posts_rps: float = 50.0
    chat_posts_rps: float = 20.0
    team_creates_rps: float = 10.0
    teams_calls_rps: float = 30.0
    #: the tenant's own email domains (default: the placeholder's); authors matched by an email
    #: elsewhere are external (guests.py), and `external_authors` says what becomes of them.
    tenant_domains: list[str] = field(default_factory=list)
    external_authors: Literal["placeholder", "guest", "skip"] = "placeholder"

    @field_validator("message_budget")
    @classmethod
    def _budget(cls, value: int) -> int:
        if not 2_000 <= value <= TEAMS_LIMIT_BYTES:
            raise ValueError(f"must be between 2000 and {TEAMS_LIMIT_BYTES} bytes")
        return value

    @field_validator("per_team_rps", "channel_posts_rps", "chat_posts_rps", "team_creates_rps",
                     "teams_calls_rps")
    @classmethod
    def _rate(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0 (requests per second)")
        return value

    @field_validator("container_margin_seconds")
    @classmethod
    def _margin(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 second")
        return value


@dataclass(config=STRICT)
class TeamSection:
    name: str
    existing: bool = False
    id: str | None = None
    description: str | None = None
    #: accounts (UPN or object id) made owners of a team the import creates, once it is completed.
    owners: list[str] = field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip() or len(value) > MAX_TEAM_NAME:
            raise ValueError(f"a team name has 1 to {MAX_TEAM_NAME} characters")
        return value


@dataclass(config=STRICT)
class DestinationSection:
    team: str | None = None
    channel: str = GENERAL
    existing_channel: bool = False
    skip: bool = False
    #: source channel id → channel name, for source groups that hold several channels.
    channels: dict[str, str] = field(default_factory=dict)


ContainerKind = Literal["general", "new-channel", "existing-channel", "chat"]


@plain_dataclass
class TeamTarget:
    key: str
    name: str
    existing: bool
    id: str | None = None
    description: str | None = None
    owners: list[str] = field(default_factory=list)


@plain_dataclass
class Container:
    """One Teams conversation that receives messages: a channel of a team, or a group chat."""

    key: str
    kind: ContainerKind
    name: str
    team: TeamTarget | None
    sources: list[Channel] = field(default_factory=list)
    where: str = ""


@plain_dataclass
class TeamsPlan:
    path: Path
    common: CommonPlan
    connection: ConnectionSection
    teams: dict[str, TeamTarget]
    containers: list[Container]
    problems: list[Problem]
    #: source channels left out on purpose, with the reason.
    skipped: list[tuple[Channel, str]]


def channel_name_problem(name: str) -> str | None:
    """Why Teams would refuse this channel name, or None."""
    if not name.strip():
        return "is empty"
    if len(name) > MAX_CHANNEL_NAME:
        return f"is {len(name)} characters long (at most {MAX_CHANNEL_NAME})"
    bad = sorted({ch for ch in name if ch in _FORBIDDEN or ord(ch) < 32})
    if bad:
        return "contains " + " ".join(repr(ch) for ch in bad)
    if name.startswith(("_", ".")) or name.endswith("."):
        return "starts with '_' or '.', or ends with '.'"
    if ".." in name:
        return "contains '..'"
    return None


def safe_channel_name(name: str) -> str:
    """A name Teams accepts, made from a source name (used by `plan init`)."""
    cleaned = "".join(" " if ch in _FORBIDDEN or ord(ch) < 32 else ch for ch in name)
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"\s+", " ", cleaned)).strip(" ._")
    cleaned = cleaned[:MAX_CHANNEL_NAME].rstrip(" .")
    return cleaned or "Imported"


def load_plan(path: Path, archive: Archive) -> TeamsPlan:
    doc = PlanDocument.load(path)
    for key in doc.data:
        if key not in TABLES:
            raise doc.error((key,), f"unknown table (a Teams plan has {', '.join(sorted(TABLES))})")
    common = load_common(doc)
    connection = doc.section(("teams",), ConnectionSection)
    teams = {key: TeamTarget(key, t.name, t.existing, t.id, t.description, list(t.owners))
             for key, t in doc.section(("team",), dict[str, TeamSection]).items()}
    destinations = doc.section(("destination",), dict[str, DestinationSection])
    plan = TeamsPlan(path, common, connection, teams, [], [], [])
    _resolve(plan, doc, archive, destinations)
    return plan


def _resolve(plan: TeamsPlan, doc: PlanDocument, archive: Archive,
             destinations: dict[str, DestinationSection]) -> None:
    groups: dict[str, Group] = {g.id: g for g in archive.groups()}
    channels = list(archive.channels())
    known_ids = set(groups) | {c.id for c in channels}
    for key in destinations:
        if key not in known_ids:
            raise doc.error(("destination", key), "no group or channel with this id in the archive")
    for key, dest in destinations.items():
        if dest.skip:
            continue
        if dest.team is None:
            raise doc.error(("destination", key), "needs team = \"KEY\" (a [team.KEY] table) or skip = true")
        if dest.team not in plan.teams:
            raise doc.error(("destination", key, "team"), f"no [team.{dest.team}] table in the plan")
        team = plan.teams[dest.team]
        if dest.existing_channel and not team.existing:
            raise doc.error(("destination", key, "existing_channel"),
                            "a team created by the import has no existing channels; remove this key")
    containers: dict[str, Container] = {}
    for channel in channels:
        if channel.kind in ("direct", "group_direct"):
            if plan.common.options.private_conversations == "skip":
                plan.skipped.append(
                    (channel, 'private conversation (options.private_conversations = "skip")')
                )
            else:
                containers[f"chat:{channel.id}"] = Container(
                    f"chat:{channel.id}", "chat", channel.name or f"chat {channel.id}", None, [channel],
                    f"private conversation {channel.id}")
            continue
        dest_key = channel.group_id if channel.group_id in destinations else channel.id
        found = destinations.get(dest_key)
        if found is None:
            label = groups[channel.group_id].name if channel.group_id in groups else channel.name
            plan.problems.append(
                Problem(
                    "no-destination",
                    "lost",
                    f"source {dest_key} ({label})",
                    "has no [destination] in the plan: its messages would not be migrated (add one, or skip "
                    "= true)",
                )
            )
            continue
        dest = found
        if dest.skip:
            plan.skipped.append((channel, f"destination {dest_key} has skip = true"))
            continue
        assert dest.team is not None
        team = plan.teams[dest.team]
        name = dest.channels.get(channel.id, dest.channel)
        where_key: KeyPath = (
            ("destination", dest_key, "channels", channel.id)
            if channel.id in dest.channels
            else ("destination", dest_key, "channel")
        )
        line = doc.line(where_key)
        where = f"{doc.path.name} line {line}" if line else doc.path.name
        _add(plan, containers, team, name, dest, channel, where)
    plan.containers = list(containers.values())
    per_team: dict[str, int] = {}
    for container in plan.containers:
        if container.team is not None:
            per_team[container.team.key] = per_team.get(container.team.key, 0) + 1
    for key, n in per_team.items():
        if n > MAX_CHANNELS:
            plan.problems.append(Problem("too-many-channels", "refused", f"team {plan.teams[key].name!r}",
                                         f"{n} channels planned; a team holds at most {MAX_CHANNELS}"))


def _add(plan: TeamsPlan, containers: dict[str, Container], team: TeamTarget, name: str,
         dest: DestinationSection, channel: Channel, where: str) -> None:
    is_general = name.casefold() == GENERAL.casefold()
    if dest.existing_channel:
        kind: ContainerKind = "existing-channel"
    elif is_general and not team.existing:
        kind = "general"
    else:
        kind = "new-channel"
    label = f"team {team.name!r} channel {name!r}"
    if kind != "existing-channel" and (problem := channel_name_problem(name)) and not is_general:
        plan.problems.append(Problem("invalid-channel-name", "refused", f"{where}: {label}",
                                     f"Teams refuses this channel name: it {problem}"))
    if kind == "new-channel" and is_general:
        plan.problems.append(Problem(
            "duplicate-channel-name", "refused", f"{where}: {label}",
            "an existing team already has a General channel: set existing_channel = true to import into it"))
    key = f"{team.key}/{name.strip().casefold()}"
    if key in containers:
        other = containers[key]
        plan.problems.append(Problem(
            "duplicate-channel-name", "refused", f"{where}: {label}",
            f"channel names must be unique within a team (ignoring case): {other.where} already puts "
            f"source {other.sources[0].id} ({other.sources[0].name}) into {other.name!r}"))
        return
    containers[key] = Container(key, kind, name, team, [channel], where)
