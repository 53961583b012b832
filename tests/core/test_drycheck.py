"""Dry-run checks every target shares."""

from rsemigrate.archive.reader import Archive
from rsemigrate.migrate.drycheck import MAX_PROBLEMS_PER_KIND, Findings, plan_written_for
from rsemigrate.migrate.dryrun import DryRunReport
from rsemigrate.migrate.plan import PlanHeader


def test_a_plan_for_another_archive_or_an_older_seal_is_a_warning(archive):
    opened = Archive(archive)
    same = PlanHeader(target="teams", archive_id=opened.header.archive_id, archive_seal=opened.seal())
    assert plan_written_for(same, opened) == []
    other = PlanHeader(target="teams", archive_id="someone-else", archive_seal=opened.seal())
    assert [(p.kind, p.severity) for p in plan_written_for(other, opened)] == [("other-archive", "warning")]
    older = PlanHeader(target="teams", archive_id=opened.header.archive_id, archive_seal="0" * 64)
    assert [(p.kind, p.severity) for p in plan_written_for(older, opened)] == [("archive-changed", "warning")]


def test_findings_list_a_capped_number_of_problems_per_kind_and_sort_degradations():
    """A million oversize messages must not make a million-line report, nor vanish from it."""
    findings = Findings()
    for n in range(MAX_PROBLEMS_PER_KIND + 7):
        findings.problem("oversize", "refused", f"message {n}", "too long")
    findings.problem("future-time", "refused", "message x", "in 2099")
    findings.degradations.update({"edited": 2, "link-card": 5, "inline-image": 2})
    report = DryRunReport("teams", "archive", "plan.toml")
    findings.report_into(report, {"edited": "the edit history is lost"})
    kinds = [p.kind for p in report.problems]
    assert kinds.count("oversize") == MAX_PROBLEMS_PER_KIND + 1 and kinds.count("future-time") == 1
    assert (report.problems[-1].where, report.problems[-1].detail) == ("(summary)", "7 more not listed")
    assert [(d.kind, d.count, d.fallback) for d in report.degradations] == [
        ("link-card", 5, "link-card"),
        ("edited", 2, "the edit history is lost"),
        ("inline-image", 2, "inline-image"),
    ]
