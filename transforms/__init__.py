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
"""

from .markup import BASIC, AllowList, to_html

__all__ = ["AllowList", "BASIC", "to_html"]
