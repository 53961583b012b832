"""Reactions: imported as reactions where the target allows (up to its limit), otherwise shown as a
summary line so the count is not lost.

Only people mapped to their own account react for real: a reaction by the placeholder would be
attributed to the wrong person and collapse several people into one. Reactions by unmapped people
are counted in the summary line instead.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .draft import Draft, OutReaction
from .identities import UserMap


@dataclass(frozen=True, slots=True)
class ReactionPolicy:
    mode: Literal["import", "summary", "skip"] = "import"
    #: the most reactions one message may carry on the target (Teams: 250).
    limit: int = 250
    #: source kind → target kind; kinds not listed keep their name.
    kinds: Mapping[str, str] = field(default_factory=dict)
    #: source kind → target kind, or None when the target has no such reaction (a note counts it
    #: instead); when set, it replaces `kinds`.
    convert: Callable[[str], str | None] | None = None
    summary: str = "Reactions: {items}"
    unmapped_summary: str = "Reactions by people not migrated: {items}"
    unsupported_summary: str = "Reactions the target cannot show: {items}"


def summary_line(template: str, counts: Counter[str]) -> str:
    items = ", ".join(f"{kind} × {n}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"<p><em>{html.escape(template.format(items=items))}</em></p>"


def react(
    drafts: Iterable[Draft], users: UserMap, policy: ReactionPolicy = ReactionPolicy()
) -> Iterator[Draft]:
    for draft in drafts:
        source = draft.message.reactions
        tomb = any(d.kind == "deleted-root-tombstone" for d in draft.degradations)
        if not source or tomb:
            yield draft
            continue
        if policy.mode == "skip":
            draft.degrade("reactions-skipped", str(len(source)))
            yield draft
            continue
        real: list[OutReaction] = []
        seen: set[tuple[str, str]] = set()
        unmapped: Counter[str] = Counter()
        unsupported: Counter[str] = Counter()
        for r in source:
            kind = policy.convert(r.kind) if policy.convert else policy.kinds.get(r.kind, r.kind)
            if kind is None:
                unsupported[r.kind] += 1
                continue
            who = users.identity(r.user_id) if r.user_id else None
            if who is None or not who.mapped or policy.mode == "summary":
                unmapped[kind] += 1
                continue
            if (kind, who.source_id) in seen:
                continue
            seen.add((kind, who.source_id))
            real.append(OutReaction(kind, who, r.at.utc if r.at else None))
        if policy.mode == "summary" or len(real) > policy.limit:
            everything = Counter(r.kind for r in real) + unmapped + unsupported
            draft.html += summary_line(policy.summary, everything)
            draft.degrade("reactions-summary", str(len(source)))
            yield draft
            continue
        draft.reactions = real
        if unsupported:
            draft.html += summary_line(policy.unsupported_summary, unsupported)
            draft.degrade("reaction-unsupported", str(sum(unsupported.values())))
        if unmapped:
            draft.html += summary_line(policy.unmapped_summary, unmapped)
            draft.degrade("reaction-unmapped", str(sum(unmapped.values())))
        yield draft
