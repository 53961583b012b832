"""Dry-run checks every target shares."""

from rsemigrate.archive import Archive
from rsemigrate.drycheck import plan_written_for
from rsemigrate.plan import PlanHeader


def test_a_plan_for_another_archive_or_an_older_seal_is_a_warning(archive):
    opened = Archive(archive)
    same = PlanHeader(target="teams", archive_id=opened.header.archive_id, archive_seal=opened.seal())
    assert plan_written_for(same, opened) == []
    other = PlanHeader(target="teams", archive_id="someone-else", archive_seal=opened.seal())
    assert [(p.kind, p.severity) for p in plan_written_for(other, opened)] == [("other-archive", "warning")]
    older = PlanHeader(target="teams", archive_id=opened.header.archive_id, archive_seal="0" * 64)
    assert [(p.kind, p.severity) for p in plan_written_for(older, opened)] == [("archive-changed", "warning")]
