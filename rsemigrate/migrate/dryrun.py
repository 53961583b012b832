"""The dry-run report: what an import would create, post, upload, degrade, lose or be refused.

Severities decide the exit code of `plan check`:
- `refused`: the target would reject something (an oversize message, a duplicate channel name,
  an author with no account, a time in the future) — exit 1;
- `lost`: something in the archive would not arrive (a stored file whose bytes are missing or
  corrupt, a conversation that cannot be created) — exit 1;
- `warning`: worth reading, nothing lost (the archive changed since the plan was written…).
Degradations are fallbacks that keep the content visible in another form (a reaction summary, a
link instead of a card, a placeholder author with the name shown): they are counted, listed with
their fallback, and do not fail the check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["refused", "lost", "warning"]


@dataclass(frozen=True)
class CheckRequest:
    """What `plan check` asks a target: this archive, this plan, and whether to ask the service too."""

    archive: Path
    plan: Path
    online: bool = False


@dataclass(slots=True)
class Problem:
    kind: str
    severity: Severity
    where: str
    detail: str


@dataclass(slots=True)
class ContainerPlan:
    """One target conversation (a channel or a chat) and what goes into it."""

    key: str
    kind: str
    name: str
    action: str
    parent: str | None = None
    sources: list[str] = field(default_factory=list)
    #: the archive channel ids it receives (`sources` names them for people).
    channel_ids: list[str] = field(default_factory=list)
    messages: int = 0
    posts: int = 0
    threads: int = 0
    files: int = 0
    file_bytes: int = 0
    first: str | None = None
    last: str | None = None
    created_at: str | None = None
    #: fallbacks its messages take, by kind (the report's `degradations` add them up).
    degradations: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class ParentPlan:
    """A container of containers (a team): created, or existing and reused."""

    key: str
    name: str
    action: str
    created_at: str | None = None


@dataclass(slots=True)
class UnmappedUser:
    source_id: str
    name: str
    email: str | None
    messages: int
    fallback: str


@dataclass(slots=True)
class DegradationCount:
    kind: str
    count: int
    fallback: str


@dataclass(slots=True)
class Estimate:
    requests: int = 0
    upload_bytes: int = 0
    seconds: float = 0.0
    assumptions: str = ""


@dataclass(slots=True)
class PreflightCheck:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class DryRunReport:
    target: str
    archive: str
    plan: str
    online: bool = False
    parents: list[ParentPlan] = field(default_factory=list)
    containers: list[ContainerPlan] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    #: archive channel id -> why the plan leaves it out.
    left_out: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    unmapped_users: list[UnmappedUser] = field(default_factory=list)
    degradations: list[DegradationCount] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    preflight: list[PreflightCheck] = field(default_factory=list)
    estimate: Estimate = field(default_factory=Estimate)
    #: what the target calls a parent (a Teams team, a Matrix space), and conversations without one.
    parent_label: str = "teams"
    loose_label: str = "Chats"

    @property
    def clean(self) -> bool:
        return not any(p.severity in ("refused", "lost") for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["clean"] = self.clean
        data["totals"] = self.totals()
        return data

    def totals(self) -> dict[str, int]:
        c = self.containers
        return {
            "parents_to_create": sum(p.action.startswith("create") for p in self.parents),
            "containers": len(c),
            "messages": sum(x.messages for x in c),
            "posts": sum(x.posts for x in c),
            "files": sum(x.files for x in c),
            "file_bytes": sum(x.file_bytes for x in c),
            "refused": sum(p.severity == "refused" for p in self.problems),
            "lost": sum(p.severity == "lost" for p in self.problems),
            "warnings": sum(p.severity == "warning" for p in self.problems),
        }


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _duration(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def _cut(name: str, width: int = 40) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def render_dry_run(report: DryRunReport, max_items: int = 50) -> str:
    """The human report, grouped as an admin reads it: what happens, what degrades, what fails."""
    t = report.totals()
    out = [f"Dry run: {report.archive} → {report.target} (plan {report.plan})"
           + (", with online preflight" if report.online else ", offline"), ""]
    for parent in report.parents:
        out.append(
            f"{parent.name}  [{parent.action}]"
            + (f"  created {parent.created_at}" if parent.created_at else "")
        )
        for c in (c for c in report.containers if c.parent == parent.key):
            out.append(f"  {_cut(c.name):<40} {c.action:<28} {c.messages:>7} msgs {c.posts:>7} posts "
                       f"{c.files:>5} files {_bytes(c.file_bytes):>9}")
    chats = [c for c in report.containers if c.parent is None]
    if chats:
        out.append(f"{report.loose_label}: {len(chats)} to create, {sum(c.messages for c in chats)} messages")
        for c in chats[:max_items]:
            out.append(f"  {_cut(c.name):<40} {c.action:<28} {c.messages:>7} msgs")
        if len(chats) > max_items:
            out.append(f"  … and {len(chats) - max_items} more (see --json)")
    out.append("")
    out.append(
        f"Totals: {t['messages']} messages as {t['posts']} posts in {t['containers']} conversations; "
        f"{t['files']} files, {_bytes(t['file_bytes'])}; {t['parents_to_create']} {report.parent_label} to "
        "create"
    )
    if report.skipped:
        out.append(
            "Skipped by the plan: " + ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items()))
        )
    if report.users:
        out.append("Authors: " + ", ".join(f"{n} {how}" for how, n in sorted(report.users.items())))
    if report.unmapped_users:
        out.append("")
        out.append(f"Unmapped users ({len(report.unmapped_users)}), by messages written:")
        for u in report.unmapped_users[:max_items]:
            out.append(
                f"  {u.name} <{u.email or 'no email'}> (id {u.source_id}): {u.messages} messages → "
                f"{u.fallback}"
            )
        if len(report.unmapped_users) > max_items:
            out.append(f"  … and {len(report.unmapped_users) - max_items} more (see --json)")
    if report.degradations:
        out.append("")
        out.append("Degradations (content kept in another form):")
        for d in report.degradations:
            out.append(f"  {d.count:>7}  {d.kind}: {d.fallback}")
    if report.preflight:
        out.append("")
        out.append("Online preflight (read-only):")
        for check in report.preflight:
            out.append(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    e = report.estimate
    out.append("")
    out.append(f"Estimated duration: {_duration(e.seconds)} ({e.requests} requests, {_bytes(e.upload_bytes)} "
               f"to upload; {e.assumptions})")
    if report.problems:
        out.append("")
        out.append(f"Problems: {t['refused']} refused, {t['lost']} lost, {t['warnings']} warnings")
        for p in report.problems[:max_items]:
            out.append(f"  {p.severity.upper():<8} {p.kind}: {p.where}: {p.detail}")
        if len(report.problems) > max_items:
            out.append(f"  … and {len(report.problems) - max_items} more (see --json)")
    out.append("")
    out.append("Result: clean — nothing would be lost or refused." if report.clean else
               "Result: NOT clean — fix the problems above (or the plan) before importing.")
    return "\n".join(out)
