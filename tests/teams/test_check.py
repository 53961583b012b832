"""plan check (offline): what would happen, every degradation counted, exit 1 on loss or refusal."""

import hashlib
import io
import json
import os

from rsemigrate.archive.records import Attachment, Channel, Group

from .conftest import cli, message, sample_records
from .test_plan import edit


def check(archive, plan, *args):
    result = cli("plan", "check", archive, "--plan", plan, "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def kinds(report, severity=None):
    return sorted({p["kind"] for p in report["problems"] if severity in (None, p["severity"])})


def test_the_default_plan_is_clean_and_reports_what_would_happen(build, init_plan):
    archive = build()
    code, report = check(archive, init_plan(archive))
    assert code == 0 and report["clean"] and kinds(report, "refused") == [] and kinds(report, "lost") == []
    teams = {p["name"]: p for p in report["parents"]}
    assert set(teams) == {"Engineering", "Sécurité & Conformité"}
    assert teams["Engineering"]["action"] == "create team (migration)"
    assert teams["Engineering"]["created_at"] == "2020-01-01T09:59:00.000Z"
    by_key = {c["key"]: c for c in report["containers"]}
    general = by_key["engineering/general"]
    assert (general["messages"], general["posts"], general["threads"]) == (3, 3, 1)
    assert (general["files"], general["file_bytes"]) == (1, 8)
    assert (general["first"], general["last"]) == ("2020-01-01T10:00:00.000Z", "2020-01-01T11:00:00.001Z")
    assert by_key["chat:dm-1"]["kind"] == "chat" and by_key["chat:dm-1"]["messages"] == 1
    assert report["totals"]["messages"] == 5 and report["totals"]["parents_to_create"] == 2
    degradations = {d["kind"]: d["count"] for d in report["degradations"]}
    assert degradations == {"placeholder-author": 1, "unmapped-mention": 1, "missing-file": 1, "link-card": 1,
                            "reaction-unmapped": 1, "edited": 1, "nested-reply": 1, "time-nudged": 1}
    assert all(d["fallback"] for d in report["degradations"])
    assert report["unmapped_users"] == [
        {
            "source_id": "u3",
            "name": "Chloé Petit",
            "email": None,
            "messages": 1,
            "fallback": "posted as migration.placeholder@contoso.com with the name shown",
        }
    ]
    assert report["users"] == {"email": 2, "placeholder": 1}
    assert report["estimate"]["requests"] > 5 and report["estimate"]["seconds"] > 0


def test_the_human_report_reads_top_down(build, init_plan):
    archive = build()
    result = cli("plan", "check", archive, "--plan", init_plan(archive))
    assert result.exit_code == 0
    out = result.output
    for needle in ("Engineering  [create team (migration)]", "Unmapped users (1)", "Chloé Petit",
                   "Degradations (content kept in another form):", "Estimated duration:", "Result: clean"):
        assert needle in out, needle


def test_unmapped_users_without_a_placeholder_are_refused(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, 'placeholder = "migration.placeholder@contoso.com"', "")
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "refused") == ["no-author-account"]
    assert report["unmapped_users"][0]["fallback"].endswith("refused")


def test_a_users_mapping_maps_people_explicitly(build, init_plan, tmp_path):
    archive = build()
    (tmp_path / "users.csv").write_text("source,target\nu3,chloe@contoso.com\n")
    code, report = check(archive, init_plan(archive, "--users", tmp_path / "users.csv"))
    assert code == 0 and report["unmapped_users"] == [] and report["users"] == {"email": 2, "explicit": 1}


def test_an_oversize_message_is_split_into_parts_under_the_budget(build, init_plan):
    long = message("big", channel="g2", at="2020-03-01T00:00:00Z", text="\n\n".join(["mot " * 400] * 40))
    archive = build(sample_records([long]))
    code, report = check(archive, init_plan(archive))
    assert code == 0
    security = next(c for c in report["containers"] if c["name"] == "General" and "g2" in c["sources"][0])
    assert security["messages"] == 2 and security["posts"] > 3
    assert {d["kind"]: d["count"] for d in report["degradations"]}["split"] == 1


def test_an_unsplittable_oversize_message_is_refused(build, init_plan):
    """Ten uploaded files whose references alone exceed a small budget cannot be split."""
    files = [(Attachment(f"f{i}", "file", "present", f"r{i}", name=f"{i}-" + "n" * 200 + ".txt"),
              lambda i=i: io.BytesIO(f"content {i}".encode())) for i in range(10)]
    heavy = message("heavy", channel="g2", at="2020-03-01T00:00:00Z", text="x",
                    attachment_ids=[f"f{i}" for i in range(10)])
    archive = build(sample_records(files + [heavy]))
    plan = init_plan(archive)
    edit(plan, "message_budget = 24000", "message_budget = 2000")
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "refused") == ["oversize"]
    assert "heavy" in report["problems"][0]["where"]


