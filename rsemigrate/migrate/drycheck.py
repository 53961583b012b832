"""Checks every target's dry run makes the same way: stored files, unmapped people, skipped channels.

Why here: what an archive holds does not depend on the target, so every target's `plan check`
verifies a file, lists the people who fall back to the placeholder and counts the channels the
plan leaves out with the same code and the same words in the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..archive import Archive, Channel, User, check_stored
from .dryrun import DegradationCount, DryRunReport, Problem, Severity, UnmappedUser
from .plan import PlanHeader

#: a dry run lists this many problems of a kind, then counts the rest: a million oversize
#: messages must not make a million-line report.
MAX_PROBLEMS_PER_KIND = 200


@dataclass
class Findings:
    """What a target's dry run finds while it walks the plan, besides the plan itself."""

    problems: list[Problem] = field(default_factory=list)
    per_kind: Counter[str] = field(default_factory=Counter)
    degradations: Counter[str] = field(default_factory=Counter)

    def problem(self, kind: str, severity: Severity, where: str, detail: str) -> None:
        self.per_kind[kind] += 1
        if self.per_kind[kind] <= MAX_PROBLEMS_PER_KIND:
            self.problems.append(Problem(kind, severity, where, detail))

    def report_into(self, report: DryRunReport, descriptions: Mapping[str, str]) -> None:
        """Add the problems, with a line for those of a kind beyond the cap, and the degradations
        (most frequent first, described by `descriptions`)."""
        report.problems.extend(self.problems)
        for kind, n in self.per_kind.items():
            if n > MAX_PROBLEMS_PER_KIND:
                report.problems.append(Problem(kind, "warning", "(summary)",
                                               f"{n - MAX_PROBLEMS_PER_KIND} more not listed"))
        report.degradations = [DegradationCount(kind, n, descriptions.get(kind, kind)) for kind, n in
                               sorted(self.degradations.items(), key=lambda kv: (-kv[1], kv[0]))]


def plan_written_for(header: PlanHeader, archive: Archive) -> list[Problem]:
    """Warnings when the plan was written for another archive, or before this one changed."""
    if header.archive_id and header.archive_id != archive.header.archive_id:
        return [Problem("other-archive", "warning", "plan [plan] archive_id",
                        "the plan was written for another archive; review its destinations")]
    if header.archive_seal and header.archive_seal != archive.seal():
        return [Problem("archive-changed", "warning", "plan [plan] archive_seal",
                        "the archive changed since the plan was written; review its destinations")]
    return []


def verify_stored(archive: Archive, digest: str | None, size: int | None) -> str | None:
    """Why a file the archive lists as present cannot be uploaded, or None when it can."""
    if not digest:
        return "listed as present but has no sha256 in the archive"
    return check_stored(archive.path, digest, size)


def report_people(report: DryRunReport, users: Mapping[str, User], methods: Mapping[str, str],
                  targets: Mapping[str, str | None], messages: Counter[str]) -> None:
    """Fill the report's author counts and unmapped users; refuse authors nobody can stand in for.

    `methods` and `targets` give each author's (source id) mapping method and target account;
    `messages` how many messages each wrote."""
    report.users = dict(Counter(methods.values()))
    unmapped = [source_id for source_id, method in methods.items() if method not in ("explicit", "email")]
    unmapped.sort(
        key=lambda source_id: (-messages[source_id], users[source_id].name if source_id in users else "")
    )
    for source_id in unmapped:
        user = users.get(source_id)
        name = user.name if user and user.name else f"unknown user {source_id}"
        placeholder = methods[source_id] == "placeholder"
        fallback = (f"posted as {targets[source_id]} with the name shown" if placeholder
                    else "no target account and no placeholder: refused")
        report.unmapped_users.append(UnmappedUser(source_id, name, user.email if user else None,
                                                  messages[source_id], fallback))
        if not placeholder:
            report.problems.append(Problem(
                "no-author-account", "refused", f"user {source_id} ({name})",
                f"wrote {messages[source_id]} message(s) but maps to no account: "
                "add them to the users mapping or set users.placeholder"))


def skipped_channels(archive: Archive, skipped: Iterable[tuple[Channel, str]]) -> Counter[str]:
    """Messages of the channels the plan leaves out, by reason."""
    counts: Counter[str] = Counter()
    for channel, reason in skipped:
        n = archive.message_count(channel.id)
        if n:
            counts[f"messages ({reason})"] += n
    return counts
