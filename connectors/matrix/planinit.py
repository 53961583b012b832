"""`rsemigrate plan init --to matrix`: a commented starting plan, clean for the archive as written.

Defaults: every source channel becomes a private room named after its community or channel, all
of them in one space named after the source network; people with an email become virtual users
of the appservice (`@rsemigrate_<email>:server`), everyone else posts as a placeholder virtual
user with their name shown; private conversations become private rooms of their members. The
homeserver is assumed local (`http://127.0.0.1:8008`, server name `localhost`): edit both.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rsemigrate.archive import Archive
from rsemigrate.migrate import InitRequest, destinations, mapping_line, toml_key, toml_value

HEAD = """\
# rsemigrate migration plan: {archive} → Matrix
# Written by `rsemigrate plan init` on {today}. Edit it, then:
#   rsemigrate matrix register --plan {plan}                  # the appservice registration (once)
#   rsemigrate plan check {archive} --plan {plan}           # dry run, writes nothing
#   rsemigrate plan check {archive} --plan {plan} --online  # also asks the homeserver (read-only)
#   rsemigrate import {archive} --plan {plan}
# Exit code 0 means clean; 1 means something would be lost or refused (the report says what).

[plan]
target = "matrix"
version = 1
archive_id = {archive_id}     # the archive this plan was written for
archive_seal = {seal}

[matrix]
homeserver_url = "http://127.0.0.1:8008"   # the client-server API, as the import reaches it
server_name = "localhost"                   # the homeserver's server_name (the part after ':' in user ids)
# The appservice registration `rsemigrate matrix register` writes (relative to this plan). The
# import reads its token from there, or from the environment variable below when it is set.
registration = "rsemigrate-appservice.yaml"
as_token_env = "RSEMIGRATE_MATRIX_AS_TOKEN"
sender_localpart = "rsemigrate"   # the appservice's own user, which creates the rooms
user_prefix = "rsemigrate_"       # virtual users: @rsemigrate_<email or id>:server
alias_prefix = "rsemigrate_"      # room aliases: #rsemigrate_<room>-<hash>:server
space = {space}   # the space that groups the rooms; remove the line for none
placeholder_name = "Migration placeholder"   # display name of the placeholder user
# bytes of event content; longer messages are split (Synapse: 64 KiB per event)
message_budget = 48000
max_upload_bytes = 52428800       # the homeserver's max_upload_size (Synapse default 50M)
container_margin_seconds = 60     # members join this long before a room's first message

[users]
# Who sends each message. Order: the mapping CSV (columns source,target; source = user id or
# email; target = an existing account like @jane:example.org, used by identity assertion, or
# any other text, which names a virtual user), then the user's email (a virtual user), then the
# placeholder. Existing accounts must be in the registration: rerun `matrix register` after edits.
{mapping}match_by_email = true
placeholder = "placeholder"       # a virtual user (@rsemigrate_placeholder:server) or an existing @account
attribution = "Originally posted by {{name}}"

[options]
skip_deleted = true        # false: import deleted messages with a "(deleted)" marker
skip_system = true         # false: import joins, renames… as italic text lines
# since = 2018-01-01       # date window on thread roots (replies follow their thread); UTC dates
# until = 2024-01-01       # or times with an offset: 2024-01-01T00:00:00Z; until is exclusive
private_conversations = {private}   # "group-chats" (private rooms of their members) or "skip"
# "upload" to the media repository (m.file / m.image), or "skip" (a note names each file)
files = "upload"
reactions = "import"       # "import" (m.annotation by each person), "summary" or "skip"
edited_marker = true       # edited messages get "(edited)"

[rates]
# The appservice is exempt from Synapse's rate limits (rate_limited: false); these protect the server.
per_channel = 200.0        # requests per second per room
tenant = 400.0             # requests per second for the whole homeserver
upload_bytes_per_second = 20000000.0

# ── Destinations ──────────────────────────────────────────────────────────────────────────────
# One table per source community (or group-less channel), keyed by its id in the archive. Each
# of its channels becomes a room.
#   room = "Name"                    the room's name (default: the source's name)
#   topic = "…"                      the room's topic (default: the source's description)
#   rooms = {{ "ID" = "Name", … }}     per source channel, when a community holds several
#   skip = true                      leave this source out (it is then counted as skipped)
"""


def init_plan(request: InitRequest) -> str:
    archive = Archive(request.archive)
    found = destinations(archive)
    private = found.private
    mapping = mapping_line(request)
    header = archive.header
    space = header.source.network_name or header.source.platform.capitalize()
    out = [
        HEAD.format(
            archive=request.archive,
            plan=request.output,
            today=datetime.now(UTC).date().isoformat(),
            archive_id=toml_value(header.archive_id),
            seal=toml_value(archive.seal()),
            mapping=mapping,
            space=toml_value(f"{space} (imported)"),
            private=toml_value("group-chats" if private else "skip"),
        )
    ]
    if request.placeholder:
        out[0] = out[0].replace(
            'placeholder = "placeholder"', f"placeholder = {toml_value(request.placeholder)}"
        )
    archive_only = request.archive_only(header.archive_id)
    for dest_id, channels in found.channels.items():
        name = found.name(dest_id)
        total = sum(archive.message_count(c.id) for c in channels)
        out.append(f"\n[destination.{toml_key(dest_id)}]   # {name}: {total} messages")
        if dest_id in archive_only:
            out.append(f"skip = true   # archive-only, {archive_only[dest_id]}")
            continue
        if total == 0:
            out.append("skip = true   # no messages: no room is created for it")
            continue
        out.append(f"room = {toml_value(name)}")
        if len(channels) > 1:
            out.append(
                "rooms = { "
                + ", ".join(f"{toml_key(c.id)} = {toml_value(f'{name} / {c.name}')}" for c in channels)
                + " }"
            )
    if private:
        out.append(f"\n# {private} private conversation(s): see [options] private_conversations.")
    return "\n".join(out) + "\n"
