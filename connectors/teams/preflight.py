"""`plan check --online`: read-only checks against the tenant (or an emulator) before any write.

Only GETs and a token request are sent. Checked: the token and its application roles; every
mapped account and the placeholder resolve to users; new team names are not taken; existing teams
and channels exist, new channel names are free in them, and existing channels' migration state.
An email match that does not resolve is not an error: that person moves to the placeholder (and
shows up among the unmapped users); an explicit mapping or a placeholder that does not resolve is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rsemigrate.archive import Archive
from rsemigrate.migrate import PreflightCheck, Problem
from transforms import UserMap, user_mapping

from .graph import GraphReader, GraphReadError, read_secret, token_roles
from .plan import Container, TeamsPlan, TeamTarget

REQUIRED_ROLES = {
    "Teamwork.Migrate.All": "create teams and channels in migration mode, import, complete",
    "Files.ReadWrite.All": "upload files to the channels' SharePoint folders",
    "TeamMember.ReadWrite.All": "add members once the import is completed",
    "User.Read.All": "resolve authors",
}
ALTERNATIVES = {"Files.ReadWrite.All": {"Sites.ReadWrite.All"}}
OPTIONAL_ROLES = {
    "ChannelMessage.Read.All": "read imported messages back (verification; a protected API)",
    "Group.Read.All": "look for team name collisions",
}


@dataclass
class PreflightResult:
    checks: list[PreflightCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: source user ids whose email match is not a user of the tenant.
    unresolved: frozenset[str] = frozenset()

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(PreflightCheck(name, ok, detail))


def run_preflight(plan: TeamsPlan, archive: Archive, reader: GraphReader | None = None) -> PreflightResult:
    result = PreflightResult()
    reader = reader or GraphReader(plan.connection, read_secret(plan.connection, plan.path.parent))
    try:
        try:
            token = reader.token()
        except (GraphReadError, OSError) as exc:
            result.check("token", False, str(exc))
            result.problems.append(Problem("token", "refused", "teams connection", f"no app-only token: {exc}"))
            return result
        result.check("token", True, f"app-only token for client {plan.connection.client_id}")
        _roles(token_roles(token), result)
        _authors(plan, archive, reader, result)
        _teams(plan, reader, result)
    finally:
        reader.close()
    return result


def _roles(roles: list[str], result: PreflightResult) -> None:
    held = set(roles)
    missing = [r for r in REQUIRED_ROLES if r not in held and not (ALTERNATIVES.get(r, set()) & held)]
    result.check("roles", not missing, "granted: " + (", ".join(sorted(held)) or "none"))
    for role in missing:
        result.problems.append(Problem("missing-role", "refused", "app registration",
                                       f"{role} is not granted (needed to {REQUIRED_ROLES[role]})"))
    for role, why in OPTIONAL_ROLES.items():
        if role not in held:
            result.problems.append(Problem("missing-role", "warning", "app registration",
                                           f"{role} is not granted: cannot {why}"))


def _authors(plan: TeamsPlan, archive: Archive, reader: GraphReader, result: PreflightResult) -> None:
    users = UserMap(archive.users(), user_mapping(plan.common))
    by_target: dict[str, list[str]] = defaultdict(list)
    for user_id in users.users:
        who = users.identity(user_id)
        if who.target and who.method != "placeholder":
            by_target[who.target].append(user_id)
    placeholder = plan.common.users.placeholder
    unresolved: set[str] = set()
    missing = disabled = 0
    for target, sources in sorted(by_target.items()):
        found = reader.user(target)
        if found is None:
            missing += 1
            explicit = [s for s in sources if users.identity(s).method == "explicit"]
            if explicit:
                result.problems.append(Problem("unknown-account", "refused", f"users mapping: {target}",
                                               f"no such user in the tenant (mapped from {', '.join(explicit)})"))
            unresolved.update(s for s in sources if users.identity(s).method == "email")
        elif found.get("accountEnabled") is False:
            disabled += 1
            result.problems.append(Problem("disabled-account", "warning", f"account {target}",
                                           "is disabled; Teams may refuse it as an author"))
    ok_placeholder = True
    if placeholder:
        ok_placeholder = reader.user(placeholder) is not None
        if not ok_placeholder:
            result.problems.append(Problem("unknown-account", "refused", f"users.placeholder {placeholder}",
                                           "no such user in the tenant: create it or change users.placeholder"))
    result.unresolved = frozenset(unresolved)
    result.check("authors", ok_placeholder and not any(p.kind == "unknown-account" for p in result.problems),
                 f"{len(by_target) - missing} of {len(by_target)} mapped accounts resolve; "
                 f"{len(unresolved)} email matches fall back to the placeholder; {disabled} disabled")


def _teams(plan: TeamsPlan, reader: GraphReader, result: PreflightResult) -> None:
    problems_before = len(result.problems)
    for team in plan.teams.values():
        containers = [c for c in plan.containers if c.team is team]
        if not containers:
            continue
        try:
            if not team.existing:
                if reader.groups_named(team.name):
                    result.problems.append(Problem("name-collision", "refused", f"team {team.name!r}",
                                                   "a team or group with this name already exists in the tenant"))
                continue
            team_id = _existing_team(team, reader, result)
            if team_id:
                _existing_channels(team, team_id, containers, reader, result)
        except GraphReadError as exc:
            result.problems.append(Problem("preflight-read", "warning", f"team {team.name!r}",
                                           f"could not check it: {exc}"))
    ours = result.problems[problems_before:]
    result.check("names", not any(p.severity == "refused" for p in ours),
                 f"{len(plan.teams)} teams checked; {sum(p.severity == 'refused' for p in ours)} conflicts")


def _existing_team(team: TeamTarget, reader: GraphReader, result: PreflightResult) -> str | None:
    if team.id:
        if reader.team(team.id) is None:
            result.problems.append(Problem("team-not-found", "refused", f"team {team.name!r}",
                                           f"no team with id {team.id}"))
            return None
        return team.id
    found = reader.groups_named(team.name)
    if len(found) != 1:
        result.problems.append(Problem("team-not-found", "refused", f"team {team.name!r}",
                                       f"{len(found)} teams have this name; set id = \"...\" in [team.{team.key}]"))
        return None
    return str(found[0]["id"])


def _existing_channels(team: TeamTarget, team_id: str, containers: list[Container], reader: GraphReader,
                       result: PreflightResult) -> None:
    present = {str(c.get("displayName", "")).casefold(): c for c in reader.channels(team_id)}
    for container in containers:
        found = present.get(container.name.casefold())
        where = f"team {team.name!r} channel {container.name!r}"
        if container.kind == "new-channel" and found:
            result.problems.append(Problem("duplicate-channel-name", "refused", where,
                                           "a channel with this name already exists in the team"))
        elif container.kind == "existing-channel":
            if not found:
                result.problems.append(Problem("channel-not-found", "refused", where, "no such channel in the team"))
                continue
            mode = found.get("migrationMode")
            state = f"migrationMode {mode or 'none'}, created {found.get('createdDateTime')}"
            result.check(f"channel {container.name}", mode != "inProgress", state)
            if mode == "inProgress":
                result.problems.append(Problem(
                    "channel-in-migration", "warning", where,
                    "already in migration mode: only the app that started it can import; complete or reuse it"))
