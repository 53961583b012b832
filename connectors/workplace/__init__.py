"""Workplace from Meta, from what was saved of its Graph API (Workplace closes on 1 June 2026).

Modules: `wire` (the Graph shapes, the fields asked for and the saved layout), `layout` (the
index of a saved collection and its pages), `directory` (members and groups), `attachments`
(attachments and subattachments, saved media), `messages` (posts, comments and replies),
`reader` (the order of work), `collector` (`collect workplace`: the live API into that layout),
`emulator` (a local stand-in for the Graph API, for tests and rehearsals). The format, the
mapping and what public sources do and do not establish are in docs/workplace.md.

How Workplace maps to the neutral records:
- Each group (nested ones too) is a Group plus a `feed` Channel with the group's id.
- A post is a thread root (`<group id>_<post id>`), comments answer it, replies answer comments.
- `message` is the body (`markdown` or `plaintext`); `story` stays apart in `source.story`;
  `updated_time` is no edit marker.
- Attachments and subattachments become attachments; saved media are stored, media whose
  signed URL was never saved are `missing`, links are `external`.

Fatal, or reported? No community.json (not a collection), a file that is not JSON or a page that
is not `{"data": [...]}` stops the export with an InputError naming the file (and line and column
for malformed JSON), exit code 2. An item of a page without an id (or a post or comment without
`created_time`), or one the reader fails on (a time in an unknown form…), is `quarantined` with
its JSON text, the reason and its location (`<page> record <n>`). Authors who are not members are
rebuilt and reported `degraded`; what the collector could not read is reported `skipped`.
"""

from rsemigrate.export import Connector, Option

from . import wire
from .collector import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, collect
from .coverage import COVERAGE
from .reader import read

connector = Connector(
    name="workplace",
    description="Workplace from Meta content saved by `rsemigrate collect workplace` (.zip or folder).",
    read=read,
    collect=collect,
    collect_options=(
        Option(
            "token",
            "Access token of a custom integration that may read groups, group content and "
            "members (sent to the Graph host only; never logged or saved).",
            env="WORKPLACE_TOKEN",
            secret=True,
        ),
        Option(
            "graph_url", "The Graph API base URL (a local emulator in a rehearsal).", default=wire.GRAPH_URL
        ),
        Option("page_size", f"Items asked per page (1-{MAX_PAGE_SIZE}).", default=str(DEFAULT_PAGE_SIZE)),
    ),
    coverage=COVERAGE,
)

__all__ = ["connector"]
