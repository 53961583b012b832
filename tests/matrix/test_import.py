"""End to end against a real Synapse: what the rooms show, read back through the client API, is
exactly the plan (sender, origin_server_ts, thread and reply relations, body, files)."""

from .conftest import cli, plan_for
from .readback import planned_content, room_content, room_ids


def test_sample_archive_imports_exactly_and_reconciles(build, homeserver, tmp_path):
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    result = cli("import", archive, "--plan", plan)
    assert result.exit_code == 0, result.output
    found = room_content(homeserver.url, homeserver.registration, room_ids(plan))
    assert found == planned_content(archive, plan)
    assert max(found.values()) == 1
    reconciled = cli("reconcile", archive, "--plan", plan)
    assert reconciled.exit_code == 0, reconciled.output


def test_a_second_import_or_a_changed_plan_is_refused(build, homeserver, tmp_path):
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    assert cli("import", archive, "--plan", plan).exit_code == 0
    again = cli("import", archive, "--plan", plan)
    assert again.exit_code == 2 and "--resume" in again.output and "twice" in again.output
    plan.write_text(plan.read_text(encoding="utf-8").replace('room = "Engineering"', 'room = "Ingénierie"'),
                    encoding="utf-8")
    changed = cli("import", archive, "--plan", plan, "--resume")
    assert changed.exit_code == 2 and "the plan changed" in changed.output and "destination.g1.room" in changed.output
