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
from .guests import external_authors
from .plan import Container, TeamsPlan, TeamTarget

MIGRATE = "Teamwork.Migrate.All"
#: read back to verify and to recover an id after a crash; a protected API, so only a warning.
OPTIONAL_ROLES = {
    "ChannelMessage.Read.All": "read imported channel messages back (verification; a protected API)",
}


@dataclass(frozen=True)
class Need:
    """Application permissions of which the app needs one (admin consent), and why."""

    roles: tuple[str, ...]
    why: str

    @property
    def text(self) -> str:
        return " or ".join(self.roles)


def needed_roles(plan: TeamsPlan) -> list[Need]:
    """Every application permission this plan's import calls need (permissions sections of the
    Graph reference page of each call: team-post, channel-post, chat-post, channel-list,
    group-list, driveitem-put-content, team-post-members, user-get)."""
    kinds = {c.kind for c in plan.containers}
    new_teams = any(not t.existing for t in plan.teams.values())
    needs = [Need((MIGRATE,), "create teams and channels in migration mode, start, import and complete"),
             Need(("User.Read.All",), "resolve every author and member to an account")]
    if plan.teams:
        needs.append(Need(("Channel.ReadBasic.All", "Group.Read.All"),
                          "list a team's channels (General, recovery)"))
        needs.append(Need(("Group.Read.All",), "find teams by name (collisions, recovery after a crash)"))
    if any(c.kind == "new-channel" and c.team and c.team.existing for c in plan.containers):
        needs.append(Need(("Channel.Create",), "create new channels in existing teams (then startMigration)"))
    if "chat" in kinds:
        needs.append(Need(("Chat.Create", "Chat.ReadWrite.All"), "create the group chats"))
        needs.append(Need(("Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All"),
                          "find a chat again after a crash"))
    if plan.common.options.files == "upload":
        needs.append(Need(("Files.ReadWrite.All", "Sites.ReadWrite.All"),
                          "upload files to SharePoint and OneDrive"))
    if new_teams:
        needs.append(Need(("TeamMember.ReadWrite.All",), "add members and owners once a team is completed"))
    return needs


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
            result.problems.append(
                Problem("token", "refused", "teams connection", f"no app-only token: {exc}")
            )
            return result
        result.check("token", True, f"app-only token for client {plan.connection.client_id}")
        _roles(token_roles(token), plan, result)
        _authors(plan, archive, reader, result)
        _teams(plan, reader, result)
    finally:
        reader.close()
    return result


def _roles(roles: list[str], plan: TeamsPlan, result: PreflightResult) -> None:
    held = set(roles)
    missing = [n for n in needed_roles(plan) if not held & set(n.roles)]
    result.check("roles", not missing, "granted: " + (", ".join(sorted(held)) or "none"))
    for need in missing:
        result.problems.append(Problem("missing-role", "refused", "app registration",
                                       f"{need.text} is not granted (needed to {need.why})"))
    if missing:
        result.problems.append(Problem(
            "admin-consent", "refused", "app registration",
            "grant these application permissions in Entra ID, then 'Grant admin consent': "
            + ", ".join(n.roles[0] for n in missing)))
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
    guests = {e.email.lower() for e in external_authors(plan, users)} \
        if plan.connection.external_authors == "guest" else set()
    for target, sources in sorted(by_target.items()):
        found = reader.user(target)
        if found is None and target.lower() in guests:
            matches = reader.users_with_mail(target)
            found = matches[0] if len(matches) == 1 else None
            if found is None:
                result.problems.append(Problem("external-author", "warning", f"guest {target}",
                                               "no guest account has this email: invite them, or they post "
                                               "as the placeholder"))
        if found is None:
            missing += 1
            explicit = [s for s in sources if users.identity(s).method == "explicit"]
            if explicit:
                result.problems.append(
                    Problem(
                        "unknown-account",
                        "refused",
                        f"users mapping: {target}",
                        f"no such user in the tenant (mapped from {', '.join(explicit)})",
                    )
                )
            unresolved.update(s for s in sources if users.identity(s).method == "email")
        elif found.get("accountEnabled") is False:
            disabled += 1
            result.problems.append(Problem("disabled-account", "warning", f"account {target}",
                                           "is disabled; Teams may refuse it as an author"))
    ok_placeholder = True
    if placeholder:
        ok_placeholder = reader.user(placeholder) is not None
        if not ok_placeholder:
            result.problems.append(
                Problem(
                    "unknown-account",
                    "refused",
                    f"users.placeholder {placeholder}",
                    "no such user in the tenant: create it or change users.placeholder",
                )
            )
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
                    result.problems.append(
                        Problem(
                            "name-collision",
                            "refused",
                            f"team {team.name!r}",
                            "a team or group with this name already exists in the tenant",
                        )
                    )
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
        result.problems.append(
            Problem(
                "team-not-found",
                "refused",
                f"team {team.name!r}",
                f'{len(found)} teams have this name; set id = "..." in [team.{team.key}]',
            )
        )
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
                result.problems.append(
                    Problem("channel-not-found", "refused", where, "no such channel in the team")
                )
                continue
            mode = found.get("migrationMode")
            state = f"migrationMode {mode or 'none'}, created {found.get('createdDateTime')}"
            result.check(f"channel {container.name}", mode != "inProgress", state)
            if mode == "inProgress":
                result.problems.append(
                    Problem(
                        "channel-in-migration",
                        "warning",
                        where,
                        "already in migration mode: only the app that started it can import; complete or "
                        "reuse it",
                    )
                )
