"""The options of `collect teams` (and of `export teams` without SRC), declared once for the CLI.

The sign-in is the import's: an app registration (tenant and client id) with a client secret or a
certificate, against a configurable login and Graph URL (an emulator for rehearsals). The secret is
a secret option: `--client-secret-file FILE` or `$RSEMIGRATE_TEAMS_CLIENT_SECRET` (the variable the
import reads), never echoed, logged or written. This module stays light: the CLI imports it to
build `--help`.
"""

from __future__ import annotations

from rsemigrate.export import Option

from . import wire

#: Graph's documented ceiling per app on one team or channel (throttling-limits, Teams table).
DEFAULT_RATE = 4.0
#: and on the whole tenant for GETs of channel messages.
TENANT_RATE = 20.0
FILES_MODES = ("download", "links")

COLLECT_OPTIONS = (
    Option(
        "team",
        "Team ids (Microsoft 365 group GUIDs) to collect, comma-separated: every channel "
        "(standard, private and shared), message, reply, inline image and file.",
    ),
    Option(
        "user", "Also the chats (1:1, group, meeting) of these users, by UPN or object id, comma-separated."
    ),
    Option("tenant_id", "The Entra tenant of the app registration.", env="RSEMIGRATE_TEAMS_TENANT_ID"),
    Option(
        "client_id",
        "The app registration's client id (application permissions: Team.ReadBasic.All, "
        "Channel.ReadBasic.All, ChannelMember.Read.All, TeamMember.Read.All, ChannelMessage.Read.All, "
        "Chat.Read.All, User.Read.All, Files.Read.All).",
        env="RSEMIGRATE_TEAMS_CLIENT_ID",
    ),
    Option(
        "client_secret",
        "The app's client secret (sent to the login URL only; never logged or saved).",
        env="RSEMIGRATE_TEAMS_CLIENT_SECRET",
        secret=True,
    ),
    Option(
        "client_certificate_file",
        "Sign in with this certificate (PEM or PKCS#12) instead of a secret; its "
        "password, if any, in $RSEMIGRATE_TEAMS_CERTIFICATE_PASSWORD.",
    ),
    Option("graph_url", "The Graph base URL (a local emulator in a rehearsal).", default=wire.GRAPH_URL),
    Option("login_url", "The sign-in authority (an emulator's URL in a rehearsal).", default=wire.LOGIN_URL),
    Option(
        "files",
        "Reference files: 'download' them from the drive when the app may, else keep them as "
        "links; or 'links': never download.",
        default="download",
    ),
    Option(
        "rate",
        f"Requests per second to one team, channel or chat (Graph allows {DEFAULT_RATE:g}; the "
        f"whole run stays under {TENANT_RATE:g}/s); 0 turns pacing off.",
        default=f"{DEFAULT_RATE:g}",
    ),
)
