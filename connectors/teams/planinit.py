"""`rsemigrate plan init --to teams`: a commented starting plan, clean for the archive as written.

Defaults are the common Yammer → Teams choice: each community becomes a new team created in
migration mode, its feed goes to the team's General channel, private messages become group
chats, people are matched by email and anyone else posts through a placeholder account with their
name shown. The placeholder's address is a guess (the archive's most common email domain) that the
admin must confirm: only `plan check --online` can tell whether the account exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime

import orjson

from rsemigrate.archive import Archive, Channel, Group
from rsemigrate.migrate import InitRequest, destinations, mapping_line, toml_key, toml_value

from .plan import GENERAL, safe_channel_name


def _slug(name: str, taken: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "team"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _channel_summary(archive: Archive, channel: Channel) -> tuple[int, str | None, str | None]:
    count, first, last = 0, None, None
    for _, line in archive.message_lines(channel.id):
        count += 1
        last = line
        first = first or line
    when = [orjson.loads(x)["created_at"]["utc"][:10] if x else None for x in (first, last)]
    return count, when[0], when[1]


def _placeholder(archive: Archive, given: str | None) -> str:
    if given:
        return given
    domains = Counter(
        u.email.rsplit("@", 1)[1].lower() for u in archive.users() if u.email and "@" in u.email
    )
    domain = domains.most_common(1)[0][0] if domains else "example.invalid"
    return f"migration.placeholder@{domain}"


HEAD = """\
# rsemigrate migration plan: {archive} → Microsoft Teams
# Written by `rsemigrate plan init` on {today}. Edit it, then dry-run it (writes nothing anywhere):
#   rsemigrate plan check {archive} --plan {plan}
#   rsemigrate plan check {archive} --plan {plan} --online   # read-only checks against the tenant
# Exit code 0 means clean; 1 means something would be lost or refused (the report says what).

[plan]
target = "teams"
version = 1
archive_id = {archive_id}     # the archive this plan was written for
archive_seal = {seal}

[teams]
# The app registration used by --online and by the import. It needs the application permissions
# this plan's calls need (`plan check --online` prints the exact admin-consent list), such as
# Teamwork.Migrate.All, Group.Read.All, Chat.Create, Files.ReadWrite.All, TeamMember.ReadWrite.All
# and User.Read.All (ChannelMessage.Read.All too, to read imported messages back). The secret is
# never written here: it is read from the environment variable below, or from client_secret_file.
# tenant_id = "00000000-0000-0000-0000-000000000000"
# client_id = "00000000-0000-0000-0000-000000000000"
client_secret_env = "RSEMIGRATE_TEAMS_CLIENT_SECRET"
# client_secret_file = "/run/secrets/teams-client-secret"
graph_url = "https://graph.microsoft.com/v1.0"     # an emulator URL for rehearsals
login_url = "https://login.microsoftonline.com"
message_budget = 24000           # bytes per message; longer messages are split (Teams limit ~28 KB)
container_margin_seconds = 60    # teams and channels are created this long before their first message
# Graph's documented Teams limits per app per tenant (requests/s), which the import keeps below:
per_team_rps = 4.0               # on one team, all its channels together
channel_posts_rps = 50.0         # channel message posts
chat_posts_rps = 20.0            # chat message posts
team_creates_rps = 10.0          # POST /teams
teams_calls_rps = 30.0           # other Teams calls

[users]
# Who posts each message. Order: the mapping CSV (columns source,target; source = user id or
# email, target = UPN or object id), then the user's own email as UPN, then the placeholder.
{mapping}match_by_email = true
# Posts for anyone unmapped; their original name is shown at the top of the message. Create this
# account in Entra ID (or change it): `plan check --online` verifies that it exists.
placeholder = {placeholder}
attribution = "Originally posted by {{name}}"

