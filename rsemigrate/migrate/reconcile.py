"""Reconciliation: the archive's plan, the ledger and the target's own read-back, compared.

Three witnesses, because each can be wrong alone: the archive says what should be there (planned
again from the same archive and plan), the ledger says what the import did, and reading the
target back says what is really there. Per conversation it counts posts expected, imported,
skipped (with reasons), failed, pending and duplicated, files uploaded, and authors that fell back
to the placeholder. A post counts once per part: a message split in three is three posts.

Clean means: every expected post is imported and, where the target could be read, present exactly
once. Anything else is a gap (exit code 1). Nothing here names a platform: the target supplies
the expected posts and the observed ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .ledger import FAILED, SENT, SKIPPED, Container, File, Message, Skip


@dataclass(frozen=True)
class ReconcileRequest:
    archive: Path
    plan: Path
    ledger_url: str | None = None
    #: reconcile the last `import --rehearse` (its ledger and the emulator's final state).
    rehearsal: bool = False
    #: do not read the target back (archive against ledger only).
    offline: bool = False


@dataclass(frozen=True)
class Expected:
    """A post the archive plans: its key, and the digest of its text."""

    key: str
    content_hash: str


@dataclass(frozen=True)
class Observed:
    """A post as the target shows it."""

    created_ms: int
    author: str
    content_hash: str
    target_id: str


@dataclass
class ConversationCheck:
    key: str
    label: str
    expected: int = 0
    imported: int = 0
    #: reason → posts (or source messages, for what the plan leaves out).
    skipped: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    pending: int = 0
    #: None when the target was not read back.
    on_target: int | None = None
    missing_on_target: int = 0
    duplicated: int = 0
    #: posts on the target that this migration did not make (an existing conversation's own).
    others_on_target: int = 0
    files: int = 0
    files_uploaded: int = 0
    finished: bool = False
    placeholder_authors: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass
class Reconciliation:
    target: str
    mode: str
    ledger: str
    #: how the target was read ("read back", or why it was not).
    target_read: str
    conversations: list[ConversationCheck] = field(default_factory=list)
    #: what the plan left out entirely (sources without a conversation), by reason.
    not_planned: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and all(c.clean for c in self.conversations)

    @property
    def exit_code(self) -> int:
        return 0 if self.clean else 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["clean"] = self.clean
        data["totals"] = {
            k: sum(getattr(c, k) or 0 for c in self.conversations)
            for k in (
                "expected",
                "imported",
                "failed",
                "pending",
                "duplicated",
                "missing_on_target",
                "files",
                "files_uploaded",
            )
        }
        return data


def check_conversation(container: Container, label: str, ledger_rows: list[Message], files: list[File],
                       skips: list[Skip], expected: list[Expected] | None,
                       observed: list[Observed] | None) -> ConversationCheck:
    """Compare one conversation's three witnesses (see the module doc)."""
    check = ConversationCheck(container.key, label, finished=container.finish_state == SENT)
    states = Counter(m.state for m in ledger_rows)
    check.expected = len(expected) if expected is not None else len(ledger_rows)
    check.imported, check.failed = states[SENT], states[FAILED]
    check.pending = len(ledger_rows) - states[SENT] - states[FAILED] - states[SKIPPED]
    check.skipped = {s.reason: s.count for s in skips}
    for m in ledger_rows:
        if m.state == SKIPPED:
            reason = (m.error or "skipped").split(":")[0]
            check.skipped[reason] = check.skipped.get(reason, 0) + 1
    check.files, check.files_uploaded = len(files), sum(f.state == SENT for f in files)
    check.placeholder_authors = dict(Counter(m.author_name for m in ledger_rows if m.fallback))
    if expected is not None:
        _compare_plan(check, ledger_rows, expected)
    if observed is not None:
        _compare_target(check, ledger_rows, observed)
    for count, what in ((check.failed, "failed"), (check.pending, "not sent yet"),
                        (states[SKIPPED], "skipped by --accept-gaps"),
                        (check.files - check.files_uploaded, "files not uploaded"),
                        (check.missing_on_target, "recorded as sent but not found on the target"),
                        (check.duplicated, "duplicated on the target")):
        if count:
            check.problems.append(f"{count} {'post(s) ' if 'files' not in what else ''}{what}")
    if not check.finished and ledger_rows:
        check.problems.append("not finished (still in migration mode)")
    return check


def _compare_plan(check: ConversationCheck, rows: list[Message], expected: list[Expected]) -> None:
    planned = {e.key: e.content_hash for e in expected}
    recorded = {m.key: m.content_hash for m in rows}
    missing = planned.keys() - recorded.keys()
    extra = recorded.keys() - planned.keys()
    changed = [k for k in planned.keys() & recorded.keys() if planned[k] != recorded[k]]
    if missing:
        check.problems.append(f"{len(missing)} planned post(s) are not in the ledger (e.g. {min(missing)})")
    if extra:
        check.problems.append(
            f"{len(extra)} ledger post(s) are not planned from this archive (e.g. {min(extra)})"
        )
    if changed:
        check.problems.append(
            f"{len(changed)} post(s) differ between the archive and the ledger (e.g. {changed[0]})"
        )


def _compare_target(check: ConversationCheck, rows: list[Message], observed: list[Observed]) -> None:
    check.on_target = len(observed)
    at = {(o.created_ms, o.author) for o in observed}
    check.missing_on_target = sum(1 for m in rows if m.state == SENT and (m.created_ms, m.author) not in at)
    ours = Counter((m.author, m.content_hash) for m in rows)
    seen = Counter((o.author, o.content_hash) for o in observed)
    check.duplicated = sum(max(0, n - ours[k]) for k, n in seen.items() if k in ours)
    check.others_on_target = sum(n for k, n in seen.items() if k not in ours)


def render_reconciliation(rec: Reconciliation) -> str:
    out = [
        f"Reconciliation: {rec.target} ({rec.mode}), ledger {rec.ledger}",
        f"Target: {rec.target_read}",
        "",
    ]
    for c in rec.conversations:
        seen = "" if c.on_target is None else f", {c.on_target} on target"
        out.append(f"{'ok ' if c.clean else 'GAP'} {c.label}: {c.imported}/{c.expected} imported{seen}, "
                   f"{c.failed} failed, {c.pending} pending, {c.duplicated} duplicated; "
                   f"files {c.files_uploaded}/{c.files}" + ("" if c.finished else "; not finished"))
        if c.skipped:
            out.append("      skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(c.skipped.items())))
        if c.placeholder_authors:
            out.append("      placeholder authors: " + ", ".join(
                f"{name} ({n})" for name, n in sorted(c.placeholder_authors.items())))
        if c.others_on_target:
            out.append(f"      {c.others_on_target} other post(s) already in this conversation (not ours)")
        for problem in c.problems:
            out.append(f"      ! {problem}")
    if rec.not_planned:
        out.append(
            "Left out by the plan: " + ", ".join(f"{n} {why}" for why, n in sorted(rec.not_planned.items()))
        )
    for problem in rec.problems:
        out.append(f"! {problem}")
    totals = rec.to_json()["totals"]
    out.append("")
    out.append(
        f"Totals: {totals['imported']}/{totals['expected']} posts imported, {totals['failed']} failed, "
        f"{totals['pending']} pending, {totals['duplicated']} duplicated, "
        f"{totals['files_uploaded']}/{totals['files']} files"
    )
    out.append("Result: clean — everything planned is there, exactly once." if rec.clean else
               "Result: GAPS — see the lines marked GAP and '!'.")
    return "\n".join(out)
