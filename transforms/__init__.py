"""Composable passes over neutral records that prepare an archive for a target.

Each pass is a plain function from an iterator of `Draft`s (draft.py: a neutral `Message` on its
way to a target) to an iterator of drafts, so passes chain (`draft.chain`) without holding an
export in memory. None names a platform: targets pass their renderers, allow-list and limits.

    select        which messages go, under which thread root (window, deleted, system, orphans)
    markup        body conversion to allow-listed HTML (formats: plain, Yammer, markdown, mrkdwn)
    annotations   visible lines for titles, kinds, edits, deletions, flattened replies
    identities    who each author becomes: mapping CSV, email match, placeholder + attribution
    mentions      mention tokens to target mentions, or plain text with the name
    attachments   files to uploads with tags, link cards to links, missing files to notes
    reactions     reactions up to the target's limit, else a summary line
    split         messages over the size budget to ordered continuation parts
    timestamps    deterministic, unique-per-container millisecond creation times
    links         which URLs may become a link in markup we write (http, https, mailto)
"""

from .annotations import Labels, annotate
from .attachments import FilePolicy, attach, tag_id
from .draft import DEGRADATIONS, Draft, Identity, chain
from .identities import UserMap, UserMapping, load_mapping_csv, map_authors, user_mapping
from .links import LINK_SCHEMES, link_scheme, safe_link
from .markup import BASIC, READING, AllowList, body_to_html, convert_bodies, reading_html, to_html
from .mentions import resolve_mentions
from .reactions import ReactionPolicy, react
from .select import Selection, ThreadIndex, select
from .split import split_long
from .timestamps import assign_times, merge

__all__ = [
    "AllowList",
    "BASIC",
    "LINK_SCHEMES",
    "READING",
    "DEGRADATIONS",
    "Draft",
    "FilePolicy",
    "Identity",
    "Labels",
    "ReactionPolicy",
    "Selection",
    "ThreadIndex",
    "UserMap",
    "UserMapping",
    "annotate",
    "assign_times",
    "attach",
    "body_to_html",
    "chain",
    "convert_bodies",
    "link_scheme",
    "load_mapping_csv",
    "map_authors",
    "merge",
    "react",
    "reading_html",
    "resolve_mentions",
    "safe_link",
    "select",
    "split_long",
    "tag_id",
    "to_html",
    "user_mapping",
]