[options]
skip_deleted = true        # false: import deleted messages with a "(deleted)" marker
skip_system = true         # false: import joins, renames… as italic text lines
# since = 2018-01-01       # date window on thread roots (replies follow their thread); UTC dates
# until = 2024-01-01       # or times with an offset: 2024-01-01T00:00:00Z; until is exclusive
private_conversations = {private}   # "group-chats" or "skip"
files = "upload"           # "upload" to the channel's SharePoint folder, or "skip" (a note names each file)
reactions = "import"       # "import" (up to 100 a message, else a summary line), "summary" or "skip"
edited_marker = true       # edited messages get "(edited)"

[rates]
per_channel = 4.0          # requests per second per channel or chat (Graph: 4 on a given channel)
tenant = 100.0             # requests per second in all: a cap of ours (the Teams limits are above)
upload_bytes_per_second = 5000000.0

# ── Teams ─────────────────────────────────────────────────────────────────────────────────────
# One table per team. existing = false: created by the import in migration mode (invisible to
# users until the import completes). existing = true: a team that already exists, found by `id`
# or else by its exact name.
"""

DEST_HEAD = """
# ── Destinations ──────────────────────────────────────────────────────────────────────────────
# One table per source community (or group-less channel), keyed by its id in the archive.
#   team = "KEY"              the [team.KEY] it goes to (several communities may share a team)
#   channel = "General"       General of a new team, or a channel created in migration mode;
#                             at most 50 characters, none of ~ # % & * {{ }} + / \\ : < > ? | ' "
#   existing_channel = true   import into an existing channel of an existing team (startMigration)
#   channels = {{ "ID" = "Name", … }}   per source channel, when a community holds several
#   skip = true               leave this community out (it is then counted as skipped)
"""


def init_plan(request: InitRequest) -> str:
    archive = Archive(request.archive)
    found = destinations(archive)
    groups, private = found.groups, found.private
    mapping = mapping_line(request)
    out = [HEAD.format(
        archive=request.archive, plan=request.output, today=datetime.now(UTC).date().isoformat(),
        archive_id=toml_value(archive.header.archive_id), seal=toml_value(archive.seal()), mapping=mapping,
        placeholder=toml_value(_placeholder(archive, request.placeholder)),
        private=toml_value("group-chats" if private else "skip"),
    )]
    taken: set[str] = set()
    dests: list[str] = [DEST_HEAD.format()]
    archive_only = request.archive_only(archive.header.archive_id)
    for dest_id, channels in found.channels.items():
        group = groups.get(dest_id)
        name = found.name(dest_id)
        summaries = [_channel_summary(archive, c) for c in channels]
        total = sum(s[0] for s in summaries)
        firsts = [s[1] for s in summaries if s[1]]
        lasts = [s[2] for s in summaries if s[2]]
        span = f", {min(firsts)} … {max(lasts)}" if firsts else ""
        notes = " (deleted in the source)" if isinstance(group, Group) and group.deleted else ""
        key = _slug(name, taken)
        dests.append(f"\n[destination.{toml_key(dest_id)}]   # {name}{notes}: {total} messages{span}")
        if total == 0 or dest_id in archive_only:
            why = archive_only.get(dest_id)
            dests.append(f"skip = true   # archive-only, {why}" if why else
                         "skip = true   # no messages: no team is created for it")
            dests.append(f"# team = {toml_value(key)}")
            continue
        out.append(
            f"\n[team.{toml_key(key)}]\nname = {toml_value(name)}\nexisting = false\n"
            + (f"description = {toml_value(group.description)}\n" if group and group.description else "")
        )
        dests.append(f"team = {toml_value(key)}")
        if len(channels) == 1:
            dests.append(f"channel = {toml_value(GENERAL)}")
        else:
            used: set[str] = set()
            pairs = []
            for i, channel in enumerate(channels):
                cname = GENERAL if i == 0 else safe_channel_name(channel.name)
                base, n = cname, 2
                while cname.casefold() in used:
                    cname = f"{base[:46]} {n}"
                    n += 1
                used.add(cname.casefold())
                pairs.append(f"{toml_key(channel.id)} = {toml_value(cname)}")
            dests.append("channels = { " + ", ".join(pairs) + " }")
    if private:
        dests.append(f"\n# {private} private conversation(s): see [options] private_conversations.")
    text = "".join(out) + "\n".join(dests) + "\n"
    return text
