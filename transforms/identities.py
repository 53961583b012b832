"""Who each source user becomes on the target: explicit mapping, email match, or placeholder.

Order of precedence: a row of the mapping CSV (keyed by source id or by email), then the
source email itself when `match_by_email` is on, then the placeholder account. Anyone who ends up
on the placeholder keeps their name: `map_authors` puts an attribution line on their messages.
Without a placeholder such a person has no target account at all, which the dry run refuses.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rsemigrate.archive import User
from rsemigrate.errors import InputError
from rsemigrate.migrate import CommonPlan, read_text_input

from .draft import Draft, Identity


@dataclass(frozen=True, slots=True)
class UserMapping:
    #: source user id, or lower-cased email, to target account (UPN or object id).
    explicit: dict[str, str] = field(default_factory=dict)
    match_by_email: bool = True
    placeholder: str | None = None
    #: source ids whose email match did not resolve on the target (set by an online check).
    unresolved: frozenset[str] = frozenset()


def user_mapping(common: CommonPlan, unresolved: frozenset[str] = frozenset()) -> UserMapping:
    """The mapping a plan's common sections describe (its CSV, e-mail matching, placeholder);
    `unresolved` are the source ids an online check could not find on the target."""
    explicit = load_mapping_csv(common.mapping_path) if common.mapping_path else {}
    return UserMapping(explicit, common.users.match_by_email, common.users.placeholder, unresolved)


def load_mapping_csv(path: Path) -> dict[str, str]:
    """Read a `source,target` CSV (header required; other columns are ignored).

    `source` is a source user id or an email address; `target` a UPN or object id. A row that
    repeats a source with another target is an error naming both lines.
    """
    text = read_text_input(path, "the users mapping", encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"source", "target"} <= columns:
        raise InputError("the header must name the columns 'source' and 'target'", file=str(path), line=1)
    found: dict[str, tuple[str, int]] = {}
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        source, target = row.get("source", ""), row.get("target", "")
        if not source and not target:
            continue
        if not source or not target:
            raise InputError("both 'source' and 'target' must be filled", file=str(path), line=line)
        key = source.lower() if "@" in source else source
        if key in found and found[key][0] != target:
            raise InputError(
                f"{source!r} is mapped twice (also on line {found[key][1]}) to different targets",
                file=str(path),
                line=line,
            )
        found[key] = (target, line)
    return {k: v for k, (v, _) in found.items()}


class UserMap:
    """Identities of the archive's users under a mapping; unknown ids still get a name."""

    def __init__(self, users: Iterable[User], mapping: UserMapping) -> None:
        self.mapping = mapping
        self.users = {u.id: u for u in users}
        self._cache: dict[str, Identity] = {}

    def name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user and user.name else f"unknown user {user_id}"

    def identity(self, user_id: str) -> Identity:
        hit = self._cache.get(user_id)
        if hit is None:
            hit = self._cache[user_id] = self._resolve(user_id)
        return hit

    def _resolve(self, user_id: str) -> Identity:
        m, user = self.mapping, self.users.get(user_id)
        email = (user.email or "").strip().lower() if user else ""
        name = self.name(user_id)
        if user_id in m.explicit:
            return Identity(user_id, name, m.explicit[user_id], "explicit")
        if email and email in m.explicit:
            return Identity(user_id, name, m.explicit[email], "explicit")
        if email and m.match_by_email and user_id not in m.unresolved:
            return Identity(user_id, name, email, "email")
        if m.placeholder:
            return Identity(user_id, name, m.placeholder, "placeholder")
        return Identity(user_id, name, None, "none")


def attribution_html(template: str, name: str) -> str:
    return f"<p><em>{html.escape(template.format(name=name))}</em></p>"


def map_authors(drafts: Iterable[Draft], users: UserMap,
                attribution: str = "Originally posted by {name}") -> Iterator[Draft]:
    """Set each draft's author; a stand-in author gets the original name shown in the message."""
    for draft in drafts:
        author = draft.author = users.identity(draft.message.author_id)
        if author.method == "placeholder":
            draft.html = attribution_html(attribution, author.name) + draft.html
            draft.degrade("placeholder-author", author.source_id)
        yield draft
