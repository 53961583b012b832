"""Slack workspace export (the admin "Export data" zip, or that zip unpacked).

Modules: `wire` (file names, object shapes, subtypes, ts parsing), `layout` (workspace roots,
index files, channel folders, day files, carried binaries), `directory` (users, workspaces,
channels), `markup` (mrkdwn entities into mentions and plain text), `files` (file objects into
attachments; carried, downloaded or external binaries), `messages` (the per-record mapping),
`reader` (the order of work), `emulator` (a local stand-in for files.slack.com, for tests and
rehearsals). The full mapping and its reasons are in docs/slack.md.

How Slack maps to the neutral records:
- Each workspace root (the export's top folder; on Enterprise Grid each per-workspace folder) is
  a Group; every entry of channels.json (public), groups.json (private), dms.json (`direct`) and
  mpims.json (`group_direct`) is a Channel with its Slack id, whatever its folder is called.
- A message is `<channel id>:<ts>`; threads come from `thread_ts`; times are the `ts` epoch
  strings at microsecond precision, raw kept; the body is the raw mrkdwn (`slack-mrkdwn`) and
  `text` its plain rendering with mentions extracted.
- Files are stored when the export carries them or a token can fetch them, else `external`.

Fatal, or reported? A missing user list or channels.json, a file that is not JSON, or an index or
day file that is not an array stops the export with an InputError naming the file (and line and
column for malformed JSON), exit code 2. A record inside a good file that is not an object with an
id (users, channels) or a valid `ts` (messages) is `quarantined` with its JSON text and its
location (`<file> record <n>`). Senders no user list knows, tombstones, folders no index lists and
files that could not be fetched are kept and reported `degraded`.
"""

from rsemigrate.export import Connector, Option

from . import wire
from .reader import read

connector = Connector(
    name="slack",
    description="Slack workspace export, including Enterprise Grid (.zip or folder).",
    read=read,
    options=(
        Option("token", "Slack token with files:read: downloads the files the export only links to "
               "(sent to files.slack.com only; never logged or stored).", env="SLACK_TOKEN", secret=True),
        Option("files_url", "Where files.slack.com URLs are fetched from (a local emulator in a rehearsal).",
               default=wire.FILES_ORIGIN),
    ),
)

__all__ = ["connector"]
