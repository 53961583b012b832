"""The import under the stricter emulator (issue 12): what a real tenant would refuse or strand."""

import io

import orjson
import tomlkit

from rsemigrate.archive.records import Attachment
from rsemigrate.migrate.ledger import Ledger, default_url

from .conftest import message, sample_records
from .import_helpers import (
    QUIET_SDK,
    cli,
    emulator_for,
    into_one_team,
    plan_for,
    planned_content,
    target_content,
)
from .test_import_teams import record_requests

pytestmark = QUIET_SDK

DECK = (Attachment("file:deck", "file", "present", "uploadedfile:deck", name="Roadmap 2020.pptx"),
        lambda: io.BytesIO(b"PK\x03\x04 slides"))


def test_an_office_file_goes_through_by_its_direct_url(build, tmp_path):
    archive = build(sample_records([DECK, message("deck", channel="g2", at="2020-02-02T10:00:00Z",
                                                  text="the roadmap", attachment_ids=["file:deck"])]))
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 0, result.output
        item = next(i for i in emulator.tenant.items.values() if i.name.endswith(".pptx"))
        posted = [a for m in target_content_messages(emulator) for a in m["payload"].get("attachments") or []]
    [reference] = [a for a in posted if a["name"] == "Roadmap 2020.pptx"]
    assert reference["contentUrl"] == item.web_url != item.page_url
    assert "Doc.aspx" in item.page_url


def target_content_messages(emulator):
    state = emulator.tenant.snapshot()
    return [m for t in state["teams"] for c in t["channels"] for m in c["messages"]] + \
        [m for c in state["chats"] for m in c["messages"]]


def test_a_new_channel_in_an_existing_team_is_created_standard_then_taken_into_migration(build, init_plan,
                                                                                         tmp_path):
    archive = build()
    plan = init_plan(archive)
    doc = tomlkit.parse(plan.read_text(encoding="utf-8"))
    engineering = next(k for k in doc["team"] if doc["team"][k]["name"] == "Engineering")
    doc["team"][engineering]["existing"] = True
    doc["destination"]["g1"]["existing_channel"] = True
    doc["destination"]["g2"]["team"], doc["destination"]["g2"]["channel"] = engineering, "Conformité"
    plan.write_text(tomlkit.dumps(doc), encoding="utf-8")
    result = cli("import", archive, "--plan", plan, "--rehearse")
    assert result.exit_code == 0, result.output
    state = orjson.loads((tmp_path / "plan.rehearsal" / "target.json").read_bytes())
    [team] = [t for t in state["teams"] if t["displayName"] == "Engineering"]
    channel = next(c for c in team["channels"] if c["displayName"] == "Conformité")
    assert channel["migrationMode"] == "completed" and channel["messages"]
    assert channel["createdMs"] < min(m["createdMs"] for m in channel["messages"])


def _completions(seen, team_id):
    return [p.split("/channels/")[1].split("/")[0] for m, p, s in seen
            if m == "POST" and p.startswith(f"/v1.0/teams/{team_id}/channels/")
            and p.endswith("/completeMigration") and s == 204]


def test_general_is_completed_after_the_other_channels_of_its_team(build, tmp_path):
    # The other channel has the most posts, so it would finish last if completions followed posting.
    busy = [message(f"b{i}", channel="g2", author="u2", at=f"2020-02-0{2 + i // 10}T1{i % 10}:00:00Z",
                    text=f"busy {i}") for i in range(30)]
    archive = build(sample_records(busy))
    emulator = emulator_for(archive)
    seen = record_requests(emulator)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator, edit=into_one_team)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 0, result.output
        [team] = emulator.tenant.teams.values()
        general = next(c.id for c in team.channels.values() if c.general)
        order = _completions(seen, team.id)
        assert len(order) == 2 and order[-1] == general and not team.in_migration and not team.marked_migrated


def test_general_stays_last_on_resume_after_a_stop_between_completions(build, tmp_path):
    archive = build()
    emulator = emulator_for(archive)
    seen = record_requests(emulator)
    # The team's other channel cannot be completed in the first run: General must wait for it.
    emulator.faults.add(r"POST /channels/[^/]+/completeMigration$ 403 nth=1")
    with emulator:
        plan = plan_for(tmp_path, archive, emulator, edit=into_one_team)
        first = cli("import", archive, "--plan", plan)
        assert first.exit_code == 1
        [team] = emulator.tenant.teams.values()
        assert all(c.migration == "inProgress" for c in team.channels.values())
        resumed = cli("import", archive, "--plan", plan, "--resume")
        assert resumed.exit_code == 0, resumed.output
        general = next(c.id for c in team.channels.values() if c.general)
        assert _completions(seen, team.id)[-1] == general and not team.in_migration
        assert target_content(emulator) == planned_content(archive, plan, emulator)


def test_a_403_on_one_team_stops_only_that_team_in_one_line_and_resume_finishes(build, tmp_path):
    archive = build()
    emulator = emulator_for(archive)
    emulator.faults.add(r"GET /teams/[^/]+/channels$ 403 nth=1")
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        first = cli("import", archive, "--plan", plan)
        assert first.exit_code == 1
        assert "Traceback" not in first.output and "ExceptionGroup" not in first.output
        [line] = [x for x in first.output.splitlines() if "403 Forbidden" in x]
        assert "--resume" in line and ("Engineering" in line or "Sécurité" in line)
        teams = emulator.tenant.snapshot()["teams"]
        assert sum(not t["inMigration"] for t in teams) == 1  # the other team went through
        chats = emulator.tenant.chats.values()
        assert chats and all(c.migration == "completed" for c in chats)
        resumed = cli("import", archive, "--plan", plan, "--resume")
        assert resumed.exit_code == 0, resumed.output
        assert target_content(emulator) == planned_content(archive, plan, emulator)
    with Ledger(default_url(plan)) as ledger:
        assert any("403" in e.detail for e in ledger.events("stopped"))


def test_a_404_on_the_team_creation_operation_is_polled_again(build, tmp_path):
    archive = build()
    emulator = emulator_for(archive, operation_polls=1)
    emulator.faults.add(r"GET /operations/ 404 nth=1")
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 0, result.output
        assert emulator.faults.rules[0].fired == 1


def test_a_files_folder_still_provisioning_is_asked_again(build, tmp_path, monkeypatch):
    monkeypatch.setattr("connectors.teams.files.FOLDER_WAITS", (0.05, 0.05, 0.05))
    archive = build()
    emulator = emulator_for(archive, files_folder_misses=2)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 0, result.output
        assert any(not i.folder for i in emulator.tenant.items.values())
    with Ledger(default_url(plan)) as ledger:
        assert len(ledger.events("folder-pending")) == 2


def test_a_files_folder_that_never_comes_fails_its_files_not_the_run(build, tmp_path, monkeypatch):
    monkeypatch.setattr("connectors.teams.files.FOLDER_WAITS", (0.05,))
    archive = build()
    emulator = emulator_for(archive, files_folder_misses=5)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert not any(not i.folder for i in emulator.tenant.items.values())
        chats = emulator.tenant.chats.values()
        assert chats and all(c.migration == "completed" for c in chats)