def test_a_file_missing_from_the_bag_is_a_loss_and_a_corrupt_one_too(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    stored = (
        archive
        / "data"
        / "files"
        / hashlib.sha256(b"the plan").hexdigest()[:2]
        / hashlib.sha256(b"the plan").hexdigest()
    )
    stored.write_bytes(b"the plaN")
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "lost") == ["file-unavailable"]
    assert "does not match its sha256" in report["problems"][0]["detail"]
    stored.unlink()
    code, report = check(archive, plan)
    assert code == 1 and "missing from the archive" in report["problems"][0]["detail"]


def test_a_file_already_missing_at_export_is_a_visible_note_not_a_failure(build, init_plan):
    archive = build()
    code, report = check(archive, init_plan(archive))
    assert code == 0 and {d["kind"] for d in report["degradations"]} >= {"missing-file"}


def test_duplicate_channel_names_in_one_team_are_refused(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(
        plan, 'team = "securite-conformite"\nchannel = "General"', 'team = "engineering"\nchannel = "general"'
    )
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "refused") == ["duplicate-channel-name"]
    assert (
        "line" in report["problems"][0]["where"] and "unique within a team" in report["problems"][0]["detail"]
    )


def test_invalid_channel_names_are_refused(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, 'team = "securite-conformite"\nchannel = "General"',
         'team = "engineering"\nchannel = "R&D: ' + "x" * 50 + '"')
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "refused") == ["invalid-channel-name"]


def test_general_of_an_existing_team_needs_existing_channel(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, 'name = "Engineering"\nexisting = false', 'name = "Engineering"\nexisting = true')
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "refused") == ["duplicate-channel-name"]
    edit(
        plan,
        'team = "engineering"\nchannel = "General"',
        'team = "engineering"\nchannel = "General"\nexisting_channel = true',
    )
    code, report = check(archive, plan)
    assert code == 0
    assert (
        next(c for c in report["containers"] if c["key"] == "engineering/general")["kind"]
        == "existing-channel"
    )


def test_a_community_without_destination_would_be_lost(build, init_plan):
    archive = build(sample_records([Group("g3", "Late"), Channel("g3", "feed", "Late", group_id="g3"),
                                    message("late", channel="g3")]))
    plan = init_plan(archive)
    text = plan.read_text().split("[destination.g3]")[0]
    plan.write_text(text)
    code, report = check(archive, plan)
    assert code == 1 and kinds(report, "lost") == ["no-destination"]


def test_a_message_from_the_future_is_refused(build, init_plan):
    archive = build(sample_records([message("future", channel="g2", at="2999-01-01T00:00:00Z")]))
    code, report = check(archive, init_plan(archive))
    assert code == 1 and kinds(report, "refused") == ["future-time"]


def test_options_skip_private_conversations_and_apply_a_window(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, 'private_conversations = "group-chats"', 'private_conversations = "skip"')
    edit(plan, "# since = 2018-01-01", "since = 2020-01-15")
    code, report = check(archive, plan)
    assert code == 0
    assert report["skipped"] == {
        "outside the date window": 3,
        'messages (private conversation (options.private_conversations = "skip"))': 1,
    }
    assert [c["key"] for c in report["containers"]] == ["securite-conformite/general"]


def test_check_writes_nothing(build, init_plan, tmp_path):
    archive = build()
    plan = init_plan(archive)

    def listing():
        return sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")
                      if "__pycache__" not in str(p))

    before = listing()
    assert cli("plan", "check", archive, "--plan", plan).exit_code == 0
    assert cli("plan", "check", archive, "--plan", plan, "--json").exit_code == 0
    assert listing() == before and os.listdir(tmp_path) == os.listdir(tmp_path)


def test_reactions_teams_cannot_show_are_a_counted_note(build, init_plan):
    from rsemigrate.archive.records import Reaction

    reacted = message("r1", channel="g2", author="u1", at="2020-02-03T09:00:00Z", text="shipped",
                      reactions=[Reaction("tada", "u2"), Reaction("partyparrot", "u2"),
                                 Reaction("LIKE", "u1")])
    archive = build(sample_records([reacted]))
    code, report = check(archive, init_plan(archive))
    assert code == 0, report["problems"]
    assert {d["kind"]: d["count"] for d in report["degradations"]}["reaction-unsupported"] == 1


def test_the_estimate_keeps_a_team_channels_within_the_team_limit(build, init_plan):
    busy = [message(f"e{i}", channel=("g1", "g2")[i % 2], author="u1", at=f"2020-03-{1 + i // 100:02d}T"
                    f"{i % 100 // 10 + 10}:{i % 10 * 5:02d}:00Z", text=f"post {i}") for i in range(400)]
    archive = build(sample_records(busy))
    plan = init_plan(archive)
    edit(plan, 'team = "securite-conformite"\nchannel = "General"',
         'team = "engineering"\nchannel = "Conformite"')
    code, report = check(archive, plan)
    assert code == 0, report["problems"]
    posts = sum(c["posts"] for c in report["containers"] if c["parent"] == "engineering")
    # one team: 4 requests/s for all its channels together
    assert posts > 400 and report["estimate"]["seconds"] >= posts / 4
    assert "4 requests/s per team" in report["estimate"]["assumptions"]
